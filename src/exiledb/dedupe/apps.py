from django.apps import AppConfig


class DedupeConfig(AppConfig):
    name = "exiledb.dedupe"
    label = "dedupe"
    verbose_name = "Duplicates"
    default_auto_field = "django.db.models.BigAutoField"

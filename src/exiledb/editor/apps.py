from django.apps import AppConfig


class EditorConfig(AppConfig):
    name = "exiledb.editor"
    label = "editor"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class ExploreConfig(AppConfig):
    name = "exiledb.explore"
    label = "explore"
    verbose_name = "Public index"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals

        signals.connect()

from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "exiledb.analysis"
    label = "analysis"
    verbose_name = "Statistics"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class EditorConfig(AppConfig):
    default = True  # the admin's config below is named in INSTALLED_APPS explicitly
    name = "exiledb.editor"
    label = "editor"
    default_auto_field = "django.db.models.BigAutoField"


class EditorAdminConfig(admin_apps.AdminConfig):
    """The Django admin, with the editor's site (roles, second factor, grouped index)."""

    default = False
    default_site = "exiledb.editor.site.EditorSite"

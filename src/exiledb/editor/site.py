"""The editor's admin site: its titles, its index grouped by task, and the role gate."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .access import has_role

# The index lists the case models by task, in the order a researcher works, not alphabetically.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Cases", ("incident", "person", "relationship")),
    ("Evidence and organisations", ("source", "organization")),
)


class EditorSite(admin.AdminSite):
    site_header = "exiledb editor"
    site_title = "exiledb editor"
    index_title = "Code cases"
    site_url = "/"

    def has_permission(self, request: HttpRequest) -> bool:
        """Staff status alone is not enough: the account must hold one of the roles."""
        return super().has_permission(request) and has_role(request.user)

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict[str, Any]]:
        apps = super().get_app_list(request, app_label)
        out: list[dict[str, Any]] = []
        for app in apps:
            if app["app_label"] != "cases":
                out.append(app)
                continue
            by_name = {m["object_name"].lower(): m for m in app["models"]}
            for title, names in SECTIONS:
                models = [by_name.pop(n) for n in names if n in by_name]
                if models:
                    out.append({**app, "name": title, "models": models})
            if by_name:  # a model registered later by another part of exiledb
                out.append({**app, "name": "Other records", "models": list(by_name.values())})
        return out


def install(site: Any) -> None:
    """Give the default admin site (mounted at /editor/ by exiledb.urls) the editor's behaviour.

    Django's documented route is AdminConfig.default_site in INSTALLED_APPS; swapping the class
    of the existing instance keeps the change inside the editor app and keeps every model that
    other apps register on `admin.site`.
    """
    site.__class__ = EditorSite

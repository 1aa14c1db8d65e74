"""The editor's admin site: its titles, its index grouped by task with the review panel, the
review queue, and the role gate."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse

from exiledb.access.auth import LoginForm
from exiledb.access.policy import has_role, needs_second_factor, passed_second_factor

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
    login_form = LoginForm
    index_template = "editor/index.html"

    def has_permission(self, request: HttpRequest) -> bool:
        """Staff status alone is not enough: the account must hold one of the roles, and
        editors and admins must have passed their second factor in this session (has_role
        says no until they have)."""
        return super().has_permission(request) and has_role(request.user)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """Signed in but missing the second factor: go and give it (or set it up)."""
        user = request.user
        if needs_second_factor(user) and not passed_second_factor(user):
            target = request.GET.get("next") or reverse("admin:index")
            return redirect(f"{reverse('otp')}?{urlencode({'next': target})}")
        return super().login(request, extra_context)

    def get_urls(self) -> list[URLResolver | URLPattern]:
        from . import review

        queue = path(
            "review/",
            self.admin_view(lambda request: review.queue_view(self, request)),
            name="review",
        )
        from exiledb.dedupe import views as dedupe  # duplicates and merges (docs/duplicates.md)

        return [queue, *dedupe.urls(self), *super().get_urls()]

    def index(self, request: HttpRequest, extra_context: Any = None) -> TemplateResponse:
        from . import review

        extra_context = {**(extra_context or {}), "review_counts": review.counts(request.user)}
        return super().index(request, extra_context)

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict[str, Any]]:
        apps = super().get_app_list(request, app_label)
        out: list[dict[str, Any]] = []
        rest: list[dict[str, Any]] = []  # access (tokens, audit log), after the case work
        for app in apps:
            if app["app_label"] != "cases":
                rest.append(app)
                continue
            by_name = {m["object_name"].lower(): m for m in app["models"]}
            for title, names in SECTIONS:
                models = [by_name.pop(n) for n in names if n in by_name]
                if models:
                    out.append({**app, "name": title, "models": models})
            if by_name:  # a model registered later by another part of exiledb
                out.append({**app, "name": "Other records", "models": list(by_name.values())})
        return out + rest

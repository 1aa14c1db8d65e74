"""The audit log (admins only, read-only) and removal requests in the editor."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from exiledb.access import audit, tokens
from exiledb.access.policy import effective_role, has_role, hidden_fields, may_publish

from .models import ApiToken, AuditEvent, RemovalRequest
from .redaction import redact

# Second-factor devices are never shown in the editor: their keys and recovery codes would let
# whoever holds an admin session clone another account's second factor. Resets go through
# `exiledb user otp-reset`, which is audited.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Browse the log. Nobody edits or deletes it here; `exiledb audit verify` checks it."""

    list_display = ["seq", "at", "username", "action", "object_type", "object_id", "audience"]
    list_filter = ["action", "object_type", "audience"]
    search_fields = ["username", "object_id"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RemovalRequest)
class RemovalRequestAdmin(admin.ModelAdmin):
    list_display = ["person", "kind", "received", "status", "decided_at"]
    list_filter = ["kind", "status"]
    autocomplete_fields = ["person"]
    readonly_fields = ["decided_at", "decided_by"]
    actions = ["honour"]

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        return hidden_fields(RemovalRequest, request.user) or None

    def save_model(
        self, request: HttpRequest, obj: RemovalRequest, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            audit.record(request.user, "request", obj.person, request=request, kind=obj.kind)

    @admin.action(description="Honour: remove the person from all public output")
    def honour(self, request: HttpRequest, queryset: Any) -> None:
        if not may_publish(request.user):
            self.message_user(
                request, "Only editors and admins may honour requests.", messages.ERROR
            )
            return
        for req in queryset.filter(kind="removal", status="open"):
            redact(req.person, request.user, request=req, http_request=request)
        self.message_user(
            request,
            "The persons are removed from public output and from every future export and edition.",
        )


class TokenForm(forms.ModelForm):
    days = forms.IntegerField(
        min_value=0,
        max_value=3650,
        initial=90,
        help_text="Days until the token stops working (0: never).",
    )

    class Meta:
        model = ApiToken
        fields = ["name", "scope"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Each account's own API tokens (admins see everyone's): create one, shown once; revoke.
    A token's text is never stored, so it cannot be shown or edited afterwards."""

    form = TokenForm
    list_display = ["hint", "name", "user", "scope", "state", "expires_at", "last_used_at"]
    list_filter = ["scope"]
    actions = ["revoke"]

    @admin.display(description="state")
    def state(self, obj: ApiToken) -> str:
        return "revoked" if obj.revoked_at else ("active" if obj.active else "expired")

    def get_queryset(self, request: HttpRequest) -> Any:
        qs = super().get_queryset(request).select_related("user")
        return qs if effective_role(request.user) == "admin" else qs.filter(user=request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        if request.method != "POST" or not self.has_add_permission(request):
            return super().add_view(request, form_url, extra_context)
        form = TokenForm(request.POST)
        if not form.is_valid():
            return super().add_view(request, form_url, extra_context)
        try:
            token, plain = tokens.create(
                request.user,
                form.cleaned_data["name"],
                form.cleaned_data["scope"],
                days=form.cleaned_data["days"] or None,
                request=request,
            )
        except tokens.TokenError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return super().add_view(request, form_url, extra_context)
        response = TemplateResponse(
            request,
            "editor/token_created.html",
            {
                **self.admin_site.each_context(request),
                "token": token,
                "plain": plain,
                "back": reverse("admin:access_apitoken_changelist"),
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        count = 0
        for token in self.get_queryset(request).filter(pk__in=queryset.values("pk")):
            if token.revoked_at is None:
                tokens.revoke(token, by=request.user, request=request)
                count += 1
        self.message_user(request, f"Revoked {count} token(s).")

"""The audit log (admins only, read-only) and removal requests in the editor."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from exiledb.access import audit
from exiledb.access.policy import hidden_fields, may_publish

from .models import AuditEvent, RemovalRequest
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

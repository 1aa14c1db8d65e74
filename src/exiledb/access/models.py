"""Records the access layer keeps: the audit log of reads and exports, failed logins, and the
removal and correction requests of people named in the records."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One read of a restricted or confidential record, one export, one sign-in or one
    redaction: who, what, when. Events form a hash chain, so that editing or deleting one is
    detectable (`exiledb audit verify`)."""

    ACTIONS = (
        ("view", "viewed a record"),
        ("export", "exported data"),
        ("login", "signed in"),
        ("login_failed", "failed to sign in"),
        ("locked_out", "was locked out"),
        ("otp_enrolled", "set up two-factor sign-in"),
        ("otp_reset", "had two-factor sign-in reset"),
        ("redact", "removed a person from public output"),
        ("request", "recorded a removal or correction request"),
        ("status", "changed an incident's review status"),
        ("token", "created or revoked an API token"),
        ("api_write", "wrote a record through the API"),
    )

    seq = models.BigAutoField(primary_key=True, help_text="Position in the chain.")
    at = models.DateTimeField(help_text="When it happened (UTC).")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        # The log outlives accounts: a deleted user's events keep their username.
        on_delete=models.SET_NULL,
        help_text="The account, while it exists.",
    )
    username = models.CharField(
        max_length=150,
        blank=True,
        default="",
        help_text="The account name at the time (kept if deleted).",
    )
    action = models.CharField(max_length=16, choices=ACTIONS, help_text="What was done.")
    object_type = models.CharField(
        max_length=40, blank=True, default="", help_text="Record type, e.g. incident."
    )
    object_id = models.CharField(
        max_length=64, blank=True, default="", help_text="The record's UUID."
    )
    visibility = models.CharField(
        max_length=12, blank=True, default="", help_text="The record's visibility when read."
    )
    audience = models.CharField(
        max_length=12, blank=True, default="", help_text="For exports: public or internal."
    )
    detail = models.JSONField(
        default=dict, blank=True, help_text="Format, path, client address and the like."
    )
    prev_hash = models.CharField(max_length=64, help_text="Hash of the previous event.")
    hash = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 over this event and prev_hash."
    )

    class Meta:
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["action", "at"]),
        ]
        permissions = [
            ("view_confidential", "Can see confidential records and fields"),
        ]

    def __str__(self) -> str:
        what = f" {self.object_type} {self.object_id}" if self.object_id else ""
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or '?'} {self.action}{what}"

    def payload(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "user_id": self.user_id,
            "username": self.username,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "visibility": self.visibility,
            "audience": self.audience,
            "detail": self.detail,
        }

    def compute_hash(self) -> str:
        text = json.dumps(self.payload(), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(f"{self.prev_hash}\n{text}".encode()).hexdigest()


class LoginAttempt(models.Model):
    """A failed sign-in, kept for throttling (and pruned after a day)."""

    username = models.CharField(max_length=150, db_index=True, help_text="The name that was tried.")
    address = models.GenericIPAddressField(
        null=True, blank=True, help_text="Where the attempt came from."
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True, help_text="When.")

    def __str__(self) -> str:
        return f"{self.username} at {self.at}"


class RemovalRequest(models.Model):
    """A named person's request to be removed from publication or to have a record corrected
    (CAPE's rule: anyone named may ask). Honouring a removal redacts the person from all public
    output and future editions; the internal record and this request remain."""

    KINDS = (("removal", "removal from publication"), ("correction", "correction"))
    STATUSES = (("open", "open"), ("honoured", "honoured"), ("declined", "declined"))

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(
        "cases.Person",
        related_name="removal_requests",
        # The request is part of the person's record; deleting the person deletes it too, but
        # the audit log keeps the redaction event.
        on_delete=models.CASCADE,
        help_text="The person the request is about.",
    )
    kind = models.CharField(
        max_length=12,
        choices=KINDS,
        default="removal",
        help_text="Removal from publication, or a correction.",
    )
    received = models.DateField(help_text="When the request arrived.")
    requester = models.CharField(
        max_length=300,
        blank=True,
        default="",
        help_text="CONFIDENTIAL. Who asked (the person, a relative, a lawyer) and how to reply.",
    )
    details = models.TextField(
        blank=True, default="", help_text="CONFIDENTIAL. What was asked and why."
    )
    status = models.CharField(
        max_length=10, choices=STATUSES, default="open", help_text="Open, honoured or declined."
    )
    decided_at = models.DateTimeField(null=True, blank=True, help_text="When it was decided.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,  # the decision stands if the account goes
        help_text="Who decided.",
    )

    class Meta:
        ordering = ["-received"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} request ({self.status}) for {self.person}"


class ApiToken(models.Model):
    """A bearer token for the JSON API, acting as its user within a scope.

    Only a SHA-256 digest of the token is stored (tokens are 256 random bits, so a fast hash
    is enough); the token itself is shown once, when it is created. A token stops working when
    revoked, when it expires, or when its user is deactivated or loses their role.
    """

    READ, WRITE = "read", "write"
    SCOPES = ((READ, "read: list and read records"), (WRITE, "write: also create and change"))
    PREFIX = "exdb_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="The account the token acts as.",
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'R scripts'.")
    scope = models.CharField(
        max_length=5, choices=SCOPES, default=READ, help_text="What it may do."
    )
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token.")
    hint = models.CharField(
        max_length=16, help_text="The token's first characters, to tell tokens apart."
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was created.")
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="When it stops working (empty: never)."
    )
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was revoked (empty: not revoked)."
    )
    last_used_at = models.DateTimeField(null=True, blank=True, help_text="Last request made.")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.hint}… ({self.name}, {self.scope})"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def active(self) -> bool:
        from django.utils import timezone

        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()

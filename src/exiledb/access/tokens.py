"""API tokens: created for an account, shown once, stored as a digest, revocable, expiring.

A token acts as its user: it sees what that user's role sees and may write only what that role
may write, and only with the write scope. Creating and revoking tokens is audited.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.utils import timezone

from . import audit
from .models import ApiToken

LAST_USED_EVERY = dt.timedelta(minutes=5)  # how often last_used_at is written (not every call)


class TokenError(ValueError):
    """A token that cannot be created as asked (the message says why)."""


def create(
    user: Any,
    name: str,
    scope: str = ApiToken.READ,
    *,
    days: int | None = 90,
    by: Any = None,
    request: Any = None,
) -> tuple[ApiToken, str]:
    """A new token for `user` and its plain text, which is not kept anywhere."""
    if scope not in dict(ApiToken.SCOPES):
        raise TokenError(f"scope must be one of: {', '.join(dict(ApiToken.SCOPES))}")
    name = (name or "").strip()
    if not name:
        raise TokenError("a token needs a name saying what it is for")
    if len(name) > ApiToken._meta.get_field("name").max_length:  # type: ignore[operator]
        raise TokenError("the name is longer than 100 characters")
    if days is not None and not 1 <= days <= 3650:
        raise TokenError("days must be between 1 and 3650 (or no expiry)")
    if not user.is_active:
        raise TokenError(f"account '{user.username}' is deactivated")
    plain = ApiToken.PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        scope=scope,
        digest=ApiToken.hash(plain),
        hint=plain[: len(ApiToken.PREFIX) + 6],
        expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
    )
    audit.record(
        by or user,
        "token",
        request=request,
        event="created",
        token=token.pk,
        owner=user.username,
        scope=scope,
        expires=token.expires_at.isoformat() if token.expires_at else "",
    )
    return token, plain


def revoke(token: ApiToken, *, by: Any = None, request: Any = None) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(
        by or token.user,
        "token",
        request=request,
        event="revoked",
        token=token.pk,
        owner=token.user.username,
    )


def authenticate(plain: str) -> ApiToken | None:
    """The active token with this text, or None (unknown, revoked, expired, user inactive)."""
    if not plain.startswith(ApiToken.PREFIX) or len(plain) > 100:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=ApiToken.hash(plain)).first()
    if token is None or not token.active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token

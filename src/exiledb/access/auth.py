"""Sign-in defences: throttling with lockout, and the audit of sign-ins.

A hostile state's security service will try passwords against known accounts. After
FAILURES_PER_NAME failures for one account name, or FAILURES_PER_ADDRESS from one address,
within WINDOW, sign-in is refused for that name or address until the window has passed - with
the same message whether or not the account exists, so lockouts reveal no account names.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.utils import timezone

from . import audit
from .models import LoginAttempt

FAILURES_PER_NAME = 5
FAILURES_PER_ADDRESS = 20
WINDOW = dt.timedelta(minutes=15)
LOCKED_MESSAGE = (
    "Too many failed sign-in attempts. Sign-in is locked for 15 minutes; ask an administrator "
    "if you need to get in sooner."
)


def _address(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def is_locked(username: str, address: str | None) -> bool:
    since = timezone.now() - WINDOW
    recent = LoginAttempt.objects.filter(at__gte=since)
    if recent.filter(username__iexact=username).count() >= FAILURES_PER_NAME:
        return True
    return bool(address) and recent.filter(address=address).count() >= FAILURES_PER_ADDRESS


def clear(username: str) -> None:
    LoginAttempt.objects.filter(username__iexact=username).delete()


class LockoutBackend(ModelBackend):
    """ModelBackend that refuses locked names and addresses and counts failures."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if username is None or password is None:
            return None
        address = _address(request)
        if is_locked(username, address):
            raise PermissionDenied(LOCKED_MESSAGE)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            LoginAttempt.objects.filter(at__lt=timezone.now() - dt.timedelta(days=1)).delete()
            LoginAttempt.objects.create(username=username[:150], address=address)
            audit.record(None, "login_failed", request=request, username=username[:150])
            if is_locked(username, address):
                audit.record(None, "locked_out", request=request, username=username[:150])
        else:
            clear(username)
        return user


@receiver(user_logged_in)
def _audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record(user, "login", request=request)


class LoginForm(AdminAuthenticationForm):
    """The editor's sign-in form: says plainly when sign-in is locked."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if username and is_locked(username, _address(self.request)):
            raise forms.ValidationError(LOCKED_MESSAGE, code="locked")
        return super().clean()

"""Second-factor sign-in: give a one-time code, or set up an authenticator app.

Editors and admins must pass this step before the editor opens to them (the editor's site
checks `user.is_verified()`). Setting up shows the TOTP secret as a QR code drawn on the server
(an inline SVG, no script) and hands out ten single-use recovery codes, shown once.
"""

from __future__ import annotations

import base64
from typing import Any

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import audit

RECOVERY_CODES = 10


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=16,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=gettext_lazy(
            "The 6-digit code from your authenticator app, or one of your recovery codes."
        ),
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index")


@never_cache
@login_required(login_url="admin:login")
def otp(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.is_verified():
        return redirect(_next(request))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    form = TokenForm(request.POST or None)
    if device is None:
        return _enrol(request, form)
    if request.method == "POST" and form.is_valid():
        matched = match_token(user, form.cleaned_data["token"].replace(" ", ""))
        if matched is not None:
            otp_login(request, matched)
            return redirect(_next(request))
        form.add_error(
            "token", _("That code is not valid (or was used already). Try the next one.")
        )
    return render(
        request, "access/otp.html", {"form": form, "next": _next(request), "enrol": False}
    )


def _enrol(request: HttpRequest, form: TokenForm) -> HttpResponse:
    user: Any = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=False)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].replace(" ", "")):
            device.confirmed = True
            device.save()
            codes = _recovery_codes(user)
            otp_login(request, device)
            audit.record(user, "otp_enrolled", request=request)
            return render(
                request, "access/otp_codes.html", {"codes": codes, "next": _next(request)}
            )
        form.add_error(
            "token",
            _("That code does not match. Check the clock of your phone and try the next code."),
        )
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#111")
    return render(
        request,
        "access/otp.html",
        {
            "form": form,
            "next": _next(request),
            "enrol": True,
            "secret": secret,
            "qr": mark_safe(qr),  # noqa: S308 - SVG drawn by segno from our own otpauth URI
        },
    )


def _recovery_codes(user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    for code in codes:
        device.token_set.create(token=code)
    return codes

"""Public pages. For now the overview; the explorer, case pages and map come later."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from exiledb.access.policy import visible_incidents
from exiledb.analysis import stats
from exiledb.vocab import COUNTRIES, codebook


def home(request: HttpRequest) -> HttpResponse:
    figures = stats.compute(visible_incidents(request.user))
    tactics = [
        (codebook.TACTICS.label(code), n)
        for code, n in list(figures["incidents"]["by_tactic"].items())[:10]
    ]
    hosts = [
        (COUNTRIES.get(code, code), n)
        for code, n in list(figures["incidents"]["by_host_country"].items())[:10]
    ]
    return render(
        request, "public/home.html", {"figures": figures, "tactics": tactics, "hosts": hosts}
    )

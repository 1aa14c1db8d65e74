"""Public pages. For now the overview; the explorer, case pages and map come later."""

from __future__ import annotations

import datetime as dt

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from exiledb.access import audit
from exiledb.access.policy import visible_incidents, visible_persons
from exiledb.analysis import stats
from exiledb.vocab import COUNTRIES, codebook


def home(request: HttpRequest) -> HttpResponse:
    figures = stats.compute(visible_incidents(request.user), visible_persons(request.user))
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


@require_GET
def data(request: HttpRequest) -> HttpResponse:
    from exiledb.ingest.export import citation, metadata

    meta = metadata("public")
    return render(
        request,
        "public/data.html",
        {"licence": meta["licence"], "citation": citation("public", dt.date.today())},
    )


@require_GET
def download(request: HttpRequest, fmt: str) -> FileResponse:
    """Public exports only: an anonymous reader's view, whoever asks."""
    from exiledb.ingest.export import DOWNLOADS, cached_download

    if fmt not in DOWNLOADS:
        raise Http404("no such download")
    path = cached_download(fmt, "public")
    # No client address: public readers (exiles among them) leave no trace beyond the event.
    audit.record(request.user, "export", audience="public", format=fmt, via="web")
    return FileResponse(
        open(path, "rb"), as_attachment=True, filename=path.name, content_type=DOWNLOADS[fmt][1]
    )

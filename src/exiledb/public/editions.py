"""The editions on the public site: the list on /data/, one edition's page with its change log,
and the downloads of its packages.

Everything public here is read from an edition's public files (the public package and the
public change log written from public packages): no internal record reaches these pages. The
internal package is served only to cleared staff (editors and admins who passed the second
factor), and every download is written to the audit log like the site's other exports.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from exiledb.access import audit
from exiledb.access.policy import (
    INTERNAL,
    PUBLIC,
    has_role,
    may_see_confidential,
    published_incidents,
)
from exiledb.editions import store
from exiledb.editions.diff import show
from exiledb.editions.models import Edition
from exiledb.ingest.base import RECORD_TYPES

log = logging.getLogger(__name__)
ENTRIES_SHOWN = 200  # per record type and kind of change; the JSON change log has them all
COUNTED = ("incidents", "persons", "sources", "organizations")


def _kind_labels() -> dict[str, str]:
    return {
        "organizations": _("Organisations"),
        "sources": _("Sources"),
        "persons": _("Persons"),
        "relationships": _("Relationships"),
        "incidents": _("Incidents"),
    }


def _row(edition: Edition) -> dict[str, Any]:
    counts = edition.counts.get(PUBLIC, {})
    return {
        "name": edition.name,
        "created_at": edition.created_at,
        "note": edition.note,
        "hash": edition.content_hash,
        "package_sha256": edition.files.get(store.PACKAGES[PUBLIC], ""),
        "codebook": edition.codebook,
        "counts": {k: counts.get(k, 0) for k in COUNTED},
        "citation": store.citation(edition),
        "previous": edition.previous.name if edition.previous else "",
    }


def listing() -> list[dict[str, Any]]:
    """The editions, newest first, for the /data/ page."""
    editions = Edition.objects.select_related("previous").order_by("-created_at", "-pk")
    return [_row(e) for e in editions]


def _get(name: str) -> Edition:
    edition = Edition.objects.select_related("previous").filter(name=name).first()
    if edition is None:
        raise Http404()
    return edition


def _changes(edition: Edition) -> dict[str, Any]:
    path = store.folder(edition) / store.CHANGES
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.error("edition %s: cannot read %s", edition.name, path)
        return {}
    return data


@require_safe
def edition(request: HttpRequest, name: str) -> HttpResponse:
    """One edition: how to cite it, its files, its counts, and its public change log. The same
    page for every visitor: staff find the internal package's address in docs/editions.md."""
    found = _get(name)
    changes = _changes(found)
    labels = _kind_labels()
    records = changes.get("records", {})
    incident_ids = {
        e["id"] for verb in ("added", "changed") for e in records.get("incidents", {}).get(verb, [])
    }
    linkable = {
        str(pk)
        for pk in published_incidents()
        .filter(pk__in=list(incident_ids))
        .values_list("pk", flat=True)
    }
    sections = []
    for kind in RECORD_TYPES:
        entries = records.get(kind, {})
        groups = []
        for verb, title in (
            ("added", _("Added")),
            ("changed", _("Changed")),
            ("removed", _("Removed")),
        ):
            items = entries.get(verb, [])
            if not items:
                continue
            groups.append(
                {
                    "title": title,
                    "total": len(items),
                    "more": max(0, len(items) - ENTRIES_SHOWN),
                    "items": [
                        {
                            "id": item["id"],
                            "label": item.get("label", ""),
                            "href": reverse("incident", args=[item["id"]])
                            if kind == "incidents" and item["id"] in linkable
                            else "",
                            "fields": [
                                {
                                    "field": f["field"],
                                    "old": show(f["old"]) if "old" in f else None,
                                    "new": show(f["new"]),
                                }
                                for f in item.get("fields", [])
                            ],
                        }
                        for item in items[:ENTRIES_SHOWN]
                    ],
                }
            )
        if groups:
            sections.append({"kind": kind, "title": labels[kind], "groups": groups})
    summary = [
        {"title": labels[kind], **changes.get("summary", {}).get(kind, {})}
        for kind in RECORD_TYPES
        if changes.get("summary", {}).get(kind)
    ]
    return render(
        request,
        "public/edition.html",
        {
            "edition": _row(found),
            "summary": summary,
            "sections": sections,
            "has_previous": found.previous is not None,
        },
    )


def _serve(edition: Edition, filename: str, download_name: str, content_type: str) -> Any:
    path = store.folder(edition) / filename
    expected = edition.files.get(filename)
    if expected is None or not path.is_file():
        raise Http404()
    if store.sha256_file(path) != expected:
        # Never hand out a file that is not what was published under this edition's hash.
        log.error("edition %s: %s fails its SHA-256 check", edition.name, filename)
        return HttpResponse(
            _("This file fails its integrity check and is not served."),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    return FileResponse(
        open(path, "rb"), as_attachment=True, filename=download_name, content_type=content_type
    )


@require_safe
def download(request: HttpRequest, name: str, audience: str) -> Any:
    """An edition's data package: the public one for everyone, the internal one for cleared
    staff only. Both downloads are audited."""
    found = _get(name)
    if audience not in store.PACKAGES:
        raise Http404()
    if audience == INTERNAL and not may_see_confidential(request.user):
        if has_role(request.user):
            return HttpResponse(
                _("The internal package is for editors and admins only."),
                status=403,
                content_type="text/plain; charset=utf-8",
            )
        raise Http404()  # outsiders are not told what staff may download
    response = _serve(
        found,
        store.PACKAGES[audience],
        f"exiledb-{found.name}-{audience}-datapackage.zip",
        "application/zip",
    )
    if isinstance(response, FileResponse):
        if audience == INTERNAL:
            audit.record(
                request.user,
                "export",
                audience=INTERNAL,
                format="datapackage",
                edition=found.name,
                via="web",
                request=request,
            )
        else:
            # No client address: public readers (exiles among them) leave no trace.
            audit.record(
                request.user,
                "export",
                audience=PUBLIC,
                format="datapackage",
                edition=found.name,
                via="web",
            )
    return response


@require_safe
def changes(request: HttpRequest, name: str) -> Any:
    """The edition's public change log as JSON (the page shows the first entries)."""
    found = _get(name)
    return _serve(
        found, store.CHANGES, f"exiledb-{found.name}-changes-public.json", "application/json"
    )

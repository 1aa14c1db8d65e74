"""Public pages: the overview, incident pages, cases, the methodology and the downloads.

Every page reads through the access policy's Publication (exiledb.access.policy) and is the same
for every visitor, signed in or not: the public site shows the public view, staff use the editor.
A record the public may not see answers 404, exactly as one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, override
from django.views.decorators.http import require_safe

from exiledb.access import audit
from exiledb.access.policy import (
    Publication,
    published_incidents,
)
from exiledb.analysis import stats, stored
from exiledb.cases.models import Incident
from exiledb.explore import filters as explore_filters
from exiledb.explore import index as explore_index
from exiledb.explore.models import Entry
from exiledb.ingest.serialize import iter_records
from exiledb.vocab import CODEBOOK_VERSION, VOCABULARIES, case_stage, codebook

from . import cases as case_data
from . import charts, display, network

CASES_PER_PAGE = 50
CASE_SORTS = ("name", "stage")
QUERY_MAX = 200
LATEST = 8
# stats.FLOOR_NOTE, marked for makemessages: the pages show it translated (the figures and
# `exiledb stats` keep it in English). tests/test_i18n.py fails when the two differ.
gettext_noop(
    "Counts of documented incidents and cases only: a floor, not an estimate of how "
    "much repression took place."
)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    # The public figures for every visitor: staff see more in the editor, not here.
    got = stored.read(stale_ok=True)  # after a change, the last figures while new are counted
    figures = got.figures
    tactics = [
        (codebook.TACTICS.label(code), n)
        for code, n in list(figures["incidents"]["by_tactic"].items())[:10]
    ]
    hosts = [
        (display.country(code), n)
        for code, n in list(figures["incidents"]["by_host_country"].items())[:10]
    ]
    by_year = {int(y): n for y, n in figures["incidents"]["by_year"].items()}
    years = (
        [(str(y), by_year.get(y, 0)) for y in range(min(by_year), max(by_year) + 1)]
        if by_year
        else []
    )
    year_unknown = figures["incidents"]["total"] - sum(by_year.values())
    return render(
        request,
        "public/home.html",
        {
            "figures": figures,
            "figures_counted_at": None if got.current else got.computed_at,
            "floor_note": _(stats.FLOOR_NOTE),
            "tactics": tactics,
            "hosts": hosts,
            "years": years,
            "year_unknown": year_unknown,
            "charts": charts.overview(figures, hosts, years),
            "latest": _latest(),
        },
    )


def _latest() -> list[dict[str, Any]]:
    """The most recent published incidents by date, for the overview."""
    recent = published_incidents().order_by(F("date_earliest").desc(nulls_last=True), "title")
    # their keys first: as a sliced subquery, the ordering ran again inside every query of the
    # public view (seconds at a million incidents)
    latest = list(recent.values_list("pk", flat=True)[:LATEST])
    pub = Publication(scope=Incident.objects.filter(pk__in=latest))
    rows = [_incident_row(rec) for rec in pub.records("incidents")]
    return sorted(rows, key=lambda r: r["sort"], reverse=True)


def _incident_row(rec: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": rec["id"],
        "title": rec["title"],
        "when": display.date_range_text(rec["date"], rec["date_end"]),
        "sort": display.sort_key(rec["date"])[1] if rec["date"] else dt.date.min,
        "where": display.place_text(rec),
        "stage": display.stage_text(rec["stage"]),
        "stage_code": rec["stage"],
        "proxy": rec["proxy"],
    }


@require_safe
def data(request: HttpRequest) -> HttpResponse:
    from exiledb.ingest.export import citation, metadata

    from . import editions

    meta = metadata("public")
    return render(
        request,
        "public/data.html",
        {
            "licence": meta["licence"],
            "citation": citation("public", dt.date.today()),
            "editions": editions.listing(),
        },
    )


@require_safe
def download(request: HttpRequest, fmt: str) -> FileResponse:
    """Public exports only: an anonymous reader's view, whoever asks."""
    from exiledb.ingest.export import DOWNLOADS, cached_download

    if fmt not in DOWNLOADS:
        raise Http404("no such download")
    with override("en"):  # the files keep English labels, whatever language the reader chose
        path = cached_download(fmt, "public")
    # No client address: public readers (exiles among them) leave no trace beyond the event.
    audit.record(request.user, "export", audience="public", format=fmt, via="web")
    return FileResponse(
        open(path, "rb"), as_attachment=True, filename=path.name, content_type=DOWNLOADS[fmt][1]
    )


# --- incident pages ----------------------------------------------------------------------------


def _citations(pub: Publication, citations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Public citations (the transform has withheld protected names from their quotes) with
    their public sources."""
    sources = dict(case_data.public_records(pub, "sources", {c["source"] for c in citations}))
    return [
        {
            "source": _source_row(sources[c["source"]]),
            "locator": c["locator"],
            "quote": c["quote"],
        }
        for c in citations
        if c["source"] in sources
    ]


def _source_row(rec: dict[str, Any]) -> dict[str, Any]:
    return {
        **rec,
        "type_label": codebook.SOURCE_TYPES.label(rec["type"]),
        "when": display.date_text(rec["date"]) if rec["date"] else "",
        "url": rec["url"] if rec["url"].startswith(("http://", "https://")) else "",
        "archive_url": rec["archive_url"]
        if rec["archive_url"].startswith(("http://", "https://"))
        else "",
    }


@require_safe
def incident(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """One published incident: who, what, where, when, according to whom."""
    pub = Publication(scope=published_incidents().filter(pk=pk))
    rec = next(pub.records("incidents"), None)
    if rec is None:
        raise Http404()
    people = [
        pid for inv in rec["involvements"] for pid in (inv["person"], inv["linked_exile"]) if pid
    ]
    with_cases = case_data.cases_among(set(people))

    def person(pid: str | None) -> dict[str, Any] | None:
        if pid is None:
            return None
        href = reverse("case", args=[pid]) if pid in with_cases else ""
        return {"name": pub.public_name(pid), "href": href}

    involvements = [
        {
            "role": codebook.INVOLVEMENT_ROLES.label(inv["role"]),
            "person": person(inv["person"]),
            "description": inv["description"],
            "exile": person(inv["linked_exile"]),
        }
        for inv in rec["involvements"]
    ]
    tactics = [
        {
            "label": codebook.TACTICS.label(code),
            "stage": codebook.TACTICS.get(code).stage,
            "proxy": codebook.TACTICS.get(code).group == "proxy",
        }
        for code in rec["tactics"]
        if code in codebook.TACTICS
    ]
    organizations = dict(case_data.public_records(pub, "organizations", rec["perpetrators"]))
    return render(
        request,
        "public/incident.html",
        {
            "rec": rec,
            "when": display.date_range_text(rec["date"], rec["date_end"]),
            "where": display.place_text(rec),
            "origin": display.country(rec["origin_country"]),
            "host_state_role": codebook.HOST_STATE_ROLES.label(rec["host_state_role"]),
            "legal_channel": codebook.LEGAL_CHANNELS.label(rec["legal_channel"]),
            "outcome": codebook.OUTCOMES.label(rec["outcome"]),
            "confidence": codebook.CONFIDENCE.label(rec["confidence"]),
            "stage": display.stage_text(rec["stage"]),
            "trigger_date": display.date_text(rec["trigger_date"]) if rec["trigger_date"] else "",
            "tactics": tactics,
            "involvements": involvements,
            "perpetrators": [_org_name(o) for o in organizations.values()],
            "citations": _citations(pub, rec["citations"]),
        },
    )


def _org_name(rec: dict[str, Any]) -> str:
    return f"{rec['name']} ({rec['abbreviation']})" if rec["abbreviation"] else rec["name"]


# --- cases -------------------------------------------------------------------------------------


@require_safe
def cases(request: HttpRequest) -> HttpResponse:
    """The targeted persons, searchable by public name and published spellings."""
    query = request.GET.get("q", "").strip()[:QUERY_MAX]
    sort = request.GET.get("sort", "name")
    if sort not in CASE_SORTS:
        sort = "name"
    pub = Publication()
    found = list(case_data.cases(pub).values())
    if query:
        case_data.load(pub, found)
        found = [c for c in found if case_data.matches(c.record, query)]
    if sort == "stage":
        found.sort(key=lambda c: (-(c.stage or 0), case_data.fold(c.name)))
    else:
        found.sort(key=lambda c: case_data.fold(c.name))
    page = Paginator(found, CASES_PER_PAGE).get_page(request.GET.get("page"))
    case_data.load(pub, page.object_list)
    rows = [
        {
            "href": reverse("case", args=[c.id]),
            "name": c.name,
            "stage": display.stage_text(c.stage),
            "incidents": len(c.incidents),
            "categories": [
                codebook.EXILE_CATEGORIES.label(x) for x in c.record.get("categories", [])
            ],
        }
        for c in page.object_list
    ]

    def link(number: int) -> str:
        params = {"q": query, "sort": sort, "page": number}
        return "?" + urlencode({k: v for k, v in params.items() if v})

    return render(
        request,
        "public/cases.html",
        {
            "rows": rows,
            "page": page,
            "query": query,
            "sort": sort,
            "total": len(found),
            "previous": link(page.previous_page_number()) if page.has_previous() else "",
            "next": link(page.next_page_number()) if page.has_next() else "",
            "sort_links": {
                s: "?" + urlencode({"q": query, "sort": s} if query else {"sort": s})
                for s in CASE_SORTS
            },
        },
    )


def _tie_sentence(person: str, kinship: str, other: str) -> str:
    return _("%(person)s is the %(kinship)s of %(other)s.") % {
        "person": person,
        "kinship": codebook.KINSHIP.label(kinship),
        "other": other,
    }


@require_safe
def case(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """A targeted person: profile, timeline, relatives and sources."""
    pid = str(pk)
    pub = Publication(scope=case_data.case_scope(pid))
    person = dict(case_data.public_records(pub, "persons", [pid])).get(pid)
    if person is None:
        raise Http404()
    name = pub.public_name(pid) or ""
    timeline: list[dict[str, Any]] = []
    targeted: dict[str, int] = {}  # relatives targeted because of this person: incident counts
    source_ids: set[str] = {c["source"] for c in person["citations"]}
    for rec in pub.records("incidents"):
        direct = any(i["role"] == "target" and i["person"] == pid for i in rec["involvements"])
        linked = [i for i in rec["involvements"] if i["linked_exile"] == pid]
        if not (direct or linked):
            continue
        for inv in linked:
            if inv["person"] and inv["person"] != pid:
                targeted[inv["person"]] = targeted.get(inv["person"], 0) + 1
        source_ids |= {c["source"] for c in rec["citations"]}
        timeline.append(
            {
                **_incident_row(rec),
                "key": display.sort_key(rec["date"]),
                "against": _("this person") if direct else _("relatives or associates"),
            }
        )
    if not timeline:
        raise Http404()  # a public person, but not a case
    timeline.sort(key=lambda row: (row["key"], row["title"]))
    stage = case_stage([row["stage_code"] for row in timeline])

    ties: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    rels = pub.relationship_qs.filter(Q(person=pid) | Q(other=pid))
    for raw in iter_records("relationships", rels):
        rel = pub.transform("relationships", raw)
        if rel is None:
            continue
        other = rel["other"] if rel["person"] == pid else rel["person"]
        other_name = pub.public_name(other) or ""
        source_ids |= {c["source"] for c in rel["citations"]}
        if rel["other"] == pid:
            ties.setdefault(other, []).append(_tie_sentence(other_name, rel["kinship"], name))
            labels.setdefault(other, codebook.KINSHIP.label(rel["kinship"]))
        else:
            ties.setdefault(other, []).append(_tie_sentence(name, rel["kinship"], other_name))
            labels.setdefault(
                other, _("is %(kinship)s of") % {"kinship": codebook.KINSHIP.label(rel["kinship"])}
            )
    for other in targeted:
        if other not in ties:
            ties[other] = [
                _("Targeted because of %(name)s; the tie is not on the public record.")
                % {"name": name}
            ]
            labels[other] = _("tie not public")
    with_cases = case_data.cases_among(ties)
    relatives: list[dict[str, Any]] = [
        {
            "name": pub.public_name(other) or "",
            "tie": labels[other],
            "sentences": sentences,
            "href": reverse("case", args=[other]) if other in with_cases else "",
            "targeted": targeted.get(other, 0),
        }
        for other, sentences in ties.items()
    ]
    relatives.sort(key=lambda r: (-r["targeted"], case_data.fold(r["name"])))
    height, cx, cy, nodes = network.layout(relatives)
    organizations = dict(
        case_data.public_records(
            pub, "organizations", {a["organization"] for a in person["affiliations"]}
        )
    )
    sources = sorted(
        (_source_row(s) for _pid, s in case_data.public_records(pub, "sources", source_ids)),
        key=lambda s: (display.sort_key(s["date"]), s["title"]),
    )
    return render(
        request,
        "public/case.html",
        {
            "name": name,
            "person": person,
            "origin": display.country(person["origin_country"]),
            "categories": [codebook.EXILE_CATEGORIES.label(c) for c in person["categories"]],
            "spellings": [
                {**n, "script_label": codebook.SCRIPTS.label(n["script"])} for n in person["names"]
            ],
            "affiliations": [
                {
                    "organization": _org_name(organizations[a["organization"]]),
                    "role": codebook.AFFILIATION_ROLES.label(a["role"]),
                    "when": _period(a["date_from"], a["date_to"]),
                }
                for a in person["affiliations"]
                if a["organization"] in organizations
            ],
            "residences": [
                {
                    "country": display.country(r["country"]),
                    "when": _period(r["date_from"], r["date_to"]),
                    "status": codebook.ASYLUM_STATUS.label(r["asylum_status"]),
                }
                for r in person["residences"]
            ],
            "stage": display.stage_text(stage),
            "timeline": timeline,
            "relatives": relatives,
            "network": {
                "width": network.WIDTH,
                "height": height,
                "cx": cx,
                "cy": cy,
                "label_y": cy + 30,
                "nodes": nodes,
            },
            "sources": sources,
        },
    )


def _period(start: str, end: str) -> str:
    if start and end:
        return _("%(start)s to %(end)s") % {
            "start": display.date_text(start),
            "end": display.date_text(end),
        }
    if start:
        return _("since %(start)s") % {"start": display.date_text(start)}
    if end:
        return _("until %(end)s") % {"end": display.date_text(end)}
    return _("dates unknown")


# --- methodology -------------------------------------------------------------------------------

# Who hears removal and correction requests: EXILEDB_CONTACT_EMAIL, read on each request.
CONTACT_DEFAULT = gettext_lazy("the maintainers of this site")


@require_safe
def methodology(request: HttpRequest) -> HttpResponse:
    """How the data is made, generated from the codebook so that it cannot drift from it."""
    contact = os.environ.get("EXILEDB_CONTACT_EMAIL", "").strip() or str(CONTACT_DEFAULT)
    vocabularies = [
        {
            "vocab": vocab,
            "slug": vocab.name.replace("_", "-"),
            "has_stage": vocab is codebook.TACTICS,
            "has_group": any(c.group for c in vocab.codes),
        }
        for vocab in VOCABULARIES
    ]
    return render(
        request,
        "public/methodology.html",
        {
            "vocabularies": vocabularies,
            "stages": codebook.STAGES.codes,
            "version": CODEBOOK_VERSION,
            "contact": contact,
            "contact_is_email": "@" in contact and " " not in contact,
            "floor_note": _(stats.FLOOR_NOTE),
        },
    )


# --- the faceted list of incidents -------------------------------------------------------------

INCIDENTS_PER_PAGE = 50


def _entry_row(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.incident_id,
        "title": entry.title,
        "when": display.date_range_text(entry.date, entry.date_end),
        "where": display.place_text(
            {
                "country": entry.country,
                "place": entry.place,
                "region": entry.region,
                "place_precision": entry.place_precision,
            }
        ),
        "stage": display.stage_text(entry.stage),
        "kind": explore_filters.KINDS.get(entry.kind, entry.kind),
    }


@require_safe
def incidents(request: HttpRequest) -> HttpResponse:
    """Every published incident, narrowed by facets and full-text search (exiledb.explore)."""
    generation = explore_index.fresh()  # the index writes English text whoever reads first
    query = explore_filters.Query.parse(request.GET)
    selection = query.selection(generation)
    counts = selection.counts()
    total = counts["total"]
    paginator = Paginator(range(total), INCIDENTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    start = (page.number - 1) * INCIDENTS_PER_PAGE
    rows = [_entry_row(e) for e in selection.page(start, INCIDENTS_PER_PAGE)]

    def link(params: list[tuple[str, str]]) -> str:
        return "?" + urlencode(params) if params else "?"

    return render(
        request,
        "public/incidents.html",
        {
            "query": query,
            "rows": rows,
            "total": total,
            "page": page,
            "facets": [
                {**facet, "top": _linked(facet["top"], link), "more": _linked(facet["more"], link)}
                for facet in explore_filters.facet_list(query, counts)
            ],
            "chosen": [
                {
                    "label": explore_filters.BY_PARAM[param].label,
                    "value": explore_filters.BY_PARAM[param].label_of(value),
                    "href": link(query.toggled(param, value)),
                }
                for param, values in query.selected.items()
                for value in values
            ],
            "problems": query.problems,
            "sorts": [
                {"label": _("newest first"), "value": "-date"},
                {"label": _("oldest first"), "value": "date"},
            ],
            "hidden": [(k, v) for k, v in query.params() if k not in ("q", "sort")],
            "previous": link(query.params(page=page.previous_page_number()))
            if page.has_previous()
            else "",
            "next": link(query.params(page=page.next_page_number())) if page.has_next() else "",
            "clear": reverse("incidents"),
            "map_link": reverse("map") + link(query.params()),
        },
    )


def _linked(items: list[dict[str, Any]], link: Any) -> list[dict[str, Any]]:
    return [{**item, "href": link(item["params"])} for item in items]

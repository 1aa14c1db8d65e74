"""Reading records for the API, through the access policy.

The public persona (anonymous, or an account without a role) reads what the public site
shows: incidents from the public index, filtered by the site's own `explore.filters.Query`,
and every record in its `Publication` form. A token whose account has a role reads what the
editor shows that role: `policy.visible` records with the fields it may not see blanked, and
no reference to a confidential person, source or organisation.

Lists are paged with opaque cursors over a stable order (newest first by earliest date for
incidents, then by id; by id for the rest), so records added while a client pages through
never shift the pages it has not read yet.
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import io
import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse

from exiledb.access import policy
from exiledb.access.policy import Publication
from exiledb.cases.models import (
    Incident,
    Name,
    Organization,
    Person,
    PersonCategory,
    Relationship,
    Source,
)
from exiledb.explore import filters, index
from exiledb.explore.models import Entry
from exiledb.ingest import serialize
from exiledb.names.lookup import spelled_like
from exiledb.vocab import COUNTRIES, codebook

from . import schemas
from .auth import Persona
from .errors import ApiError, field

KINDS = ("incidents", "persons", "sources", "organizations", "relationships")
MODELS: dict[str, Any] = {
    "incidents": Incident,
    "persons": Person,
    "sources": Source,
    "organizations": Organization,
    "relationships": Relationship,
}
SCHEMAS: dict[str, Any] = {
    "incidents": schemas.Incident,
    "persons": schemas.Person,
    "sources": schemas.Source,
    "organizations": schemas.Organization,
    "relationships": schemas.Relationship,
}
LIMIT_DEFAULT, LIMIT_MAX = 50, 500
COMMON = ("cursor", "limit", "fields", "format")
# The filters each list takes besides COMMON (incidents: the site's facets and search).
EXTRA: dict[str, tuple[str, ...]] = {
    "incidents": (*(p for p in filters.PARAMS if p != "page"), "facets"),
    "persons": ("q", "category", "origin"),
    "sources": ("q", "type", "language"),
    "organizations": ("q", "type", "country"),
    "relationships": ("person", "kinship"),
}

# --- the public view, cached per index generation ----------------------------------------------

_PUBLIC: dict[str, tuple[str, Publication]] = {}


def publication() -> Publication:
    """The public view of everything, built once per index generation: every write that can
    change what the public sees moves the generation on (exiledb.explore.signals)."""
    generation = index.fresh()
    cached = _PUBLIC.get("all")
    if cached is not None and cached[0] == generation:
        return cached[1]
    pub = Publication()
    _PUBLIC["all"] = (generation, pub)
    return pub


# --- parameters --------------------------------------------------------------------------------


def check_params(kind: str, params: Mapping[str, Any]) -> None:
    allowed = set(COMMON) | set(EXTRA[kind])
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ApiError(
            422,
            f"Unknown parameter(s): {', '.join(unknown)}.",
            [
                field(
                    f"query.{name}",
                    f"not a parameter of this list (use: {', '.join(sorted(allowed))})",
                )
                for name in unknown
            ],
        )


def limit_of(params: Mapping[str, Any]) -> int:
    raw = str(params.get("limit") or LIMIT_DEFAULT)
    if not raw.isdigit() or not 1 <= int(raw) <= LIMIT_MAX:
        raise ApiError(
            422, "limit must be a whole number", [field("query.limit", f"use 1 to {LIMIT_MAX}")]
        )
    return int(raw)


def fields_of(kind: str, params: Mapping[str, Any]) -> list[str] | None:
    raw = str(params.get("fields") or "").strip()
    if not raw:
        return None
    known = list(SCHEMAS[kind].model_fields)
    wanted = [f.strip() for f in raw.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in known]
    if unknown:
        raise ApiError(
            422,
            f"Unknown field(s): {', '.join(unknown)}.",
            [field("query.fields", f"'{f}' is not a field of {kind}") for f in unknown],
        )
    return ["id", *(f for f in dict.fromkeys(wanted) if f != "id")]


def select(recs: list[dict[str, Any]], wanted: list[str] | None) -> list[dict[str, Any]]:
    if wanted is None:
        return recs
    return [{k: rec.get(k) for k in wanted} for rec in recs]


def encode_cursor(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def decode_cursor(raw: str) -> dict[str, Any]:
    try:
        state = json.loads(base64.urlsafe_b64decode(raw.encode() + b"=" * (-len(raw) % 4)))
        uuid.UUID(str(state["i"]))
        if state.get("d") is not None:
            dt.date.fromisoformat(state["d"])
        return dict(state)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
        raise ApiError(
            400,
            "The cursor is not one this API gave out: start again without it.",
            [field("query.cursor", "malformed cursor")],
            code="bad_cursor",
        ) from None


# --- what a persona sees of a record -----------------------------------------------------------


def internal(kind: str, recs: list[dict[str, Any]], persona: Persona) -> list[dict[str, Any]]:
    """Records as the editor shows them to this persona's role: confidential fields blanked
    and references to confidential records dropped unless the role is cleared."""
    if policy.may_see_confidential(persona.user):
        return recs
    hidden = policy.CONFIDENTIAL_FIELDS.get(kind, ())
    secret = _confidential_ids(recs)
    out = []
    for rec in recs:
        rec = dict(rec)
        for key in hidden:
            rec[key] = ""
        if "citations" in rec:
            rec["citations"] = [c for c in rec["citations"] if c["source"] not in secret]
        if "names" in rec:
            rec["names"] = [
                {**n, "source": None if n["source"] in secret else n["source"]}
                for n in rec["names"]
            ]
        if "affiliations" in rec:
            rec["affiliations"] = [
                a for a in rec["affiliations"] if a["organization"] not in secret
            ]
        if "perpetrators" in rec:
            rec["perpetrators"] = [o for o in rec["perpetrators"] if o not in secret]
        if "involvements" in rec:
            kept = []
            for inv in rec["involvements"]:
                inv = dict(inv)
                for key in ("person", "linked_exile"):
                    if inv[key] in secret:
                        inv[key] = None
                if inv["person"] is None and not inv["description"]:
                    inv["description"] = "a person whose record is confidential"
                kept.append(inv)
            rec["involvements"] = kept
        out.append(rec)
    return out


def _confidential_ids(recs: Iterable[dict[str, Any]]) -> set[str]:
    refs: set[str] = set()
    for rec in recs:
        refs.update(c["source"] for c in rec.get("citations", []) if c["source"])
        refs.update(n["source"] for n in rec.get("names", []) if n["source"])
        refs.update(a["organization"] for a in rec.get("affiliations", []) if a["organization"])
        refs.update(rec.get("perpetrators", []))
        for inv in rec.get("involvements", []):
            refs.update(p for p in (inv["person"], inv["linked_exile"]) if p)
        refs.update(rec[k] for k in ("person", "other") if isinstance(rec.get(k), str))
    found: set[str] = set()
    ids = list(refs)
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for model in (Person, Source, Organization):
            found.update(
                str(pk)
                for pk in model.objects.filter(pk__in=chunk, visibility="confidential").values_list(
                    "pk", flat=True
                )
            )
    return found


def visible_queryset(kind: str, persona: Persona) -> QuerySet[Any]:
    """The records of one type this persona may see."""
    if persona.public:
        if kind == "incidents":
            return policy.published_incidents()
        return publication().querysets()[kind]
    return policy.visible(MODELS[kind].objects.all(), persona.user)


def detail(kind: str, pk: uuid.UUID, persona: Persona) -> dict[str, Any]:
    """One record as this persona sees it; 404 when it may not see it (or it does not exist:
    the two are not told apart)."""
    missing = ApiError(404, f"No such {kind[:-1]}.")
    if persona.public:
        if kind == "incidents":
            # The public index holds the public record of every incident the public may see.
            index.fresh()
            found = Entry.objects.filter(incident_id=pk).values_list("record", flat=True).first()
            if not found:
                raise missing
            return dict(json.loads(found))
        pub = publication()
        rec = serialize.records_by_id(kind, [str(pk)]).get(str(pk))
        out = pub.transform(kind, rec) if rec is not None else None
        if out is None:
            raise missing
        return out
    if not visible_queryset(kind, persona).filter(pk=pk).exists():
        raise missing
    rec = serialize.records_by_id(kind, [str(pk)])[str(pk)]
    return internal(kind, [rec], persona)[0]


# --- lists -------------------------------------------------------------------------------------


class Listing:
    """One page of a list: the records, how many match, and the next cursor."""

    def __init__(self, results: list[dict[str, Any]], count: int, cursor: str | None) -> None:
        self.results = results
        self.count = count
        self.cursor = cursor
        self.facets: dict[str, dict[str, int]] | None = None


def _by_date(qs: QuerySet[Any], key: str, sort: str, state: dict[str, Any] | None) -> QuerySet[Any]:
    """Order by earliest date (nulls last) then `key`, and start after the cursor's row."""
    newest = sort != "date"
    if state is not None:
        last = uuid.UUID(state["i"])
        before = "lt" if newest else "gt"
        if state.get("d") is None:
            qs = qs.filter(**{"date_earliest__isnull": True, f"{key}__{before}": last})
        else:
            day = dt.date.fromisoformat(state["d"])
            qs = qs.filter(
                Q(**{f"date_earliest__{before}": day})
                | Q(date_earliest=day, **{f"{key}__{before}": last})
                | Q(date_earliest__isnull=True)
            )
    date = F("date_earliest")
    first = date.desc(nulls_last=True) if newest else date.asc(nulls_last=True)
    return qs.order_by(first, f"-{key}" if newest else key)


def incidents(request: HttpRequest, persona: Persona) -> Listing:
    params = request.GET
    check_params("incidents", params)
    query = filters.Query.parse(params)
    if query.problems:
        raise ApiError(
            422,
            "; ".join(p.message for p in query.problems),
            [field(f"query.{p.param}", p.message) for p in query.problems],
        )
    limit = limit_of(params)
    state = decode_cursor(str(params["cursor"])) if params.get("cursor") else None
    facets = str(params.get("facets", "")).lower()
    if facets not in ("", "true", "false", "1", "0"):
        raise ApiError(
            422, "facets must be true or false", [field("query.facets", "use true or false")]
        )
    if persona.public:
        generation = index.fresh()
        matches = query.entries()
        # The index holds each incident's public record, written through the policy: a page
        # is one query.
        page = list(
            _by_date(matches, "incident_id", query.sort, state).values_list(
                "incident_id", "date_earliest", "record"
            )[: limit + 1]
        )
        rows = [(pk, day) for pk, day, _ in page]
        results = [json.loads(record) for _, _, record in page[:limit]]
        selection = query.selection(generation)
        counted = selection.counts() if facets in ("true", "1") else None
        total = selection.total
    else:
        matches = query.incidents(policy.visible(Incident.objects.all(), persona.user))
        rows = list(
            _by_date(matches, "id", query.sort, state).values_list("id", "date_earliest")[
                : limit + 1
            ]
        )
        ids = [str(r[0]) for r in rows[:limit]]
        found = serialize.records_by_id("incidents", ids)
        results = internal("incidents", [found[i] for i in ids if i in found], persona)
        counted = None
        total = matches.count()
    cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        cursor = encode_cursor({"d": last[1].isoformat() if last[1] else None, "i": str(last[0])})
    listing = Listing(results, total, cursor)
    if counted is not None:
        listing.facets = counted["facets"]
    return listing


def others(kind: str, request: HttpRequest, persona: Persona) -> Listing:
    params = request.GET
    check_params(kind, params)
    limit = limit_of(params)
    state = decode_cursor(str(params["cursor"])) if params.get("cursor") else None
    qs = _filtered(kind, visible_queryset(kind, persona), params, persona)
    total = qs.count()
    if state is not None:
        qs = qs.filter(pk__gt=uuid.UUID(state["i"]))
    ids = [str(pk) for pk in qs.order_by("pk").values_list("pk", flat=True)[: limit + 1]]
    page = ids[:limit]
    found = serialize.records_by_id(kind, page)
    recs = [found[i] for i in page if i in found]
    if persona.public:
        pub = publication()
        results = [out for rec in recs if (out := pub.transform(kind, rec)) is not None]
    else:
        results = internal(kind, recs, persona)
    cursor = encode_cursor({"i": page[-1]}) if len(ids) > limit else None
    return Listing(results, total, cursor)


def _values(params: Mapping[str, Any], name: str) -> list[str]:
    getlist = getattr(params, "getlist", None)
    raw = getlist(name) if getlist else [params.get(name, "")]
    return [v.strip() for value in raw for v in str(value).split(",") if v.strip()]


def _checked(name: str, values: list[str], valid: Any) -> list[str]:
    wrong = [v for v in values if v not in valid]
    if wrong:
        raise ApiError(
            422,
            f"{name}: unknown value(s) {', '.join(wrong)}",
            [field(f"query.{name}", f"unknown value '{v}'") for v in wrong],
        )
    return values


def _filtered(
    kind: str, qs: QuerySet[Any], params: Mapping[str, Any], persona: Persona
) -> QuerySet[Any]:
    q = str(params.get("q") or "").strip()[: filters.QUERY_MAX]
    if kind == "persons":
        if values := _checked("category", _values(params, "category"), codebook.EXILE_CATEGORIES):
            qs = qs.filter(
                pk__in=PersonCategory.objects.filter(category__in=values).values("person")
            )
        if values := _values(params, "origin"):
            qs = qs.filter(
                origin_country__in=_checked("origin", [v.upper() for v in values], COUNTRIES)
            )
        if q:
            qs = qs.filter(_person_search(q, persona, qs))
    elif kind == "sources":
        if values := _checked("type", _values(params, "type"), codebook.SOURCE_TYPES):
            qs = qs.filter(type__in=values)
        if values := _values(params, "language"):
            qs = qs.filter(language__in=values)
        if q:
            qs = qs.filter(
                Q(title__icontains=q) | Q(publisher__icontains=q) | Q(author__icontains=q)
            )
    elif kind == "organizations":
        if values := _checked("type", _values(params, "type"), codebook.ORGANIZATION_TYPES):
            qs = qs.filter(type__in=values)
        if values := _values(params, "country"):
            qs = qs.filter(country__in=_checked("country", [v.upper() for v in values], COUNTRIES))
        if q:
            qs = qs.filter(Q(name__icontains=q) | Q(abbreviation__icontains=q))
    elif kind == "relationships":
        if values := _values(params, "person"):
            try:
                people = [uuid.UUID(v) for v in values]
            except ValueError:
                raise ApiError(
                    422, "person must be a person's id", [field("query.person", "not a UUID")]
                ) from None
            qs = qs.filter(Q(person__in=people) | Q(other__in=people))
        if values := _checked("kinship", _values(params, "kinship"), codebook.KINSHIP):
            qs = qs.filter(kinship__in=values)
    return qs


def _person_search(q: str, persona: Persona, among: QuerySet[Any]) -> Q:
    """A spelling or the display name contains the text, or is another spelling of it
    (exiledb.names: "Khodoydodova" and "Худойдодова" find Shabnam Khudoydodova), as the site's
    and the editor's searches match. For the public only the spellings of people who may be
    named count (the others are found by their public name, which the list shows)."""
    names = Name.objects.filter(value__icontains=q)
    shown = Q(display_name__icontains=q)
    nameable = among
    if persona.public:
        names = names.filter(person__may_be_named=True, person__is_minor=False)
        shown &= Q(may_be_named=True, is_minor=False)
        nameable = among.filter(may_be_named=True, is_minor=False)
    like = spelled_like(nameable, q)
    return shown | Q(pk__in=names.values("person")) | Q(pk__in=like)


# --- CSV ---------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return "; ".join(str(v) for v in value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def as_csv(
    kind: str, listing: Listing, wanted: list[str] | None, next_url: str | None
) -> HttpResponse:
    """One page as CSV (UTF-8, a header row): lists of codes joined by '; ', nested records
    as JSON; the next page's URL in the Link header."""
    columns = wanted or list(SCHEMAS[kind].model_fields)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for rec in listing.results:
        writer.writerow([_cell(rec.get(c)) for c in columns])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="exiledb-{kind}.csv"'
    response["X-Total-Count"] = str(listing.count)
    if next_url:
        response["Link"] = f'<{next_url}>; rel="next"'
    return response

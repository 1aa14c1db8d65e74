"""Database rows to canonical interchange records (the inverse of the writer).

The writer compares these against incoming records to tell created / updated / unchanged, and
the exporters write them. Children are ordered by insertion so a round trip keeps file order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db.models import Prefetch, QuerySet

from exiledb.cases import models as m


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def _cit(c: m.Citation) -> dict[str, Any]:
    return {"source": _s(c.source_id), "locator": c.locator, "quote": c.quote, "note": c.note}


_ORDERED = lambda model: model.objects.order_by("pk")  # noqa: E731


def _prefetches(kind: str) -> list[Any]:
    cit = Prefetch("citations", queryset=_ORDERED(m.Citation))
    if kind == "persons":
        return [
            Prefetch("names", queryset=_ORDERED(m.Name)),
            Prefetch("categories", queryset=_ORDERED(m.PersonCategory)),
            Prefetch("residences", queryset=_ORDERED(m.Residence)),
            Prefetch("affiliations", queryset=_ORDERED(m.Affiliation)),
            cit,
        ]
    if kind == "organizations":
        return [Prefetch("designations", queryset=_ORDERED(m.Designation)), cit]
    if kind == "relationships":
        return [cit]
    if kind == "incidents":
        return [
            Prefetch("tactics", queryset=_ORDERED(m.IncidentTactic)),
            Prefetch("involvements", queryset=_ORDERED(m.Involvement)),
            Prefetch("perpetrators", queryset=m.Organization.objects.only("pk")),
            cit,
        ]
    return []


MODELS: dict[str, Any] = {
    "organizations": m.Organization,
    "sources": m.Source,
    "persons": m.Person,
    "relationships": m.Relationship,
    "incidents": m.Incident,
}


def person(p: m.Person) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "display_name": p.display_name,
        "name_known": p.name_known,
        "names": [
            {
                "value": n.value,
                "script": n.script,
                "language": n.language,
                "source": _s(n.source_id),
                "note": n.note,
            }
            for n in p.names.all()
        ],
        "sex": p.sex,
        "birth_year": p.birth_year,
        "origin_country": p.origin_country,
        "categories": [c.category for c in p.categories.all()],
        "is_minor": p.is_minor,
        "may_be_named": p.may_be_named,
        "pseudonym": p.pseudonym,
        "summary": p.summary,
        "redacted": p.redacted,
        "residences": [
            {
                "country": r.country,
                "place": r.place,
                "date_from": r.date_from,
                "date_to": r.date_to,
                "asylum_status": r.asylum_status,
                "note": r.note,
            }
            for r in p.residences.all()
        ],
        "affiliations": [
            {
                "organization": _s(a.organization_id),
                "role": a.role,
                "date_from": a.date_from,
                "date_to": a.date_to,
                "confidence": a.confidence,
                "note": a.note,
            }
            for a in p.affiliations.all()
        ],
        "contact_details": p.contact_details,
        "confidential_notes": p.confidential_notes,
        "visibility": p.visibility,
        "citations": [_cit(c) for c in p.citations.all()],
    }


def organization(o: m.Organization) -> dict[str, Any]:
    return {
        "id": str(o.id),
        "name": o.name,
        "abbreviation": o.abbreviation,
        "other_names": list(o.other_names or []),
        "type": o.type,
        "country": o.country,
        "founded": o.founded,
        "dissolved": o.dissolved,
        "summary": o.summary,
        "designations": [
            {
                "type": d.type,
                "by_country": d.by_country,
                "authority": d.authority,
                "date": d.date,
                "note": d.note,
            }
            for d in o.designations.all()
        ],
        "visibility": o.visibility,
        "citations": [_cit(c) for c in o.citations.all()],
    }


def source(s: m.Source) -> dict[str, Any]:
    return {
        "id": str(s.id),
        "type": s.type,
        "title": s.title,
        "publisher": s.publisher,
        "author": s.author,
        "date": s.date,
        "url": s.url,
        "archive_url": s.archive_url,
        "sha256": s.sha256,
        "language": s.language,
        "note": s.note,
        "visibility": s.visibility,
    }


def relationship(r: m.Relationship) -> dict[str, Any]:
    return {
        "id": str(r.id),
        "person": _s(r.person_id),
        "kinship": r.kinship,
        "other": _s(r.other_id),
        "confidence": r.confidence,
        "visibility": r.visibility,
        "note": r.note,
        "citations": [_cit(c) for c in r.citations.all()],
    }


def _coord(value: Any) -> float | None:
    return None if value is None else round(float(value), 6)


def incident(i: m.Incident) -> dict[str, Any]:
    return {
        "id": str(i.id),
        "title": i.title,
        "summary": i.summary,
        "date": i.date,
        "date_end": i.date_end,
        "country": i.country,
        "region": i.region,
        "place": i.place,
        "latitude": _coord(i.latitude),
        "longitude": _coord(i.longitude),
        "place_precision": i.place_precision,
        "origin_country": i.origin_country,
        "proxy": i.is_proxy,
        "tactics": [t.tactic for t in i.tactics.all()],
        "stage": i.stage,
        "host_state_role": i.host_state_role,
        "legal_channel": i.legal_channel,
        "trigger_event": i.trigger_event,
        "trigger_date": i.trigger_date,
        "outcome": i.outcome,
        "victims_estimated": i.victims_estimated,
        "perpetrators": sorted(str(o.pk) for o in i.perpetrators.all()),
        "involvements": [
            {
                "person": _s(v.person_id),
                "role": v.role,
                "linked_exile": _s(v.linked_exile_id),
                "description": v.description,
                "note": v.note,
            }
            for v in i.involvements.all()
        ],
        "confidence": i.confidence,
        "review_status": i.review_status,
        "visibility": i.visibility,
        "confidential_notes": i.confidential_notes,
        "citations": [_cit(c) for c in i.citations.all()],
    }


SERIALIZERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "persons": person,
    "organizations": organization,
    "sources": source,
    "relationships": relationship,
    "incidents": incident,
}


def iter_records(
    kind: str, queryset: QuerySet[Any] | None = None, chunk_size: int = 2000
) -> Iterator[dict[str, Any]]:
    """Stream canonical records of one type, prefetching children a chunk at a time."""
    model = MODELS[kind]
    qs = (queryset if queryset is not None else model.objects.all()).order_by("pk")
    qs = qs.prefetch_related(*_prefetches(kind))
    serialize = SERIALIZERS[kind]
    for obj in qs.iterator(chunk_size=chunk_size):
        yield serialize(obj)


def records_by_id(kind: str, ids: Iterable[str], chunk_size: int = 900) -> dict[str, dict]:
    """Canonical records for the given ids that exist in the database."""
    model = MODELS[kind]
    ids = list(ids)
    out: dict[str, dict] = {}
    for start in range(0, len(ids), chunk_size):
        qs = model.objects.filter(pk__in=ids[start : start + chunk_size])
        for rec in iter_records(kind, qs):
            out[rec["id"]] = rec
    return out

"""Write a validated batch to the database: all or nothing, idempotent, with history.

Every format module produces a `Batch` of canonical records; this module checks references
against the batch and the database, compares each record with what is stored (created / updated
/ unchanged), and writes the changes in one transaction with bulk statements. Unchanged records
are not touched, so importing the same file twice writes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import DatabaseError, IntegrityError, models, transaction
from django.utils import timezone

from exiledb.cases import models as m

from . import serialize
from .base import RECORD_TYPES, Batch, ImportFailed, ImportProblem, Summary

Progress = Callable[[str, int], None]


def _uuid(value: str) -> Any:
    import uuid

    return uuid.UUID(value)


_CHUNK = 900  # stays under SQLite's bound-parameter limit in IN (...) lookups
_BATCH = 2000


def check_references(batch: Batch) -> list[ImportProblem]:
    """Every reference must point to a record in the batch or in the database."""
    in_batch = {kind: {r["id"] for r in batch.records[kind]} for kind in RECORD_TYPES}
    missing: dict[str, set[str]] = {kind: set() for kind in RECORD_TYPES}
    for _kind, _i, _field, target, uid, _raw in batch.refs:
        if uid not in in_batch[target]:
            missing[target].add(uid)
    found: dict[str, set[str]] = {}
    for target, uids in missing.items():
        found[target] = set()
        ids = list(uids)
        for start in range(0, len(ids), _CHUNK):
            found[target].update(
                str(pk)
                for pk in serialize.MODELS[target]
                .objects.filter(pk__in=ids[start : start + _CHUNK])
                .values_list("pk", flat=True)
            )
    problems = []
    for kind, i, field, target, uid, raw in batch.refs:
        if uid in missing[target] and uid not in found[target]:
            problems.append(
                batch.problem(
                    kind,
                    i,
                    field,
                    f"dangling reference: no {target[:-1]} with id '{raw}' in this "
                    "file or the database",
                )
            )
    problems.extend(_check_unique_relationships(batch))
    return problems


def _check_unique_relationships(batch: Batch) -> list[ImportProblem]:
    seen: dict[tuple[Any, ...], int] = {}
    problems = []
    for i, rec in enumerate(batch.records["relationships"]):
        key = (rec["person"], rec["kinship"], rec["other"])
        if key in seen:
            first = batch.problem("relationships", seen[key], "", "")
            problems.append(
                batch.problem(
                    "relationships",
                    i,
                    "kinship",
                    f"the same relationship is already given at {first.file}:{first.location}",
                )
            )
        seen.setdefault(key, i)
    return problems


def apply(
    batch: Batch,
    *,
    dry_run: bool = False,
    user: Any = None,
    reason: str = "",
    progress: Progress | None = None,
) -> Summary:
    """Validate references, then write the batch atomically. Raise ImportFailed on problems."""
    problems = batch.problems + check_references(batch)
    if problems:
        raise ImportFailed(problems)
    summary = Summary(dry_run=dry_run)
    reason = reason or f"import {batch.file}"
    try:
        with transaction.atomic():
            for kind in RECORD_TYPES:
                _apply_kind(batch, kind, summary, user, reason, progress)
            if dry_run:
                transaction.set_rollback(True)
    except IntegrityError as exc:
        raise ImportFailed(
            [
                ImportProblem(
                    batch.file, "", f"the database refused the import ({exc}); nothing was stored"
                )
            ]
        ) from None
    except DatabaseError as exc:
        raise ImportFailed(
            [ImportProblem(batch.file, "", f"database error ({exc}); nothing was stored")]
        ) from None
    return summary


def _apply_kind(
    batch: Batch, kind: str, summary: Summary, user: Any, reason: str, progress: Progress | None
) -> None:
    records = batch.records[kind]
    if not records:
        return
    model = serialize.MODELS[kind]
    existing: dict[str, dict[str, Any]] = {}
    if model.objects.exists():
        existing = serialize.records_by_id(kind, [r["id"] for r in records])
    created, updated = [], []
    for rec in records:
        old = existing.get(rec["id"])
        if old is None:
            created.append(rec)
        elif old != rec:
            updated.append(rec)
        else:
            summary.unchanged[kind] += 1
    summary.created[kind] = len(created)
    summary.updated[kind] = len(updated)
    writer = _WRITERS[kind]
    now = timezone.now()
    for start in range(0, len(created), _BATCH):
        chunk = created[start : start + _BATCH]
        writer(chunk, False, now, user, reason)
        if progress:
            progress(kind, len(chunk))
    for start in range(0, len(updated), _BATCH):
        chunk = updated[start : start + _BATCH]
        writer(chunk, True, now, user, reason)
        if progress:
            progress(kind, len(chunk))
    if progress and summary.unchanged[kind]:
        progress(kind, summary.unchanged[kind])


# --- history ----------------------------------------------------------------------------------


def _history(
    model: Any,
    objs: Iterable[models.Model],
    kind: str,
    now: Any,
    user: Any,
    reason: str,
) -> None:
    """Write edit-history rows in bulk ('+' created, '~' changed, '-' deleted)."""
    hmodel = model.history.model  # type: ignore[attr-defined]
    fields = [f.attname for f in model._meta.fields]
    rows = [
        hmodel(
            **{f: getattr(obj, f) for f in fields},
            history_date=now,
            history_type=kind,
            history_user=user if getattr(user, "pk", None) else None,
            history_change_reason=reason[:100],
        )
        for obj in objs
    ]
    hmodel.objects.bulk_create(rows, batch_size=_BATCH)


def _save_parents(
    model: Any, objs: list[Any], update: bool, now: Any, user: Any, reason: str
) -> None:
    if update:
        names = [
            f.name
            for f in model._meta.concrete_fields
            if not f.primary_key and f.name != "created_at"
        ]
        # The objects were rebuilt from the file: keep the stored creation times.
        created = dict(
            model.objects.filter(pk__in=[o.pk for o in objs]).values_list("pk", "created_at")
        )
        for obj in objs:
            obj.created_at = created[obj.pk if not isinstance(obj.pk, str) else _uuid(obj.pk)]
            obj.updated_at = now
        model.objects.bulk_update(objs, names, batch_size=500)
    else:
        for obj in objs:
            obj.created_at = obj.updated_at = now
        model.objects.bulk_create(objs, batch_size=_BATCH)
    _history(model, objs, "~" if update else "+", now, user, reason)


def _replace_children(
    model: Any,
    fk: str,
    parent_ids: list[str],
    rows: Sequence[models.Model],
    update: bool,
    now: Any,
    user: Any,
    reason: str,
) -> None:
    """Children are replaced wholesale when their parent changed."""
    if update:
        old = list(model.objects.filter(**{f"{fk}__in": parent_ids}))
        if old and hasattr(model, "history"):
            _history(model, old, "-", now, user, reason)
        if old:
            model.objects.filter(pk__in=[o.pk for o in old]).delete()
    if rows:
        created = model.objects.bulk_create(rows, batch_size=_BATCH)
        if hasattr(model, "history"):
            _history(model, created, "+", now, user, reason)


def _citations(recs: list[dict[str, Any]], fk: str) -> list[m.Citation]:
    return [
        m.Citation(
            source_id=c["source"],
            locator=c["locator"],
            quote=c["quote"],
            note=c["note"],
            **{f"{fk}_id": r["id"]},
        )
        for r in recs
        for c in r["citations"]
    ]


def _write_organizations(
    recs: list[dict[str, Any]], update: bool, now: Any, user: Any, reason: str
) -> None:
    objs = [
        m.Organization(
            id=r["id"],
            name=r["name"],
            abbreviation=r["abbreviation"],
            other_names=r["other_names"],
            type=r["type"],
            country=r["country"],
            founded=r["founded"],
            dissolved=r["dissolved"],
            summary=r["summary"],
            visibility=r["visibility"],
        )
        for r in recs
    ]
    _save_parents(m.Organization, objs, update, now, user, reason)
    ids = [r["id"] for r in recs]
    _replace_children(
        m.Designation,
        "organization",
        ids,
        [m.Designation(organization_id=r["id"], **d) for r in recs for d in r["designations"]],
        update,
        now,
        user,
        reason,
    )
    _replace_children(
        m.Citation, "organization", ids, _citations(recs, "organization"), update, now, user, reason
    )


def _write_sources(
    recs: list[dict[str, Any]], update: bool, now: Any, user: Any, reason: str
) -> None:
    objs = [m.Source(**{k: v for k, v in r.items()}) for r in recs]
    _save_parents(m.Source, objs, update, now, user, reason)


def _write_persons(
    recs: list[dict[str, Any]], update: bool, now: Any, user: Any, reason: str
) -> None:
    objs = [
        m.Person(
            id=r["id"],
            display_name=r["display_name"],
            name_known=r["name_known"],
            sex=r["sex"],
            birth_year=r["birth_year"],
            origin_country=r["origin_country"],
            is_minor=r["is_minor"],
            may_be_named=r["may_be_named"],
            pseudonym=r["pseudonym"],
            summary=r["summary"],
            contact_details=r["contact_details"],
            confidential_notes=r["confidential_notes"],
            visibility=r["visibility"],
        )
        for r in recs
    ]
    _save_parents(m.Person, objs, update, now, user, reason)
    ids = [r["id"] for r in recs]
    _replace_children(
        m.Name,
        "person",
        ids,
        [
            m.Name(
                person_id=r["id"],
                value=n["value"],
                script=n["script"],
                language=n["language"],
                source_id=n["source"],
                note=n["note"],
            )
            for r in recs
            for n in r["names"]
        ],
        update,
        now,
        user,
        reason,
    )
    _replace_children(
        m.PersonCategory,
        "person",
        ids,
        [m.PersonCategory(person_id=r["id"], category=c) for r in recs for c in r["categories"]],
        update,
        now,
        user,
        reason,
    )
    _replace_children(
        m.Residence,
        "person",
        ids,
        [m.Residence(person_id=r["id"], **x) for r in recs for x in r["residences"]],
        update,
        now,
        user,
        reason,
    )
    _replace_children(
        m.Affiliation,
        "person",
        ids,
        [
            m.Affiliation(
                person_id=r["id"],
                organization_id=a["organization"],
                role=a["role"],
                date_from=a["date_from"],
                date_to=a["date_to"],
                confidence=a["confidence"],
                note=a["note"],
            )
            for r in recs
            for a in r["affiliations"]
        ],
        update,
        now,
        user,
        reason,
    )
    _replace_children(
        m.Citation, "person", ids, _citations(recs, "person"), update, now, user, reason
    )


def _write_relationships(
    recs: list[dict[str, Any]], update: bool, now: Any, user: Any, reason: str
) -> None:
    objs = [
        m.Relationship(
            id=r["id"],
            person_id=r["person"],
            kinship=r["kinship"],
            other_id=r["other"],
            confidence=r["confidence"],
            visibility=r["visibility"],
            note=r["note"],
        )
        for r in recs
    ]
    _save_parents(m.Relationship, objs, update, now, user, reason)
    _replace_children(
        m.Citation,
        "relationship",
        [r["id"] for r in recs],
        _citations(recs, "relationship"),
        update,
        now,
        user,
        reason,
    )


_INCIDENT_PLAIN = (
    "title",
    "summary",
    "date",
    "date_end",
    "country",
    "region",
    "place",
    "latitude",
    "longitude",
    "place_precision",
    "origin_country",
    "host_state_role",
    "legal_channel",
    "trigger_event",
    "trigger_date",
    "outcome",
    "victims_estimated",
    "confidence",
    "review_status",
    "visibility",
    "confidential_notes",
)


def _write_incidents(
    recs: list[dict[str, Any]], update: bool, now: Any, user: Any, reason: str
) -> None:
    objs = []
    for r in recs:
        obj = m.Incident(id=r["id"], is_proxy=r["proxy"], **{k: r[k] for k in _INCIDENT_PLAIN})
        obj.derive(r["tactics"])
        objs.append(obj)
    _save_parents(m.Incident, objs, update, now, user, reason)
    ids = [r["id"] for r in recs]
    _replace_children(
        m.IncidentTactic,
        "incident",
        ids,
        [m.IncidentTactic(incident_id=r["id"], tactic=t) for r in recs for t in r["tactics"]],
        update,
        now,
        user,
        reason,
    )
    _replace_children(
        m.Involvement,
        "incident",
        ids,
        [
            m.Involvement(
                incident_id=r["id"],
                person_id=v["person"],
                role=v["role"],
                linked_exile_id=v["linked_exile"],
                description=v["description"],
                note=v["note"],
            )
            for r in recs
            for v in r["involvements"]
        ],
        update,
        now,
        user,
        reason,
    )
    through = m.Incident.perpetrators.through
    _replace_children(
        through,
        "incident",
        ids,
        [through(incident_id=r["id"], organization_id=o) for r in recs for o in r["perpetrators"]],
        update,
        now,
        user,
        reason,
    )
    _replace_children(
        m.Citation, "incident", ids, _citations(recs, "incident"), update, now, user, reason
    )


_WRITERS = {
    "organizations": _write_organizations,
    "sources": _write_sources,
    "persons": _write_persons,
    "relationships": _write_relationships,
    "incidents": _write_incidents,
}


def import_file(
    path: str,
    *,
    fmt: str = "auto",
    dry_run: bool = False,
    user: Any = None,
    progress: Progress | None = None,
) -> Summary:
    """Read any supported format and apply it. Raise ImportFailed with every problem."""
    from . import registry

    batch = registry.read(path, fmt)
    return apply(batch, dry_run=dry_run, user=user, progress=progress)

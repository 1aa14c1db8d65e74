"""Write a validated batch to the database: all or nothing, idempotent, with history.

Every format module produces a `Batch` of canonical records; this module checks references
against the batch and the database, compares each record with what is stored (created / updated
/ unchanged), and writes the changes in one transaction with bulk statements. Unchanged records
are not touched, so importing the same file twice writes nothing the second time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from exiledb.cases import models as m
from exiledb.explore.imports import ImportChanges

from . import bulk, serialize
from .base import RECORD_TYPES, ImportFailed, ImportProblem, Item, Source, Summary
from .schema import FIELDS

Progress = Callable[[str, int], None]


_CHUNK = 900  # stays under SQLite's bound-parameter limit in IN (...) lookups
_BATCH = 2000


class _Loader:
    """Checks and writes records a chunk at a time, so a million incidents stream through in
    bounded memory. Writing stops at the first problem, but checking goes on to the end so that
    every problem is reported; the transaction around it is rolled back if there is any."""

    def __init__(self, batch: Source, ctx: _Context, progress: Progress | None, dry_run: bool):
        self.batch = batch
        self.ctx = ctx
        self.progress = progress
        self.summary = Summary(dry_run=dry_run)
        self.problems: list[ImportProblem] = []
        self.index: dict[str, dict[str, int]] = {kind: {} for kind in RECORD_TYPES}
        self.pending: list[tuple[str, int, str, str, str, str]] = []
        self.relationship_keys: dict[tuple[str, str, str], int] = {}
        # Set by apply: the database held no record when the import began, so every record
        # is new (duplicates within the file are caught above, by id).
        self.first_load = False
        # What was written, for the public index to rewrite only what it can change (None on
        # a first load: the index is built whole then).
        self.changes: ImportChanges | None = ImportChanges()

    @property
    def failing(self) -> bool:
        return bool(self.problems or self.batch.problems)

    def add(self, kind: str, items: list[Item]) -> None:
        seen = self.index[kind]
        keep = []
        for rec, index, refs in items:
            uid = rec["id"]
            if uid in seen:
                first = self.batch.problem(kind, seen[uid], "id", "")
                self.problems.append(
                    self.batch.problem(
                        kind,
                        index,
                        "id",
                        f"duplicate id: also used at {first.file}:{first.location}",
                    )
                )
                continue
            seen[uid] = index
            for field, target, tuid, raw in refs:
                if tuid not in self.index[target]:
                    self.pending.append((kind, index, field, target, tuid, raw))
            if kind == "relationships":
                key = (rec["person"], rec["kinship"], rec["other"])
                if key in self.relationship_keys:
                    first = self.batch.problem(kind, self.relationship_keys[key], "", "")
                    self.problems.append(
                        self.batch.problem(
                            kind,
                            index,
                            "kinship",
                            "the same relationship is already given at "
                            f"{first.file}:{first.location}",
                        )
                    )
                    continue
                self.relationship_keys[key] = index
            keep.append(rec)
        if not self.failing:
            self._write(kind, keep)
        if self.progress:
            self.progress(kind, len(items))

    def _write(self, kind: str, records: list[dict[str, Any]]) -> None:
        model = serialize.MODELS[kind]
        ids = [r["id"] for r in records] if not self.first_load else []
        stored: set[str] = set()  # into an empty database, nothing is stored yet
        for start in range(0, len(ids), _CHUNK):
            stored.update(
                str(pk)
                for pk in model.objects.filter(pk__in=ids[start : start + _CHUNK]).values_list(
                    "pk", flat=True
                )
            )
        existing = serialize.records_by_id(kind, stored) if stored else {}
        if kind == "persons":
            # A redaction is only ever undone deliberately, never by re-importing a file that
            # predates it.
            for rec in records:
                old = existing.get(rec["id"])
                if old is not None and old["redacted"]:
                    rec["redacted"] = True
        created, updated = [], []
        for rec in records:
            old = existing.get(rec["id"])
            if old is None:
                created.append(rec)
            elif old != rec:
                updated.append(rec)
            else:
                self.summary.unchanged[kind] += 1
        self.summary.created[kind] += len(created)
        self.summary.updated[kind] += len(updated)
        if self.changes is not None:
            for rec in created:
                self.changes.note(kind, None, rec)
            for rec in updated:
                self.changes.note(kind, existing[rec["id"]], rec)
        if created:
            _WRITERS[kind](created, False, self.ctx)
        if updated:
            _WRITERS[kind](updated, True, self.ctx)

    def finish(self) -> None:
        """References to records neither in the file nor in the database are dangling."""
        missing: dict[str, set[str]] = {kind: set() for kind in RECORD_TYPES}
        for _kind, _i, _field, target, uid, _raw in self.pending:
            if uid not in self.index[target]:
                missing[target].add(uid)
        for target, uids in missing.items():
            ids = list(uids)
            for start in range(0, len(ids), _CHUNK):
                uids.difference_update(
                    str(pk)
                    for pk in serialize.MODELS[target]
                    .objects.filter(pk__in=ids[start : start + _CHUNK])
                    .values_list("pk", flat=True)
                )
        for kind, i, field, target, uid, raw in self.pending:
            if uid in missing[target]:
                self.problems.append(
                    self.batch.problem(
                        kind,
                        i,
                        field,
                        f"dangling reference: no {target[:-1]} with id '{raw}' in "
                        "this file or the database",
                    )
                )


def _is_empty() -> bool:
    return not any(model.objects.exists() for model in serialize.MODELS.values())


def _first_load_indexes(first_load: bool) -> Any:
    """Into an empty database, load first and index afterwards (see bulk.deferred_indexes)."""
    from contextlib import nullcontext

    if not first_load:
        return nullcontext()
    tables = []
    for model in [*serialize.MODELS.values(), *_CHILD_MODELS]:
        tables.append(model._meta.db_table)
        if hasattr(model, "history"):
            tables.append(model.history.model._meta.db_table)
    return bulk.deferred_indexes(tables)


def apply(
    batch: Source,
    *,
    dry_run: bool = False,
    user: Any = None,
    reason: str = "",
    progress: Progress | None = None,
) -> Summary:
    """Check and write a batch (or a streaming source) atomically.

    Raise ImportFailed with every problem found; nothing is stored then, nor on a dry run.
    """
    ctx = _Context(timezone.now(), user, reason or f"import {batch.file}")
    loader = _Loader(batch, ctx, progress, dry_run)
    bulk.tune_for_bulk()
    try:
        with transaction.atomic():
            loader.first_load = _is_empty()
            if loader.first_load:
                loader.changes = None
            with _first_load_indexes(
                loader.first_load
            ):  # rebuilt on leaving, before any rollback below
                for kind, items in batch.chunks(_BATCH):
                    loader.add(kind, items)
                loader.finish()
                problems = batch.problems + loader.problems
                if problems:
                    raise ImportFailed(problems)
            for model in _CHILD_MODELS:
                bulk.fix_sequence(model)
            if not dry_run and loader.summary.changed:
                # The public index follows in the same transaction: it never shows what the
                # import changed away, nor lags what it published. Only the incidents the
                # import can have changed are rewritten (a first load builds it whole).
                from exiledb.explore import imports

                loader.summary.indexed = imports.update(loader.changes)
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
    return loader.summary


# --- writing ----------------------------------------------------------------------------------
# Records become plain rows (attname -> value) written by exiledb.ingest.bulk; every row also
# gets an edit-history row, as an edit in the editor would.

Rows = list[dict[str, Any]]


class _Context:
    def __init__(self, now: Any, user: Any, reason: str):
        self.now = now
        self.user_id = getattr(user, "pk", None)
        self.reason = reason[:100]


def _history(model: Any, rows: Rows, kind: str, ctx: _Context) -> None:
    """Edit-history rows in bulk ('+' created, '~' changed, '-' deleted)."""
    if not rows or not hasattr(model, "history"):
        return
    hmodel = model.history.model
    bulk.table(hmodel).insert(
        [
            {
                **row,
                "history_id": uuid.uuid4(),
                "history_date": ctx.now,
                "history_type": kind,
                "history_user_id": ctx.user_id,
                "history_change_reason": ctx.reason,
            }
            for row in rows
        ]
    )


def _save_parents(model: Any, rows: Rows, update: bool, ctx: _Context) -> None:
    for row in rows:
        row["updated_at"] = ctx.now
    if update:
        # Rows are rebuilt from the file: keep the stored creation times.
        created = {
            str(pk): at
            for pk, at in model.objects.filter(pk__in=[r["id"] for r in rows]).values_list(
                "pk", "created_at"
            )
        }
        for row in rows:
            row["created_at"] = created[str(row["id"])]
        bulk.table(model).update(rows, keep=("created_at",))
        _history(model, rows, "~", ctx)
    else:
        for row in rows:
            row["created_at"] = ctx.now
        table = bulk.table(model)
        table.insert_history(table.insert(rows), "+", ctx.now, ctx.user_id, ctx.reason)


def _replace_children(
    model: Any, fk: str, parent_ids: list[str], rows: Rows, update: bool, ctx: _Context
) -> None:
    """Children are replaced wholesale when their parent changed.

    Deleted child rows get '-' history rows, so nothing disappears without a trace. New child
    rows of an import get none of their own: the parent's history row names the import, whose
    file is their provenance, and a million-incident import writes a third fewer rows."""
    if update:
        old = list(model.objects.filter(**{f"{fk}__in": parent_ids}).values())
        if old:
            _history(model, old, "-", ctx)
            model.objects.filter(pk__in=[o["id"] for o in old])._raw_delete(model.objects.db)
    if rows:
        start = bulk.reserve_ids(model, len(rows))
        for n, row in enumerate(rows):
            row["id"] = start + n
        bulk.table(model).insert(rows)


def _citations(recs: list[dict[str, Any]], fk: str) -> Rows:
    return [
        {
            "source_id": c["source"],
            "locator": c["locator"],
            "quote": c["quote"],
            "note": c["note"],
            "incident_id": None,
            "person_id": None,
            "relationship_id": None,
            "organization_id": None,
            f"{fk}_id": r["id"],
        }
        for r in recs
        for c in r["citations"]
    ]


def _plain(rec: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: rec[k] for k in keys}


def _write_organizations(recs: list[dict[str, Any]], update: bool, ctx: _Context) -> None:
    _save_parents(
        m.Organization,
        [
            _plain(
                r,
                "id",
                "name",
                "abbreviation",
                "other_names",
                "type",
                "country",
                "founded",
                "dissolved",
                "summary",
                "visibility",
            )
            for r in recs
        ],
        update,
        ctx,
    )
    ids = [r["id"] for r in recs]
    _replace_children(
        m.Designation,
        "organization",
        ids,
        [{"organization_id": r["id"], **d} for r in recs for d in r["designations"]],
        update,
        ctx,
    )
    _replace_children(
        m.Citation, "organization", ids, _citations(recs, "organization"), update, ctx
    )


def _write_sources(recs: list[dict[str, Any]], update: bool, ctx: _Context) -> None:
    _save_parents(m.Source, [{**r, "archived_file": ""} for r in recs], update, ctx)


def _write_persons(recs: list[dict[str, Any]], update: bool, ctx: _Context) -> None:
    _save_parents(
        m.Person,
        [
            _plain(
                r,
                "id",
                "display_name",
                "name_known",
                "sex",
                "birth_year",
                "origin_country",
                "is_minor",
                "may_be_named",
                "pseudonym",
                "summary",
                "redacted",
                "contact_details",
                "confidential_notes",
                "visibility",
            )
            for r in recs
        ],
        update,
        ctx,
    )
    ids = [r["id"] for r in recs]
    _replace_children(
        m.Name,
        "person",
        ids,
        [
            {
                "person_id": r["id"],
                "value": n["value"],
                "script": n["script"],
                "language": n["language"],
                "source_id": n["source"],
                "note": n["note"],
            }
            for r in recs
            for n in r["names"]
        ],
        update,
        ctx,
    )
    _replace_children(
        m.PersonCategory,
        "person",
        ids,
        [{"person_id": r["id"], "category": c} for r in recs for c in r["categories"]],
        update,
        ctx,
    )
    _replace_children(
        m.Residence,
        "person",
        ids,
        [{"person_id": r["id"], **x} for r in recs for x in r["residences"]],
        update,
        ctx,
    )
    _replace_children(
        m.Affiliation,
        "person",
        ids,
        [
            {
                "person_id": r["id"],
                "organization_id": a["organization"],
                "role": a["role"],
                "date_from": a["date_from"],
                "date_to": a["date_to"],
                "confidence": a["confidence"],
                "note": a["note"],
            }
            for r in recs
            for a in r["affiliations"]
        ],
        update,
        ctx,
    )
    _replace_children(m.Citation, "person", ids, _citations(recs, "person"), update, ctx)


def _write_relationships(recs: list[dict[str, Any]], update: bool, ctx: _Context) -> None:
    _save_parents(
        m.Relationship,
        [
            {
                "id": r["id"],
                "person_id": r["person"],
                "kinship": r["kinship"],
                "other_id": r["other"],
                "confidence": r["confidence"],
                "visibility": r["visibility"],
                "note": r["note"],
            }
            for r in recs
        ],
        update,
        ctx,
    )
    _replace_children(
        m.Citation,
        "relationship",
        [r["id"] for r in recs],
        _citations(recs, "relationship"),
        update,
        ctx,
    )


# the incident's own columns: everything in the canonical record but derived values and lists
_INCIDENT_PLAIN = tuple(
    name
    for name, default in FIELDS["incidents"]
    if name not in ("proxy", "stage") and not isinstance(default, list)
)


def _write_incidents(recs: list[dict[str, Any]], update: bool, ctx: _Context) -> None:
    _save_parents(
        m.Incident,
        [
            {
                **_plain(r, *_INCIDENT_PLAIN),
                "is_proxy": r["proxy"],
                **m.derived_fields(r["date"], r["date_end"], r["tactics"], r["proxy"]),
            }
            for r in recs
        ],
        update,
        ctx,
    )
    ids = [r["id"] for r in recs]
    _replace_children(
        m.IncidentTactic,
        "incident",
        ids,
        [{"incident_id": r["id"], "tactic": t} for r in recs for t in r["tactics"]],
        update,
        ctx,
    )
    _replace_children(
        m.Involvement,
        "incident",
        ids,
        [
            {
                "incident_id": r["id"],
                "person_id": v["person"],
                "role": v["role"],
                "linked_exile_id": v["linked_exile"],
                "description": v["description"],
                "note": v["note"],
            }
            for r in recs
            for v in r["involvements"]
        ],
        update,
        ctx,
    )
    _replace_children(
        m.Incident.perpetrators.through,
        "incident",
        ids,
        [{"incident_id": r["id"], "organization_id": o} for r in recs for o in r["perpetrators"]],
        update,
        ctx,
    )
    _replace_children(m.Citation, "incident", ids, _citations(recs, "incident"), update, ctx)


_WRITERS = {
    "organizations": _write_organizations,
    "sources": _write_sources,
    "persons": _write_persons,
    "relationships": _write_relationships,
    "incidents": _write_incidents,
}
_CHILD_MODELS = (
    m.Designation,
    m.Name,
    m.PersonCategory,
    m.Residence,
    m.Affiliation,
    m.Citation,
    m.IncidentTactic,
    m.Involvement,
    m.Incident.perpetrators.through,
)


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

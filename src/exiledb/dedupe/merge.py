"""Merging two records (keep A, absorb B) and undoing a merge.

A merge moves everything that points at B onto A: for a person its spellings, relationships,
involvements (as the person and as the linked exile), affiliations, residences, categories,
citations and removal requests; for an incident its tactics, involvements, citations and
perpetrators. A row that would duplicate one A already has is deleted instead (its own
children, such as a relationship's citations, move to A's row first). A's empty fields are
filled from B, and protection always goes the safe way: if either record is a minor, redacted,
not to be named or more restricted, the merged one is too. Then B is deleted.

Everything is done row by row through the models' own save and delete, so every change is in
the edit history (change reason "merge: <id>"), and everything that moved is written to the
`Merge` record, which is the plan of the undo: B is re-created with its own UUID, deleted rows
are re-created, re-pointed rows point back at B, rows the merge added are removed and A's
fields are set back. Undo restores the prior state exactly (timestamps included); the history
keeps both the merge and its undo.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone
from simple_history.models import HistoricalChanges

from exiledb.access import audit
from exiledb.access.policy import effective_role
from exiledb.cases.models import Incident, Name, Person
from exiledb.vocab import codebook

from .models import Merge, NotDuplicate, ordered

MERGE_REASON = "merge: "
UNDO_REASON = "undo merge: "
MERGING_ROLES = frozenset({"editor", "admin"})
VISIBILITY_ORDER = ("public", "restricted", "confidential")
DATE_RANK = {"day": 3, "month": 2, "year": 1, "unknown": 0}
PLACE_RANK = {"exact": 4, "city": 3, "region": 2, "country": 1}
# Columns that say when, not what: never compared when looking for duplicate rows.
TIMESTAMPS = ("created_at", "updated_at")


class MergeError(Exception):
    """A merge or an undo that cannot be done, with a message fit for an editor."""


def may_merge(user: Any) -> bool:
    """Merging deletes a record: editors and admins only (with their second factor); the
    command line, which needs access to the machine, passes None."""
    return user is None or effective_role(user) in MERGING_ROLES


# --- rows as JSON and back ---------------------------------------------------------------------


def _label(model: type[models.Model]) -> str:
    return model._meta.label


def _model(label: str) -> type[models.Model]:
    return apps.get_model(label)


class _Encoder(DjangoJSONEncoder):
    """Django's encoder cuts times to milliseconds; an exact undo needs every microsecond."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime):
            return o.isoformat()
        return super().default(o)


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=_Encoder))


def snapshot(obj: models.Model) -> dict[str, Any]:
    """A row as JSON: its model and every concrete column (foreign keys as their ids)."""
    return {
        "model": _label(type(obj)),
        "pk": _plain(obj.pk),
        "fields": {f.attname: _plain(getattr(obj, f.attname)) for f in obj._meta.concrete_fields},
    }


def _value(model: type[models.Model], attname: str, raw: Any) -> Any:
    db_field = next(f for f in model._meta.concrete_fields if f.attname == attname)
    if raw is None:
        return None
    target = db_field.target_field if db_field.is_relation else db_field  # type: ignore[attr-defined]
    return target.to_python(raw)


def rebuild(snap: dict[str, Any], reason: str, user: Any) -> models.Model:
    """Insert a row again from its snapshot, under its own key, with its own timestamps."""
    model = _model(snap["model"])
    values = {name: _value(model, name, raw) for name, raw in snap["fields"].items()}
    obj = model(**values)
    _tag(obj, reason, user)
    obj.save(force_insert=True)
    stamps = {k: values[k] for k in TIMESTAMPS if k in values}
    if stamps:  # auto_now and auto_now_add overwrote them on insert
        model._default_manager.filter(pk=obj.pk).update(**stamps)
    return obj


def _tag(obj: models.Model, reason: str, user: Any) -> None:
    obj._change_reason = reason  # type: ignore[attr-defined]
    if getattr(user, "is_authenticated", False):
        obj._history_user = user  # type: ignore[attr-defined]


def _save(obj: models.Model, reason: str, user: Any) -> None:
    _tag(obj, reason, user)
    obj.save()


def _delete(obj: models.Model, reason: str, user: Any) -> None:
    _tag(obj, reason, user)
    obj.delete()


# --- which rows point at a record --------------------------------------------------------------


def relations(model: type[models.Model]) -> list[Any]:
    """Every foreign key, in any app, that points at `model` (history tables left out)."""
    out = []
    for rel in model._meta.related_objects:
        if rel.many_to_many or rel.related_model is None:
            continue
        related: Any = rel.related_model
        if issubclass(related, HistoricalChanges) or related._meta.auto_created:
            continue
        out.append(rel.field)
    return out


def _unique_sets(model: type[models.Model]) -> list[tuple[str, ...]]:
    sets = [
        tuple(c.fields)
        for c in model._meta.constraints
        if isinstance(c, models.UniqueConstraint) and c.condition is None
    ]
    sets += [tuple(u) for u in model._meta.unique_together]
    return sets


def _content_names(model: type[models.Model]) -> list[str]:
    pk = model._meta.pk
    return [
        f.attname
        for f in model._meta.concrete_fields
        if f is not pk and f.name not in TIMESTAMPS and not isinstance(f, models.FileField)
    ]


def twin_of(row: models.Model, values: dict[str, Any]) -> models.Model | None:
    """Another row that `row`, changed to `values`, would duplicate: the same key under a
    unique constraint, or (for models without one) the same content."""
    model = type(row)
    manager = model._default_manager
    for names in _unique_sets(model):
        attnames = [model._meta.get_field(n).attname for n in names]  # type: ignore[union-attr]
        if not any(a in values for a in attnames):
            continue
        key = {a: values.get(a, getattr(row, a)) for a in attnames}
        found = manager.filter(**key).exclude(pk=row.pk).first()
        if found is not None:
            return found
    if _unique_sets(model):
        return None
    content = {a: values.get(a, getattr(row, a)) for a in _content_names(model)}
    return manager.filter(**content).exclude(pk=row.pk).order_by("pk").first()


def _reflexive(row: models.Model, values: dict[str, Any]) -> bool:
    """A relationship of a person with themself: what a merge of two relatives leaves."""
    person = values.get("person_id", getattr(row, "person_id", None))
    other = values.get("other_id", getattr(row, "other_id", None))
    return hasattr(row, "other_id") and person is not None and person == other


# --- the plan of a merge -----------------------------------------------------------------------


@dataclass
class Plan:
    """What a merge did, in the order it did it (stored in Merge.moved)."""

    reason: str
    user: Any
    repointed: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[dict[str, Any]] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    stamps: list[dict[str, Any]] = field(default_factory=list)

    def stamp(self, obj: models.Model) -> None:
        if hasattr(obj, "updated_at"):
            self.stamps.append(
                {
                    "model": _label(type(obj)),
                    "pk": _plain(obj.pk),
                    "updated_at": _plain(obj.updated_at),
                }  # type: ignore[attr-defined]
            )

    def repoint(self, row: models.Model, changes: dict[str, tuple[Any, Any]]) -> None:
        self.stamp(row)
        for attname, (_old, new) in changes.items():
            setattr(row, attname, new)
        _save(row, self.reason, self.user)
        self.repointed.append(
            {
                "model": _label(type(row)),
                "pk": _plain(row.pk),
                "fields": {a: [_plain(o), _plain(n)] for a, (o, n) in changes.items()},
            }
        )

    def remove(self, row: models.Model) -> None:
        """Delete a row, its dependent rows first (each snapshotted for the undo)."""
        for fk in relations(type(row)):
            for child in fk.model._default_manager.filter(**{fk.attname: row.pk}):
                if fk.remote_field.on_delete is models.CASCADE:
                    self.remove(child)
        self.deleted.append(snapshot(row))
        _delete(row, self.reason, self.user)

    def move_children(self, row: models.Model, onto: models.Model) -> None:
        """Before a duplicate row goes: what hangs on it (a relationship's citations) moves to
        the row it duplicates."""
        for fk in relations(type(row)):
            for child in fk.model._default_manager.filter(**{fk.attname: row.pk}):
                self.move(child, {fk.attname: (row.pk, onto.pk)})

    def move(self, row: models.Model, changes: dict[str, tuple[Any, Any]]) -> None:
        """Re-point `row`, or, if it would then duplicate a row, remove it instead."""
        values = {a: new for a, (_old, new) in changes.items()}
        if _reflexive(row, values):
            self.remove(row)
            return
        twin = twin_of(row, values)
        if twin is not None:
            self.move_children(row, twin)
            self.remove(row)
        else:
            self.repoint(row, changes)

    def as_json(self) -> dict[str, Any]:
        return {
            "repointed": self.repointed,
            "deleted": self.deleted,
            "created": self.created,
            "stamps": self.stamps,
        }


def move_all(plan: Plan, model: type[models.Model], absorbed: Any, kept: Any) -> None:
    """Every row pointing at `absorbed` points at `kept` after this (or is removed as a
    duplicate of one that already did)."""
    for fk in relations(model):
        others = [f for f in relations(model) if f.model is fk.model]
        manager = fk.model._default_manager
        for row in list(manager.filter(**{fk.attname: absorbed}).order_by("pk")):
            changes = {
                f.attname: (absorbed, kept) for f in others if getattr(row, f.attname) == absorbed
            }
            plan.move(row, changes)


# --- fields of the kept record -----------------------------------------------------------------


def _most_restricted(a: str, b: str) -> str:
    return max(a, b, key=lambda v: VISIBILITY_ORDER.index(v) if v in VISIBILITY_ORDER else 0)


def _joined(a: str, b: str) -> str:
    if not b or b in a:
        return a
    return f"{a}\n\n{b}" if a else b


def person_fields(kept: Person, absorbed: Person) -> dict[str, Any]:
    """A's new field values: blanks filled from B, protection the stricter of the two."""
    out: dict[str, Any] = {}
    if not kept.name_known and absorbed.name_known:
        out["display_name"], out["name_known"] = absorbed.display_name, True
    if kept.birth_year is None and absorbed.birth_year is not None:
        out["birth_year"] = absorbed.birth_year
    for name, blank in (("origin_country", ""), ("sex", "unknown"), ("summary", "")):
        if getattr(kept, name) == blank and getattr(absorbed, name) != blank:
            out[name] = getattr(absorbed, name)
    if not kept.pseudonym and absorbed.pseudonym:
        out["pseudonym"] = absorbed.pseudonym
    for name in ("contact_details", "confidential_notes"):
        joined = _joined(getattr(kept, name), getattr(absorbed, name))
        if joined != getattr(kept, name):
            out[name] = joined
    # Protection: the merged record is never less protected than either of the two.
    for name in ("is_minor", "redacted"):
        if getattr(absorbed, name) and not getattr(kept, name):
            out[name] = True
    if kept.may_be_named and not absorbed.may_be_named:
        out["may_be_named"] = False
    visibility = _most_restricted(kept.visibility, absorbed.visibility)
    if visibility != kept.visibility:
        out["visibility"] = visibility
    return out


def incident_fields(kept: Incident, absorbed: Incident) -> dict[str, Any]:
    """A's new field values: the more precise date and place, blanks filled from B, the
    stricter visibility."""
    out: dict[str, Any] = {}
    if DATE_RANK.get(absorbed.date_precision, 0) > DATE_RANK.get(kept.date_precision, 0):
        out["date"], out["date_end"] = absorbed.date, absorbed.date_end
    if PLACE_RANK.get(absorbed.place_precision, 0) > PLACE_RANK.get(kept.place_precision, 0):
        for name in ("place_precision", "place", "region", "latitude", "longitude"):
            out[name] = getattr(absorbed, name)
    for name, blank in (
        ("summary", ""),
        ("trigger_event", ""),
        ("trigger_date", ""),
        ("host_state_role", "unknown"),
        ("legal_channel", "unknown"),
        ("outcome", "unknown"),
        ("victims_estimated", None),
    ):
        if getattr(kept, name) == blank and getattr(absorbed, name) != blank:
            out[name] = getattr(absorbed, name)
    joined = _joined(kept.confidential_notes, absorbed.confidential_notes)
    if joined != kept.confidential_notes:
        out["confidential_notes"] = joined
    visibility = _most_restricted(kept.visibility, absorbed.visibility)
    if visibility != kept.visibility:
        out["visibility"] = visibility
    return out


# --- merging -----------------------------------------------------------------------------------


KIND_MODELS: dict[str, type[models.Model]] = {"person": Person, "incident": Incident}


def _label_of(obj: Any) -> str:
    return str(getattr(obj, "display_name", None) or getattr(obj, "title", ""))[:300]


def _actor(user: Any, username: str) -> str:
    if getattr(user, "is_authenticated", False):
        return str(user.get_username())
    return username


def _who(user: Any, username: str) -> dict[str, str]:
    """The audit log's name for a caller without an account (the command line)."""
    return {} if getattr(user, "is_authenticated", False) else {"username": username}


def _locked(model: type[models.Model], pk: Any) -> Any:
    return model._default_manager.select_for_update().filter(pk=pk).first()


def find(kind: str, pk: Any) -> Any:
    """The record of `kind` with this UUID, or a MergeError that says what is wrong."""
    import uuid as uuidlib

    try:
        key = uuidlib.UUID(str(pk))
    except ValueError:
        raise MergeError(f"'{pk}' is not a record id (a UUID)") from None
    model = KIND_MODELS[kind]
    found = model._default_manager.filter(pk=key).first()
    if found is not None:
        return found
    other = "incident" if kind == "person" else "person"
    if KIND_MODELS[other]._default_manager.filter(pk=key).exists():
        raise MergeError(f"{pk} is an {other}, not a {kind}: records of two kinds never merge")
    raise MergeError(f"no {kind} with id {pk}")


def merge(
    kind: str,
    kept_id: Any,
    absorbed_id: Any,
    user: Any = None,
    *,
    username: str = "",
    request: Any = None,
) -> Merge:
    """Merge record B (`absorbed_id`) into record A (`kept_id`), in one transaction."""
    if not may_merge(user):
        raise MergeError("only editors and admins merge records")
    model = KIND_MODELS[kind]
    kept, absorbed = find(kind, kept_id), find(kind, absorbed_id)
    if kept.pk == absorbed.pk:
        raise MergeError("that is the same record twice: give two different records")
    with transaction.atomic():
        kept, absorbed = _locked(model, kept.pk), _locked(model, absorbed.pk)
        if kept is None or absorbed is None:
            raise MergeError("one of the two records was deleted meanwhile")
        record = Merge(
            kind=kind,
            kept=kept.pk,
            absorbed=absorbed.pk,
            kept_label=_label_of(kept),
            absorbed_label=_label_of(absorbed),
            merged_by=user if getattr(user, "is_authenticated", False) else None,
            username=_actor(user, username),
        )
        plan = Plan(MERGE_REASON + str(record.id), user)
        absorbed_row = snapshot(absorbed)
        perpetrators: list[str] = []
        added_perpetrators: list[str] = []
        through_rows: list[dict[str, Any]] = []
        if isinstance(absorbed, Incident):
            through: Any = Incident.perpetrators.through
            through_rows = [snapshot(t) for t in through.objects.filter(incident=absorbed.pk)]
            perpetrators = [str(p) for p in absorbed.perpetrators.values_list("pk", flat=True)]
            have = {str(p) for p in kept.perpetrators.values_list("pk", flat=True)}
            added_perpetrators = [p for p in perpetrators if p not in have]
        move_all(plan, model, absorbed.pk, kept.pk)
        if isinstance(kept, Person) and isinstance(absorbed, Person):
            changes = person_fields(kept, absorbed)
            spelling = absorbed.display_name.strip()
            if absorbed.name_known and spelling and not kept.names.filter(value=spelling).exists():
                name = Name(person=kept, value=spelling, note=f"merged from {absorbed.pk}")
                _tag(name, plan.reason, user)
                name.save()
                plan.created.append({"model": _label(Name), "pk": _plain(name.pk)})
        else:
            changes = incident_fields(kept, absorbed)
        before = {k: _plain(getattr(kept, k)) for k in changes}
        plan.stamp(kept)
        _delete(absorbed, plan.reason, user)
        for column, value in changes.items():
            setattr(kept, column, value)
        _save(kept, plan.reason, user)  # an incident re-derives its stage from the union
        if added_perpetrators:
            kept.perpetrators.add(*added_perpetrators)
        record.moved = {
            "absorbed": absorbed_row,
            "kept_before": before,
            "kept_after": {k: _plain(getattr(kept, k)) for k in changes},
            "perpetrators": through_rows,
            "added_perpetrators": added_perpetrators,
            **plan.as_json(),
        }
        record.save()
        audit.record(
            user,
            "merge",
            kept,
            request=request,
            **_who(user, username),
            merge=str(record.id),
            absorbed=str(absorbed_row["pk"]),
        )
    return record


@dataclass
class Undone:
    merge: Merge
    warnings: list[str] = field(default_factory=list)


def unmerge(merge_id: Any, user: Any = None, *, username: str = "", request: Any = None) -> Undone:
    """Undo a merge: B comes back under its own UUID with everything that moved."""
    import uuid as uuidlib

    if not may_merge(user):
        raise MergeError("only editors and admins undo merges")
    try:
        key = uuidlib.UUID(str(merge_id))
    except ValueError:
        raise MergeError(f"'{merge_id}' is not a merge id (a UUID)") from None
    with transaction.atomic():
        record = Merge.objects.select_for_update().filter(pk=key).first()
        if record is None:
            raise MergeError(f"no merge with id {merge_id}")
        if record.undone:
            raise MergeError(f"merge {record.id} was undone already")
        model = KIND_MODELS[record.kind]
        kept = _locked(model, record.kept)
        if kept is None:
            raise MergeError(
                f"the kept record {record.kept} no longer exists (merged into another or "
                "deleted since): undo that first"
            )
        if model._default_manager.filter(pk=record.absorbed).exists():
            raise MergeError(f"record {record.absorbed} exists again: nothing to undo")
        reason = UNDO_REASON + str(record.id)
        moved = record.moved
        warnings: list[str] = []
        rebuild(moved["absorbed"], reason, user)
        for snap in reversed(moved["deleted"]):
            rebuild(snap, reason, user)
        for entry in reversed(moved["repointed"]):
            row_model = _model(entry["model"])
            row = row_model._default_manager.filter(pk=_value_pk(row_model, entry["pk"])).first()
            if row is None:
                warnings.append(f"a {row_model._meta.verbose_name} moved by the merge is gone")
                continue
            changed = False
            for attname, (old, new) in entry["fields"].items():
                if _plain(getattr(row, attname)) == new:
                    setattr(row, attname, _value(row_model, attname, old))
                    changed = True
                else:
                    warnings.append(
                        f"a {row_model._meta.verbose_name} moved by the merge was changed since "
                        "and is left where it is"
                    )
            if changed:
                _save(row, reason, user)
        for entry in moved["created"]:
            row_model = _model(entry["model"])
            for row in row_model._default_manager.filter(pk=_value_pk(row_model, entry["pk"])):
                _delete(row, reason, user)
        for name, value in moved["kept_before"].items():
            if _plain(getattr(kept, name)) == moved["kept_after"].get(name):
                setattr(kept, name, _value(model, _attname(model, name), value))
            else:
                warnings.append(f"{name} of the kept record was changed since and is kept")
        _save(kept, reason, user)
        if moved.get("added_perpetrators"):
            kept.perpetrators.remove(*moved["added_perpetrators"])
        for snap in moved.get("perpetrators", []):  # the through rows, under their own ids
            _model(snap["model"])._default_manager.create(
                **{
                    name: _value(_model(snap["model"]), name, raw)
                    for name, raw in snap["fields"].items()
                }
            )
        for stamp in moved["stamps"]:
            row_model = _model(stamp["model"])
            row_model._default_manager.filter(pk=_value_pk(row_model, stamp["pk"])).update(
                updated_at=_value(row_model, "updated_at", stamp["updated_at"])
            )
        record.undone_at = timezone.now()
        record.undone_by = _actor(user, username)
        record.save()
        audit.record(
            user,
            "unmerge",
            kept,
            request=request,
            **_who(user, username),
            merge=str(record.id),
            absorbed=str(record.absorbed),
        )
    return Undone(record, warnings)


def _attname(model: type[models.Model], name: str) -> str:
    return str(model._meta.get_field(name).attname)  # type: ignore[union-attr]


def _value_pk(model: type[models.Model], raw: Any) -> Any:
    pk: Any = model._meta.pk
    return pk.to_python(raw)


def merges(kind: str | None = None) -> models.QuerySet[Merge]:
    found = Merge.objects.all()
    return found.filter(kind=kind) if kind else found


def label_codes(vocabulary: codebook.Vocabulary, codes: Iterable[str]) -> list[str]:
    return [vocabulary.label(c) if c in vocabulary else c for c in codes]


def not_duplicate(
    kind: str,
    a_id: Any,
    b_id: Any,
    user: Any = None,
    *,
    note: str = "",
    username: str = "",
    request: Any = None,
) -> NotDuplicate:
    """Record that two records are different (never proposed as duplicates again)."""
    if not may_merge(user):
        raise MergeError("only editors and admins decide about duplicates")
    a, b = find(kind, a_id), find(kind, b_id)
    if a.pk == b.pk:
        raise MergeError("that is the same record twice: give two different records")
    first, second = ordered(a.pk, b.pk)
    with transaction.atomic():
        decision, _created = NotDuplicate.objects.get_or_create(
            kind=kind,
            first=first,
            second=second,
            defaults={
                "decided_by": user if getattr(user, "is_authenticated", False) else None,
                "username": _actor(user, username),
                "note": note[:500],
            },
        )
        audit.record(
            user,
            "not_duplicate",
            a,
            request=request,
            **_who(user, username),
            other=str(b.pk),
        )
    return decision

"""The change log between two editions, ACLED-style: records added, changed and removed per
record type, keyed by UUID, with the fields that changed.

It reads the editions' data packages (the normalised tables of exiledb.ingest.tables), so a
public change log is computed from public packages only and cannot say anything the public
packages do not. Child rows (tactics, involvements, citations, spellings, ...) are gathered
under their record as one field each.

What a public change log shows of earlier values: codes, dates, countries, numbers and ids
are shown old -> new. Free text (titles, summaries, names, descriptions, quotes) is shown as it
is now, never as it was: a name withdrawn from public output since the earlier edition (a
relative now pseudonymised, a person who asked to be removed) must not come back through the
change log. For the same reason a removed record is named by its id only. The internal change
log (staff, command line) shows everything.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exiledb.access.policy import PUBLIC
from exiledb.ingest.base import RECORD_TYPES
from exiledb.ingest.tables import CITATION_PARENTS, TABLES, Column, Table

Record = dict[str, Any]
Records = dict[str, dict[str, Record]]  # kind -> id -> record

LABELS = {
    "organizations": "name",
    "sources": "title",
    "persons": "display_name",
    "incidents": "title",
}


def _coded(col: Column) -> bool:
    return bool(
        col.vocab is not None
        or col.country
        or col.partial_date
        or col.ref
        or col.type != "string"
        or col.name == "id"
    )


# Fields whose earlier value a public change log may show: coded columns of the parent tables,
# and child lists made of coded columns only (tactics, categories, perpetrators, designations).
CODED: dict[str, set[str]] = defaultdict(set)
for _table in TABLES:
    if not _table.child:
        CODED[_table.kind] |= {c.name for c in _table.columns if _coded(c)}
    elif all(_coded(c) for c in _table.columns):
        if _table.name == "citations":
            continue
        CODED[_table.kind].add(_table.child)


class PackageError(Exception):
    pass


def _rows(zf: zipfile.ZipFile, path: str) -> list[dict[str, str]]:
    with zf.open(path) as fh:
        return list(csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")))


def _child_item(table: Table, row: dict[str, str]) -> Any:
    skip = {table.parent} | (set(CITATION_PARENTS) if table.name == "citations" else set())
    values = {k: v for k, v in row.items() if k not in skip}
    if table.scalar:
        (value,) = values.values()
        return value
    return values


def read_package(path: Path) -> Records:
    """The records of an exiledb data package (.zip), as {kind: {id: record}}; each record is
    its parent row with one list per kind of child row, in a stable order."""
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise PackageError(f"cannot read the data package {path}: {exc}") from None
    with zf:
        try:
            descriptor = json.loads(zf.read("datapackage.json"))
        except (KeyError, ValueError) as exc:
            raise PackageError(f"{path} has no readable datapackage.json: {exc}") from None
        paths = {r["name"]: r["path"] for r in descriptor.get("resources", [])}
        out: Records = {kind: {} for kind in RECORD_TYPES}
        children: list[tuple[Table, list[dict[str, str]]]] = []
        try:
            for table in TABLES:
                if table.name not in paths:
                    continue
                rows = _rows(zf, paths[table.name])
                if table.child:
                    children.append((table, rows))
                    continue
                for row in rows:
                    out[table.kind][row["id"]] = dict(row)
            for table, rows in children:
                for row in rows:
                    if table.name == "citations":
                        owners = [
                            (CITATION_PARENTS[c], row[c]) for c in CITATION_PARENTS if row.get(c)
                        ]
                    else:
                        owners = [(table.kind, row[table.parent])]
                    for kind, pid in owners:
                        parent = out[kind].get(pid)
                        if parent is not None:
                            parent.setdefault(table.child, []).append(_child_item(table, row))
        except (KeyError, ValueError, UnicodeDecodeError, csv.Error, zipfile.BadZipFile) as exc:
            raise PackageError(f"{path} is not a readable exiledb data package: {exc}") from None
    for kind, records in out.items():
        lists = {
            t.child
            for t in TABLES
            if t.child
            and (t.kind == kind or (t.name == "citations" and kind in CITATION_PARENTS.values()))
        }
        for rec in records.values():
            for name in lists:
                rec[name] = sorted(rec.get(name, []), key=lambda v: json.dumps(v, sort_keys=True))
    return out


@dataclass
class FieldChange:
    field: str
    old: Any
    new: Any
    old_shown: bool

    def as_json(self) -> dict[str, Any]:
        out = {"field": self.field, "new": self.new}
        if self.old_shown:
            out["old"] = self.old
        return out


@dataclass
class Entry:
    id: str
    label: str = ""
    fields: list[FieldChange] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id}
        if self.label:
            out["label"] = self.label
        if self.fields:
            out["fields"] = [f.as_json() for f in self.fields]
        return out


@dataclass
class ChangeLog:
    audience: str
    added: dict[str, list[Entry]] = field(default_factory=dict)
    changed: dict[str, list[Entry]] = field(default_factory=dict)
    removed: dict[str, list[Entry]] = field(default_factory=dict)

    def summary(self) -> dict[str, dict[str, int]]:
        return {
            kind: {
                "added": len(self.added.get(kind, [])),
                "changed": len(self.changed.get(kind, [])),
                "removed": len(self.removed.get(kind, [])),
            }
            for kind in RECORD_TYPES
        }

    @property
    def total(self) -> int:
        return sum(sum(n.values()) for n in self.summary().values())

    def as_json(self, old: str, new: str) -> dict[str, Any]:
        return {
            "from": old,
            "to": new,
            "audience": self.audience,
            "summary": self.summary(),
            "records": {
                kind: {
                    "added": [e.as_json() for e in self.added.get(kind, [])],
                    "changed": [e.as_json() for e in self.changed.get(kind, [])],
                    "removed": [e.as_json() for e in self.removed.get(kind, [])],
                }
                for kind in RECORD_TYPES
            },
        }


def label(kind: str, rec: Record) -> str:
    key = LABELS.get(kind)
    if key:
        return str(rec.get(key, ""))
    if kind == "relationships":
        return f"{rec.get('person_id', '')} {rec.get('kinship', '')} of {rec.get('other_id', '')}"
    return ""


def compare(old: Records, new: Records, audience: str = PUBLIC) -> ChangeLog:
    """What changed from `old` to `new`: records by id, and fields within changed records."""
    public = audience == PUBLIC
    log = ChangeLog(audience)
    for kind in RECORD_TYPES:
        before, after = old.get(kind, {}), new.get(kind, {})
        added = [Entry(rid, label(kind, after[rid])) for rid in sorted(after.keys() - before)]
        # A removed record's text (its title, a name) may be why it was withdrawn.
        removed = [
            Entry(rid, "" if public else label(kind, before[rid]))
            for rid in sorted(before.keys() - after)
        ]
        changed = []
        for rid in sorted(before.keys() & after):
            a, b = before[rid], after[rid]
            if a == b:
                continue
            fields = [
                FieldChange(
                    name,
                    a.get(name),
                    b.get(name),
                    old_shown=not public or name in CODED[kind],
                )
                for name in sorted(a.keys() | b.keys())
                if a.get(name) != b.get(name)
            ]
            changed.append(Entry(rid, label(kind, b), fields))
        if added:
            log.added[kind] = added
        if changed:
            log.changed[kind] = changed
        if removed:
            log.removed[kind] = removed
    return log


def show(value: Any) -> str:
    """A field value as one line of text."""
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, list):
        if not value:
            return "(none)"
        return "; ".join(
            ", ".join(f"{k}={v}" for k, v in item.items() if v != "")
            if isinstance(item, dict)
            else str(item)
            for item in value
        )
    return str(value)


def lines(log: ChangeLog) -> list[str]:
    """The change log as text, one line per record and per changed field."""
    out = []
    for kind in RECORD_TYPES:
        for verb, entries in (
            ("added", log.added.get(kind, [])),
            ("changed", log.changed.get(kind, [])),
            ("removed", log.removed.get(kind, [])),
        ):
            for entry in entries:
                head = f"{verb} {kind[:-1]} {entry.id}"
                out.append(f"{head}: {entry.label}" if entry.label else head)
                for change in entry.fields:
                    if change.old_shown:
                        out.append(f"    {change.field}: {show(change.old)} -> {show(change.new)}")
                    else:
                        out.append(f"    {change.field}: now {show(change.new)}")
    return out

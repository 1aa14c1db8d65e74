"""The normalised table layout: one table per record type and one per kind of child row.

CSV, XLSX and the Frictionless data package all use this layout, so that a table exported from
one can be edited in a spreadsheet and imported again. `flatten` turns canonical records into
rows; `assemble` turns rows back into raw interchange records, with a locator per record so that
problems are reported as FILE:ROW:COLUMN.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from exiledb.vocab import codebook, dates

from .base import Batch, ImportProblem, Locator
from .schema import add_record


@dataclass(frozen=True)
class Column:
    name: str  # column header
    key: str  # key in the canonical record (or child item); "" for a scalar-list item
    type: str = "string"  # string | integer | number | boolean
    vocab: codebook.Vocabulary | None = None
    required: bool = False
    ref: str = ""  # the table a reference column points to
    derived: bool = False  # written by exports, ignored (re-derived) on import
    country: bool = False
    partial_date: bool = False
    description: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    kind: str  # the record type the rows belong to
    columns: tuple[Column, ...]
    child: str = ""  # the child list in the canonical record; "" for a parent table
    parent: str = ""  # the parent-id column of a child table
    primary_key: tuple[str, ...] = ()
    title: str = ""

    @property
    def scalar(self) -> bool:
        """Child rows that are plain values (tactics, categories) rather than objects."""
        return self.child in SCALAR_CHILDREN

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


SCALAR_CHILDREN = ("other_names", "categories", "tactics", "perpetrators")
V = codebook
C = Column


def _vis() -> Column:
    return C("visibility", "visibility", vocab=V.VISIBILITY)


def _conf() -> Column:
    return C("confidence", "confidence", vocab=V.CONFIDENCE)


def _d(name: str) -> Column:
    return C(name, name, partial_date=True)


TABLES: tuple[Table, ...] = (
    Table(
        "organizations",
        "organizations",
        (
            C("id", "id", required=True),
            C("name", "name", required=True),
            C("abbreviation", "abbreviation"),
            C("type", "type", vocab=V.ORGANIZATION_TYPES),
            C("country", "country", country=True),
            _d("founded"),
            _d("dissolved"),
            C("summary", "summary"),
            _vis(),
        ),
        primary_key=("id",),
        title="Organisations: parties, movements, media, state agencies",
    ),
    Table(
        "organization_names",
        "organizations",
        (
            C("organization_id", "", required=True, ref="organizations"),
            C("name", "", required=True),
        ),
        child="other_names",
        parent="organization_id",
        title="Other names of organisations",
    ),
    Table(
        "designations",
        "organizations",
        (
            C("organization_id", "", required=True, ref="organizations"),
            C("type", "type", vocab=V.DESIGNATION_TYPES, required=True),
            C("by_country", "by_country", country=True, required=True),
            C("authority", "authority"),
            _d("date"),
            C("note", "note"),
        ),
        child="designations",
        parent="organization_id",
        title="Bans and 'extremist'/'terrorist' designations",
    ),
    Table(
        "sources",
        "sources",
        (
            C("id", "id", required=True),
            C("type", "type", vocab=V.SOURCE_TYPES),
            C("title", "title", required=True),
            C("publisher", "publisher"),
            C("author", "author"),
            _d("date"),
            C("url", "url"),
            C("archive_url", "archive_url"),
            C("sha256", "sha256"),
            C("language", "language"),
            C("note", "note"),
            _vis(),
        ),
        primary_key=("id",),
        title="Sources cited",
    ),
    Table(
        "persons",
        "persons",
        (
            C("id", "id", required=True),
            C("display_name", "display_name", required=True),
            C("name_known", "name_known", "boolean"),
            C("sex", "sex", vocab=V.SEX),
            C("birth_year", "birth_year", "integer"),
            C("origin_country", "origin_country", country=True),
            C("is_minor", "is_minor", "boolean"),
            C("may_be_named", "may_be_named", "boolean"),
            C("pseudonym", "pseudonym"),
            C("summary", "summary"),
            C("redacted", "redacted", "boolean"),
            C("contact_details", "contact_details"),
            C("confidential_notes", "confidential_notes"),
            _vis(),
        ),
        primary_key=("id",),
        title="Persons: exiles, relatives, others",
    ),
    Table(
        "names",
        "persons",
        (
            C("person_id", "", required=True, ref="persons"),
            C("value", "value", required=True),
            C("script", "script", vocab=V.SCRIPTS),
            C("language", "language"),
            C("source_id", "source", ref="sources"),
            C("note", "note"),
        ),
        child="names",
        parent="person_id",
        title="Every spelling of every person's name",
    ),
    Table(
        "person_categories",
        "persons",
        (
            C("person_id", "", required=True, ref="persons"),
            C("category", "", vocab=V.EXILE_CATEGORIES, required=True),
        ),
        child="categories",
        parent="person_id",
        primary_key=("person_id", "category"),
        title="CAPE exile categories",
    ),
    Table(
        "residences",
        "persons",
        (
            C("person_id", "", required=True, ref="persons"),
            C("country", "country", country=True, required=True),
            C("place", "place"),
            _d("date_from"),
            _d("date_to"),
            C("asylum_status", "asylum_status", vocab=V.ASYLUM_STATUS),
            C("note", "note"),
        ),
        child="residences",
        parent="person_id",
        title="Host-country residence history",
    ),
    Table(
        "affiliations",
        "persons",
        (
            C("person_id", "", required=True, ref="persons"),
            C("organization_id", "organization", required=True, ref="organizations"),
            C("role", "role", vocab=V.AFFILIATION_ROLES),
            _d("date_from"),
            _d("date_to"),
            _conf(),
            C("note", "note"),
        ),
        child="affiliations",
        parent="person_id",
        title="Memberships and roles",
    ),
    Table(
        "relationships",
        "relationships",
        (
            C("id", "id", required=True),
            C("person_id", "person", required=True, ref="persons"),
            C("kinship", "kinship", vocab=V.KINSHIP, required=True),
            C("other_id", "other", required=True, ref="persons"),
            _conf(),
            _vis(),
            C("note", "note"),
        ),
        primary_key=("id",),
        title="Family and other ties: person is the KINSHIP of other",
    ),
    Table(
        "incidents",
        "incidents",
        (
            C("id", "id", required=True),
            C("title", "title", required=True),
            C("summary", "summary"),
            _d("date"),
            _d("date_end"),
            C("date_precision", "", vocab=V.DATE_PRECISION, derived=True),
            C("year", "", "integer", derived=True),
            C("country", "country", country=True, required=True),
            C("region", "region"),
            C("place", "place"),
            C("latitude", "latitude", "number"),
            C("longitude", "longitude", "number"),
            C("place_precision", "place_precision", vocab=V.PLACE_PRECISION),
            C("origin_country", "origin_country", country=True, required=True),
            C("proxy", "proxy", "boolean"),
            C("stage", "stage", "integer"),
            C("host_state_role", "host_state_role", vocab=V.HOST_STATE_ROLES),
            C("legal_channel", "legal_channel", vocab=V.LEGAL_CHANNELS),
            C("trigger_event", "trigger_event"),
            _d("trigger_date"),
            C("outcome", "outcome", vocab=V.OUTCOMES),
            C("victims_estimated", "victims_estimated", "integer"),
            _conf(),
            C("review_status", "review_status", vocab=V.REVIEW_STATUS),
            _vis(),
            C("confidential_notes", "confidential_notes"),
        ),
        primary_key=("id",),
        title="Incidents: who did what to whom, when, where",
    ),
    Table(
        "incident_tactics",
        "incidents",
        (
            C("incident_id", "", required=True, ref="incidents"),
            C("tactic", "", vocab=V.TACTICS, required=True),
        ),
        child="tactics",
        parent="incident_id",
        primary_key=("incident_id", "tactic"),
        title="Tactics used in each incident",
    ),
    Table(
        "incident_perpetrators",
        "incidents",
        (
            C("incident_id", "", required=True, ref="incidents"),
            C("organization_id", "", required=True, ref="organizations"),
        ),
        child="perpetrators",
        parent="incident_id",
        primary_key=("incident_id", "organization_id"),
        title="Perpetrating agencies",
    ),
    Table(
        "involvements",
        "incidents",
        (
            C("incident_id", "", required=True, ref="incidents"),
            C("person_id", "person", ref="persons"),
            C("role", "role", vocab=V.INVOLVEMENT_ROLES, required=True),
            C("linked_exile_id", "linked_exile", ref="persons"),
            C("description", "description"),
            C("note", "note"),
        ),
        child="involvements",
        parent="incident_id",
        title="Who took part in each incident, how",
    ),
    Table(
        "citations",
        "",
        (
            C("incident_id", "", ref="incidents"),
            C("person_id", "", ref="persons"),
            C("relationship_id", "", ref="relationships"),
            C("organization_id", "", ref="organizations"),
            C("source_id", "source", required=True, ref="sources"),
            C("locator", "locator"),
            C("quote", "quote"),
            C("note", "note"),
        ),
        child="citations",
        title="Which source supports which claim",
    ),
)
BY_NAME = {t.name: t for t in TABLES}
CITATION_PARENTS = {
    "incident_id": "incidents",
    "person_id": "persons",
    "relationship_id": "relationships",
    "organization_id": "organizations",
}
_KIND_PARENT = {v: k for k, v in CITATION_PARENTS.items()}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Written by exports for readers, never read back: they are derived from the tables above.
VIEWS = ("incidents_flat", "codebook", "README")


def neutralise(value: Any) -> Any:
    """Defuse spreadsheet formula injection: '=HYPERLINK(...)' is written as "'=HYPERLINK(...)".

    A value that itself starts with an apostrophe gets one more, so that reading back strips
    exactly what writing added."""
    if isinstance(value, str) and value.startswith((*FORMULA_START, "'")):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    if value.startswith("'") and value[1:2] and value[1:2] in (*FORMULA_START, "'"):
        return value[1:]
    return value


# --- records -> rows ---------------------------------------------------------------------


def _cell(col: Column, value: Any) -> Any:
    if value is None:
        return ""
    return value


def parent_row(table: Table, rec: dict[str, Any]) -> dict[str, Any]:
    row = {}
    for col in table.columns:
        if col.derived:
            row[col.name] = _derived(col.name, rec)
        else:
            row[col.name] = _cell(col, rec.get(col.key))
    return row


def _derived(name: str, rec: dict[str, Any]) -> Any:
    if name == "date_precision":
        return dates.precision(rec.get("date"))
    if name == "year":
        return dates.year(rec.get("date")) or ""
    raise KeyError(name)


def child_rows(table: Table, rec: dict[str, Any], parent_col: str = "") -> Iterator[dict]:
    parent_col = parent_col or table.parent
    for item in rec.get(table.child) or []:
        row: dict[str, Any] = {}
        if table.name == "citations":
            row = dict.fromkeys(CITATION_PARENTS, "")
        row[parent_col] = rec["id"]
        for col in table.columns:
            if col.name in row:
                continue
            row[col.name] = _cell(col, item if table.scalar else item.get(col.key))
        yield row


def flatten(kind: str, records: Iterable[dict[str, Any]]) -> Iterator[tuple[str, dict]]:
    """Yield (table name, row) for every row the records of one type make."""
    for rec in records:
        for table in TABLES:
            if table.name == "citations":
                if kind in _KIND_PARENT:
                    for row in child_rows(table, rec, _KIND_PARENT[kind]):
                        yield table.name, row
            elif table.kind == kind:
                if table.child:
                    for row in child_rows(table, rec):
                        yield table.name, row
                else:
                    yield table.name, parent_row(table, rec)


# --- rows -> records ---------------------------------------------------------------------

TRUE = {"true", "yes", "y", "1", "t"}
FALSE = {"false", "no", "n", "0", "f"}


class CellError(ValueError):
    pass


def parse_cell(col: Column, value: Any, raw: bool = False) -> Any:
    """A spreadsheet cell (text, or a number/date from XLSX) as the canonical value."""
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        if col.partial_date:
            return value.strftime("%Y-%m-%d")
        raise CellError(f"expected {col.type}, found a date")
    if isinstance(value, bool):
        if col.type == "boolean":
            return value
        value = str(value).lower()
    if isinstance(value, int | float) and not isinstance(value, bool):
        if col.type == "number":
            return float(value)
        if col.type == "integer" or col.partial_date:
            if float(value) != int(value):
                raise CellError(f"'{value}' is not a whole number")
            return int(value) if col.type == "integer" else str(int(value))
        value = str(int(value)) if float(value) == int(value) else str(value)
    text = str(value) if raw else unneutralise(str(value))
    if col.type != "string":
        text = text.strip()
    if text == "":
        return None
    if col.type == "boolean":
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise CellError(f"'{text}' is not true or false")
    if col.type == "integer":
        try:
            return int(text)
        except ValueError:
            raise CellError(f"'{text}' is not a whole number") from None
    if col.type == "number":
        try:
            return float(text.replace(",", "."))
        except ValueError:
            raise CellError(f"'{text}' is not a number") from None
    if col.vocab is not None or col.country or col.ref or col.name == "id":
        return text.strip()
    return text


Rows = list[tuple[int, dict[str, Any]]]  # (row number as a spreadsheet shows it, cells)


@dataclass
class Sheet:
    """One table read from a file: where it came from and its rows."""

    file: str  # how problems name it: "persons.csv" or "book.xlsx[persons]"
    table: Table
    header: list[str]
    rows: Rows
    raw: bool = False  # values written as stored (data packages): no formula neutralisation


def check_header(sheet: Sheet) -> list[ImportProblem]:
    problems = []
    known = {c.name for c in sheet.table.columns}
    for name in sheet.header:
        if name not in known:
            problems.append(
                ImportProblem(
                    sheet.file,
                    f"1:{name}",
                    f"unknown column (expected {', '.join(c.name for c in sheet.table.columns)})",
                )
            )
    for col in sheet.table.columns:
        if (
            col.required
            and col.name not in sheet.header
            and not (sheet.table.name == "citations" and col.name in CITATION_PARENTS)
        ):
            problems.append(ImportProblem(sheet.file, f"1:{col.name}", "missing required column"))
    if len(set(sheet.header)) != len(sheet.header):
        dup = [h for h in sheet.header if sheet.header.count(h) > 1][0]
        problems.append(ImportProblem(sheet.file, f"1:{dup}", "column appears twice"))
    return problems


def assemble(sheets: list[Sheet], batch: Batch) -> None:
    """Group child rows under their parents and add the records to the batch."""
    for each in sheets:
        batch.problems.extend(check_header(each))
    if batch.problems:
        return
    by_table = {s.table.name: s for s in sheets}
    parents: dict[str, dict[str, tuple[dict, dict[str, tuple[str, int, str]], list]]] = defaultdict(
        dict
    )
    # parents[kind][raw id] = (raw record, {key: (file, row)}, child origins)
    order: dict[str, list[str]] = defaultdict(list)
    for table in TABLES:
        sheet = by_table.get(table.name)
        if sheet is None or table.child:
            continue
        for rownum, cells in sheet.rows:
            raw: dict[str, Any] = {}
            ok = _convert(sheet, rownum, cells, raw, batch)
            rid = raw.get("id")
            if not rid:
                if ok:
                    batch.problems.append(ImportProblem(sheet.file, f"{rownum}:id", "is required"))
                continue
            if rid in parents[table.kind]:
                first = parents[table.kind][rid][1]["id"]
                batch.problems.append(
                    ImportProblem(
                        sheet.file, f"{rownum}:id", f"duplicate id: also on row {first[1]}"
                    )
                )
                continue
            parents[table.kind][rid] = (
                raw,
                {"": (sheet.file, rownum, ""), "id": (sheet.file, rownum, "id")},
                [],
            )
            order[table.kind].append(rid)
    for table in TABLES:
        sheet = by_table.get(table.name)
        if sheet is None or not table.child:
            continue
        for rownum, cells in sheet.rows:
            item: dict[str, Any] = {}
            if not _convert(sheet, rownum, cells, item, batch, child=True):
                continue
            owner = _owner(table, item, sheet, rownum, batch)
            if owner is None:
                continue
            kind, pid, parent_col = owner
            entry = parents[kind].get(pid)
            if entry is None:
                parent_table = CITATION_PARENTS.get(parent_col, table.kind)
                batch.problems.append(
                    ImportProblem(
                        sheet.file,
                        f"{rownum}:{parent_col}",
                        f"no {parent_table} row with id '{pid}': child rows must come with their "
                        f"parent row in {parent_table}",
                    )
                )
                continue
            raw = entry[0]
            items = raw.setdefault(table.child, [])
            value_col = table.columns[-1].name if table.scalar else ""
            entry[1][f"{table.child}[{len(items)}]"] = (sheet.file, rownum, value_col)
            items.append(item[""] if table.scalar else item)
    _keep_stored_children(parents, {s.table.name for s in sheets})
    for table in TABLES:
        if table.child:
            continue
        seen: dict[str, Any] = {}
        for rid in order[table.kind]:
            raw, origins, _ = parents[table.kind][rid]
            add_record(batch, table.kind, raw, _locator(origins, table), seen)


def _keep_stored_children(parents: dict[str, dict[str, Any]], supplied: set[str]) -> None:
    """A file with persons.csv but no names.csv says nothing about names: stored persons keep
    the spellings (and other child rows) the file does not give, instead of losing them."""
    from .base import record_uuid
    from .serialize import records_by_id

    for kind, records in parents.items():
        missing = [
            t.child
            for t in TABLES
            if t.child
            and t.name not in supplied
            and (t.kind == kind or (t.name == "citations" and kind in CITATION_PARENTS.values()))
        ]
        if not missing or not records:
            continue
        uuids = {str(record_uuid(kind, rid)): rid for rid in records if isinstance(rid, str)}
        for uid, stored in records_by_id(kind, list(uuids)).items():
            raw = records[uuids[uid]][0]
            for child in missing:
                if child in stored and child not in raw:
                    raw[child] = stored[child]


def _owner(
    table: Table, item: dict[str, Any], sheet: Sheet, rownum: int, batch: Batch
) -> tuple[str, str, str] | None:
    if table.name != "citations":
        pid = item.pop(table.parent, None)
        if not pid:
            batch.problems.append(
                ImportProblem(sheet.file, f"{rownum}:{table.parent}", "is required")
            )
            return None
        return table.kind, pid, table.parent
    given = [(col, item.pop(col)) for col in CITATION_PARENTS if item.get(col)]
    for col in CITATION_PARENTS:
        item.pop(col, None)
    if len(given) != 1:
        batch.problems.append(
            ImportProblem(
                sheet.file,
                f"{rownum}:incident_id",
                "a citation names exactly one of incident_id, "
                "person_id, relationship_id, organization_id",
            )
        )
        return None
    col, pid = given[0]
    return CITATION_PARENTS[col], pid, col


def _convert(
    sheet: Sheet,
    rownum: int,
    cells: dict[str, Any],
    out: dict[str, Any],
    batch: Batch,
    child: bool = False,
) -> bool:
    ok = True
    for col in sheet.table.columns:
        if col.derived or col.name not in cells:
            continue
        try:
            value = parse_cell(col, cells[col.name], sheet.raw)
        except CellError as exc:
            batch.problems.append(ImportProblem(sheet.file, f"{rownum}:{col.name}", str(exc)))
            ok = False
            continue
        if value is None:
            continue
        if child and (
            col.name == sheet.table.parent
            or (sheet.table.name == "citations" and col.name in CITATION_PARENTS)
        ):
            out[col.name] = value
        elif sheet.table.scalar and child and col.key == "":
            out[""] = value
        else:
            out[col.key or col.name] = value
    if child and sheet.table.scalar and "" not in out and ok:
        value_col = [c for c in sheet.table.columns if c.key == "" and c.name != sheet.table.parent]
        batch.problems.append(
            ImportProblem(sheet.file, f"{rownum}:{value_col[0].name}", "is required")
        )
        return False
    return ok


_COLUMN_OF_KEY = {c.key: c.name for t in TABLES for c in t.columns if c.key}


def _locator(origins: dict[str, tuple[str, int, str]], parent: Table) -> Locator:
    """Map a field path of the assembled record back to FILE, ROW:COLUMN."""

    def locate(field: str) -> tuple[str, str]:
        head, _, tail = field.partition(".")
        if head in origins and "[" in head:
            file, row, value_col = origins[head]
            col = _COLUMN_OF_KEY.get(tail, tail) if tail else value_col
            return file, f"{row}:{col}" if col else f"{row}"
        file, row, _ = origins[""]
        name = head.split("[")[0]
        col = _COLUMN_OF_KEY.get(name, name) if name else ""
        return file, f"{row}:{col}" if col else f"{row}"

    return locate


Reader = Callable[[str], list[Sheet]]

"""Exports: interchange JSON, normalised CSV and XLSX, and Frictionless data packages.

Every export asks the access policy for its records: the internal audience gets every record as
stored; the public audience gets `Publication`'s public view and nothing else. Records stream
from the database a chunk at a time, so a million incidents export in bounded memory.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils import timezone

from exiledb.access.policy import INTERNAL, PUBLIC, Publication
from exiledb.vocab import CODEBOOK_VERSION, COUNTRIES, VOCABULARIES, codebook

from . import serialize
from .base import RECORD_TYPES
from .interchange import FORMAT
from .tables import TABLES, Table, flatten
from .tabular import header_of

FORMATS = ("json", "csv", "xlsx", "datapackage")
XLSX_MAX_ROWS = 1_048_575
DISCLAIMER = (
    "Counts are of documented cases only: a floor, not an estimate. Inclusion implies "
    "no judgement of guilt or innocence on any state's charges."
)


class ExportError(Exception):
    pass


@dataclass
class ExportResult:
    path: str
    format: str
    audience: str
    counts: dict[str, int] = field(default_factory=dict)


class Records:
    """The records an audience may have, and how to name a person or source for it."""

    def __init__(self, audience: str):
        if audience not in (PUBLIC, INTERNAL):
            raise ExportError(f"unknown audience '{audience}' (public or internal)")
        self.audience = audience
        self.publication = Publication() if audience == PUBLIC else None

    def iter(self, kind: str) -> Iterator[dict[str, Any]]:
        if self.publication is not None:
            return self.publication.records(kind)
        return serialize.iter_records(kind)

    def person_names(self) -> dict[str, str]:
        from exiledb.cases.models import Person

        if self.publication is not None:
            return {
                pid: self.publication.public_name(pid) or "" for pid in self.publication.persons
            }
        return {str(pk): name for pk, name in Person.objects.values_list("pk", "display_name")}

    def sources(self) -> dict[str, tuple[str, str]]:
        from exiledb.cases.models import Source

        qs = self.publication.source_qs if self.publication is not None else Source.objects.all()
        return {str(pk): (title, url) for pk, title, url in qs.values_list("pk", "title", "url")}


def metadata(audience: str) -> dict[str, Any]:
    now = timezone.now().replace(microsecond=0)
    return {
        "title": f"exiledb {audience} export",
        "exported_at": now.isoformat(),
        "audience": audience,
        "licence": os.environ.get("EXILEDB_DATA_LICENSE", "CC-BY-4.0"),
        "citation": citation(audience, now.date()),
    }


def citation(audience: str, date: dt.date) -> str:
    publisher = os.environ.get("EXILEDB_PUBLISHER", "exiledb")
    return (
        f"{publisher}: documented transnational repression, {audience} data exported "
        f"{date.isoformat()} (codebook {CODEBOOK_VERSION}). {DISCLAIMER}"
    )


# --- JSON --------------------------------------------------------------------------------


def write_json(fh: IO[str], records: Records) -> dict[str, int]:
    """The interchange document, one record per line so it streams and diffs well."""
    meta = metadata(records.audience)
    head = {
        "format": FORMAT,
        "codebook": CODEBOOK_VERSION,
        "title": meta["title"],
        "exported_at": meta["exported_at"],
        "audience": records.audience,
    }
    fh.write("{\n")
    for key, value in head.items():
        fh.write(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n")
    counts = {}
    for n, kind in enumerate(RECORD_TYPES):
        fh.write(f'"{kind}": [')
        count = 0
        for rec in records.iter(kind):
            fh.write(",\n" if count else "\n")
            fh.write(json.dumps(rec, ensure_ascii=False, separators=(", ", ": ")))
            count += 1
        fh.write("\n]" if count else "]")
        fh.write(",\n" if n < len(RECORD_TYPES) - 1 else "\n")
        counts[kind] = count
    fh.write("}\n")
    return counts


# --- tables -------------------------------------------------------------------------------

FLAT_COLUMNS = (
    "id",
    "date",
    "date_end",
    "date_precision",
    "year",
    "country",
    "country_name",
    "region",
    "place",
    "place_precision",
    "origin_country",
    "proxy",
    "stage",
    "tactics",
    "tactic_labels",
    "targets",
    "relatives_targeted",
    "linked_exiles",
    "perpetrators",
    "host_state_role",
    "legal_channel",
    "trigger_event",
    "trigger_date",
    "outcome",
    "victims_estimated",
    "title",
    "summary",
    "confidence",
    "review_status",
    "visibility",
    "source_titles",
    "source_urls",
)


def flat_row(
    rec: dict[str, Any],
    persons: dict[str, str],
    sources: dict[str, tuple[str, str]],
    orgs: dict[str, str],
) -> dict[str, Any]:
    """One row per incident for spreadsheet users; several values in one cell joined by '; '."""

    def names(role: str, key: str = "person") -> str:
        out = []
        for inv in rec["involvements"]:
            if inv["role"] == role or (key == "linked_exile" and inv.get(key)):
                out.append(persons.get(inv[key], "") if inv.get(key) else inv["description"])
        return "; ".join(dict.fromkeys(x for x in out if x))

    cited = [sources[c["source"]] for c in rec["citations"] if c["source"] in sources]
    from exiledb.vocab import dates

    return {
        **{k: rec.get(k) for k in FLAT_COLUMNS if k in rec},
        "date_precision": dates.precision(rec["date"]),
        "year": dates.year(rec["date"]),
        "country_name": COUNTRIES.get(rec["country"], ""),
        "tactics": "; ".join(rec["tactics"]),
        "tactic_labels": "; ".join(
            codebook.TACTICS.label(t, translate=False) for t in rec["tactics"]
        ),
        "targets": names("target"),
        "relatives_targeted": names("relative_targeted"),
        "linked_exiles": names("", "linked_exile"),
        "perpetrators": "; ".join(orgs.get(o, "") for o in rec["perpetrators"]),
        "source_titles": "; ".join(dict.fromkeys(t for t, _ in cited)),
        "source_urls": "; ".join(dict.fromkeys(u for _, u in cited if u)),
    }


def codebook_rows() -> Iterator[dict[str, Any]]:
    for vocab in VOCABULARIES:
        for c in vocab.codes:
            yield {
                "vocabulary": vocab.name,
                "code": c.code,
                "label": c.label,
                "definition": c.definition,
                "stage": c.stage or "",
                "group": c.group,
            }


CODEBOOK_HEADER = ["vocabulary", "code", "label", "definition", "stage", "group"]


def _org_names(records: Records) -> dict[str, str]:
    return {rec["id"]: rec["name"] for rec in records.iter("organizations")}


def stream_tables(records: Records, sink: Callable[[str, dict[str, Any]], None]) -> dict[str, int]:
    """Feed every row of every table (plus incidents_flat) to sink(table, row)."""
    counts: dict[str, int] = {t.name: 0 for t in TABLES}
    counts["incidents_flat"] = 0
    persons = records.person_names()
    sources = records.sources()
    orgs = _org_names(records)
    for kind in RECORD_TYPES:
        for rec in records.iter(kind):
            for table, row in flatten(kind, [rec]):
                sink(table, row)
                counts[table] += 1
            if kind == "incidents":
                sink("incidents_flat", flat_row(rec, persons, sources, orgs))
                counts["incidents_flat"] += 1
    return counts


def _headers() -> dict[str, list[str]]:
    headers = {t.name: header_of(t) for t in TABLES}
    headers["incidents_flat"] = list(FLAT_COLUMNS)
    headers["codebook"] = CODEBOOK_HEADER
    return headers


def write_csv_files(
    target: Path | zipfile.ZipFile, records: Records, *, bom: bool, protect: bool, prefix: str = ""
) -> dict[str, int]:
    """One CSV per table into a folder or a zip (streams through temporary files)."""
    import tempfile

    headers = _headers()
    with ExitStack() as stack:
        tmpdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        handles: dict[str, IO[str]] = {}
        writers: dict[str, Any] = {}
        import csv

        from .tabular import _out

        for name, header in headers.items():
            fh = stack.enter_context(
                open(
                    tmpdir / f"{name}.csv",
                    "w",
                    encoding="utf-8-sig" if bom else "utf-8",
                    newline="",
                )
            )
            handles[name] = fh
            writers[name] = csv.writer(fh, lineterminator="\r\n")
            writers[name].writerow(header)

        def sink(table: str, row: dict[str, Any]) -> None:
            writers[table].writerow([_out(row.get(h), protect) for h in headers[table]])

        counts = stream_tables(records, sink)
        counts["codebook"] = 0
        for entry in codebook_rows():
            sink("codebook", entry)
            counts["codebook"] += 1
        for handle in handles.values():
            handle.close()
        for name in headers:
            src = tmpdir / f"{name}.csv"
            if isinstance(target, zipfile.ZipFile):
                target.write(src, f"{prefix}{name}.csv")
            else:
                (target / f"{prefix}{name}.csv").parent.mkdir(parents=True, exist_ok=True)
                src.replace(target / f"{prefix}{name}.csv")
    return counts


def write_xlsx(path: Path, records: Records) -> dict[str, int]:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from .tabular import _out

    wb = Workbook(write_only=True)
    headers = _headers()
    sheets = {}
    bold = Font(bold=True)
    readme = wb.create_sheet("README")
    meta = metadata(records.audience)
    for line in (
        meta["title"],
        f"Exported {meta['exported_at']}",
        f"Licence: {meta['licence']}",
        f"How to cite: {meta['citation']}",
        "One sheet per table; incidents_flat has one row per incident. Codes are "
        "explained in the codebook sheet.",
    ):
        readme.append([line])
    for name, header in headers.items():
        ws = wb.create_sheet(name)
        row = []
        for h in header:
            cell = WriteOnlyCell(ws, value=h)
            cell.font = bold
            row.append(cell)
        ws.append(row)
        sheets[name] = ws
    rows: dict[str, int] = {}

    def sink(table: str, row: dict[str, Any]) -> None:
        rows[table] = rows.get(table, 0) + 1
        if rows[table] > XLSX_MAX_ROWS:
            raise ExportError(
                f"the {table} table has more rows than a worksheet can hold "
                f"({XLSX_MAX_ROWS:,}); export as csv or datapackage instead"
            )
        # Text cells are written as strings, never as formulas (and neutralised as in CSV).
        sheets[table].append([_out(row.get(h), True) for h in headers[table]])

    counts = stream_tables(records, sink)
    for entry in codebook_rows():
        sink("codebook", entry)
    counts["codebook"] = rows["codebook"]
    wb.save(path)
    return counts


# --- data package ---------------------------------------------------------------------------

PARTIAL_DATE_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"


def table_schema(table: Table) -> dict[str, Any]:
    fields = []
    for col in table.columns:
        f: dict[str, Any] = {"name": col.name, "type": col.type}
        constraints: dict[str, Any] = {}
        # citations name one claim column of four, and a citation whose source was deleted
        # is kept "unresolved": none of these is required on its own
        if col.required and table.name != "citations":
            constraints["required"] = True
        if col.vocab is not None:
            constraints["enum"] = [
                c.code if col.type == "string" else int(c.code) for c in col.vocab.codes
            ]
            f["description"] = f"Code from the codebook vocabulary '{col.vocab.name}'."
        if col.country:
            constraints["enum"] = sorted(COUNTRIES)
            f["description"] = "ISO 3166-1 alpha-2 country code."
        if col.partial_date:
            constraints["pattern"] = PARTIAL_DATE_PATTERN
            f["description"] = (
                "Partial date: YYYY-MM-DD, YYYY-MM or YYYY; the length gives the precision."
            )
        if col.name == "stage":
            constraints["enum"] = [1, 2, 3]
        if constraints:
            f["constraints"] = constraints
        fields.append(f)
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
    if table.primary_key:
        schema["primaryKey"] = list(table.primary_key)
    fks = [
        {"fields": col.name, "reference": {"resource": col.ref, "fields": "id"}}
        for col in table.columns
        if col.ref
    ]
    if fks:
        schema["foreignKeys"] = fks
    return schema


def descriptor(records: Records, counts: dict[str, int]) -> dict[str, Any]:
    meta = metadata(records.audience)
    resources = []
    for table in TABLES:
        resources.append(
            {
                "name": table.name,
                "path": f"data/{table.name}.csv",
                "profile": "tabular-data-resource",
                "title": table.title,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": table_schema(table),
            }
        )
    resources.append(
        {
            "name": "incidents_flat",
            "path": "data/incidents_flat.csv",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "title": "One row per incident, for spreadsheets (several values per cell, '; ')",
            "schema": {
                "fields": [{"name": c, "type": _flat_type(c)} for c in FLAT_COLUMNS],
                "missingValues": [""],
                "primaryKey": ["id"],
            },
        }
    )
    resources.append(
        {
            "name": "codebook",
            "path": "data/codebook.csv",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "title": "The codebook: every code with its label and definition",
            "schema": {
                "fields": [
                    {"name": c, "type": "integer" if c == "stage" else "string"}
                    for c in CODEBOOK_HEADER
                ],
                "missingValues": [""],
            },
        }
    )
    return {
        "profile": "tabular-data-package",
        "name": f"exiledb-{records.audience}",
        "title": meta["title"],
        "description": (
            "Documented incidents of transnational repression: exiles targeted "
            "abroad and relatives targeted at home, with sources. " + DISCLAIMER
        ),
        "created": meta["exported_at"],
        "version": CODEBOOK_VERSION,
        "licenses": [{"name": meta["licence"], "title": meta["licence"]}],
        "citation": meta["citation"],
        "keywords": ["transnational repression", "human rights", "exiles"],
        "exiledb": {"audience": records.audience, "codebook": CODEBOOK_VERSION, "counts": counts},
        "resources": resources,
    }


def _flat_type(column: str) -> str:
    if column in ("year", "stage", "victims_estimated"):
        return "integer"
    if column == "proxy":
        return "boolean"
    return "string"


def write_datapackage(target: Path, records: Records) -> dict[str, int]:
    """A folder (or .zip) with datapackage.json and data/*.csv that `frictionless validate`
    accepts. Data-package CSVs carry no BOM and no formula neutralisation: they are for data
    tools, which must see the values exactly as stored."""
    if target.suffix.lower() == ".zip":
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            counts = write_csv_files(zf, records, bom=False, protect=False, prefix="data/")
            zf.writestr(
                "datapackage.json",
                json.dumps(descriptor(records, counts), indent=2, ensure_ascii=False),
            )
        return counts
    target.mkdir(parents=True, exist_ok=True)
    counts = write_csv_files(target, records, bom=False, protect=False, prefix="data/")
    (target / "datapackage.json").write_text(
        json.dumps(descriptor(records, counts), indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return counts


# --- entry point ----------------------------------------------------------------------------


def export(fmt: str, audience: str, out: str | Path) -> ExportResult:
    """Write an export. `out` is a file (json, xlsx, .zip) or a folder (csv, datapackage);
    '-' writes JSON to standard output."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format '{fmt}' (one of {', '.join(FORMATS)})")
    records = Records(audience)
    result = ExportResult(str(out), fmt, audience)
    if fmt == "json":
        if str(out) == "-":
            import sys

            result.counts = write_json(sys.stdout, records)
        else:
            with _atomic(Path(out)) as tmp, open(tmp, "w", encoding="utf-8") as fh:
                result.counts = write_json(fh, records)
        return result
    path = Path(out)
    if fmt == "xlsx":
        with _atomic(path) as tmp:
            result.counts = write_xlsx(tmp, records)
    elif fmt == "csv":
        if path.suffix.lower() == ".zip":
            with _atomic(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
                result.counts = write_csv_files(zf, records, bom=True, protect=True)
        else:
            path.mkdir(parents=True, exist_ok=True)
            result.counts = write_csv_files(path, records, bom=True, protect=True)
    else:
        if path.suffix.lower() == ".zip":
            with _atomic(path) as tmp:
                result.counts = write_datapackage(tmp, records)
        else:
            result.counts = write_datapackage(path, records)
    return result


class _atomic:
    """Write to a temporary sibling and move it into place, so a failed export leaves no
    half-written file behind."""

    def __init__(self, path: Path):
        self.path = path
        self.tmp = path.with_name(f".{path.name}.partial{path.suffix}")

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self.tmp

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is None:
            os.replace(self.tmp, self.path)
        elif self.tmp.exists():
            self.tmp.unlink()


def to_bytes(fmt: str, audience: str) -> bytes:
    """An export as bytes (for small downloads and tests)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        name = {"json": "x.json", "xlsx": "x.xlsx", "csv": "x.zip", "datapackage": "x.zip"}[fmt]
        export(fmt, audience, Path(tmp) / name)
        return (Path(tmp) / name).read_bytes()


DOWNLOADS = {
    "json": ("exiledb-{audience}.json", "application/json"),
    "xlsx": (
        "exiledb-{audience}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "csv": ("exiledb-{audience}-csv.zip", "application/zip"),
    "datapackage": ("exiledb-{audience}-datapackage.zip", "application/zip"),
}


def data_version() -> str:
    """Changes whenever any row of the case database is added, changed or deleted: every
    change, child rows included, writes an edit-history row, and deletions change counts."""
    import hashlib

    from django.apps import apps
    from django.db.models import Count, Max

    parts = []
    for model in apps.get_app_config("cases").get_models():
        manager = model._default_manager
        if any(f.name == "history_date" for f in model._meta.fields):
            agg = manager.aggregate(n=Count("pk"), last=Max("history_date"))
        else:
            agg = manager.aggregate(n=Count("pk"), last=Count("pk"))
        parts.append(f"{model.__name__}:{agg['n']}:{agg['last']}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def cached_download(fmt: str, audience: str) -> Path:
    """The export file for the current data, built once per data version."""
    from django.conf import settings

    name = DOWNLOADS[fmt][0].format(audience=audience)
    folder = Path(settings.DATA_DIR) / "exports" / data_version()
    path = folder / name
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        export(fmt, audience, path)
        # Older versions may hold what has since been unpublished or redacted: remove them.
        import shutil

        for old in folder.parent.iterdir():
            if old != folder and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
    return path

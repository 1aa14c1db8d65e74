"""CSV and XLSX in the normalised layout (one file or sheet per table), both directions.

Reading: a folder or .zip of CSV files named after the tables (persons.csv, names.csv, ...), a
single such CSV, or an .xlsx workbook whose sheets are named after the tables. Writing: the same
layout, UTF-8 with a BOM so Excel shows non-Latin names correctly, with spreadsheet formulas
neutralised.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from .base import Batch, ImportFailed, ImportProblem
from .tables import BY_NAME, TABLES, VIEWS, Sheet, Table, assemble, neutralise

csv.field_size_limit(10_000_000)


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            [
                ImportProblem(
                    name,
                    f"byte {exc.start}",
                    "the file is not UTF-8 text; in Excel choose 'CSV UTF-8' when saving",
                )
            ]
        ) from None


def _sheet_from_csv(text: str, name: str, table: Table) -> Sheet:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return Sheet(name, table, [], [])
    except csv.Error as exc:
        raise ImportFailed([ImportProblem(name, "1", f"not a CSV file: {exc}")]) from None
    rows = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            rownum = reader.line_num
            if len(values) > len(header):
                raise ImportFailed(
                    [
                        ImportProblem(
                            name, str(rownum), f"{len(values)} cells but only {len(header)} columns"
                        )
                    ]
                )
            rows.append((rownum, dict(zip(header, values, strict=False))))
    except csv.Error as exc:
        raise ImportFailed(
            [ImportProblem(name, str(reader.line_num), f"broken CSV: {exc}")]
        ) from None
    return Sheet(name, table, header, rows)


def _table_for(stem: str, name: str) -> Table:
    table = BY_NAME.get(stem)
    if table is None:
        raise ImportFailed(
            [
                ImportProblem(
                    name,
                    "",
                    f"'{stem}' is not a table of the exiledb layout (expected one of "
                    f"{', '.join(t.name for t in TABLES)})",
                )
            ]
        )
    return table


def read_csv(path: str | Path) -> Batch:
    """A folder or .zip of normalised CSV files, or one of them alone."""
    p = Path(path)
    sheets: list[Sheet] = []
    if p.is_dir():
        files = sorted(p.glob("*.csv"))
        if not files:
            raise ImportFailed([ImportProblem(str(p), "", "the folder holds no .csv files")])
        for f in files:
            if f.stem in VIEWS:
                continue
            sheets.append(
                _sheet_from_csv(_decode(f.read_bytes(), f.name), f.name, _table_for(f.stem, f.name))
            )
    elif p.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(p) as zf:
                for info in sorted(zf.infolist(), key=lambda i: i.filename):
                    stem = Path(info.filename).stem
                    if not info.filename.lower().endswith(".csv") or stem in VIEWS:
                        continue
                    label = f"{p.name}/{info.filename}"
                    sheets.append(
                        _sheet_from_csv(
                            _decode(zf.read(info), label), label, _table_for(stem, label)
                        )
                    )
        except zipfile.BadZipFile:
            raise ImportFailed([ImportProblem(str(p), "", "not a valid .zip file")]) from None
    else:
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise ImportFailed(
                [ImportProblem(str(p), "", f"cannot read: {exc.strerror}")]
            ) from None
        sheets.append(_sheet_from_csv(_decode(data, p.name), str(p), _table_for(p.stem, str(p))))
    batch = Batch(file=str(p))
    assemble(sheets, batch)
    return batch


def _xlsx_value(cell: Any) -> Any:
    """Excel turns typed '2016-09' into 1 Sep 2016 shown as 'Sep-16': keep only what it shows."""
    value = cell.value
    if isinstance(value, dt.datetime | dt.date) and getattr(cell, "number_format", None):
        fmt = cell.number_format.lower()
        if "d" not in fmt.replace("[$-", ""):
            return value.strftime("%Y-%m") if "m" in fmt else value.strftime("%Y")
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def open_workbook(path: str | Path) -> Any:
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ImportFailed(
            [ImportProblem(str(path), "", f"not a readable .xlsx workbook ({type(exc).__name__})")]
        ) from None


def sheet_rows(ws: Any) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    rows = ws.iter_rows()
    try:
        header = [str(c.value).strip() if c.value is not None else "" for c in next(rows)]
    except StopIteration:
        return [], []
    while header and header[-1] == "":
        header.pop()
    out = []
    for rownum, row in enumerate(rows, start=2):
        values = [_xlsx_value(c) for c in row[: len(header)]]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        out.append((rownum, dict(zip(header, values, strict=False))))
    return header, out


def read_xlsx(path: str | Path) -> Batch:
    """A workbook whose sheets are named after the tables."""
    p = Path(path)
    wb = open_workbook(p)
    sheets = []
    try:
        for ws in wb.worksheets:
            if ws.title in VIEWS:
                continue
            label = f"{p.name}[{ws.title}]"
            table = _table_for(ws.title, label)
            header, rows = sheet_rows(ws)
            sheets.append(Sheet(label, table, header, rows))
    finally:
        wb.close()
    batch = Batch(file=str(p))
    assemble(sheets, batch)
    return batch


def is_normalised_workbook(path: str | Path) -> bool:
    wb = open_workbook(path)
    try:
        return any(ws.title in BY_NAME for ws in wb.worksheets)
    finally:
        wb.close()


# --- writing -------------------------------------------------------------------------------


def write_csv_rows(
    fh: IO[str], header: list[str], rows: Iterable[dict[str, Any]], protect: bool = True
) -> int:
    writer = csv.writer(fh, lineterminator="\r\n")
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow([_out(row.get(h), protect) for h in header])
        n += 1
    return n


def _out(value: Any, protect: bool) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return neutralise(value) if protect else value


def header_of(table: Table) -> list[str]:
    return [c.name for c in table.columns]


def rows_by_table(tables: dict[str, list[dict[str, Any]]]) -> Iterator[tuple[Table, list]]:
    for table in TABLES:
        yield table, tables.get(table.name, [])


def read_datapackage(path: str | Path) -> Batch:
    """A Frictionless data package written by exiledb (folder, .zip or datapackage.json)."""
    import json

    p = Path(path)
    if p.name == "datapackage.json":
        p = p.parent
    sheets: list[Sheet] = []

    def load(read: Any, label: str) -> None:
        try:
            desc = json.loads(read("datapackage.json").decode("utf-8-sig"))
        except (KeyError, FileNotFoundError):
            raise ImportFailed([ImportProblem(label, "", "no datapackage.json")]) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ImportFailed(
                [ImportProblem(f"{label}/datapackage.json", "", f"invalid JSON: {exc}")]
            ) from None
        for res in desc.get("resources", []):
            name = res.get("name")
            if name not in BY_NAME:
                continue  # incidents_flat, codebook and foreign resources are views, not data
            file_label = f"{label}/{res.get('path')}"
            try:
                data = read(res["path"])
            except (KeyError, FileNotFoundError):
                raise ImportFailed(
                    [ImportProblem(file_label, "", "resource file missing")]
                ) from None
            sheet = _sheet_from_csv(_decode(data, file_label), file_label, BY_NAME[name])
            sheet.raw = True  # data packages carry values exactly as stored
            sheets.append(sheet)

    if p.is_dir():
        load(lambda rel: (p / rel).read_bytes(), str(p))
    else:
        try:
            with zipfile.ZipFile(p) as zf:
                load(zf.read, p.name)
        except zipfile.BadZipFile:
            raise ImportFailed([ImportProblem(str(p), "", "not a valid .zip file")]) from None
    batch = Batch(file=str(p))
    assemble(sheets, batch)
    return batch

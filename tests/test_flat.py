"""Flat "one row per incident" sheets from partners, loaded through a mapping file.

This module also renders the flat-sheet field reference of docs/import-export.md from
`exiledb.ingest.flat`; `python tests/test_flat.py` rewrites that section.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from exiledb.ingest import flat

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "import-export.md"
START, END = "<!-- flat-fields:start -->", "<!-- flat-fields:end -->"

# A partner's sheet as they keep it: headers with spaces, country names, tactics as labels
# and codes, day-first and spelled-out dates, a relative tied to an exile by any spelling.
HEADER = [
    "Date of incident",
    "Host country",
    "Country of origin",
    "Victim",
    "Family member",
    "Relative of",
    "Relation",
    "Methods",
    "Source",
    "Link",
    "Coder",
]
ROWS = [
    [
        "22.09.2016",
        "Russia",
        "Tajikistan",
        "Alim Sherzamonov",
        "",
        "",
        "",
        "Threat or intimidation; surveillance",
        "Radio Ozodi",
        "https://rus.ozodi.org/a/1",
        "AB",
    ],
    [
        "September 2016",
        "Türkiye",
        "Tajikistan",
        "Шабнам Худойдодова",
        "",
        "",
        "",
        "detention_abroad",
        "Radio Ozodi",
        "https://rus.ozodi.org/a/1",
        "AB",
    ],
    [
        "03.10.2016",
        "Tajikistan",
        "Tajikistan",
        "",
        "Gulnora Khudoydodova",
        "Khodoydodova",
        "mother",
        "Relative detained or interrogated; proxy_threat",
        "HRW dispatch",
        "https://www.hrw.org/news/2016/10/03/x",
        "CD",
    ],
]
MAPPING = """\
# The partner's headers on the left, exiledb's fields on the right.
columns:
  "Date of incident": date
  "Host country": country
  "Country of origin": origin_country
  "Victim": target
  "Family member": relative
  "Relative of": relative_of
  "Relation": kinship
  "Methods": tactics
  "Source": source_title
  "Link": source_url
  "Coder": ignore
defaults:
  review_status: draft
separator: ";"
"""


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


@pytest.fixture
def sheet(tmp_path: Path) -> tuple[Path, Path]:
    path = tmp_path / "partner.csv"
    path.write_text(csv_text(HEADER, ROWS), encoding="utf-8")
    mapping = tmp_path / "partner.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return path, mapping


# --- the generated field reference -----------------------------------------------------------

GROUPS = (
    ("the incident", flat.INCIDENT_FIELDS),
    ("who was targeted", flat.PERSON_FIELDS),
    ("the source", flat.SOURCE_FIELDS),
)


def render_fields() -> str:
    """The flat-sheet field reference of docs/import-export.md, from `exiledb.ingest.flat`."""
    aliases: dict[str, list[str]] = {}
    for alias, field in flat.ALIASES.items():
        aliases.setdefault(field, []).append(alias)
    out = [
        START,
        "<!-- Generated from exiledb.ingest.flat by tests/test_flat.py: run",
        "     `python tests/test_flat.py` to refresh it. Do not edit by hand. -->",
        "",
        "| field | about | several per cell | headers understood without a mapping |",
        "|---|---|---|---|",
    ]
    for group, fields in GROUPS:
        for field in fields:
            several = "yes" if field in flat.LIST_FIELDS else ""
            names = ", ".join(f"`{a}`" for a in [field, *sorted(aliases.get(field, []))])
            out.append(f"| `{field}` | {group} | {several} | {names} |")
    out += ["", f"Map a column to `{flat.IGNORE}` to skip it.", END]
    return "\n".join(out)


def documented_fields() -> str:
    text = DOC.read_text(encoding="utf-8")
    start, end = text.find(START), text.find(END)
    assert start >= 0 and end > start, f"{DOC.name} lacks the {START} ... {END} markers"
    return text[start : end + len(END)]


def test_the_flat_field_reference_in_the_docs_is_up_to_date():
    assert documented_fields() == render_fields(), (
        "docs/import-export.md is stale: run `python tests/test_flat.py` to regenerate it"
    )


def test_every_alias_names_a_field():
    assert set(flat.ALIASES.values()) <= set(flat.FIELDS)
    assert set(flat.FIELDS) == {f for _, fields in GROUPS for f in fields}


def worked_example() -> tuple[str, str]:
    """The partner sheet and mapping file of the docs' worked example, as printed there."""
    import re

    text = DOC.read_text(encoding="utf-8").split("### Worked example", 1)[1]
    sheet, mapping = re.findall(r"```(?:yaml)?\n(.*?)```", text, re.DOTALL)[:2]
    return sheet, mapping


def test_the_worked_example_is_the_sheet_these_tests_load():
    sheet, mapping = worked_example()
    assert sheet == csv_text(HEADER, ROWS).replace("\r\n", "\n")
    assert mapping == MAPPING


# --- helpers that need the database -----------------------------------------------------------


def load(path: Path, mapping: Path | None = None, dry_run: bool = False) -> Any:
    from exiledb.ingest import registry, writer

    return writer.apply(registry.read(path, "auto", mapping), dry_run=dry_run)


def problems(path: Path, mapping: Path | None = None) -> list[str]:
    from exiledb.ingest.base import ImportFailed

    with pytest.raises(ImportFailed) as exc:
        load(path, mapping)
    return [str(p) for p in exc.value.problems]


def load_minimal(minimal_doc: dict[str, Any]) -> None:
    from exiledb.ingest import interchange, writer

    writer.apply(interchange.parse_document(copy.deepcopy(minimal_doc), "minimal.json"))


def uid(kind: str, readable: str) -> str:
    from exiledb.ingest.base import record_uuid

    return str(record_uuid(kind, readable))


def incidents() -> dict[str, dict[str, Any]]:
    """Stored incidents by host country, as canonical records."""
    from exiledb.ingest import serialize

    return {rec["country"]: rec for rec in serialize.iter_records("incidents")}


def person_named(value: str) -> Any:
    from exiledb.cases.models import Person

    return Person.objects.get(names__value=value)


def counts() -> dict[str, int]:
    from exiledb.ingest import serialize

    return {kind: model.objects.count() for kind, model in serialize.MODELS.items()}


# --- loading a partner's sheet ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_partner_sheet_loads_through_its_mapping(sheet, minimal_doc):
    load_minimal(minimal_doc)
    path, mapping = sheet
    summary = load(path, mapping)
    assert summary.created["incidents"] == 3
    found = incidents()
    assert set(found) == {"RU", "TR", "TJ"}  # "Russia", "Türkiye", "Tajikistan"
    moscow, istanbul = found["RU"], found["TR"]
    assert moscow["date"] == "2016-09-22"  # 22.09.2016, day first
    assert istanbul["date"] == "2016-09"  # "September 2016": month precision, not the 1st
    assert moscow["tactics"] == ["threat", "surveillance"]  # a label and a code
    assert moscow["origin_country"] == "TJ" and moscow["stage"] == 1
    assert istanbul["stage"] == 2
    alim = person_named("Alim Sherzamonov")
    assert moscow["involvements"] == [
        {
            "person": str(alim.pk),
            "role": "target",
            "linked_exile": None,
            "description": "",
            "note": "",
        }
    ]
    assert person_named("Шабнам Худойдодова").pk  # a new person, in Cyrillic
    sources = {c["source"] for rec in found.values() for c in rec["citations"]}
    assert len(sources) == 2  # matched by link: one source per URL


@pytest.mark.django_db
def test_a_relative_is_tied_to_the_exile_named_by_any_stored_spelling(sheet, minimal_doc):
    from exiledb.cases.models import Name, Relationship

    load_minimal(minimal_doc)
    path, mapping = sheet
    load(path, mapping)
    from exiledb.ingest import serialize

    school = uid("incidents", "incident/school")  # the minimal document's own proxy incident
    [proxy] = [r for r in serialize.iter_records("incidents") if r["proxy"] and r["id"] != school]
    exile = uid("persons", "person/exile")  # stored as "Shabnam Khudoydodova"
    mother = person_named("Gulnora Khudoydodova")
    assert proxy["involvements"][0]["person"] == str(mother.pk)
    assert proxy["involvements"][0]["role"] == "relative_targeted"
    assert proxy["involvements"][0]["linked_exile"] == exile
    assert proxy["tactics"] == ["proxy_detention", "proxy_threat"]
    assert proxy["host_state_role"] == "not_applicable"
    assert not Name.objects.exclude(person_id=exile).filter(value="Khodoydodova").exists()
    tie = Relationship.objects.get(person=mother)
    assert (tie.kinship, str(tie.other_id)) == ("mother", exile)


@pytest.mark.django_db
def test_reimporting_a_partner_sheet_changes_nothing(sheet, minimal_doc):
    load_minimal(minimal_doc)
    path, mapping = sheet
    load(path, mapping)
    before = counts()
    again = load(path, mapping)
    assert again.changed == 0
    assert again.unchanged["incidents"] == 3
    assert counts() == before


@pytest.mark.django_db
def test_a_sheet_without_a_mapping_is_read_by_its_headers(tmp_path):
    path = tmp_path / "acled.csv"
    path.write_text(
        csv_text(
            ["event_date", "Host country", "origin", "Victim", "tactic", "Notes"],
            [["2019-03", "TR", "TJ", "Alim Sherzamonov", "assault", "Beaten outside a mosque"]],
        ),
        encoding="utf-8",
    )
    summary = load(path)
    assert summary.created["incidents"] == summary.created["persons"] == 1
    rec = incidents()["TR"]
    assert (rec["date"], rec["stage"], rec["summary"]) == ("2019-03", 3, "Beaten outside a mosque")


@pytest.mark.django_db
def test_a_place_column_makes_the_place_precision_city(tmp_path):
    """Known bug: `flat.FlatSheet.incident` leaves place_precision at its default, 'country',
    so any sheet with a place column (and none for the precision) fails every row with
    "a place name ('Istanbul') is given but the precision says country only"."""
    path = tmp_path / "acled.csv"
    path.write_text(
        csv_text(
            ["event_date", "Location", "Host country", "origin", "Victim", "tactic"],
            [["2019-03", "Istanbul", "TR", "TJ", "Alim Sherzamonov", "assault"]],
        ),
        encoding="utf-8",
    )
    assert load(path).created["incidents"] == 1
    rec = incidents()["TR"]
    assert (rec["place"], rec["place_precision"]) == ("Istanbul", "city")


@pytest.mark.django_db
def test_the_target_columns_describe_the_persons_a_sheet_creates(tmp_path):
    """Known bug: `target_origin` is a field (the mapping accepts it) but
    `flat.FlatSheet.incident` never reads it: new persons get the incident's origin_country
    and the column's values are silently dropped."""
    path = tmp_path / "cape.csv"
    path.write_text(
        csv_text(
            ["date", "country", "origin_country", "target", "target_category", "target_origin"],
            [["2017", "RU", "TJ", "Alim Sherzamonov", "Opposition; religious", "Uzbekistan"]],
        ),
        encoding="utf-8",
    )
    mapping = tmp_path / "cape.json"
    mapping.write_text(json.dumps({"defaults": {"tactics": "threat"}}), encoding="utf-8")
    load(path, mapping)
    alim = person_named("Alim Sherzamonov")
    assert sorted(alim.categories.values_list("category", flat=True)) == ["opposition", "religious"]
    assert alim.origin_country == "UZ"


@pytest.mark.django_db
def test_an_xlsx_partner_sheet_loads_with_real_date_cells(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Cover"
    ws.append(["This workbook is maintained by a partner."])
    data = wb.create_sheet("Incidents 2016")
    data.append(HEADER)
    for row in ROWS:
        data.append(row)
    data["A2"].value = dt.datetime(2016, 9, 22)  # a real date cell
    data["A2"].number_format = "dd.mm.yyyy"
    data["A3"].value = dt.datetime(2016, 9, 1)  # "2016-09" as Excel stores it
    data["A3"].number_format = "mmm-yy"
    path = tmp_path / "partner.xlsx"
    wb.save(path)
    mapping = tmp_path / "partner.yaml"
    mapping.write_text(MAPPING + 'sheet: "Incidents 2016"\n', encoding="utf-8")
    assert load(path, mapping).created["incidents"] == 3
    found = incidents()
    assert (found["RU"]["date"], found["TR"]["date"]) == ("2016-09-22", "2016-09")
    assert load(path, mapping).changed == 0


def test_the_command_dry_run_of_a_sheet_stores_nothing(cli, sheet):
    path, mapping = sheet
    result = cli("import", str(path), "--mapping", str(mapping), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Dry run: nothing was stored." in result.stdout
    assert json.loads(cli("stats", "--json").stdout)["incidents"]["total"] == 0


@pytest.mark.django_db
def test_dry_run_reports_what_the_import_would_create(sheet):
    path, mapping = sheet
    summary = load(path, mapping, dry_run=True)
    assert summary.dry_run and summary.created["incidents"] == 3
    assert counts()["incidents"] == counts()["persons"] == 0


# --- problems, located in the partner's own terms ---------------------------------------------


@pytest.mark.django_db
def test_an_unknown_field_in_the_mapping_names_the_file_and_key(sheet):
    path, mapping = sheet
    mapping.write_text(MAPPING.replace(": tactics", ": tactic_list"), encoding="utf-8")
    found = problems(path, mapping)
    assert len(found) == 1
    assert found[0].startswith(
        f"{mapping}:columns.Methods: unknown field 'tactic_list' (did you mean tactics"
    )


@pytest.mark.django_db
def test_an_unknown_top_level_key_in_the_mapping_is_named(sheet):
    path, mapping = sheet
    mapping.write_text(MAPPING.replace("defaults:", "default:"), encoding="utf-8")
    found = problems(path, mapping)
    assert len(found) == 1 and found[0].startswith(f"{mapping}:default: unknown key")


@pytest.mark.django_db
def test_an_unknown_tactic_names_the_row_and_the_sheets_own_column(sheet):
    path, mapping = sheet
    rows = copy.deepcopy(ROWS)
    rows[2][7] = "Relative detained or interrogated; mob"  # the docs' example
    path.write_text(csv_text(HEADER, rows), encoding="utf-8")
    found = problems(path, mapping)
    assert found == [f"{path}:4:Methods: unknown tactic 'mob' (did you mean proxy_mob?)"]
    assert counts()["incidents"] == 0


@pytest.mark.django_db
def test_every_bad_cell_is_reported_at_once(sheet):
    path, mapping = sheet
    rows = copy.deepcopy(ROWS)
    rows[0][0] = "31.02.2016"
    rows[1][1] = "Narnia"
    path.write_text(csv_text(HEADER, rows), encoding="utf-8")
    found = problems(path, mapping)
    assert any(p.startswith(f"{path}:2:Date of incident: ") for p in found), found
    assert any(p.startswith(f"{path}:3:Host country: 'Narnia' is not an ISO") for p in found)


@pytest.mark.django_db
def test_a_column_missing_from_the_mapping_is_named(sheet):
    path, mapping = sheet
    path.write_text(csv_text([*HEADER, "Notes"], [[*row, "x"] for row in ROWS]), encoding="utf-8")
    found = problems(path, mapping)
    assert found == [f"{path}:1:Notes: column not in the mapping; map it to a field or to 'ignore'"]


@pytest.mark.django_db
def test_a_name_that_matches_two_stored_persons_asks_for_an_id(sheet, minimal_doc):
    doc = copy.deepcopy(minimal_doc)
    doc["persons"].append(
        {"id": "person/namesake", "display_name": "Alim Sherzamonov", "origin_country": "TJ"}
    )
    doc["persons"].append(
        {"id": "person/namesake2", "display_name": "Alim Sherzamonov", "origin_country": "UZ"}
    )
    load_minimal(doc)
    path, mapping = sheet
    found = problems(path, mapping)
    assert any(
        p.startswith(f"{path}:2:Victim: 'Alim Sherzamonov' matches 2 stored persons") for p in found
    ), found


if __name__ == "__main__":
    # Refresh the generated section of docs/import-export.md.
    text = DOC.read_text(encoding="utf-8")
    DOC.write_text(text.replace(documented_fields(), render_fields()), encoding="utf-8")
    print(f"updated {DOC.relative_to(REPO)}", file=sys.stderr)

"""Exports: the JSON round trip (a property over generated datasets), idempotent imports, the
public audience, the Frictionless data package and the /data/ downloads.

"Round trip" here means: export, import the export into an empty database, export again; the
two exports must be identical once the `exported_at` line is removed.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import signed_in
from django.apps import apps
from django.core.management.color import no_style
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exiledb.analysis import stats
from exiledb.ingest import export, interchange, registry, writer
from exiledb.ingest.base import record_uuid
from exiledb.ingest.tables import TABLES
from exiledb.vocab import codebook

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "src" / "exiledb" / "demo" / "fpc-2017.json"
PERSONAS = ("anonymous", "viewer", "coder", "editor", "admin")
EXPORTED_AT = re.compile(r'^"exported_at": .*\n', re.MULTILINE)

pytestmark = pytest.mark.django_db


# --- helpers ----------------------------------------------------------------------------------


def wipe() -> None:
    """Empty every case table (and its history), as a fresh database would be."""
    tables = [model._meta.db_table for model in apps.get_app_config("cases").get_models()]
    # PostgreSQL refuses to truncate tables with deferred foreign-key checks still pending
    connection.check_constraints()
    connection.ops.execute_sql_flush(
        connection.ops.sql_flush(no_style(), tables, allow_cascade=True)
    )


def load(path: Path | str, fmt: str = "auto") -> Any:
    return writer.apply(registry.read(path, fmt))


def load_doc(doc: dict[str, Any]) -> Any:
    return writer.apply(interchange.parse_document(copy.deepcopy(doc), "generated.json"))


def json_export(path: Path, audience: str = "internal") -> str:
    export.export("json", audience, path)
    return EXPORTED_AT.sub("", path.read_text(encoding="utf-8"))


def counts(text: str) -> dict[str, int]:
    doc = json.loads(text)
    return {kind: len(doc[kind]) for kind in ("persons", "incidents", "sources")}


# --- the JSON round trip ----------------------------------------------------------------------


def test_the_demo_survives_a_json_round_trip_byte_for_byte(tmp_path):
    load(DEMO)
    first = json_export(tmp_path / "first.json")
    wipe()
    load(tmp_path / "first.json")
    second = json_export(tmp_path / "second.json")
    assert counts(first)["incidents"] > 10, "the demo should have been exported"
    assert '"exported_at"' in (tmp_path / "second.json").read_text(encoding="utf-8")
    assert second == first


# Generated datasets. Names come from pools that mix Latin, Cyrillic and formula-like
# spellings; free text (summaries, notes, quotes) is arbitrary Unicode without control
# characters (PostgreSQL cannot store NUL).
LATIN = ("Muhiddin Kabiri", "Shabnam Khudoydodova", "Umarali Quvatov", "Alim Sherzamonov")
CYRILLIC = ("Мухиддин Кабири", "Шабнам Худойдодова", "Умарали Куватов", "Ғуломов Ҷамшед")
FORMULA = ('=HYPERLINK("http://evil.example","x")', "=1+1", "+992 93 000", "-Sharipov", "@SUM")
NAMES = LATIN + CYRILLIC + FORMULA
TEXT = st.text(
    st.characters(exclude_categories=("Cs", "Cc"), include_characters="\t\n\r\\"), max_size=12
)
COUNTRY = st.sampled_from(("TJ", "RU", "TR", "DE", "PL", "UZ"))
LANGUAGE = st.sampled_from(("", "tg", "ru", "en"))


def codes(vocab: codebook.Vocabulary) -> st.SearchStrategy[str]:
    return st.sampled_from([c.code for c in vocab.codes])


ABROAD = [c.code for c in codebook.TACTICS.codes if c.group == "abroad"]
PROXY = [c.code for c in codebook.TACTICS.codes if c.group == "proxy"]


@st.composite
def partial_date(draw: Any, lo: dt.date | None = None) -> tuple[str, dt.date | None]:
    """A partial date of any precision (or unknown), with the day it was cut from."""
    precision = draw(st.sampled_from(("unknown", "year", "month", "day")))
    if precision == "unknown":
        return "", lo
    day = draw(st.dates(min_value=lo or dt.date(1991, 1, 1), max_value=dt.date(2024, 12, 31)))
    fmt = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}[precision]
    return day.strftime(fmt), day


@st.composite
def date_range(draw: Any) -> tuple[str, str]:
    start, day = draw(partial_date())
    if not start:
        return "", ""
    end, _ = draw(partial_date(lo=day))
    return start, end


@st.composite
def citations(draw: Any, sources: list[str], min_size: int = 0) -> list[dict[str, Any]]:
    if not sources:
        return []
    chosen = draw(st.lists(st.sampled_from(sources), min_size=min_size, max_size=2))
    return [
        {"source": s, "locator": draw(TEXT), "quote": draw(TEXT), "note": draw(TEXT)}
        for s in chosen
    ]


@st.composite
def datasets(draw: Any) -> dict[str, Any]:
    n_orgs = draw(st.integers(0, 2))
    n_sources = draw(st.integers(1, 3))
    n_persons = draw(st.integers(2, 5))
    orgs = [f"org/{i}" for i in range(n_orgs)]
    sources = [f"src/{i}" for i in range(n_sources)]
    persons = [f"person/{i}" for i in range(n_persons)]

    doc: dict[str, Any] = {"format": "exiledb/1", "codebook": "1.0.0"}
    doc["organizations"] = []
    for oid in orgs:
        founded, dissolved = draw(date_range())
        doc["organizations"].append(
            {
                "id": oid,
                "name": draw(st.sampled_from(("Group 24", "IRPT", "ГКНБ", "=Front"))),
                "abbreviation": draw(st.sampled_from(("", "G24", "ГКНБ"))),
                "other_names": draw(st.lists(TEXT, max_size=2)),
                "type": draw(codes(codebook.ORGANIZATION_TYPES)),
                "country": draw(COUNTRY),
                "founded": founded,
                "dissolved": dissolved,
                "summary": draw(TEXT),
                "designations": [
                    {
                        "type": draw(codes(codebook.DESIGNATION_TYPES)),
                        "by_country": draw(COUNTRY),
                        "authority": draw(TEXT),
                        "date": draw(partial_date())[0],
                        "note": draw(TEXT),
                    }
                    for _ in range(draw(st.integers(0, 2)))
                ],
                "visibility": draw(codes(codebook.VISIBILITY)),
                "citations": draw(citations(sources)),
            }
        )
    doc["sources"] = []
    for sid in sources:
        source: dict[str, Any] = {
            "id": sid,
            "type": draw(codes(codebook.SOURCE_TYPES)),
            "title": draw(st.sampled_from(("HRW report", "Доклад", "=cmd|' /C calc'!A0"))),
            "publisher": draw(TEXT),
            "date": draw(partial_date())[0],
            "url": draw(st.sampled_from(("", "https://example.org/a?b=1", "http://x.tj/й"))),
            "sha256": draw(st.sampled_from(("", "AB" * 32, "0f" * 32))),
            "language": draw(LANGUAGE),
            "note": draw(TEXT),
        }
        if draw(st.booleans()):  # omitted: interview sources default to confidential
            source["visibility"] = draw(codes(codebook.VISIBILITY))
        doc["sources"].append(source)
    doc["persons"] = []
    for pid in persons:
        display = draw(st.sampled_from(NAMES))
        minor = draw(st.booleans())
        spellings = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=3))
        person: dict[str, Any] = {
            "id": pid,
            "display_name": display,
            "name_known": draw(st.booleans()),
            "names": [
                {
                    "value": value,
                    "language": draw(LANGUAGE),
                    "source": draw(st.sampled_from([None, *sources])),
                    "note": draw(TEXT),
                    **({"script": draw(codes(codebook.SCRIPTS))} if draw(st.booleans()) else {}),
                }
                for value in spellings
            ],
            "sex": draw(codes(codebook.SEX)),
            "birth_year": draw(st.none() | st.integers(1920, 2015)),
            "origin_country": draw(COUNTRY),
            "categories": draw(st.lists(codes(codebook.EXILE_CATEGORIES), unique=True)),
            "is_minor": minor,
            "pseudonym": draw(TEXT),
            "summary": draw(TEXT),
            "residences": [],
            "affiliations": [],
            "contact_details": draw(TEXT),
            "confidential_notes": draw(TEXT),
            "visibility": draw(codes(codebook.VISIBILITY)),
            "citations": draw(citations(sources)),
        }
        if not minor and draw(st.booleans()):
            person["may_be_named"] = draw(st.booleans())
        for _ in range(draw(st.integers(0, 2))):
            start, end = draw(date_range())
            person["residences"].append(
                {
                    "country": draw(COUNTRY),
                    "place": draw(TEXT),
                    "date_from": start,
                    "date_to": end,
                    "asylum_status": draw(codes(codebook.ASYLUM_STATUS)),
                    "note": draw(TEXT),
                }
            )
        for oid in draw(st.lists(st.sampled_from(orgs), max_size=2)) if orgs else []:
            start, end = draw(date_range())
            person["affiliations"].append(
                {
                    "organization": oid,
                    "role": draw(codes(codebook.AFFILIATION_ROLES)),
                    "date_from": start,
                    "date_to": end,
                    "confidence": draw(codes(codebook.CONFIDENCE)),
                    "note": draw(TEXT),
                }
            )
        doc["persons"].append(person)
    pairs = st.tuples(st.sampled_from(persons), codes(codebook.KINSHIP), st.sampled_from(persons))
    ties = draw(st.lists(pairs.filter(lambda t: t[0] != t[2]), unique=True, max_size=3))
    doc["relationships"] = [
        {
            "id": f"rel/{i}",
            "person": person,
            "kinship": kinship,
            "other": other,
            "confidence": draw(codes(codebook.CONFIDENCE)),
            "visibility": draw(codes(codebook.VISIBILITY)),
            "note": draw(TEXT),
            "citations": draw(citations(sources)),
        }
        for i, (person, kinship, other) in enumerate(ties)
    ]
    doc["incidents"] = [
        draw(incidents(i, persons, sources, orgs)) for i in range(draw(st.integers(1, 4)))
    ]
    return doc


@st.composite
def incidents(
    draw: Any, i: int, persons: list[str], sources: list[str], orgs: list[str]
) -> dict[str, Any]:
    proxy = draw(st.booleans())
    tactics = draw(
        st.lists(st.sampled_from(PROXY if proxy else ABROAD), min_size=1, max_size=3, unique=True)
    )
    involvements = []
    if proxy:
        exile, relative = draw(st.permutations(persons))[:2]
        named = draw(st.booleans())
        involvements.append(
            {
                "person": relative if named else None,
                "role": "relative_targeted",
                "linked_exile": exile,
                "description": draw(TEXT) if named else "his family",
                "note": draw(TEXT),
            }
        )
    else:
        involvements.append({"person": draw(st.sampled_from(persons)), "role": "target"})
    if draw(st.booleans()):
        involvements.append(
            {"person": None, "role": "witness", "description": "a neighbour", "note": draw(TEXT)}
        )
    precision = draw(codes(codebook.PLACE_PRECISION))
    start, end = draw(date_range())
    status = draw(codes(codebook.REVIEW_STATUS))
    incident: dict[str, Any] = {
        "id": f"incident/{i}",
        "title": draw(st.sampled_from(("Mob at the family home", "Задержание", "=Raid", "-Raid"))),
        "summary": draw(TEXT),
        "date": start,
        "date_end": end,
        "country": "TJ" if proxy else draw(COUNTRY),
        "region": "Khatlon" if precision == "region" else "",
        "place": draw(st.sampled_from(("Kulob", "Москва")))
        if precision in ("city", "exact")
        else "",
        "place_precision": precision,
        "origin_country": "TJ",
        "proxy": proxy,
        "tactics": tactics,
        "host_state_role": draw(codes(codebook.HOST_STATE_ROLES)),
        "legal_channel": draw(codes(codebook.LEGAL_CHANNELS)),
        "trigger_event": draw(TEXT),
        "trigger_date": draw(partial_date())[0],
        "outcome": draw(codes(codebook.OUTCOMES)),
        "victims_estimated": draw(st.none() | st.integers(0, 500)),
        "perpetrators": draw(st.lists(st.sampled_from(orgs), unique=True)) if orgs else [],
        "involvements": involvements,
        "confidence": draw(codes(codebook.CONFIDENCE)),
        "review_status": status,
        "visibility": draw(codes(codebook.VISIBILITY)),
        "confidential_notes": draw(TEXT),
        "citations": draw(citations(sources, min_size=1 if status == "published" else 0)),
    }
    if precision in ("city", "exact") and draw(st.booleans()):
        incident["latitude"] = draw(st.floats(-90, 90).map(lambda x: round(x, 6)))
        incident["longitude"] = draw(st.floats(-180, 180).map(lambda x: round(x, 6)))
    return incident


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(doc=datasets())
def test_any_dataset_survives_a_json_round_trip(tmp_path, doc):
    wipe()
    created = load_doc(doc).created
    assert created["incidents"] == len(doc["incidents"])
    first = json_export(tmp_path / "first.json")
    wipe()
    load(tmp_path / "first.json")
    second = json_export(tmp_path / "second.json")
    assert json.loads(first)["persons"], "the export must carry the generated persons"
    assert second == first


def test_the_json_export_is_the_interchange_format_with_its_metadata(tmp_path):
    load(DEMO)
    path = tmp_path / "out.json"
    export.export("json", "public", path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format"] == interchange.FORMAT
    assert doc["audience"] == "public"
    stamp = dt.datetime.fromisoformat(doc["exported_at"])
    assert stamp.tzinfo is not None


# --- idempotence ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["again.json", "again.zip", "again.xlsx", "again-datapackage"])
def test_importing_an_export_twice_leaves_the_statistics_unchanged(tmp_path, name):
    load(DEMO)
    before = stats.compute()
    fmt = {"json": "json", "zip": "csv", "xlsx": "xlsx"}.get(name.rsplit(".", 1)[-1], "datapackage")
    export.export(fmt, "internal", tmp_path / name)
    wipe()
    first = load(tmp_path / name)
    after_first = stats.compute()
    second = load(tmp_path / name)
    assert first.changed > 0
    assert second.changed == 0
    assert after_first == before
    assert stats.compute() == after_first


def test_importing_the_demo_twice_leaves_the_statistics_unchanged():
    load(DEMO)
    before = stats.compute()
    assert before["incidents"]["total"] > 10
    assert load(DEMO).changed == 0
    assert stats.compute() == before


# --- the public audience ----------------------------------------------------------------------

# Unique strings planted where the public must never see them. Each must appear in the internal
# export (the positive control) and in none of the public files.
CANARIES = {
    "contact": "CANARYCONTACT",
    "person_notes": "CANARYPERSONNOTES",
    "incident_notes": "CANARYINCIDENTNOTES",
    "draft": "CANARYDRAFTINCIDENT",
    "restricted": "CANARYRESTRICTEDINCIDENT",
    "interview": "CANARYINTERVIEWSOURCE",
    "confidential_source": "CANARYCONFIDENTIALSOURCE",
    "minor": "Canaryminorname",
    "relative": "Canaryrelativename",
    "hidden_person": "CANARYHIDDENPERSON",
    "draft_victim": "CANARYDRAFTVICTIM",
    "citation_note": "CANARYCITATIONNOTE",
    "involvement_note": "CANARYINVOLVEMENTNOTE",
    "relationship_note": "CANARYRELATIONSHIPNOTE",
    "residence": "CANARYRESIDENCEPLACE",
}
EXILE = "Shabnam Khudoydodova"


def canary_doc() -> dict[str, Any]:
    """A published proxy incident against an exile's minor daughter and adult brother, plus
    records and fields the public may not see."""
    c = CANARIES
    return {
        "format": "exiledb/1",
        "sources": [
            {"id": "src/hrw", "type": "ngo_report", "title": "Abuse of Dissidents' Families"},
            {"id": "src/interview", "type": "interview", "title": c["interview"]},
            {
                "id": "src/private",
                "type": "news",
                "title": c["confidential_source"],
                "visibility": "confidential",
            },
        ],
        "persons": [
            {
                "id": "person/exile",
                "display_name": EXILE,
                "names": [{"value": "Худойдодова"}],
                "origin_country": "TJ",
                "summary": f"Her daughter {c['minor']} was attacked.",
                "contact_details": c["contact"],
                "confidential_notes": c["person_notes"],
                "residences": [{"country": "PL", "place": c["residence"]}],
            },
            {
                "id": "person/daughter",
                "display_name": c["minor"],
                "names": [{"value": f"{c['minor']} Khudoydodova"}],
                "is_minor": True,
                "origin_country": "TJ",
            },
            {
                "id": "person/brother",
                "display_name": c["relative"],
                "may_be_named": False,
                "origin_country": "TJ",
            },
            {"id": "person/hidden", "display_name": c["hidden_person"], "visibility": "restricted"},
            {"id": "person/victim", "display_name": c["draft_victim"]},
        ],
        "relationships": [
            {
                "id": "rel/d",
                "person": "person/daughter",
                "kinship": "daughter",
                "other": "person/exile",
            },
            {
                "id": "rel/b",
                "person": "person/brother",
                "kinship": "brother",
                "other": "person/exile",
                "note": c["relationship_note"],
            },
        ],
        "incidents": [
            {
                "id": "incident/school",
                "title": f"Mob at the school of {c['minor']}",
                "summary": f"{c['relative']} and {c['minor']} were shamed.",
                "date": "2016-09",
                "country": "TJ",
                "place": "Kulob",
                "place_precision": "exact",
                "latitude": 37.914321,
                "longitude": 69.784567,
                "origin_country": "TJ",
                "proxy": True,
                "tactics": ["proxy_mob", "proxy_public_shaming"],
                "involvements": [
                    {
                        "person": "person/daughter",
                        "role": "relative_targeted",
                        "linked_exile": "person/exile",
                        "note": c["involvement_note"],
                    },
                    {
                        "person": "person/brother",
                        "role": "relative_targeted",
                        "linked_exile": "person/exile",
                    },
                    {"person": "person/hidden", "role": "witness"},
                ],
                "citations": [
                    {"source": "src/hrw", "locator": "para 1", "note": c["citation_note"]},
                    {"source": "src/interview", "locator": "transcript p. 2"},
                    {"source": "src/private"},
                ],
                "review_status": "published",
                "confidential_notes": c["incident_notes"],
            },
            {
                "id": "incident/draft",
                "title": c["draft"],
                "country": "RU",
                "origin_country": "TJ",
                "tactics": ["threat"],
                "involvements": [{"person": "person/victim", "role": "target"}],
                "review_status": "draft",
            },
            {
                "id": "incident/restricted",
                "title": c["restricted"],
                "country": "RU",
                "origin_country": "TJ",
                "tactics": ["surveillance"],
                "involvements": [{"person": "person/exile", "role": "target"}],
                "citations": [{"source": "src/hrw"}],
                "review_status": "published",
                "visibility": "restricted",
            },
        ],
    }


def file_bytes(path: Path) -> dict[str, bytes]:
    """Every file an export consists of, with zip members (xlsx too) unpacked."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    out: dict[str, bytes] = {}
    for f in files:
        data = f.read_bytes()
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                out.update({f"{f.name}/{n}": zf.read(n) for n in zf.namelist()})
        else:
            out[str(f.relative_to(path.parent))] = data
    return out


def leaks(files: dict[str, bytes]) -> list[str]:
    return [
        f"{key} in {name}"
        for key, canary in CANARIES.items()
        for name, data in files.items()
        if canary.encode() in data
    ]


def found(files: dict[str, bytes]) -> set[str]:
    return {
        key for key, canary in CANARIES.items() if any(canary.encode() in d for d in files.values())
    }


EXPORTS = [
    ("json", "out.json"),
    ("csv", "out-csv"),
    ("csv", "out.zip"),
    ("xlsx", "out.xlsx"),
    ("datapackage", "out-package"),
    ("datapackage", "package.zip"),
]


@pytest.mark.parametrize(("fmt", "name"), EXPORTS)
def test_the_public_export_leaks_nothing_the_internal_one_holds(tmp_path, fmt, name):
    load_doc(canary_doc())
    export.export(fmt, "internal", tmp_path / "internal" / name)
    export.export(fmt, "public", tmp_path / "public" / name)
    assert found(file_bytes(tmp_path / "internal" / name)) == set(CANARIES)
    public = file_bytes(tmp_path / "public" / name)
    assert any(EXILE.encode() in data for data in public.values()), "the public export is empty"
    assert leaks(public) == []


def test_the_public_json_pseudonymises_relatives_and_keeps_the_published_incident(tmp_path):
    load_doc(canary_doc())
    export.export("json", "public", tmp_path / "public.json")
    doc = json.loads((tmp_path / "public.json").read_text(encoding="utf-8"))
    persons = {p["id"]: p for p in doc["persons"]}
    brother = persons[str(record_uuid("persons", "person/brother"))]
    daughter = persons[str(record_uuid("persons", "person/daughter"))]
    assert brother["display_name"].startswith(f"relative of {EXILE}")
    assert daughter["names"] == [] and daughter["name_known"] is False
    assert [i["id"] for i in doc["incidents"]] == [str(record_uuid("incidents", "incident/school"))]
    incident = doc["incidents"][0]
    # an exact place (often a family's home) stays internal: the public gets the region or
    # the country, and no point at all
    assert incident["place_precision"] in ("region", "country")
    assert (incident["latitude"], incident["longitude"], incident["place"]) == (None, None, "")
    assert [s["title"] for s in doc["sources"]] == ["Abuse of Dissidents' Families"]
    assert all(c["note"] == "" for c in incident["citations"])


# --- the data package -------------------------------------------------------------------------


@pytest.mark.parametrize("audience", ["public", "internal"])
def test_frictionless_accepts_the_demo_data_package(tmp_path, audience):
    import frictionless

    load(DEMO)
    export.export("datapackage", audience, tmp_path / "pkg")
    report = frictionless.validate(str(tmp_path / "pkg" / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note", "resourceName", "rowNumber", "fieldName"])
    rows = (tmp_path / "pkg" / "data" / "incidents.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) > 10, "the package should hold the demo's incidents"


def test_frictionless_accepts_an_internal_package_with_an_unresolved_citation(
    tmp_path, minimal_doc
):
    """Known bug: a citation whose source was deleted keeps its locator (the rules allow it),
    but `export.table_schema` marks citations.source_id as required, so the internal package
    of such a database fails `frictionless validate`."""
    import frictionless

    minimal_doc["incidents"][0]["citations"].append({"locator": "p. 3 of a withdrawn report"})
    load_doc(minimal_doc)
    export.export("datapackage", "internal", tmp_path / "pkg")
    report = frictionless.validate(str(tmp_path / "pkg" / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note", "resourceName", "rowNumber", "fieldName"])


def test_frictionless_rejects_a_package_with_a_broken_foreign_key(tmp_path):
    """Proves that the validation above checks the keys, not only the file layout."""
    import frictionless

    load(DEMO)
    export.export("datapackage", "public", tmp_path / "pkg")
    involvements = tmp_path / "pkg" / "data" / "involvements.csv"
    lines = involvements.read_text(encoding="utf-8").splitlines()
    header, first = (
        lines[0].split(","),
        dict(zip(lines[0].split(","), lines[1].split(","), strict=False)),
    )
    row = {name: "" for name in header}
    row.update(incident_id=first["incident_id"], role="target")
    row["person_id"] = str(record_uuid("persons", "nobody"))
    with involvements.open("a", encoding="utf-8", newline="") as fh:
        fh.write(",".join(row[h] for h in header) + "\r\n")
    report = frictionless.validate(str(tmp_path / "pkg" / "datapackage.json"))
    assert not report.valid
    assert {row[0] for row in report.flatten(["type"])} == {"foreign-key"}


def test_the_data_package_has_keys_codebook_enums_licence_and_citation(tmp_path):
    load(DEMO)
    export.export("datapackage", "public", tmp_path / "pkg")
    desc = json.loads((tmp_path / "pkg" / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in desc["resources"]}
    assert {t.name for t in TABLES} <= set(resources)
    persons = resources["persons"]["schema"]
    assert persons["primaryKey"] == ["id"]
    fks = {
        fk["fields"]: fk["reference"] for fk in resources["involvements"]["schema"]["foreignKeys"]
    }
    assert fks["incident_id"] == {"resource": "incidents", "fields": "id"}
    assert fks["person_id"] == {"resource": "persons", "fields": "id"}
    assert fks["linked_exile_id"] == {"resource": "persons", "fields": "id"}
    tactic = next(
        f for f in resources["incident_tactics"]["schema"]["fields"] if f["name"] == "tactic"
    )
    assert tactic["constraints"]["enum"] == [c.code for c in codebook.TACTICS.codes]
    kinship = next(
        f for f in resources["relationships"]["schema"]["fields"] if f["name"] == "kinship"
    )
    assert kinship["constraints"]["enum"] == [c.code for c in codebook.KINSHIP.codes]
    assert desc["licenses"] and desc["licenses"][0]["name"]
    assert "exiledb" in desc["citation"] and "floor" in desc["citation"]
    assert desc["exiledb"]["audience"] == "public"


# --- /data/ -----------------------------------------------------------------------------------

CONTENT_TYPES = {
    "json": "application/json",
    "csv": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "datapackage": "application/zip",
}


@pytest.fixture
def site(settings: Any, tmp_path: Path) -> None:
    """Downloads are cached under DATA_DIR; pages link static files, and tests run without
    collectstatic's manifest. A fast hasher keeps the personas cheap."""
    settings.DATA_DIR = tmp_path
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_data_page_lists_the_four_downloads(client, site):
    response = client.get("/data/")
    assert response.status_code == 200
    page = response.content.decode()
    for fmt in CONTENT_TYPES:
        assert f'href="{reverse("download", args=[fmt])}"' in page


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_download_is_the_public_export_whoever_asks(
    client, site, tmp_path, personas, persona
):
    load_doc(canary_doc())
    if personas[persona] is not None:
        signed_in(client, personas[persona])
    for fmt, content_type in CONTENT_TYPES.items():
        response = client.get(reverse("download", args=[fmt]))
        assert response.status_code == 200, fmt
        assert response["Content-Type"] == content_type
        assert "attachment" in response["Content-Disposition"]
        body = response.getvalue()  # consuming the stream closes the file
        target = tmp_path / f"download-{fmt}"
        target.write_bytes(body)
        files = file_bytes(target)
        assert any(EXILE.encode() in data for data in files.values()), fmt
        assert leaks(files) == [], fmt


def test_an_unknown_download_format_is_404(client, site):
    assert client.get("/data/download/pdf/").status_code == 404

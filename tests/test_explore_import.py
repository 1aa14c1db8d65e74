"""Imports rewrite only the public index rows they can change, and leave the index exactly as a
full rebuild would write it (exiledb.explore.imports), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO, public_site

from exiledb.explore import index, text
from exiledb.explore.models import Entry, EntryValue, State
from exiledb.ingest import interchange, writer
from exiledb.ingest.base import record_uuid

GADOEV = "person/gadoev-sharofiddin"
GADOEV_SPAIN = "incident/gadoev-detained-spain-2014"
DAVLATOV_FINLAND = "incident/davlatov-detained-finland-2015"
KHUDOYDODOVA = "person/khudoydodova-shabnam"
ROW = re.compile(r'<li><a href="/incidents/([0-9a-f-]{36})/">')


def uid(kind: str, local_id: str) -> str:
    return str(record_uuid(kind, local_id))


@pytest.fixture(autouse=True)
def site(settings: Any, tmp_path: Path) -> None:
    public_site(settings, tmp_path)


def load(doc: dict[str, Any]) -> Any:
    return writer.apply(interchange.parse_document(copy.deepcopy(doc), str(DEMO)))


def record(doc: dict[str, Any], kind: str, local_id: str) -> dict[str, Any]:
    return next(r for r in doc[kind] if r["id"] == local_id)


@pytest.fixture
def doc(db) -> dict[str, Any]:
    """The demo, with Davlatov's summary naming Gadoev, who takes no part in that incident:
    withholding Gadoev must reach a text he is only mentioned in."""
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    finland = record(demo, "incidents", DAVLATOV_FINLAND)
    finland["summary"] += " Like Sharofiddin Gadoev a year before him."
    summary = load(demo)
    assert summary.indexed == Entry.objects.count() > 0  # a first load builds it whole
    return demo


def snapshot() -> tuple[dict[str, dict[str, Any]], list[tuple[str, str, str]]]:
    """The index as readers see it: every entry by incident, and every facet value."""
    entries = {
        str(row.pop("incident_id")): row
        for row in Entry.objects.values(*[f.attname for f in Entry._meta.concrete_fields][1:])
    }
    values = sorted(
        (str(incident), facet, value)
        for incident, facet, value in EntryValue.objects.values_list(
            "entry__incident_id", "facet", "value"
        )
    )
    return entries, values


def assert_same_as_a_rebuild() -> None:
    incremental = snapshot()
    index.rebuild()
    assert snapshot() == incremental


def entry_ids() -> dict[str, int]:
    return {str(k): v for k, v in Entry.objects.values_list("incident_id", "id")}


def listed(client: Any, query: str) -> list[str]:
    response = client.get(f"/incidents/{query}")
    assert response.status_code == 200
    return ROW.findall(response.content.decode())


def test_a_reimport_of_unchanged_data_writes_nothing_to_the_index(doc):
    before, ids = snapshot(), entry_ids()
    generation = State.objects.get(pk=1).generation
    summary = load(doc)
    assert summary.changed == 0 and summary.indexed == 0
    assert snapshot() == before and entry_ids() == ids
    assert State.objects.get(pk=1).generation == generation


def test_an_import_touching_one_incident_rewrites_only_its_entry(client, doc):
    ids = entry_ids()
    record(doc, "incidents", GADOEV_SPAIN)["summary"] += " Zebulonword was his lawyer."
    summary = load(doc)
    assert summary.changed == 1
    assert summary.indexed == 1
    spain = uid("incidents", GADOEV_SPAIN)
    after = entry_ids()
    assert after.keys() == ids.keys()
    assert [k for k in ids if after[k] != ids[k]] == [spain]  # only its row was rewritten
    assert listed(client, "?q=zebulonword") == [spain]
    assert_same_as_a_rebuild()


def test_a_reimport_making_a_person_confidential_withholds_every_spelling_everywhere(client, doc):
    """Gadoev's own incident and Davlatov's, whose summary only mentions him, lose his name;
    the rest of the index is not rewritten."""
    assert listed(client, "?q=gadoev")
    ids = entry_ids()
    record(doc, "persons", GADOEV)["visibility"] = "confidential"
    summary = load(doc)
    assert summary.changed == 1
    assert listed(client, "?q=gadoev") == []
    assert listed(client, "?q=sharofiddin") == []
    for words in Entry.objects.values_list("text", flat=True):
        assert "gadoev" not in words.split() and "sharofiddin" not in words.split()
    after = entry_ids()
    rewritten = {k for k in ids if after.get(k) != ids[k]}
    assert uid("incidents", DAVLATOV_FINLAND) in rewritten
    assert len(rewritten) < len(ids)
    assert_same_as_a_rebuild()


def test_a_reimport_changing_a_spelling_to_a_withheld_persons_removes_it(client, doc):
    """A spelling moved from a public person to a confidential one is withheld from the
    texts that mention it."""
    exile = record(doc, "persons", KHUDOYDODOVA)
    assert listed(client, "?q=khudodoyeva")
    exile["visibility"] = "confidential"
    load(doc)
    for spelling in [exile["display_name"], *(n["value"] for n in exile.get("names", []))]:
        for word in text.words(spelling):
            if len(word) > 3:
                assert listed(client, f"?q={word}") == [], word
    assert_same_as_a_rebuild()


def test_a_reimport_unpublishing_an_incident_drops_only_its_row(client, doc):
    ids = entry_ids()
    record(doc, "incidents", GADOEV_SPAIN)["review_status"] = "reviewed"
    load(doc)
    spain = uid("incidents", GADOEV_SPAIN)
    after = entry_ids()
    assert spain not in after
    assert listed(client, "?q=gadoev") == [uid("incidents", DAVLATOV_FINLAND)]
    assert_same_as_a_rebuild()
    assert set(after) == set(ids) - {spain}


def test_a_new_published_incident_is_indexed_on_reimport(client, doc):
    new = copy.deepcopy(record(doc, "incidents", GADOEV_SPAIN))
    new["id"] = "incident/gadoev-second-detention"
    new["summary"] = "A second detention, in Quxotown."
    doc["incidents"].append(new)
    summary = load(doc)
    assert summary.created["incidents"] == 1
    assert listed(client, "?q=quxotown") == [uid("incidents", new["id"])]
    assert_same_as_a_rebuild()


def test_the_full_rebuild_gives_the_planner_statistics(doc):
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
            analysed = {row[0] for row in cursor.fetchall()}
        else:
            cursor.execute(
                "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL "
                "OR last_autoanalyze IS NOT NULL"
            )
            analysed = {row[0] for row in cursor.fetchall()}
    if connection.vendor == "postgresql" and not analysed:
        pytest.skip("PostgreSQL reports ANALYZE of a transaction only once it commits")
    assert {Entry._meta.db_table, EntryValue._meta.db_table} <= analysed


def test_the_search_index_agrees_with_the_rows_after_an_incremental_import(doc):
    from django.db import connection

    record(doc, "persons", GADOEV)["visibility"] = "confidential"
    load(doc)
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's generated tsvector column follows the rows by itself")
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO explore_fts(explore_fts, rank) VALUES('integrity-check', 1)")

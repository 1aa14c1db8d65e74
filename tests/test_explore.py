"""The public index behind /incidents/: facets, full-text search, freshness and what it may hold.

The demo is loaded through the importer (which builds the index in its own transaction); edits
made afterwards through the ORM reach the index through the queue the signals fill. Every test
reads the site as an anonymous visitor would, on SQLite (FTS5) and PostgreSQL alike.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO, public_site
from test_canaries import ALL as CANARIES
from test_canaries import C as CANARY
from test_canaries import load_canaries

from exiledb.access.redaction import redact
from exiledb.cases.models import Incident, IncidentTactic, Name, Person
from exiledb.explore import filters, index, text
from exiledb.explore.models import Entry, EntryValue, Pending
from exiledb.ingest import interchange, serialize, writer
from exiledb.ingest.base import record_uuid

GADOEV_SPAIN = "incident/gadoev-detained-spain-2014"
DAVLATOV_FINLAND = "incident/davlatov-detained-finland-2015"
KHUDOYDODOVA = "person/khudoydodova-shabnam"
MINOR = "person/khudoydodova-daughter"
ROW = re.compile(r'<li><a href="/incidents/([0-9a-f-]{36})/">')


def uid(kind: str, local_id: str) -> str:
    return str(record_uuid(kind, local_id))


@pytest.fixture(autouse=True)
def site(settings: Any, tmp_path: Path) -> None:
    public_site(settings, tmp_path)


@pytest.fixture
def demo(db) -> dict[str, Any]:
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    writer.apply(interchange.parse_document(doc, str(DEMO)))
    return doc


def listed(client: Any, query: str = "") -> list[str]:
    """The incident ids the list shows (first page), in order."""
    response = client.get(f"/incidents/{query}")
    assert response.status_code == 200, query
    return ROW.findall(response.content.decode())


def page(client: Any, query: str = "") -> str:
    response = client.get(f"/incidents/{query}")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


# --- folding and terms -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Gadoev", "gadoev"),
        ("Ёров", "еров"),
        ("Худойдодова", "худоидодова"),  # й folds to и on both sides
        ("Қурбонов Ҳамид", "курбонов хамид"),  # Tajik Қ and Ҳ lose their descenders
        ("Ғафуров Ӯроқ Ӣ", "гафуров урок и"),
        ("Šarofiddin Gadojev", "sarofiddin gadojev"),
        ("Çalışkan İstanbul", "caliskan istanbul"),
        ("STRASSE", "strasse"),
    ],
)
def test_fold_meets_what_readers_type(raw, folded):
    assert text.fold(raw) == folded


def test_terms_are_words_only_so_no_query_syntax_reaches_the_engine():
    assert text.terms('Gadoev" OR x*') == ["gadoev", "or", "x"]
    assert text.terms("CANARY_a_b") == ["canary", "a", "b"]
    assert text.terms("-- ; DROP TABLE") == ["drop", "table"]
    assert text.terms("") == []
    assert len(text.terms(" ".join(f"w{i}" for i in range(30)))) == text.MAX_TERMS


def test_document_keeps_each_word_once():
    assert text.document(["Gadoev in Spain", "gadoev", None or ""]) == "gadoev in spain"


# --- the list with the demo -------------------------------------------------------------------


def test_the_stage_2_facet_narrows_the_list_to_the_interpol_detentions(client, demo):
    assert set(listed(client, "?stage=2")) == {
        uid("incidents", GADOEV_SPAIN),
        uid("incidents", DAVLATOV_FINLAND),
    }
    body = page(client, "?stage=2")
    assert "2 incidents" in body
    # the facet link that led here is marked, and following it again removes the filter
    assert 'href="?" aria-current="true"' in body or 'aria-current="true"' in body


def test_searching_gadoev_finds_his_detention_in_spain(client, demo):
    assert listed(client, "?q=Gadoev") == [uid("incidents", GADOEV_SPAIN)]
    assert listed(client, "?q=gado") == [uid("incidents", GADOEV_SPAIN)]  # word prefixes
    assert listed(client, "?q=GADOEV+spain") == [uid("incidents", GADOEV_SPAIN)]
    assert listed(client, "?q=Gadoev+Finland") == []


def test_search_finds_a_person_by_a_cyrillic_spelling(client, demo):
    exile = Person.objects.get(pk=uid("persons", KHUDOYDODOVA))
    cyrillic = [n.value for n in exile.names.all() if n.script == "cyrl"]
    assert cyrillic, "the demo records a Cyrillic spelling of Khudoydodova"
    by_latin = set(listed(client, "?q=Khudoydodova"))
    assert by_latin
    assert set(listed(client, f"?q={cyrillic[0]}")) == by_latin


def test_countries_and_tactics_are_found_in_english_and_russian(client, demo):
    spain = [uid("incidents", GADOEV_SPAIN)]
    assert listed(client, "?q=Spain") == spain
    assert listed(client, "?q=Испания") == spain
    assert uid("incidents", GADOEV_SPAIN) in listed(client, "?q=Интерпол")
    # a refresh set off by a Russian reader's request indexes the same words
    incident = Incident.objects.get(pk=uid("incidents", GADOEV_SPAIN))
    incident.summary += " (edited)"
    incident.save()
    client.get("/incidents/", HTTP_ACCEPT_LANGUAGE="ru")
    assert listed(client, "?q=Spain") == listed(client, "?q=Испания") == spain


def test_search_covers_source_titles_and_places(client, demo):
    title = Incident.objects.get(pk=uid("incidents", GADOEV_SPAIN)).citations.first().source.title
    words = " ".join(text.words(title)[:4])
    assert uid("incidents", GADOEV_SPAIN) in listed(client, f"?q={words}")


def test_facet_counts_match_an_independent_count(client, demo):
    published = Incident.objects.filter(review_status="published", visibility="public")
    counts = filters.Query.parse({}).selection(index.fresh()).counts()
    assert counts["total"] == published.count() == 22
    by_stage = Counter(str(i.stage) for i in published if i.stage is not None)
    assert counts["facets"]["stage"] == dict(by_stage)
    tactics = Counter(
        IncidentTactic.objects.filter(incident__in=published).values_list("tactic", flat=True)
    )
    assert counts["facets"]["tactic"] == dict(tactics)
    kinds = Counter("proxy" if i.is_proxy else "abroad" for i in published)
    assert counts["facets"]["kind"] == dict(kinds)
    assert counts["facets"]["host"] == {"ES": 1, "FI": 1}
    # combined: the counts are those of the narrowed list
    narrowed = (
        filters.Query.parse({"kind": "proxy", "q": "Kabiri"}).selection(index.fresh()).counts()
    )
    assert narrowed["total"] == len(listed(client, "?kind=proxy&q=Kabiri")) > 0
    assert sum(narrowed["facets"]["kind"].values()) == narrowed["total"]


def test_facets_combine_within_or_and_across_and(client, demo):
    both = set(listed(client, "?stage=2&stage=1"))
    assert both == set(listed(client, "?stage=1")) | set(listed(client, "?stage=2"))
    assert listed(client, "?stage=2&kind=proxy") == []
    assert set(listed(client, "?stage=2&host=es")) == {uid("incidents", GADOEV_SPAIN)}


def test_the_url_is_the_bookmark_and_facet_links_carry_the_other_filters(client, demo):
    body = page(client, "?q=Kabiri&kind=proxy&sort=date")
    links = re.findall(r'href="(\?[^"]*)"', body)
    assert any("stage=" in link and "q=Kabiri" in link and "kind=proxy" in link for link in links)
    assert listed(client, "?q=Kabiri&kind=proxy&sort=date") == listed(
        client, "?sort=date&kind=proxy&q=Kabiri"
    )


def test_sorting_by_date_both_ways(client, demo):
    newest = listed(client, "")
    oldest = listed(client, "?sort=date")
    assert set(newest) == set(oldest) and newest != oldest
    dates = dict(Entry.objects.values_list("incident_id", "date_earliest"))
    known = [
        dates[__import__("uuid").UUID(pk)]
        for pk in oldest
        if dates.get(__import__("uuid").UUID(pk))
    ]
    assert known == sorted(known)


def test_unknown_filter_values_are_named_and_ignored(client, demo):
    body = page(client, "?stage=9&host=ZZ&year_from=abc&sort=sideways")
    for named in ("stage: unknown value '9'", "host: unknown value 'ZZ'", "year_from", "sort"):
        assert named in body
    assert len(listed(client, "?stage=9")) == len(listed(client, ""))


def test_paging(client, demo, monkeypatch):
    from exiledb.public import views

    monkeypatch.setattr(views, "INCIDENTS_PER_PAGE", 10)
    first, second, third = (listed(client, f"?page={n}") for n in (1, 2, 3))
    assert len(first) == len(second) == 10 and len(third) == 2
    assert not set(first) & set(second)
    assert listed(client, "?page=99") == third  # past the end: the last page
    assert listed(client, "?page=x") == first


# --- freshness: edits reach the index before it is read again --------------------------------


def test_publishing_and_unpublishing_reach_the_list(client, demo):
    incident = Incident.objects.get(pk=uid("incidents", GADOEV_SPAIN))
    incident.review_status = "reviewed"
    incident.save()
    assert Pending.objects.exists()
    assert listed(client, "?q=Gadoev") == []
    assert not Pending.objects.exists()
    incident.review_status = "published"
    incident.save()
    assert listed(client, "?q=Gadoev") == [uid("incidents", GADOEV_SPAIN)]


def test_a_new_spelling_becomes_searchable_and_a_hidden_person_stops_being(client, demo):
    exile = Person.objects.get(pk=uid("persons", KHUDOYDODOVA))
    Name.objects.create(person=exile, value="Xudoydodova")
    found = set(listed(client, "?q=Xudoydodova"))
    assert found
    exile.visibility = "confidential"
    exile.save()
    assert listed(client, "?q=Xudoydodova") == []
    assert set(listed(client, "?q=Khudoydodova")).isdisjoint(found) or not listed(
        client, "?q=Xudoydodova"
    )


def test_a_redacted_person_cannot_be_found(client, demo):
    exile = Person.objects.get(pk=uid("persons", KHUDOYDODOVA))
    assert listed(client, "?q=Khudoydodova")
    redact(exile, None, note="test")
    assert listed(client, "?q=Khudoydodova") == []


def test_a_minor_is_found_only_by_the_public_pseudonym(client, demo):
    minor = Person.objects.get(pk=uid("persons", MINOR))
    Name.objects.create(person=minor, value="Zarinaqiz Khudoydodova")
    assert listed(client, "?q=Zarinaqiz") == []


def test_deleting_an_incident_removes_it(client, demo):
    Incident.objects.get(pk=uid("incidents", GADOEV_SPAIN)).delete()
    assert listed(client, "?q=Gadoev") == []
    assert not Entry.objects.filter(incident_id=uid("incidents", GADOEV_SPAIN)).exists()


def test_a_dry_run_import_leaves_the_index_alone(demo):
    before = list(Entry.objects.order_by("id").values_list("id", "text"))
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    doc["incidents"][0]["title"] = "Changed on a dry run"
    writer.apply(interchange.parse_document(doc, str(DEMO)), dry_run=True)
    assert list(Entry.objects.order_by("id").values_list("id", "text")) == before


# --- the index holds only what the public may read ------------------------------------------


def test_no_canary_can_be_found_by_search(client, db):
    load_canaries()
    assert listed(client, "?q=canary") == []
    assert listed(client, "?q=7f3a") == []
    for key in CANARIES:
        assert listed(client, f"?q={CANARY[key]}") == [], key
    joined = " ".join(Entry.objects.values_list("text", flat=True))
    assert "canary" not in joined and "7f3a" not in joined
    assert Entry.objects.exists()


def test_incident_records_read_like_the_serializer(demo):
    ids = list(Incident.objects.values_list("pk", flat=True))
    fast = {rec["id"]: rec for rec in index.incident_records(ids)}
    slow = {rec["id"]: rec for rec in serialize.iter_records("incidents")}
    assert fast == slow


def test_the_index_rows_come_from_the_public_transform(demo):
    published = set(
        Incident.objects.filter(review_status="published", visibility="public").values_list(
            "pk", flat=True
        )
    )
    assert set(Entry.objects.values_list("incident_id", flat=True)) == published
    assert EntryValue.objects.filter(facet="tactic").exists()
    assert EntryValue.objects.filter(facet="category").exists()


def test_rebuild_gives_the_same_index_as_incremental_refresh(client, demo):
    exile = Person.objects.get(pk=uid("persons", KHUDOYDODOVA))
    Name.objects.create(person=exile, value="Xudoydodova")
    index.fresh()
    incremental = dict(Entry.objects.values_list("incident_id", "text"))
    index.rebuild()
    assert dict(Entry.objects.values_list("incident_id", "text")) == incremental

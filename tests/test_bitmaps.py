"""The in-memory facet bitmaps give exactly what the database gives for the same query.

The list's counts and pages come from exiledb.explore.bitmaps; `Query.entries()` and
`Query.ordered()` ask the database the same question. On a synthetic collection (bench/synth.py,
skewed like real ones) a few hundred seeded random queries - facets, year ranges, search words,
both sorts, pages deep and shallow, and both ways of finding a page - must agree row for row.
"""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

from exiledb.cases.models import Incident
from exiledb.explore import bitmaps, filters, index
from exiledb.explore.models import Entry, EntryValue
from exiledb.ingest import writer

pytestmark = pytest.mark.django_db


@pytest.fixture
def collection(tmp_path: Path) -> None:
    path = tmp_path / "synth.json"
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "synth.py"), "400", "--out", str(path)]
        + ["--seed", "11", "--quiet"],
        check=True,
    )
    writer.import_file(str(path))
    assert Entry.objects.count() > 200


def expected_counts(query: filters.Query) -> dict[str, Any]:
    """The facet counts of the query's rows, counted from the rows the database returns."""
    rows = query.entries()
    facets: dict[str, dict[str, int]] = {}
    for facet in filters.FACETS:
        if facet.column is not None:
            values = rows.values_list(facet.column, flat=True)
            counted = Counter(str(v) for v in values if v not in (None, ""))
        else:
            counted = Counter(
                EntryValue.objects.filter(facet=facet.param, entry__in=rows).values_list(
                    "value", flat=True
                )
            )
        facets[facet.param] = dict(counted)
    return {"total": rows.count(), "facets": facets}


def random_query(rng: random.Random, words: list[str], ids: list[int]) -> dict[str, list[str]]:
    """Facet values of one random row (so that queries rarely match nothing), a year range,
    search words and a sort."""
    params: dict[str, list[str]] = {}
    sample = Entry.objects.get(id=rng.choice(ids))
    for facet in rng.sample(filters.FACETS, rng.randint(0, 4)):
        if facet.column is not None:
            value = getattr(sample, facet.column)
            if value in (None, ""):
                continue
            chosen = [str(value)]
        else:
            values = list(
                EntryValue.objects.filter(facet=facet.param).values_list("value", flat=True)
            )
            chosen = rng.sample(sorted(set(values)), min(len(set(values)), rng.randint(1, 2)))
        params[facet.param] = chosen
    if rng.random() < 0.3:
        params["year_from"] = [str(rng.randint(2002, 2020))]
        if rng.random() < 0.5:
            params["year_to"] = [str(rng.randint(2010, 2025))]
    if rng.random() < 0.4:
        params["q"] = [" ".join(rng.sample(words, rng.randint(1, 2)))]
    if rng.random() < 0.5:
        params["sort"] = ["date"]
    return params


def common_words() -> list[str]:
    counted: Counter[str] = Counter()
    for text in Entry.objects.values_list("text", flat=True):
        counted.update(w for w in text.split() if len(w) > 3 and w.isalpha())
    return [w for w, _ in counted.most_common(60)]


@pytest.mark.parametrize("list_and_sort", [0, 1_000_000])
def test_counts_and_pages_agree_with_the_database(collection, monkeypatch, list_and_sort):
    monkeypatch.setattr(bitmaps, "LIST_AND_SORT", list_and_sort)
    rng = random.Random(list_and_sort)
    words = common_words()
    ids = sorted(Entry.objects.values_list("id", flat=True))
    generation = index.fresh()
    for _ in range(120):
        params = random_query(rng, words, ids)
        query = filters.Query.parse(params)
        assert not query.problems, params
        selection = query.selection(generation)
        assert selection.counts() == expected_counts(query), params
        total = selection.total
        for start in (0, 7, max(0, total - 5), total + 3):
            got = [e.id for e in selection.page(start, 10)]
            want = list(query.ordered().values_list("id", flat=True)[start : start + 10])
            assert got == want, (params, start)


def test_the_maps_counts_from_bitmaps_are_the_databases(collection):
    from exiledb.public import mapview

    rng = random.Random(3)
    words = common_words()
    ids = sorted(Entry.objects.values_list("id", flat=True))
    generation = index.fresh()
    queries = [{}] + [random_query(rng, words, ids) for _ in range(60)]
    for params in queries:
        query = filters.Query.parse(params)
        got = mapview.selection_counts(query.selection(generation))
        want = mapview.counts(query.entries())
        assert got == want, params


def test_the_whole_order_in_both_directions(collection):
    generation = index.fresh()
    for sort in ("-date", "date"):
        query = filters.Query.parse({"sort": sort})
        every = [e.id for e in query.selection(generation).page(0, 10_000)]
        assert every == list(query.ordered().values_list("id", flat=True))


@pytest.mark.parametrize("searched", [False, True])
def test_an_edit_reaches_the_bitmaps_at_the_next_generation(collection, searched):
    incident = Incident.objects.filter(
        review_status="published", visibility="public", stage=3
    ).first()
    assert incident is not None
    params = {"stage": "3"}
    if searched:  # kept search results are those of the generation they were read in
        params["q"] = Entry.objects.get(incident_id=incident.pk).text.split()[0]
    query = filters.Query.parse(params)
    before = query.selection(index.fresh()).total
    assert before == query.entries().count() > 0
    incident.review_status = "draft"
    incident.save()
    after = query.selection(index.fresh())
    assert after.total == before - 1 == query.entries().count()
    assert incident.pk not in {e.incident_id for e in after.page(0, 10_000)}


def test_search_results_are_kept_within_a_generation(collection, monkeypatch):
    generation = index.fresh()
    word = common_words()[0]
    first = filters.Query.parse({"q": word}).selection(generation)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the engine was asked again")

    monkeypatch.setattr(filters.fulltext, "ids", refuse)
    again = filters.Query.parse({"q": word, "sort": "date"}).selection(generation)
    assert again.total == first.total > 0


def test_bit_positions_are_read_back_in_order():
    positions = [0, 1, 7, 8, 63, 64, 1000, 4095]
    mask = sum(1 << p for p in positions)
    assert bitmaps._bit_ids(mask.to_bytes(512, "little")) == positions
    assert bitmaps._bit_ids(bytes(64)) == []


def test_an_empty_index_has_no_rows_and_no_counts(db):
    query = filters.Query.parse({"q": "anything", "stage": "2"})
    selection = query.selection(index.fresh())
    assert selection.total == 0
    assert selection.page(0, 50) == []
    assert all(v == {} for v in selection.counts()["facets"].values())

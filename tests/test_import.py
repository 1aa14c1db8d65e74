"""Importing interchange documents in-process: atomic, idempotent, with every problem at once."""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import DatabaseError, IntegrityError, transaction

from exiledb import demo
from exiledb.cases import models as m
from exiledb.ingest import interchange, serialize, writer
from exiledb.ingest.base import RECORD_TYPES, Batch, ImportFailed, record_uuid

pytestmark = pytest.mark.django_db

DEMO = Path(demo.__file__).parent / "fpc-2017.json"

# The namespace is part of the file format: partners' readable ids must map to the same UUIDs
# on every machine and in every release. Written out here, not imported, so a change fails.
NAMESPACE = uuid.UUID("6f1c4d1e-3b1a-5c9e-9a57-0e6c1b9d2f10")


def apply(doc: dict[str, Any], name: str = "x.json") -> Any:
    return writer.apply(interchange.parse_document(copy.deepcopy(doc), name))


def failures(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(ImportFailed) as exc:
        apply(doc)
    assert exc.value.problems, "ImportFailed must carry its problems"
    return [str(p) for p in exc.value.problems]


def stored() -> dict[str, int]:
    return {kind: serialize.MODELS[kind].objects.count() for kind in RECORD_TYPES}


def history() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in apps.get_app_config("cases").get_models()
        if model.__name__.startswith("Historical")
    }


def export() -> dict[str, list[dict[str, Any]]]:
    return {kind: list(serialize.iter_records(kind)) for kind in RECORD_TYPES}


def uid(kind: str, readable: str) -> str:
    return str(record_uuid(kind, readable))


def in_file(doc: dict[str, Any]) -> dict[str, int]:
    return {kind: len(doc.get(kind, [])) for kind in RECORD_TYPES}


# --- upsert and idempotence -------------------------------------------------------------------


def test_a_first_import_creates_every_record(minimal_doc):
    summary = apply(minimal_doc)
    assert summary.created == in_file(minimal_doc)
    assert sum(summary.updated.values()) == sum(summary.unchanged.values()) == 0
    assert stored() == in_file(minimal_doc)
    assert summary.changed == sum(in_file(minimal_doc).values())


def test_importing_the_same_document_twice_changes_nothing(minimal_doc):
    apply(minimal_doc)
    rows_before = history()
    stamps = {p.pk: p.updated_at for p in m.Person.objects.all()}
    second = apply(minimal_doc)
    assert second.unchanged == in_file(minimal_doc)
    assert sum(second.created.values()) == sum(second.updated.values()) == 0
    assert second.changed == 0
    assert history() == rows_before
    assert {p.pk: p.updated_at for p in m.Person.objects.all()} == stamps
    assert stored() == in_file(minimal_doc)


@pytest.mark.parametrize(
    ("kind", "index", "field", "value", "column"),
    [
        ("incidents", 0, "title", "Crowd at a school in Kulob", "title"),
        ("incidents", 0, "tactics", ["proxy_mob"], None),
        ("persons", 0, "summary", "Exiled in Poland since 2015.", "summary"),
        ("persons", 1, "birth_year", 2007, "birth_year"),
        ("sources", 0, "publisher", "HRW", "publisher"),
        ("organizations", 0, "abbreviation", "G24", "abbreviation"),
        ("relationships", 0, "confidence", "confirmed", "confidence"),
    ],
)
def test_changing_one_field_updates_only_that_record_with_one_history_row(
    minimal_doc, kind, index, field, value, column
):
    apply(minimal_doc)
    rows_before = history()
    minimal_doc[kind][index][field] = value
    summary = apply(minimal_doc)
    expected_updated = dict.fromkeys(RECORD_TYPES, 0) | {kind: 1}
    assert summary.updated == expected_updated
    assert sum(summary.created.values()) == 0
    unchanged = in_file(minimal_doc)
    unchanged[kind] -= 1
    assert summary.unchanged == unchanged
    model = serialize.MODELS[kind]
    obj = model.objects.get(pk=uid(kind, minimal_doc[kind][index]["id"]))
    if column:
        assert getattr(obj, column) == value
    hmodel = model.history.model
    assert hmodel.objects.filter(history_type="~").count() == 1
    assert hmodel.objects.get(history_type="~").id == obj.pk
    after = history()
    for other in RECORD_TYPES:
        if other != kind:
            name = serialize.MODELS[other].history.model.__name__
            assert after[name] == rows_before[name], f"{other} history must not change"
    assert stored() == in_file(minimal_doc)


def test_an_update_keeps_the_creation_time(minimal_doc):
    apply(minimal_doc)
    person = m.Person.objects.get(pk=uid("persons", "person/exile"))
    minimal_doc["persons"][0]["summary"] = "Changed."
    apply(minimal_doc)
    again = m.Person.objects.get(pk=person.pk)
    assert again.created_at == person.created_at
    assert again.updated_at >= person.updated_at
    assert again.history.filter(history_type="~").get().created_at == person.created_at


def test_a_changed_incident_rederives_its_stage(minimal_doc):
    abroad = {
        "id": "incident/minsk",
        "title": "Detained in Minsk",
        "country": "BY",
        "origin_country": "TJ",
        "tactics": ["interpol_notice"],
        "involvements": [{"person": "person/exile", "role": "target"}],
    }
    minimal_doc["incidents"].append(abroad)
    apply(minimal_doc)
    pk = uid("incidents", "incident/minsk")
    before = m.Incident.objects.get(pk=pk).stage
    abroad["tactics"] = ["interpol_notice", "detention_abroad"]
    apply(minimal_doc)
    incident = m.Incident.objects.get(pk=pk)
    assert sorted(incident.tactic_codes) == sorted(abroad["tactics"])
    assert (before, incident.stage) == (
        m.codebook.TACTICS.get("interpol_notice").stage,
        m.codebook.TACTICS.get("detention_abroad").stage,
    )


# --- atomicity --------------------------------------------------------------------------------


def test_a_document_with_one_bad_record_stores_nothing(minimal_doc):
    good = copy.deepcopy(minimal_doc["incidents"][0])
    bad = copy.deepcopy(good) | {"id": "incident/bad", "tactics": ["proxy_mob", "mob"]}
    minimal_doc["incidents"] = [good, bad]
    problems = failures(minimal_doc)
    assert any("incident/bad" in p and "tactics[1]" in p for p in problems)
    assert not any("incident/school" in p for p in problems)
    assert stored() == dict.fromkeys(RECORD_TYPES, 0)
    assert sum(history().values()) == 0


@pytest.mark.parametrize(
    "error", [IntegrityError("refused"), DatabaseError("disk full")], ids=["integrity", "database"]
)
def test_a_database_failure_half_way_rolls_back_what_was_written(minimal_doc, monkeypatch, error):
    def fail(*args: Any, **kwargs: Any) -> None:
        raise error

    # incidents are written last: everything else is already in the transaction when this fails
    monkeypatch.setitem(writer._WRITERS, "incidents", fail)
    problems = failures(minimal_doc)
    assert any("nothing was stored" in p and str(error) in p for p in problems)
    assert stored() == dict.fromkeys(RECORD_TYPES, 0)
    assert sum(history().values()) == 0


def test_a_relationship_repeated_under_a_new_id_is_refused_and_stores_nothing(minimal_doc):
    apply(minimal_doc)
    before, rows_before = stored(), history()
    late = {
        "format": "exiledb/1",
        "organizations": [{"id": "org/irpt", "name": "Islamic Renaissance Party of Tajikistan"}],
        "relationships": [
            {
                "id": "rel/again",
                "person": "person/daughter",
                "kinship": "daughter",
                "other": "person/exile",
            }
        ],
    }
    failures(late)
    assert stored() == before
    assert history() == rows_before
    assert not m.Organization.objects.filter(pk=uid("organizations", "org/irpt")).exists()


# --- identifiers and references ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "readable"),
    [
        ("persons", "person/exile"),
        ("persons", "person/daughter"),
        ("sources", "src/hrw"),
        ("organizations", "org/g24"),
        ("incidents", "incident/school"),
        ("relationships", "rel/1"),
    ],
)
def test_readable_ids_map_to_stable_uuids(minimal_doc, kind, readable):
    apply(minimal_doc)
    expected = uuid.uuid5(NAMESPACE, f"{kind}:{readable}")
    assert record_uuid(kind, readable) == expected
    assert serialize.MODELS[kind].objects.filter(pk=expected).exists()


def test_the_same_readable_id_means_different_records_in_different_lists():
    assert record_uuid("persons", "x") != record_uuid("sources", "x")


def test_a_uuid_id_is_kept_as_it_is(minimal_doc):
    given = uuid.uuid4()
    minimal_doc["sources"][0]["id"] = str(given).upper()
    for inc in minimal_doc["incidents"]:
        inc["citations"] = [{"source": str(given)}]
    apply(minimal_doc)
    assert m.Source.objects.get().pk == given
    assert m.Citation.objects.get(incident__isnull=False).source_id == given


def test_a_reference_to_a_record_already_in_the_database_resolves(minimal_doc):
    apply(minimal_doc)
    later = {
        "format": "exiledb/1",
        "incidents": [
            {
                "id": "incident/exit-ban",
                "title": "Daughter barred from leaving",
                "date": "2017",
                "country": "TJ",
                "origin_country": "TJ",
                "proxy": True,
                "tactics": ["proxy_exit_ban"],
                "perpetrators": ["org/g24"],
                "involvements": [
                    {
                        "person": "person/daughter",
                        "role": "relative_targeted",
                        "linked_exile": "person/exile",
                    }
                ],
                "citations": [{"source": "src/hrw"}],
            }
        ],
    }
    summary = apply(later)
    assert summary.created["incidents"] == 1
    involvement = m.Involvement.objects.get(incident_id=uid("incidents", "incident/exit-ban"))
    assert str(involvement.person_id) == uid("persons", "person/daughter")
    assert str(involvement.linked_exile_id) == uid("persons", "person/exile")


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("person", "person/nobody", "involvements[0].person"),
        ("linked_exile", "person/nobody", "involvements[0].linked_exile"),
        # a readable id means a record of the type the field points to
        ("person", "org/g24", "involvements[0].person"),
    ],
)
def test_a_dangling_reference_is_named_and_stores_nothing(minimal_doc, field, value, where):
    minimal_doc["incidents"][0]["involvements"][0][field] = value
    problems = failures(minimal_doc)
    assert any(where in p and "dangling reference" in p and value in p for p in problems)
    assert stored() == dict.fromkeys(RECORD_TYPES, 0)


@pytest.mark.parametrize("spelling", ["readable", "uuid"])
def test_a_duplicate_id_in_one_list_is_an_error(minimal_doc, spelling):
    twin = copy.deepcopy(minimal_doc["persons"][0])
    if spelling == "uuid":
        twin["id"] = uid("persons", twin["id"])
    twin["display_name"] = "Shabnam Khudodoyeva"
    minimal_doc["persons"].append(twin)
    problems = failures(minimal_doc)
    assert any("persons[2]" in p and "duplicate id" in p for p in problems)
    assert stored() == dict.fromkeys(RECORD_TYPES, 0)


def test_every_problem_is_reported_at_once(minimal_doc):
    minimal_doc["incidents"][0]["date"] = "2016-02-30"
    minimal_doc["incidents"][0]["involvements"][0]["person"] = "person/nobody"
    minimal_doc["persons"][0]["origin_country"] = "tj"
    problems = failures(minimal_doc)
    assert any("incident/school" in p and "date" in p and "2016-02-30" in p for p in problems)
    assert any("involvements[0].person" in p and "dangling reference" in p for p in problems)
    assert any("person/exile" in p and "origin_country" in p for p in problems)
    assert all(p.startswith("x.json:") for p in problems)
    assert stored() == dict.fromkeys(RECORD_TYPES, 0)


@pytest.mark.parametrize(
    ("kind", "index", "field", "value", "where"),
    [
        ("incidents", 0, "perpetrators", "org/g24", "perpetrators"),
        ("incidents", 0, "tactics", [""], "tactics[0]"),
        ("incidents", 0, "tactics", ["proxy_mob", None], "tactics[1]"),
        ("incidents", 0, "involvements", "person/daughter", "involvements"),
        ("persons", 0, "names", ["Khudoydodova"], "names[0]"),
        ("persons", 0, "affiliations", {"organization": "org/g24"}, "affiliations"),
        ("incidents", 0, "citations", [{"source": 7}], "citations[0].source"),
    ],
)
def test_malformed_values_are_reported_not_crashed_on(
    minimal_doc, kind, index, field, value, where
):
    minimal_doc[kind][index][field] = value
    problems = failures(minimal_doc)
    assert any(where in p for p in problems), problems
    assert stored() == dict.fromkeys(RECORD_TYPES, 0)


@pytest.mark.parametrize(
    ("kind", "field", "length"),
    [
        ("incidents", "place", 201),
        ("incidents", "trigger_event", 301),
        ("organizations", "abbreviation", 41),
        ("persons", "pseudonym", 301),
        ("sources", "publisher", 301),
    ],
)
def test_an_overlong_text_is_reported_with_its_field_on_every_database(
    minimal_doc, kind, field, length
):
    # SQLite would store it silently and PostgreSQL refuse it without naming the field.
    minimal_doc[kind][0][field] = "x" * length
    problems = failures(minimal_doc)
    assert any(f": {field}:" in p for p in problems), problems
    assert stored() == dict.fromkeys(RECORD_TYPES, 0)


# --- files ------------------------------------------------------------------------------------


def test_a_utf8_file_with_a_byte_order_mark_imports(tmp_path, minimal_doc):
    path = tmp_path / "windows.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(minimal_doc, ensure_ascii=False).encode())
    writer.apply(interchange.read(path))
    assert stored() == in_file(minimal_doc)
    assert m.Name.objects.filter(value="Худойдодова").exists()


def test_a_file_that_is_not_utf8_fails_with_a_clear_message(tmp_path, minimal_doc):
    raw = json.dumps(minimal_doc, ensure_ascii=False).encode("cp1251")
    path = tmp_path / "cp1251.json"
    path.write_bytes(raw)
    first_non_ascii = next(i for i, b in enumerate(raw) if b >= 0x80)
    with pytest.raises(ImportFailed) as exc:
        interchange.read(path)
    (problem,) = exc.value.problems
    assert problem.file == str(path)
    assert "not UTF-8" in problem.message
    assert "save it as UTF-8" in problem.message
    assert str(first_non_ascii) in problem.location


@pytest.mark.parametrize("keep", [0.25, 0.5, 0.9, 0.999])
def test_a_truncated_json_file_fails_with_a_position_and_stores_nothing(
    tmp_path, minimal_doc, keep
):
    text = json.dumps(minimal_doc, indent=1)
    path = tmp_path / "cut.json"
    path.write_text(text[: int(len(text) * keep)], encoding="utf-8")
    with pytest.raises(ImportFailed) as exc:
        writer.apply(interchange.read(path))
    (problem,) = exc.value.problems
    assert "invalid JSON" in problem.message
    line, col = problem.location.split(":")
    assert int(line) >= 1 and int(col) >= 1
    assert stored() == dict.fromkeys(RECORD_TYPES, 0)


def test_a_missing_file_fails_with_a_clear_message(tmp_path):
    with pytest.raises(ImportFailed) as exc:
        interchange.read(tmp_path / "nope.json")
    assert "cannot read the file" in str(exc.value.problems[0])


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        ([], "must be a JSON object"),
        ({"persons": []}, '"format": "exiledb/1"'),
        ({"format": "exiledb/2"}, "exiledb/2"),
    ],
)
def test_a_document_that_is_not_interchange_is_refused(doc, words):
    with pytest.raises(ImportFailed) as exc:
        interchange.parse_document(doc, "x.json")
    assert words in str(exc.value.problems[0])


# --- export round trip ------------------------------------------------------------------------


def _load(source: str, minimal_doc: dict[str, Any]) -> Batch:
    if source == "minimal":
        return interchange.parse_document(minimal_doc, "minimal.json")
    try:
        batch = interchange.parse_document(json.loads(DEMO.read_text("utf-8")), str(DEMO))
    except ImportFailed as exc:  # the demo is checked by test_cli; here it is only material
        pytest.skip(f"the demo file does not load: {exc.problems[:3]}")
    if batch.problems:
        pytest.skip(f"the demo file does not load: {batch.problems[:3]}")
    return batch


@pytest.mark.parametrize("source", ["minimal", "demo"])
def test_an_export_imported_into_a_fresh_database_exports_identically(source, minimal_doc):
    batch = _load(source, minimal_doc)
    with transaction.atomic():
        try:
            writer.apply(batch)
        except ImportFailed as exc:
            pytest.skip(f"the {source} file does not load: {exc.problems[:3]}")
        first = export()
        transaction.set_rollback(True)
    assert stored() == dict.fromkeys(RECORD_TYPES, 0), "the fresh database must be empty"
    assert {k: len(v) for k, v in first.items()} == {k: len(batch.records[k]) for k in RECORD_TYPES}
    text = json.dumps(interchange.document(first, title="round trip"), ensure_ascii=False)
    summary = writer.apply(interchange.parse_document(json.loads(text), "export.json"))
    assert summary.created == {k: len(v) for k, v in first.items()}
    assert export() == first


@pytest.mark.parametrize("source", ["minimal", "demo"])
def test_importing_an_export_back_changes_nothing(source, minimal_doc):
    writer.apply(_load(source, minimal_doc))
    rows_before = history()
    doc = interchange.document(export())
    summary = writer.apply(interchange.parse_document(doc, "export.json"))
    assert summary.changed == 0
    assert history() == rows_before


def test_the_exported_document_carries_format_and_codebook(minimal_doc):
    apply(minimal_doc)
    doc = interchange.document(export(), title="t")
    assert doc["format"] == interchange.FORMAT
    assert doc["codebook"] == m.codebook.CODEBOOK_VERSION
    assert doc["title"] == "t"
    assert set(RECORD_TYPES) <= set(doc)


# --- what the importer fills in ---------------------------------------------------------------


def test_the_display_name_is_added_as_a_spelling(minimal_doc):
    apply(minimal_doc)
    exile = m.Person.objects.get(pk=uid("persons", "person/exile"))
    spellings = {n.value for n in exile.names.all()}
    given = {n["value"] for n in minimal_doc["persons"][0]["names"]}
    assert spellings == given | {minimal_doc["persons"][0]["display_name"]}


def test_a_description_is_not_added_as_a_spelling(minimal_doc):
    apply(minimal_doc)
    daughter = m.Person.objects.get(pk=uid("persons", "person/daughter"))
    assert daughter.name_known is False
    assert not daughter.names.exists()


@pytest.mark.parametrize(
    ("value", "script"),
    [("Худойдодова", "cyrl"), ("Khodoydodova", "latn"), ("Shabnam Khudoydodova", "latn")],
)
def test_the_script_of_a_spelling_is_guessed_when_omitted(minimal_doc, value, script):
    apply(minimal_doc)
    assert m.Name.objects.get(value=value).script == script


def test_a_given_script_and_language_are_kept(minimal_doc):
    minimal_doc["persons"][0]["names"].append(
        {"value": "Khudoidodova", "script": "other", "language": "en"}
    )
    apply(minimal_doc)
    name = m.Name.objects.get(value="Khudoidodova")
    assert (name.script, name.language) == ("other", "en")
    assert m.Name.objects.get(value="Худойдодова").language == "tg"


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ({"is_minor": True}, False),
        ({"is_minor": False}, True),
        ({}, True),
        ({"may_be_named": False}, False),
        ({"is_minor": True, "may_be_named": False}, False),
    ],
)
def test_minors_are_not_named_by_default(minimal_doc, person, expected):
    minimal_doc["persons"].append(
        {"id": "person/relative", "display_name": "a relative", "name_known": False, **person}
    )
    apply(minimal_doc)
    assert m.Person.objects.get(pk=uid("persons", "person/relative")).may_be_named is expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"type": "interview"}, "confidential"),
        ({"type": "interview", "visibility": "restricted"}, "restricted"),
        ({"type": "ngo_report"}, "public"),
        ({}, "public"),
    ],
)
def test_interview_sources_are_confidential_by_default(minimal_doc, source, expected):
    minimal_doc["sources"].append({"id": "src/new", "title": "A source", **source})
    apply(minimal_doc)
    assert m.Source.objects.get(pk=uid("sources", "src/new")).visibility == expected


@pytest.mark.parametrize(
    ("date", "date_end", "precision", "earliest", "latest"),
    [
        ("2016-09", "", "month", dt.date(2016, 9, 1), dt.date(2016, 9, 30)),
        ("2016-09-22", "", "day", dt.date(2016, 9, 22), dt.date(2016, 9, 22)),
        ("2016", "", "year", dt.date(2016, 1, 1), dt.date(2016, 12, 31)),
        ("2016-09", "2016-11", "month", dt.date(2016, 9, 1), dt.date(2016, 11, 30)),
        ("2016-02", "2016-02-29", "month", dt.date(2016, 2, 1), dt.date(2016, 2, 29)),
        ("", "", "unknown", None, None),
    ],
)
def test_a_partial_date_is_stored_as_written_with_its_bounds(
    minimal_doc, date, date_end, precision, earliest, latest
):
    minimal_doc["incidents"][0].update(date=date, date_end=date_end)
    apply(minimal_doc)
    row = m.Incident.objects.values(
        "date", "date_end", "date_precision", "date_earliest", "date_latest", "year"
    ).get()
    assert row == {
        "date": date,
        "date_end": date_end,
        "date_precision": precision,
        "date_earliest": earliest,
        "date_latest": latest,
        "year": earliest.year if earliest else None,
    }


@pytest.mark.parametrize(("written", "stored_as"), [(" 2016-09 ", "2016-09"), ("2016\n", "2016")])
def test_a_partial_date_is_stored_without_surrounding_whitespace(minimal_doc, written, stored_as):
    minimal_doc["incidents"][0]["date"] = written
    minimal_doc["sources"][0]["date"] = written
    apply(minimal_doc)
    assert m.Incident.objects.get().date == stored_as
    assert m.Source.objects.get().date == stored_as


def test_coordinates_written_as_text_reimport_unchanged(minimal_doc):
    minimal_doc["incidents"][0].update(latitude="37.91", longitude="69.78")
    try:
        apply(minimal_doc)
    except ImportFailed as exc:  # refusing text coordinates is a fine answer too
        assert any("latitude" in str(p) for p in exc.problems)
        return
    assert apply(minimal_doc).changed == 0


@pytest.mark.parametrize("block", [1, 7, 4096])
def test_the_streaming_reader_reads_exactly_what_the_whole_document_parser_reads(
    tmp_path, minimal_doc, block, monkeypatch
):
    """Records that straddle the reader's buffer boundary (down to one character a read) come
    out the same as from parsing the whole document at once."""
    from exiledb.ingest.interchange import JsonStream

    minimal_doc["incidents"][0]["latitude"] = 37.913
    minimal_doc["incidents"][0]["longitude"] = 69.784
    text = json.dumps(minimal_doc, ensure_ascii=False, indent=1)
    path = tmp_path / "doc.json"
    path.write_text(text, encoding="utf-8")
    expected = interchange.parse_document(json.loads(text), str(path))
    monkeypatch.setattr(JsonStream, "BLOCK", block)
    stream = interchange.read(path)
    got: dict[str, list[Any]] = {kind: [] for kind in RECORD_TYPES}
    for kind, items in stream.chunks(2):
        got[kind] += [rec for rec, _index, _refs in items]
    assert got == expected.records
    assert stream.problems == expected.problems == []


def test_a_first_load_into_an_empty_database_ends_with_every_index_in_place(minimal_doc):
    """An import into an empty database drops the plain indexes and builds them at the end:
    afterwards the database has exactly the indexes it had before."""
    from django.apps import apps

    from exiledb.ingest import bulk

    tables = [m._meta.db_table for m in apps.get_app_config("cases").get_models()]
    before = sorted(bulk.secondary_indexes(tables))
    assert before, "the case tables have plain indexes to defer"
    writer.apply(interchange.parse_document(minimal_doc, "x.json"))
    assert sorted(bulk.secondary_indexes(tables)) == before

"""Duplicate persons and incidents: finding candidates with evidence, merging with history,
undoing a merge exactly, the commands, and the editor's screens for every persona."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from conftest import PERSONAS, signed_in
from django.test import Client
from django.urls import reverse

from exiledb.access.models import AuditEvent, RemovalRequest
from exiledb.cases.models import (
    Affiliation,
    Citation,
    Incident,
    IncidentTactic,
    Involvement,
    Name,
    Person,
    PersonCategory,
    Relationship,
    Residence,
)
from exiledb.dedupe import incidents as incident_finder
from exiledb.dedupe import persons as person_finder
from exiledb.dedupe.merge import MergeError, merge, not_duplicate, unmerge
from exiledb.dedupe.models import Merge, NotDuplicate
from exiledb.dedupe.persons import PersonFacts
from exiledb.ingest import interchange, writer

EXILE = "11111111-1111-4111-8111-111111111111"
TWIN = "22222222-2222-4222-8222-222222222222"
DAUGHTER = "33333333-3333-4333-8333-333333333333"
BROTHER = "44444444-4444-4444-8444-444444444444"
NAMESAKE = "55555555-5555-4555-8555-555555555555"
INCIDENT = "66666666-6666-4666-8666-666666666666"
REPORT = "77777777-7777-4777-8777-777777777777"
OTHER_SOURCE = "88888888-8888-4888-8888-888888888888"
LATER = "99999999-9999-4999-8999-999999999999"


def document(minimal: dict[str, Any]) -> dict[str, Any]:
    """The minimal document plus a second record of the exile (another source's spelling), a
    namesake born 20 years later, a brother, and the school mob reported twice."""
    doc = copy.deepcopy(minimal)
    doc["sources"].append(
        {"id": OTHER_SOURCE, "type": "news", "title": "Relatives of an activist harassed"}
    )
    exile, daughter = doc["persons"]
    exile.update(id=EXILE, birth_year=1981)
    daughter["id"] = DAUGHTER
    doc["relationships"][0].update(person=DAUGHTER, other=EXILE)
    doc["incidents"][0]["involvements"][0].update(person=DAUGHTER, linked_exile=EXILE)
    exile["residences"] = [{"country": "PL", "date_from": "2015"}]
    exile["citations"] = [{"source": "src/hrw", "locator": "para 2"}]
    doc["persons"] += [
        {
            "id": TWIN,
            "display_name": "Shabnam Khudodoyeva",
            "names": [{"value": "Khudoydodova Shabnam"}, {"value": "Худойдодова Шабнам"}],
            "sex": "female",
            "birth_year": 1981,
            "origin_country": "TJ",
            "categories": ["opposition", "civil_society"],
            "affiliations": [{"organization": "org/g24", "role": "alleged_member"}],
            "residences": [
                {"country": "PL", "date_from": "2015"},
                {"country": "DE", "date_from": "2017"},
            ],
            "citations": [
                {"source": "src/hrw", "locator": "para 2"},
                {"source": OTHER_SOURCE, "locator": "p. 1"},
            ],
        },
        {
            "id": NAMESAKE,
            "display_name": "Shabnam Khudoydodova",
            "sex": "female",
            "birth_year": 2001,
            "origin_country": "TJ",
        },
        {
            "id": BROTHER,
            "display_name": "Rustam Khudoydodov",
            "sex": "male",
            "birth_year": 1979,
            "origin_country": "TJ",
        },
    ]
    doc["relationships"] += [
        {"id": "rel/2", "person": DAUGHTER, "kinship": "daughter", "other": TWIN},
        {"id": "rel/3", "person": BROTHER, "kinship": "brother", "other": TWIN},
        {"id": "rel/4", "person": BROTHER, "kinship": "brother", "other": EXILE},
    ]
    school = doc["incidents"][0]
    school["id"] = INCIDENT
    again = copy.deepcopy(school)
    again.update(
        id=REPORT,
        title="Schoolgirl shamed at a school assembly",
        date="2016-09-22",
        place="Kulob",
        tactics=["proxy_public_shaming"],
        review_status="draft",
        citations=[{"source": OTHER_SOURCE, "locator": "p. 1"}],
        perpetrators=["org/g24"],
    )
    again["involvements"] = [
        {"person": DAUGHTER, "role": "relative_targeted", "linked_exile": TWIN},
    ]
    later = copy.deepcopy(again)
    later.update(id=LATER, title="Daughter questioned again", date="2018-03")
    later["involvements"] = [
        {"person": DAUGHTER, "role": "relative_targeted", "linked_exile": EXILE},
    ]
    later["perpetrators"] = []
    doc["incidents"] += [again, later]
    return doc


@pytest.fixture
def doc(minimal_doc: dict[str, Any]) -> dict[str, Any]:
    return document(minimal_doc)


@pytest.fixture
def data(db, doc: dict[str, Any]) -> dict[str, Any]:
    writer.apply(interchange.parse_document(doc))
    exile, twin = Person.objects.get(pk=EXILE), Person.objects.get(pk=TWIN)
    RemovalRequest.objects.create(
        person=twin, kind="correction", received="2026-01-05", details="spelling"
    )
    return {"exile": exile, "twin": twin}


def coding_slip() -> None:
    """A tie between the two records of one person: after a merge it would tie the person to
    themself, so the merge removes it (and the undo brings it back)."""
    twin, exile = Person.objects.get(pk=TWIN), Person.objects.get(pk=EXILE)
    Relationship.objects.create(person=twin, kinship="sister", other=exile, note="a coding slip")


@pytest.fixture(autouse=True)
def editor_settings(settings: Any, tmp_path: Any) -> None:
    """As in test_editor: static files without a manifest, a fast password hasher."""
    settings.STATIC_ROOT = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


STATE_MODELS = (
    Person,
    Name,
    PersonCategory,
    Relationship,
    Affiliation,
    Residence,
    Involvement,
    Citation,
    RemovalRequest,
    Incident,
    IncidentTactic,
    Incident.perpetrators.through,
)


def state() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the case tables, every column (timestamps included)."""
    out = {}
    for model in STATE_MODELS:
        names = [f.attname for f in model._meta.concrete_fields]
        rows = model.objects.order_by("pk").values_list(*names)
        out[model.__name__] = [tuple(str(v) for v in row) for row in rows]
    return out


def pair_ids(found: list[Any]) -> set[frozenset[str]]:
    return {frozenset((c.a.id, c.b.id)) for c in found}


# --- finding candidates, without a database ------------------------------------------------


def facts(pk: str, *spellings: str, **fields: Any) -> PersonFacts:
    return PersonFacts(pk, spellings[0], list(spellings), **fields)


def test_spellings_of_one_name_share_a_block_and_a_shared_given_name_alone_does_not():
    one = person_finder.blocks_of(["Shabnam Khudoydodova"])
    assert one & person_finder.blocks_of(["Khudodoyeva Shabnam"])
    assert one & person_finder.blocks_of(["Шабнам Худойдодова"])
    assert not one & person_finder.blocks_of(["Shabnam Karimova"])


@pytest.mark.parametrize(
    ("b_fields", "expected"),
    [
        ({"birth_year": 1981}, "birth_year"),
        ({"birth_year": 1960}, None),  # 21 years apart: another person
        ({"origin": "UZ"}, None),
        ({"sex": "male"}, None),
    ],
)
def test_evidence_moves_the_name_score(b_fields, expected):
    a = facts("a", "Shabnam Khudoydodova", birth_year=1981, origin="TJ", sex="female")
    b = facts("b", "Shabnam Khudodoyeva", **{"origin": "TJ", "sex": "female", **b_fields})
    found = person_finder.judge(a, b, kin=False, min_score=0.8)
    if expected is None:
        assert found is None
    else:
        assert found is not None and found.score > found.name_score
        assert expected in {e.kind for e in found.evidence}


def test_relatives_of_each_other_are_not_proposed():
    a = facts("a", "Yusuf Yaqubov", birth_year=1970)
    b = facts("b", "Yusuf Yoqubov", birth_year=1970)
    assert person_finder.judge(a, b, kin=False, min_score=0.8) is not None
    assert person_finder.judge(a, b, kin=True, min_score=0.8) is None


def test_a_given_name_alone_is_too_little():
    a, b = facts("a", "Farrukh"), facts("b", "Farrukh")
    assert person_finder.judge(a, b, kin=False, min_score=0.8) is None
    shared = frozenset({"x", "y"})
    a.relatives = b.relatives = shared
    a.birth_year = b.birth_year = 1980
    found = person_finder.judge(a, b, kin=False, min_score=0.8)
    assert found is not None
    assert "one_word" in {e.kind for e in found.evidence}


def test_candidates_skip_decided_pairs_and_propose_the_richer_record_to_keep():
    a = facts("a", "Umarali Quvvatov", "Кувватов Умарали", birth_year=1954)
    b = facts("b", "Umarali Kuvatov", birth_year=1954)
    c = facts("c", "Sharofiddin Gadoev", birth_year=1985)
    found = person_finder.candidates([b, a, c])
    assert [(x.a.id, x.b.id) for x in found] == [("a", "b")]
    assert person_finder.candidates([a, b, c], distinct={("a", "b")}) == []


def incident(pk: str, **fields: Any) -> incident_finder.IncidentFacts:
    import datetime as dt

    from exiledb.vocab import dates

    date = fields.pop("date", "2016-09")
    base: dict[str, Any] = {
        "title": pk,
        "date": date,
        "earliest": dates.earliest(date),
        "latest": dates.latest(date),
        "precision": dates.precision(date),
        "country": "TJ",
        "targets": frozenset({"p"}),
        "tactics": frozenset({"proxy_mob"}),
    }
    base.update(fields)
    assert base["earliest"] is None or isinstance(base["earliest"], dt.date)
    return incident_finder.IncidentFacts(pk, **base)


@pytest.mark.parametrize(
    ("other", "found"),
    [
        ({"date": "2016-09-22"}, True),  # within the month
        ({"date": "2016"}, True),
        ({"date": ""}, True),  # unknown: not ruled out
        ({"date": "2016-10"}, False),  # after the month
        ({"country": "RU"}, False),
        ({"tactics": frozenset({"proxy_job_loss"}), "place": "Dushanbe"}, False),
    ],
)
def test_incidents_are_candidates_only_when_dates_overlap_within_their_precision(other, found):
    a = incident("a", place="Kulob")
    b = incident("b", **{"place": "Kulob", **other})
    assert (incident_finder.judge(a, b, 0.7) is not None) is found


# --- finding candidates in the database ----------------------------------------------------


def test_it_finds_the_exile_recorded_twice_with_evidence(data):
    found = person_finder.find()
    assert frozenset((EXILE, TWIN)) in pair_ids(found)
    assert frozenset((EXILE, NAMESAKE)) not in pair_ids(found)  # 20 years younger
    pair = next(c for c in found if {c.a.id, c.b.id} == {EXILE, TWIN})
    kinds = {e.kind for e in pair.evidence}
    assert {"birth_year", "origin", "shared_relatives", "categories"} <= kinds
    coding_slip()  # recorded as sisters: evidence against, which rules the pair out
    assert frozenset((EXILE, TWIN)) not in pair_ids(person_finder.find())


def test_a_pair_marked_not_a_duplicate_is_not_proposed_again(data, personas):
    not_duplicate("person", TWIN, EXILE, personas["editor"], note="checked")
    assert frozenset((EXILE, TWIN)) not in pair_ids(person_finder.find())
    decision = NotDuplicate.objects.get()
    assert (str(decision.first), str(decision.second)) == (EXILE, TWIN)
    assert AuditEvent.objects.filter(action="not_duplicate").exists()


def test_it_finds_the_incident_reported_twice_but_not_the_later_one(data):
    found = incident_finder.find()
    ids = pair_ids(found)
    assert frozenset((INCIDENT, REPORT)) in ids
    assert frozenset((INCIDENT, LATER)) not in ids
    pair = next(c for c in found if {c.a.id, c.b.id} == {INCIDENT, REPORT})
    assert {"shared_targets", "shared_tactics", "same_place", "dates_overlap"} <= {
        e.kind for e in pair.evidence
    }


def test_confidential_persons_are_left_out_for_uncleared_readers(data, personas):
    Person.objects.filter(pk=TWIN).update(visibility="confidential")
    assert frozenset((EXILE, TWIN)) not in pair_ids(person_finder.find(personas["coder"]))
    assert frozenset((EXILE, TWIN)) in pair_ids(person_finder.find(personas["editor"]))


# --- merging and undoing -------------------------------------------------------------------


def test_merging_moves_everything_onto_the_kept_person_and_removes_the_other(data, personas):
    coding_slip()
    before_rows = Name.objects.filter(person_id__in=[EXILE, TWIN]).count()
    done = merge("person", EXILE, TWIN, personas["editor"])
    assert not Person.objects.filter(pk=TWIN).exists()
    exile = Person.objects.get(pk=EXILE)
    spellings = set(exile.names.values_list("value", flat=True))
    assert {"Khudoydodova Shabnam", "Худойдодова Шабнам", "Shabnam Khudodoyeva"} <= spellings
    assert exile.names.count() >= before_rows - 1
    assert set(exile.categories.values_list("category", flat=True)) == {
        "opposition",
        "civil_society",
    }
    # duplicates collapse: one identical citation, one identical residence, one affiliation
    assert exile.citations.filter(locator="para 2").count() == 1
    assert exile.citations.filter(locator="p. 1").count() == 1
    assert exile.residences.filter(country="PL").count() == 1
    assert exile.residences.filter(country="DE").count() == 1
    assert exile.affiliations.count() == 1
    # relationships: the daughter's and brother's ties collapse, the reflexive one goes
    assert Relationship.objects.filter(other=exile, kinship="daughter").count() == 1
    assert Relationship.objects.filter(other=exile, person_id=BROTHER).count() == 1
    assert not Relationship.objects.filter(person=exile, other=exile).exists()
    assert Involvement.objects.filter(linked_exile_id=TWIN).count() == 0
    assert Involvement.objects.filter(incident_id=REPORT, linked_exile=exile).count() == 1
    assert RemovalRequest.objects.get().person_id == exile.pk
    # in the history, under the merge's name, by the editor
    reason = f"merge: {done.id}"
    gone = Person.history.get(id=TWIN, history_type="-")  # type: ignore[attr-defined]
    assert gone.history_change_reason == reason
    assert gone.history_user == personas["editor"]
    assert Name.history.filter(history_change_reason=reason).exists()  # type: ignore[attr-defined]
    event = AuditEvent.objects.get(action="merge")
    assert event.object_id == EXILE and event.detail["absorbed"] == TWIN
    assert event.user == personas["editor"]


def test_merge_then_undo_restores_exactly_the_prior_state(data, personas):
    coding_slip()
    before = state()
    done = merge("person", EXILE, TWIN, personas["admin"])
    assert state() != before
    result = unmerge(done.id, personas["admin"])
    assert result.warnings == []
    assert state() == before
    done.refresh_from_db()
    assert done.undone and done.undone_by == "admin"
    assert AuditEvent.objects.filter(action="unmerge", object_id=EXILE).exists()
    undo = f"undo merge: {done.id}"
    assert Person.history.filter(id=TWIN, history_change_reason=undo).exists()  # type: ignore[attr-defined]
    with pytest.raises(MergeError, match="undone already"):
        unmerge(done.id, personas["admin"])


def test_a_merged_record_is_never_less_protected_than_either(data, personas):
    Person.objects.filter(pk=TWIN).update(visibility="confidential", may_be_named=False)
    merge("person", EXILE, TWIN, personas["editor"])
    exile = Person.objects.get(pk=EXILE)
    assert exile.visibility == "confidential" and not exile.may_be_named


def test_merging_incidents_combines_and_keeps_the_most_precise_date_and_place(data, personas):
    Incident.objects.filter(pk=INCIDENT).update(place_precision="region", place="")
    before = state()
    done = merge("incident", INCIDENT, REPORT, None, username="cli:test")
    kept = Incident.objects.get(pk=INCIDENT)
    assert not Incident.objects.filter(pk=REPORT).exists()
    assert (kept.date, kept.date_precision) == ("2016-09-22", "day")
    assert (kept.place, kept.place_precision) == ("Kulob", "city")
    assert set(kept.tactic_codes) == {"proxy_mob", "proxy_public_shaming"}
    assert kept.citations.count() == 2
    assert list(kept.perpetrators.values_list("name", flat=True)) == ["Group 24"]
    assert kept.involvements.count() == 2  # the same relative, linked to each exile record
    assert kept.review_status == "published"
    unmerge(done.id, None, username="cli:test")
    assert state() == before


@pytest.mark.parametrize(
    ("kind", "a", "b", "message"),
    [
        ("person", EXILE, EXILE, "same record twice"),
        ("person", EXILE, "00000000-0000-4000-8000-000000000000", "no person"),
        ("person", EXILE, "not-a-uuid", "not a record id"),
        ("person", EXILE, INCIDENT, "is an incident, not a person"),
        ("incident", INCIDENT, EXILE, "is an person, not a incident"),
    ],
)
def test_impossible_merges_are_refused_with_a_clear_message(data, kind, a, b, message):
    with pytest.raises(MergeError, match=message):
        merge(kind, a, b, None)
    assert Person.objects.filter(pk=EXILE).exists()


@pytest.mark.parametrize("persona", ["anonymous", "viewer", "coder"])
def test_only_editors_and_admins_merge(data, personas, persona):
    with pytest.raises(MergeError, match="editors and admins"):
        merge("person", EXILE, TWIN, personas[persona] or _anonymous())
    assert Person.objects.filter(pk=TWIN).exists()


def _anonymous() -> Any:
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def test_undo_refuses_when_the_kept_record_was_merged_away_since(data, personas):
    first = merge("person", EXILE, TWIN, personas["editor"])
    merge("person", NAMESAKE, EXILE, personas["editor"])
    with pytest.raises(MergeError, match="no longer exists"):
        unmerge(first.id, personas["editor"])


# --- the editor's screens, for every persona -----------------------------------------------

LIST = reverse("admin:dedupe_candidates", args=["persons"])
INCIDENTS = reverse("admin:dedupe_candidates", args=["incidents"])
MERGES = reverse("admin:dedupe_merges")
MERGE = reverse("admin:dedupe_merge")
DISTINCT = reverse("admin:dedupe_distinct")


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_sees_the_candidates_as_their_role_allows(client, data, personas, persona):
    signed_in(client, personas[persona])
    response = client.get(LIST)
    if persona == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
        return
    assert response.status_code == 200
    page = response.content.decode()
    assert "Shabnam Khudodoyeva" in page and "relative(s) in common" in page
    assert ("Merge B into A" in page) is (persona in ("editor", "admin"))
    assert client.get(INCIDENTS).status_code == 200
    merges_status = client.get(MERGES).status_code
    assert merges_status == (200 if persona in ("editor", "admin") else 403)


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_may_merge_from_the_editor_only_as_an_editor_or_admin(
    client, data, personas, persona
):
    signed_in(client, personas[persona])
    response = client.post(MERGE, {"kind": "person", "a": EXILE, "b": TWIN, "next": LIST})
    merged = not Person.objects.filter(pk=TWIN).exists()
    if persona == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
    elif persona in ("viewer", "coder"):
        assert response.status_code == 403
    else:
        assert response.status_code == 302 and response["Location"] == LIST
    assert merged is (persona in ("editor", "admin"))
    decided = client.post(DISTINCT, {"kind": "person", "a": EXILE, "b": NAMESAKE})
    assert NotDuplicate.objects.exists() is (persona in ("editor", "admin"))
    assert decided.status_code in (
        (302,) if persona in ("anonymous", "editor", "admin") else (403,)
    )


def test_an_editor_undoes_a_merge_from_the_merge_history(client, data, personas):
    before = state()
    signed_in(client, personas["editor"])
    client.post(MERGE, {"kind": "person", "a": EXILE, "b": TWIN})
    done = Merge.objects.get()
    page = client.get(MERGES).content.decode()
    assert "Shabnam Khudodoyeva" in page and "Undo this merge" in page
    signed_in(client, personas["coder"])
    assert client.post(reverse("admin:dedupe_undo", args=[done.id])).status_code == 403
    signed_in(client, personas["admin"])
    response = client.post(reverse("admin:dedupe_undo", args=[done.id]), follow=True)
    assert "is back as a record of its own" in response.content.decode()
    assert state() == before


def test_the_buttons_need_the_csrf_token(data, personas):
    client = Client(enforce_csrf_checks=True)
    signed_in(client, personas["editor"])
    response = client.post(MERGE, {"kind": "person", "a": EXILE, "b": TWIN})
    assert response.status_code == 403
    assert Person.objects.filter(pk=TWIN).exists()


def test_merge_errors_are_shown_not_raised(client, data, personas):
    signed_in(client, personas["editor"])
    response = client.post(MERGE, {"kind": "person", "a": EXILE, "b": EXILE}, follow=True)
    assert "same record twice" in response.content.decode()
    assert client.get(reverse("admin:dedupe_candidates", args=["places"])).status_code == 404


# --- the commands ----------------------------------------------------------------------------


def test_the_commands_find_merge_list_and_undo(cli, write_doc, doc):
    assert cli("import", str(write_doc(doc))).returncode == 0
    found = cli("duplicates", "persons", "--json")
    assert found.returncode == 0, found.stderr
    result = json.loads(found.stdout)
    pairs = {frozenset((c["a"]["id"], c["b"]["id"])) for c in result["candidates"]}
    assert frozenset((EXILE, TWIN)) in pairs
    assert result["stats"]["persons"] == 4  # the unnamed daughter has no spelling to compare
    loose = json.loads(cli("duplicates", "persons", "--json", "--min-score", "0.4").stdout)
    assert len(loose["candidates"]) > len(result["candidates"])  # the namesake, 20 years apart
    assert min(c["score"] for c in loose["candidates"]) >= 0.4
    assert "Candidate duplicate persons" in cli("duplicates", "persons", "--limit", "1").stdout
    incidents = json.loads(cli("duplicates", "incidents", "--json").stdout)
    assert {frozenset((c["a"]["id"], c["b"]["id"])) for c in incidents["candidates"]} == {
        frozenset((INCIDENT, REPORT))
    }

    asked = cli("merge", EXILE, TWIN)  # no terminal, no --yes: refused
    assert asked.returncode != 0 and "--yes" in asked.stderr
    merged = cli("merge", EXILE, TWIN, "--yes")
    assert merged.returncode == 0, merged.stderr
    listed = json.loads(cli("merges", "--json").stdout)
    assert listed[0]["absorbed"]["id"] == TWIN and listed[0]["undone_at"] is None
    undone = cli("unmerge", listed[0]["id"], "--yes")
    assert undone.returncode == 0, undone.stderr
    assert "is back" in undone.stdout
    again = cli("unmerge", listed[0]["id"], "--yes")
    assert again.returncode != 0 and "undone already" in again.stderr

    assert cli("merge", "--incidents", INCIDENT, REPORT, "--yes").returncode == 0
    decided = cli("not-duplicate", EXILE, TWIN, "--note", "checked by phone")
    assert decided.returncode == 0, decided.stderr
    after = json.loads(cli("duplicates", "persons", "--json").stdout)
    assert frozenset((EXILE, TWIN)) not in {
        frozenset((c["a"]["id"], c["b"]["id"])) for c in after["candidates"]
    }


COMMAND_ERRORS = [
    (("merge", EXILE, EXILE, "--yes"), "same record twice"),
    (("merge", EXILE, "00000000-0000-4000-8000-000000000000", "--yes"), "no person"),
    (("merge", EXILE, INCIDENT, "--yes"), "records of two kinds never merge"),
    (("merge", "--incidents", EXILE, INCIDENT, "--yes"), "records of two kinds never merge"),
    (("merge", "nonsense", TWIN, "--yes"), "not a record id"),
    (("unmerge", "00000000-0000-4000-8000-000000000000", "--yes"), "no merge"),
    (("unmerge", "nonsense", "--yes"), "not a merge id"),
    (("not-duplicate", TWIN, TWIN), "same record twice"),
]


def test_command_errors_are_one_clear_line_and_change_nothing(cli, write_doc, doc):
    assert cli("import", str(write_doc(doc))).returncode == 0
    for args, message in COMMAND_ERRORS:
        result = cli(*args)
        assert result.returncode != 0, args
        assert message in result.stderr, (args, result.stderr)
        assert "Error:" in result.stderr
        assert "Traceback" not in result.stderr + result.stdout
    assert json.loads(cli("merges", "--json").stdout) == []


@pytest.mark.parametrize(
    "b_fields",
    [
        {},
        {"birth_year": 1981, "relatives": frozenset({"r1", "r2"})},
        {"birth_year": 1982, "incidents": frozenset({"i"}), "categories": frozenset({"religious"})},
        {"birth_year": 1990, "origin": "UZ", "sex": "male"},
    ],
)
@pytest.mark.parametrize("kin", [False, True])
def test_the_fast_weights_add_up_to_the_written_evidence(b_fields, kin):
    a = facts(
        "a",
        "Yusuf Yaqubov",
        birth_year=1981,
        origin="TJ",
        sex="female",
        relatives=frozenset({"r1", "r2"}),
        incidents=frozenset({"i"}),
        categories=frozenset({"religious"}),
    )
    b = facts("b", "Yusuf Yoqubov", **{"origin": "TJ", "sex": "female", **b_fields})
    moved, _link = person_finder.weights(a, b, kin)
    written = person_finder.attribute_evidence(a, b, kin)
    assert moved == pytest.approx(sum(e.weight for e in written))


def test_a_birth_year_alone_does_not_lift_a_name_many_persons_share():
    a = facts("a", "Rustam Karimov", birth_year=1980)
    b = facts("b", "Rustam Karimzoda", birth_year=1980)
    assert person_finder.judge(a, b, False, 0.85, sharing={}) is not None
    common = {person_finder.names.key("Rustam Karimov"): person_finder.COMMON_NAME}
    assert person_finder.judge(a, b, False, 0.85, sharing=common) is None
    a.relatives = b.relatives = frozenset({"mother"})
    assert person_finder.judge(a, b, False, 0.85, sharing=common) is not None

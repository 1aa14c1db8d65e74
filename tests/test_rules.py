"""The validation rules: each one fires on the field it is about, and only when it should."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from exiledb.cases import rules
from exiledb.ingest import schema

PERSON: dict[str, Any] = {
    "display_name": "Shabnam Khudoydodova",
    "sex": "female",
    "origin_country": "TJ",
    "categories": ["opposition"],
    "is_minor": False,
    "may_be_named": True,
    "names": [{"value": "Худойдодова", "script": "cyrl"}],
    "residences": [{"country": "PL", "date_from": "2015", "date_to": "2017-03"}],
    "affiliations": [{"organization": "org/g24", "role": "alleged_member"}],
    "citations": [{"source": "src/hrw"}],
}
ABROAD: dict[str, Any] = {
    "title": "Detained in Minsk on a Tajik Interpol notice",
    "date": "2016-09",
    "date_end": "2016-10-05",
    "country": "BY",
    "origin_country": "TJ",
    "place_precision": "country",
    "tactics": ["interpol_notice", "detention_abroad"],
    "host_state_role": "cooperated",
    "legal_channel": "interpol",
    "outcome": "released",
    "involvements": [{"person": "person/exile", "role": "target"}],
    "review_status": "draft",
}
PROXY: dict[str, Any] = {
    "title": "Mob at a school in Kulob",
    "date": "2016-09",
    "country": "TJ",
    "place": "Kulob",
    "place_precision": "city",
    "latitude": 37.91,
    "longitude": 69.78,
    "origin_country": "TJ",
    "proxy": True,
    "tactics": ["proxy_mob", "proxy_public_shaming"],
    "stage": 1,
    "involvements": [
        {"person": "person/daughter", "role": "relative_targeted", "linked_exile": "person/exile"},
        {"person": None, "role": "perpetrator", "description": "a crowd of teachers"},
    ],
    "citations": [{"source": "src/hrw", "locator": "para 1"}],
    "review_status": "published",
}
ORGANIZATION: dict[str, Any] = {
    "name": "Group 24",
    "type": "movement",
    "country": "TJ",
    "founded": "2012",
    "dissolved": "2014-10",
    "other_names": ["Gruppa 24"],
    "designations": [{"type": "extremist", "by_country": "TJ", "date": "2014-10"}],
}
SOURCE: dict[str, Any] = {
    "title": "Abuse of Dissidents' Families",
    "type": "ngo_report",
    "date": "2016-12-20",
    "url": "https://www.hrw.org/news/2016/12/20/x",
    "archive_url": "http://web.archive.org/web/2017/x",
    "sha256": "A" * 64,
}
RELATIONSHIP: dict[str, Any] = {
    "person": "person/daughter",
    "kinship": "daughter",
    "other": "person/exile",
}

CHECKS = {
    "person": (rules.check_person, PERSON),
    "abroad": (rules.check_incident, ABROAD),
    "proxy": (rules.check_incident, PROXY),
    "organization": (rules.check_organization, ORGANIZATION),
    "source": (rules.check_source, SOURCE),
    "relationship": (rules.check_relationship, RELATIONSHIP),
}


def problems_of(kind: str, **changes: Any) -> dict[str, list[str]]:
    check, base = CHECKS[kind]
    rec = copy.deepcopy(base)
    for key, value in changes.items():
        if value is DELETE:
            rec.pop(key, None)
        else:
            rec[key] = value
    out: dict[str, list[str]] = {}
    for p in check(rec):
        assert isinstance(p, rules.Problem)
        out.setdefault(p.field, []).append(p.message)
    return out


DELETE = object()


@pytest.mark.parametrize("kind", sorted(CHECKS))
def test_a_valid_record_has_no_problems(kind):
    assert problems_of(kind) == {}


# (record kind, changes, field that must be named, words the message must contain)
CASES = [
    # country codes
    ("person", {"origin_country": "tj"}, "origin_country", "codes are upper case: TJ"),
    ("person", {"origin_country": "Tajikistan"}, "origin_country", "ISO code of Tajikistan is TJ"),
    ("person", {"origin_country": "XX"}, "origin_country", "not an ISO 3166-1 alpha-2"),
    ("person", {"origin_country": 7}, "origin_country", "not an ISO 3166-1 alpha-2"),
    ("abroad", {"country": "by"}, "country", "codes are upper case: BY"),
    ("abroad", {"country": ""}, "country", "country code is required"),
    ("abroad", {"origin_country": DELETE}, "origin_country", "country code is required"),
    ("abroad", {"origin_country": "TJK"}, "origin_country", "not an ISO 3166-1"),
    ("person", {"residences": [{"country": "pl"}]}, "residences[0].country", "upper case: PL"),
    ("person", {"residences": [{"place": "Warsaw"}]}, "residences[0].country", "required"),
    (
        "organization",
        {"designations": [{"type": "banned", "by_country": "Tajikistan"}]},
        "designations[0].by_country",
        "ISO code of Tajikistan is TJ",
    ),
    # minors and names
    ("person", {"is_minor": True}, "may_be_named", "a minor may never be named"),
    ("person", {"display_name": "  "}, "display_name", "is required"),
    ("person", {"display_name": DELETE}, "display_name", "is required"),
    ("person", {"display_name": "x" * 301}, "display_name", "longer than 300"),
    ("person", {"names": [{"value": ""}]}, "names[0].value", "is required"),
    ("person", {"names": ["Khudoydodova"]}, "names[0]", "must be an object"),
    ("person", {"names": [{"value": "X", "script": "greek"}]}, "names[0].script", "unknown"),
    ("person", {"sex": "f"}, "sex", "unknown sex 'f'"),
    ("person", {"birth_year": 1700}, "birth_year", "not a plausible year"),
    ("person", {"birth_year": True}, "birth_year", "not a plausible year"),
    ("person", {"birth_year": "1980"}, "birth_year", "not a plausible year"),
    ("person", {"categories": ["oppositon"]}, "categories[0]", "did you mean opposition"),
    (
        "person",
        {"residences": [{"country": "PL", "date_from": "2017", "date_to": "2016"}]},
        "residences[0].date_to",
        "ends before it starts",
    ),
    ("person", {"affiliations": [{"role": "member"}]}, "affiliations[0].organization", "required"),
    (
        "person",
        {"affiliations": [{"organization": "o", "role": "boss"}]},
        "affiliations[0].role",
        "unknown",
    ),
    ("person", {"citations": [{}]}, "citations[0].source", "is required"),
    ("person", {"citations": [{"source": "", "note": "x"}]}, "citations[0].source", "required"),
    ("person", {"citations": ["src/hrw"]}, "citations[0]", "must be an object"),
    ("person", {"citations": "src/hrw"}, "citations", "must be a list"),
    # place precision
    ("abroad", {"latitude": 53.9, "longitude": 27.56}, "latitude", "not allowed"),
    (
        "abroad",
        {"latitude": 53.9, "longitude": 27.56, "place_precision": "region", "region": "Minsk"},
        "latitude",
        "not allowed with place precision 'region'",
    ),
    ("proxy", {"place": ""}, "place", "precision 'city' needs a place name"),
    ("proxy", {"place_precision": "exact", "place": DELETE}, "place", "'exact' needs a place"),
    ("abroad", {"place_precision": "region"}, "region", "needs a region name"),
    ("abroad", {"place": "Minsk"}, "place_precision", "precision says country only"),
    ("abroad", {"place_precision": "town"}, "place_precision", "unknown"),
    ("proxy", {"longitude": None}, "longitude", "latitude and longitude go together"),
    ("proxy", {"latitude": None}, "latitude", "latitude and longitude go together"),
    ("proxy", {"latitude": 91}, "latitude", "out of range"),
    ("proxy", {"longitude": -181}, "latitude", "out of range"),
    ("proxy", {"latitude": "north"}, "latitude", "must be numbers"),
    # proxy incidents and their linked exile
    (
        "proxy",
        {"involvements": [{"person": "person/daughter", "role": "target"}]},
        "involvements",
        "a proxy incident needs a targeted relative linked to the exile",
    ),
    (
        "proxy",
        {"involvements": [{"person": "person/daughter", "role": "relative_targeted"}]},
        "involvements[0].linked_exile",
        "needs the exile they were targeted for",
    ),
    (
        "proxy",
        {"involvements": [{"person": "p", "role": "relative_targeted", "linked_exile": "p"}]},
        "involvements[0].linked_exile",
        "cannot be the relative themselves",
    ),
    ("abroad", {"involvements": [{"role": "target"}]}, "involvements[0].person", "description"),
    ("abroad", {"involvements": [{"person": "p", "role": "victim"}]}, "involvements[0].role", ""),
    ("abroad", {"involvements": [{"person": "p"}]}, "involvements[0].role", "code is required"),
    ("abroad", {"involvements": ["person/exile"]}, "involvements[0]", "must be an object"),
    ("abroad", {"proxy": "yes"}, "proxy", "must be true or false"),
    # published incidents cite their sources
    ("proxy", {"citations": []}, "citations", "a published incident needs at least one citation"),
    ("proxy", {"citations": DELETE}, "citations", "needs at least one citation"),
    # an unresolved citation (its source deleted) keeps the trail but supports nothing
    ("proxy", {"citations": [{"locator": "para 1"}]}, "citations", "needs at least one citation"),
    ("abroad", {"review_status": "published"}, "citations", "needs at least one citation"),
    ("abroad", {"review_status": "approved"}, "review_status", "unknown"),
    # stage
    ("abroad", {"stage": 1}, "stage", "stage 1 does not match the tactics (they give stage 2)"),
    ("abroad", {"stage": 3}, "stage", "does not match"),
    ("proxy", {"stage": 3}, "stage", "they give stage 1"),
    ("proxy", {"stage": "2"}, "stage", "does not match"),
    # tactics
    ("abroad", {"tactics": ["threat", "threat"]}, "tactics", "a tactic is listed twice"),
    ("proxy", {"tactics": ["proxy_mob", "mob"]}, "tactics[1]", "did you mean proxy_mob"),
    ("abroad", {"tactics": []}, "tactics", "at least one tactic is required"),
    ("abroad", {"tactics": DELETE}, "tactics", "at least one tactic is required"),
    ("abroad", {"tactics": "threat"}, "tactics", "at least one tactic is required"),
    # dates
    ("abroad", {"date": "2016-02-30"}, "date", "there is no day 30"),
    ("abroad", {"date": "2016-13"}, "date", "there is no month 13"),
    ("abroad", {"date": 2016}, "date", "must be written as text"),
    ("abroad", {"date_end": "2016-08"}, "date_end", "ends before it starts"),
    ("abroad", {"date": ""}, "date_end", "needs a start date"),
    ("abroad", {"trigger_date": "2016/09/01"}, "trigger_date", "not a date"),
    ("organization", {"founded": "2015"}, "dissolved", "ends before it starts"),
    ("organization", {"designations": [{"by_country": "TJ"}]}, "designations[0].type", "required"),
    ("source", {"date": "2016-02-30"}, "date", "no day 30"),
    # other codes and values
    ("abroad", {"host_state_role": "helped"}, "host_state_role", "unknown"),
    ("abroad", {"legal_channel": "CIS"}, "legal_channel", "did you mean cis"),
    ("abroad", {"outcome": "freed"}, "outcome", "unknown"),
    ("abroad", {"confidence": "sure"}, "confidence", "unknown"),
    ("abroad", {"visibility": "secret"}, "visibility", "unknown"),
    ("abroad", {"victims_estimated": -1}, "victims_estimated", "whole number"),
    ("abroad", {"victims_estimated": 2.5}, "victims_estimated", "whole number"),
    ("abroad", {"title": ""}, "title", "is required"),
    ("organization", {"name": ""}, "name", "is required"),
    ("organization", {"type": "club"}, "type", "unknown"),
    ("organization", {"other_names": "Gruppa 24"}, "other_names", "must be a list of names"),
    ("source", {"url": "ftp://example.org/x"}, "url", "not an http(s) address"),
    ("source", {"archive_url": "javascript:alert(1)"}, "archive_url", "not an http(s)"),
    ("source", {"sha256": "abc"}, "sha256", "64 hexadecimal"),
    ("source", {"sha256": "g" * 64}, "sha256", "64 hexadecimal"),
    ("source", {"type": "blog"}, "type", "unknown"),
    ("source", {"title": DELETE}, "title", "is required"),
    ("relationship", {"kinship": "mum"}, "kinship", "unknown kinship 'mum'"),
    ("relationship", {"kinship": ""}, "kinship", "code is required"),
    ("relationship", {"other": "person/daughter"}, "other", "cannot be related to themselves"),
    ("relationship", {"person": None}, "person", "is required"),
    ("relationship", {"confidence": "certain"}, "confidence", "unknown"),
]


@pytest.mark.parametrize(
    ("kind", "changes", "field", "words"),
    CASES,
    ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(CASES)],
)
def test_each_rule_names_the_field_it_is_about(kind, changes, field, words):
    found = problems_of(kind, **changes)
    assert field in found, f"expected a problem on {field!r}, got {found}"
    assert any(words in message for message in found[field]), found[field]


@pytest.mark.parametrize(
    ("kind", "changes"),
    [
        ("person", {"is_minor": True, "may_be_named": False}),
        ("person", {"origin_country": ""}),
        ("proxy", {"place_precision": "exact"}),
        ("proxy", {"latitude": -90, "longitude": 180}),
        ("proxy", {"stage": "1"}),
        ("proxy", {"stage": None}),
        ("proxy", {"tactics": ["assault"], "stage": 1}),
        ("abroad", {"stage": 2}),
        ("abroad", {"date_end": "2016-09-15"}),
        ("abroad", {"date_end": ""}),
        ("abroad", {"region": "Minsk", "place_precision": "region"}),
        ("abroad", {"involvements": [{"role": "witness", "description": "a neighbour"}]}),
        ("abroad", {"review_status": "published", "citations": [{"source": "s"}]}),
        ("abroad", {"victims_estimated": 0}),
        ("source", {"sha256": "0123456789abcdefABCDEF" + "0" * 42}),
        ("relationship", {"kinship": "associate"}),
        ("person", {"citations": [{"source": None, "locator": "p. 3", "quote": "..."}]}),
    ],
)
def test_a_rule_does_not_fire_on_a_valid_variant(kind, changes):
    assert problems_of(kind, **changes) == {}


@pytest.mark.parametrize(
    ("kind", "changes", "field"),
    [
        ("abroad", {"tactics": [""]}, "tactics[0]"),
        ("abroad", {"tactics": ["threat", None]}, "tactics[1]"),
        ("person", {"categories": [""]}, "categories[0]"),
    ],
)
def test_an_empty_entry_in_a_list_of_codes_is_refused(kind, changes, field):
    # An empty CSV cell or a stray null must not pass as a code: it is not one.
    assert field in problems_of(kind, **changes)


def test_a_wrong_tactic_does_not_also_report_a_stage_mismatch():
    found = problems_of("abroad", tactics=["mob"], stage=3)
    assert "tactics[0]" in found
    assert "stage" not in found


def test_problems_print_as_field_and_message():
    problem = rules.Problem("tactics[1]", "unknown tactic 'mob'")
    assert str(problem) == "tactics[1]: unknown tactic 'mob'"
    assert str(rules.Problem("", "whole record")) == "whole record"


@pytest.mark.parametrize(
    ("proxy", "involvements", "status", "citations", "fields"),
    [
        (True, [], "draft", [], ["involvements"]),
        (True, [{"role": "relative_targeted", "linked_exile": "e"}], "draft", [], []),
        (True, [{"role": "relative_targeted"}], "published", [], ["involvements", "citations"]),
        (True, ["not an object"], "draft", None, ["involvements"]),
        (False, [], "published", None, ["citations"]),
        (False, [], "published", [{"source": "s"}], []),
        (False, [], "published", [{"source": None, "quote": "q"}], ["citations"]),
        (False, [], "reviewed", [], []),
    ],
)
def test_incident_link_rules_serve_the_editor_too(proxy, involvements, status, citations, fields):
    found = rules.incident_link_problems(proxy, involvements, status, citations)
    assert [p.field for p in found] == fields


# --- unknown fields are the schema's business -------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw", "field"),
    [
        ("persons", {"id": "p", "display_name": "X", "nickname": "Y"}, "nickname"),
        (
            "persons",
            {"id": "p", "display_name": "X", "names": [{"value": "Y", "scrpt": "latn"}]},
            "names[0].scrpt",
        ),
        (
            "incidents",
            {
                "id": "i",
                "title": "T",
                "country": "RU",
                "origin_country": "TJ",
                "tactic": ["threat"],
                "tactics": ["threat"],
            },
            "tactic",
        ),
        (
            "incidents",
            {
                "id": "i",
                "title": "T",
                "country": "RU",
                "origin_country": "TJ",
                "tactics": ["threat"],
                "involvements": [{"person": "p", "role": "target", "linked": "q"}],
            },
            "involvements[0].linked",
        ),
        ("sources", {"id": "s", "title": "T", "URL": "https://x.org"}, "URL"),
        ("organizations", {"id": "o", "name": "N", "founded_in": "2012"}, "founded_in"),
        ("relationships", {"id": "r", "person": "a", "kinship": "son", "other": "b", "x": 1}, "x"),
    ],
)
def test_an_unknown_field_is_reported_by_the_schema_not_dropped(kind, raw, field):
    rec, problems, _ = schema.normalise(kind, raw)
    found = dict(problems)
    assert field in found
    assert "unknown field" in found[field]
    known = {name for name, _ in schema.FIELDS[kind]}
    if "." not in field:
        assert field not in known
        assert rec is not None and field not in rec


def test_the_rules_themselves_ignore_keys_they_do_not_know():
    assert rules.check_person({**PERSON, "nickname": "Y"}) == []


@pytest.mark.parametrize(
    ("raw", "may_be_named"),
    [
        (
            {"id": "p", "display_name": "daughter of X", "name_known": False, "is_minor": True},
            False,
        ),
        ({"id": "p", "display_name": "Shabnam Khudoydodova"}, True),
        ({"id": "p", "display_name": "Tillo Kabiri", "may_be_named": False}, False),
    ],
)
def test_the_schema_defaults_may_be_named_from_is_minor(raw, may_be_named):
    rec, problems, _ = schema.normalise("persons", raw)
    assert problems == []
    assert rec is not None
    assert rec["may_be_named"] is may_be_named


def test_a_minor_explicitly_named_is_refused_through_the_schema():
    raw = {"id": "p", "display_name": "X", "is_minor": True, "may_be_named": True}
    _, problems, _ = schema.normalise("persons", raw)
    assert ("may_be_named", "a minor may never be named publicly") in problems


@pytest.mark.parametrize(
    ("value", "script"),
    [
        ("Худойдодова", "cyrl"),
        ("Khudoydodova", "latn"),
        ("Xudoydodova-Zoda", "latn"),
        ("Ḥusayn", "latn"),  # ALA-LC romanisation: Latin Extended Additional
        ("خدایدادوا", "arab"),
        ("Χουντοϊντόντοβα", "other"),
    ],
)
def test_the_script_of_a_spelling_is_guessed(value, script):
    assert schema.guess_script(value) == script


# --- the pieces the editor's inline forms call ------------------------------------------------


@pytest.mark.parametrize(
    ("tactics", "proxy", "stage", "fields"),
    [
        (["threat", "rendition"], False, None, []),
        (["threat", "rendition"], False, 3, []),
        (["threat", "rendition"], False, 1, ["stage"]),
        (["assault"], True, 1, []),
        (["assault"], True, 3, ["stage"]),
        (["mob"], True, 1, ["tactics[0]"]),
        (["threat", "threat"], False, None, ["tactics"]),
        ([], False, None, ["tactics"]),
        (None, False, None, ["tactics"]),
    ],
)
def test_check_tactics_checks_codes_duplicates_and_the_stage(tactics, proxy, stage, fields):
    assert [p.field for p in rules.check_tactics(tactics, proxy, stage)] == fields


@pytest.mark.parametrize(
    ("involvement", "fields"),
    [
        ({"person": "p", "role": "target"}, []),
        ({"description": "his brothers", "role": "witness"}, []),
        ({"person": "p", "role": "relative_targeted", "linked_exile": "e"}, []),
        ({"person": "p", "role": "relative_targeted"}, ["involvements[0].linked_exile"]),
        ({"role": "target", "description": "  "}, ["involvements[0].person"]),
        ({"person": "p", "role": "hostage"}, ["involvements[0].role"]),
        ("p", ["involvements[0]"]),
    ],
)
def test_check_involvement_locates_its_problems(involvement, fields):
    found = rules.check_involvement(involvement, "involvements[0]")
    assert [p.field for p in found] == fields


def test_check_involvement_without_a_prefix_names_bare_fields():
    found = rules.check_involvement({"person": "p", "role": "relative_targeted"})
    assert [p.field for p in found] == ["linked_exile"]


def test_the_model_check_can_leave_the_children_to_the_forms():
    rec = copy.deepcopy(PROXY) | {"tactics": [], "involvements": [], "citations": []}
    assert rules.check_incident(rec, children=False) == []
    assert rules.check_incident(rec) != []

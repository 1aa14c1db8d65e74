"""The codebook and the stage rules built on it: pure logic, no database."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from django.db import models

from exiledb.cases import models as case_models
from exiledb.vocab import VOCABULARIES, case_stage, codebook, docs, incident_stage

TACTICS = codebook.TACTICS
ABROAD = [c.code for c in TACTICS if c.group == "abroad"]
PROXY = [c.code for c in TACTICS if c.group == "proxy"]

# DOMAIN.md's tactics, read by hand, with the code and CAPE stage each must have.
DOMAIN_TACTICS = [
    # stage 1: on notice
    ("threats and intimidation", "threat", 1, "abroad"),
    ("surveillance", "surveillance", 1, "abroad"),
    ("smear campaigns", "smear_campaign", 1, "abroad"),
    ("hacking", "hacking", 1, "abroad"),
    ("criminal cases opened at home", "criminal_case", 1, "abroad"),
    ("trials in absentia", "trial_in_absentia", 1, "abroad"),
    ("Interpol Red Notices and diffusions", "interpol_notice", 1, "abroad"),
    ("CIS / SCO wanted lists", "regional_wanted_list", 1, "abroad"),
    ("extradition requests", "extradition_request", 1, "abroad"),
    ("refusal to renew passports", "document_denial", 1, "abroad"),
    # stage 2: detained
    ("arrest or detention in the host country", "detention_abroad", 2, "abroad"),
    ("extradition proceedings", "extradition_proceedings", 2, "abroad"),
    # stage 3: rendered or attacked
    ("extradition carried out", "extradition", 3, "abroad"),
    ("unlawful deportation", "deportation", 3, "abroad"),
    ("rendition (abduction and forced transfer)", "rendition", 3, "abroad"),
    ("enforced disappearance", "enforced_disappearance", 3, "abroad"),
    ("physical assault", "assault", 3, "abroad"),
    ("assassination attempted", "assassination_attempt", 3, "abroad"),
    ("assassination done", "assassination", 3, "abroad"),
    # proxy repression of relatives at home: stage-1 pressure on the exile
    ("arbitrary detention and interrogation of relatives", "proxy_detention", 1, "proxy"),
    ("threats against relatives", "proxy_threat", 1, "proxy"),
    ("beating of an imprisoned relative", "proxy_assault", 1, "proxy"),
    ("mobs of 'concerned citizens' at the family home", "proxy_mob", 1, "proxy"),
    ("public shaming at school or a local meeting", "proxy_public_shaming", 1, "proxy"),
    ("forced denunciation on national television", "proxy_forced_denunciation", 1, "proxy"),
    ("confiscation of passports", "proxy_passport_confiscation", 1, "proxy"),
    ("exit bans", "proxy_exit_ban", 1, "proxy"),
    ("seizure (or threatened seizure) of property", "proxy_property_seizure", 1, "proxy"),
    ("dismissal from jobs", "proxy_dismissal", 1, "proxy"),
    ("denial of healthcare", "proxy_healthcare_denial", 1, "proxy"),
    ("sexual violence and threats of it", "proxy_sexual_violence", 1, "proxy"),
    ("pressure on a wife to divorce", "proxy_divorce_pressure", 1, "proxy"),
]

# Other vocabularies DOMAIN.md names, by hand: (vocabulary, code).
DOMAIN_CODES = [
    ("exile_categories", "regime_insider"),
    ("exile_categories", "opposition"),
    ("exile_categories", "religious"),
    ("exile_categories", "civil_society"),
    *[
        ("kinship", k)
        for k in (
            "mother",
            "father",
            "son",
            "daughter",
            "brother",
            "sister",
            "wife",
            "husband",
            "in_law",
            "cousin",
        )
    ],
    *[("involvement_roles", r) for r in ("target", "relative_targeted", "perpetrator", "witness")],
    *[("date_precision", p) for p in ("day", "month", "year", "unknown")],
    *[("place_precision", p) for p in ("city", "region", "country")],
    *[("designation_types", t) for t in ("banned", "extremist", "terrorist")],
    *[
        ("source_types", t)
        for t in ("court", "un", "ngo_report", "official_statement", "interpol_notice", "news")
    ],
    ("source_types", "interview"),
    *[("visibility", v) for v in ("public", "restricted", "confidential")],
    *[("confidence", c) for c in ("confirmed", "probable", "possible")],
    *[("outcomes", o) for o in ("returned_home", "quit_politics", "continued_activism")],
    *[("organization_types", t) for t in ("party", "movement", "state_agency", "media")],
]


# --- stage derivation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tactics", "proxy", "expected"),
    [
        (["threat"], False, 1),
        (["surveillance", "smear_campaign", "hacking"], False, 1),
        (["interpol_notice", "detention_abroad"], False, 2),
        (["extradition_proceedings", "document_denial"], False, 2),
        (["interpol_notice", "detention_abroad", "extradition"], False, 3),
        (["detention_abroad", "rendition"], False, 3),
        (["assassination_attempt"], False, 3),
        (["proxy_threat"], False, 1),
        (["proxy_mob", "proxy_public_shaming"], True, 1),
        (["proxy_assault", "proxy_sexual_violence"], True, 1),
        # relatives beaten or detained at home are still stage-1 pressure on the exile
        (["assault"], True, 1),
        (["detention_abroad", "enforced_disappearance"], True, 1),
        ([], False, None),
        ([], True, None),
    ],
)
def test_incident_stage_follows_the_three_stage_model(tactics, proxy, expected):
    assert incident_stage(tactics, proxy) == expected


def test_incident_stage_accepts_any_iterable_of_codes():
    assert incident_stage(iter(["threat", "rendition"]), False) == incident_stage(
        ("threat", "rendition"), False
    )


@pytest.mark.parametrize(("first", "second"), list(itertools.combinations(ABROAD, 2)))
def test_an_abroad_incident_reaches_the_highest_stage_of_its_tactics(first, second):
    stages = (TACTICS.get(first).stage, TACTICS.get(second).stage)
    assert incident_stage([first, second], False) == max(stages)
    assert incident_stage([second, first], False) == max(stages)


@pytest.mark.parametrize("tactic", [c.code for c in TACTICS])
def test_a_proxy_incident_is_stage_one_whatever_was_done(tactic):
    assert incident_stage([tactic], True) == 1


@pytest.mark.parametrize("proxy", [False, True])
def test_an_unknown_tactic_is_refused_not_ignored(proxy):
    with pytest.raises(KeyError):
        incident_stage(["threat", "mob"], proxy)


@pytest.mark.parametrize(
    ("incidents", "expected"),
    [
        # (tactics, proxy) per incident against one person
        ([(["threat"], False)], 1),
        ([(["threat"], False), (["detention_abroad"], False)], 2),
        ([(["interpol_notice"], False), (["extradition"], False), (["threat"], False)], 3),
        ([(["proxy_mob"], True)], 1),
        ([(["proxy_mob"], True), (["detention_abroad"], False)], 2),
        # a proxy incident counts as 1 even with a stage-3 tactic
        ([(["assault"], True), (["threat"], False)], 1),
        ([(["assault"], True), (["rendition"], False)], 3),
        ([([], False)], None),
        ([([], False), (["proxy_threat"], True)], 1),
        ([], None),
    ],
)
def test_a_case_has_the_highest_stage_of_its_incidents(incidents, expected):
    assert case_stage(incident_stage(t, proxy) for t, proxy in incidents) == expected


@pytest.mark.parametrize(
    ("stages", "expected"),
    [([1, None, 3], 3), ([None, None], None), ([2, 1, 2], 2), ([], None)],
)
def test_case_stage_ignores_incidents_without_a_stage(stages, expected):
    assert case_stage(stages) == expected


# --- the tactics vocabulary -------------------------------------------------------------------


@pytest.mark.parametrize("tactic", list(TACTICS), ids=lambda c: c.code)
def test_every_tactic_has_a_stage_and_a_group(tactic):
    assert tactic.stage in {1, 2, 3}
    assert tactic.group in {"abroad", "proxy"}
    if tactic.group == "proxy":
        assert tactic.stage == 1, "proxy tactics are stage-1 pressure on the exile"
        assert tactic.code.startswith("proxy_")


@pytest.mark.parametrize(
    ("described", "code", "stage", "group"), DOMAIN_TACTICS, ids=[t[1] for t in DOMAIN_TACTICS]
)
def test_every_tactic_in_the_domain_brief_has_a_code_with_its_stage(described, code, stage, group):
    assert code in TACTICS, f"DOMAIN.md lists {described!r}: no tactic code {code!r}"
    assert TACTICS.get(code).stage == stage
    assert TACTICS.get(code).group == group


def test_every_stage_of_the_model_has_a_stage_code_and_tactics():
    stages = {c.stage for c in TACTICS}
    assert {int(c.code) for c in codebook.STAGES} == stages
    assert all(c.stage == int(c.code) for c in codebook.STAGES)
    assert set(ABROAD) | set(PROXY) == {c.code for c in TACTICS}


@pytest.mark.parametrize(("vocabulary", "code"), DOMAIN_CODES, ids=lambda x: str(x))
def test_every_category_and_code_in_the_domain_brief_is_in_the_codebook(vocabulary, code):
    assert code in codebook.BY_NAME[vocabulary]


# --- codes ------------------------------------------------------------------------------------

SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")


@pytest.mark.parametrize("vocab", VOCABULARIES, ids=lambda v: v.name)
def test_codes_are_unique_snake_case_and_documented(vocab):
    codes = [c.code for c in vocab]
    assert len(codes) == len(set(codes))
    assert len(vocab) == len(codes) > 0
    for c in vocab:
        assert SNAKE.match(c.code), f"{vocab.name}: {c.code!r} is not snake_case"
        assert c.label.strip() and c.definition.strip()
    assert vocab.choices() == [(c.code, c.label) for c in vocab]


def test_vocabulary_names_are_unique_and_indexed():
    names = [v.name for v in VOCABULARIES]
    assert len(names) == len(set(names))
    assert set(codebook.BY_NAME) == set(names)


def test_a_vocabulary_refuses_a_duplicate_code():
    dup = codebook.Code("x", "X", "An x.")
    with pytest.raises(ValueError, match="duplicate code"):
        codebook.Vocabulary("v", "V", "A vocabulary.", (dup, dup))


def _fields_with_codebook_choices():
    choices = {tuple(v.choices()): v for v in VOCABULARIES}
    for model in case_models.Record.__subclasses__() + [
        case_models.PersonCategory,
        case_models.Name,
        case_models.Designation,
        case_models.Affiliation,
        case_models.Residence,
        case_models.IncidentTactic,
        case_models.Involvement,
    ]:
        for f in model._meta.concrete_fields:
            if isinstance(f, models.CharField) and f.choices and tuple(f.choices) in choices:
                yield pytest.param(f, choices[tuple(f.choices)], id=f"{model.__name__}.{f.name}")


@pytest.mark.parametrize(("field", "vocab"), list(_fields_with_codebook_choices()))
def test_every_code_fits_the_column_that_stores_it(field, vocab):
    longest = max(len(c.code) for c in vocab)
    assert field.max_length >= longest


def test_model_choices_come_from_the_codebook():
    found = {p.values[0].model.__name__ for p in _fields_with_codebook_choices()}
    assert {"Incident", "IncidentTactic", "Person", "Source", "Involvement"} <= found


# --- suggestions for wrong codes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("vocab", "wrong", "meant"),
    [
        (TACTICS, "mob", "proxy_mob"),
        (TACTICS, "Mob at the family home", "proxy_mob"),
        (TACTICS, "detention abroad", "detention_abroad"),
        (TACTICS, "rendtion", "rendition"),
        (TACTICS, "smear-campaign", "smear_campaign"),
        (codebook.KINSHIP, "dauhgter", "daughter"),
        (codebook.EXILE_CATEGORIES, "oppositon", "opposition"),
    ],
)
def test_suggest_proposes_the_code_that_was_meant(vocab, wrong, meant):
    hits = vocab.suggest(wrong)
    assert meant in hits
    assert len(hits) <= 3
    assert all(h in vocab for h in hits)


def test_suggest_proposes_nothing_for_nonsense():
    assert TACTICS.suggest("zzzzqqqq") == []


@pytest.mark.parametrize(
    ("code", "expected"),
    [("proxy_mob", TACTICS.get("proxy_mob").label), ("no_such_code", "no_such_code"), (None, "")],
)
def test_label_falls_back_to_the_code(code, expected):
    assert TACTICS.label(code) == expected


# --- generated documentation ------------------------------------------------------------------


def test_codebook_docs_are_up_to_date():
    current = (Path(__file__).resolve().parent.parent / "docs" / "codebook.md").read_text("utf-8")
    assert current == docs.render(), (
        "docs/codebook.md is stale: run `make docs` and commit the result"
    )


@pytest.mark.parametrize("vocab", VOCABULARIES, ids=lambda v: v.name)
def test_rendered_codebook_lists_every_code(vocab):
    rendered = docs.render()
    assert f"## {vocab.title}" in rendered
    for c in vocab:
        assert f"| `{c.code}` |" in rendered

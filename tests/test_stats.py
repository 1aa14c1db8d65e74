"""The statistics, checked against figures counted by hand from the document they come from."""

from __future__ import annotations

import copy
import json
from collections import Counter, defaultdict
from typing import Any

import pytest

from exiledb.analysis import stats
from exiledb.cases.models import Incident
from exiledb.ingest import interchange, writer
from exiledb.ingest.base import record_uuid

pytestmark = pytest.mark.django_db


def _person(pid: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"id": pid, "display_name": name, "origin_country": extra.pop("origin", "TJ"), **extra}


def _incident(iid: str, **fields: Any) -> dict[str, Any]:
    base = {"id": iid, "title": iid, "origin_country": "TJ"}
    return base | fields


def target(pid: str) -> dict[str, Any]:
    return {"person": pid, "role": "target"}


def relative(pid: str | None, exile: str, description: str = "") -> dict[str, Any]:
    return {
        "person": pid,
        "role": "relative_targeted",
        "linked_exile": exile,
        "description": description,
    }


CITED = {"review_status": "published", "citations": [{"source": "src/a"}]}

# A small world. Every incident states its stage, which the importer checks against the tactics,
# so the expected case stages below are counted from the document, not from the code under test.
DOC: dict[str, Any] = {
    "format": "exiledb/1",
    "sources": [{"id": "src/a", "title": "A report", "type": "ngo_report"}],
    "organizations": [{"id": "org/gknb", "name": "State Committee for National Security"}],
    "persons": [
        _person("p/alim", "Alim", categories=["opposition"]),
        _person("p/bakhrom", "Bakhrom", categories=["religious"]),
        _person("p/dilshod", "Dilshod", categories=["civil_society"]),
        _person("p/erkin", "Erkin", origin="UZ", categories=["opposition"]),
        _person("p/farrukh", "Farrukh", categories=["regime_insider"]),
        _person("p/gulnora", "Gulnora", categories=["opposition"]),
        _person("p/mother", "mother of Dilshod", name_known=False),
        _person("p/brother", "brother of Dilshod", name_known=False),
        _person("p/son", "son of Bakhrom", name_known=False, is_minor=True),
        _person("p/witness", "A neighbour"),
    ],
    "incidents": [
        _incident(
            "i/alim-notice",
            date="2014-05",
            country="RU",
            tactics=["interpol_notice", "criminal_case"],
            stage=1,
            involvements=[target("p/alim")],
            **CITED,
        ),
        _incident(
            "i/alim-detained",
            date="2015-03-02",
            country="RU",
            tactics=["detention_abroad", "extradition_proceedings"],
            stage=2,
            legal_channel="interpol",
            involvements=[target("p/alim"), {"person": "p/witness", "role": "witness"}],
            **CITED,
        ),
        _incident(
            "i/erkin-and-farrukh-detained",
            date="2015-11",
            country="RU",
            tactics=["detention_abroad"],
            stage=2,
            involvements=[target("p/erkin"), target("p/farrukh")],
        ),
        _incident(
            "i/erkin-threat",
            date="2015",
            country="TR",
            origin_country="UZ",
            tactics=["threat"],
            stage=1,
            involvements=[target("p/erkin")],
        ),
        _incident(
            "i/bakhrom-rendered",
            date="2016-02",
            date_end="2016-04",
            country="TR",
            tactics=["detention_abroad", "rendition"],
            stage=3,
            perpetrators=["org/gknb"],
            involvements=[target("p/bakhrom")],
            **CITED,
        ),
        _incident(
            "i/bakhrom-son-school",
            date="2016-09",
            country="TJ",
            place="Kulob",
            place_precision="city",
            proxy=True,
            tactics=["proxy_public_shaming", "proxy_threat"],
            stage=1,
            involvements=[relative("p/son", "p/bakhrom")],
        ),
        _incident(
            "i/dilshod-mother-detained",
            date="2016-10-01",
            country="TJ",
            proxy=True,
            tactics=["proxy_detention", "proxy_threat"],
            stage=1,
            involvements=[relative("p/mother", "p/dilshod")],
            **CITED,
        ),
        _incident(
            "i/dilshod-family-mob",
            date="2017",
            country="TJ",
            proxy=True,
            tactics=["proxy_mob", "proxy_assault"],
            stage=1,
            involvements=[
                relative("p/mother", "p/dilshod"),
                relative("p/brother", "p/dilshod"),
                relative(None, "p/dilshod", "two sisters"),
            ],
        ),
        _incident(
            "i/gulnora-hacked",
            country="DE",
            tactics=["hacking", "smear_campaign", "threat"],
            stage=1,
            involvements=[target("p/gulnora")],
        ),
        _incident(
            "i/dilshod-surveillance",
            date="2017-06",
            country="PL",
            tactics=["surveillance"],
            stage=1,
            involvements=[target("p/dilshod")],
        ),
    ],
}


@pytest.fixture
def figures():
    def compute(incidents: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        writer.apply(interchange.parse_document(copy.deepcopy(DOC), "stats.json"))
        if incidents is None:
            return stats.compute()
        ids = [record_uuid("incidents", i["id"]) for i in incidents]
        return stats.compute(Incident.objects.filter(pk__in=ids))

    return compute


def by_hand(incidents: list[dict[str, Any]]) -> dict[str, Any]:
    """Count what stats.compute should say, straight from the document."""
    abroad = [i for i in incidents if not i.get("proxy")]
    per_case: dict[str, list[int]] = defaultdict(list)
    relatives: set[str] = set()
    unnamed = 0
    for inc in incidents:
        for inv in inc.get("involvements", []):
            if inv["role"] == "target" and inv.get("person"):
                per_case[inv["person"]].append(inc["stage"])
            if inv.get("linked_exile"):
                per_case[inv["linked_exile"]].append(inc["stage"])
            if inv["role"] == "relative_targeted":
                if inv.get("person"):
                    relatives.add(inv["person"])
                else:
                    unnamed += 1
    case_stages = Counter(max(s) for s in per_case.values())
    dyads = Counter(
        (i["origin_country"], i["country"], int(i["date"][:4])) for i in abroad if i.get("date")
    )
    return {
        "cases": {
            "total": len(per_case),
            "by_stage": {str(s): case_stages.get(s, 0) for s in (1, 2, 3)},
        },
        "incidents": {
            "total": len(incidents),
            "proxy": len(incidents) - len(abroad),
            "abroad": len(abroad),
            "by_stage": dict(Counter(str(i["stage"]) for i in incidents)),
            "by_tactic": dict(Counter(t for i in incidents for t in i["tactics"])),
            "by_host_country": dict(Counter(i["country"] for i in abroad)),
            "by_year": dict(Counter(i["date"][:4] for i in incidents if i.get("date"))),
        },
        "relatives_targeted": len(relatives),
        "relatives_unnamed_mentions": unnamed,
        "dyads": [
            {"origin": o, "host": h, "year": y, "incidents": n}
            for (o, h, y), n in sorted(dyads.items())
        ],
    }


def test_the_document_exercises_every_figure():
    # guard the fixture itself: each figure below must have something to count
    expected = by_hand(DOC["incidents"])
    assert all(expected["cases"]["by_stage"][s] for s in ("1", "2", "3"))
    assert expected["incidents"]["proxy"] and expected["incidents"]["abroad"]
    assert any(n > 1 for n in expected["incidents"]["by_tactic"].values())
    assert any(d["incidents"] > 1 for d in expected["dyads"])
    assert expected["relatives_unnamed_mentions"]
    assert any(not i.get("date") for i in DOC["incidents"])


@pytest.mark.parametrize(
    "figure",
    [
        ("cases", "total"),
        ("cases", "by_stage"),
        ("incidents", "total"),
        ("incidents", "proxy"),
        ("incidents", "abroad"),
        ("incidents", "by_stage"),
        ("incidents", "by_tactic"),
        ("incidents", "by_host_country"),
        ("incidents", "by_year"),
        ("relatives_targeted",),
        ("relatives_unnamed_mentions",),
        ("dyads",),
    ],
    ids=".".join,
)
def test_each_figure_matches_a_count_by_hand(figures, figure):
    got, expected = figures(), by_hand(DOC["incidents"])
    for key in figure:
        got, expected = got[key], expected[key]
    assert got == expected


@pytest.mark.parametrize(
    "subset",
    [
        pytest.param(lambda i: i.get("review_status") == "published", id="published-only"),
        pytest.param(lambda i: not i.get("proxy"), id="abroad-only"),
        pytest.param(lambda i: i.get("proxy", False), id="proxy-only"),
        pytest.param(lambda i: i["origin_country"] == "UZ", id="one-origin-state"),
        pytest.param(lambda i: False, id="nothing"),
    ],
)
def test_figures_come_only_from_the_incidents_handed_in(figures, subset):
    chosen = [i for i in DOC["incidents"] if subset(i)]
    got, expected = figures(chosen), by_hand(chosen)
    for key in ("relatives_targeted", "relatives_unnamed_mentions", "dyads"):
        assert got[key] == expected[key], key
    for section in ("cases", "incidents"):
        for key, value in expected[section].items():
            assert got[section][key] == value, (section, key)


def test_a_relative_targeted_twice_is_counted_once(figures):
    mentions = [
        inv["person"]
        for inc in DOC["incidents"]
        for inv in inc.get("involvements", [])
        if inv["role"] == "relative_targeted" and inv.get("person")
    ]
    assert len(mentions) > len(set(mentions)), "the document must repeat a relative"
    assert figures()["relatives_targeted"] == len(set(mentions))


def test_a_proxy_incident_counts_as_stage_one_for_the_exile(figures):
    # Bakhrom was rendered (stage 3) and his son shamed at home: his case stays at stage 3;
    # Dilshod's family was beaten at home: the beating does not lift his case above stage 1.
    only_proxy = [i for i in DOC["incidents"] if i.get("proxy")]
    got = figures(only_proxy)["cases"]["by_stage"]
    exiles = {
        inv["linked_exile"]
        for inc in only_proxy
        for inv in inc["involvements"]
        if inv.get("linked_exile")
    }
    assert got == {"1": len(exiles), "2": 0, "3": 0}


def test_the_figures_carry_the_floor_note_and_codebook(figures):
    got = figures()
    assert got["note"] == stats.FLOOR_NOTE
    assert "floor" in got["note"]
    assert got["codebook"] == interchange.CODEBOOK_VERSION


def test_an_empty_database_has_zero_figures():
    got = stats.compute()
    assert got["incidents"]["total"] == got["cases"]["total"] == got["relatives_targeted"] == 0
    assert got["cases"]["by_stage"] == {"1": 0, "2": 0, "3": 0}
    assert got["incidents"]["by_tactic"] == {} and got["dyads"] == []


# --- host comparison, proxy figures and filters on the small world above ----------------------


def test_a_detention_that_ended_in_rendition_counts_as_a_transfer(figures):
    # Counted from DOC: in Russia Alim (2015-03-02) and Erkin and Farrukh (2015-11) were
    # detained and none handed over; in Turkey Bakhrom was detained and rendered (one incident).
    got = figures()["host_comparison"]
    assert got["by_host"]["RU"]["detentions"] == 3
    assert got["by_host"]["RU"]["transferred"] == 0
    assert got["by_host"]["TR"] == {
        "detentions": 1,
        "transferred": 1,
        "released": 0,
        "share_transferred": 1.0,
        "share_released": 0.0,
    }
    assert got["eu"]["detentions"] == 0 and got["eu"]["share_transferred"] is None
    assert got["non_eu"]["detentions"] == 4 and got["non_eu"]["transferred"] == 1


def test_relatives_per_exile_count_named_relatives_once_each(figures):
    # Dilshod: mother (twice) and brother, plus "two sisters" unnamed -> 2; Bakhrom: son -> 1.
    got = figures()["proxy"]
    assert got["relatives_per_exile"]["distribution"] == {"1": 1, "2": 1}
    assert got["relatives_per_exile"]["mean"] == 1.5
    assert got["relatives_per_exile"]["median"] == 1.5
    assert got["exiles_targeted_through_relatives"] == 2
    # no Relationship rows in DOC: every targeted relative is "no tie recorded"
    assert got["kinship"] == {"no_tie_recorded": 3}


def _first_day(date: str) -> str:
    """The first day a partial date may mean, as text ('' when undated)."""
    return {0: "", 4: date + "-01-01", 7: date + "-01", 10: date}[len(date)]


@pytest.mark.parametrize(
    ("options", "included"),
    [
        # 2015 (year-precise, Erkin's threat) is inside since=2015 but not since=2015-06
        ({"since": "2015"}, lambda i: i.get("date", "") >= "2015"),
        # "2017" (Dilshod's family) is certainly after 2015-06; "2015" may be before it
        ({"since": "2015-06"}, lambda i: _first_day(i.get("date", "")) >= "2015-06-01"),
        # i/bakhrom-rendered runs 2016-02..2016-04: not inside until=2016-03
        (
            {"until": "2016-03"},
            lambda i: i.get("date") and i.get("date_end", i["date"]) < "2016-04",
        ),
        ({"min_confidence": "confirmed"}, lambda i: False),
        ({"min_confidence": "probable"}, lambda i: True),
        ({"min_date_precision": "month"}, lambda i: len(i.get("date", "")) >= 7),
        ({"min_place_precision": "city"}, lambda i: i.get("place_precision") == "city"),
    ],
    ids=lambda v: str(v) if isinstance(v, dict) else "",
)
def test_filters_keep_exactly_the_incidents_the_rule_admits(figures, options, included):
    from exiledb.analysis.filters import Filters

    writer.apply(interchange.parse_document(copy.deepcopy(DOC), "stats.json"))
    got = stats.compute(filters=Filters.parse(**options))
    chosen = [i for i in DOC["incidents"] if included(i)]
    expected = by_hand(chosen)
    for section in ("cases", "incidents"):
        for key, value in expected[section].items():
            assert got[section][key] == value, (section, key)
    assert got["dyads"] == expected["dyads"]
    assert got["filters"]["since"] == options.get("since")
    excluded = got["filters"]["excluded"]
    assert sum(v for k, v in excluded.items() if k != "date_range_uncertain") == len(
        DOC["incidents"]
    ) - len(chosen)


def test_an_imprecise_date_left_out_of_a_range_is_reported_as_uncertain(figures):
    from exiledb.analysis.filters import Filters

    writer.apply(interchange.parse_document(copy.deepcopy(DOC), "stats.json"))
    got = stats.compute(filters=Filters.parse(since="2015-06", until="2015-12"))
    # inside: Erkin and Farrukh detained 2015-11. Possibly inside, left out: Erkin's threat
    # ("2015") and the undated hacking of Gulnora.
    assert got["incidents"]["total"] == 1
    assert got["filters"]["excluded"]["date_range_uncertain"] == 2
    assert got["filters"]["since_day"] == "2015-06-01"
    assert got["filters"]["until_day"] == "2015-12-31"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("since", "2016-13"),
        ("until", "yesterday"),
        ("min_confidence", "certain"),
        ("min_date_precision", "week"),
        ("min_place_precision", "street"),
    ],
)
def test_a_bad_filter_value_names_its_option(option, value):
    from exiledb.analysis.filters import FilterError, Filters

    with pytest.raises(FilterError) as caught:
        Filters.parse(**{option: value})
    assert caught.value.option == option
    assert value in str(caught.value)


def test_a_range_that_ends_before_it_starts_is_refused():
    from exiledb.analysis.filters import FilterError, Filters

    with pytest.raises(FilterError) as caught:
        Filters.parse(since="2017", until="2016-12")
    assert caught.value.option == "until"


def test_the_filter_orders_cover_their_vocabularies_exactly():
    from exiledb.analysis.filters import ORDERED_VOCABULARIES

    for order, vocabulary in ORDERED_VOCABULARIES.items():
        assert sorted(order) == sorted(c.code for c in vocabulary)


def test_the_analysis_codes_exist_in_the_codebook():
    from exiledb.analysis import hosts, proxy
    from exiledb.vocab import EU_MEMBERS, codebook

    assert hosts.DETENTION_TACTICS
    assert all(codebook.TACTICS.get(c).stage == 2 for c in hosts.DETENTION_TACTICS)
    assert all(codebook.TACTICS.get(c).stage == 3 for c in hosts.TRANSFER_TACTICS)
    assert hosts.TRANSFERRED in codebook.OUTCOMES and hosts.RELEASED in codebook.OUTCOMES
    assert set(proxy.RESPONSE_OUTCOMES) == {"returned_home", "quit_politics", "continued_activism"}
    assert {"ES", "FI", "PL", "DE"} <= EU_MEMBERS and not {"RU", "TR", "GB"} & EU_MEMBERS


# --- the demo, counted by hand from its file ----------------------------------------------------


def _demo_doc() -> dict[str, Any]:
    from conftest import DEMO

    return json.loads(DEMO.read_text(encoding="utf-8"))


def _with_stage(incidents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from exiledb.vocab import codebook

    out = []
    for inc in incidents:
        stage = (
            1 if inc.get("proxy") else max(codebook.TACTICS.get(t).stage for t in inc["tactics"])
        )
        out.append({**inc, "stage": stage})
    return out


@pytest.fixture
def demo() -> dict[str, Any]:
    doc = _demo_doc()
    writer.apply(interchange.parse_document(copy.deepcopy(doc), "demo.json"))
    return doc


def test_the_demo_shows_what_the_article_documents(demo):
    got = stats.compute()
    # the minimums
    assert got["cases"]["by_stage"]["2"] >= 2
    assert {"ES", "FI"} <= set(got["incidents"]["by_host_country"])
    assert got["incidents"]["proxy"] >= 10
    assert got["relatives_targeted"] >= 8
    assert "TJ" in {d["origin"] for d in got["dyads"]}
    # and every base figure equals a count straight from the file
    expected = by_hand(_with_stage(demo["incidents"]))
    for section in ("cases", "incidents"):
        for key, value in expected[section].items():
            assert got[section][key] == value, (section, key)
    for key in ("relatives_targeted", "relatives_unnamed_mentions", "dyads"):
        assert got[key] == expected[key], key


def test_the_demo_stage_two_cases_are_the_spanish_and_finnish_detentions(demo):
    got = stats.compute()
    # Gadoev (Spain 2014) and Davlatov (Finland 2015): detained on Interpol notices, released
    stage_two = [
        inv["person"]
        for inc in demo["incidents"]
        if not inc.get("proxy")
        for inv in inc["involvements"]
        if inv["role"] == "target"
    ]
    assert sorted(stage_two) == ["person/davlatov-sulaimon", "person/gadoev-sharofiddin"]
    assert got["cases"]["by_stage"]["2"] == len(stage_two)
    hosts = got["host_comparison"]
    assert set(hosts["by_host"]) == {"ES", "FI"}
    assert hosts["eu"] == {
        "detentions": 2,
        "transferred": 0,
        "released": 2,
        "share_transferred": 0.0,
        "share_released": 1.0,
    }
    assert hosts["non_eu"]["detentions"] == 0


def test_the_demo_proxy_figures_match_the_file(demo):
    got = stats.compute()["proxy"]
    proxy = [i for i in demo["incidents"] if i.get("proxy")]
    pairs = {
        (inv["linked_exile"], inv["person"])
        for inc in proxy
        for inv in inc["involvements"]
        if inv["role"] == "relative_targeted" and inv.get("person")
    }
    ties = {(r["person"], r["other"]): r["kinship"] for r in demo["relationships"]}
    kinship = Counter(ties[(rel, exile)] for exile, rel in pairs if (rel, exile) in ties)
    untied = {rel for exile, rel in pairs if (rel, exile) not in ties}
    assert got["kinship"] == dict(kinship) | ({"no_tie_recorded": len(untied)} if untied else {})
    exiles = {
        inv["linked_exile"]
        for inc in proxy
        for inv in inc["involvements"]
        if inv.get("linked_exile")
    }
    assert got["exiles_targeted_through_relatives"] == len(exiles)
    triggered = [i for i in proxy if i.get("trigger_event") or i.get("trigger_date")]
    assert got["linked_to_trigger"] == len(triggered)
    lag = got["trigger_to_reprisal"]
    day_precise = [
        i for i in proxy if len(i.get("trigger_date", "")) == 10 and len(i.get("date", "")) == 10
    ]
    assert lag["days"]["n"] == len(day_precise)
    assert lag["days"]["excluded"] == len([i for i in proxy if i.get("trigger_date")]) - len(
        day_precise
    )
    # the article: Solihov and Komilov returned home; Farrukh quit politics; others continued
    for code in ("returned_home", "quit_politics", "continued_activism"):
        assert got["responses"]["incidents"][code] == sum(
            1 for i in proxy if i.get("outcome") == code
        )
    assert got["responses"]["exiles"]["returned_home"] == 2


# --- the public never counts what it may not see -------------------------------------------------

HIDDEN_DOC: dict[str, Any] = {
    "format": "exiledb/1",
    "sources": [{"id": "src/a", "title": "A report", "type": "ngo_report"}],
    "persons": [
        _person("p/seen", "Seen exile", categories=["opposition"]),
        _person("p/seen-mother", "mother of Seen", name_known=False),
        # canaries: each would show up in a figure if a hidden record were counted
        _person("p/secret", "Secret exile", categories=["religious"], visibility="confidential"),
        _person("p/secret-cousin", "cousin of Seen", visibility="confidential"),
        _person("p/redacted", "Redacted exile", origin="KG", redacted=True),
    ],
    "relationships": [
        {"id": "rel/m", "person": "p/seen-mother", "kinship": "mother", "other": "p/seen"},
        {"id": "rel/c", "person": "p/secret-cousin", "kinship": "cousin", "other": "p/seen"},
    ],
    "incidents": [
        _incident(
            "i/seen-threat",
            date="2016-05",
            country="PL",
            tactics=["threat"],
            involvements=[target("p/seen"), target("p/secret"), target("p/redacted")],
            **CITED,
        ),
        _incident(
            "i/seen-family",
            date="2016-06",
            country="TJ",
            proxy=True,
            tactics=["proxy_threat"],
            involvements=[
                relative("p/seen-mother", "p/seen"),
                relative("p/secret-cousin", "p/seen"),
            ],
            **CITED,
        ),
        _incident(
            "i/restricted-killing",
            date="2004-02-02",
            country="NZ",
            tactics=["assassination"],
            visibility="restricted",
            involvements=[target("p/seen")],
            **CITED,
        ),
        _incident(
            "i/draft-rendition",
            date="2003",
            country="AE",
            tactics=["detention_abroad", "rendition"],
            involvements=[target("p/seen")],
        ),
    ],
}
CANARIES = {
    "religious": ("cases", "by_category"),
    "KG": ("cases", "by_origin"),
    "cousin": ("proxy", "kinship"),
    "NZ": ("incidents", "by_host_country"),
    "2004": ("incidents", "by_year"),
    "assassination": ("incidents", "by_tactic"),
    "2003": ("incidents", "by_year"),
    "AE": ("host_comparison", "by_host"),
}


def test_public_figures_never_count_hidden_records(personas):
    from exiledb.access.policy import visible, visible_incidents, visible_persons
    from exiledb.cases.models import Relationship

    writer.apply(interchange.parse_document(copy.deepcopy(HIDDEN_DOC), "hidden.json"))
    for name, user in personas.items():
        relationships = None if user is None else visible(Relationship.objects.all(), user)
        got = stats.compute(
            visible_incidents(user), visible_persons(user), relationships=relationships
        )
        present = {c for c, (section, key) in CANARIES.items() if c in got[section][key]}
        if name == "anonymous":
            assert present == set(), name
            assert got["cases"]["total"] == 1  # p/seen only
            assert got["relatives_targeted"] == 1  # the mother; the cousin is confidential
            assert got["incidents"]["total"] == 2
            assert "2003" not in json.dumps(got["dyads"])
        elif name in ("editor", "admin"):
            assert present == set(CANARIES), name  # cleared for everything
        else:
            # staff see restricted, draft and redacted records, not confidential ones
            assert present == {"NZ", "2004", "assassination", "2003", "AE", "KG"}, name
    internal = stats.compute()
    assert {c for c, (s, k) in CANARIES.items() if c in internal[s][k]} == set(CANARIES)


# --- the command ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--since", "2016-13"], "--since"),
        (["--until", "last year"], "--until"),
        (["--min-confidence", "certain"], "--min-confidence"),
        (["--min-place-precision", "street"], "--min-place-precision"),
        (["--since", "2018", "--until", "2017"], "--until"),
    ],
)
def test_stats_refuses_a_bad_option_with_one_clear_line(cli, args, named):
    result = cli("stats", "--json", *args)
    assert result.returncode != 0
    assert named in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""


def test_stats_json_carries_the_filters_and_every_documented_section(cli):
    assert cli("demo").returncode == 0
    everything = json.loads(cli("stats", "--json").stdout)
    result = cli(
        "stats", "--json", "--since", "2016", "--until", "2016-12", "--min-confidence", "probable"
    )
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["filters"]["since"] == "2016" and got["filters"]["min_confidence"] == "probable"
    assert set(got["incidents"]["by_year"]) == {"2016"}
    in_2016 = [
        i
        for i in _demo_doc()["incidents"]
        if i.get("date", "").startswith("2016")
        and i.get("date_end", "2016").startswith("2016")
        and i.get("confidence", "probable") in ("confirmed", "probable")
    ]
    assert got["incidents"]["total"] == len(in_2016)
    assert got["filters"]["excluded"]["confidence"] == sum(
        1 for i in _demo_doc()["incidents"] if i.get("confidence") == "possible"
    )
    for key in ("cases", "incidents", "relatives_targeted", "dyads", "proxy", "host_comparison"):
        assert key in got
    public = json.loads(cli("stats", "--json", "--audience", "public").stdout)
    assert public["incidents"]["total"] < everything["incidents"]["total"]


def test_a_queryset_with_joins_counts_the_same_as_its_incidents(figures):
    # a scope that joins other tables goes in as an IN (subquery), not as a compiled WHERE
    figures()
    joined = Incident.objects.filter(involvements__role="relative_targeted").distinct()
    got = stats.compute(joined)
    chosen = [
        i
        for i in DOC["incidents"]
        if any(v["role"] == "relative_targeted" for v in i.get("involvements", []))
    ]
    expected = by_hand(chosen)
    assert got["incidents"]["total"] == len(chosen) > 0
    for key in ("relatives_targeted", "relatives_unnamed_mentions", "dyads"):
        assert got[key] == expected[key], key
    assert got["cases"]["by_stage"] == expected["cases"]["by_stage"]

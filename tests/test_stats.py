"""The statistics, checked against figures counted by hand from the document they come from."""

from __future__ import annotations

import copy
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
        ("cases",),
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
    for key in ("cases", "incidents", "relatives_targeted", "relatives_unnamed_mentions", "dyads"):
        assert got[key] == expected[key], key


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

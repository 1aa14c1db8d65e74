"""The statistics against an independent plain-Python count over the same generated records.

Hypothesis draws small worlds (exiles, relatives, ties, incidents abroad and at home with partial
dates, triggers, outcomes, confidence and precision) and a set of filters; the records go into the
database row by row through the ORM, and `reference()` below counts every figure again from the
drawn records alone, with the rules docs/statistics.md states. It shares no code with
exiledb.analysis: dates are bounded with `calendar`, stages read straight from the codebook.
"""

from __future__ import annotations

import calendar
import datetime as dt
import statistics
from collections import Counter, defaultdict
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exiledb.analysis import stats
from exiledb.analysis.filters import Filters
from exiledb.cases.models import (
    Incident,
    IncidentTactic,
    Involvement,
    Person,
    PersonCategory,
    Relationship,
)
from exiledb.vocab import EU_MEMBERS, codebook

pytestmark = pytest.mark.django_db(transaction=False)

ABROAD_TACTICS = [c.code for c in codebook.TACTICS if c.group == "abroad"]
PROXY_TACTICS = [c.code for c in codebook.TACTICS if c.group == "proxy"]
STAGE = {c.code: c.stage or 1 for c in codebook.TACTICS}
HOSTS = ["RU", "TR", "ES", "FI", "PL", "AE"]
ORIGINS = ["TJ", "UZ"]
OUTCOMES = ["released", "transferred", "returned_home", "quit_politics", "continued_activism"]
OUTCOMES += ["unknown", "imprisoned"]
KIN = ["mother", "brother", "wife", "cousin", "son"]
CATEGORIES = [c.code for c in codebook.EXILE_CATEGORIES]
CONF = ["confirmed", "probable", "possible"]
DATE_PREC = ["day", "month", "year", "unknown"]
PLACE_PREC = ["exact", "city", "region", "country"]


# --- drawing worlds -------------------------------------------------------------------------


@st.composite
def partial_dates(draw: Any, allow_unknown: bool = True) -> str:
    # day precision drawn most often, so that trigger-to-reprisal days get exercised
    choices = ["day", "day", "day", "month", "year"] + (["unknown"] if allow_unknown else [])
    precision = draw(st.sampled_from(choices))
    if precision == "unknown":
        return ""
    year = draw(st.integers(2013, 2017))
    if precision == "year":
        return f"{year}"
    month = draw(st.integers(1, 12))
    if precision == "month":
        return f"{year}-{month:02d}"
    day = draw(st.integers(1, calendar.monthrange(year, month)[1]))
    return f"{year}-{month:02d}-{day:02d}"


def bounds(value: str) -> tuple[dt.date | None, dt.date | None]:
    if not value:
        return None, None
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 1:
        return dt.date(parts[0], 1, 1), dt.date(parts[0], 12, 31)
    if len(parts) == 2:
        last = calendar.monthrange(parts[0], parts[1])[1]
        return dt.date(parts[0], parts[1], 1), dt.date(parts[0], parts[1], last)
    day = dt.date(*parts)
    return day, day


def precision_of(value: str) -> str:
    return {0: "unknown", 4: "year", 7: "month", 10: "day"}[len(value)]


@st.composite
def worlds(draw: Any) -> dict[str, Any]:
    n_exiles = draw(st.integers(1, 5))
    n_relatives = draw(st.integers(0, 5))
    exiles = [
        {
            "id": f"e{i}",
            "origin": draw(st.sampled_from(ORIGINS + [""])),
            "categories": draw(st.sets(st.sampled_from(CATEGORIES), max_size=2)),
            "visibility": draw(st.sampled_from(["public", "public", "restricted"])),
        }
        for i in range(n_exiles)
    ]
    relatives = [
        {
            "id": f"r{i}",
            "origin": "TJ",
            "categories": set(),
            "visibility": draw(st.sampled_from(["public", "public", "confidential"])),
        }
        for i in range(n_relatives)
    ]
    ties = []
    for rel in relatives:
        chosen = draw(st.lists(st.sampled_from([e["id"] for e in exiles]), max_size=2))
        for exile_id in dict.fromkeys(chosen):
            ties.append(
                {
                    "person": rel["id"],
                    "other": exile_id,
                    "kinship": draw(st.sampled_from(KIN)),
                    "visibility": draw(st.sampled_from(["public", "public", "restricted"])),
                }
            )
    incidents = []
    for i in range(draw(st.integers(0, 12))):
        proxy = draw(st.booleans()) and bool(exiles)
        date = draw(partial_dates())
        date_end = ""
        if date and draw(st.booleans()):
            later = draw(partial_dates(allow_unknown=False))
            if bounds(later)[1] >= bounds(date)[0]:  # type: ignore[operator]
                date_end = later
        inc: dict[str, Any] = {
            "id": f"i{i}",
            "proxy": proxy,
            "date": date,
            "date_end": date_end,
            "origin": draw(st.sampled_from(ORIGINS)),
            "confidence": draw(st.sampled_from(CONF)),
            "place_precision": draw(st.sampled_from(PLACE_PREC)),
            "outcome": draw(st.sampled_from(OUTCOMES)),
            "trigger_date": "",
            "trigger_event": "",
            "involvements": [],
        }
        if proxy:
            inc["country"] = inc["origin"]
            inc["tactics"] = draw(st.sets(st.sampled_from(PROXY_TACTICS), min_size=1, max_size=3))
            if draw(st.integers(0, 3)):
                inc["trigger_date"] = draw(partial_dates(allow_unknown=False))
                inc["trigger_event"] = "a conference"
            for _ in range(draw(st.integers(1, 3))):
                inc["involvements"].append(
                    {
                        "person": draw(st.sampled_from([None] + [r["id"] for r in relatives])),
                        "role": "relative_targeted",
                        "linked_exile": draw(st.sampled_from([e["id"] for e in exiles])),
                    }
                )
        else:
            inc["country"] = draw(st.sampled_from(HOSTS))
            inc["tactics"] = draw(st.sets(st.sampled_from(ABROAD_TACTICS), min_size=1, max_size=3))
            if draw(st.booleans()):
                inc["trigger_event"] = "a protest"
            targets = draw(st.sets(st.sampled_from([e["id"] for e in exiles]), max_size=2))
            inc["involvements"] = [{"person": t, "role": "target"} for t in sorted(targets)]
        inc["involvements"] = list(
            {tuple(sorted(v.items(), key=str)): v for v in inc["involvements"]}.values()
        )
        incidents.append(inc)
    return {"persons": exiles + relatives, "ties": ties, "incidents": incidents}


@st.composite
def filter_sets(draw: Any) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    if draw(st.booleans()):
        chosen["min_confidence"] = draw(st.sampled_from(CONF))
    if draw(st.booleans()):
        chosen["since"] = draw(partial_dates(allow_unknown=False))
    if draw(st.booleans()):
        until = draw(partial_dates(allow_unknown=False))
        if "since" not in chosen or bounds(until)[1] >= bounds(chosen["since"])[0]:  # type: ignore[operator]
            chosen["until"] = until
    if draw(st.booleans()):
        chosen["min_date_precision"] = draw(st.sampled_from(DATE_PREC))
    if draw(st.booleans()):
        chosen["min_place_precision"] = draw(st.sampled_from(PLACE_PREC))
    return chosen


# --- writing them -----------------------------------------------------------------------------


def store(world: dict[str, Any]) -> dict[str, Any]:
    ids: dict[str, Any] = {}
    for p in world["persons"]:
        person = Person.objects.create(
            display_name=p["id"], origin_country=p["origin"], visibility=p["visibility"]
        )
        ids[p["id"]] = person.pk
        for category in p["categories"]:
            PersonCategory.objects.create(person=person, category=category)
    for tie in world["ties"]:
        Relationship.objects.create(
            person_id=ids[tie["person"]],
            other_id=ids[tie["other"]],
            kinship=tie["kinship"],
            visibility=tie["visibility"],
        )
    for inc in world["incidents"]:
        row = Incident(
            title=inc["id"],
            date=inc["date"],
            date_end=inc["date_end"],
            country=inc["country"],
            origin_country=inc["origin"],
            is_proxy=inc["proxy"],
            confidence=inc["confidence"],
            place_precision=inc["place_precision"],
            outcome=inc["outcome"],
            trigger_date=inc["trigger_date"],
            trigger_event=inc["trigger_event"],
        )
        row.derive(sorted(inc["tactics"]))
        row.save()
        ids[inc["id"]] = row.pk
        IncidentTactic.objects.bulk_create(
            IncidentTactic(incident=row, tactic=t) for t in sorted(inc["tactics"])
        )
        Involvement.objects.bulk_create(
            Involvement(
                incident=row,
                person_id=ids[v["person"]] if v["person"] else None,
                role=v["role"],
                linked_exile_id=ids[v["linked_exile"]] if v.get("linked_exile") else None,
                description="" if v["person"] else "a relative",
            )
            for v in inc["involvements"]
        )
    return ids


# --- the independent count ------------------------------------------------------------------


def passes(inc: dict[str, Any], f: dict[str, Any]) -> dict[str, bool]:
    """Each filter's verdict on one incident, by the rule in docs/statistics.md."""
    out = {}
    if "min_confidence" in f:
        out["confidence"] = CONF.index(inc["confidence"]) <= CONF.index(f["min_confidence"])
    if "since" in f or "until" in f:
        lo, _ = bounds(inc["date"])
        _, hi = bounds(inc["date_end"] or inc["date"])
        ok = lo is not None
        if ok and "since" in f:
            ok = lo >= bounds(f["since"])[0]  # type: ignore[operator]
        if ok and "until" in f:
            ok = hi <= bounds(f["until"])[1]  # type: ignore[operator]
        out["date_range"] = ok
    if "min_date_precision" in f:
        out["date_precision"] = DATE_PREC.index(precision_of(inc["date"])) <= DATE_PREC.index(
            f["min_date_precision"]
        )
    if "min_place_precision" in f:
        out["place_precision"] = PLACE_PREC.index(inc["place_precision"]) <= PLACE_PREC.index(
            f["min_place_precision"]
        )
    return out


def may_overlap(inc: dict[str, Any], f: dict[str, Any]) -> bool:
    lo, _ = bounds(inc["date"])
    _, hi = bounds(inc["date_end"] or inc["date"])
    if lo is None:
        return True
    if "since" in f and hi < bounds(f["since"])[0]:  # type: ignore[operator]
        return False
    return not ("until" in f and lo > bounds(f["until"])[1])  # type: ignore[operator]


def histogram_summary(values: list[int]) -> dict[str, Any]:
    if not values:
        return {"n": 0, "mean": None, "median": None, "min": None, "max": None}
    return {
        "n": len(values),
        "mean": round(statistics.fmean(values), 2),
        "median": float(statistics.median(values)),
        "min": min(values),
        "max": max(values),
    }


def reference(world: dict[str, Any], f: dict[str, Any], public: bool) -> dict[str, Any]:
    """Every checked figure, counted from the drawn records."""
    people = {p["id"]: p for p in world["persons"]}
    seen = {pid for pid, p in people.items() if not public or p["visibility"] == "public"}
    verdicts = [passes(inc, f) for inc in world["incidents"]]
    excluded: Counter[str] = Counter()
    option_to_filter = {
        "min_confidence": ("confidence",),
        "since": ("date_range", "date_range_uncertain"),
        "until": ("date_range", "date_range_uncertain"),
        "min_date_precision": ("date_precision",),
        "min_place_precision": ("place_precision",),
    }
    for option in f:
        for name in option_to_filter[option]:
            excluded[name] += 0
    for inc, v in zip(world["incidents"], verdicts, strict=True):
        for name, ok in v.items():
            excluded[name] += not ok
        if "date_range" in v and not v["date_range"] and may_overlap(inc, f):
            excluded["date_range_uncertain"] += 1
    chosen = [i for i, v in zip(world["incidents"], verdicts, strict=True) if all(v.values())]

    def stage(inc: dict[str, Any]) -> int:
        return 1 if inc["proxy"] else max(STAGE[t] for t in inc["tactics"])

    abroad = [i for i in chosen if not i["proxy"]]
    proxy = [i for i in chosen if i["proxy"]]
    case_stage: dict[str, int] = {}
    for inc in chosen:
        for v in inc["involvements"]:
            for who in (v["person"] if v["role"] == "target" else None, v.get("linked_exile")):
                if who and who in seen:
                    case_stage[who] = max(case_stage.get(who, 0), stage(inc))
    by_category: Counter[str] = Counter()
    for pid in case_stage:
        for c in people[pid]["categories"] or {"uncategorised"}:
            by_category[c] += 1
    pairs: Counter[tuple[str, str | None]] = Counter()
    for inc in proxy:
        for v in inc["involvements"]:
            pairs[(v["linked_exile"], v["person"])] += 1
    named = {(e, r) for (e, r) in pairs if r is not None and r in seen}
    per_exile = Counter(
        len({r for (e2, r) in named if e2 == e}) for e in {e for (e, _) in pairs if e in seen}
    )
    ties = [t for t in world["ties"] if not public or t["visibility"] == "public"]
    kinship: Counter[str] = Counter()
    for kin in {t["kinship"] for t in ties}:
        kinship[kin] = len(
            {
                r
                for (e, r) in named
                if e in seen
                and any(t["person"] == r and t["other"] == e and t["kinship"] == kin for t in ties)
            }
        )
    tied = {
        r
        for (e, r) in named
        if e in seen and any(t["person"] == r and t["other"] == e for t in ties)
    }
    if {r for (_, r) in named} - tied:
        kinship["no_tie_recorded"] = len({r for (_, r) in named} - tied)
    days, months = [], []
    for inc in proxy:
        if inc["trigger_date"] and len(inc["trigger_date"]) == 10 and len(inc["date"]) == 10:
            days.append(
                (
                    dt.date.fromisoformat(inc["date"]) - dt.date.fromisoformat(inc["trigger_date"])
                ).days
            )
        if len(inc["trigger_date"]) >= 7 and len(inc["date"]) >= 7:
            y1, m1 = inc["trigger_date"][:4], inc["trigger_date"][5:7]
            y2, m2 = inc["date"][:4], inc["date"][5:7]
            months.append((int(y2) * 12 + int(m2)) - (int(y1) * 12 + int(m1)))
    responses = {
        code: len(
            {
                v["linked_exile"]
                for i in proxy
                if i["outcome"] == code
                for v in i["involvements"]
                if v["linked_exile"] in seen
            }
        )
        for code in ("returned_home", "quit_politics", "continued_activism")
    }
    # host comparison
    detentions = []
    for inc in abroad:
        if not set(inc["tactics"]) & {"detention_abroad", "extradition_proceedings"}:
            continue
        for v in inc["involvements"]:
            if v["person"] in seen:
                detentions.append((inc, v["person"]))
    by_host: dict[str, Counter[str]] = defaultdict(Counter)
    for inc, who in detentions:
        lo, _ = bounds(inc["date"])
        became = inc["outcome"] == "transferred" or any(
            set(x["tactics"]) & {"extradition", "deportation", "rendition"}
            and x["country"] == inc["country"]
            and any(v["person"] == who for v in x["involvements"])
            and (
                x is inc
                or lo is None
                or not x["date"]
                or bounds(x["date_end"] or x["date"])[1] >= lo  # type: ignore[operator]
            )
            for x in abroad
        )
        row = by_host[inc["country"]]
        row["detentions"] += 1
        row["transferred"] += became
        row["released"] += inc["outcome"] == "released"
    eu = Counter[str]()
    for host, row in by_host.items():
        if host in EU_MEMBERS:
            eu.update(row)
    return {
        "excluded": {k: excluded[k] for k in excluded},
        "incidents.total": len(chosen),
        "incidents.proxy": len(proxy),
        "incidents.abroad": len(abroad),
        "incidents.by_tactic": Counter(t for i in chosen for t in i["tactics"]),
        "incidents.by_host_country": Counter(i["country"] for i in abroad),
        "incidents.by_year": Counter(i["date"][:4] for i in chosen if i["date"]),
        "incidents.by_outcome": Counter(i["outcome"] for i in chosen),
        "incidents.linked_to_trigger": sum(bool(i["trigger_event"]) for i in chosen),
        "dyads": sorted(
            Counter(
                (i["origin"], i["country"], int(i["date"][:4])) for i in abroad if i["date"]
            ).items()
        ),
        "cases.total": len(case_stage),
        "cases.by_stage": Counter(case_stage.values()),
        "cases.by_origin": Counter(people[p]["origin"] or "unknown" for p in case_stage),
        "cases.by_category": by_category,
        "relatives_targeted": len({r for (_, r) in named}),
        "relatives_unnamed_mentions": sum(
            n for (e, r), n in pairs.items() if r is None or r not in seen
        ),
        "proxy.exiles_targeted_through_relatives": sum(per_exile.values()),
        "proxy.relatives_per_exile": dict(per_exile),
        "proxy.kinship": +kinship,
        "proxy.days": histogram_summary(days),
        "proxy.days_excluded": sum(bool(i["trigger_date"]) for i in proxy) - len(days),
        "proxy.months": histogram_summary(months),
        "proxy.responses": responses,
        "hosts": {h: dict(r) for h, r in by_host.items()},
        "hosts.eu": (eu["detentions"], eu["transferred"]),
    }


def observed(got: dict[str, Any]) -> dict[str, Any]:
    """The same figures read from stats.compute()'s output."""
    inc, proxy = got["incidents"], got["proxy"]
    lag = proxy["trigger_to_reprisal"]
    return {
        "excluded": got["filters"]["excluded"],
        "incidents.total": inc["total"],
        "incidents.proxy": inc["proxy"],
        "incidents.abroad": inc["abroad"],
        "incidents.by_tactic": Counter(inc["by_tactic"]),
        "incidents.by_host_country": Counter(inc["by_host_country"]),
        "incidents.by_year": Counter(inc["by_year"]),
        "incidents.by_outcome": Counter(inc["by_outcome"]),
        "incidents.linked_to_trigger": inc["linked_to_trigger"]["total"],
        "dyads": [((d["origin"], d["host"], d["year"]), d["incidents"]) for d in got["dyads"]],
        "cases.total": got["cases"]["total"],
        "cases.by_stage": +Counter({int(k): v for k, v in got["cases"]["by_stage"].items()}),
        "cases.by_origin": Counter(got["cases"]["by_origin"]),
        "cases.by_category": Counter(got["cases"]["by_category"]),
        "relatives_targeted": got["relatives_targeted"],
        "relatives_unnamed_mentions": got["relatives_unnamed_mentions"],
        "proxy.exiles_targeted_through_relatives": proxy["exiles_targeted_through_relatives"],
        "proxy.relatives_per_exile": {
            int(k): v for k, v in proxy["relatives_per_exile"]["distribution"].items()
        },
        "proxy.kinship": Counter(proxy["kinship"]),
        "proxy.days": {k: lag["days"][k] for k in ("n", "mean", "median", "min", "max")},
        "proxy.days_excluded": lag["days"]["excluded"],
        "proxy.months": {k: lag["months"][k] for k in ("n", "mean", "median", "min", "max")},
        "proxy.responses": proxy["responses"]["exiles"],
        "hosts": {
            h: {k: r[k] for k in ("detentions", "transferred", "released") if r[k]}
            for h, r in got["host_comparison"]["by_host"].items()
        },
        "hosts.eu": (
            got["host_comparison"]["eu"]["detentions"],
            got["host_comparison"]["eu"]["transferred"],
        ),
    }


PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check(world: dict[str, Any], chosen: dict[str, Any], public: bool) -> None:
    with transaction.atomic():
        ids = store(world)
        persons = Person.objects.filter(visibility="public") if public else None
        got = stats.compute(persons=persons, filters=Filters.parse(**chosen))
        expected = reference(world, chosen, public)
        assert ids  # the world was written
        actual = observed(got)
        for key, value in expected.items():
            if key == "hosts":
                value = {h: {k: n for k, n in r.items() if n} for h, r in value.items()}
            assert actual[key] == value, key
        transaction.set_rollback(True)


@PROPERTY_SETTINGS
@given(world=worlds(), chosen=filter_sets())
def test_every_figure_matches_an_independent_count(world, chosen):
    check(world, chosen, public=False)


@PROPERTY_SETTINGS
@given(world=worlds(), chosen=filter_sets())
def test_figures_over_visible_persons_count_only_them(world, chosen):
    check(world, chosen, public=True)


@PROPERTY_SETTINGS
@given(world=worlds(), chosen=filter_sets())
def test_filters_only_ever_remove_incidents(world, chosen):
    # monotone: each filter narrows, never widens, what is counted
    with transaction.atomic():
        store(world)
        everything = stats.compute()
        narrowed = stats.compute(filters=Filters.parse(**chosen))
        assert narrowed["incidents"]["total"] <= everything["incidents"]["total"]
        assert narrowed["cases"]["total"] <= everything["cases"]["total"]
        assert narrowed["relatives_targeted"] <= everything["relatives_targeted"]
        for code, n in narrowed["incidents"]["by_tactic"].items():
            assert n <= everything["incidents"]["by_tactic"][code]
        transaction.set_rollback(True)

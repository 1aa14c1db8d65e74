"""Proxy repression: relatives targeted at home because of an exile, and what came of it.

Counting units (docs/statistics.md):
- a relative is a unique person in a `relative_targeted` involvement; unnamed relatives
  (no person record, a description only) are counted as mentions, never as persons;
- an exile targeted through relatives is a unique `linked_exile`;
- kinship is read from the Relationship "RELATIVE is the KIN of EXILE" between a targeted
  relative and the exile they were targeted because of;
- the time from trigger to reprisal is measured on proxy incidents from the trigger date to the
  incident's (start) date, in days where both are day-precise and in calendar months where both
  are at least month-precise; the others are counted as excluded.
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from exiledb.vocab import codebook

from .scope import Params, Scope

RESPONSE_OUTCOMES = tuple(c.code for c in codebook.OUTCOMES if c.group == "response")
NO_TIE = "no_tie_recorded"
LAG_BUCKETS_DAYS = ((None, -1), (0, 7), (8, 30), (31, 90), (91, 365), (366, None))


def _bucket(value: int, buckets: tuple[tuple[int | None, int | None], ...]) -> str:
    for lo, hi in buckets:
        if (lo is None or value >= lo) and (hi is None or value <= hi):
            if lo is None:
                return f"<{hi + 1 if hi is not None else 0}"
            if hi is None:
                return f">={lo}"
            return f"{lo}-{hi}"
    raise ValueError(value)  # pragma: no cover - the buckets cover every integer


def _bucketed(histogram: Counter[int]) -> dict[str, int]:
    """The histogram in the day buckets, in bucket order, empty buckets left out."""
    out: Counter[str] = Counter()
    for value in sorted(histogram):
        out[_bucket(value, LAG_BUCKETS_DAYS)] += histogram[value]
    return dict(out)


def _summary(histogram: Counter[int]) -> dict[str, Any]:
    """Count, mean, median, min and max of a histogram {value: how many}, without expanding
    it row by row beyond its distinct values."""
    n = sum(histogram.values())
    if not n:
        return {"n": 0, "mean": None, "median": None, "min": None, "max": None}
    values = sorted(histogram)
    total = sum(v * c for v, c in histogram.items())

    def nth(k: int) -> int:  # the k-th smallest value, 0-based
        seen = 0
        for v in values:
            seen += histogram[v]
            if k < seen:
                return v
        raise IndexError(k)  # pragma: no cover

    median = float(nth(n // 2)) if n % 2 else statistics.fmean((nth(n // 2 - 1), nth(n // 2)))
    return {
        "n": n,
        "mean": round(total / n, 2),
        "median": median,
        "min": values[0],
        "max": values[-1],
    }


def _relationship_ok(scope: Scope) -> tuple[str, Params]:
    """Which relationships may tell a kinship: all for the internal view, public ones when only
    some persons are visible, or the caller's set."""
    if scope.relationships is not None:
        sub, params = scope.relationships.order_by().values("pk").query.sql_with_params()
        return f"r.id IN ({sub})", list(params)
    if scope.person_ids is not None:
        return "r.visibility = 'public'", []
    return "1=1", []


def _relatives(scope: Scope) -> dict[str, Any]:
    t = scope.t
    inc = t.incident
    named_ok, named_params = scope.person_in("pr.relative")
    exile_ok, exile_params = scope.person_in("pr.exile")
    rel_ok, rel_params = _relationship_ok(scope)
    # Every (exile, relative) pair once, with how many involvements mention it; one pass over
    # the proxy involvements, reused by each figure below.
    sql = f"""
    WITH pairs AS MATERIALIZED (
        SELECT v.linked_exile_id AS exile, v.person_id AS relative, COUNT(*) AS mentions
        FROM {t.involvement} v JOIN {inc} ON {inc}.id = v.incident_id
        WHERE v.role = 'relative_targeted' AND {scope.where}
        GROUP BY v.linked_exile_id, v.person_id
    ),
    marked AS MATERIALIZED (
        SELECT pr.exile AS exile, pr.relative AS relative, pr.mentions AS mentions,
            CASE WHEN pr.relative IS NOT NULL AND {named_ok} THEN 1 ELSE 0 END AS named,
            CASE WHEN pr.exile IS NOT NULL AND {exile_ok} THEN 1 ELSE 0 END AS exile_seen
        FROM pairs pr
    ),
    tied AS MATERIALIZED (
        SELECT DISTINCT m.relative AS relative
        FROM marked m JOIN {t.relationship} r ON r.person_id = m.relative AND r.other_id = m.exile
        WHERE m.named = 1 AND m.exile_seen = 1 AND {rel_ok}
    )
    SELECT 'relatives', CAST(NULL AS VARCHAR(32)), CAST(NULL AS INTEGER),
        COUNT(DISTINCT CASE WHEN named = 1 THEN relative END)
    FROM marked
    UNION ALL
    SELECT 'unnamed_mentions', NULL, NULL, COALESCE(SUM(CASE WHEN named = 0 THEN mentions END), 0)
    FROM marked
    UNION ALL
    SELECT 'per_exile', NULL, per.n, COUNT(*) FROM (
        SELECT exile, COUNT(DISTINCT CASE WHEN named = 1 THEN relative END) AS n
        FROM marked WHERE exile_seen = 1 GROUP BY exile
    ) per GROUP BY per.n
    UNION ALL
    SELECT 'kinship', r.kinship, NULL, COUNT(DISTINCT m.relative)
    FROM marked m JOIN {t.relationship} r ON r.person_id = m.relative AND r.other_id = m.exile
    WHERE m.named = 1 AND m.exile_seen = 1 AND {rel_ok}
    GROUP BY r.kinship
    UNION ALL
    SELECT 'tied', NULL, NULL, COUNT(*) FROM tied
    """  # noqa: S608
    params = [
        *scope.params,
        *named_params,
        *exile_params,
        *rel_params,
        *rel_params,
    ]  # tied, then kinship: both read the relationships the audience may see
    relatives = unnamed = tied = 0
    per_exile: Counter[int] = Counter()
    kinship: Counter[str] = Counter()
    for kind, key, number, n in scope.rows(sql, params):
        if kind == "relatives":
            relatives = int(n)
        elif kind == "unnamed_mentions":
            unnamed = int(n)
        elif kind == "per_exile":
            per_exile[int(number)] += int(n)
        elif kind == "kinship":
            kinship[key] += int(n)
        else:
            tied = int(n)
    if relatives > tied:
        # every tied relative is a counted one, so the rest have no tie recorded
        kinship[NO_TIE] = relatives - tied
    summary = _summary(per_exile)
    return {
        "relatives_targeted": relatives,
        "relatives_unnamed_mentions": unnamed,
        "exiles_targeted_through_relatives": summary["n"],
        "relatives_per_exile": {
            "distribution": {str(k): per_exile[k] for k in sorted(per_exile)},
            "mean": summary["mean"],
            "median": summary["median"],
            "max": summary["max"],
        },
        "kinship": dict(sorted(kinship.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def _lag(scope: Scope) -> dict[str, Any]:
    inc = scope.t.incident
    days = scope.days_between(f"{inc}.date", f"{inc}.trigger_date")

    def month_index(col: str) -> str:
        return f"(CAST(SUBSTR({col}, 1, 4) AS INTEGER) * 12 + CAST(SUBSTR({col}, 6, 2) AS INTEGER))"

    months = f"({month_index(f'{inc}.date')} - {month_index(f'{inc}.trigger_date')})"
    day_ok = f"LENGTH({inc}.trigger_date) = 10 AND {inc}.date_precision = 'day'"
    month_ok = f"LENGTH({inc}.trigger_date) >= 7 AND {inc}.date_precision IN ('day', 'month')"
    sql = f"""
    SELECT CASE WHEN {day_ok} THEN {days} END AS days,
        CASE WHEN {month_ok} THEN {months} END AS months,
        CASE WHEN LENGTH({inc}.trigger_date) < 10 THEN 1 ELSE 0 END AS trigger_imprecise,
        CASE WHEN {inc}.date_precision <> 'day' THEN 1 ELSE 0 END AS date_imprecise,
        COUNT(*)
    FROM {inc}
    WHERE {inc}.is_proxy = %s AND {inc}.trigger_date <> '' AND {scope.where}
    GROUP BY 1, 2, 3, 4
    """  # noqa: S608
    in_days: Counter[int] = Counter()
    in_months: Counter[int] = Counter()
    excluded: Counter[str] = Counter()
    dated = 0
    for d, m, trig_imprecise, date_imprecise, n in scope.rows(sql, [True, *scope.params]):
        dated += n
        if d is not None:
            in_days[int(d)] += n
        else:
            if trig_imprecise:
                excluded["trigger_date_not_day_precise"] += n
            if date_imprecise:
                excluded["incident_date_not_day_precise"] += n
        if m is not None:
            in_months[int(m)] += n
    day_summary = _summary(in_days)
    return {
        "incidents_with_trigger_date": dated,
        "days": {
            **day_summary,
            "before_trigger": sum(n for v, n in in_days.items() if v < 0),
            "distribution": _bucketed(in_days),
            "excluded": dated - day_summary["n"],
            "excluded_because": dict(sorted(excluded.items())),
        },
        "months": {
            **_summary(in_months),
            "distribution": {str(k): in_months[k] for k in sorted(in_months)},
            "excluded": dated - sum(in_months.values()),
        },
    }


def _responses(scope: Scope) -> dict[str, Any]:
    """Per response outcome: proxy incidents that record it, and the unique exiles they are
    linked to (an exile with several recorded responses counts under each)."""
    t = scope.t
    inc = t.incident
    exile_ok, exile_params = scope.person_in("v.linked_exile_id")
    codes = ", ".join("%s" for _ in RESPONSE_OUTCOMES)
    sql = f"""
    SELECT {inc}.outcome, COUNT(DISTINCT v.linked_exile_id)
    FROM {t.involvement} v JOIN {inc} ON {inc}.id = v.incident_id
    WHERE {inc}.is_proxy = %s AND {inc}.outcome IN ({codes})
        AND v.linked_exile_id IS NOT NULL AND {scope.where} AND {exile_ok}
    GROUP BY {inc}.outcome
    """  # noqa: S608
    rows = dict(scope.rows(sql, [True, *RESPONSE_OUTCOMES, *scope.params, *exile_params]))
    return {code: int(rows.get(code, 0)) for code in RESPONSE_OUTCOMES}


def compute(scope: Scope, proxy_outcomes: dict[str, int], linked_to_trigger: int) -> dict[str, Any]:
    """The proxy-repression figures; `proxy_outcomes` (proxy incidents by outcome) and
    `linked_to_trigger` (proxy incidents with a trigger event or date) are already counted in
    the pass over the incidents."""
    relatives = _relatives(scope)
    return {
        **relatives,
        "linked_to_trigger": linked_to_trigger,
        "trigger_to_reprisal": _lag(scope),
        "outcomes": proxy_outcomes,
        "responses": {
            "incidents": {code: proxy_outcomes.get(code, 0) for code in RESPONSE_OUTCOMES},
            "exiles": _responses(scope),
        },
    }

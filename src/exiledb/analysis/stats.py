"""The statistics: one module used by the CLI, the site and (later) the API and reports.

Every figure is computed from an incident queryset the caller passes in, so a caller that hands
over only what a reader may see gets figures computed only from that. Counts are of documented
incidents and cases - a floor, never an estimate of the whole. docs/statistics.md lists every
key with its counting rule.

All counting happens in the database (GROUP BY); Python only reshapes the grouped rows, whose
number depends on the codebook and the countries, not on the size of the collection.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.db.models import QuerySet

from exiledb.cases.models import Incident, Person, Relationship
from exiledb.vocab import CODEBOOK_VERSION

from . import proxy as proxy_figures
from .filters import NONE, Filters
from .hosts import host_comparison
from .scope import Scope

FLOOR_NOTE = (
    "Counts of documented incidents and cases only: a floor, not an estimate of how "
    "much repression took place."
)
UNCATEGORISED = "uncategorised"
UNKNOWN = "unknown"


def _by_count(counter: Counter[str]) -> dict[str, int]:
    """Largest first, then by key: the order the overview's top-10 tables rely on."""
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _by_key(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items()))


def _stage_dict(counter: Counter[Any]) -> dict[str, int]:
    out = {str(s): counter.get(s, 0) for s in (1, 2, 3)}
    if counter.get(None):
        out[UNKNOWN] = counter[None]
    return out


def _cases(scope: Scope) -> dict[str, Any]:
    """Cases: unique persons targeted directly (role `target`) or through their relatives (the
    linked exile of any involvement), with the highest stage of the incidents in scope."""
    t = scope.t
    inc = t.incident
    person_ok, pparams = scope.person_in("h.pid")
    sql = f"""
    WITH hits AS (
        SELECT v.person_id AS pid, {inc}.stage AS stage
        FROM {t.involvement} v JOIN {inc} ON {inc}.id = v.incident_id
        WHERE v.role = 'target' AND v.person_id IS NOT NULL AND {scope.where}
        UNION ALL
        SELECT v.linked_exile_id AS pid, {inc}.stage AS stage
        FROM {t.involvement} v JOIN {inc} ON {inc}.id = v.incident_id
        WHERE v.linked_exile_id IS NOT NULL AND {scope.where}
    ),
    cases AS MATERIALIZED (
        SELECT h.pid AS pid, MAX(h.stage) AS stage FROM hits h WHERE {person_ok} GROUP BY h.pid
    )
    SELECT 'origin', c.stage, p.origin_country, COUNT(*)
    FROM cases c JOIN {t.person} p ON p.id = c.pid
    GROUP BY c.stage, p.origin_country
    UNION ALL
    SELECT 'category', c.stage, pc.category, COUNT(*)
    FROM cases c JOIN {t.category} pc ON pc.person_id = c.pid
    GROUP BY c.stage, pc.category
    UNION ALL
    SELECT 'category', c.stage, '{UNCATEGORISED}', COUNT(*)
    FROM cases c
    WHERE NOT EXISTS (SELECT 1 FROM {t.category} pc WHERE pc.person_id = c.pid)
    GROUP BY c.stage
    """  # noqa: S608
    rows = scope.rows(sql, [*scope.params, *scope.params, *pparams])
    by_stage: Counter[Any] = Counter()
    by_origin: Counter[str] = Counter()
    by_category: Counter[str] = Counter()
    stage_category: dict[str, Counter[Any]] = defaultdict(Counter)
    for kind, stage, key, n in rows:
        if kind == "origin":
            by_stage[stage] += n
            by_origin[key or UNKNOWN] += n
        else:
            by_category[key] += n
            stage_category[key][stage] += n
    return {
        "total": sum(by_stage.values()),
        "by_stage": _stage_dict(by_stage),
        "by_category": _by_count(by_category),
        "by_category_and_stage": {
            k: _stage_dict(stage_category[k]) for k in _by_count(by_category)
        },
        "by_origin": _by_count(by_origin),
    }


def case_stages(
    incidents: QuerySet[Incident], persons: QuerySet[Person] | None = None
) -> dict[str, int]:
    """Highest stage per targeted person: targets of incidents and exiles whose relatives were
    targeted (proxy incidents count as stage 1). Only persons in `persons`, when given."""
    with Scope(incidents, persons) as scope:
        return dict(_cases(scope)["by_stage"])


def _incidents(scope: Scope) -> dict[str, Any]:
    """Unique incidents in scope, by their own columns, in two grouped passes and one over
    the tactics."""
    t = scope.t
    inc = t.incident
    rows = scope.rows(
        f"""SELECT is_proxy, origin_country, country, year, stage, COUNT(*) FROM {inc}
        WHERE {scope.where} GROUP BY is_proxy, origin_country, country, year, stage""",  # noqa: S608
        scope.params,
    )
    total = proxy = 0
    by_stage: Counter[Any] = Counter()
    by_host: Counter[str] = Counter()
    by_year: Counter[str] = Counter()
    by_origin: Counter[str] = Counter()
    dyads: Counter[tuple[str, str, int]] = Counter()
    for is_proxy, origin, country, year, stage, n in rows:
        total += n
        by_stage[stage] += n
        by_origin[origin or UNKNOWN] += n
        if year is not None:
            by_year[str(year)] += n
        if is_proxy:
            proxy += n
        else:
            by_host[country] += n
            if year is not None:
                dyads[(origin, country, year)] += n
    rows = scope.rows(
        f"""SELECT is_proxy, outcome, confidence, date_precision, place_precision,
        CASE WHEN trigger_event <> '' OR trigger_date <> '' THEN 1 ELSE 0 END, COUNT(*)
        FROM {inc} WHERE {scope.where}
        GROUP BY is_proxy, outcome, confidence, date_precision, place_precision,
        CASE WHEN trigger_event <> '' OR trigger_date <> '' THEN 1 ELSE 0 END""",  # noqa: S608
        scope.params,
    )
    by_outcome: Counter[str] = Counter()
    proxy_outcome: Counter[str] = Counter()
    by_confidence: Counter[str] = Counter()
    by_date_precision: Counter[str] = Counter()
    by_place_precision: Counter[str] = Counter()
    triggered: Counter[str] = Counter()
    for is_proxy, outcome, confidence, date_prec, place_prec, has_trigger, n in rows:
        by_outcome[outcome] += n
        by_confidence[confidence] += n
        by_date_precision[date_prec] += n
        by_place_precision[place_prec] += n
        if is_proxy:
            proxy_outcome[outcome] += n
        if has_trigger:
            triggered["proxy" if is_proxy else "abroad"] += n
    if scope.unfiltered:
        tactic_sql = f"SELECT tactic, COUNT(*) FROM {t.tactic} GROUP BY tactic"  # noqa: S608
    else:
        tactic_sql = f"""SELECT tt.tactic, COUNT(*) FROM {t.tactic} tt
        JOIN {inc} ON {inc}.id = tt.incident_id WHERE {scope.where} GROUP BY tt.tactic"""  # noqa: S608
    by_tactic = Counter({code: n for code, n in scope.rows(tactic_sql, scope.params)})
    return {
        "total": total,
        "proxy": proxy,
        "abroad": total - proxy,
        "by_stage": {str(k): v for k, v in sorted(by_stage.items()) if k is not None},
        "by_tactic": _by_count(by_tactic),
        "by_host_country": _by_count(by_host),
        "by_year": _by_key(by_year),
        "by_origin": _by_count(by_origin),
        "by_outcome": _by_count(by_outcome),
        "by_confidence": _by_count(by_confidence),
        "by_date_precision": _by_count(by_date_precision),
        "by_place_precision": _by_count(by_place_precision),
        "linked_to_trigger": {
            "total": sum(triggered.values()),
            "proxy": triggered["proxy"],
            "abroad": triggered["abroad"],
        },
        "_proxy_outcomes": _by_count(proxy_outcome),
        "_dyads": [
            {"origin": o, "host": h, "year": y, "incidents": n}
            for (o, h, y), n in sorted(dyads.items())
        ],
    }


def compute(
    incidents: QuerySet[Incident] | None = None,
    persons: QuerySet[Person] | None = None,
    filters: Filters | None = None,
    relationships: QuerySet[Relationship] | None = None,
) -> dict[str, Any]:
    """All figures over the given incidents (default: every incident), counting as cases and
    relatives only the given persons (default: all) and kinship only from the given
    relationships (default: all when `persons` is None, else only public ties). Callers pass
    what the reader may see (exiledb.access.policy), so no figure reveals a record hidden from
    them; `filters` then narrows the incidents (confidence, date range, precision)."""
    base = incidents if incidents is not None else Incident.objects.all()
    filters = filters or NONE
    qs = filters.apply(base)
    with Scope(qs, persons, relationships) as scope:
        inc = _incidents(scope)
        proxy_outcomes = inc.pop("_proxy_outcomes")
        dyads = inc.pop("_dyads")
        proxy = proxy_figures.compute(scope, proxy_outcomes, inc["linked_to_trigger"]["proxy"])
        cases = _cases(scope)
        hosts = host_comparison(scope)
    return {
        "codebook": CODEBOOK_VERSION,
        "note": FLOOR_NOTE,
        "filters": {**filters.as_dict(), "excluded": filters.excluded(base)},
        "cases": cases,
        "incidents": inc,
        "relatives_targeted": proxy["relatives_targeted"],
        "relatives_unnamed_mentions": proxy["relatives_unnamed_mentions"],
        "dyads": dyads,
        "proxy": {"incidents": inc["proxy"], **proxy},
        "host_comparison": hosts,
    }

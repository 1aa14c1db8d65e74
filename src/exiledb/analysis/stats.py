"""The statistics: one module used by the CLI, the site and (later) the API and reports.

Every figure is computed from an incident queryset the caller passes in, so a caller that hands
over only what a reader may see gets figures computed only from that. Counts are of documented
incidents and cases - a floor, never an estimate of the whole.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count, Max, QuerySet

from exiledb.cases.models import Incident, IncidentTactic, Involvement, Person
from exiledb.vocab import CODEBOOK_VERSION, case_stage

FLOOR_NOTE = (
    "Counts of documented incidents and cases only: a floor, not an estimate of how "
    "much repression took place."
)


def _counts(rows: Any, key: str) -> dict[str, int]:
    return {str(r[key]): r["n"] for r in rows if r[key] is not None and r[key] != ""}


def case_stages(
    incidents: QuerySet[Incident], persons: QuerySet[Person] | None = None
) -> dict[str, int]:
    """Highest stage per targeted person: targets of incidents and exiles whose relatives were
    targeted (proxy incidents count as stage 1). Only persons in `persons`, when given."""
    per_person: dict[Any, list[int | None]] = {}
    involvements = Involvement.objects.filter(incident__in=incidents)
    targets = (
        involvements.filter(role="target", person__isnull=False)
        .filter(**({"person__in": persons} if persons is not None else {}))
        .values("person")
        .annotate(stage=Max("incident__stage"))
    )
    for row in targets:
        per_person.setdefault(row["person"], []).append(row["stage"])
    linked = (
        involvements.filter(linked_exile__isnull=False)
        .filter(**({"linked_exile__in": persons} if persons is not None else {}))
        .values("linked_exile")
        .annotate(stage=Max("incident__stage"))
    )
    for row in linked:
        per_person.setdefault(row["linked_exile"], []).append(row["stage"])
    stages = Counter(case_stage(s) for s in per_person.values())
    out = {str(s): stages.get(s, 0) for s in (1, 2, 3)}
    if stages.get(None):
        out["unknown"] = stages[None]
    return out


def compute(
    incidents: QuerySet[Incident] | None = None, persons: QuerySet[Person] | None = None
) -> dict[str, Any]:
    """All figures over the given incidents (default: every incident), counting as cases and
    relatives only the given persons (default: all). Callers pass what the reader may see
    (exiledb.access.policy), so no figure reveals a record hidden from them."""
    qs = incidents if incidents is not None else Incident.objects.all()
    totals = qs.aggregate(total=Count("pk"))
    proxy = qs.filter(is_proxy=True).count()
    abroad_qs = qs.filter(is_proxy=False)
    by_stage_cases = case_stages(qs, persons)
    relatives = Involvement.objects.filter(incident__in=qs, role="relative_targeted")
    named_relatives = relatives.filter(person__isnull=False)
    if persons is not None:
        named_relatives = named_relatives.filter(person__in=persons)
    dyads = (
        abroad_qs.exclude(year=None)
        .values("origin_country", "country", "year")
        .annotate(n=Count("pk"))
        .order_by("origin_country", "country", "year")
    )
    return {
        "codebook": CODEBOOK_VERSION,
        "note": FLOOR_NOTE,
        "cases": {
            "total": sum(by_stage_cases.values()),
            "by_stage": by_stage_cases,
        },
        "incidents": {
            "total": totals["total"],
            "proxy": proxy,
            "abroad": totals["total"] - proxy,
            "by_stage": _counts(
                qs.values("stage").annotate(n=Count("pk")).order_by("stage"), "stage"
            ),
            "by_tactic": _counts(
                IncidentTactic.objects.filter(incident__in=qs)
                .values("tactic")
                .annotate(n=Count("pk"))
                .order_by("-n", "tactic"),
                "tactic",
            ),
            "by_host_country": _counts(
                abroad_qs.values("country").annotate(n=Count("pk")).order_by("-n", "country"),
                "country",
            ),
            "by_year": _counts(qs.values("year").annotate(n=Count("pk")).order_by("year"), "year"),
        },
        "relatives_targeted": named_relatives.values("person").distinct().count(),
        "relatives_unnamed_mentions": relatives.count() - named_relatives.count(),
        "dyads": [
            {
                "origin": d["origin_country"],
                "host": d["country"],
                "year": d["year"],
                "incidents": d["n"],
            }
            for d in dyads
        ],
    }

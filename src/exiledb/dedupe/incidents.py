"""Candidate duplicate incidents: one event reported by several sources and coded twice.

Blocking: incidents are compared only when they share a targeted person (an involvement as
target or relative targeted). A pair must also happen in the same country, and, where both
dates are known, their ranges must overlap within their precision (an incident dated "2016-09"
may be the one dated "2016-09-22"; one dated "2017" may not). Then the evidence scores it:
shared targets, shared tactics, the same place (or one place coarser than the other), dates
that agree, shared sources. Incidents with no named target are not compared (docs say so).
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from exiledb import names
from exiledb.vocab import COUNTRIES, codebook

from .persons import Evidence

MAX_BLOCK = 2000
DEFAULT_MIN_SCORE = 0.7
TARGET_ROLES = ("target", "relative_targeted")

SHARED_TARGET = 0.4
ALL_TARGETS = 0.05
SHARED_TACTIC = 0.2
TACTIC_OVERLAP = 0.05  # times the share of tactics in common
NO_SHARED_TACTIC = -0.15
SAME_PLACE = 0.15
COMPATIBLE_PLACE = 0.05
PLACE_CONFLICT = -0.3
SAME_DAY = 0.15
DATES_OVERLAP = 0.1
SHARED_SOURCE = 0.05


@dataclass
class IncidentFacts:
    id: str
    title: str
    date: str = ""
    earliest: dt.date | None = None
    latest: dt.date | None = None
    precision: str = "unknown"
    country: str = ""
    region: str = ""
    place: str = ""
    place_precision: str = "country"
    targets: frozenset[str] = frozenset()
    tactics: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()

    @property
    def weight(self) -> int:
        return len(self.sources) + len(self.tactics) + len(self.targets)


@dataclass
class Candidate:
    a: IncidentFacts
    b: IncidentFacts
    score: float
    evidence: list[Evidence] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "a": {"id": self.a.id, "title": self.a.title, "date": self.a.date},
            "b": {"id": self.b.id, "title": self.b.title, "date": self.b.date},
            "score": round(self.score, 4),
            "evidence": [e.as_dict() for e in self.evidence],
        }


@dataclass
class Stats:
    incidents: int = 0
    compared: int = 0
    skipped_blocks: int = 0
    found: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in vars(self).items()}


def _same_text(x: str, y: str) -> bool:
    return bool(x) and bool(y) and names.fold(x).strip() == names.fold(y).strip()


def place_evidence(a: IncidentFacts, b: IncidentFacts) -> Evidence | None:
    if a.place and b.place:
        if _same_text(a.place, b.place):
            return Evidence("same_place", f"both in {a.place}", SAME_PLACE)
        return Evidence("place_conflict", f"in {a.place} and in {b.place}", PLACE_CONFLICT)
    if a.region and b.region and not _same_text(a.region, b.region):
        return Evidence("place_conflict", f"in {a.region} and in {b.region}", PLACE_CONFLICT)
    if a.place or b.place or a.region or b.region:
        where = a.place or b.place or a.region or b.region
        return Evidence("compatible_place", f"{where}; the other is less precise", COMPATIBLE_PLACE)
    return None


def date_evidence(a: IncidentFacts, b: IncidentFacts) -> Evidence | None:
    """None when either date is unknown; a 'no overlap' evidence rules the pair out."""
    if None in (a.earliest, a.latest, b.earliest, b.latest):
        return None
    assert a.earliest and a.latest and b.earliest and b.latest
    if a.latest < b.earliest or b.latest < a.earliest:
        return Evidence("dates_apart", f"{a.date} and {b.date} do not overlap")
    if a.precision == b.precision == "day" and a.earliest == b.earliest:
        return Evidence("same_day", f"both on {a.date}", SAME_DAY)
    return Evidence("dates_overlap", f"{a.date} and {b.date} overlap", DATES_OVERLAP)


def judge(a: IncidentFacts, b: IncidentFacts, min_score: float) -> Candidate | None:
    if a.country != b.country:
        return None
    when = date_evidence(a, b)
    if when is not None and when.kind == "dates_apart":
        return None
    shared = a.targets & b.targets
    evidence = [
        Evidence("shared_targets", f"{len(shared)} targeted person(s) in common", SHARED_TARGET),
        Evidence("same_country", f"both in {COUNTRIES.get(a.country, a.country)}"),
    ]
    if shared == a.targets == b.targets:
        evidence.append(Evidence("all_targets", "the same targeted persons", ALL_TARGETS))
    common = a.tactics & b.tactics
    if common:
        share = len(common) / len(a.tactics | b.tactics)
        labels = ", ".join(sorted(codebook.TACTICS.label(t) for t in common))
        evidence.append(
            Evidence(
                "shared_tactics",
                f"tactics in common: {labels}",
                SHARED_TACTIC + share * TACTIC_OVERLAP,
            )
        )
    elif a.tactics and b.tactics:
        evidence.append(Evidence("no_shared_tactic", "no tactic in common", NO_SHARED_TACTIC))
    where = place_evidence(a, b)
    if where is not None:
        evidence.append(where)
    if when is not None:
        evidence.append(when)
    sources = a.sources & b.sources
    if sources:
        evidence.append(
            Evidence("shared_sources", f"{len(sources)} source(s) cited by both", SHARED_SOURCE)
        )
    score = max(0.0, min(1.0, sum(e.weight for e in evidence)))
    if score < min_score:
        return None
    if (b.weight, a.id) > (a.weight, b.id):
        a, b = b, a
    return Candidate(a, b, score, evidence)


def candidates(
    incidents: list[IncidentFacts],
    distinct: set[tuple[str, str]] | None = None,
    min_score: float = DEFAULT_MIN_SCORE,
    stats: Stats | None = None,
) -> list[Candidate]:
    stats = stats if stats is not None else Stats()
    distinct = distinct or set()
    by_target: dict[str, list[int]] = defaultdict(list)
    for index, incident in enumerate(incidents):
        for person in incident.targets:
            by_target[person].append(index)
    stats.incidents = len(incidents)
    n = len(incidents)
    pairs: set[int] = set()
    for members in by_target.values():
        if len(members) > MAX_BLOCK:
            stats.skipped_blocks += 1
            continue
        for i, j in itertools.combinations(members, 2):
            pairs.add(i * n + j if i < j else j * n + i)
    out = []
    for code in pairs:
        a, b = incidents[code // n], incidents[code % n]
        if ((a.id, b.id) if a.id < b.id else (b.id, a.id)) in distinct:
            continue
        stats.compared += 1
        found = judge(a, b, min_score)
        if found is not None:
            out.append(found)
    out.sort(key=lambda c: (-c.score, c.a.title, c.b.title, c.a.id, c.b.id))
    stats.found = len(out)
    return out


def load(user: Any = None) -> tuple[list[IncidentFacts], set[tuple[str, str]]]:
    """The incidents with a named target (those `user` may see) and the decisions."""
    from exiledb.access.policy import visible
    from exiledb.cases.models import Citation, Incident, IncidentTactic, Involvement

    from .models import NotDuplicate

    scope = Incident.objects.all()
    if user is not None:
        scope = visible(scope, user)
    targets: dict[str, set[str]] = defaultdict(set)
    involved = Involvement.objects.filter(role__in=TARGET_ROLES, person__isnull=False)
    for incident, person in involved.values_list("incident_id", "person_id").iterator(
        chunk_size=5000
    ):
        targets[str(incident)].add(str(person))
    facts: dict[str, IncidentFacts] = {}
    columns = (
        "id",
        "title",
        "date",
        "date_earliest",
        "date_latest",
        "date_precision",
        "country",
        "region",
        "place",
        "place_precision",
    )
    for row in scope.values_list(*columns).iterator(chunk_size=5000):
        key = str(row[0])
        if key in targets:
            found = IncidentFacts(key, *row[1:])
            found.targets = frozenset(targets[key])
            facts[key] = found
    tactics: dict[str, set[str]] = defaultdict(set)
    for which, code in IncidentTactic.objects.values_list("incident_id", "tactic").iterator(
        chunk_size=5000
    ):
        tactics[str(which)].add(code)
    sources: dict[str, set[str]] = defaultdict(set)
    cited = Citation.objects.filter(incident__isnull=False, source__isnull=False)
    for which, source in cited.values_list("incident_id", "source_id").iterator(chunk_size=5000):
        sources[str(which)].add(str(source))
    for key, facts_of in facts.items():
        facts_of.tactics = frozenset(tactics.get(key, ()))
        facts_of.sources = frozenset(sources.get(key, ()))
    distinct = {
        (str(a), str(b))
        for a, b in NotDuplicate.objects.filter(kind="incident").values_list("first", "second")
    }
    return list(facts.values()), distinct


def find(
    user: Any = None, min_score: float = DEFAULT_MIN_SCORE, stats: Stats | None = None
) -> list[Candidate]:
    stats = stats if stats is not None else Stats()
    started = time.perf_counter()
    incidents, distinct = load(user)
    found = candidates(incidents, distinct, min_score, stats)
    stats.seconds = time.perf_counter() - started
    return found

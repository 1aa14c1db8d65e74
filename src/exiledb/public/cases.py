"""Cases as the public sees them: targeted persons among a Publication's public persons.

A case is a public person who is the target of a published incident or the exile a published
proxy incident is linked to (as exiledb.analysis.stats.case_stages counts them). Everything here
reads the incidents, persons and records a Publication holds, so a case list or page can show
nothing the public view does not.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from exiledb import names
from exiledb.access.policy import PUBLIC, Publication, published_incidents
from exiledb.cases.models import Incident, Involvement, Relationship
from exiledb.explore.text import fold  # one folding for the site: sorting and search
from exiledb.ingest.serialize import records_by_id
from exiledb.vocab import case_stage


@dataclass
class Case:
    """One targeted person: the incidents against them or linked to them, and their stages."""

    id: str
    name: str  # the public name: a pseudonym for a person who may not be named
    incidents: set[str] = field(default_factory=set)
    stages: list[int | None] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)  # the public record, once loaded

    @property
    def stage(self) -> int | None:
        return case_stage(self.stages)


def cases(pub: Publication) -> dict[str, Case]:
    """Every case among the public persons of `pub`, keyed by person id; their records are
    loaded by `load` (a page shows 50, and only a search needs them all)."""
    involvements = Involvement.objects.filter(incident__in=pub.incident_qs)
    rows = involvements.filter(
        Q(role="target", person__isnull=False) | Q(linked_exile__isnull=False)
    )
    found: dict[str, Case] = {}
    for role, person, exile, incident, stage in rows.values_list(
        "role", "person", "linked_exile", "incident", "incident__stage"
    ):
        for pid in {str(person) if role == "target" and person else None, _s(exile)}:
            if pid is None or pid not in pub.persons:
                continue
            case = found.setdefault(pid, Case(pid, pub.public_name(pid) or ""))
            if str(incident) not in case.incidents:
                case.incidents.add(str(incident))
                case.stages.append(stage)
    return found


def load(pub: Publication, found: Iterable[Case]) -> None:
    """Attach the public record to each case that has none yet."""
    todo = {case.id: case for case in found if not case.record}
    for pid, rec in public_records(pub, "persons", todo):
        todo[pid].record = rec


def cases_among(person_ids: Iterable[str]) -> set[str]:
    """Which of these public persons are cases in the whole public view (a person can be a case
    through an incident outside a page's scope)."""
    ids = list(person_ids)
    out: set[str] = set()
    # Two lookups from the persons' indexes, each involvement's incident checked by its key:
    # an OR of the two, or `incident IN (every published incident)`, made the engines walk
    # the published incidents instead (3 s per page at a million incidents).
    published = Exists(published_incidents().filter(pk=OuterRef("incident")))
    for start in range(0, len(ids), 400):
        chunk = ids[start : start + 400]
        targets = Involvement.objects.filter(published, role="target", person__in=chunk)
        exiles = Involvement.objects.filter(published, linked_exile__in=chunk)
        out.update(str(pk) for pk in targets.values_list("person", flat=True))
        out.update(str(pk) for pk in exiles.values_list("linked_exile", flat=True))
    return out


def public_records(
    pub: Publication, kind: str, ids: Iterable[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The public form of the records with these ids; those the public may not see are left
    out by the policy's transform."""
    for pid, rec in records_by_id(kind, list(ids)).items():
        out = pub.transform(kind, rec)
        if out is not None:
            yield pid, out


def matches(rec: dict[str, Any], query: str) -> bool:
    """Whether a public person record matches a search: its public name and, for persons who
    may be named, every published spelling. The policy's transform has already emptied the
    spellings of persons who may not be named, so their real names are never searched.

    A spelling matches when it holds the search as typed (folded: "gado" finds Gadoev), in
    Latin letters ("Худой" finds Khudoydodova), or as another spelling of its words
    (exiledb.names.contains: Khodoydodova, Khudodoyeva and Худойдодова find Khudoydodova)."""
    needle = query.strip()
    if not needle:
        return True
    folded = fold(needle)
    spellings = [n["value"] for n in rec.get("names", []) if n["value"]]
    if any(folded in fold(text) for text in [rec.get("display_name", ""), *spellings]):
        return True
    # Other spellings only of a name that may be shown: a pseudonym ("sister-in-law of
    # Buzurgmehr Yorov") is not her name, and Ёров must not find her through it.
    latin = names.fold(needle)
    if spellings:
        spellings.append(rec.get("display_name", ""))
    return any(latin in names.fold(text) or names.contains(text, needle) for text in spellings)


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def case_scope(person_id: str) -> QuerySet[Incident]:
    """The published incidents a case page may draw on: those involving the person, or anyone
    tied to them by a public relationship. The Publication built on this scope still decides
    which of those people, ties and sources the public may see."""
    ties = Relationship.objects.filter(
        Q(person=person_id) | Q(other=person_id), visibility=PUBLIC
    ).values_list("person", "other")
    ids = {person_id} | {str(end) for pair in ties for end in pair}
    return published_incidents().filter(
        Q(involvements__person__in=ids) | Q(involvements__linked_exile__in=ids)
    )

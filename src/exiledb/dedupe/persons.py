"""Candidate duplicate persons: pairs of records that may be one person, with a score and the
evidence for and against.

Blocking: every spelling of a person (the display name and each Name row) gives the pairs of
the first three letters of its words' phonetic keys (`names.token_keys`); only persons that
share such a block are compared, so two persons who share only a common given name or a common
surname never meet. A block larger than MAX_BLOCK says nothing (a name that common needs the
other evidence) and is skipped, and the count of skipped blocks is reported.

Scoring: the name score is the best `names.score` over every pair of the two persons'
spellings. The evidence then moves it: the same birth year, shared relatives, shared incidents
and shared categories add a little; birth years two or more apart, different origins or sexes,
or a recorded family tie between the two take a lot away. Pairs an editor marked "not a
duplicate" are never proposed again.

`find` reads the database once into plain tuples; `candidates` is pure and needs none.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from exiledb import names
from exiledb.vocab import COUNTRIES, codebook

MAX_BLOCK = 2000
# The combined score of a likely duplicate (not a name score: names.DEFAULT_THRESHOLD is for
# names alone). Above NAME_ONLY_CAP, so a pair needs more than a name to reach it.
DEFAULT_MIN_SCORE = 0.85
HEAD = 3  # letters of a word's key that a block keeps: later letters vary with typos

# How evidence moves the name score (documented in docs/duplicates.md).
SAME_BIRTH_YEAR = 0.05
BIRTH_YEAR_CONFLICT = -0.3
ORIGIN_CONFLICT = -0.3
SEX_CONFLICT = -0.3
KIN_OF_EACH_OTHER = -0.5
SHARED_RELATIVE = 0.1
SHARED_RELATIVES = 0.15
SHARED_INCIDENT = 0.05
SHARED_CATEGORY = 0.02
ONE_WORD_CAP = 0.7  # the most a match of one-word names (a given name alone) counts
# The most a name counts when nothing else links the pair (no birth year that agrees, no
# relative or incident in common): below the default threshold, so that such pairs are listed
# only when asked for (--min-score 0.8), as "possible" rather than "likely" duplicates.
NAME_ONLY_CAP = 0.8
# A name at least this many persons share needs more than a birth year in common: among 20
# namesakes, two born the same year are likely (about one pair in three with 48 birth years).
COMMON_NAME = 20
MOST_ADDED = SAME_BIRTH_YEAR + SHARED_RELATIVES + SHARED_INCIDENT + SHARED_CATEGORY


@dataclass
class PersonFacts:
    """What the finder knows of one person."""

    id: str
    display_name: str
    spellings: list[str]
    birth_year: int | None = None
    origin: str = ""
    sex: str = "unknown"
    categories: frozenset[str] = frozenset()
    relatives: frozenset[str] = frozenset()
    incidents: frozenset[str] = frozenset()

    @property
    def weight(self) -> int:
        """How much hangs on the record: the one with more is proposed as the one to keep."""
        return len(self.spellings) + len(self.relatives) + len(self.incidents)


@dataclass
class Evidence:
    kind: str
    text: str
    weight: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "weight": round(self.weight, 3)}


@dataclass
class Candidate:
    """Two records that may be one person: `a` is proposed to keep, `b` to absorb."""

    a: PersonFacts
    b: PersonFacts
    score: float
    name_score: float
    evidence: list[Evidence] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "a": {"id": self.a.id, "name": self.a.display_name},
            "b": {"id": self.b.id, "name": self.b.display_name},
            "score": round(self.score, 4),
            "name_score": round(self.name_score, 4),
            "evidence": [e.as_dict() for e in self.evidence],
        }


@dataclass
class Stats:
    persons: int = 0
    blocks: int = 0
    skipped_blocks: int = 0
    compared: int = 0
    name_scored: int = 0
    found: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in vars(self).items()}


def blocks_of(spellings: Iterable[str]) -> set[tuple[str, ...]]:
    """The blocks of a person: pairs of word-key heads, for each spelling."""
    out: set[tuple[str, ...]] = set()
    for spelling in spellings:
        heads = sorted({k[:HEAD] for k in names.token_keys(spelling) if k})
        if len(heads) == 1:
            out.add((heads[0],))
        out.update(itertools.combinations(heads, 2))
    return out


def _country(code: str) -> str:
    return f"{COUNTRIES.get(code, code)} ({code})"


def attribute_evidence(a: PersonFacts, b: PersonFacts, kin: bool) -> list[Evidence]:
    """Everything but the names: birth year, origin, sex, relatives, incidents, categories."""
    out: list[Evidence] = []
    if a.birth_year is not None and b.birth_year is not None:
        gap = abs(a.birth_year - b.birth_year)
        if gap == 0:
            out.append(Evidence("birth_year", f"both born in {a.birth_year}", SAME_BIRTH_YEAR))
        elif gap == 1:
            out.append(
                Evidence(
                    "birth_year_close", f"born {a.birth_year} and {b.birth_year}: one year apart"
                )
            )
        else:
            out.append(
                Evidence(
                    "birth_year_conflict",
                    f"born {a.birth_year} and {b.birth_year}: {gap} years apart",
                    BIRTH_YEAR_CONFLICT,
                )
            )
    if a.origin and b.origin:
        if a.origin == b.origin:
            out.append(Evidence("origin", f"both from {_country(a.origin)}"))
        else:
            out.append(
                Evidence(
                    "origin_conflict",
                    f"from {_country(a.origin)} and {_country(b.origin)}",
                    ORIGIN_CONFLICT,
                )
            )
    known = {"male", "female"}
    if a.sex in known and b.sex in known and a.sex != b.sex:
        out.append(Evidence("sex_conflict", f"recorded as {a.sex} and {b.sex}", SEX_CONFLICT))
    if kin:
        out.append(
            Evidence("kin_of_each_other", "recorded as relatives of each other", KIN_OF_EACH_OTHER)
        )
    shared = a.relatives & b.relatives
    if shared:
        weight = SHARED_RELATIVES if len(shared) > 1 else SHARED_RELATIVE
        out.append(Evidence("shared_relatives", f"{len(shared)} relative(s) in common", weight))
    together = a.incidents & b.incidents
    if together:
        out.append(
            Evidence("shared_incidents", f"{len(together)} incident(s) in common", SHARED_INCIDENT)
        )
    common = a.categories & b.categories
    if common:
        labels = ", ".join(sorted(codebook.EXILE_CATEGORIES.label(c) for c in common))
        out.append(Evidence("categories", f"both {labels}", SHARED_CATEGORY))
    return out


def name_match(a: PersonFacts, b: PersonFacts) -> tuple[float, str, str]:
    """The best score over every pair of spellings, and that pair."""
    best, pair = -1.0, ("", "")
    for x in a.spellings:
        for y in b.spellings:
            found = 1.0 if x == y else names.score(x, y)
            if found > best:
                best, pair = found, (x, y)
                if best >= 1.0:
                    return best, x, y
    return max(best, 0.0), pair[0], pair[1]


def weights(a: PersonFacts, b: PersonFacts, kin: bool) -> tuple[float, str]:
    """What `attribute_evidence` adds up to, and the best corroboration ("link": a relative or
    incident in common; "year": a birth year that agrees; "": none), without writing any text:
    most pairs end here, so this is the loop's hot path."""
    moved, link = 0.0, ""
    if a.birth_year is not None and b.birth_year is not None:
        gap = abs(a.birth_year - b.birth_year)
        if gap == 0:
            moved += SAME_BIRTH_YEAR
            link = "year"
        elif gap > 1:
            moved += BIRTH_YEAR_CONFLICT
    if a.origin and b.origin and a.origin != b.origin:
        moved += ORIGIN_CONFLICT
    if a.sex in ("male", "female") and b.sex in ("male", "female") and a.sex != b.sex:
        moved += SEX_CONFLICT
    if kin:
        moved += KIN_OF_EACH_OTHER
    if a.relatives and b.relatives:
        shared = len(a.relatives & b.relatives)
        if shared:
            moved += SHARED_RELATIVES if shared > 1 else SHARED_RELATIVE
            link = "link"
    if a.incidents and b.incidents and a.incidents & b.incidents:
        moved += SHARED_INCIDENT
        link = "link"
    if a.categories & b.categories:
        moved += SHARED_CATEGORY
    return moved, link


def judge(
    a: PersonFacts,
    b: PersonFacts,
    kin: bool,
    min_score: float,
    stats: Stats | None = None,
    sharing: dict[str, int] | None = None,
) -> Candidate | None:
    """The candidate for a pair, or None when the pair cannot reach `min_score`.

    A name alone, however alike, counts at most NAME_ONLY_CAP: namesakes are common (a given
    name and a surname made from a father's name), so without other evidence for the pair (a
    birth year that agrees, a relative or incident in common) it is a possible duplicate, not a
    likely one. A birth year alone does not lift a name that COMMON_NAME or more persons share
    (`sharing` counts the persons with a spelling of each name key): among that many namesakes
    one born the same year is no surprise."""
    moved, link = weights(a, b, kin)
    if (1.0 if link else NAME_ONLY_CAP) + moved < min_score:
        return None  # no name could lift it: spare the name comparison
    if stats is not None:
        stats.name_scored += 1
    name_score, x, y = name_match(a, b)
    notes: list[Evidence] = []
    if len(names.token_keys(x)) < 2 and len(names.token_keys(y)) < 2:
        # "Farrukh" and "Farrukh": one word is too little to say it is one person
        name_score = min(name_score, ONE_WORD_CAP)
        notes.append(Evidence("one_word", "only one word of the name is known"))
    common = 0
    if sharing is not None and link != "link":
        common = max(sharing.get(names.key(x), 0), sharing.get(names.key(y), 0))
    if not link:
        name_score = min(name_score, NAME_ONLY_CAP)
        also = f" ({common} persons have this name)" if common > 2 else ""
        notes.append(Evidence("name_only", f"nothing but the name links these two{also}"))
    elif link == "year" and common >= COMMON_NAME:
        name_score = min(name_score, NAME_ONLY_CAP - SAME_BIRTH_YEAR)
        notes.append(
            Evidence(
                "common_name",
                f"{common} persons have this name: a birth year in common may be chance",
            )
        )
    total = max(0.0, min(1.0, name_score + moved))
    if total < min_score:
        return None
    if x == y or names.key(x) == names.key(y):
        text = f"'{x}' and '{y}' are the same spelling" if x == y else f"'{x}' = '{y}'"
        head = Evidence("shared_spelling", text)
    else:
        head = Evidence("similar_spelling", f"'{x}' ~ '{y}' ({name_score:.2f})")
    if (b.weight, a.id) > (a.weight, b.id):
        a, b = b, a
    return Candidate(a, b, total, name_score, [head, *notes, *attribute_evidence(a, b, kin)])


def candidates(
    persons: list[PersonFacts],
    kin_pairs: set[tuple[str, str]] | None = None,
    distinct: set[tuple[str, str]] | None = None,
    min_score: float = DEFAULT_MIN_SCORE,
    stats: Stats | None = None,
) -> list[Candidate]:
    """Candidate pairs among `persons`, best first. `kin_pairs` and `distinct` hold pairs of
    ids in sorted order: recorded family ties, and editors' "not a duplicate" decisions."""
    stats = stats if stats is not None else Stats()
    kin_pairs, distinct = kin_pairs or set(), distinct or set()
    started = time.perf_counter()
    buckets: dict[tuple[str, ...], list[int]] = defaultdict(list)
    sharing: dict[str, int] = defaultdict(int)
    for index, person in enumerate(persons):
        for block in blocks_of(person.spellings):
            buckets[block].append(index)
        for name_key in {names.key(s) for s in person.spellings}:
            sharing[name_key] += 1
    stats.persons, stats.blocks = len(persons), len(buckets)
    n = len(persons)
    pairs: set[int] = set()
    for members in buckets.values():
        if len(members) > MAX_BLOCK:
            stats.skipped_blocks += 1
            continue
        for i, j in itertools.combinations(members, 2):
            pairs.add(i * n + j if i < j else j * n + i)
    out = []
    for code in pairs:
        a, b = persons[code // n], persons[code % n]
        key = (a.id, b.id) if a.id < b.id else (b.id, a.id)
        if key in distinct:
            continue
        stats.compared += 1
        found = judge(a, b, key in kin_pairs, min_score, stats, sharing)
        if found is not None:
            out.append(found)
    out.sort(key=lambda c: (-c.score, c.a.display_name, c.b.display_name, c.a.id, c.b.id))
    stats.found = len(out)
    stats.seconds = time.perf_counter() - started
    return out


# --- reading the database ----------------------------------------------------------------------


def load(user: Any = None) -> tuple[list[PersonFacts], set[tuple[str, str]], set[tuple[str, str]]]:
    """Persons (those `user` may see; all for the command line), family ties and decisions."""
    from exiledb.access.policy import visible
    from exiledb.cases.models import Involvement, Name, Person, PersonCategory, Relationship

    from .models import NotDuplicate

    people = Person.objects.all()
    if user is not None:
        people = visible(people, user)
    rows = people.values_list(
        "id", "display_name", "name_known", "birth_year", "origin_country", "sex"
    )
    facts: dict[str, PersonFacts] = {}
    for pk, display, known, born, origin, sex in rows.iterator(chunk_size=5000):
        own = [display] if known and display.strip() else []
        facts[str(pk)] = PersonFacts(str(pk), display, own, born, origin, sex)
    spellings: dict[str, set[str]] = defaultdict(set)
    for who, value in Name.objects.values_list("person_id", "value").iterator(chunk_size=5000):
        spellings[str(who)].add(value)
    for key, values in spellings.items():
        found = facts.get(key)
        if found is not None:
            found.spellings = sorted(set(found.spellings) | values)
    categories: dict[str, set[str]] = defaultdict(set)
    for pk, code in PersonCategory.objects.values_list("person_id", "category").iterator(
        chunk_size=5000
    ):
        categories[str(pk)].add(code)
    relatives: dict[str, set[str]] = defaultdict(set)
    kin: set[tuple[str, str]] = set()
    ties = Relationship.objects.values_list("person_id", "other_id")
    for one, two in ties.iterator(chunk_size=5000):
        x, y = str(one), str(two)
        relatives[x].add(y)
        relatives[y].add(x)
        kin.add((x, y) if x < y else (y, x))
    incidents: dict[str, set[str]] = defaultdict(set)
    involved = Involvement.objects.filter(person__isnull=False)
    for who, incident in involved.values_list("person_id", "incident_id").iterator(chunk_size=5000):
        incidents[str(who)].add(str(incident))
    for key, person in facts.items():
        person.categories = frozenset(categories.get(key, ()))
        person.relatives = frozenset(relatives.get(key, ()))
        person.incidents = frozenset(incidents.get(key, ()))
    distinct = {
        (str(a), str(b))
        for a, b in NotDuplicate.objects.filter(kind="person").values_list("first", "second")
    }
    return [p for p in facts.values() if p.spellings], kin, distinct


def find(
    user: Any = None, min_score: float = DEFAULT_MIN_SCORE, stats: Stats | None = None
) -> list[Candidate]:
    """Candidate duplicate persons in the database, best first."""
    stats = stats if stats is not None else Stats()
    started = time.perf_counter()
    persons, kin, distinct = load(user)
    found = candidates(persons, kin, distinct, min_score, stats)
    stats.seconds = time.perf_counter() - started
    return found

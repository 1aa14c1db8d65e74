"""Keeping the public index in step with an import: only what the import can have changed.

An import writes with bulk statements (no signals fire), so the writer tells this module what
it wrote: every record it created or updated, with the stored form it replaced. The incidents
whose public row may then read differently are

- the incidents written;
- the incidents of every person written (categories, spellings, names);
- the incidents citing a source written, or perpetrated by an organisation written;
- when who may be named can have changed - a person's spellings, name, visibility, redaction,
  naming, minority or pseudonym; a relationship; which persons take part in a published
  incident - also the incidents of the persons tied to those by a relationship (pseudonyms
  name relatives: "relative of X (daughter)"), and every incident whose public text (title,
  summary, place, region, trigger, involvement descriptions, titles and authors of the
  sources it cites) holds an old or new spelling of any of these persons: the access policy
  withholds a spelling from all public text, not only from the incidents its person is in.

They are rewritten through the public view of everything (`Publication()`), the view a full
rebuild writes with, so the index after an import is the index a rebuild would write
(tests/test_explore.py compares the two). An import into an empty index, or one reaching more
than a quarter of it, rebuilds it whole.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q

from exiledb.access.policy import Publication, published_incidents
from exiledb.access.withhold import Withholder

from . import index
from .models import Entry, State

# What decides whether and how a person may be named in public text.
_NAMING = (
    "display_name",
    "name_known",
    "visibility",
    "redacted",
    "may_be_named",
    "is_minor",
    "pseudonym",
    "names",
)
_CHUNK = 900  # keys per IN (...) lookup: under SQLite's parameter limit
REBUILD_SHARE = 4  # rebuild whole when more than 1/REBUILD_SHARE of the index is reached


def _people_in_public(rec: dict[str, Any] | None) -> frozenset[str]:
    """The persons a published, public incident brings into the public view (none otherwise)."""
    if rec is None or rec["review_status"] != "published" or rec["visibility"] != "public":
        return frozenset()
    return frozenset(
        pid
        for inv in rec["involvements"]
        for pid in (inv["person"], inv["linked_exile"])
        if pid is not None
    )


class ImportChanges:
    """What one import wrote, noted record by record by exiledb.ingest.writer."""

    def __init__(self) -> None:
        self.written: dict[str, set[str]] = {
            kind: set() for kind in ("organizations", "sources", "persons", "incidents")
        }
        self.naming: set[str] = set()  # persons whose public naming may have changed
        self.old_spellings: set[str] = set()  # what those persons were called before

    def note(self, kind: str, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        """`new` was written over `old` (None when created)."""
        if kind in self.written:
            self.written[kind].add(new["id"])
        if kind == "persons" and old is not None:
            if any(old[key] != new[key] for key in _NAMING):
                self.naming.add(new["id"])
                self.old_spellings.add(old["display_name"])
                self.old_spellings.update(n["value"] for n in old["names"])
        elif kind == "relationships":
            for rec in (old, new):
                if rec is not None:
                    self.naming.update((rec["person"], rec["other"]))
        elif kind == "incidents":
            before, after = _people_in_public(old), _people_in_public(new)
            if before != after:
                self.naming.update(before | after)

    def incidents(self) -> set[str]:
        """The incidents whose public row may differ after the import."""
        from exiledb.cases.models import Citation, Incident, Involvement, Name, Person

        out = set(self.written["incidents"])
        naming = self.naming | _relatives(self.naming) if self.naming else set()
        persons = list(self.written["persons"] | naming)
        for start in range(0, len(persons), _CHUNK):
            chunk = persons[start : start + _CHUNK]
            out.update(
                str(pk)
                for pk in Involvement.objects.filter(
                    Q(person__in=chunk) | Q(linked_exile__in=chunk)
                ).values_list("incident_id", flat=True)
            )
        sources = list(self.written["sources"])
        for start in range(0, len(sources), _CHUNK):
            out.update(
                str(pk)
                for pk in Citation.objects.filter(
                    source__in=sources[start : start + _CHUNK], incident__isnull=False
                ).values_list("incident_id", flat=True)
            )
        organizations = list(self.written["organizations"])
        if organizations:
            through = Incident.perpetrators.through.objects
            out.update(
                str(pk)
                for pk in through.filter(organization__in=organizations).values_list(
                    "incident_id", flat=True
                )
            )
        if naming:
            spellings = set(self.old_spellings)
            ids = list(naming)
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                spellings.update(
                    Name.objects.filter(person__in=chunk).values_list("value", flat=True)
                )
                spellings.update(
                    Person.objects.filter(pk__in=chunk).values_list("display_name", flat=True)
                )
            out |= mentioning(spellings)
        return out


def _relatives(person_ids: Iterable[str]) -> set[str]:
    """Both ends of every relationship of these persons."""
    from exiledb.cases.models import Relationship

    ids = list(person_ids)
    out: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for a, b in Relationship.objects.filter(
            Q(person__in=chunk) | Q(other__in=chunk)
        ).values_list("person_id", "other_id"):
            out.update((str(a), str(b)))
    return out


def mentioning(spellings: Iterable[str]) -> set[str]:
    """Published incidents whose public text holds any of these spellings, matched as the
    access policy's name withholder matches them (whole words, case-insensitive, and a
    capitalised word of a spelling alone): every incident the withholding of one of them can
    change. One pass over the public text of the collection."""
    from exiledb.cases.models import Citation, Involvement, Person, Source

    detector = Withholder()
    detector.withhold(spellings, "")
    if not detector:
        return set()

    def mentions(*texts: str | None) -> bool:
        return any(t and detector.scrub(t) != t for t in texts)

    published = published_incidents()
    out = {
        str(row[0])
        for row in published.order_by()
        .values_list("pk", "title", "summary", "place", "region", "trigger_event")
        .iterator(chunk_size=5000)
        if mentions(*row[1:])
    }
    out.update(
        str(incident)
        for incident, description in Involvement.objects.filter(incident__in=published)
        .exclude(description="")
        .values_list("incident_id", "description")
        .iterator(chunk_size=5000)
        if mentions(description)
    )
    # A descriptive name ("mother of ...") is public text too.
    described = [
        pk
        for pk, display in Person.objects.filter(name_known=False)
        .order_by()
        .values_list("pk", "display_name")
        .iterator(chunk_size=5000)
        if mentions(display)
    ]
    for start in range(0, len(described), _CHUNK):
        chunk = described[start : start + _CHUNK]
        out.update(
            str(pk)
            for pk in Involvement.objects.filter(
                Q(person__in=chunk) | Q(linked_exile__in=chunk), incident__in=published
            ).values_list("incident_id", flat=True)
        )
    sources = [
        pk
        for pk, title, author in Source.objects.order_by()
        .values_list("pk", "title", "author")
        .iterator(chunk_size=5000)
        if mentions(title, author)
    ]
    for start in range(0, len(sources), _CHUNK):
        out.update(
            str(pk)
            for pk in Citation.objects.filter(
                source__in=sources[start : start + _CHUNK], incident__in=published
            ).values_list("incident_id", flat=True)
        )
    return out


def update(changes: ImportChanges | None) -> int:
    """Bring the index up to date after an import, inside the import's transaction; return
    the number of incidents written. With no changes noted (a first load), or with no index
    built yet, the whole index is built."""
    built = State.objects.filter(pk=1).values_list("built", flat=True).first()
    if changes is None or not built:
        return index.rebuild()
    with transaction.atomic():
        State.objects.select_for_update().get(pk=1)
        most = max(index.CHUNK, Entry.objects.count() // REBUILD_SHARE)
        if len(changes.written["incidents"]) > most:  # no need to look further
            return index.rebuild()
        ids = changes.incidents()
        if not ids:
            return 0
        pub = Publication()
        if len(ids) > most:
            return index.rebuild(pub=pub)
        written = index.refresh([uuid.UUID(pk) for pk in ids], pub)
        index.bump()
    return written

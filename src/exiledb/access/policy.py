"""The access policy: what each reader may see. Every output reads through this module.

Two questions are answered here and nowhere else:

- which records a reader may see (`visible_incidents`, and `Publication` for the public), and
- what a public record looks like once published (`Publication.transform`): relatives
  pseudonymised unless their record allows naming, minors never named, places no more precise
  than a city, confidential fields, working notes, contact details and non-public sources
  removed, and the names of unnameable people scrubbed from public text.

The public site, the API and public exports all go through `Publication`, so they cannot
disagree about what the public may know.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models import Q, QuerySet

from exiledb.cases.models import (
    Incident,
    Name,
    Organization,
    Person,
    Relationship,
    Source,
)
from exiledb.vocab import codebook

from .roles import role_of

PUBLIC = "public"
INTERNAL = "internal"
AUDIENCES = (PUBLIC, INTERNAL)

# Fields never shown to the public, whatever the record's visibility.
CONFIDENTIAL_FIELDS = {
    "persons": ("contact_details", "confidential_notes"),
    "incidents": ("confidential_notes",),
}


def is_staff_reader(user: Any) -> bool:
    return role_of(user) is not None


def published_incidents() -> QuerySet[Incident]:
    """The incidents the public may know exist."""
    return Incident.objects.filter(review_status="published", visibility="public")


def visible_incidents(user: Any = None) -> QuerySet[Incident]:
    """Incidents the user may see: published public ones for the public, all for staff."""
    if user is not None and is_staff_reader(user):
        return Incident.objects.all()
    return published_incidents()


def _kinship_label(code: str) -> str:
    return codebook.KINSHIP.label(code)


class Publication:
    """The public view of the database, built once per export or request.

    It holds the sets that decide membership (public incidents, persons, sources, organisations)
    and how each person is shown; `transform` turns a canonical record into its public form.
    """

    def __init__(self) -> None:
        incidents = published_incidents()
        self.person_qs = (
            Person.objects.filter(visibility=PUBLIC)
            .filter(
                Q(involvements__incident__in=incidents)
                | Q(proxy_involvements__incident__in=incidents)
            )
            .distinct()
        )
        rows = list(
            self.person_qs.values_list(
                "pk", "display_name", "name_known", "may_be_named", "is_minor", "pseudonym"
            )
        )
        self.persons: dict[str, dict[str, Any]] = {}
        unnameable: list[Any] = []
        for pk, display, known, may_name, minor, pseudonym in rows:
            nameable = bool(may_name and not minor)
            self.persons[str(pk)] = {
                "display": display,
                "known": known,
                "nameable": nameable,
                "pseudonym": pseudonym,
            }
            if not nameable:
                unnameable.append(pk)
        self._pseudonyms(unnameable)
        self._scrub_names: dict[str, list[str]] = defaultdict(list)
        for person_id, value in Name.objects.filter(person_id__in=unnameable).values_list(
            "person_id", "value"
        ):
            if len(value.strip()) >= 3:
                self._scrub_names[str(person_id)].append(value.strip())
        for pk in unnameable:
            info = self.persons[str(pk)]
            if info["known"] and len(info["display"]) >= 3:
                self._scrub_names[str(pk)].append(info["display"])
        self.relationship_qs = Relationship.objects.filter(
            visibility=PUBLIC, person__in=self.person_qs, other__in=self.person_qs
        )
        self.incident_qs = incidents
        cited = Q(citations__incident__in=incidents) | Q(citations__person__in=self.person_qs)
        self.source_qs = Source.objects.filter(cited, visibility=PUBLIC).distinct()
        self.source_ids = {str(pk) for pk in self.source_qs.values_list("pk", flat=True)}
        self.organization_qs = Organization.objects.filter(
            Q(incidents_perpetrated__in=incidents) | Q(affiliations__person__in=self.person_qs),
            visibility=PUBLIC,
        ).distinct()
        self.organization_ids = {
            str(pk) for pk in self.organization_qs.values_list("pk", flat=True)
        }

    def _pseudonyms(self, unnameable: list[Any]) -> None:
        """'relative of X (daughter)' for people who may not be named publicly."""
        ties: dict[str, tuple[str, str]] = {}
        # whose public text may mention whom: a person's summary may name their relatives
        self.related_unnameable: dict[str, list[str]] = defaultdict(list)
        for person_id, kinship, other_id in Relationship.objects.filter(
            person_id__in=unnameable
        ).values_list("person_id", "kinship", "other_id"):
            self.related_unnameable[str(other_id)].append(str(person_id))
            other = self.persons.get(str(other_id))
            if other and other["nameable"]:
                ties.setdefault(str(person_id), (kinship, other["display"]))
        for pk in unnameable:
            info = self.persons[str(pk)]
            if info["pseudonym"]:
                info["public_name"] = info["pseudonym"]
            elif str(pk) in ties:
                kinship, name = ties[str(pk)]
                info["public_name"] = f"relative of {name} ({_kinship_label(kinship)})"
            else:
                info["public_name"] = "unnamed person"

    def public_name(self, person_id: str | None) -> str | None:
        info = self.persons.get(str(person_id)) if person_id else None
        if info is None:
            return None
        return info["display"] if info["nameable"] else info["public_name"]

    def scrub(self, text: str, person_ids: list[str]) -> str:
        """Replace any spelling of an unnameable person in public text by their pseudonym."""
        for pid in person_ids:
            for name in self._scrub_names.get(pid, ()):
                text = re.sub(
                    re.escape(name), self.persons[pid]["public_name"], text, flags=re.IGNORECASE
                )
        return text

    # --- records ---------------------------------------------------------------------------

    def querysets(self) -> dict[str, QuerySet[Any]]:
        return {
            "organizations": self.organization_qs,
            "sources": self.source_qs,
            "persons": self.person_qs,
            "relationships": self.relationship_qs,
            "incidents": self.incident_qs,
        }

    def _citations(self, citations: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**c, "note": ""} for c in citations if c["source"] in self.source_ids]

    def transform(self, kind: str, rec: dict[str, Any]) -> dict[str, Any] | None:
        """The public form of a canonical record, or None if the public may not see it."""
        rec = dict(rec)
        for key in CONFIDENTIAL_FIELDS.get(kind, ()):
            rec[key] = ""
        if "citations" in rec:
            rec["citations"] = self._citations(rec["citations"])
        if "note" in rec:
            rec["note"] = ""
        return getattr(self, f"_{kind}")(rec)

    def _organizations(self, rec: dict[str, Any]) -> dict[str, Any] | None:
        if rec["id"] not in self.organization_ids:
            return None
        rec["designations"] = [{**d, "note": ""} for d in rec["designations"]]
        return rec

    def _sources(self, rec: dict[str, Any]) -> dict[str, Any] | None:
        return rec if rec["id"] in self.source_ids else None

    def _persons(self, rec: dict[str, Any]) -> dict[str, Any] | None:
        info = self.persons.get(rec["id"])
        if info is None:
            return None
        rec["residences"] = [{**r, "place": "", "note": ""} for r in rec["residences"]]
        rec["affiliations"] = [
            {**a, "note": ""}
            for a in rec["affiliations"]
            if a["organization"] in self.organization_ids
        ]
        if info["nameable"]:
            rec["summary"] = self.scrub(rec["summary"], self.related_unnameable.get(rec["id"], []))
            rec["names"] = [
                {**n, "note": "", "source": n["source"] if n["source"] in self.source_ids else None}
                for n in rec["names"]
            ]
            return rec
        rec.update(
            display_name=info["public_name"],
            name_known=False,
            names=[],
            birth_year=None,
            summary="",
            pseudonym="",
            residences=[],
            may_be_named=False,
        )
        return rec

    def _relationships(self, rec: dict[str, Any]) -> dict[str, Any] | None:
        if rec["person"] not in self.persons or rec["other"] not in self.persons:
            return None
        return rec

    def _incidents(self, rec: dict[str, Any]) -> dict[str, Any] | None:
        involved = []
        involvements = []
        for inv in rec["involvements"]:
            inv = {**inv, "note": ""}
            for key in ("person", "linked_exile"):
                if inv[key] and inv[key] not in self.persons:
                    if key == "person" and not inv["description"]:
                        inv["description"] = "a person whose record is not public"
                    inv[key] = None
                elif inv[key]:
                    involved.append(inv[key])
            if inv["person"] is None and not inv["description"]:
                continue
            involvements.append(inv)
        rec["involvements"] = involvements
        rec["perpetrators"] = [o for o in rec["perpetrators"] if o in self.organization_ids]
        if rec["place_precision"] == "exact":
            rec["place_precision"] = "city"
        if rec["latitude"] is not None:
            rec["latitude"] = round(rec["latitude"], 2)
            rec["longitude"] = round(rec["longitude"], 2)
        for key in ("title", "summary", "trigger_event", "place"):
            rec[key] = self.scrub(rec[key], involved)
        return rec

    def records(self, kind: str) -> Iterator[dict[str, Any]]:
        """Stream the public records of one type."""
        from exiledb.ingest.serialize import iter_records

        for rec in iter_records(kind, self.querysets()[kind]):
            out = self.transform(kind, rec)
            if out is not None:
                yield out

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

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from exiledb.cases.models import (
    Affiliation,
    Citation,
    Incident,
    Involvement,
    Name,
    Organization,
    Person,
    Relationship,
    Source,
)
from exiledb.vocab import codebook

from .models import RemovalRequest
from .roles import role_of
from .withhold import WITHHELD, Withholder

PUBLIC = "public"
INTERNAL = "internal"
AUDIENCES = (PUBLIC, INTERNAL)

# --- who may do what ---------------------------------------------------------------------------

CLEARED_ROLES = frozenset({"editor", "admin"})  # see confidential records and fields
PUBLISHING_ROLES = frozenset({"editor", "admin"})
DELETING_ROLES = frozenset({"editor", "admin"})
SECOND_FACTOR_ROLES = frozenset({"editor", "admin"})  # must sign in with a second factor
_CACHE = "_exiledb_role"


def role(user: Any) -> str | None:
    """The user's role, looked up once per request (admin pages ask dozens of times)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, _CACHE):
        setattr(user, _CACHE, role_of(user))
    found: str | None = getattr(user, _CACHE)
    return found


def needs_second_factor(user: Any) -> bool:
    return role(user) in SECOND_FACTOR_ROLES


def passed_second_factor(user: Any) -> bool:
    """True in a web request once django-otp has verified the session; code outside a
    request (the command line, which needs access to the machine) has no such step."""
    is_verified = getattr(user, "is_verified", None)
    return is_verified is None or bool(is_verified())


def effective_role(user: Any) -> str | None:
    """The role the user acts in now: an editor or admin who has only given a password acts
    as nobody, and sees what the public sees, until the second factor is given."""
    found = role(user)
    if found in SECOND_FACTOR_ROLES and not passed_second_factor(user):
        return None
    return found


def audience(user: Any) -> str:
    """Who `user` reads as, in keys of what is computed once for many readers (stored
    statistics, cached API answers): PUBLIC without a role, else the role and whether it is
    cleared for confidential records. Two readers of one audience see the same records."""
    acting = effective_role(user) if user is not None else None
    if acting is None:
        return PUBLIC
    return f"{acting}:{int(may_see_confidential(user))}"


def has_role(user: Any) -> bool:
    """Staff accounts without a role (or without their second factor) see nothing beyond what
    the public sees."""
    return effective_role(user) is not None


def may_publish(user: Any) -> bool:
    return effective_role(user) in PUBLISHING_ROLES


def may_delete(user: Any) -> bool:
    return effective_role(user) in DELETING_ROLES


def may_see_confidential(user: Any) -> bool:
    """Editors and admins, and anyone granted access.view_confidential by name."""
    if effective_role(user) in CLEARED_ROLES:
        return True
    return has_role(user) and bool(user.has_perm("access.view_confidential"))


# --- the review workflow: draft -> reviewed -> published ---------------------------------------
#
# Coders write drafts; an editor or admin who did not write the draft marks it reviewed (no
# self-approval); an editor or admin publishes a reviewed incident. Who wrote a draft is read
# from the edit history (django-simple-history's history_user), so no extra column can drift
# from what the history says.

DRAFT, REVIEWED, PUBLISHED = "draft", "reviewed", "published"
REVIEWING_ROLES = frozenset({"editor", "admin"})  # mark drafts reviewed
WRITING_ROLES = frozenset({"coder", "editor", "admin"})  # add and change records
# The change reason of a history row written by a status change alone ("status: reviewed").
# A row counts as status-only when it has this reason *and* its fields equal the row before
# it, so a reason alone cannot hide a change of content.
STATUS_REASON = "status: "
_NOT_CONTENT = {"review_status", "updated_at"}


def _content(row: Any) -> tuple[Any, ...]:
    return tuple(
        getattr(row, f.attname)
        for f in Incident._meta.concrete_fields
        if f.name not in _NOT_CONTENT
    )


def _status_only(row: Any, older: Any) -> bool:
    """A history row written by a status change alone (mark reviewed, publish, return)."""
    return (
        older is not None
        and (row.history_change_reason or "").startswith(STATUS_REASON)
        and _content(row) == _content(older)
    )


def authors_from_history(rows: list[Any]) -> set[Any]:
    """The ids of the accounts that created or changed a draft since its last review that still
    stands, from its history rows, newest first (None for rows without an account: imports).

    Walking back from the newest row: every draft row that is not a bare status change is
    authorship. A reviewed or published row ends the walk: what came before was reviewed by
    someone else. But when the draft was *returned* to draft (a status-only row), that review
    was withdrawn, so the walk goes on past it to the drafts it had covered."""
    authors: set[Any] = set()
    withdrawn = skipping = False
    for i, row in enumerate(rows):
        older = rows[i + 1] if i + 1 < len(rows) else None
        if row.review_status != DRAFT:
            if not withdrawn:
                break
            skipping = True
            continue
        if skipping:  # past the withdrawn review: back in the drafts it had covered
            withdrawn = skipping = False
        if older is not None and older.review_status != DRAFT and _status_only(row, older):
            withdrawn = True
            continue
        authors.add(row.history_user_id)
    return authors


def draft_authors(incidents: Iterable[Incident]) -> dict[Any, set[Any]]:
    """`authors_from_history` for each incident, in one query per 500 incidents."""
    ids = [i.pk for i in incidents]
    rows: dict[Any, list[Any]] = defaultdict(list)
    history: Any = Incident.history  # type: ignore[attr-defined]
    for start in range(0, len(ids), 500):
        for row in history.filter(id__in=ids[start : start + 500]).order_by("-history_date"):
            rows[row.id].append(row)
    return {pk: authors_from_history(rows[pk]) for pk in ids}


def may_review(user: Any, incident: Incident | None = None) -> bool:
    """Editors and admins mark drafts reviewed; given an incident: this draft, which they
    neither created nor changed since its last review."""
    if incident is None:
        return effective_role(user) in REVIEWING_ROLES
    return may_set_status(user, incident, REVIEWED)


def status_refusal(
    user: Any, incident: Incident, new_status: str, authors: set[Any] | None = None
) -> str | None:
    """Why `user` may not move `incident` to `new_status`, or None when they may.

    - draft -> reviewed: editors and admins, but not for a draft they created or changed
      since its last review;
    - reviewed -> published: editors and admins (the reviewer may publish);
    - reviewed -> draft: anyone who may change records (coders, editors, admins);
    - published -> draft: editors and admins (it leaves the public site);
    - nothing else: a draft is never published without a review, and a published incident
      goes back through draft.
    `authors` may be passed when already known (`draft_authors`)."""
    found = effective_role(user)
    current = incident.review_status
    if found is None or found not in WRITING_ROLES:
        return _("Your role does not allow changing the review status.")
    if incident.visibility == "confidential" and not may_see_confidential(user):
        return _("No such incident.")
    if new_status not in codebook.REVIEW_STATUS:
        return _("Unknown review status.")
    if new_status == current:
        return _("The incident is already %(status)s.") % {
            "status": codebook.REVIEW_STATUS.label(current).lower()
        }
    if new_status == REVIEWED:
        if found not in REVIEWING_ROLES:
            return _("Only an editor or admin can mark an incident reviewed.")
        if current != DRAFT:
            return _("Only a draft can be marked reviewed.")
        if authors is None:
            authors = draft_authors([incident])[incident.pk]
        if user.pk in authors:
            return _(
                "You created or changed this draft since its last review: someone else must "
                "review it."
            )
    elif new_status == PUBLISHED:
        if found not in PUBLISHING_ROLES:
            return _("Only an editor or admin can publish.")
        if current != REVIEWED:
            return _("Only a reviewed incident can be published: it must be reviewed first.")
    elif new_status == DRAFT and current == PUBLISHED and found not in PUBLISHING_ROLES:
        return _("Only an editor or admin can take a published incident back to draft.")
    return None


def may_set_status(user: Any, incident: Incident, new_status: str) -> bool:
    return status_refusal(user, incident, new_status) is None


def allowed_statuses(user: Any, incident: Incident, authors: set[Any] | None = None) -> list[str]:
    """The statuses `user` may move `incident` to now, in workflow order."""
    return [
        code
        for code in (DRAFT, REVIEWED, PUBLISHED)
        if status_refusal(user, incident, code, authors) is None
    ]


# Fields that hold material about informants and families: only cleared roles see them, and
# the public never does (the public transform empties them in every record it publishes).
CONFIDENTIAL_FIELDS_BY_MODEL: dict[type[Model], tuple[str, ...]] = {
    Person: ("contact_details", "confidential_notes"),
    Incident: ("confidential_notes",),
    RemovalRequest: ("requester", "details"),
}
# The same, by record type of the interchange format.
CONFIDENTIAL_FIELDS = {
    "persons": CONFIDENTIAL_FIELDS_BY_MODEL[Person],
    "incidents": CONFIDENTIAL_FIELDS_BY_MODEL[Incident],
}


def hidden_fields(model: type[Model], user: Any) -> tuple[str, ...]:
    """The confidential fields of `model` that `user` may not see (empty when cleared)."""
    if may_see_confidential(user):
        return ()
    return CONFIDENTIAL_FIELDS_BY_MODEL.get(model, ())


def visible(queryset: QuerySet[Any], user: Any) -> QuerySet[Any]:
    """Staff querysets: uncleared roles never get confidential records, nor child rows that
    point at confidential persons or sources (a citation would show an interview's title)."""
    if may_see_confidential(user):
        return queryset
    model = queryset.model
    names = {f.name for f in model._meta.get_fields()}
    if "visibility" in names:
        queryset = queryset.exclude(visibility="confidential")
    for fk in ("person", "other", "linked_exile", "source", "organization"):
        if fk in names and model._meta.get_field(fk).is_relation:
            queryset = queryset.exclude(**{f"{fk}__visibility": "confidential"})
    return queryset


def published_incidents() -> QuerySet[Incident]:
    """The incidents the public may know exist."""
    return Incident.objects.filter(review_status="published", visibility="public")


def visible_incidents(user: Any = None) -> QuerySet[Incident]:
    """Incidents the user may see: published public ones for the public; for staff, all but
    confidential ones unless cleared."""
    if has_role(user):
        return visible(Incident.objects.all(), user)
    return published_incidents()


def visible_persons(user: Any = None) -> QuerySet[Person]:
    """Persons the user may see (for counting cases and relatives, and for search)."""
    if has_role(user):
        return visible(Person.objects.all(), user)
    return Publication.public_persons(published_incidents())


def _spellings(person_ids: list[str], whole: bool = False) -> dict[str, list[str]]:
    """Every recorded spelling (and the display name, when it is a name) of these persons;
    `whole`: read every spelling and keep these persons' (cheaper for most of them)."""
    out: dict[str, list[str]] = defaultdict(list)
    if whole:
        wanted = set(person_ids)
        for pid, value in Name.objects.values_list("person_id", "value"):  # in spelling order
            if (key := str(pid)) in wanted:
                out[key].append(value)
        for pid, display in (
            Person.objects.filter(name_known=True).order_by().values_list("pk", "display_name")
        ):
            if (key := str(pid)) in wanted:
                out[key].append(display)
        return out
    for start in range(0, len(person_ids), 900):
        chunk = person_ids[start : start + 900]
        for pid, value in Name.objects.filter(person_id__in=chunk).values_list(
            "person_id", "value"
        ):
            out[str(pid)].append(value)
        for pid, display, known in Person.objects.filter(pk__in=chunk).values_list(
            "pk", "display_name", "name_known"
        ):
            if known:
                out[str(pid)].append(display)
    return out


def _secret_spellings(skip: set[str]) -> dict[str, list[str]]:
    """The spellings (and real display names) of every person the public may not see or
    name - restricted, confidential, redacted, unnameable or a minor - but those in `skip`."""
    secret = Person.objects.exclude(
        visibility=PUBLIC, redacted=False, may_be_named=True, is_minor=False
    ).order_by()
    out: dict[str, list[str]] = defaultdict(list)
    for pid, value in Name.objects.filter(person__in=secret.values("pk")).values_list(
        "person_id", "value"
    ):
        if (key := str(pid)) not in skip:
            out[key].append(value)
    for pid, display in secret.filter(name_known=True).values_list("pk", "display_name"):
        if (key := str(pid)) not in skip:
            out[key].append(display)
    return out


def _kinship_label(code: str) -> str:
    # English, whoever asks: a pseudonym is data (exports, the search index), the same for all.
    return codebook.KINSHIP.label(code, translate=False)


class Publication:
    """The public view of the database, built once per export or request.

    It holds the sets that decide membership (public incidents, persons, sources, organisations)
    and how each person is shown; `transform` turns a canonical record into its public form.
    """

    @staticmethod
    def public_persons(incidents: QuerySet[Incident]) -> QuerySet[Person]:
        """Public, unredacted persons who take part in a published incident."""
        # One semi-join on the union of both columns, not two IN subqueries joined by OR:
        # PostgreSQL runs an OR of subqueries as a plan per person once their keys outgrow
        # work_mem (minutes at a million incidents; the union takes seconds).
        involved = Involvement.objects.filter(incident__in=incidents)
        either = involved.values("person").union(involved.values("linked_exile"))
        return Person.objects.filter(visibility=PUBLIC, redacted=False, pk__in=either)

    def __init__(self, scope: QuerySet[Incident] | None = None) -> None:
        """The public view of everything, or only of the published incidents in `scope` and
        the persons, sources and organisations they bring (a page needs no more)."""
        self._public_spellings: dict[str, list[str]] | None = None
        incidents = published_incidents()
        if scope is not None:
            incidents = incidents.filter(pk__in=scope.values("pk"))
        self.person_qs = self.public_persons(incidents)
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
        self._pseudonyms(unnameable, everyone=scope is None)
        self.withholder = self._withholder(incidents, everyone=scope is None)
        self.relationship_qs = Relationship.objects.filter(
            visibility=PUBLIC, person__in=self.person_qs, other__in=self.person_qs
        )
        self.incident_qs = incidents
        cited = (
            Citation.objects.filter(incident__in=incidents)
            .values("source")
            .union(Citation.objects.filter(person__in=self.person_qs).values("source"))
        )  # one semi-join on a union, as in public_persons
        self.source_qs = Source.objects.filter(pk__in=cited, visibility=PUBLIC)
        self.source_ids = {str(pk) for pk in self.source_qs.values_list("pk", flat=True)}
        perpetrators = Incident.perpetrators.through.objects.filter(incident__in=incidents)
        affiliated = Affiliation.objects.filter(person__in=self.person_qs)
        self.organization_qs = Organization.objects.filter(
            Q(pk__in=perpetrators.values("organization"))
            | Q(pk__in=affiliated.values("organization")),
            visibility=PUBLIC,
        )
        self.organization_ids = {
            str(pk) for pk in self.organization_qs.values_list("pk", flat=True)
        }

    def _pseudonyms(self, unnameable: list[Any], everyone: bool = False) -> None:
        """'relative of X (daughter)' for people who may not be named publicly (for the view
        of `everyone`, every public tie is read and filtered here: tens of thousands of
        unnameable people are too many for a list of parameters)."""
        ties: dict[str, tuple[str, str]] = {}
        # only public ties: a pseudonym must not reveal a restricted or confidential one
        public_ties = Relationship.objects.filter(visibility=PUBLIC)
        if not everyone:
            public_ties = public_ties.filter(person_id__in=unnameable)
        wanted = {str(pk) for pk in unnameable}
        for person_id, kinship, other_id in public_ties.values_list(
            "person_id", "kinship", "other_id"
        ):
            if str(person_id) not in wanted:
                continue
            other = self.persons.get(str(other_id))
            # Only a real, public name: a descriptive one ("mother of ...") may itself name
            # someone withheld.
            if other and other["nameable"] and other["known"]:
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
        if not info["nameable"]:
            return info["public_name"]
        # A descriptive name ("mother of ...") can name someone withheld: scrub it.
        return info["display"] if info["known"] else self.scrub(info["display"])

    def searchable_names(self, person_ids: Iterable[str]) -> dict[str, list[str]]:
        """What public search may match for each of these persons: the public name, and every
        recorded spelling of those who may be named (the others are found by pseudonym only)."""
        ids = [pid for pid in person_ids if pid in self.persons]
        nameable = [pid for pid in ids if self.persons[pid]["nameable"]]
        out = {pid: [self.public_name(pid) or ""] for pid in ids}
        if self._public_spellings is not None:
            for pid in nameable:
                out[pid] += self._public_spellings.get(pid, [])
            return out
        for pid, spellings in _spellings(nameable).items():
            out[pid] += spellings
        return out

    def _withholder(self, incidents: QuerySet[Incident], everyone: bool) -> Withholder:
        """Every spelling of every person connected to the published records who may not be
        named in public: unnameable public persons (replaced by their pseudonym), and persons
        the public may not see at all - restricted, confidential, redacted (withheld).

        Connected means taking part in a published incident, or tied by a relationship to a
        public person. For the public view of `everyone`, the relationships, persons and
        spellings are read whole, one query each, and filtered here: for a large collection
        that is far cheaper than tens of queries with hundreds of keys each."""
        hidden: set[str] = set()
        for person_id, exile_id in Involvement.objects.filter(incident__in=incidents).values_list(
            "person_id", "linked_exile_id"
        ):
            hidden.update(str(p) for p in (person_id, exile_id) if p is not None)
        public_ids = list(self.persons)
        if everyone:
            for a, b in Relationship.objects.order_by().values_list("person_id", "other_id"):
                if str(a) in self.persons or str(b) in self.persons:
                    hidden.update((str(a), str(b)))
        else:
            for start in range(0, len(public_ids), 900):
                chunk = public_ids[start : start + 900]
                for a, b in Relationship.objects.filter(
                    Q(person_id__in=chunk) | Q(other_id__in=chunk)
                ).values_list("person_id", "other_id"):
                    hidden.update((str(a), str(b)))
        hidden.difference_update(self.persons)
        # A public, nameable person outside the published incidents (a jailed lawyer whose
        # brother is the exile) is no secret: only restricted, confidential, redacted and
        # unnameable people are withheld.
        nameable = Person.objects.filter(
            visibility=PUBLIC, redacted=False, may_be_named=True, is_minor=False
        ).order_by()
        named: set[str] = set()
        if everyone:
            named.update(
                s for pk in nameable.values_list("pk", flat=True) if (s := str(pk)) in hidden
            )
        else:
            ids = list(hidden)
            for start in range(0, len(ids), 900):
                named.update(
                    str(pk)
                    for pk in nameable.filter(pk__in=ids[start : start + 900]).values_list(
                        "pk", flat=True
                    )
                )
        hidden.difference_update(named)
        spellings = _spellings([*hidden, *public_ids, *named], everyone)
        if everyone:  # every public person's spellings, read once for all searches
            self._public_spellings = spellings
        withholder = Withholder()
        for pid in [*public_ids, *named]:
            info = self.persons.get(pid)
            if info is None or info["nameable"]:
                withholder.allow(spellings.get(pid, ()))
            else:
                withholder.withhold(spellings.get(pid, ()), info["public_name"])
        for pid in hidden:
            withholder.withhold(spellings.get(pid, ()), WITHHELD)
        # Anyone else the public may not see or name, wherever they are recorded: a summary
        # can name a witness who takes part in no published incident. Two queries, whatever
        # the scope. Whole spellings only: withholding every first name of every hidden
        # person would blank common names all over the public text.
        known = set(self.persons) | hidden
        for values in _secret_spellings(known).values():
            withholder.withhold(values, WITHHELD, single_words=False)
        return withholder

    def scrub(self, text: str) -> str:
        """Public text with the names of people who may not be named withheld."""
        return self.withholder.scrub(text)

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
        return [
            {**c, "note": "", "quote": self.scrub(c["quote"]), "locator": self.scrub(c["locator"])}
            for c in citations
            if c["source"] in self.source_ids
        ]

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
        rec["summary"] = self.scrub(rec["summary"])
        return rec

    def _sources(self, rec: dict[str, Any]) -> dict[str, Any] | None:
        if rec["id"] not in self.source_ids:
            return None
        for key in ("title", "author"):
            rec[key] = self.scrub(rec[key])
        return rec

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
            rec["summary"] = self.scrub(rec["summary"])
            if not info["known"]:
                rec["display_name"] = self.scrub(rec["display_name"])
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
        involvements = []
        for inv in rec["involvements"]:
            inv = {**inv, "note": "", "description": self.scrub(inv["description"])}
            for key in ("person", "linked_exile"):
                if inv[key] and inv[key] not in self.persons:
                    if key == "person" and not inv["description"]:
                        inv["description"] = "a person whose record is not public"
                    inv[key] = None
            if inv["person"] is None and not inv["description"]:
                continue
            involvements.append(inv)
        rec["involvements"] = involvements
        rec["perpetrators"] = [o for o in rec["perpetrators"] if o in self.organization_ids]
        if rec["place_precision"] == "exact":
            # An exact place is an address or a point - often a family's home. It stays
            # internal: the public learns the region, or only the country.
            rec.update(
                place="",
                latitude=None,
                longitude=None,
                place_precision="region" if rec["region"] else "country",
            )
        if rec["latitude"] is not None:
            rec["latitude"] = round(rec["latitude"], 2)
            rec["longitude"] = round(rec["longitude"], 2)
        for key in ("title", "summary", "trigger_event", "place", "region"):
            rec[key] = self.scrub(rec[key])
        return rec

    def records(self, kind: str) -> Iterator[dict[str, Any]]:
        """Stream the public records of one type."""
        from exiledb.ingest.serialize import iter_records

        for rec in iter_records(kind, self.querysets()[kind]):
            out = self.transform(kind, rec)
            if out is not None:
                yield out

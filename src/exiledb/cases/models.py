"""The case database: who did what to whom, when, where, according to whom.

Event-based model after HURIDOCS and Popolo/OpenCivicData: persons (exiles and their relatives)
with every spelling of their names, organisations, incidents linking persons in roles to acts
(tactics), and sources cited for every claim. Every model keeps its edit history.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from exiledb.vocab import COUNTRIES, codebook, dates, incident_stage

from . import rules

COUNTRY_CHOICES = sorted(
    ((code, f"{name} ({code})") for code, name in COUNTRIES.items()), key=lambda c: c[1]
)


def _raise(problems: list[rules.Problem], fields: set[str]) -> None:
    """Turn rule problems into a ValidationError keyed by model field where possible."""
    if not problems:
        return
    errors: dict[str, list[str]] = {}
    for problem in problems:
        key = problem.field.split("[")[0].split(".")[0]
        errors.setdefault(key if key in fields else "__all__", []).append(
            problem.message if key in fields else str(problem)
        )
    raise ValidationError(errors)


def validate_partial_date(value: str) -> None:
    try:
        dates.parse(value)
    except dates.PartialDateError as exc:
        raise ValidationError(str(exc)) from exc


class PartialDateField(models.CharField):
    """An ISO 8601 prefix: YYYY, YYYY-MM or YYYY-MM-DD; empty when unknown."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)
        self.validators.append(validate_partial_date)


def country_field(help_text: str, blank: bool = True) -> models.CharField:
    return models.CharField(
        max_length=2, choices=COUNTRY_CHOICES, blank=blank, default="", help_text=help_text
    )


def visibility_field(default: str = "public") -> models.CharField:
    return models.CharField(
        max_length=12,
        choices=codebook.VISIBILITY.choices(),
        default=default,
        help_text="Who may see this record: public (once published), restricted (signed-in "
        "staff) or confidential (cleared roles only).",
    )


def confidence_field() -> models.CharField:
    return models.CharField(
        max_length=10,
        choices=codebook.CONFIDENCE.choices(),
        default="probable",
        help_text="How sure we are the claim is true, given its sources.",
    )


class Record(models.Model):
    """Common columns: a UUID key (never a guessable sequence) and timestamps."""

    id = models.UUIDField(
        primary_key=True,
        default=uuid.uuid4,
        editable=False,
        help_text="Stable identifier used in URLs and exported files.",
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When the record was created.")
    updated_at = models.DateTimeField(auto_now=True, help_text="When the record last changed.")

    class Meta:
        abstract = True


class Person(Record):
    """A person in the records: an exile targeted abroad, a relative at home, or a perpetrator.

    A "case" is a person targeted abroad or whose relatives were targeted because of them.
    """

    display_name = models.CharField(
        max_length=300,
        help_text="The name shown in the editor. For an unnamed person a description such as "
        "'daughter of Shabnam Khudoydodova'.",
    )
    name_known = models.BooleanField(
        default=True, help_text="False when display_name is a description, not a name."
    )
    sex = models.CharField(
        max_length=8,
        choices=codebook.SEX.choices(),
        default="unknown",
        help_text="As reported by sources.",
    )
    birth_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Year of birth, if known."
    )
    origin_country = country_field("The country the person comes from (ISO 3166-1).")
    is_minor = models.BooleanField(
        default=False,
        help_text="A child at the time of the events. Minors are never named in public output.",
    )
    may_be_named = models.BooleanField(
        default=True,
        help_text="Whether public output may show this person's name. Untick to "
        "pseudonymise a relative.",
    )
    pseudonym = models.CharField(
        max_length=300,
        blank=True,
        default="",
        help_text="Shown publicly instead of the name when the person may not be named "
        "(default: 'relative of X (kinship)').",
    )
    summary = models.TextField(blank=True, default="", help_text="Public biographical note.")
    redacted = models.BooleanField(
        default=False,
        help_text="Removed from all public output at the person's request (see removal "
        "requests); kept internally.",
    )
    contact_details = models.TextField(
        blank=True, default="", help_text="CONFIDENTIAL. How to reach the person. Never published."
    )
    confidential_notes = models.TextField(
        blank=True, default="", help_text="CONFIDENTIAL. Notes never published."
    )
    visibility = visibility_field()
    history = HistoricalRecords()

    class Meta:
        ordering = ["display_name"]
        indexes = [models.Index(fields=["origin_country"]), models.Index(fields=["visibility"])]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        _raise(
            rules.check_person(
                {
                    "display_name": self.display_name,
                    "sex": self.sex,
                    "origin_country": self.origin_country,
                    "visibility": self.visibility,
                    "birth_year": self.birth_year,
                    "is_minor": self.is_minor,
                    "may_be_named": self.may_be_named,
                }
            ),
            {f.name for f in self._meta.fields},
        )


class PersonCategory(models.Model):
    """One of CAPE's exile categories held by a person (a person may hold several)."""

    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,  # a fact about the person
        related_name="categories",
        help_text="The person who holds the category.",
    )
    category = models.CharField(
        max_length=20, choices=codebook.EXILE_CATEGORIES.choices(), help_text="CAPE exile category."
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "category"], name="unique_person_category")
        ]
        indexes = [models.Index(fields=["category"])]

    def __str__(self) -> str:
        return codebook.EXILE_CATEGORIES.label(self.category)


class Name(models.Model):
    """One spelling of a person's name, as a source wrote it."""

    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,  # a spelling of this person
        related_name="names",
        help_text="Whose name this is a spelling of.",
    )
    value = models.CharField(max_length=300, help_text="The spelling exactly as written.")
    script = models.CharField(
        max_length=5,
        choices=codebook.SCRIPTS.choices(),
        default="latn",
        help_text="Writing system of this spelling.",
    )
    language = models.CharField(
        max_length=16,
        blank=True,
        default="",
        help_text="BCP 47 language of the spelling, e.g. tg, ru, en.",
    )
    source = models.ForeignKey(
        "Source",
        null=True,
        blank=True,
        related_name="name_spellings",
        # A deleted source leaves the spelling in place, unattributed.
        on_delete=models.SET_NULL,
        help_text="Where this spelling was seen.",
    )
    note = models.CharField(max_length=500, blank=True, default="", help_text="Free text.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["value"]
        constraints = [
            models.UniqueConstraint(fields=["person", "value"], name="unique_person_spelling")
        ]
        indexes = [models.Index(fields=["value"])]

    def __str__(self) -> str:
        return self.value


class Organization(Record):
    """A party, movement, media outlet, state agency or other body."""

    name = models.CharField(max_length=300, help_text="The organisation's name in English.")
    abbreviation = models.CharField(
        max_length=40, blank=True, default="", help_text="Short name, e.g. IRPT."
    )
    other_names = models.JSONField(
        default=list, blank=True, help_text="Other names and spellings (a list)."
    )
    type = models.CharField(
        max_length=20,
        choices=codebook.ORGANIZATION_TYPES.choices(),
        default="other",
        help_text="What kind of body it is.",
    )
    country = country_field("Country it is based in or belongs to.")
    founded = PartialDateField(help_text="When it was founded (partial date).")
    dissolved = PartialDateField(help_text="When it ceased to exist (partial date).")
    summary = models.TextField(blank=True, default="", help_text="Public description.")
    visibility = visibility_field()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.abbreviation})" if self.abbreviation else self.name

    def clean(self) -> None:
        _raise(
            rules.check_organization(
                {
                    "name": self.name,
                    "type": self.type,
                    "country": self.country,
                    "founded": self.founded,
                    "dissolved": self.dissolved,
                    "visibility": self.visibility,
                    "other_names": self.other_names,
                }
            ),
            {f.name for f in self._meta.fields},
        )


class Designation(models.Model):
    """A state's ban or label on an organisation ('extremist', 'terrorist')."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,  # part of the org
        related_name="designations",
        help_text="The organisation that was banned or labelled.",
    )
    type = models.CharField(
        max_length=12,
        choices=codebook.DESIGNATION_TYPES.choices(),
        help_text="Banned, designated extremist or designated terrorist.",
    )
    by_country = country_field("The state that imposed it.", blank=False)
    authority = models.CharField(
        max_length=300,
        blank=True,
        default="",
        help_text="The body that decided, e.g. Supreme Court.",
    )
    date = PartialDateField(help_text="When (partial date).")
    note = models.TextField(blank=True, default="", help_text="Free text.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{codebook.DESIGNATION_TYPES.label(self.type)} by {self.by_country} {self.date}"


class Affiliation(models.Model):
    """A person's membership or role in an organisation, with dates."""

    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,  # a fact about the person
        related_name="affiliations",
        help_text="The member.",
    )
    organization = models.ForeignKey(
        Organization,
        related_name="affiliations",
        # Deleting an organisation with members must be a deliberate act: re-point them first.
        on_delete=models.PROTECT,
    )
    role = models.CharField(
        max_length=20,
        choices=codebook.AFFILIATION_ROLES.choices(),
        default="member",
        help_text="The person's role.",
    )
    date_from = PartialDateField(help_text="Since when (partial date).")
    date_to = PartialDateField(help_text="Until when (partial date).")
    confidence = confidence_field()
    note = models.CharField(max_length=500, blank=True, default="", help_text="Free text.")
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.person} - {self.role} - {self.organization}"


class Residence(models.Model):
    """Where a person lived abroad, when, and their protection status there."""

    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,  # a fact about the person
        related_name="residences",
        help_text="Who lived there.",
    )
    country = country_field("Host country.", blank=False)
    place = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="City, if public. Keep exact addresses out.",
    )
    date_from = PartialDateField(help_text="Arrived (partial date).")
    date_to = PartialDateField(help_text="Left (partial date).")
    asylum_status = models.CharField(
        max_length=10,
        choices=codebook.ASYLUM_STATUS.choices(),
        default="unknown",
        help_text="Protection status there.",
    )
    note = models.CharField(max_length=500, blank=True, default="", help_text="Free text.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["date_from"]

    def __str__(self) -> str:
        return f"{self.country} {self.date_from}..{self.date_to}"


class Source(Record):
    """A document that supports claims: court record, report, news, notice, interview."""

    type = models.CharField(
        max_length=20,
        choices=codebook.SOURCE_TYPES.choices(),
        default="other",
        help_text="What kind of document this is.",
    )
    title = models.CharField(max_length=500, help_text="Title as published.")
    publisher = models.CharField(
        max_length=300,
        blank=True,
        default="",
        help_text="Outlet or organisation that published it.",
    )
    author = models.CharField(max_length=300, blank=True, default="", help_text="Author(s).")
    date = PartialDateField(help_text="Publication date (partial date).")
    url = models.URLField(
        max_length=2000, blank=True, default="", help_text="The original address."
    )
    archive_url = models.URLField(
        max_length=2000, blank=True, default="", help_text="An archived copy's address."
    )
    archived_file = models.FileField(
        upload_to="sources/", blank=True, default="", help_text="A stored copy of the document."
    )
    sha256 = models.CharField(
        max_length=64, blank=True, default="", help_text="SHA-256 of the archived copy."
    )
    language = models.CharField(
        max_length=16, blank=True, default="", help_text="BCP 47 language code."
    )
    note = models.TextField(blank=True, default="", help_text="Free text.")
    visibility = visibility_field()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "title"]
        indexes = [models.Index(fields=["type"])]

    def __str__(self) -> str:
        return (
            f"{self.publisher + ': ' if self.publisher else ''}{self.title} ({self.date or 'n.d.'})"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding and self.type == "interview" and self.visibility == "public":
            # Interviews protect informants: confidential unless someone decides otherwise later.
            self.visibility = "confidential"
        super().save(*args, **kwargs)

    def clean(self) -> None:
        _raise(
            rules.check_source(
                {
                    "title": self.title,
                    "type": self.type,
                    "date": self.date,
                    "visibility": self.visibility,
                    "url": self.url,
                    "archive_url": self.archive_url,
                    "sha256": self.sha256,
                }
            ),
            {f.name for f in self._meta.fields},
        )


class Relationship(Record):
    """A tie between two persons: 'PERSON is the KINSHIP of OTHER'."""

    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,  # the tie dies with a person
        related_name="relationships",
        help_text="The person the tie starts from (often the relative).",
    )
    kinship = models.CharField(
        max_length=16,
        choices=codebook.KINSHIP.choices(),
        help_text="Read: person is the <kinship> of other.",
    )
    other = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,  # as for person: a tie needs both ends
        related_name="relationships_in",
        help_text="The person the tie points to (often the exile).",
    )
    confidence = confidence_field()
    visibility = visibility_field()
    note = models.TextField(blank=True, default="", help_text="Free text.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["person__display_name", "kinship"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kinship", "other"], name="unique_relationship"
            ),
            models.CheckConstraint(
                condition=~models.Q(person=models.F("other")), name="relationship_not_reflexive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} is the {codebook.KINSHIP.label(self.kinship)} of {self.other}"


def derived_fields(
    date: str, date_end: str, tactics: list[str] | None, proxy: bool
) -> dict[str, Any]:
    """The columns an incident derives from its dates and tactics (the importer writes these
    without building model instances; Incident.derive sets them on an instance)."""
    out: dict[str, Any] = {}
    try:
        _, out["date_precision"] = dates.parse(date)
        out["date_earliest"] = dates.earliest(date)
        out["date_latest"] = dates.latest(date_end or date)
        out["year"] = dates.year(date)
    except dates.PartialDateError:
        pass  # clean() reports it; never store a half-derived date
    if tactics is not None:
        out["stage"] = incident_stage([t for t in tactics if t in codebook.TACTICS], proxy)
    return out


class Incident(Record):
    """One act of repression: who did what to whom, when, where.

    Stage, year and date bounds are derived on save from the tactics and the partial dates, so
    facets can be indexed; they are never entered by hand.
    """

    title = models.CharField(max_length=300, help_text="A short headline.")
    summary = models.TextField(
        blank=True, default="", help_text="Public text: who did what to whom, according to whom."
    )
    date = PartialDateField(help_text="When it happened: 2016-09-22, 2016-09 or 2016.")
    date_end = PartialDateField(help_text="End of a date range (partial date), if any.")
    date_precision = models.CharField(
        max_length=8,
        choices=codebook.DATE_PRECISION.choices(),
        default="unknown",
        editable=False,
        help_text="Derived from the date.",
    )
    date_earliest = models.DateField(
        null=True, blank=True, editable=False, help_text="First day the date may mean (derived)."
    )
    date_latest = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="Last day the date range may mean (derived).",
    )
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, editable=False, help_text="Year of the start date (derived)."
    )
    country = country_field(
        "Where it happened: the host country abroad, or the origin country "
        "for proxy incidents at home.",
        blank=False,
    )
    region = models.CharField(
        max_length=200, blank=True, default="", help_text="Region or province."
    )
    place = models.CharField(
        max_length=200, blank=True, default="", help_text="City, town or village."
    )
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        help_text="Only with exact or city precision.",
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        help_text="Only with exact or city precision.",
    )
    place_precision = models.CharField(
        max_length=8,
        choices=codebook.PLACE_PRECISION.choices(),
        default="country",
        help_text="How precisely the place is known. Never claim more than the sources say.",
    )
    origin_country = country_field("The perpetrator state.", blank=False)
    is_proxy = models.BooleanField(
        "proxy",
        default=False,
        help_text="Aimed at relatives at home because of an exile (proxy repression).",
    )
    stage = models.PositiveSmallIntegerField(
        null=True, blank=True, editable=False, help_text="CAPE stage, derived from the tactics."
    )
    host_state_role = models.CharField(
        max_length=16,
        choices=codebook.HOST_STATE_ROLES.choices(),
        default="unknown",
        help_text="What the state where it happened did.",
    )
    legal_channel = models.CharField(
        max_length=10,
        choices=codebook.LEGAL_CHANNELS.choices(),
        default="unknown",
        help_text="Interpol, CIS, SCO, bilateral.",
    )
    trigger_event = models.CharField(
        max_length=300,
        blank=True,
        default="",
        help_text="What the exile did that provoked it, e.g. 'opposition conference, Dortmund'.",
    )
    trigger_date = PartialDateField(help_text="When the trigger event happened.")
    outcome = models.CharField(
        max_length=20,
        choices=codebook.OUTCOMES.choices(),
        default="unknown",
        help_text="What came of it.",
    )
    victims_estimated = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many people were targeted, when more than named."
    )
    perpetrators = models.ManyToManyField(
        Organization,
        blank=True,
        related_name="incidents_perpetrated",
        help_text="Agencies that carried it out (security service, police, officials, state TV).",
    )
    confidence = confidence_field()
    review_status = models.CharField(
        max_length=10,
        choices=codebook.REVIEW_STATUS.choices(),
        default="draft",
        help_text="Only published incidents reach the public.",
    )
    visibility = visibility_field()
    confidential_notes = models.TextField(
        blank=True, default="", help_text="CONFIDENTIAL. Never published."
    )
    history = HistoricalRecords(m2m_fields=[perpetrators])

    class Meta:
        ordering = ["-date_earliest", "title"]
        indexes = [
            models.Index(fields=["stage"]),
            models.Index(fields=["country"]),
            models.Index(fields=["origin_country"]),
            models.Index(fields=["year"]),
            models.Index(fields=["is_proxy"]),
            models.Index(fields=["confidence"]),
            models.Index(fields=["outcome"]),
            models.Index(fields=["date_earliest"]),
            models.Index(fields=["review_status", "visibility"]),
        ]

    def __str__(self) -> str:
        return f"{self.date or 'n.d.'} {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self.derive()
        super().save(*args, **kwargs)

    @property
    def tactic_codes(self) -> list[str]:
        return [t.tactic for t in self.tactics.all()]

    def derive(self, tactics: list[str] | None = None) -> None:
        """Recompute the derived columns from the dates and (given or stored) tactics."""
        if tactics is None and self.pk and not self._state.adding:
            tactics = self.tactic_codes
        for key, value in derived_fields(self.date, self.date_end, tactics, self.is_proxy).items():
            setattr(self, key, value)

    def clean(self) -> None:
        problems = rules.check_incident(
            {
                "title": self.title,
                "date": self.date,
                "date_end": self.date_end,
                "trigger_date": self.trigger_date,
                "country": self.country,
                "origin_country": self.origin_country,
                "place_precision": self.place_precision,
                "place": self.place,
                "region": self.region,
                "latitude": self.latitude,
                "longitude": self.longitude,
                "host_state_role": self.host_state_role,
                "legal_channel": self.legal_channel,
                "outcome": self.outcome,
                "confidence": self.confidence,
                "visibility": self.visibility,
                "proxy": self.is_proxy,
            },
            # The rules across records (tactics, a proxy incident's linked relative, a published
            # incident's citation) need the children; the importer and the editor's inline
            # formsets check them, this record alone cannot.
            children=False,
        )
        _raise(problems, {f.name for f in self._meta.fields} | {"proxy"})


class IncidentTactic(models.Model):
    """One tactic (codebook code) used in an incident."""

    incident = models.ForeignKey(
        Incident,
        on_delete=models.CASCADE,  # part of the incident
        related_name="tactics",
        help_text="The incident the tactic was used in.",
    )
    tactic = models.CharField(
        max_length=32,
        choices=codebook.TACTICS.choices(),
        help_text="Tactic code from the codebook.",
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "tactic"], name="unique_incident_tactic")
        ]
        indexes = [models.Index(fields=["tactic", "incident"])]

    def __str__(self) -> str:
        return codebook.TACTICS.label(self.tactic)


class Involvement(models.Model):
    """A person's part in an incident: target, relative targeted, perpetrator or witness."""

    incident = models.ForeignKey(
        Incident,
        on_delete=models.CASCADE,  # part of the incident
        related_name="involvements",
        help_text="The incident.",
    )
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        related_name="involvements",
        # Removing a person who is in incidents must be deliberate (merge or re-point first).
        on_delete=models.PROTECT,
        help_text="Who. Leave empty for unnamed people and describe them instead.",
    )
    role = models.CharField(
        max_length=20,
        choices=codebook.INVOLVEMENT_ROLES.choices(),
        help_text="The part they played.",
    )
    linked_exile = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        related_name="proxy_involvements",
        on_delete=models.PROTECT,  # as for person: the link is evidence, never silently lost
        help_text="For a targeted relative: the exile whose activity provoked it.",
    )
    description = models.CharField(
        max_length=300,
        blank=True,
        default="",
        help_text="Who, when no person record is given (e.g. 'his family', 'two sisters').",
    )
    note = models.CharField(max_length=500, blank=True, default="", help_text="Free text.")
    history = HistoricalRecords()

    class Meta:
        indexes = [models.Index(fields=["role", "person"]), models.Index(fields=["linked_exile"])]

    def __str__(self) -> str:
        who = self.person.display_name if self.person else self.description
        return f"{who} ({codebook.INVOLVEMENT_ROLES.label(self.role)})"

    def clean(self) -> None:
        _raise(
            rules.check_involvement(
                {
                    "person": self.person_id,
                    "role": self.role,
                    "linked_exile": self.linked_exile_id,
                    "description": self.description,
                }
            ),
            {f.name for f in self._meta.fields},
        )


class Citation(models.Model):
    """A claim (incident, person, relationship or organisation) supported by a source."""

    source = models.ForeignKey(
        Source,
        null=True,
        blank=True,
        related_name="citations",
        # A deleted source leaves the citation "unresolved", never silently deletes the claim's
        # evidence trail.
        on_delete=models.SET_NULL,
        help_text="The source that supports the claim.",
    )
    # Exactly one of the four claims below is set. A citation is evidence for its claim and
    # goes with it: CASCADE from the claim, never from the source.
    incident = models.ForeignKey(
        Incident,
        null=True,
        blank=True,
        related_name="citations",
        on_delete=models.CASCADE,
        help_text="The incident the source supports.",
    )
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        related_name="citations",
        on_delete=models.CASCADE,
        help_text="The person whose facts the source supports.",
    )
    relationship = models.ForeignKey(
        Relationship,
        null=True,
        blank=True,
        related_name="citations",
        on_delete=models.CASCADE,
        help_text="The family tie the source supports.",
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        related_name="citations",
        on_delete=models.CASCADE,
        help_text="The organisation (and its designations) the source supports.",
    )
    locator = models.CharField(
        max_length=300,
        blank=True,
        default="",
        help_text="Where in the source: page, paragraph, footnote.",
    )
    quote = models.TextField(blank=True, default="", help_text="The supporting passage.")
    note = models.CharField(max_length=500, blank=True, default="", help_text="Free text.")
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="citation_has_one_claim",
                condition=(
                    models.Q(
                        incident__isnull=False,
                        person__isnull=True,
                        relationship__isnull=True,
                        organization__isnull=True,
                    )
                    | models.Q(
                        incident__isnull=True,
                        person__isnull=False,
                        relationship__isnull=True,
                        organization__isnull=True,
                    )
                    | models.Q(
                        incident__isnull=True,
                        person__isnull=True,
                        relationship__isnull=False,
                        organization__isnull=True,
                    )
                    | models.Q(
                        incident__isnull=True,
                        person__isnull=True,
                        relationship__isnull=True,
                        organization__isnull=False,
                    )
                ),
            )
        ]

    def __str__(self) -> str:
        where = f", {self.locator}" if self.locator else ""
        return f"{self.source or 'unresolved source'}{where}"

"""The API's response shapes: the records of the interchange format (docs/interchange.md), as
the reader may see them. Every field but `id` may be left out (`?fields=` selects them), so
only `id` is required; empty text is "" and unknown numbers are null, as in the exports."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema

Text = str | None


class Citation(Schema):
    source: str | None = Field(None, description="The cited source's id.")
    locator: Text = Field(None, description="Page, paragraph or timestamp.")
    quote: Text = None
    note: Text = None


class Spelling(Schema):
    value: str
    script: str | None = None
    language: Text = None
    source: str | None = None
    note: Text = None


class Residence(Schema):
    country: Text = None
    place: Text = None
    date_from: Text = None
    date_to: Text = None
    asylum_status: Text = None
    note: Text = None


class Affiliation(Schema):
    organization: str | None = None
    role: Text = None
    date_from: Text = None
    date_to: Text = None
    confidence: Text = None
    note: Text = None


class Designation(Schema):
    type: Text = None
    by_country: Text = None
    authority: Text = None
    date: Text = None
    note: Text = None


class Involvement(Schema):
    person: str | None = None
    role: Text = None
    linked_exile: str | None = None
    description: Text = None
    note: Text = None


class Person(Schema):
    id: str
    display_name: Text = None
    name_known: bool | None = None
    names: list[Spelling] | None = None
    sex: Text = None
    birth_year: int | None = None
    origin_country: Text = None
    categories: list[str] | None = None
    is_minor: bool | None = None
    may_be_named: bool | None = None
    pseudonym: Text = None
    summary: Text = None
    redacted: bool | None = None
    residences: list[Residence] | None = None
    affiliations: list[Affiliation] | None = None
    contact_details: Text = None
    confidential_notes: Text = None
    visibility: Text = None
    citations: list[Citation] | None = None


class Organization(Schema):
    id: str
    name: Text = None
    abbreviation: Text = None
    other_names: list[str] | None = None
    type: Text = None
    country: Text = None
    founded: Text = None
    dissolved: Text = None
    summary: Text = None
    designations: list[Designation] | None = None
    visibility: Text = None
    citations: list[Citation] | None = None


class Source(Schema):
    id: str
    type: Text = None
    title: Text = None
    publisher: Text = None
    author: Text = None
    date: Text = None
    url: Text = None
    archive_url: Text = None
    sha256: Text = None
    language: Text = None
    note: Text = None
    visibility: Text = None


class Relationship(Schema):
    id: str
    person: str | None = None
    kinship: Text = None
    other: str | None = None
    confidence: Text = None
    visibility: Text = None
    note: Text = None
    citations: list[Citation] | None = None


class Incident(Schema):
    id: str
    title: Text = None
    summary: Text = None
    date: Text = Field(None, description="A partial date: YYYY, YYYY-MM or YYYY-MM-DD.")
    date_end: Text = None
    country: Text = Field(None, description="Where it happened (ISO 3166-1 alpha-2).")
    region: Text = None
    place: Text = None
    latitude: float | None = None
    longitude: float | None = None
    place_precision: Text = None
    origin_country: Text = None
    proxy: bool | None = Field(None, description="Against relatives at home, not the exile.")
    tactics: list[str] | None = None
    stage: int | None = Field(None, description="1 on notice, 2 detained, 3 rendered/attacked.")
    host_state_role: Text = None
    legal_channel: Text = None
    trigger_event: Text = None
    trigger_date: Text = None
    outcome: Text = None
    victims_estimated: int | None = None
    perpetrators: list[str] | None = None
    involvements: list[Involvement] | None = None
    confidence: Text = None
    review_status: Text = None
    visibility: Text = None
    confidential_notes: Text = None
    citations: list[Citation] | None = None


class Problem(Schema):
    param: str
    value: str
    message: str


class Page(Schema):
    count: int = Field(description="How many records match (all pages).")
    next: str | None = Field(None, description="The URL of the next page, null on the last.")
    cursor: str | None = Field(None, description="The next page's cursor, null on the last.")


class IncidentPage(Page):
    results: list[Incident]
    facets: dict[str, dict[str, int]] | None = Field(
        None, description="With facets=true: matches per value of every facet."
    )


class PersonPage(Page):
    results: list[Person]


class SourcePage(Page):
    results: list[Source]


class OrganizationPage(Page):
    results: list[Organization]


class RelationshipPage(Page):
    results: list[Relationship]


class ErrorField(Schema):
    path: str = Field(description="query.NAME or body.FIELD[.SUB] of the offending value.")
    message: str


class ErrorBody(Schema):
    status: int
    code: str
    message: str
    fields: list[ErrorField]


class Error(Schema):
    error: ErrorBody


class Code(Schema):
    code: str
    label: str
    definition: str
    stage: int | None = None
    group: str = ""


class Vocabulary(Schema):
    name: str
    title: str
    description: str
    codes: list[Code]


class Codebook(Schema):
    version: str
    vocabularies: list[Vocabulary]
    countries: dict[str, str]


class StatusChange(Schema):
    status: str = Field(description="draft, reviewed or published.")


class Written(Schema):
    id: str
    created: bool
    review_status: str | None = None
    record: dict[str, Any]


class Stats(Schema):
    model_config = {"extra": "allow"}

    note: str
    cases: dict[str, Any]
    incidents: dict[str, Any]
    relatives_targeted: int
    dyads: list[dict[str, Any]]

"""The JSON API at /api/v1/: read for everyone, write with scoped tokens.

Every read goes through the access policy (exiledb.api.records); the incidents list takes
the site's facets and search from the site's own filter code (exiledb.explore.filters).
Errors have one shape (exiledb.api.errors). Reads carry an ETag (and, for the public view, a
Last-Modified) and answer 304 to a client that already has them.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers, set_response_etag
from django.utils.http import http_date
from ninja import Body, NinjaAPI, Query, Router, Schema, Status
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.openapi.docs import Swagger
from pydantic import Field

from exiledb.access import policy
from exiledb.explore import index
from exiledb.vocab import CODEBOOK_VERSION, COUNTRIES, codebook

from . import errors, records, schemas, write
from .auth import AnonymousThrottle, TokenAuth, anonymous, persona

READ_AUTH = [TokenAuth(), anonymous]
WRITE_AUTH = [TokenAuth()]
ERRORS = {
    400: schemas.Error,
    401: schemas.Error,
    403: schemas.Error,
    404: schemas.Error,
    409: schemas.Error,
    422: schemas.Error,
    429: schemas.Error,
}
READ_ERRORS = {k: v for k, v in ERRORS.items() if k in (400, 401, 404, 422, 429)}


class Api(NinjaAPI):
    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        return conditional(request, response)


def conditional(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """ETag from the body, Last-Modified from the public index, and 304 when unchanged."""
    patch_vary_headers(response, ["Authorization", "Accept-Language"])
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    set_response_etag(response)
    modified = getattr(request, "_api_last_modified", None)
    if modified is not None:
        response["Last-Modified"] = http_date(modified.timestamp())
    out = get_conditional_response(
        request,
        etag=response.get("ETag"),
        last_modified=int(modified.timestamp()) if modified is not None else None,
        response=response,
    )
    return out if out is not None else response


api = Api(
    title="exiledb API",
    version="1",
    description=(
        "Documented cases of transnational repression: incidents, the persons targeted and "
        "their relatives, sources, organisations and statistics. Reads need no token and show "
        "what the public site shows; a token acts as its account's role. Lists are paged "
        "with `cursor`; `fields` selects fields; `format=csv` gives CSV. Counts are of "
        "documented cases: a floor, not an estimate. See /api/v1/docs and docs/api.md."
    ),
    urls_namespace="api",
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
    throttle=[AnonymousThrottle()],
)


@api.exception_handler(errors.ApiError)
def _api_error(request: HttpRequest, exc: errors.ApiError) -> HttpResponse:
    return errors.from_api_error(request, exc)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = errors.from_validation(exc.errors)
    return errors.response(
        422, "; ".join(f"{f['path']}: {f['message']}" for f in fields) or "invalid request", fields
    )


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    wait = int(exc.wait or 60) + 1
    return errors.response(
        429,
        f"Too many requests without a token: wait {wait} s, or use an API token.",
        headers={"Retry-After": str(wait)},
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return errors.response(
        401,
        "This needs an API token: 'Authorization: Bearer <token>'.",
        headers={"WWW-Authenticate": "Bearer"},
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return errors.response(exc.status_code, str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return errors.response(404, "Not found.")


# --- parameters (documented here; the list code reads request.GET with the site's parser) -------


def _codes(vocabulary: Any) -> dict[str, Any]:
    """The codes a list parameter takes, for the document only: the values are checked by the
    site's filter code, whose messages name the parameter (a 422 either way)."""
    return {"items": {"type": "string", "enum": [c.code for c in vocabulary]}}


COUNTRY_CODES: dict[str, Any] = {"items": {"type": "string", "enum": sorted(COUNTRIES)}}


class IncidentFilters(Schema):
    q: str | None = Field(
        None,
        description="Search: summaries, places, names (any spelling), sources.",
        max_length=200,
    )
    stage: list[int] | None = Field(
        None,
        description="1, 2 or 3; several widen.",
        json_schema_extra={"items": {"type": "integer", "enum": [1, 2, 3]}},
    )
    kind: list[str] | None = Field(
        None,
        description="abroad or proxy.",
        json_schema_extra={"items": {"type": "string", "enum": ["abroad", "proxy"]}},
    )
    tactic: list[str] | None = Field(
        None,
        description="Tactic codes (see /codebook).",
        json_schema_extra=_codes(codebook.TACTICS),
    )
    origin: list[str] | None = Field(
        None, description="Origin state, ISO code.", json_schema_extra=COUNTRY_CODES
    )
    host: list[str] | None = Field(
        None, description="Host country, ISO code.", json_schema_extra=COUNTRY_CODES
    )
    year: list[int] | None = Field(
        None, json_schema_extra={"items": {"type": "integer", "minimum": 1900, "maximum": 2100}}
    )
    year_from: int | None = Field(None, json_schema_extra={"minimum": 1900, "maximum": 2100})
    year_to: int | None = Field(None, json_schema_extra={"minimum": 1900, "maximum": 2100})
    category: list[str] | None = Field(
        None,
        description="Exile category codes.",
        json_schema_extra=_codes(codebook.EXILE_CATEGORIES),
    )
    confidence: list[str] | None = Field(None, json_schema_extra=_codes(codebook.CONFIDENCE))
    outcome: list[str] | None = Field(None, json_schema_extra=_codes(codebook.OUTCOMES))
    sort: str | None = Field(
        None,
        description="-date (newest first, default) or date.",
        json_schema_extra={"enum": ["-date", "date"]},
    )
    facets: bool | None = Field(None, description="Also count matches per facet value.")
    cursor: str | None = Field(None, description="From the previous page's `cursor`.")
    limit: int | None = Field(
        None, ge=1, le=records.LIMIT_MAX, description="Page size (default 50)."
    )
    fields: str | None = Field(None, description="Comma-separated fields to return.")
    format: str | None = Field(None, pattern="^(json|csv)$", description="json (default) or csv.")


class ListParams(Schema):
    cursor: str | None = None
    limit: int | None = Field(None, ge=1, le=records.LIMIT_MAX)
    fields: str | None = None
    format: str | None = Field(None, pattern="^(json|csv)$")


class PersonFilters(ListParams):
    q: str | None = Field(
        None, max_length=200, description="A spelling or the display name contains it."
    )
    category: list[str] | None = None
    origin: list[str] | None = None


class SourceFilters(ListParams):
    q: str | None = Field(None, max_length=200)
    type: list[str] | None = None
    language: list[str] | None = None


class OrganizationFilters(ListParams):
    q: str | None = Field(None, max_length=200)
    type: list[str] | None = None
    country: list[str] | None = None


class RelationshipFilters(ListParams):
    person: list[uuid.UUID] | None = None
    kinship: list[str] | None = None


class StatsFilters(Schema):
    since: str | None = Field(
        None, description="Only incidents wholly on or after this partial date (YYYY[-MM[-DD]])."
    )
    until: str | None = Field(None, description="Only incidents wholly up to this partial date.")
    min_confidence: str | None = Field(
        None, json_schema_extra={"enum": ["confirmed", "probable", "possible"]}
    )
    min_date_precision: str | None = Field(
        None, json_schema_extra={"enum": ["day", "month", "year", "unknown"]}
    )
    min_place_precision: str | None = Field(
        None, json_schema_extra={"enum": ["exact", "city", "region", "country"]}
    )


# --- helpers ---------------------------------------------------------------------------------


def _public_dates(request: HttpRequest) -> None:
    """The public view changes only when the public index does: say when, for caches."""
    if persona(request).public:
        request._api_last_modified = index.changed_at()  # type: ignore[attr-defined]


def _page(kind: str, request: HttpRequest, listing: records.Listing) -> Any:
    wanted = records.fields_of(kind, request.GET)
    listing.results = records.select(listing.results, wanted)
    next_url = None
    if listing.cursor:
        params = request.GET.copy()
        params["cursor"] = listing.cursor
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    if request.GET.get("format") == "csv":
        return conditional(request, records.as_csv(kind, listing, wanted, next_url))
    out: dict[str, Any] = {
        "count": listing.count,
        "next": next_url,
        "cursor": listing.cursor,
        "results": listing.results,
    }
    if listing.facets is not None:
        out["facets"] = listing.facets
    return out


def _list(kind: str, request: HttpRequest) -> Any:
    _public_dates(request)
    who = persona(request)
    listing = (
        records.incidents(request, who)
        if kind == "incidents"
        else records.others(kind, request, who)
    )
    return _page(kind, request, listing)


def _detail(kind: str, request: HttpRequest, pk: uuid.UUID, fields: str | None) -> Any:
    _public_dates(request)
    rec = records.detail(kind, pk, persona(request))
    wanted = records.fields_of(kind, {"fields": fields or ""})
    return records.select([rec], wanted)[0]


# --- reads -----------------------------------------------------------------------------------

# One router: django-ninja gives each path one URL, so its reads and writes must share it.
routes = Router()
LIST_DOC = "Paged with `cursor`; `fields` selects fields; `format=csv` answers CSV."


@routes.get(
    auth=READ_AUTH,
    path="/incidents",
    response={200: schemas.IncidentPage, **READ_ERRORS},
    exclude_unset=True,
    summary="List incidents",
    tags=["incidents"],
)
def list_incidents(request: HttpRequest, filters: Query[IncidentFilters]) -> Any:
    """The incidents, filtered like the site's /incidents/ page: values of one facet widen,
    different facets narrow; `q` searches. Newest first (`sort=date` for oldest)."""
    return _list("incidents", request)


@routes.get(
    auth=READ_AUTH,
    path="/incidents/{pk}",
    response={200: schemas.Incident, **READ_ERRORS},
    exclude_unset=True,
    summary="One incident",
    tags=["incidents"],
)
def get_incident(request: HttpRequest, pk: uuid.UUID, fields: str | None = None) -> Any:
    return _detail("incidents", request, pk, fields)


@routes.get(
    auth=READ_AUTH,
    path="/persons",
    response={200: schemas.PersonPage, **READ_ERRORS},
    exclude_unset=True,
    summary="List persons",
    tags=["persons"],
    description=LIST_DOC,
)
def list_persons(request: HttpRequest, filters: Query[PersonFilters]) -> Any:
    return _list("persons", request)


@routes.get(
    auth=READ_AUTH,
    path="/persons/{pk}",
    response={200: schemas.Person, **READ_ERRORS},
    exclude_unset=True,
    summary="One person",
    tags=["persons"],
)
def get_person(request: HttpRequest, pk: uuid.UUID, fields: str | None = None) -> Any:
    return _detail("persons", request, pk, fields)


@routes.get(
    auth=READ_AUTH,
    path="/sources",
    response={200: schemas.SourcePage, **READ_ERRORS},
    exclude_unset=True,
    summary="List sources",
    tags=["sources"],
    description=LIST_DOC,
)
def list_sources(request: HttpRequest, filters: Query[SourceFilters]) -> Any:
    return _list("sources", request)


@routes.get(
    auth=READ_AUTH,
    path="/sources/{pk}",
    response={200: schemas.Source, **READ_ERRORS},
    exclude_unset=True,
    summary="One source",
    tags=["sources"],
)
def get_source(request: HttpRequest, pk: uuid.UUID, fields: str | None = None) -> Any:
    return _detail("sources", request, pk, fields)


@routes.get(
    auth=READ_AUTH,
    path="/organizations",
    response={200: schemas.OrganizationPage, **READ_ERRORS},
    exclude_unset=True,
    summary="List organisations",
    tags=["organizations"],
    description=LIST_DOC,
)
def list_organizations(request: HttpRequest, filters: Query[OrganizationFilters]) -> Any:
    return _list("organizations", request)


@routes.get(
    auth=READ_AUTH,
    path="/organizations/{pk}",
    response={200: schemas.Organization, **READ_ERRORS},
    exclude_unset=True,
    summary="One organisation",
    tags=["organizations"],
)
def get_organization(request: HttpRequest, pk: uuid.UUID, fields: str | None = None) -> Any:
    return _detail("organizations", request, pk, fields)


@routes.get(
    auth=READ_AUTH,
    path="/relationships",
    response={200: schemas.RelationshipPage, **READ_ERRORS},
    exclude_unset=True,
    summary="List relationships",
    tags=["relationships"],
    description=LIST_DOC,
)
def list_relationships(request: HttpRequest, filters: Query[RelationshipFilters]) -> Any:
    return _list("relationships", request)


@routes.get(
    auth=READ_AUTH,
    path="/relationships/{pk}",
    response={200: schemas.Relationship, **READ_ERRORS},
    exclude_unset=True,
    summary="One relationship",
    tags=["relationships"],
)
def get_relationship(request: HttpRequest, pk: uuid.UUID, fields: str | None = None) -> Any:
    return _detail("relationships", request, pk, fields)


@routes.get(
    auth=READ_AUTH,
    path="/codebook",
    response={200: schemas.Codebook, 401: schemas.Error, 429: schemas.Error},
    summary="The codebook",
    tags=["codebook"],
)
def get_codebook(request: HttpRequest) -> Any:
    """Every vocabulary with its codes, labels and definitions (English), and the countries."""
    return {
        "version": CODEBOOK_VERSION,
        "vocabularies": [
            {
                "name": v.name,
                "title": v.title,
                "description": v.description,
                "codes": [
                    {
                        "code": c.code,
                        "label": c.label,
                        "definition": c.definition,
                        "stage": c.stage,
                        "group": c.group,
                    }
                    for c in v.codes
                ],
            }
            for v in codebook.VOCABULARIES
        ],
        "countries": dict(COUNTRIES),
    }


@routes.get(
    auth=READ_AUTH,
    path="/stats",
    response={200: schemas.Stats, **READ_ERRORS},
    summary="Statistics",
    tags=["stats"],
)
def get_stats(request: HttpRequest, filters: Query[StatsFilters]) -> Any:
    """The figures of `exiledb stats --json` over what this reader may see (docs/statistics.md):
    counts of documented cases, a floor. The filters and the partial-date rule are the
    CLI's."""
    from exiledb.analysis import stored
    from exiledb.analysis.filters import FilterError, Filters

    _public_dates(request)
    who = persona(request)
    try:
        chosen = Filters.parse(**filters.dict())
    except FilterError as exc:
        raise errors.ApiError(
            422, str(exc), [errors.field(f"query.{exc.option}", exc.message)]
        ) from None
    return stored.figures(chosen, None if who.public else who.user)


# --- writes ----------------------------------------------------------------------------------

WRITE_ERRORS = {k: v for k, v in ERRORS.items() if k in (400, 401, 403, 404, 409, 422, 429)}
RecordBody = Body(..., description="A record of the interchange format (docs/interchange.md).")


def _writer(kind: str, label: str) -> None:
    @routes.post(
        f"/{kind}",
        auth=WRITE_AUTH,
        response={201: schemas.Written, **WRITE_ERRORS},
        summary=f"Create {label}",
        tags=[kind],
        operation_id=f"create_{kind}",
    )
    def create(request: HttpRequest, record: dict[str, Any] = RecordBody) -> Any:
        return Status(201, write.create(kind, record, persona(request), request))

    @routes.patch(
        f"/{kind}/{{pk}}",
        auth=WRITE_AUTH,
        response={200: schemas.Written, **WRITE_ERRORS},
        summary=f"Change {label}",
        tags=[kind],
        operation_id=f"update_{kind}",
    )
    def update(request: HttpRequest, pk: uuid.UUID, record: dict[str, Any] = RecordBody) -> Any:
        return write.update(kind, pk, record, persona(request), request)


for _kind, _label in (
    ("incidents", "an incident (as a draft)"),
    ("persons", "a person"),
    ("sources", "a source"),
    ("organizations", "an organisation"),
    ("relationships", "a relationship"),
):
    _writer(_kind, _label)


@routes.post(
    "/incidents/{pk}/status",
    auth=WRITE_AUTH,
    response={200: schemas.Written, **WRITE_ERRORS},
    summary="Move an incident through review",
    tags=["incidents"],
)
def set_status(request: HttpRequest, pk: uuid.UUID, change: schemas.StatusChange) -> Any:
    """draft -> reviewed (an editor who did not write it) -> published (an editor);
    back to draft. Only published incidents reach the public."""
    return write.set_status(pk, change.status, persona(request), request)


@routes.post(
    "/incidents/{pk}/publish",
    auth=WRITE_AUTH,
    response={200: schemas.Written, **WRITE_ERRORS},
    summary="Publish a reviewed incident",
    tags=["incidents"],
)
def publish(request: HttpRequest, pk: uuid.UUID) -> Any:
    """The same as a status change to `published` (editors and admins)."""
    return write.set_status(pk, policy.PUBLISHED, persona(request), request)


api.add_router("/", routes)

"""Writes through the API: the importer's own checks and writer, one record at a time.

A body is a record of the interchange format (docs/interchange.md), checked by
`ingest.schema` and written by `ingest.writer.apply` exactly as an import would write it, with
its edit-history row and the public index kept in step. Incidents arrive as drafts; their
review status moves only through the status endpoint, under the review workflow's rules
(`access.policy.status_refusal`).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest

from exiledb.access import audit, policy
from exiledb.cases.models import Incident
from exiledb.ingest import serialize, writer
from exiledb.ingest.base import Batch, ImportFailed, ImportProblem, record_uuid
from exiledb.ingest.schema import FIELDS, add_record, normalise
from exiledb.vocab import codebook

from . import records
from .auth import Persona
from .errors import ApiError, field

BODY = "body"


def _problems(problems: list[ImportProblem]) -> ApiError:
    fields = []
    for p in problems:
        location = p.location.split(": ", 1)[-1] if p.location else ""
        fields.append(field(f"body.{location}" if location else "body", p.message))
    return ApiError(
        422, "The record was not stored: " + "; ".join(f["message"] for f in fields), fields
    )


def _check_body(kind: str, body: Any, persona: Persona) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(
            422, "The body must be a JSON object: one record.", [field("body", "not an object")]
        )
    known = {name for name, _ in FIELDS[kind]}
    unknown = sorted(set(body) - known)
    if unknown:
        raise ApiError(
            422,
            f"Unknown field(s): {', '.join(unknown)}.",
            [field(f"body.{name}", f"not a field of {kind}") for name in unknown],
        )
    hidden = (
        set(policy.CONFIDENTIAL_FIELDS.get(kind, ()))
        if not policy.may_see_confidential(persona.user)
        else set()
    )
    if hidden & set(body):
        raise ApiError(
            403,
            "Your role may not write confidential fields.",
            [field(f"body.{name}", "confidential field") for name in sorted(hidden & set(body))],
        )
    if body.get("visibility") == "confidential" and not policy.may_see_confidential(persona.user):
        raise ApiError(
            403,
            "Your role may not make a record confidential: you could not read it afterwards.",
            [field("body.visibility", "confidential needs clearance")],
        )
    if kind == "incidents" and "review_status" in body:
        raise ApiError(
            422,
            "The review status changes only through POST /api/v1/incidents/{id}/status.",
            [field("body.review_status", "set by the review workflow, not by writes")],
        )
    return body


def _write(
    kind: str, raw: dict[str, Any], persona: Persona, request: HttpRequest, reason: str
) -> str:
    batch = Batch(file=BODY)
    add_record(batch, kind, raw, lambda f: (BODY, f), {})
    if batch.problems:
        raise _problems(batch.problems)
    rec = batch.records[kind][0]
    try:
        writer.apply(batch, user=persona.user, reason=reason)
    except ImportFailed as exc:
        raise _problems(exc.problems) from None
    return str(rec["id"])


def create(kind: str, body: Any, persona: Persona, request: HttpRequest) -> dict[str, Any]:
    persona.require_write()
    raw = dict(_check_body(kind, body, persona))
    if raw.get("id") not in (None, ""):
        given = record_uuid(kind, str(raw["id"]))
        if records.MODELS[kind].objects.filter(pk=given).exists():
            raise ApiError(
                409,
                f"A {kind[:-1]} with id {given} exists already: change it with PATCH.",
                [field("body.id", "exists already")],
            )
    else:
        raw["id"] = str(uuid.uuid4())  # the API names new records; the answer gives the id
    if kind == "incidents":
        raw["review_status"] = policy.DRAFT
    pk = _write(kind, raw, persona, request, f"API: create {kind[:-1]}")
    obj = records.MODELS[kind].objects.get(pk=pk)
    audit.record(
        persona.user, "api_write", obj, request=request, event="create", token=_token(persona)
    )
    return _written(kind, pk, persona, created=True)


def update(
    kind: str, pk: uuid.UUID, body: Any, persona: Persona, request: HttpRequest
) -> dict[str, Any]:
    persona.require_write()
    if not records.visible_queryset(kind, persona).filter(pk=pk).exists():
        raise ApiError(404, f"No such {kind[:-1]}.")
    changes = dict(_check_body(kind, body, persona))
    if "id" in changes and record_uuid(kind, str(changes["id"])) != pk:
        raise ApiError(
            422,
            "The id in the body differs from the URL's.",
            [field("body.id", "must match the URL")],
        )
    current = serialize.records_by_id(kind, [str(pk)])[str(pk)]
    merged = {**current, **changes, "id": str(pk)}
    if kind == "incidents":
        canonical, _, _ = normalise(kind, merged)  # compared in the form the writer stores
        content = {k: v for k, v in (canonical or merged).items() if k != "review_status"}
        before = {k: v for k, v in current.items() if k != "review_status"}
        if current["review_status"] != policy.DRAFT and content != before:
            # As in the editor: a changed reviewed or published incident needs a new review.
            merged["review_status"] = policy.DRAFT
    _write(kind, merged, persona, request, f"API: change {kind[:-1]}")
    obj = records.MODELS[kind].objects.get(pk=pk)
    audit.record(
        persona.user,
        "api_write",
        obj,
        request=request,
        event="update",
        fields=sorted(changes),
        token=_token(persona),
    )
    return _written(kind, str(pk), persona, created=False)


def set_status(pk: uuid.UUID, new: str, persona: Persona, request: HttpRequest) -> dict[str, Any]:
    from exiledb.editor.review import set_status as move

    persona.require_write()
    incident = policy.visible(Incident.objects.all(), persona.user).filter(pk=pk).first()
    if incident is None:
        raise ApiError(404, "No such incident.")
    if new not in codebook.REVIEW_STATUS:
        raise ApiError(
            422,
            f"Unknown review status '{new}'.",
            [
                field(
                    "body.status", f"use one of {', '.join(c.code for c in codebook.REVIEW_STATUS)}"
                )
            ],
        )
    role = persona.role
    needed = {
        policy.REVIEWED: policy.REVIEWING_ROLES,
        policy.PUBLISHED: policy.PUBLISHING_ROLES,
    }.get(new)
    if incident.review_status == policy.PUBLISHED and new == policy.DRAFT:
        needed = policy.PUBLISHING_ROLES
    forbidden = needed is not None and role not in needed
    if new == policy.REVIEWED and not forbidden:
        forbidden = persona.user.pk in policy.draft_authors([incident])[incident.pk]
    refusal = move(None, request, incident, new)
    if refusal is not None:
        # Who may not do this at all: 403; a state the incident is not in: 409.
        raise ApiError(
            403 if forbidden else 409, str(refusal), [field("body.status", str(refusal))]
        )
    return _written("incidents", str(pk), persona, created=False)


def _token(persona: Persona) -> int | None:
    return persona.token.pk if persona.token else None


def _written(kind: str, pk: str, persona: Persona, created: bool) -> dict[str, Any]:
    rec = records.detail(kind, uuid.UUID(pk), persona)
    return {
        "id": pk,
        "created": created,
        "review_status": rec.get("review_status"),
        "record": rec,
    }

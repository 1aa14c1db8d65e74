"""Honouring a removal request: the person leaves all public output, the trail stays."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from exiledb.cases.models import Person

from . import audit
from .models import RemovalRequest


def redact(
    person: Person,
    user: Any,
    *,
    request: RemovalRequest | None = None,
    note: str = "",
    http_request: Any = None,
    username: str = "",
) -> RemovalRequest:
    """Mark the person redacted and the request honoured (creating one if none is given).

    Public pages, the API, public exports and future editions all read through the access
    policy's Publication, which leaves redacted persons out and withholds their names from
    public text. The internal record, its history and the request are kept.
    """
    with transaction.atomic():
        person.redacted = True
        person.save()
        if request is None:
            request = RemovalRequest.objects.create(
                person=person, kind="removal", received=timezone.now().date(), details=note
            )
        request.status = "honoured"
        request.decided_at = timezone.now()
        request.decided_by = user if getattr(user, "pk", None) else None
        request.save()
        audit.record(
            user,
            "redact",
            person,
            request=http_request,
            username=username,
            removal_request=str(request.pk),
        )
    return request

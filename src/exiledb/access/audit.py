"""The audit log: who read which restricted or confidential record, who exported what.

Events are appended to a hash chain: each event's hash covers its content and the previous
event's hash, so changing, inserting or deleting an event breaks every hash after it, and
`exiledb audit verify` reports the first broken link. Appends are serialised by locking the
chain's last event, so concurrent requests cannot fork it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import AuditEvent

GENESIS = "0" * 64


def _client(request: Any) -> str:
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))


def record(
    user: Any,
    action: str,
    obj: Any = None,
    *,
    audience: str = "",
    request: Any = None,
    **detail: Any,
) -> AuditEvent:
    """Append one event to the chain."""
    if request is not None and "address" not in detail:
        detail["address"] = _client(request)
    authenticated = getattr(user, "is_authenticated", False)
    with transaction.atomic():
        last = AuditEvent.objects.select_for_update().order_by("-seq").first()
        event = AuditEvent(
            at=timezone.now().replace(microsecond=0),
            user=user if authenticated else None,
            username=getattr(user, "username", "") if authenticated else detail.pop("username", ""),
            action=action,
            object_type=obj._meta.model_name if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            visibility=getattr(obj, "visibility", "") if obj is not None else "",
            audience=audience,
            detail=detail,
            prev_hash=last.hash if last else GENESIS,
        )
        event.save()  # assigns seq, which the hash covers
        event.hash = event.compute_hash()
        event.save(update_fields=["hash"])
    return event


@dataclass
class Verification:
    ok: bool
    checked: int
    first_bad: int | None = None
    reason: str = ""
    head: str = GENESIS  # hash of the last event: note it elsewhere to detect truncation


def verify() -> Verification:
    """Walk the chain from the start; report the first event whose hash does not hold."""
    prev = GENESIS
    checked = 0
    expected_seq = None
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.prev_hash != prev:
            why = "an event before it was changed, removed or inserted"
            return Verification(False, checked, event.seq, why)
        if event.compute_hash() != event.hash:
            return Verification(False, checked, event.seq, "its content was changed")
        if expected_seq is not None and event.seq != expected_seq:
            return Verification(
                False, checked, event.seq, f"events {expected_seq} to {event.seq - 1} are missing"
            )
        expected_seq = event.seq + 1
        prev = event.hash
        checked += 1
    return Verification(True, checked, head=prev)


def audited_read(request: Any, obj: Any) -> None:
    """Log a staff read of a record that is not public (public ones need no trail)."""
    if getattr(obj, "visibility", "public") != "public":
        record(request.user, "view", obj, request=request)

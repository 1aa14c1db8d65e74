"""What editors decide about duplicates: pairs that are not duplicates, and merges.

Both keep the records' UUIDs rather than foreign keys: a decision about a pair must survive
one of the records being merged away and brought back by an undo.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

KINDS = (("person", "person"), ("incident", "incident"))


def ordered(a: Any, b: Any) -> tuple[uuid.UUID, uuid.UUID]:
    """A pair in one canonical order, so (A, B) and (B, A) are the same decision."""
    first, second = uuid.UUID(str(a)), uuid.UUID(str(b))
    return (first, second) if str(first) < str(second) else (second, first)


class NotDuplicate(models.Model):
    """An editor's decision that two records are different persons (or different incidents):
    the pair is never proposed as a duplicate again."""

    kind = models.CharField(max_length=8, choices=KINDS, help_text="Persons or incidents.")
    first = models.UUIDField(help_text="The record with the smaller UUID of the pair.")
    second = models.UUIDField(help_text="The record with the larger UUID of the pair.")
    decided_at = models.DateTimeField(auto_now_add=True, help_text="When it was decided.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,  # the decision stands if the account goes
        related_name="+",
        help_text="Who decided (empty: the command line).",
    )
    username = models.CharField(
        max_length=150, blank=True, default="", help_text="Who decided, as a name."
    )
    note = models.CharField(max_length=500, blank=True, default="", help_text="Why, if said.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "first", "second"], name="unique_not_duplicate")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.first} is not {self.second}"


class Merge(models.Model):
    """One merge: record B absorbed into record A, with everything it moved, so that it can be
    undone exactly (`moved` is the plan of the undo: B's row, the rows re-pointed from B to A,
    the rows deleted as duplicates, the rows added and A's fields before the merge)."""

    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, help_text="Names the merge."
    )
    kind = models.CharField(max_length=8, choices=KINDS, help_text="Persons or incidents.")
    kept = models.UUIDField(help_text="Record A, which stays.")
    absorbed = models.UUIDField(help_text="Record B, which was removed into A.")
    kept_label = models.CharField(max_length=300, help_text="A's name or title at the merge.")
    absorbed_label = models.CharField(max_length=300, help_text="B's name or title at the merge.")
    merged_at = models.DateTimeField(auto_now_add=True, help_text="When it was merged.")
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,  # the record of the merge stands if the account goes
        related_name="+",
        help_text="Who merged (empty: the command line).",
    )
    username = models.CharField(max_length=150, blank=True, default="", help_text="Who merged.")
    moved = models.JSONField(default=dict, help_text="What the merge changed (the undo's plan).")
    undone_at = models.DateTimeField(null=True, blank=True, help_text="When it was undone.")
    undone_by = models.CharField(
        max_length=150, blank=True, default="", help_text="Who undid it, as a name."
    )

    class Meta:
        ordering = ["-merged_at"]
        indexes = [models.Index(fields=["kind", "merged_at"])]

    def __str__(self) -> str:
        return f"{self.absorbed_label} merged into {self.kept_label}"

    @property
    def undone(self) -> bool:
        return self.undone_at is not None

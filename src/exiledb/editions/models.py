"""The Edition: a dated, citable, frozen copy of the data, as readers cite it.

An edition is written once by `exiledb edition create` and never changed: the model refuses
updates and deletions (through instances and querysets alike), its files are read-only, and
`exiledb edition verify` re-hashes them against the manifest stored here.
"""

from __future__ import annotations

from typing import Any

from django.db import models


class ImmutableEdition(Exception):
    """Raised on any attempt to change or delete an edition after it was created."""


class EditionQuerySet(models.QuerySet["Edition"]):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableEdition("editions are immutable: create a new edition instead")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableEdition("editions are immutable and are never deleted")


class Edition(models.Model):
    """A published, citable snapshot: public and internal data packages, the figures, and a
    content hash over the files. Readers cite it by name, date and hash."""

    name = models.SlugField(
        max_length=64,
        unique=True,
        help_text="The edition's citable name: lowercase letters, digits, '-' and '_' "
        "(e.g. 2026-11). Used in URLs and citations.",
    )
    created_at = models.DateTimeField(help_text="When the data was frozen (UTC).")
    note = models.TextField(blank=True, default="", help_text="What this edition is, in a line.")
    content_hash = models.CharField(
        max_length=64,
        help_text="SHA-256 of the edition's manifest: the sha256sum line of every file, "
        "sorted by path (see docs/editions.md to recompute it).",
    )
    files = models.JSONField(
        default=dict, help_text="Manifest: relative path of every file -> its SHA-256."
    )
    figures = models.JSONField(
        default=dict,
        help_text="The statistics at creation, {'public': ..., 'internal': ...} "
        "(exiledb.analysis.stats.compute).",
    )
    codebook = models.CharField(max_length=20, help_text="The codebook version of the data.")
    counts = models.JSONField(
        default=dict, help_text="Records per table, {'public': {...}, 'internal': {...}}."
    )
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        # PROTECT: an edition's change log is against its predecessor, which must stay.
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The edition before this one, whose public package the change log compares.",
    )
    changes = models.JSONField(
        default=dict,
        help_text="Public change log summary against the previous edition: "
        "{record type: {'added': n, 'changed': n, 'removed': n}}.",
    )
    storage = models.CharField(
        max_length=200, help_text="The edition's folder, relative to EXILEDB_DATA_DIR."
    )
    created_by = models.CharField(
        max_length=150, blank=True, default="", help_text="Who created it (e.g. cli:USER)."
    )

    objects = EditionQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableEdition(f"edition '{self.name}' is immutable: create a new one instead")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableEdition(f"edition '{self.name}' is immutable and is never deleted")

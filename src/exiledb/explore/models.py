"""The public index: what the public may know of each published incident, ready to filter.

Rows are written only by exiledb.explore.index, from the access policy's Publication: titles,
places and search text are the public (scrubbed) forms, and an incident the public may not see
has no row. Nothing here is edited by hand, and nothing here is exported.
"""

from __future__ import annotations

from django.db import models


class Entry(models.Model):
    """One published incident: its facets, what a list shows of it, and its search text."""

    id = models.BigAutoField(primary_key=True)  # the full-text index's integer row id
    incident_id = models.UUIDField(unique=True)
    title = models.CharField(max_length=300)
    date = models.CharField(max_length=10, blank=True, default="")
    date_end = models.CharField(max_length=10, blank=True, default="")
    date_earliest = models.DateField(null=True)
    year = models.PositiveSmallIntegerField(null=True)
    stage = models.PositiveSmallIntegerField(null=True)
    kind = models.CharField(max_length=6)  # "abroad" or "proxy"
    country = models.CharField(max_length=2)  # where it happened
    host = models.CharField(max_length=2, blank=True, default="")  # abroad only
    origin = models.CharField(max_length=2)
    place = models.CharField(max_length=200, blank=True, default="")
    region = models.CharField(max_length=200, blank=True, default="")
    place_precision = models.CharField(max_length=8)
    confidence = models.CharField(max_length=10)
    outcome = models.CharField(max_length=20)
    # Folded words (lower case, no accents) of the public text: see exiledb.explore.text.
    text = models.TextField(blank=True, default="")
    # The whole public record (Publication.transform's output) as JSON text: what the API
    # serves for the public, read with the row instead of rebuilt per request.
    record = models.TextField(blank=True, default="")

    class Meta:
        indexes = [
            # The list's order, covering every single-valued facet: the facet bitmaps
            # (exiledb.explore.bitmaps) are read from this index alone, never from the rows
            # with their long text and record.
            models.Index(
                fields=[
                    "date_earliest",
                    "id",
                    "stage",
                    "kind",
                    "host",
                    "origin",
                    "year",
                    "confidence",
                    "outcome",
                ],
                name="explore_entry_listing",
            ),
            models.Index(fields=["stage"]),
            models.Index(fields=["year"]),
            models.Index(fields=["kind"]),
            models.Index(fields=["host"]),
            models.Index(fields=["origin"]),
            models.Index(fields=["confidence"]),
            models.Index(fields=["outcome"]),
            models.Index(fields=["kind", "country", "origin"]),  # the map's one GROUP BY
        ]

    def __str__(self) -> str:
        return f"{self.date or 'n.d.'} {self.title}"


class EntryValue(models.Model):
    """A value of a facet an incident can have several of: its tactics, its people's
    exile categories."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="values")
    facet = models.CharField(max_length=10)
    value = models.CharField(max_length=40)

    class Meta:
        indexes = [models.Index(fields=["facet", "value", "entry"])]
        constraints = [
            models.UniqueConstraint(fields=["entry", "facet", "value"], name="entry_value_once")
        ]

    def __str__(self) -> str:
        return f"{self.facet}={self.value}"


class Pending(models.Model):
    """An incident whose public row must be rewritten before the index is read again: queued
    in the same transaction as the change that calls for it (see exiledb.explore.signals)."""

    incident_id = models.UUIDField(primary_key=True)

    def __str__(self) -> str:
        return str(self.incident_id)


class State(models.Model):
    """One row: whether the index has ever been built, and a generation number that changes
    with every write (the key of cached facet counts)."""

    built = models.BooleanField(default=False)
    generation = models.PositiveBigIntegerField(default=0)
    built_at = models.DateTimeField(null=True)
    # When the public index last changed (a rebuild or a refresh): the API's Last-Modified.
    changed_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"generation {self.generation}"

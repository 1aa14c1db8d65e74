"""Figures kept between requests: one row per audience and set of filters, valid for one
generation of the data (exiledb.analysis.stored)."""

from __future__ import annotations

from django.db import models


class Figures(models.Model):
    """The statistics as computed for one audience and filters at one data generation. A row
    whose generation is not the current one is never read; the next computation replaces it."""

    key = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 of the audience and the filters."
    )
    audience = models.CharField(
        max_length=40, help_text="Who the figures are for: public, internal, or a staff role."
    )
    filters = models.JSONField(default=dict, help_text="The filters, as Filters.as_dict().")
    generation = models.CharField(
        max_length=80, help_text="The data generation they were computed at."
    )
    # JSON as text, not a JSONField: PostgreSQL's jsonb reorders object keys, and the figures'
    # order (largest first) is part of what they say.
    figures = models.TextField(help_text="What exiledb.analysis.stats.compute returned, as JSON.")
    computed_at = models.DateTimeField()
    seconds = models.FloatField(help_text="How long computing them took.")
    counting_since = models.DateTimeField(
        null=True, help_text="When a process began counting their successor in the background."
    )

    class Meta:
        verbose_name_plural = "figures"

    def __str__(self) -> str:
        return f"{self.audience} figures at generation {self.generation}"

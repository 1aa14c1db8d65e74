"""Persons found by any spelling of their name, among a queryset: the editor's person search
and autocompletes, and the API's `/persons?q=` (exiledb.names.contains does the matching)."""

from __future__ import annotations

from itertools import chain
from typing import Any

from django.db.models import QuerySet

from exiledb.cases.models import Name

from . import contains, tokens


def spelled_like(persons: QuerySet[Any], term: str) -> list[Any]:
    """The ids of the persons among `persons` whose display name or a recorded spelling is a
    spelling of the search. Reads every spelling of those persons: fine for some tens of
    thousands of persons; a stored key column would serve more."""
    if sum(len(w) for w in tokens(term)) < 3:
        return []
    found: set[Any] = set()
    for pk, value in chain(
        # a descriptive display name ("daughter of ...") names someone else: not a spelling
        persons.filter(name_known=True).values_list("pk", "display_name"),
        Name.objects.filter(person__in=persons).values_list("person_id", "value"),
    ):
        if pk not in found and contains(value, term):
            found.add(pk)
    return list(found)

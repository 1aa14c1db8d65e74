"""The access policy: what each reader may see. Every output reads through this module.

This first version knows two audiences: the public (anonymous readers, who see only published
incidents marked public) and signed-in staff. Field-level rules, pseudonymisation and audit of
reads build on these functions rather than beside them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from exiledb.cases.models import Incident

from .roles import role_of


def is_staff_reader(user: Any) -> bool:
    return role_of(user) is not None


def visible_incidents(user: Any = None) -> QuerySet[Incident]:
    """Incidents the user may see: published public ones for the public, all for staff."""
    qs = Incident.objects.all()
    if user is not None and is_staff_reader(user):
        return qs
    return qs.filter(review_status="published", visibility="public")

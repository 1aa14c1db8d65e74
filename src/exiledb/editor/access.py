"""What each role may do in the editor, beyond Django's model permissions.

Model permissions come from the role groups (exiledb.access.roles). This module adds the rules
that permissions cannot express: publishing, deleting, and which fields are confidential. It is
kept small and free of admin code so the access policy (exiledb.access.policy) can take it over.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from exiledb.access.roles import role_of
from exiledb.cases.models import Incident, Person

# Fields that hold material about informants and families: never shown to viewers and coders.
CONFIDENTIAL_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Person: ("contact_details", "confidential_notes"),
    Incident: ("confidential_notes",),
}
CLEARED_ROLES = frozenset({"editor", "admin"})
PUBLISHING_ROLES = frozenset({"editor", "admin"})
DELETING_ROLES = frozenset({"editor", "admin"})

_CACHE = "_exiledb_editor_role"


def editor_role(user: Any) -> str | None:
    """The user's role, looked up once per request (admin pages ask dozens of times)."""
    if user is None:
        return None
    if not hasattr(user, _CACHE):
        setattr(user, _CACHE, role_of(user))
    role: str | None = getattr(user, _CACHE)
    return role


def has_role(user: Any) -> bool:
    """Staff accounts without a role get no access to the editor."""
    return editor_role(user) is not None


def may_publish(user: Any) -> bool:
    return editor_role(user) in PUBLISHING_ROLES


def may_delete(user: Any) -> bool:
    return editor_role(user) in DELETING_ROLES


def may_see_confidential(user: Any) -> bool:
    return editor_role(user) in CLEARED_ROLES


def hidden_fields(model: type[models.Model], user: Any) -> tuple[str, ...]:
    """The confidential fields of `model` that `user` may not see (empty when cleared)."""
    if may_see_confidential(user):
        return ()
    return CONFIDENTIAL_FIELDS.get(model, ())

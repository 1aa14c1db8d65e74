"""Roles: admin, editor, coder, viewer. Each is a Django group with model permissions.

- viewer reads restricted records in the editor;
- coder drafts: adds and changes records, cannot delete or publish;
- editor reviews and publishes, may delete;
- admin manages users and everything else (superuser).
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

ROLES = ("admin", "editor", "coder", "viewer")
ROLE_HELP = {
    "admin": "manages accounts and everything else",
    "editor": "reviews, publishes and deletes records",
    "coder": "codes cases: adds and changes drafts",
    "viewer": "reads restricted records, changes nothing",
}
_ACTIONS = {
    "viewer": ("view",),
    "coder": ("view", "add", "change"),
    "editor": ("view", "add", "change", "delete"),
    "admin": ("view", "add", "change", "delete"),
}
_APPS = ("cases",)


def ensure_groups() -> dict[str, Group]:
    """Create or refresh the role groups and their permissions (idempotent)."""
    groups = {}
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        perms = list(
            Permission.objects.filter(
                content_type__app_label__in=_APPS,
                codename__regex=r"^({})_".format("|".join(_ACTIONS[role])),
            )
        )
        if role in ("editor", "admin"):
            # editors handle removal requests and are cleared for confidential material
            perms += Permission.objects.filter(
                content_type__app_label="access",
                codename__in=[
                    "view_removalrequest",
                    "add_removalrequest",
                    "change_removalrequest",
                    "view_confidential",
                ],
            )
        group.permissions.set(perms)
        groups[role] = group
    return groups


def role_of(user) -> str | None:  # type: ignore[no-untyped-def]
    """The highest role a user holds, or None for anonymous readers."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return "admin"
    names = set(user.groups.values_list("name", flat=True))
    for role in ROLES:
        if role in names:
            return role
    return None

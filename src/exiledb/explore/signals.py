"""Queue the incidents whose public row a change may alter, in the change's own transaction.

Any save or delete of a case record (through the editor, the ORM, a redaction) queues the
published incidents it can reach: an incident's own rows; a person's incidents (names,
pseudonyms and withheld spellings change with them); both ends of a relationship; the incidents
citing a source or perpetrated by an organisation. The index rewrites them before it is read
next (exiledb.explore.index.fresh). Bulk imports bypass signals and rebuild the index
themselves (exiledb.ingest.writer).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save


def _incidents_of_persons(person_ids: Iterable[Any]) -> set[Any]:
    from exiledb.cases.models import Involvement

    ids = [p for p in person_ids if p is not None]
    if not ids:
        return set()
    return set(
        Involvement.objects.filter(Q(person__in=ids) | Q(linked_exile__in=ids)).values_list(
            "incident_id", flat=True
        )
    )


def affected(instance: Any) -> set[Any]:
    """The incidents whose public form may change when `instance` changes."""
    from exiledb.cases import models as m

    if isinstance(instance, m.Incident):
        return {instance.pk}
    if isinstance(instance, (m.IncidentTactic, m.Involvement)):
        return {instance.incident_id}
    if isinstance(instance, m.Citation):
        if instance.incident_id:
            return {instance.incident_id}
        return _incidents_of_persons([instance.person_id])
    if isinstance(instance, m.Person):
        return _incidents_of_persons([instance.pk])
    if isinstance(instance, (m.Name, m.PersonCategory, m.Residence, m.Affiliation)):
        return _incidents_of_persons([instance.person_id])
    if isinstance(instance, m.Relationship):
        return _incidents_of_persons([instance.person_id, instance.other_id])
    if isinstance(instance, m.Source):
        return set(
            m.Citation.objects.filter(source=instance.pk, incident__isnull=False).values_list(
                "incident_id", flat=True
            )
        )
    if isinstance(instance, m.Organization):
        return set(m.Incident.objects.filter(perpetrators=instance.pk).values_list("pk", flat=True))
    if isinstance(instance, m.Designation):
        return set(
            m.Incident.objects.filter(perpetrators=instance.organization_id).values_list(
                "pk", flat=True
            )
        )
    return set()


def queue(incident_ids: Iterable[Any]) -> None:
    from .models import Pending

    rows = [Pending(incident_id=pk) for pk in incident_ids if pk is not None]
    if rows:
        Pending.objects.bulk_create(rows, ignore_conflicts=True)


def _changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    queue(affected(instance))


def _perpetrators_changed(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    from exiledb.cases.models import Incident

    if not action.startswith("post_"):
        return
    if isinstance(instance, Incident):
        queue([instance.pk])
    else:  # changed from the organisation's side
        queue(kwargs.get("pk_set") or [])


def connect() -> None:
    from exiledb.cases import models as m

    for model in (
        m.Incident,
        m.IncidentTactic,
        m.Involvement,
        m.Citation,
        m.Person,
        m.Name,
        m.PersonCategory,
        m.Residence,
        m.Affiliation,
        m.Relationship,
        m.Source,
        m.Organization,
        m.Designation,
    ):
        post_save.connect(_changed, sender=model, dispatch_uid=f"explore-save-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"explore-del-{model.__name__}")
    m2m_changed.connect(
        _perpetrators_changed,
        sender=m.Incident.perpetrators.through,
        dispatch_uid="explore-perpetrators",
    )

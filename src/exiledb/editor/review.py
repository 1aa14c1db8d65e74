"""The review workflow in the editor: status changes, the review queue and the index panel.

Who may move an incident where is decided by the access policy (`status_refusal`); this module
only carries out what the policy allows, writes it to the history and the audit log, and shows
it. Status changes are their own step (buttons on the incident's page, actions on the list, the
queue): the incident form shows the status but does not take it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from exiledb.access import audit
from exiledb.access.policy import (
    DRAFT,
    PUBLISHED,
    REVIEWED,
    STATUS_REASON,
    allowed_statuses,
    authors_from_history,
    effective_role,
    may_publish,
    may_review,
    status_refusal,
    visible,
)
from exiledb.cases import rules
from exiledb.cases.models import Incident

QUEUE_LIMIT = 200  # rows per section; the incident list, filtered, has the rest

BUTTONS = {
    REVIEWED: gettext_noop("Mark reviewed"),
    PUBLISHED: gettext_noop("Publish"),
    DRAFT: gettext_noop("Return to draft"),
}
DONE = {
    REVIEWED: gettext_noop("Marked reviewed. An editor or admin can publish it now."),
    PUBLISHED: gettext_noop("Published: it is on the public site now."),
    DRAFT: gettext_noop("Returned to draft. It needs a review again before it is published."),
}


# --- changing the status -------------------------------------------------------------------


def publish_problems(incident: Incident) -> str | None:
    """The rules a published incident must meet (a citation; a proxy incident's linked
    relative), checked on the stored rows."""
    involvements = list(incident.involvements.values("person", "role", "linked_exile"))
    citations = list(incident.citations.values("source"))
    problems = rules.incident_link_problems(incident.is_proxy, involvements, PUBLISHED, citations)
    if not problems:
        return None
    return _("It cannot be published yet: %(problems)s.") % {
        "problems": "; ".join(p.message for p in problems)
    }


def record_status(request: HttpRequest, incident: Incident, old: str, new: str, why: str) -> None:
    """Every status change goes to the audit log (the history row is the caller's save)."""
    audit.record(request.user, "status", incident, request=request, old=old, new=new, why=why)


def set_status(model_admin: Any, request: HttpRequest, incident: Incident, new: str) -> str | None:
    """Move `incident` to `new` if the policy allows it; the refusal otherwise.

    The row is locked and the policy asked again inside the transaction, so two reviewers
    clicking at once cannot both act on a status that is no longer there."""
    with transaction.atomic():
        locked = Incident.objects.select_for_update().filter(pk=incident.pk).first()
        if locked is None:
            return _("No such incident.")
        refusal = status_refusal(request.user, locked, new)
        if refusal is None and new == PUBLISHED:
            refusal = publish_problems(locked)
        if refusal is not None:
            return refusal
        old = locked.review_status
        locked.review_status = new
        locked._change_reason = STATUS_REASON + new  # type: ignore[attr-defined]
        locked._history_user = request.user  # type: ignore[attr-defined]
        locked.save()
        record_status(request, locked, old, new, "status change")
        if model_admin is not None:  # the API has no admin log
            model_admin.log_change(request, locked, _(BUTTONS[new]))
    incident.review_status = new
    return None


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(default)


def status_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """POST status=reviewed|published|draft: the buttons on the incident page and the queue."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    obj = model_admin.get_object(request, object_id)
    if obj is None:  # hidden or missing: answered alike, as the change page does
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    new = request.POST.get("status", "")
    refusal = set_status(model_admin, request, obj, new)
    if refusal is not None:
        messages.error(request, refusal)
    else:
        messages.success(request, _(DONE[new]))
    return _back(request, reverse("admin:cases_incident_change", args=[obj.pk]))


def bulk_status(model_admin: Any, request: HttpRequest, queryset: Any, new: str) -> None:
    """The list's actions: each incident asked of the policy on its own."""
    done, refused = 0, []
    for incident in queryset:
        refusal = set_status(model_admin, request, incident, new)
        if refusal is None:
            done += 1
        else:
            refused.append(f"{incident.title}: {refusal}")
    if done:
        messages.success(
            request,
            _("%(action)s: %(count)d incident(s).") % {"action": _(BUTTONS[new]), "count": done},
        )
    for line in refused:
        messages.error(request, line)


# --- who wrote what: the history rows of many incidents at once ------------------------------


@dataclass
class Entry:
    """An incident as the queue and the review panel show it."""

    incident: Incident
    authors: set[Any] = field(default_factory=set)
    author_names: list[str] = field(default_factory=list)
    last_when: datetime | None = None
    last_who: str = ""
    reviewer: str = ""
    reviewed_when: datetime | None = None
    yours: bool = False
    actions: list[tuple[str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return reverse("admin:cases_incident_change", args=[self.incident.pk])

    @property
    def history_url(self) -> str:
        return reverse("admin:cases_incident_history", args=[self.incident.pk])

    @property
    def status_url(self) -> str:
        return reverse("admin:cases_incident_status", args=[self.incident.pk])


def _name(user_id: Any, names: dict[Any, str]) -> str:
    if user_id is None:
        return _("an import or the command line")
    return names.get(user_id, "?")


def entries(user: Any, incidents: list[Incident]) -> list[Entry]:
    """Authors, last change, reviewer and the buttons this user may press, for each incident."""
    rows: dict[Any, list[Any]] = defaultdict(list)
    ids = [i.pk for i in incidents]
    history: Any = Incident.history  # type: ignore[attr-defined]
    for start in range(0, len(ids), 500):
        for row in history.filter(id__in=ids[start : start + 500]).order_by("-history_date"):
            rows[row.id].append(row)
    user_ids = {row.history_user_id for found in rows.values() for row in found}
    names = {
        u.pk: u.get_username() for u in get_user_model().objects.filter(pk__in=user_ids - {None})
    }
    out = []
    for incident in incidents:
        found = rows[incident.pk]
        entry = Entry(incident)
        if incident.review_status == DRAFT:
            entry.authors = authors_from_history(found)
            entry.author_names = sorted({_name(a, names) for a in entry.authors})
            entry.yours = getattr(user, "pk", None) in entry.authors
        if found:
            entry.last_when, entry.last_who = (
                found[0].history_date,
                _name(found[0].history_user_id, names),
            )
        for row in found:
            if row.review_status != REVIEWED:
                break
            entry.reviewer, entry.reviewed_when = (
                _name(row.history_user_id, names),
                row.history_date,
            )
        entry.actions = [
            (code, _(BUTTONS[code])) for code in allowed_statuses(user, incident, entry.authors)
        ]
        out.append(entry)
    return out


# --- the review panel on the incident's page ---------------------------------------------------


def panel(request: HttpRequest, incident: Incident, may_change: bool) -> dict[str, Any]:
    """What the incident's page shows about its review, and the buttons this user may press."""
    entry = entries(request.user, [incident])[0]
    status = incident.review_status
    notes = []
    if status == DRAFT:
        if entry.yours and may_review(request.user):
            notes.append(
                _(
                    "You created or changed this draft since its last review: another editor "
                    "or admin must mark it reviewed."
                )
            )
        elif not may_review(request.user):
            notes.append(_("An editor or admin who did not write it marks it reviewed."))
    elif status == REVIEWED:
        if not may_publish(request.user):
            notes.append(_("An editor or admin publishes it."))
        if may_change:
            notes.append(
                _("Saving a change to its content sends it back to draft, to be reviewed again.")
            )
    elif status == PUBLISHED and may_change:
        notes.append(
            _(
                "Saving a change to its content takes it off the public site: it goes back to "
                "draft until someone else reviews it and it is published again."
            )
        )
    return {"entry": entry, "notes": notes, "status_label": incident.get_review_status_display()}


# --- the queue -----------------------------------------------------------------------------


def queue_view(site: Any, request: HttpRequest) -> TemplateResponse:
    """Drafts awaiting review and reviewed incidents awaiting publication, as far as the
    reader may see them (the policy's `visible`)."""
    user = request.user
    incidents = visible(Incident.objects.all(), user)
    drafts_qs = incidents.filter(review_status=DRAFT).order_by("updated_at")
    reviewed_qs = incidents.filter(review_status=REVIEWED).order_by("updated_at")
    drafts = entries(user, list(drafts_qs[:QUEUE_LIMIT]))
    # the ones this reader can review first, then the others (theirs, or for someone else)
    drafts.sort(key=lambda e: (not any(code == REVIEWED for code, _label in e.actions),))
    reviewed = entries(user, list(reviewed_qs[:QUEUE_LIMIT]))
    changelist = reverse("admin:cases_incident_changelist")
    context = {
        **site.each_context(request),
        "title": _("Review queue"),
        "drafts": drafts,
        "reviewed": reviewed,
        "draft_count": drafts_qs.count(),
        "reviewed_count": reviewed_qs.count(),
        "limit": QUEUE_LIMIT,
        "drafts_url": f"{changelist}?review_status__exact={DRAFT}",
        "reviewed_url": f"{changelist}?review_status__exact={REVIEWED}",
        "may_review": may_review(user),
        "may_publish": may_publish(user),
        "role": effective_role(user),
        "next": request.get_full_path(),
    }
    return TemplateResponse(request, "editor/review_queue.html", context)


def counts(user: Any) -> dict[str, int]:
    """For the index panel: how many incidents wait for review and for publication."""
    incidents = visible(Incident.objects.all(), user)
    return {
        "drafts": incidents.filter(review_status=DRAFT).count(),
        "reviewed": incidents.filter(review_status=REVIEWED).count(),
    }

"""The edit history in words, and restoring an old version.

Every record keeps its history (django-simple-history). This module turns the history rows of
one record into what a coder can read: for each version, who did what and, field by field,
"label: old -> new" with codebook labels instead of codes and dates as they were written. It
also works out which tactics (or exile categories) a record had at each version, from the
history of those rows, and what restoring an old version would change.

What a reader may not see stays out: confidential fields for uncleared roles (the policy's
`hidden_fields`), and whole versions from a time when the record was confidential or pointed at
a record the reader may not see ("sealed" versions: their values are not shown and they cannot
be restored by that reader).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.db import models, transaction
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from simple_history.signals import pre_create_historical_record

from exiledb.access.policy import (
    DRAFT,
    PUBLISHED,
    REVIEWED,
    STATUS_REASON,
    hidden_fields,
    may_see_confidential,
    visible,
)
from exiledb.cases.models import Incident, IncidentTactic, Person, PersonCategory
from exiledb.vocab import codebook

# Columns that say nothing a reader needs: keys, timestamps and what is derived from the date.
SKIPPED = frozenset({"id", "created_at", "updated_at", "date_earliest", "date_latest", "year"})
SKIPPED_DERIVED = frozenset({"date_precision"})


@dataclass(frozen=True)
class CodeRows:
    """Codes a record keeps in rows of their own (an incident's tactics)."""

    name: str  # the related name, which is also the form field
    model: type[models.Model]
    link: str  # the row's key to the record
    code: str  # the row's code column
    vocabulary: codebook.Vocabulary

    def current(self, obj: Any) -> set[str]:
        return {getattr(row, self.code) for row in getattr(obj, self.name).all()}


CODE_ROWS: dict[type[models.Model], CodeRows] = {
    Incident: CodeRows("tactics", IncidentTactic, "incident", "tactic", codebook.TACTICS),
    Person: CodeRows("categories", PersonCategory, "person", "category", codebook.EXILE_CATEGORIES),
}
# Change reasons the editor writes (the history row's history_change_reason).
RESTORE_REASON = "restore: "
SENT_BACK_REASON = "edited: back to draft"
IMPORT_REASON = "import "
FK_NAMES = ("person", "other", "linked_exile", "source", "organization")


@receiver(pre_create_historical_record)
def _history_type_override(sender: Any, instance: Any, history_instance: Any, **_: Any) -> None:
    """The editor writes an incident's history row once its inline rows are saved, by a second
    save; that row is the creation ('+') when the record is new."""
    forced = getattr(instance, "_history_type", None)
    if forced:
        history_instance.history_type = forced


# --- values in words -----------------------------------------------------------------------


def _choice_label(db_field: models.Field[Any, Any], value: Any) -> str | None:
    for code, label in db_field.flatchoices:
        if code == value:
            return str(label)
    return None


def field_text(db_field: models.Field[Any, Any], value: Any, user: Any) -> str:
    """A stored value as a coder would write it: labels for codes, dates as written."""
    if value is None or value == "":
        return ""
    if db_field.name == "stage":
        return codebook.STAGES.label(str(value))
    if isinstance(db_field, models.BooleanField):
        return _("yes") if value else _("no")
    if db_field.is_relation and db_field.related_model is not None:
        related: Any = db_field.related_model
        shown = visible(related._default_manager.filter(pk=value), user).first()
        return str(shown) if shown is not None else _("a record you may not see, or deleted")
    if db_field.choices:
        label = _choice_label(db_field, value)
        if label is not None:
            return label
    return str(value)


def shown_fields(model: type[models.Model], hidden: Iterable[str]) -> list[Any]:
    """The fields a history shows, in the model's order, without the hidden ones."""
    leave_out = SKIPPED | SKIPPED_DERIVED | set(hidden)
    return [f for f in model._meta.concrete_fields if f.name not in leave_out]


def label_of(db_field: Any) -> str:
    name = str(db_field.verbose_name)
    return name[:1].upper() + name[1:]


@dataclass
class Change:
    label: str
    old: str
    new: str

    @property
    def long(self) -> bool:
        """Long text reads better as two blocks than as one line with an arrow."""
        return len(self.old) + len(self.new) > 120 or "\n" in self.old + self.new


def changes_between(
    fields: list[Any], old: Any, new: Any, user: Any, code_field: str = ""
) -> list[Change]:
    """Field by field, what differs between two versions (`old` None: a creation)."""
    out = []
    for db_field in fields:
        after = getattr(new, db_field.attname)
        before = getattr(old, db_field.attname) if old is not None else None
        if old is not None and before == after:
            continue
        if old is None and after in (None, ""):
            continue
        out.append(
            Change(
                label_of(db_field),
                field_text(db_field, before, user) if old is not None else "",
                field_text(db_field, after, user),
            )
        )
    return out


def codes_text(vocabulary: codebook.Vocabulary, codes: Iterable[str]) -> list[str]:
    return [vocabulary.label(c) if c in vocabulary else c for c in sorted(codes)]


# --- sealed versions -----------------------------------------------------------------------


def sealed(model: type[models.Model], row: Any, user: Any, cleared: bool) -> bool:
    """A version this reader may not read: the record was confidential then, or it pointed at
    a record the reader may not see (as `visible` leaves such rows out of the lists)."""
    if cleared:
        return False
    if getattr(row, "visibility", "") == "confidential":
        return True
    for name in FK_NAMES:
        try:
            db_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        value = getattr(row, getattr(db_field, "attname", name), None)
        related: Any = db_field.related_model
        if value is None or related is None:
            continue
        target = related._default_manager.filter(pk=value)
        if target.exists() and not visible(target, user).exists():
            return True
    return False


# --- the versions of one record ------------------------------------------------------------


def rows_of(model: type[models.Model], pk: Any) -> list[Any]:
    """The history rows of one record, newest first."""
    history: Any = model.history  # type: ignore[attr-defined]
    return list(history.filter(id=pk).select_related("history_user").order_by("-history_date"))


def code_sets(
    model: type[models.Model], pk: Any, rows: list[Any], current: set[str]
) -> list[set[str]]:
    """The codes (tactics, categories) the record had at each version in `rows` (newest first).

    Worked backwards from the codes it has now by undoing the code rows' history: a code row
    belongs to the version written at the same moment (the editor and the importer give both
    one time), else to the first version after it. Imports write no history row for the code
    rows they add, so a version before an import may show more codes than it had, never fewer
    than it kept."""
    spec = CODE_ROWS.get(model)
    if spec is None or not rows:
        return [set() for _ in rows]
    child_history: Any = spec.model.history  # type: ignore[attr-defined]
    events = child_history.filter(**{f"{spec.link}_id": pk}).order_by("history_date")
    dates = [row.history_date for row in reversed(rows)]  # oldest first
    by_version: dict[int, list[Any]] = {}
    after_all: list[Any] = []
    for event in events:
        index = bisect.bisect_left(dates, event.history_date)
        if index == len(dates):
            after_all.append(event)
        else:
            by_version.setdefault(index, []).append(event)

    def undo(codes: set[str], undone: list[Any]) -> set[str]:
        codes = set(codes)
        for event in reversed(undone):
            code = getattr(event, spec.code)
            if event.history_type == "+":
                codes.discard(code)
            elif event.history_type == "-":
                codes.add(code)
        return codes

    state = undo(current, after_all)
    out: list[set[str]] = []
    for index in range(len(dates) - 1, -1, -1):  # newest first
        out.append(state)
        state = undo(state, by_version.get(index, []))
    return out


@dataclass
class Version:
    """One version of a record, as the history page shows it."""

    row: Any
    number: int
    when: datetime
    who: str
    what: str
    note: str = ""
    changes: list[Change] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    created: bool = False
    sealed: bool = False
    current: bool = False
    restorable: bool = False

    @property
    def history_id(self) -> Any:
        return self.row.history_id


def readable_time(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def who(row: Any) -> str:
    if row.history_user is not None:
        return str(row.history_user.get_username())
    if (row.history_change_reason or "").startswith(IMPORT_REASON):
        return _("an import")
    return _("no account (the command line)")


STATUS_WORDS = {
    REVIEWED: gettext_noop("Marked reviewed"),
    PUBLISHED: gettext_noop("Published"),
    DRAFT: gettext_noop("Returned to draft"),
}


def what(row: Any) -> tuple[str, str]:
    """What a version was, in words, and a note (the import's file, the restored date)."""
    reason = row.history_change_reason or ""
    if row.history_type == "-":
        return _("Deleted"), ""
    if reason.startswith(IMPORT_REASON):
        verb = _("Created by an import") if row.history_type == "+" else _("Changed by an import")
        return verb, reason[len(IMPORT_REASON) :]
    if row.history_type == "+":
        return _("Created"), ""
    if reason.startswith(STATUS_REASON):
        status = reason[len(STATUS_REASON) :]
        return _(STATUS_WORDS.get(status, gettext_noop("Changed the review status"))), ""
    if reason.startswith(RESTORE_REASON):
        stamp = parse_datetime(reason[len(RESTORE_REASON) :])
        when = readable_time(stamp) if stamp else reason[len(RESTORE_REASON) :]
        return _("Restored an earlier version"), _("the version of %(when)s") % {"when": when}
    if reason == SENT_BACK_REASON:
        return _("Changed, which sent it back to draft"), ""
    return _("Changed"), reason


def versions(
    model: type[models.Model],
    obj: Any,
    rows: list[Any],
    user: Any,
    hidden: Iterable[str],
    cleared: bool,
    shown: slice | None = None,
) -> list[Version]:
    """The versions in `rows` (newest first), those in `shown` (a page) worked out in full."""
    fields = shown_fields(model, hidden)
    spec = CODE_ROWS.get(model)
    codes = code_sets(model, obj.pk, rows, spec.current(obj) if spec else set())
    is_sealed = [sealed(model, row, user, cleared) for row in rows]
    indices = range(len(rows))[shown] if shown is not None else range(len(rows))
    out = []
    for i in indices:
        row = rows[i]
        older = rows[i + 1] if i + 1 < len(rows) else None
        verb, note = what(row)
        version = Version(
            row=row,
            number=len(rows) - i,
            when=row.history_date,
            who=who(row),
            what=verb,
            note=note,
            created=older is None,
            sealed=is_sealed[i] or (older is not None and is_sealed[i + 1]),
            current=i == 0,
        )
        if not version.sealed:
            version.changes = changes_between(fields, older, row, user)
            if spec is not None:
                before = codes[i + 1] if older is not None else set()
                version.added = codes_text(spec.vocabulary, codes[i] - before)
                version.removed = codes_text(spec.vocabulary, before - codes[i])
        version.restorable = not is_sealed[i] and i > 0
        out.append(version)
    return out


def codes_at(model: type[models.Model], obj: Any, rows: list[Any], row: Any) -> list[str] | None:
    """The codes the record had at version `row`, or None for a record without code rows."""
    spec = CODE_ROWS.get(model)
    if spec is None:
        return None
    sets = code_sets(model, obj.pk, rows, spec.current(obj))
    for candidate, codes in zip(rows, sets, strict=True):
        if candidate.history_id == row.history_id:
            return sorted(codes)
    return None


# --- the pages -----------------------------------------------------------------------------

PER_PAGE = 50


def history_page(model_admin: Any, request: HttpRequest, obj: Any) -> TemplateResponse:
    """The history of one record in words, newest first, with a restore link per version for
    readers who may change the record."""
    model = model_admin.model
    user = request.user
    rows = rows_of(model, obj.pk)
    paginator = Paginator(rows, PER_PAGE)
    page = paginator.get_page(request.GET.get("p"))
    start = (page.number - 1) * PER_PAGE
    shown = versions(
        model,
        obj,
        rows,
        user,
        hidden_fields(model, user),
        may_see_confidential(user),
        slice(start, start + PER_PAGE),
    )
    may_restore = bool(model_admin.has_change_permission(request, obj))
    for version in shown:
        version.restorable = version.restorable and may_restore
    opts = model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("History: %(record)s") % {"record": obj},
        "subtitle": None,
        "object": obj,
        "opts": opts,
        "module_name": capfirst(str(opts.verbose_name_plural)),
        "versions": shown,
        "page": page,
        "paginator": paginator,
        "code_label": _(CODE_TITLES[model]) if model in CODE_TITLES else "",
        "may_restore": may_restore,
        "has_status": model is Incident,
    }
    return TemplateResponse(request, "editor/history.html", context)


CODE_TITLES = {Incident: gettext_noop("Tactics"), Person: gettext_noop("Exile categories")}


def restorable_fields(model_admin: Any, request: HttpRequest, obj: Any) -> list[str]:
    """The fields a restore writes: those this reader may edit on the record's form, less
    relations to many records and files (kept as they are now)."""
    readonly = set(model_admin.get_readonly_fields(request, obj))
    out = []
    for name in flatten_fieldsets(model_admin.get_fieldsets(request, obj)):
        if name in readonly:
            continue
        try:
            db_field = model_admin.model._meta.get_field(name)
        except FieldDoesNotExist:
            continue  # a form-only field (tactics): handled with the code rows
        if (
            not db_field.concrete
            or db_field.many_to_many
            or not db_field.editable
            or isinstance(db_field, models.FileField)
        ):
            continue
        out.append(name)
    return out


@dataclass
class Restore:
    """What restoring `row` over the current record would do."""

    row: Any
    form: Any
    changes: list[Change]
    added: list[str]
    removed: list[str]
    status_before: str = ""

    @property
    def empty(self) -> bool:
        return not (self.changes or self.added or self.removed)


def plan_restore(
    model_admin: Any, request: HttpRequest, obj: Any, rows: list[Any], row: Any
) -> Restore:
    """The form that restores `row` (the record's own form, so every rule runs) and, in words,
    what it would change."""
    model = model_admin.model
    names = restorable_fields(model_admin, request, obj)
    form_class = model_admin.get_form(request, obj, change=True, fields=names)
    data: dict[str, Any] = {}
    changes = []
    for name in names:
        db_field = model._meta.get_field(name)
        old, new = getattr(obj, db_field.attname), getattr(row, db_field.attname)
        data[name] = new
        if old != new:
            changes.append(
                Change(
                    label_of(db_field),
                    field_text(db_field, old, request.user),
                    field_text(db_field, new, request.user),
                )
            )
    added: list[str] = []
    removed: list[str] = []
    spec = CODE_ROWS.get(model)
    if spec is not None and spec.name in form_class.base_fields:
        codes = codes_at(model, obj, rows, row) or []
        data[spec.name] = codes
        now = spec.current(obj)
        added = codes_text(spec.vocabulary, set(codes) - now)
        removed = codes_text(spec.vocabulary, now - set(codes))
    form = form_class(data=data, instance=obj)
    return Restore(row, form, changes, added, removed, getattr(obj, "review_status", ""))


def restore_page(model_admin: Any, request: HttpRequest, obj: Any, version_id: str) -> HttpResponse:
    """GET: what restoring the version would change, and a button; POST: restore it, through
    the record's own form and save, as a new version (an incident becomes a draft)."""
    model = model_admin.model
    rows = rows_of(model, obj.pk)
    row = next((r for r in rows if str(r.history_id) == str(version_id)), None)
    user = request.user
    if row is None or sealed(model, row, user, may_see_confidential(user)):
        raise Http404("no such version")
    if not model_admin.has_change_permission(request, obj):
        raise PermissionDenied
    object_label = str(obj)  # validating the restore form fills the old values into obj
    plan = plan_restore(model_admin, request, obj, rows, row)
    opts = model._meta
    change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    when = readable_time(row.history_date)
    if request.method == "POST" and not plan.empty:
        with transaction.atomic():
            if plan.form.is_valid():
                new = model_admin.save_form(request, plan.form, change=True)
                new._change_reason = RESTORE_REASON + row.history_date.isoformat(timespec="seconds")
                model_admin.save_model(request, new, plan.form, True)
                model_admin.save_related(request, plan.form, [], True)
                model_admin.log_change(
                    request, new, _("Restored the version of %(when)s") % {"when": when}
                )
                note = ""
                if plan.status_before in (REVIEWED, PUBLISHED):
                    note = " " + _("It is a draft again and needs a review before it is published.")
                messages.success(
                    request,
                    _("Restored the version of %(when)s.") % {"when": when} + note,
                )
                return HttpResponseRedirect(change_url)
    errors = []
    if request.method == "POST" or not plan.empty:
        if not plan.form.is_valid():
            for name, found in plan.form.errors.items():
                label = plan.form.fields[name].label if name in plan.form.fields else ""
                errors += [f"{label}: {message}" if label else message for message in found]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Restore an earlier version"),
        "subtitle": None,
        "object_label": object_label,
        "opts": opts,
        "module_name": capfirst(str(opts.verbose_name_plural)),
        "plan": plan,
        "when": when,
        "who": who(row),
        "errors": errors,
        "is_incident": model is Incident,
        "history_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk]),
        "change_url": change_url,
        "code_label": _(CODE_TITLES[model]) if model in CODE_TITLES else "",
    }
    return TemplateResponse(request, "editor/restore.html", context)

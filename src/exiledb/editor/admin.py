"""The data-entry editor: the Django admin, mounted at /editor/, shaped for coding cases.

Who may do what (exiledb.access.roles and .access): viewers read, coders add and change drafts
but neither review, publish nor delete, editors and admins review (not their own drafts),
publish and delete. Confidential fields are shown to editors and admins only. Every model keeps
its history, shown in words (`history.py`); an old version is restored through the record's
own form, so every rule runs (simple_history's own revert, which would skip them, stays off).
The review workflow (status buttons, the queue) is in `review.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from exiledb.access import audit
from exiledb.access.policy import (
    DRAFT,
    PUBLISHED,
    REVIEWED,
    has_role,
    hidden_fields,
    may_delete,
    may_publish,
    may_review,
    may_see_confidential,
    visible,
)
from exiledb.cases.models import (
    Affiliation,
    Citation,
    Designation,
    Incident,
    Involvement,
    Name,
    Organization,
    Person,
    Relationship,
    Residence,
    Source,
)
from exiledb.names.lookup import spelled_like
from exiledb.vocab import codebook

from . import forms as ef
from . import history, review
from .filters import StageFilter, TacticFilter, country_filter

FORMFIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})},
    models.URLField: {"assume_scheme": "https"},
}
# Inline tables hold many columns: narrower boxes keep a row on the screen.
INLINE_FORMFIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    **FORMFIELDS,
    models.TextField: {"widget": forms.Textarea(attrs={"rows": 1, "cols": 24})},
    models.CharField: {"widget": forms.TextInput(attrs={"size": 16})},
}


def _through_person(path: str) -> str:
    """The part of a search path up to a person ('involvements__person' of
    'involvements__person__names__value'), or '' when it does not pass through one."""
    parts = path.split("__")
    for i, part in enumerate(parts[:-1]):
        if part in ("person", "other", "linked_exile"):
            return "__".join(parts[: i + 1])
    return ""


def _without(fieldsets: Any, hidden: set[str]) -> list[tuple[Any, dict[str, Any]]]:
    """The fieldsets less the hidden fields; a fieldset left empty goes too."""
    out = []
    for title, options in fieldsets:
        fields = []
        for item in options.get("fields", ()):
            if isinstance(item, list | tuple):
                row = [f for f in item if f not in hidden]
                if row:
                    fields.append(tuple(row))
            elif item not in hidden:
                fields.append(item)
        if fields:
            out.append((title, {**options, "fields": fields}))
    return out


def sync_codes(rows: Any, field: str, codes: Sequence[str], when: Any = None) -> None:
    """Make a record's code rows (tactics, categories) match the ticked boxes.

    Row by row, not in bulk, so that each added or removed code is in the history, dated
    `when` (the record's own history row gets the same time, which ties them together).
    """
    existing = {getattr(row, field): row for row in rows.all()}
    for code, row in existing.items():
        if code not in codes:
            if when is not None:
                row._history_date = when
            row.delete()
    for code in codes:
        if code not in existing:
            row = rows.model(**{rows.field.name: rows.instance, field: code})
            if when is not None:
                row._history_date = when
            row.save()


def blank_first(db_field: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """A required code field with an empty default (a country) starts on '---------'.

    Django leaves the blank choice out when the field has a default, so the first country
    in the list would be saved by anyone who overlooked the field.
    """
    if not db_field.blank and db_field.get_default() == "" and "choices" not in kwargs:
        return {**kwargs, "choices": db_field.get_choices(include_blank=True)}
    return kwargs


class EditorAdmin(SimpleHistoryAdmin):
    """Role rules and confidential fields, shared by every model of the editor."""

    formfield_overrides = FORMFIELDS
    list_per_page = 50

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        return super().formfield_for_choice_field(
            db_field, request, **blank_first(db_field, kwargs)
        )

    # Roles: the groups' model permissions, and a role at all.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if (
            obj is not None
            and getattr(obj, "review_status", None) == "published"
            and not (may_publish(request.user))
        ):
            return False  # a published record changes only under an editor's eye
        return has_role(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_delete(request.user) and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not hasattr(obj, "_history_date"):
            obj._history_date = timezone.now()  # shared with the code rows saved with it
        super().save_model(request, obj, form, change)

    # Confidential records: not listed, searched, autocompleted or opened by uncleared roles.
    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return visible(super().get_queryset(request), request.user)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = (
            getattr(response, "context_data", {}).get("original")
            if request.method == "GET"
            else None
        )
        if obj is not None:
            audit.audited_read(request, obj)  # reads of restricted and confidential records
        return response

    # Confidential fields: left out of the form, the page and the history for uncleared roles.
    def _hidden(self, request: HttpRequest) -> set[str]:
        return set(hidden_fields(self.model, request.user))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return _without(super().get_fieldsets(request, obj), self._hidden(request))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        hidden = self._hidden(request)
        return [f for f in super().get_fields(request, obj) if f not in hidden]

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        hidden = self._hidden(request)
        if not hidden:
            return super().get_exclude(request, obj)
        return [*(super().get_exclude(request, obj) or ()), *sorted(hidden)]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        hidden = self._hidden(request)
        return [f for f in super().get_readonly_fields(request, obj) if f not in hidden]

    # History: in words for everyone who may view the record (history.py); simple_history's
    # revert stays off, and "Restore this version" goes through the record's form instead.
    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        restore = path(
            "<path:object_id>/history/<str:version_id>/restore/",
            self.admin_site.admin_view(self.restore_view),
            name="{}_{}_restore".format(*info),
        )
        return [restore, *super().get_urls()]

    def restore_view(self, request: HttpRequest, object_id: str, version_id: str) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:  # hidden or missing: answered alike, as the change page does
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return history.restore_page(self, request, obj, version_id)

    def _visible_or_404(self, request: HttpRequest, object_id: str) -> Any:
        """simple_history reads old versions from the history table, around get_queryset: a
        record the policy hides must be 'not found' there too."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("no such record")
        return obj

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        obj = self._visible_or_404(request, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        audit.audited_read(request, obj)
        return history.history_page(self, request, obj)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied("Old versions are read-only: use 'Restore this version'.")
        obj = self._visible_or_404(request, object_id)
        manager: Any = self.model.history  # type: ignore[attr-defined]
        try:
            version = manager.filter(id=obj.pk, history_id=version_id).first()
        except ValidationError as exc:  # not a version id at all
            raise Http404("no such version") from exc
        cleared = may_see_confidential(request.user)
        if version is not None and history.sealed(self.model, version, request.user, cleared):
            raise Http404("no such version")  # from a time the reader may not read
        audit.audited_read(request, obj)
        response: HttpResponse = super().history_form_view(
            request, object_id, version_id, extra_context
        )
        return response

    # Search: a name search must not find records through persons the reader may not see.
    def get_search_fields(self, request: HttpRequest) -> Sequence[str]:
        fields = super().get_search_fields(request)
        if may_see_confidential(request.user):
            return fields
        return [f for f in fields if not _through_person(f)]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        qs, duplicates = super().get_search_results(request, queryset, search_term)
        if not search_term or may_see_confidential(request.user):
            return qs, duplicates
        prefixes = {_through_person(f) for f in super().get_search_fields(request)} - {""}
        if not prefixes:
            return qs, duplicates
        persons = visible(Person.objects.all(), request.user).filter(
            Q(display_name__icontains=search_term) | Q(names__value__icontains=search_term)
        )
        by_person = Q()
        for prefix in prefixes:
            by_person |= Q(**{f"{prefix}__in": persons})
        return (qs | queryset.filter(by_person)).distinct(), True

    # Many-to-many choices and displays come from the default manager, not from the related
    # admin: limit them to what the reader may see, and keep hidden links through a save.
    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.remote_field.model
        kwargs.setdefault("queryset", visible(related._default_manager.all(), request.user))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        obj = form.instance
        kept: dict[str, list[Any]] = {}
        if change and not may_see_confidential(request.user):
            for field in obj._meta.many_to_many:
                manager = getattr(obj, field.name)
                shown = visible(field.remote_field.model._default_manager.all(), request.user)
                kept[field.name] = list(manager.exclude(pk__in=shown.values("pk")))
        super().save_related(request, form, formsets, change)
        for name, hidden in kept.items():
            getattr(obj, name).add(*hidden)


class EditorInline(admin.TabularInline):
    """An inline table under the same role rules as the record it belongs to."""

    extra = 0
    formfield_overrides = INLINE_FORMFIELDS

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        return super().formfield_for_choice_field(
            db_field, request, **blank_first(db_field, kwargs)
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any) -> bool:  # type: ignore[override]
        return has_role(request.user) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_delete(request.user) and super().has_delete_permission(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # rows pointing at confidential persons or sources stay out of uncleared hands
        return visible(super().get_queryset(request), request.user)


class CitationInline(EditorInline):
    model = Citation
    form = ef.CitationForm
    fields = ["source", "locator", "quote", "note"]
    autocomplete_fields = ["source"]
    verbose_name = "citation"
    verbose_name_plural = "citations (the sources that support this record)"


# --- Persons ---------------------------------------------------------------------------------


class NameInline(EditorInline):
    model = Name
    form = ef.NameForm
    fields = ["value", "script", "language", "source", "note"]
    autocomplete_fields = ["source"]
    verbose_name = "spelling"
    verbose_name_plural = (
        "name spellings (every spelling the sources use: Cyrillic, transliterations, typos)"
    )


class ResidenceInline(EditorInline):
    model = Residence
    form = ef.ResidenceForm
    fields = ["country", "place", "date_from", "date_to", "asylum_status", "note"]
    verbose_name_plural = "residences abroad"


class AffiliationInline(EditorInline):
    model = Affiliation
    form = ef.AffiliationForm
    fields = ["organization", "role", "date_from", "date_to", "confidence", "note"]
    autocomplete_fields = ["organization"]


class RelativeInline(EditorInline):
    """Relationships pointing at this person: 'PERSON is the KINSHIP of this person'."""

    model = Relationship
    fk_name = "other"
    form = ef.RelationshipForm
    fields = ["person", "kinship", "confidence", "visibility", "note"]
    autocomplete_fields = ["person"]
    verbose_name = "relative"
    verbose_name_plural = "relatives (read: PERSON is the KINSHIP of this person)"


class PersonCitationInline(CitationInline):
    fk_name = "person"


@admin.register(Person)
class PersonAdmin(EditorAdmin):
    form = ef.PersonForm
    inlines = [
        NameInline,
        ResidenceInline,
        AffiliationInline,
        RelativeInline,
        PersonCitationInline,
    ]
    fieldsets = [
        (
            "Who",
            {
                "fields": [
                    "display_name",
                    "name_known",
                    "categories",
                    ("sex", "birth_year"),
                    "origin_country",
                    "summary",
                ]
            },
        ),
        (
            "Protection and visibility",
            {
                "description": "Minors are never named publicly. Untick 'may be named' to "
                "pseudonymise a relative.",
                "fields": ["is_minor", "may_be_named", "pseudonym", "visibility"],
            },
        ),
        (
            "Confidential",
            {
                "description": "Shown to editors and admins only. Never published.",
                "fields": ["contact_details", "confidential_notes"],
            },
        ),
    ]
    list_display = ["display_name", "origin_country", "categories", "is_minor", "visibility"]
    list_filter = [
        country_filter("origin_country", "origin country"),
        "categories__category",
        "is_minor",
        "visibility",
    ]
    search_fields = ["display_name", "names__value"]
    search_help_text = (
        "Searches the display name and every recorded spelling, in any script or "
        "transliteration: Khodoydodova or Худойдодова finds Khudoydodova."
    )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        # Also the persons with a spelling of the search (the list and every autocomplete of
        # a person, which asks this method): among `queryset`, so what the reader may see.
        qs, duplicates = super().get_search_results(request, queryset, search_term)
        spelled = spelled_like(queryset, search_term)
        if not spelled:
            return qs, duplicates
        return (qs | queryset.filter(pk__in=spelled)).distinct(), True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Person]:
        return super().get_queryset(request).prefetch_related("categories")

    @admin.display(description="exile categories")
    def categories(self, obj: Person) -> str:
        return ", ".join(codebook.EXILE_CATEGORIES.label(c.category) for c in obj.categories.all())

    def save_model(self, request: HttpRequest, obj: Person, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if "categories" in form.cleaned_data:
            sync_codes(
                obj.categories,
                "category",
                form.cleaned_data["categories"],
                getattr(obj, "_history_date", None),
            )


# --- Incidents -------------------------------------------------------------------------------


class InvolvementInline(EditorInline):
    model = Involvement
    formset = ef.InvolvementFormSet
    fields = ["person", "role", "linked_exile", "description", "note"]
    autocomplete_fields = ["person", "linked_exile"]
    extra = 1
    verbose_name_plural = (
        "who was involved (a targeted relative names the exile they were targeted for)"
    )


class IncidentCitationInline(CitationInline):
    fk_name = "incident"
    formset = ef.IncidentCitationFormSet
    extra = 1


@admin.register(Incident)
class IncidentAdmin(EditorAdmin):
    form = ef.IncidentForm
    change_form_template = "editor/incident_change_form.html"
    inlines = [InvolvementInline, IncidentCitationInline]
    actions = ["mark_reviewed", "publish", "return_to_draft"]
    autocomplete_fields = ["perpetrators"]
    readonly_fields = ["stage_label", "date_precision", "year"]
    fieldsets = [
        (
            "What",
            {
                "fields": [
                    "title",
                    "summary",
                    "is_proxy",
                    "tactics",
                    "stage_label",
                    "outcome",
                    "victims_estimated",
                ]
            },
        ),
        (
            "When",
            {
                "description": "Write dates as 2016-09-22, 2016-09 or 2016: never invent a day "
                "or month the sources do not give.",
                "fields": [
                    ("date", "date_end"),
                    ("date_precision", "year"),
                    ("trigger_event", "trigger_date"),
                ],
            },
        ),
        (
            "Where",
            {
                "description": "Never claim a more precise place than the sources give. "
                "Coordinates only with exact or city precision.",
                "fields": [
                    "country",
                    "place_precision",
                    ("region", "place"),
                    ("latitude", "longitude"),
                ],
            },
        ),
        (
            "Who",
            {
                "description": "The persons involved are listed below the form.",
                "fields": ["origin_country", "perpetrators", "host_state_role", "legal_channel"],
            },
        ),
        (
            "Sources",
            {
                "description": "Cite the sources in the citations table below the form.",
                "fields": ["confidence"],
            },
        ),
        ("Review and visibility", {"fields": ["review_status", "visibility"]}),
        (
            "Confidential",
            {
                "description": "Shown to editors and admins only. Never published.",
                "fields": ["confidential_notes"],
            },
        ),
    ]
    list_display = ["title", "when", "country", "stage_label", "is_proxy", "review_status"]
    list_filter = [
        StageFilter,
        TacticFilter,
        country_filter("country", "country where it happened"),
        country_filter("origin_country", "perpetrator state"),
        "is_proxy",
        "review_status",
        "confidence",
        "year",
    ]
    search_fields = [
        "title",
        "summary",
        "place",
        "involvements__person__display_name",
        "involvements__person__names__value",
    ]
    search_help_text = "Searches title, summary, place and every spelling of the persons involved."
    # Partial dates rule out date_hierarchy; the derived first possible day sorts them.
    ordering = ["-date_earliest", "title"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        return type(
            form.__name__,
            (form,),
            {"may_publish": may_publish(request.user), "user": request.user},
        )

    # --- the review workflow (review.py; the rules are the policy's) ----------------------------

    def get_urls(self) -> list[URLPattern]:
        status = path(
            "<path:object_id>/status/",
            self.admin_site.admin_view(self.status_view),
            name="cases_incident_status",
        )
        return [status, *super().get_urls()]

    def status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return review.status_view(self, request, unquote(object_id))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id)) if request.method == "GET" else None
        if obj is not None:
            may_change = self.has_change_permission(request, obj)
            extra_context = {
                **(extra_context or {}),
                "review": review.panel(request, obj, may_change),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def has_review_permission(self, request: HttpRequest) -> bool:
        return may_review(request.user)

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return may_publish(request.user)

    @admin.action(description=gettext_lazy("Mark reviewed"), permissions=["review"])
    def mark_reviewed(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        review.bulk_status(self, request, queryset, REVIEWED)

    @admin.action(description=gettext_lazy("Publish"), permissions=["publish"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        review.bulk_status(self, request, queryset, PUBLISHED)

    @admin.action(description=gettext_lazy("Return to draft"), permissions=["change"])
    def return_to_draft(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        review.bulk_status(self, request, queryset, DRAFT)

    @admin.display(description="date", ordering="date_earliest")
    def when(self, obj: Incident) -> str:
        if obj.date_end:
            return f"{obj.date or '?'} to {obj.date_end}"
        return obj.date or "unknown"

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if (
            obj is None
            or may_see_confidential(request.user)
            or self.has_change_permission(request, obj)
        ):
            return fieldsets
        # Read-only pages list every linked organisation: show only those the reader may see.
        return [
            (
                title,
                {
                    **opts,
                    "fields": [
                        "perpetrators_shown" if f == "perpetrators" else f for f in opts["fields"]
                    ],
                },
            )
            for title, opts in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The status changes by its own buttons (review.py), never with the content: a save
        # that carried both could approve the saver's own changes.
        status = ["review_status"] if obj is not None else []
        return [*super().get_readonly_fields(request, obj), "perpetrators_shown", *status]

    @admin.display(description="perpetrators")
    def perpetrators_shown(self, obj: Incident) -> str:
        # the reader is attached by get_object; without one, show what an uncleared role sees
        shown = visible(obj.perpetrators.all(), getattr(obj, "_reader", None))
        return ", ".join(str(o) for o in shown) or "-"

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._reader = request.user
        return obj

    @admin.display(description="stage (derived)", ordering="stage")
    def stage_label(self, obj: Incident) -> str:
        if obj.stage is None:
            return "none yet: derived from the tactics when saved"
        return codebook.STAGES.label(str(obj.stage))

    @admin.display(description="tactics")
    def tactics(self, obj: Incident) -> str:
        """The tactics, for readers who may not change the incident."""
        if obj.pk is None:
            return ""
        return "; ".join(codebook.TACTICS.label(code) for code in obj.tactic_codes)

    def save_model(self, request: HttpRequest, obj: Incident, form: Any, change: bool) -> None:
        when = timezone.now()
        extra: Any = obj  # the attributes below steer simple_history and save_related
        extra._history_date = when
        if change:
            extra._review_before = (
                Incident.objects.filter(pk=obj.pk).values_list("review_status", flat=True).first()
            )
        else:
            extra._history_type = "+"
        # The version's one history row is written by save_related, once the tactics, the
        # inline rows and the perpetrators are saved and the status is settled.
        extra.skip_history_when_saving = True
        tactics = form.cleaned_data.get("tactics")
        if tactics is None:
            super().save_model(request, obj, form, change)
            return
        if change:
            # Rows first: Incident.save() derives the stage again from the stored tactics.
            sync_codes(obj.tactics, "tactic", tactics, when)
        obj.derive(tactics)
        super().save_model(request, obj, form, change)
        if not change:
            sync_codes(obj.tactics, "tactic", tactics, when)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Save the rows, then write the version: a change to the content of a reviewed or
        published incident sends it back to draft, to be reviewed again by someone else."""
        obj: Any = form.instance
        try:
            super().save_related(request, form, formsets, change)
        finally:
            obj.__dict__.pop("skip_history_when_saving", None)
        changed = form.has_changed() or any(formset.has_changed() for formset in formsets)
        if change and not changed:
            return  # nothing changed: no new version
        before = getattr(obj, "_review_before", None)
        if change and before in (REVIEWED, PUBLISHED):
            obj.review_status = DRAFT
            restored = (getattr(obj, "_change_reason", None) or "").startswith(
                history.RESTORE_REASON
            )
            if not restored:
                obj._change_reason = history.SENT_BACK_REASON
            review.record_status(
                request, obj, before, DRAFT, "restored" if restored else "content changed"
            )
            if restored:  # the restore page says so itself
                pass
            elif before == PUBLISHED:
                messages.warning(
                    request,
                    _(
                        "Your change took the incident off the public site: it is a draft "
                        "again until someone else reviews it and it is published again."
                    ),
                )
            else:
                messages.warning(
                    request,
                    _("Your change sent the incident back to draft: it needs a review again."),
                )
        obj.save()  # the version's history row, with this request's user and time
        obj.__dict__.pop("_history_type", None)


# --- Relationships, sources, organisations ----------------------------------------------------


class RelationshipCitationInline(CitationInline):
    fk_name = "relationship"


@admin.register(Relationship)
class RelationshipAdmin(EditorAdmin):
    form = ef.RelationshipForm
    inlines = [RelationshipCitationInline]
    autocomplete_fields = ["person", "other"]
    fields = ["person", "kinship", "other", "confidence", "visibility", "note"]
    list_display = ["__str__", "kinship", "confidence", "visibility"]
    list_filter = ["kinship", "confidence", "visibility"]
    search_fields = [
        "person__display_name",
        "person__names__value",
        "other__display_name",
        "other__names__value",
    ]
    list_select_related = ["person", "other"]


@admin.register(Source)
class SourceAdmin(EditorAdmin):
    fieldsets = [
        (None, {"fields": ["type", "title", ("publisher", "author"), ("date", "language")]}),
        (
            "Where to find it",
            {"fields": ["url", "archive_url", "archived_file", "sha256"]},
        ),
        (
            "Notes and visibility",
            {
                "description": "Interviews are confidential by default: they protect informants.",
                "fields": ["note", "visibility"],
            },
        ),
    ]
    list_display = ["title", "publisher", "date", "type", "visibility"]
    list_filter = ["type", "visibility"]
    search_fields = ["title", "publisher", "url"]


class DesignationInline(EditorInline):
    model = Designation
    form = ef.DesignationForm
    fields = ["type", "by_country", "authority", "date", "note"]
    verbose_name_plural = "bans and designations (e.g. 'extremist' by the origin state)"


class OrganizationCitationInline(CitationInline):
    fk_name = "organization"


@admin.register(Organization)
class OrganizationAdmin(EditorAdmin):
    inlines = [DesignationInline, OrganizationCitationInline]
    fields = [
        "name",
        "abbreviation",
        "other_names",
        "type",
        "country",
        ("founded", "dissolved"),
        "summary",
        "visibility",
    ]
    list_display = ["name", "abbreviation", "type", "country", "visibility"]
    list_filter = ["type", country_filter("country", "country"), "visibility"]
    search_fields = ["name", "abbreviation", "other_names"]

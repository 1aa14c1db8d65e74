"""Editor forms. Every rule comes from exiledb.cases.rules; this module only wires them to fields.

- The incident form offers the tactics as ticked boxes grouped by CAPE stage, and the person form
  offers the exile categories the same way; the admin writes the rows.
- Inline rows run the same per-row rules as the importer (date ranges, required codes).
- The incident's inline formsets run the rules that span records (a proxy incident needs a
  linked relative, a published one a citation). They see the incident's new values, because
  the admin validates the main form, which updates the instance, before the formsets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext as _

from exiledb.access.policy import DRAFT, PUBLISHED, allowed_statuses, status_refusal
from exiledb.cases import rules
from exiledb.vocab import codebook

Check = Callable[[Mapping[str, Any]], list[rules.Problem]]


def _tactic_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for code in codebook.TACTICS:
        if code.group == "proxy":
            title = "Proxy: acts against relatives at home (count as stage 1)"
        else:
            title = codebook.STAGES.label(str(code.stage or 1))
        groups.setdefault(title, []).append((code.code, code.label))
    return list(groups.items())


TACTIC_CHOICES = _tactic_groups()


class DefinitionCheckboxes(forms.CheckboxSelectMultiple):
    """Ticked boxes whose tooltip is the codebook definition, so nobody needs the docs open."""

    def __init__(self, vocabulary: codebook.Vocabulary, grouped: bool = False) -> None:
        # The class lands on the outer div (styled by editor.css) and on each box (harmless).
        super().__init__(attrs={"class": "editor-checkgroups" if grouped else "editor-checklist"})
        self.vocabulary = vocabulary

    class Media:
        css = {"all": ["editor/editor.css"]}

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option: dict[str, Any] = super().create_option(*args, **kwargs)
        if option["value"] in self.vocabulary:
            option["attrs"]["title"] = self.vocabulary.get(option["value"]).definition
        return option


def row_values(cleaned: Mapping[str, Any]) -> dict[str, Any]:
    """A form row as the plain dict the rules read: related records become their keys."""
    return {
        key: value.pk if isinstance(value, models.Model) else value
        for key, value in cleaned.items()
    }


def child_problems(check: Check, key: str, row: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Run a record check over one child row and keep what it says about that row.

    `check_person({"residences": [row]})` reports `residences[0].date_to: ...`; this returns
    `[("date_to", ...)]`. The parent's own problems (a missing name, say) are left out.
    """
    prefix = f"{key}[0]"
    found: list[tuple[str, str]] = []
    for problem in check({key: [row]}):
        if problem.field == prefix:
            found.append((NON_FIELD_ERRORS, problem.message))
        elif problem.field.startswith(prefix + "."):
            found.append((problem.field[len(prefix) + 1 :], problem.message))
    return found


def report(form: forms.BaseForm, problems: Iterable[tuple[str, str]]) -> None:
    """Show rule problems on the form; a field Django already rejected keeps its one message."""
    for field, message in problems:
        if field in form.fields and field in form.errors:
            continue
        form.add_error(field if field in form.fields else None, message)


class RowForm(forms.ModelForm):
    """An inline row checked by the shared rules: `rule_check({rule_key: [row]})`."""

    rule_check: ClassVar[Check | None] = None
    rule_key: ClassVar[str] = ""

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        check = type(self).rule_check
        if check is not None:
            report(self, child_problems(check, self.rule_key, row_values(cleaned)))
        return cleaned


class NameForm(RowForm):
    rule_check = rules.check_person
    rule_key = "names"


class ResidenceForm(RowForm):
    rule_check = rules.check_person
    rule_key = "residences"


class AffiliationForm(RowForm):
    rule_check = rules.check_person
    rule_key = "affiliations"


class DesignationForm(RowForm):
    rule_check = rules.check_organization
    rule_key = "designations"


class CitationForm(RowForm):
    # Every kind of claim checks its citations the same way (a citation needs a source).
    rule_check = rules.check_person
    rule_key = "citations"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "source" in self.fields:
            self.fields["source"].required = True


class RelationshipForm(forms.ModelForm):
    """A tie between two persons, standalone or inline on the person it points to."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        row = row_values(cleaned)
        if "other" not in row and self.instance.other_id:
            row["other"] = self.instance.other_id
        report(self, ((p.field, p.message) for p in rules.check_relationship(row)))
        return cleaned


class IncidentForm(forms.ModelForm):
    """An incident with its tactics as ticked boxes grouped by stage.

    The admin supplies the model and the fields (from its fieldsets).
    """

    tactics = forms.MultipleChoiceField(
        choices=TACTIC_CHOICES,
        widget=DefinitionCheckboxes(codebook.TACTICS, grouped=True),
        required=False,
        label="Tactics",
        help_text="Tick everything that was done. The stage is derived from the tactics when "
        "you save: proxy incidents count as stage 1. Hover over a box for its definition.",
    )
    # Set per request by the admin: may this user publish, and who is it (for the policy)?
    may_publish: ClassVar[bool] = True
    user: ClassVar[Any] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        adding = self.instance._state.adding
        if self.instance.pk and not adding:
            self.initial.setdefault("tactics", self.instance.tactic_codes)
        status = self.fields.get("review_status")
        if status is not None:
            # Offer only what this user may choose; a forged value still reaches
            # clean_review_status, which says why it is refused. (The editor shows the status
            # of a stored incident read-only: it changes by its own buttons.)
            if adding:
                keep = {DRAFT}
            else:
                current = self.instance.review_status
                keep = {current, *allowed_statuses(self.user, self.instance)}
            status.widget.choices = [c for c in codebook.REVIEW_STATUS.choices() if c[0] in keep]
            status.help_text = _(
                "A new incident starts as a draft. An editor or admin who did not write it "
                "marks it reviewed; then it can be published. Only published incidents reach "
                "the public."
            )

    def clean_tactics(self) -> list[str]:
        tactics: list[str] = self.cleaned_data.get("tactics") or []
        problems = [
            p.message
            for p in rules.check_incident({"tactics": tactics})
            if p.field.startswith("tactics")
        ]
        if problems:
            raise ValidationError(problems)
        return tactics

    def clean_review_status(self) -> str:
        """Draft -> reviewed -> published, as the access policy allows: a POST cannot skip a
        step or approve its own draft."""
        status: str = self.cleaned_data["review_status"]
        if self.instance._state.adding:
            if status == DRAFT:
                return status
            if status == PUBLISHED and not self.may_publish:
                raise ValidationError(
                    _(
                        "Only an editor or admin can publish, once someone who did not write "
                        "the incident has reviewed it. Save it as a draft."
                    )
                )
            raise ValidationError(
                _(
                    "A new incident starts as a draft. Save it; then an editor or admin who "
                    "did not write it marks it reviewed, and it can be published."
                )
            )
        if status == self.instance.review_status:
            return status
        if self.has_changed() and set(self.changed_data) - {"review_status"}:
            raise ValidationError(
                _("Change the status on its own, not together with the content: save first.")
            )
        refusal = status_refusal(self.user, self.instance, status)
        if refusal is not None:
            raise ValidationError(refusal)
        return status


class PersonForm(forms.ModelForm):
    """A person with the CAPE exile categories as ticked boxes (model and fields: the admin)."""

    categories = forms.MultipleChoiceField(
        choices=codebook.EXILE_CATEGORIES.choices(),
        widget=DefinitionCheckboxes(codebook.EXILE_CATEGORIES),
        required=False,
        label="Exile categories",
        help_text="CAPE's four overlapping profiles: tick every one that applies. Leave empty "
        "for relatives and perpetrators.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.instance._state.adding:
            self.initial.setdefault(
                "categories", [c.category for c in self.instance.categories.all()]
            )

    def clean_categories(self) -> list[str]:
        categories: list[str] = self.cleaned_data.get("categories") or []
        problems = [
            p.message
            for p in rules.check_person({"categories": categories})
            if p.field.startswith("categories")
        ]
        if problems:
            raise ValidationError(problems)
        return categories


def _live_rows(formset: BaseInlineFormSet) -> list[dict[str, Any]]:
    """The rows that will exist after saving: valid, filled in, not marked for deletion."""
    return [
        row_values(form.cleaned_data)
        for form in formset.forms
        if not form.errors
        and getattr(form, "cleaned_data", None)
        and not form.cleaned_data.get("DELETE")
    ]


class InvolvementFormSet(BaseInlineFormSet):
    """Checks that a proxy incident names the relative targeted and the exile behind it."""

    def clean(self) -> None:
        super().clean()
        incident = self.instance
        problems = rules.incident_link_problems(incident.is_proxy, _live_rows(self), "draft", [1])
        messages = [p.message for p in problems if p.field == "involvements"]
        if messages:
            raise ValidationError(messages)


class IncidentCitationFormSet(BaseInlineFormSet):
    """Checks that a published incident cites at least one source."""

    def clean(self) -> None:
        super().clean()
        incident = self.instance
        problems = rules.incident_link_problems(False, [], incident.review_status, _live_rows(self))
        messages = [p.message for p in problems if p.field == "citations"]
        if messages:
            raise ValidationError(messages)

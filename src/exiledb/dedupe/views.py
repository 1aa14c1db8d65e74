"""The editor's duplicate screens, mounted on the editor site under /editor/duplicates/.

- candidates (persons, incidents): pairs side by side with their evidence, as far as the
  reader may see the records (the policy's `visible`); editors and admins get "merge" and
  "not a duplicate" buttons (POST with the CSRF token);
- merges: every merge, newest first, with "undo" (editors and admins).

Every role may read the candidates; merging, deciding and undoing are for editors and admins
(`merge.may_merge`), checked again on every POST.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from exiledb.vocab import COUNTRIES, codebook

from . import incidents as incident_finder
from . import merge as merging
from . import persons as person_finder
from .models import Merge

SHOWN = 100  # pairs per page of candidates
KINDS = ("persons", "incidents")


def urls(site: Any) -> list[URLPattern]:
    """The screens, wrapped by the editor site's admin_view (sign-in, role, CSRF)."""

    def wrap(view: Any) -> Any:
        return site.admin_view(
            lambda request, *args, **kwargs: view(site, request, *args, **kwargs)
        )

    return [
        path("duplicates/<str:kind>/", wrap(candidates_view), name="dedupe_candidates"),
        path("duplicates-merge/", wrap(merge_view), name="dedupe_merge"),
        path("duplicates-distinct/", wrap(distinct_view), name="dedupe_distinct"),
        path("merges/", wrap(merges_view), name="dedupe_merges"),
        path("merges/<uuid:merge_id>/undo/", wrap(undo_view), name="dedupe_undo"),
    ]


def _person_side(facts: person_finder.PersonFacts) -> dict[str, Any]:
    return {
        "id": facts.id,
        "label": facts.display_name,
        "url": reverse("admin:cases_person_change", args=[facts.id]),
        "details": [
            (_("Spellings"), "; ".join(facts.spellings)),
            (_("Born"), str(facts.birth_year) if facts.birth_year else ""),
            (_("Origin"), COUNTRIES.get(facts.origin, facts.origin)),
            (_("Sex"), codebook.SEX.label(facts.sex) if facts.sex in codebook.SEX else facts.sex),
            (
                _("Categories"),
                ", ".join(sorted(codebook.EXILE_CATEGORIES.label(c) for c in facts.categories)),
            ),
            (_("Relatives recorded"), str(len(facts.relatives))),
            (_("Incidents"), str(len(facts.incidents))),
        ],
    }


def _incident_side(facts: incident_finder.IncidentFacts) -> dict[str, Any]:
    where = ", ".join(p for p in (facts.place, facts.region) if p)
    country = COUNTRIES.get(facts.country, facts.country)
    return {
        "id": facts.id,
        "label": facts.title,
        "url": reverse("admin:cases_incident_change", args=[facts.id]),
        "details": [
            (_("Date"), facts.date or _("unknown")),
            (_("Place"), f"{where}, {country}" if where else country),
            (_("Place precision"), codebook.PLACE_PRECISION.label(facts.place_precision)),
            (
                _("Tactics"),
                "; ".join(sorted(codebook.TACTICS.label(t) for t in facts.tactics)),
            ),
            (_("Targeted persons"), str(len(facts.targets))),
            (_("Sources cited"), str(len(facts.sources))),
        ],
    }


def _min_score(request: HttpRequest, default: float) -> float:
    try:
        value = float(request.GET.get("min", default))
    except ValueError:
        return default
    return min(1.0, max(0.0, value))


def candidates_view(site: Any, request: HttpRequest, kind: str) -> HttpResponse:
    """Candidate pairs, best first, side by side with their evidence."""
    if kind not in KINDS:
        raise Http404("no such list")
    user = request.user
    if kind == "persons":
        threshold = _min_score(request, person_finder.DEFAULT_MIN_SCORE)
        found: list[Any] = person_finder.find(user, threshold)
        side: Any = _person_side
    else:
        threshold = _min_score(request, incident_finder.DEFAULT_MIN_SCORE)
        found = incident_finder.find(user, threshold)
        side = _incident_side
    page = Paginator(found, SHOWN).get_page(request.GET.get("p"))
    pairs = [
        {
            "a": side(c.a),
            "b": side(c.b),
            "score": c.score,
            "evidence": c.evidence,
        }
        for c in page
    ]
    context = {
        **site.each_context(request),
        "title": _("Candidate duplicate persons")
        if kind == "persons"
        else _("Candidate duplicate incidents"),
        "kind": kind,
        "record_kind": kind[:-1],
        "pairs": pairs,
        "page": page,
        "total": len(found),
        "threshold": threshold,
        "may_merge": merging.may_merge(user),
        "next": request.get_full_path(),
        "other_kind": "incidents" if kind == "persons" else "persons",
    }
    return TemplateResponse(request, "dedupe/candidates.html", context)


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(default)


def _post_by_merger(request: HttpRequest) -> HttpResponse | None:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not merging.may_merge(request.user):
        raise PermissionDenied
    return None


def _kind(request: HttpRequest) -> str:
    kind = request.POST.get("kind", "")
    if kind not in ("person", "incident"):
        raise Http404("no such kind of record")
    return kind


def merge_view(site: Any, request: HttpRequest) -> HttpResponse:
    """POST kind, a (kept), b (absorbed): merge B into A."""
    refused = _post_by_merger(request)
    if refused is not None:
        return refused
    kind = _kind(request)
    try:
        done = merging.merge(
            kind,
            request.POST.get("a", ""),
            request.POST.get("b", ""),
            request.user,
            request=request,
        )
    except merging.MergeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Merged '%(b)s' into '%(a)s'. It can be undone from the merge history.")
            % {"b": done.absorbed_label, "a": done.kept_label},
        )
    return _back(request, reverse("admin:dedupe_candidates", args=[kind + "s"]))


def distinct_view(site: Any, request: HttpRequest) -> HttpResponse:
    """POST kind, a, b: the two are not duplicates; never propose the pair again."""
    refused = _post_by_merger(request)
    if refused is not None:
        return refused
    kind = _kind(request)
    try:
        merging.not_duplicate(
            kind,
            request.POST.get("a", ""),
            request.POST.get("b", ""),
            request.user,
            note=request.POST.get("note", ""),
            request=request,
        )
    except merging.MergeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Recorded as not a duplicate: the pair is not proposed again."))
    return _back(request, reverse("admin:dedupe_candidates", args=[kind + "s"]))


def merges_view(site: Any, request: HttpRequest) -> HttpResponse:
    """Every merge, newest first, with undo (editors and admins: the labels of merged records
    may be those of confidential ones)."""
    if not merging.may_merge(request.user):
        raise PermissionDenied
    page = Paginator(Merge.objects.all(), 50).get_page(request.GET.get("p"))
    context = {
        **site.each_context(request),
        "title": _("Merge history"),
        "page": page,
        "merges": list(page),
    }
    return TemplateResponse(request, "dedupe/merges.html", context)


def undo_view(site: Any, request: HttpRequest, merge_id: Any) -> HttpResponse:
    """POST: undo one merge."""
    refused = _post_by_merger(request)
    if refused is not None:
        return refused
    try:
        result = merging.unmerge(merge_id, request.user, request=request)
    except merging.MergeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Undone: '%(b)s' is back as a record of its own.")
            % {"b": result.merge.absorbed_label},
        )
        for warning in result.warnings:
            messages.warning(request, warning)
    return HttpResponseRedirect(reverse("admin:dedupe_merges"))

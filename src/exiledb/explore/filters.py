"""The one filter implementation behind the incidents list, the map and the API.

A query string (`?stage=2&tactic=interpol_notice&q=gadoev`) becomes a `Query`: facet values
(several values of one facet widen, different facets narrow), a year range, search terms and a
sort. `Query.entries()` is the matching rows of the public index; `Query.selection()` the
same rows as a bitmap (exiledb.explore.bitmaps), which gives their number, their number per
value of every facet and a page in a few milliseconds. Values that are not codes of the codebook
are reported as problems naming the parameter, never silently matched against nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from exiledb.vocab import COUNTRIES, codebook
from exiledb.vocab.codebook import Vocabulary, translated

from . import bitmaps, fulltext, text
from .models import Entry, EntryValue

QUERY_MAX = 200
SORTS = ("-date", "date")
INTEGER_COLUMNS = ("stage", "year")
YEAR_MIN, YEAR_MAX = 1900, 2100
SEARCH_AMONG = 5_000  # PostgreSQL: search only the rows the facets keep, up to this many


@dataclass(frozen=True)
class Facet:
    """A way to narrow the incidents: its URL parameter, its label, how its values are
    checked and labelled, and where they are stored (a column of Entry, or EntryValue rows)."""

    param: str
    label: Any
    column: str | None = None  # None: stored as EntryValue rows under `param`
    vocab: Vocabulary | None = None
    labeller: Callable[[str], str] | None = None
    numeric: bool = False
    order: str = "count"  # "count" (most first), "value" or "-value"

    def valid(self, value: str) -> bool:
        if self.vocab is not None:
            return value in self.vocab
        if self.param in ("origin", "host"):
            return value in COUNTRIES
        if self.param == "kind":
            return value in KINDS
        if self.numeric:
            return value.isdigit() and YEAR_MIN <= int(value) <= YEAR_MAX
        return True

    def label_of(self, value: str) -> str:
        if self.vocab is not None:
            return self.vocab.label(value)
        if self.labeller is not None:
            return self.labeller(value)
        return value


def _country(code: str) -> str:
    return translated(COUNTRIES.get(code, code))


KINDS = {"abroad": _("Against exiles abroad"), "proxy": _("Against relatives at home (proxy)")}

FACETS: tuple[Facet, ...] = (
    Facet("stage", _("Stage"), "stage", vocab=codebook.STAGES, order="value"),
    Facet("kind", _("Abroad or proxy"), "kind", labeller=lambda v: str(KINDS.get(v, v))),
    Facet("tactic", _("Tactic"), vocab=codebook.TACTICS),
    Facet("origin", _("Origin state"), "origin", labeller=lambda v: _country(v)),
    Facet("host", _("Host country"), "host", labeller=lambda v: _country(v)),
    Facet("year", _("Year"), "year", numeric=True, order="-value"),
    Facet("category", _("Exile category"), vocab=codebook.EXILE_CATEGORIES),
    Facet("confidence", _("Confidence"), "confidence", vocab=codebook.CONFIDENCE),
    Facet("outcome", _("Outcome"), "outcome", vocab=codebook.OUTCOMES),
)
BY_PARAM = {f.param: f for f in FACETS}
PARAMS = (*BY_PARAM, "q", "year_from", "year_to", "sort", "page")


@dataclass
class Problem:
    param: str
    value: str
    message: str


@dataclass
class Query:
    """What a reader asked for; build it with `Query.parse`."""

    selected: dict[str, list[str]] = field(default_factory=dict)  # facet param -> values
    q: str = ""
    year_from: int | None = None
    year_to: int | None = None
    sort: str = "-date"
    problems: list[Problem] = field(default_factory=list)

    # --- reading the URL -----------------------------------------------------------------

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> Query:
        """From a QueryDict (or a dict of lists or strings). Unknown values become problems
        and are left out."""
        query = cls()
        for facet in FACETS:
            for raw in _getlist(params, facet.param):
                value = raw.strip()
                if facet.param in ("origin", "host"):
                    value = value.upper()
                if not value:
                    continue
                if not facet.valid(value):
                    query.problems.append(
                        Problem(
                            facet.param,
                            value,
                            gettext("%(param)s: unknown value '%(value)s'")
                            % {"param": facet.param, "value": value},
                        )
                    )
                    continue
                values = query.selected.setdefault(facet.param, [])
                if value not in values:
                    values.append(value)
        query.q = (_first(params, "q") or "").strip()[:QUERY_MAX]
        for name in ("year_from", "year_to"):
            raw = (_first(params, name) or "").strip()
            if not raw:
                continue
            if raw.isdigit() and YEAR_MIN <= int(raw) <= YEAR_MAX:
                setattr(query, name, int(raw))
            else:
                query.problems.append(
                    Problem(
                        name,
                        raw,
                        gettext("%(param)s: '%(value)s' is not a year (%(low)d-%(high)d)")
                        % {"param": name, "value": raw, "low": YEAR_MIN, "high": YEAR_MAX},
                    )
                )
        if query.year_from and query.year_to and query.year_from > query.year_to:
            query.year_from, query.year_to = query.year_to, query.year_from  # meant as a range
        sort = (_first(params, "sort") or "-date").strip()
        if sort in SORTS:
            query.sort = sort
        else:
            query.problems.append(
                Problem(
                    "sort",
                    sort,
                    gettext("sort: use one of %(choices)s") % {"choices": ", ".join(SORTS)},
                )
            )
        return query

    @property
    def terms(self) -> list[str]:
        return text.terms(self.q)

    @property
    def active(self) -> bool:
        return bool(self.selected or self.terms or self.year_from or self.year_to)

    def params(self, **changes: Any) -> list[tuple[str, str]]:
        """This query as URL parameters (in a stable order), with some replaced."""
        out: list[tuple[str, str]] = []
        selected = changes.pop("selected", self.selected)
        if self.q and "q" not in changes:
            out.append(("q", self.q))
        for facet in FACETS:
            out += [(facet.param, v) for v in selected.get(facet.param, [])]
        for name in ("year_from", "year_to"):
            value = getattr(self, name)
            if value is not None and name not in changes:
                out.append((name, str(value)))
        if self.sort != "-date" and "sort" not in changes:
            out.append(("sort", self.sort))
        out += [(k, str(v)) for k, v in changes.items() if v not in (None, "")]
        return out

    def toggled(self, param: str, value: str) -> list[tuple[str, str]]:
        """The parameters with one facet value added, or removed if it was selected."""
        selected = {k: list(v) for k, v in self.selected.items()}
        values = selected.setdefault(param, [])
        if value in values:
            values.remove(value)
        else:
            values.append(value)
        return self.params(selected=selected)

    # --- querying the index --------------------------------------------------------------

    def entries(self) -> QuerySet[Entry]:
        """The matching rows of the public index (unordered)."""
        qs = Entry.objects.all()
        for param, values in self.selected.items():
            facet = BY_PARAM[param]
            if facet.column is not None:
                typed: Sequence[Any] = (
                    [int(v) for v in values] if facet.column in INTEGER_COLUMNS else values
                )
                qs = qs.filter(**{f"{facet.column}__in": typed})
            else:
                qs = qs.filter(
                    id__in=EntryValue.objects.filter(facet=param, value__in=values).values(
                        "entry_id"
                    )
                )
        if self.year_from is not None:
            qs = qs.filter(year__gte=self.year_from)
        if self.year_to is not None:
            qs = qs.filter(year__lte=self.year_to)
        return fulltext.match(qs, self.terms, text.key_alternatives(self.terms))

    def incidents(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        """The same question asked of the records themselves, for staff who read drafts and
        restricted incidents that the public index does not hold (the API with a staff token).
        Facets mean what they mean in the index (exiledb.explore.index): the host is where an
        incident abroad happened, categories are those of its targets and linked exiles; the
        search terms (folded, as for the index) must each occur in the title, summary, place,
        region or trigger event, or in a spelling of someone involved; unlike the index this
        is a substring match, and letters the folding changes (Ғ, accents) match only folded."""
        from django.db.models import Q

        from exiledb.cases.models import IncidentTactic, Involvement, Name, PersonCategory

        columns = {
            "stage": "stage",
            "origin": "origin_country",
            "year": "year",
            "confidence": "confidence",
            "outcome": "outcome",
        }
        for param, values in self.selected.items():
            if param in columns:
                typed = [int(v) for v in values] if param in INTEGER_COLUMNS else values
                qs = qs.filter(**{f"{columns[param]}__in": typed})
            elif param == "kind":
                qs = qs.filter(is_proxy__in=[v == "proxy" for v in values])
            elif param == "host":
                qs = qs.filter(is_proxy=False, country__in=values)
            elif param == "tactic":
                tactics = IncidentTactic.objects.filter(tactic__in=values)
                qs = qs.filter(pk__in=tactics.values("incident"))
            elif param == "category":
                people = PersonCategory.objects.filter(category__in=values).values("person")
                involved = Involvement.objects.filter(
                    Q(role="target", person__in=people) | Q(linked_exile__in=people)
                )
                qs = qs.filter(pk__in=involved.values("incident"))
        if self.year_from is not None:
            qs = qs.filter(year__gte=self.year_from)
        if self.year_to is not None:
            qs = qs.filter(year__lte=self.year_to)
        for term in self.terms:
            named = Name.objects.filter(value__icontains=term).values("person")
            mentioned = Involvement.objects.filter(
                Q(person__in=named) | Q(linked_exile__in=named)
            ).values("incident")
            qs = qs.filter(
                Q(title__icontains=term)
                | Q(summary__icontains=term)
                | Q(place__icontains=term)
                | Q(region__icontains=term)
                | Q(trigger_event__icontains=term)
                | Q(pk__in=mentioned)
            )
        return qs

    def ordered(self) -> QuerySet[Entry]:
        date = F("date_earliest")
        first = date.asc(nulls_last=True) if self.sort == "date" else date.desc(nulls_last=True)
        return self.entries().order_by(first, "id" if self.sort == "date" else "-id")

    def selection(self, generation: str) -> Selection:
        """The matching rows, as a bitmap of the index of this generation (exiledb.explore
        .bitmaps): their count, the counts of every facet value and the page are read from it."""
        maps = bitmaps.current(generation)
        mask = maps.select(self, None)
        terms = self.terms
        if terms and mask:
            alternatives = text.key_alternatives(terms)
            narrowed = mask != maps.everything
            if fulltext.checks_rows() and narrowed and mask.bit_count() <= SEARCH_AMONG:
                # a few rows left by the facets: search only those (PostgreSQL reads each
                # match's page; the facets' few rows cost less than a common word's many)
                among = maps.ids(mask)
                mask &= maps.of_ids(fulltext.ids(terms, alternatives, among))
            else:  # each term on its own, kept for the next query with that word
                for term, alts in zip(terms, alternatives, strict=False):
                    mask &= maps.searched(
                        ("term", term, tuple(alts)), functools.partial(fulltext.ids, [term], [alts])
                    )
        return Selection(self, maps, mask)


@dataclass
class Selection:
    """The rows a query matches in one generation of the index."""

    query: Query
    maps: bitmaps.Bitmaps
    mask: int

    @property
    def total(self) -> int:
        return self.mask.bit_count()

    def counts(self) -> dict[str, Any]:
        return self.maps.counts(self.mask)

    def page(self, start: int, count: int) -> list[Entry]:
        """Rows `start` to `start + count` in the query's order (`ordered()`'s)."""
        ids = self.maps.page(self.mask, self.query.sort, start, count)
        found = Entry.objects.in_bulk(ids)
        return [found[pk] for pk in ids if pk in found]


def _getlist(params: Mapping[str, Any], name: str) -> list[str]:
    if hasattr(params, "getlist"):
        values = params.getlist(name)
    else:
        raw = params.get(name, [])
        values = raw if isinstance(raw, (list, tuple)) else [raw]
    out: list[str] = []
    for value in values:
        out += [v for v in str(value).split(",")]
    return out


def _first(params: Mapping[str, Any], name: str) -> str | None:
    values = _getlist(params, name) if name != "q" else _raw(params, name)
    return values[0] if values else None


def _raw(params: Mapping[str, Any], name: str) -> list[str]:
    if hasattr(params, "getlist"):
        return list(params.getlist(name))
    raw = params.get(name)
    if raw is None:
        return []
    return list(raw) if isinstance(raw, (list, tuple)) else [str(raw)]


def facet_list(query: Query, counts: dict[str, Any], limit: int = 10) -> list[dict[str, Any]]:
    """The facets as a page shows them: each value with its label, count, whether it is
    selected and the parameters that toggle it; selected values always shown."""
    out = []
    for facet in FACETS:
        found = counts["facets"].get(facet.param, {})
        chosen = query.selected.get(facet.param, [])
        values = list(found.items())
        if facet.order == "value":
            values.sort(key=lambda kv: kv[0])
        elif facet.order == "-value":
            values.sort(key=lambda kv: kv[0], reverse=True)
        else:
            values.sort(key=lambda kv: (-kv[1], facet.label_of(kv[0])))
        for value in chosen:
            if value not in found:
                values.append((value, 0))
        items = [
            {
                "value": value,
                "label": facet.label_of(value),
                "count": n,
                "selected": value in chosen,
                "params": query.toggled(facet.param, value),
            }
            for value, n in values
        ]
        out.append(
            {
                "param": facet.param,
                "label": facet.label,
                "top": [i for i in items[:limit]] + [i for i in items[limit:] if i["selected"]],
                "more": [i for i in items[limit:] if not i["selected"]],
                "selected": bool(chosen),
            }
        )
    return out

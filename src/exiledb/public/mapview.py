"""The map at /map/: where incidents abroad happened, which state reached there, and how often
relatives at home were targeted.

Drawn on the server as inline SVG (exiledb.public.geo): no script, no map service. The tables
under the map give the same figures for screen readers, small screens and copying.

Every count is of the rows the incident list's filters select, counted from the list's facet
bitmaps (`selection_counts`, exiledb.explore.bitmaps); `counts` asks the database the same
question with one GROUP BY, and the tests compare the two.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from exiledb.explore import filters as explore_filters
from exiledb.explore import index as explore_index
from exiledb.explore.models import Entry
from exiledb.vocab import COUNTRIES
from exiledb.vocab.codebook import translated

from . import geo

STAGES = ("1", "2", "3")
# Shading classes, light to dark (colours in site.css as .q0 .. .q4).
CLASSES = 5


@dataclass(frozen=True)
class Filters:
    """What the map's own form shows: one stage and a range of years. The map takes every
    other filter of the incidents list too (exiledb.explore.filters), carried in the form."""

    stage: int | None = None
    year_from: int | None = None
    year_to: int | None = None
    active: bool = False


def _filters(query: explore_filters.Query) -> Filters:
    stages = query.selected.get("stage", [])
    return Filters(
        stage=int(stages[0]) if len(stages) == 1 else None,
        year_from=query.year_from,
        year_to=query.year_to,
        active=query.active,
    )


# --- counting ------------------------------------------------------------------------------------


def _cached_counts(query: explore_filters.Query) -> Counts:
    """The counts for these filters, from the list's bitmaps (the same rows the list shows)."""
    return selection_counts(query.selection(explore_index.fresh()))


@dataclass
class Counts:
    """Incidents abroad by host country and by (origin, host); incidents in the origin country
    by origin: against relatives (proxy) and other."""

    hosts: Counter[str]
    flows: Counter[tuple[str, str]]
    proxy: Counter[str]
    home: Counter[str]

    @property
    def abroad_total(self) -> int:
        return sum(self.hosts.values())


def counts(incidents: QuerySet[Entry]) -> Counts:
    """The database's answer: one GROUP BY over the index rows; the few groups are summed
    here. COUNT(*), not a count
    of a column, so that an index holding the grouped columns can answer it alone."""
    grouped = incidents.values("country", "origin", "kind")
    rows = grouped.annotate(n=Count("*")).order_by()
    out = Counts(Counter(), Counter(), Counter(), Counter())
    for row in rows:
        host, origin, n = row["country"] or "", row["origin"] or "", row["n"]
        if row["kind"] == "proxy":
            out.proxy[origin] += n
        elif host and host != origin:
            out.hosts[host] += n
            out.flows[(origin, host)] += n
        else:
            out.home[origin] += n
    return out


def selection_counts(selection: explore_filters.Selection) -> Counts:
    """`counts` of a selection, from the list's facet bitmaps: popcounts of the rows of each
    origin and host, as `counts` groups the index rows (tests/test_bitmaps.py compares the
    two). A few thousand ANDs: milliseconds at a million incidents, where the database's
    GROUP BY over a filtered selection took seconds."""
    maps, mask = selection.maps, selection.mask
    kinds, hosts = maps.values.get("kind", {}), maps.values.get("host", {})
    origins = dict(maps.values.get("origin", {}))
    named = 0
    for bits in origins.values():
        named |= bits
    origins[""] = maps.everything & ~named  # rows without an origin, as `counts` keys them
    out = Counts(Counter(), Counter(), Counter(), Counter())
    proxy, abroad = mask & kinds.get("proxy", 0), mask & kinds.get("abroad", 0)
    for origin, bits in origins.items():
        if n := (proxy & bits).bit_count():
            out.proxy[origin] += n
        here = abroad & bits
        if not here:
            continue
        away = 0
        for host, host_bits in hosts.items():
            if host == origin:
                continue
            if n := (here & host_bits).bit_count():
                out.hosts[host] += n
                out.flows[(origin, host)] += n
                away += n
        if home := here.bit_count() - away:
            out.home[origin] += home
    return out


def classes(maximum: int, size: int = CLASSES) -> list[tuple[int, int]]:
    """Up to `size` shading classes (lowest, highest count) covering 1..maximum: one per count
    while counts are few, then geometric steps, so that one large country does not leave every
    other in the lightest class."""
    if maximum <= 0:
        return []
    if maximum <= size:
        return [(i, i) for i in range(1, maximum + 1)]
    tops = sorted({max(1, round(maximum ** (k / size))) for k in range(1, size + 1)})
    lows = [1] + [t + 1 for t in tops[:-1]]
    return list(zip(lows, tops, strict=True))


def shade(n: int, bands: list[tuple[int, int]], size: int = CLASSES) -> int:
    """The colour index (0 lightest .. size-1 darkest) of a count: classes are spread over the
    whole scale, and a single class takes a dark step, so that it stands out from the land."""
    for i, (_low, high) in enumerate(bands):
        if n <= high:
            return _class_colour(i, len(bands), size)
    return size - 1


def _class_colour(i: int, n: int, size: int = CLASSES) -> int:
    if n <= 1:
        return size - 2
    return round(i * (size - 1) / (n - 1))


def _name(code: str) -> str:
    return translated(COUNTRIES.get(code, code)) if code else _("unknown")


# --- the page ------------------------------------------------------------------------------------


def _flow_width(n: int, top: int) -> float:
    return round(1.5 + 4.5 * math.sqrt(n / top), 1)


def _ring_radius(n: int, top: int) -> float:
    return round(7 + 13 * math.sqrt(n / top), 1)


def _drawing(data: Counts) -> dict[str, Any]:
    world = geo.world()
    bands = classes(max(data.hosts.values(), default=0))
    origins = set(data.proxy) | {origin for origin, _host in data.flows}
    countries = []
    for shape in world.shapes:
        n_host, n_proxy = data.hosts.get(shape.code, 0), data.proxy.get(shape.code, 0)
        titles = []
        if n_host:
            titles.append(
                ngettext(
                    "%(country)s: %(count)d incident abroad",
                    "%(country)s: %(count)d incidents abroad",
                    n_host,
                )
                % {"country": translated(shape.name), "count": n_host}
            )
        if n_proxy:
            titles.append(
                ngettext(
                    "%(country)s: %(count)d incident against relatives at home",
                    "%(country)s: %(count)d incidents against relatives at home",
                    n_proxy,
                )
                % {"country": translated(shape.name), "count": n_proxy}
            )
        cls = ["country"]
        if n_host:
            cls += ["host", f"q{shade(n_host, bands)}"]
        if shape.code in origins:
            cls.append("origin")
        countries.append({"d": shape.d, "cls": " ".join(cls), "title": "; ".join(titles)})

    top_flow = max(data.flows.values(), default=1)
    flows = []
    for (origin, host), n in sorted(data.flows.items(), key=lambda kv: kv[1]):
        start, end = world.centroids.get(origin), world.centroids.get(host)
        if start is None or end is None:
            continue
        flows.append(
            {
                "d": geo.flow_path(start, end),
                "width": _flow_width(n, top_flow),
                "title": ngettext(
                    "%(origin)s to %(host)s: %(count)d incident",
                    "%(origin)s to %(host)s: %(count)d incidents",
                    n,
                )
                % {"origin": _name(origin), "host": _name(host), "count": n},
            }
        )

    top_proxy = max(data.proxy.values(), default=1)
    rings = []
    for origin, n in sorted(data.proxy.items()):
        point = world.centroids.get(origin)
        if point is None:
            continue
        rings.append(
            {
                "x": point[0],
                "y": point[1],
                "r": _ring_radius(n, top_proxy),
                "n": n,
                "title": ngettext(
                    "%(country)s: %(count)d incident against relatives at home",
                    "%(country)s: %(count)d incidents against relatives at home",
                    n,
                )
                % {"country": _name(origin), "count": n},
            }
        )

    drawn = set(world.centroids)
    not_drawn = sorted(
        {c for c in data.hosts if c not in drawn}
        | {c for c in data.proxy if c not in drawn}
        | {c for pair in data.flows for c in pair if c not in drawn},
        key=_name,
    )
    legend = [
        {"cls": f"q{_class_colour(i, len(bands))}", "low": low, "high": high}
        for i, (low, high) in enumerate(bands)
    ]
    return {
        "width": world.width,
        "height": world.height,
        "countries": countries,
        "flows": flows,
        "rings": rings,
        "legend": legend,
        "not_drawn": [_name(c) for c in not_drawn],
    }


def _most_first(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Sort key of (count, name, ...) rows: most incidents first, then by name."""
    return (-row[0], *row[1:])


@require_safe
def map_view(request: HttpRequest) -> HttpResponse:
    query = explore_filters.Query.parse(request.GET)
    filters = _filters(query)
    data = _cached_counts(query)
    hosts = [
        {"country": name, "n": n}
        for n, name in sorted(((n, _name(c)) for c, n in data.hosts.items()), key=_most_first)
    ]
    flows = [
        {"origin": origin, "host": host, "n": n}
        for n, origin, host in sorted(
            ((n, _name(o), _name(h)) for (o, h), n in data.flows.items()), key=_most_first
        )
    ]
    home = [
        {"origin": _name(c), "proxy": data.proxy.get(c, 0), "other": data.home.get(c, 0)}
        for c in sorted(set(data.proxy) | set(data.home), key=_name)
    ]
    return render(
        request,
        "public/map.html",
        {
            "map": _drawing(data),
            "hosts": hosts,
            "flows": flows,
            "home": home,
            "home_other": any(row["other"] for row in home),
            "abroad_total": data.abroad_total,
            "proxy_total": sum(data.proxy.values()),
            "filters": filters,
            "stages": STAGES,
            "year_min": explore_filters.YEAR_MIN,
            "year_max": explore_filters.YEAR_MAX,
            "problems": query.problems,
            # the list's other filters travel with the map's form, and back to the list
            "carried": [
                (k, v) for k, v in query.params() if k not in ("stage", "year_from", "year_to")
            ],
            "list_link": reverse("incidents") + "?" + urlencode(query.params()),
        },
    )

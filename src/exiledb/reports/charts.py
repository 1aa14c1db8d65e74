"""Altair specifications of the report's charts, rendered offline to SVG by vl-convert.

Each chart is built from figures already computed by exiledb.analysis.stats (the live figures or
an edition's frozen ones): this module reshapes them into rows and draws them, it never counts
records itself. Every chart comes with the rows it draws, which the report prints as a table
under it (the table is what screen readers and copy-paste use).

The data is inlined in each specification (no URL), and vl-convert renders without a browser or
network, so the SVG loads nothing. Rendering costs about a second for the first chart in a
process (the engine starts) and tens of milliseconds after; `render_svg` caches by
specification, so the same chart is drawn once per process.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from exiledb.vocab import COUNTRIES, codebook

WIDTH = 460
TOP = 12  # bars in the "top N" charts
FONT = "Helvetica, Arial, sans-serif"
COLOURS = {"abroad": "#1f5f8b", "proxy": "#c05a00", "bar": "#1f5f8b"}


@dataclass
class Chart:
    """One chart: its title, what it shows, the table under it, and its specification."""

    key: str
    title: str
    description: str
    columns: list[str]
    rows: list[list[Any]]
    spec: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.rows


def country(code: str | None) -> str:
    if not code:
        return "unknown"
    return f"{COUNTRIES.get(code, code)} ({code})"


# --- specifications -----------------------------------------------------------------------


def _base(values: list[dict[str, Any]], title: str) -> Any:
    import altair as alt

    return alt.Chart(alt.Data(values=values), title=title, width=WIDTH)


def _configure(chart: Any) -> dict[str, Any]:
    spec: dict[str, Any] = (
        chart.configure(font=FONT, background="white")
        .configure_view(stroke=None)
        .configure_axis(labelFontSize=12, titleFontSize=12, labelLimit=220)
        .configure_title(fontSize=14, anchor="start")
        .to_dict()
    )
    return spec


def bars(values: list[dict[str, Any]], title: str, category: str, measure: str) -> dict[str, Any]:
    """Horizontal bars in the given order, with the count printed at the end of each bar."""
    import altair as alt

    order = [v[category] for v in values]
    base = _base(values, title).encode(
        y=alt.Y(f"{category}:N", sort=order, title=None),
        x=alt.X(f"{measure}:Q", title=measure, axis=alt.Axis(tickMinStep=1, format="d")),
        tooltip=[f"{category}:N", f"{measure}:Q"],
    )
    chart = base.mark_bar(color=COLOURS["bar"]) + base.mark_text(
        align="left", dx=3, fontSize=11
    ).encode(text=f"{measure}:Q")
    return _configure(chart.properties(height=max(60, 24 * len(values))))


def funnel(values: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """The stage funnel: one bar per stage, centred on one axis, widest at stage 1."""
    import altair as alt

    base = _base(values, title).encode(
        y=alt.Y("stage:N", sort=[v["stage"] for v in values], title=None),
    )
    chart = base.mark_bar(color=COLOURS["bar"]).encode(
        x=alt.X("cases:Q", stack="center", axis=None), tooltip=["stage:N", "cases:Q"]
    ) + base.mark_text(color="black", fontSize=12, fontWeight="bold").encode(text="cases:Q")
    return _configure(chart.properties(height=40 * len(values)))


def years(values: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """Incidents per year, stacked: abroad and proxy (relatives at home)."""
    import altair as alt

    chart = (
        _base(values, title)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="year", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("incidents:Q", title="incidents", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(
                    domain=["abroad", "proxy"], range=[COLOURS["abroad"], COLOURS["proxy"]]
                ),
                legend=alt.Legend(orient="top"),
            ),
            order=alt.Order("kind:N"),
            tooltip=["year:O", "kind:N", "incidents:Q"],
        )
        .properties(height=220)
    )
    return _configure(chart)


@functools.lru_cache(maxsize=256)
def _render(canonical: str) -> str:
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(json.loads(canonical))
    return svg


def render_svg(spec: dict[str, Any]) -> str:
    """The chart as standalone SVG markup (fonts as text, no links, no scripts)."""
    return _render(json.dumps(spec, sort_keys=True, ensure_ascii=False))


def spec_hash(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


# --- the charts from the figures -----------------------------------------------------------

STAGE_LABELS = {"1": "1 on notice", "2": "2 detained", "3": "3 rendered or attacked"}


def stage_funnel(figures: dict[str, Any]) -> Chart:
    by_stage = figures["cases"]["by_stage"]
    rows = [[STAGE_LABELS[s], int(by_stage.get(s, 0))] for s in ("1", "2", "3")]
    chart = Chart(
        "stages",
        "Cases by highest stage reached",
        "Each targeted person counted once, at the highest stage any incident against them "
        "reached (proxy incidents against relatives count as stage 1 for the exile).",
        ["stage", "cases"],
        rows,
    )
    if by_stage.get("unknown"):
        chart.notes.append(f"{by_stage['unknown']} case(s) with no known stage are not drawn.")
    if any(n for _s, n in rows):
        chart.spec = funnel([{"stage": s, "cases": n} for s, n in rows], chart.title)
    else:
        chart.rows = []
    return chart


def _year_split(figures: dict[str, Any]) -> dict[int, dict[str, int]]:
    """Abroad and proxy incidents per year. The abroad count per year is the sum of the dyad
    table (which holds every dated incident abroad); proxy is the rest of the year's total."""
    incidents = figures["incidents"]
    split: dict[int, dict[str, int]] = {}
    for year, n in incidents.get("by_year", {}).items():
        split[int(year)] = {"abroad": 0, "proxy": int(n)}
    for dyad in figures.get("dyads", []):
        if dyad.get("year") is None:
            continue
        row = split.setdefault(int(dyad["year"]), {"abroad": 0, "proxy": 0})
        row["abroad"] += int(dyad["incidents"])
        row["proxy"] -= int(dyad["incidents"])
    return split


def incidents_per_year(figures: dict[str, Any]) -> Chart:
    split = _year_split(figures)
    rows = []
    if split:
        for year in range(min(split), max(split) + 1):
            counts = split.get(year, {"abroad": 0, "proxy": 0})
            rows.append(
                [year, counts["abroad"], counts["proxy"], counts["abroad"] + counts["proxy"]]
            )
    chart = Chart(
        "years",
        "Incidents per year: against exiles abroad and against relatives at home",
        "Documented incidents by the year they took place; proxy incidents target relatives "
        "at home because of an exile abroad.",
        ["year", "abroad", "proxy", "total"],
        rows,
    )
    dated = sum(r[3] for r in rows)
    undated = int(figures["incidents"]["total"]) - dated
    if undated > 0:
        chart.notes.append(f"{undated} incident(s) with no known year are not drawn.")
    if rows:
        values = [
            {"year": r[0], "kind": kind, "incidents": r[i]}
            for r in rows
            for i, kind in ((1, "abroad"), (2, "proxy"))
        ]
        chart.spec = years(values, chart.title)
    return chart


def _top(pairs: list[tuple[str, int]], limit: int = TOP) -> tuple[list[tuple[str, int]], int]:
    pairs = sorted(pairs, key=lambda p: (-p[1], p[0]))
    rest = sum(n for _l, n in pairs[limit:])
    return pairs[:limit], rest


def _bar_chart(
    key: str,
    title: str,
    description: str,
    column: str,
    pairs: list[tuple[str, int]],
    measure: str = "incidents",
    limit: int = TOP,
) -> Chart:
    top, rest = _top(pairs, limit)
    chart = Chart(key, title, description, [column, measure], [[lab, n] for lab, n in top])
    if rest:
        chart.notes.append(f"{len(pairs) - len(top)} more with {rest} {measure} in all.")
    if top:
        chart.spec = bars([{column: lab, measure: n} for lab, n in top], title, column, measure)
    return chart


def host_countries(figures: dict[str, Any]) -> Chart:
    pairs = [(country(c), int(n)) for c, n in figures["incidents"]["by_host_country"].items()]
    return _bar_chart(
        "hosts",
        "Top host countries: incidents against exiles abroad",
        "Incidents abroad by the country where they took place.",
        "host country",
        pairs,
    )


def dyads(figures: dict[str, Any]) -> Chart:
    totals: dict[tuple[str, str], int] = {}
    for d in figures.get("dyads", []):
        key = (d["origin"], d["host"])
        totals[key] = totals.get(key, 0) + int(d["incidents"])
    pairs = [(f"{country(o)} \u2192 {country(h)}", n) for (o, h), n in totals.items()]
    return _bar_chart(
        "dyads",
        "Origin \u2192 host dyads: incidents abroad",
        "Dated incidents abroad by the state behind them (origin) and the country where they "
        "took place (host), all years together; the year-by-year table is in the figures "
        "(`dyads`).",
        "origin \u2192 host",
        pairs,
    )


def stacked(values: list[dict[str, Any]], title: str, category: str) -> dict[str, Any]:
    """Horizontal bars split into abroad and proxy, in the given order."""
    import altair as alt

    order = list(dict.fromkeys(v[category] for v in values))
    chart = (
        _base(values, title)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", sort=order, title=None),
            x=alt.X("incidents:Q", title="incidents", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(
                    domain=["abroad", "proxy"], range=[COLOURS["abroad"], COLOURS["proxy"]]
                ),
                legend=alt.Legend(orient="top"),
            ),
            order=alt.Order("kind:N"),
            tooltip=[f"{category}:N", "kind:N", "incidents:Q"],
        )
        .properties(height=max(60, 24 * len(order)))
    )
    return _configure(chart)


def kinship(figures: dict[str, Any]) -> Chart:
    section = figures.get("proxy", {}).get("kinship")
    pairs = [
        (codebook.KINSHIP.label(k, translate=False), int(n)) for k, n in (section or {}).items()
    ]
    chart = _bar_chart(
        "kinship",
        "Kinship of targeted relatives",
        "Relatives targeted at home, each counted once, by their tie to the exile whose "
        "activity provoked it (only ties on record; in public figures, public ties only).",
        "kinship",
        pairs,
        measure="relatives",
    )
    if section is None:
        chart.notes.append("These figures (frozen before kinship was counted) have no kinship.")
    return chart


def outcomes(figures: dict[str, Any]) -> Chart:
    """Outcomes of incidents abroad and of proxy incidents (for those, what the exile did)."""
    every = figures["incidents"].get("by_outcome")
    proxy = figures.get("proxy", {}).get("outcomes", {})
    rows: list[list[Any]] = []
    for code, n in (every or {}).items():
        p = int(proxy.get(code, 0))
        rows.append([codebook.OUTCOMES.label(code, translate=False), int(n) - p, p, int(n)])
    rows.sort(key=lambda r: (-r[3], r[0]))
    chart = Chart(
        "outcomes",
        "Outcomes: what came of the incidents",
        "For incidents abroad, what happened to the person targeted; for proxy incidents, "
        "also what the exile did in response (the question 'does it work?').",
        ["outcome", "abroad", "proxy", "total"],
        rows,
    )
    if every is None:
        chart.notes.append("These figures (frozen before outcomes were counted) have none.")
    if rows:
        values = [
            {"outcome": r[0], "kind": kind, "incidents": r[i]}
            for r in rows
            for i, kind in ((1, "abroad"), (2, "proxy"))
        ]
        chart.spec = stacked(values, chart.title, "outcome")
    return chart


CHARTS: tuple[Callable[[dict[str, Any]], Chart], ...] = (
    stage_funnel,
    incidents_per_year,
    host_countries,
    dyads,
    kinship,
    outcomes,
)


def all_charts(figures: dict[str, Any]) -> list[Chart]:
    return [make(figures) for make in CHARTS]

"""The self-contained HTML report: charts inline as SVG, a table under each, methodology and
caveats, and where the figures come from (live data with filters, or a frozen edition).

The file loads nothing: no script, no stylesheet link, no font, no image by URL. It opens from a
USB stick on a machine with no network, and reading it leaves no trace on any server - which
matters to readers in the countries the data is about.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.template import Context, Engine
from django.utils import timezone
from django.utils.safestring import mark_safe

from exiledb.access.policy import INTERNAL, PUBLIC
from exiledb.analysis import stats, stored
from exiledb.analysis.filters import FilterError, Filters
from exiledb.vocab import CODEBOOK_VERSION

from . import charts


class ReportError(Exception):
    pass


@dataclass
class Source:
    """Where the figures come from."""

    audience: str
    figures: dict[str, Any]
    edition: Any = None  # exiledb.editions.models.Edition
    filters: dict[str, Any] = field(default_factory=dict)


def live_figures(
    audience: str,
    since: str | None = None,
    until: str | None = None,
    min_confidence: str | None = None,
) -> Source:
    """Figures over the current data for `audience`, narrowed by the statistics' filters."""
    if audience not in (PUBLIC, INTERNAL):
        raise ReportError(f"unknown audience '{audience}' (public or internal)")
    try:
        chosen = Filters.parse(min_confidence=min_confidence, since=since, until=until)
    except FilterError as exc:
        raise ReportError(f"--{exc.option.replace('_', '-')}: {exc.message}") from None
    figures = stored.figures(chosen, internal=audience == INTERNAL)
    given = {"since": since, "until": until, "min_confidence": min_confidence}
    return Source(audience, figures, filters={k: v for k, v in given.items() if v})


def edition_figures(name: str, audience: str) -> Source:
    """An edition's frozen figures for `audience`."""
    from exiledb.editions import store

    if audience not in (PUBLIC, INTERNAL):
        raise ReportError(f"unknown audience '{audience}' (public or internal)")
    try:
        edition = store.get(name)
    except store.EditionError as exc:
        raise ReportError(str(exc)) from None
    return Source(audience, edition.figures[audience], edition=edition)


@functools.cache
def _engine() -> Engine:
    """A template engine of its own: the report is not a page of the site (reports is not an
    installed app) and must not pick up the site's templates or context processors."""
    return Engine(dirs=[str(Path(__file__).parent / "templates")], autoescape=True)


def _number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def render(source: Source, now: dt.datetime | None = None) -> str:
    """The report as one HTML document."""
    now = now or timezone.now().replace(microsecond=0)
    figures = source.figures
    drawn = []
    for chart in charts.all_charts(figures):
        svg = charts.render_svg(chart.spec) if chart.spec else ""
        drawn.append(
            {
                "chart": chart,
                "svg": mark_safe(svg),  # noqa: S308 - vl-convert's SVG of escaped data
                "rows": [[_number(v) for v in row] for row in chart.rows],
            }
        )
    incidents = figures["incidents"]
    edition = source.edition
    context = {
        "audience": source.audience,
        "internal": source.audience == INTERNAL,
        "generated": now.isoformat(),
        "codebook": figures.get("codebook", CODEBOOK_VERSION),
        "note": figures.get("note", stats.FLOOR_NOTE),
        "edition": edition,
        "edition_date": edition.created_at.isoformat() if edition else "",
        "filters": source.filters,
        "applied": figures.get("filters"),
        "summary": [
            ("Incidents documented", _number(incidents["total"])),
            ("against exiles abroad", _number(incidents["abroad"])),
            ("against relatives at home (proxy)", _number(incidents["proxy"])),
            ("Cases (targeted persons)", _number(figures["cases"]["total"])),
            (
                "Relatives targeted (named records, each once)",
                _number(figures["relatives_targeted"]),
            ),
        ],
        "charts": drawn,
    }
    return _engine().get_template("reports/report.html").render(Context(context))


def write(path: Path, source: Source) -> Path:
    """Write the report next to its final name and move it into place."""
    text = render(source)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path

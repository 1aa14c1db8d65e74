"""The overview's charts, drawn on the server as SVG: no script, no chart library, no service.

Each function takes figures already computed (exiledb.analysis.stats) and returns the markup of
one <svg role="img"> whose accessible name is the title it is given. The page puts the same
figures in a table next to each chart: the table is what screen readers and copy-paste use, the
chart is a picture of it. Every text goes through format_html, so labels are escaped.

The drawings are narrow (WIDTH user units) and scale to the width of their column, so their
text stays legible on a 360-pixel phone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

WIDTH = 420
LABEL_MAX = 24
CHAR_W = 8.0  # a generous average width of a character of the 14-unit font


def _short(text: str, limit: int = LABEL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _f(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _svg(key: str, title: str, height: float, body: SafeString, desc: str = "") -> SafeString:
    """The <svg>, named by its <title> (and described by its <desc>); `key` makes their ids
    unique on the page."""
    desc_html = format_html('<desc id="{}-desc">{}</desc>', key, desc) if desc else ""
    labelled = f"{key}-title {key}-desc" if desc else f"{key}-title"
    return format_html(
        '<svg viewBox="0 0 {} {}" role="img" aria-labelledby="{}" class="chart" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{}-title">{}</title>{}{}</svg>',
        WIDTH,
        _f(height),
        labelled,
        key,
        title,
        desc_html,
        body,
    )


def nice_step(maximum: int, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) that divides 0..maximum into at most
    `ticks` intervals."""
    if maximum <= ticks:
        return 1
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return int(factor * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


def hbars(
    key: str,
    title: str,
    rows: Sequence[tuple[str, int]],
    classes: Sequence[str] = (),
    desc: str = "",
    centred: bool = False,
) -> SafeString:
    """Horizontal bars, one row per (label, count), labels on the left and counts at the end of
    each bar. `centred` draws a funnel: each bar centred on the same axis."""
    row_h, bar_h, top = 30.0, 20.0, 6.0
    longest = max((len(_short(label)) for label, _n in rows), default=0)
    label_w = min(200.0, max(60.0, CHAR_W * longest + 12))
    area = WIDTH - label_w - 40.0
    top_value = max((n for _l, n in rows), default=0) or 1
    height = top + row_h * len(rows) + 4
    parts = []
    for i, (label, n) in enumerate(rows):
        y = top + i * row_h
        w = area * n / top_value
        if n and w < 2:
            w = 2.0
        x = label_w + (area - w) / 2 if centred else label_w
        cls = classes[i] if i < len(classes) else ""
        parts.append(
            format_html(
                '<g><title>{}: {}</title><text x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" class="bar {}"/>'
                '<text x="{}" y="{}">{}</text></g>',
                label,
                n,
                _f(label_w - 8),
                _f(y + bar_h / 2 + 5),
                _short(label),
                _f(x),
                _f(y),
                _f(w),
                _f(bar_h),
                cls,
                _f(x + w + 6),
                _f(y + bar_h / 2 + 5),
                n,
            )
        )
    axis = format_html(
        '<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" class="axis"/>',
        _f(label_w + area / 2 if centred else label_w),
        _f(top - 3),
        _f(height - 2),
    )
    body = format_html(
        "{}{}", axis if not centred else "", format_html_join("", "{}", ((p,) for p in parts))
    )
    return _svg(key, title, height, body, desc)


def vbars(key: str, title: str, rows: Sequence[tuple[str, int]], desc: str = "") -> SafeString:
    """Vertical bars over labelled columns (years), with a light grid of round counts. Labels
    are thinned to at most about a dozen; every bar keeps its own <title>."""
    left, right, top, bottom = 34.0, 8.0, 16.0, 26.0
    plot_h = 150.0
    height = top + plot_h + bottom
    n_cols = max(len(rows), 1)
    band = (WIDTH - left - right) / n_cols
    top_value = max((n for _l, n in rows), default=0)
    step = nice_step(top_value)
    scale_top = max(step * math.ceil(top_value / step), 1) if top_value else 1
    every = max(1, math.ceil(n_cols / 12))
    grid = []
    for value in range(0, scale_top + 1, step):
        y = top + plot_h - plot_h * value / scale_top
        grid.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" class="grid"/>'
                '<text x="{}" y="{}" text-anchor="end" class="small">{}</text>',
                _f(left),
                _f(y),
                _f(WIDTH - right),
                _f(y),
                _f(left - 4),
                _f(y + 4),
                value,
            )
        )
    bars = []
    for i, (label, n) in enumerate(rows):
        h = plot_h * n / scale_top
        x = left + i * band + band * 0.15
        w = band * 0.7
        y = top + plot_h - h
        tick = (
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" class="small">{}</text>',
                _f(x + w / 2),
                _f(top + plot_h + 16),
                label,
            )
            if i % every == 0
            else ""
        )
        count = (
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" class="small">{}</text>',
                _f(x + w / 2),
                _f(y - 3),
                n,
            )
            if n and n_cols <= 16
            else ""
        )
        bars.append(
            format_html(
                '<g><title>{}: {}</title><rect x="{}" y="{}" width="{}" height="{}" class="bar"/>'
                "{}{}</g>",
                label,
                n,
                _f(x),
                _f(y),
                _f(w),
                _f(h),
                count,
                tick,
            )
        )
    axis = format_html(
        '<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" class="axis"/>',
        _f(left),
        _f(top + plot_h),
        _f(WIDTH - right),
    )
    body = format_html(
        "{}{}{}",
        format_html_join("", "{}", ((g,) for g in grid)),
        format_html_join("", "{}", ((b,) for b in bars)),
        axis,
    )
    return _svg(key, title, height, body, desc)


def split_bar(
    key: str, title: str, parts: Sequence[tuple[str, int, str]], desc: str = ""
) -> SafeString:
    """One bar split into parts (label, count, css class), each with its share; a key under
    the bar names each part, so the colours need not be told apart."""
    left, bar_y, bar_h = 4.0, 6.0, 34.0
    width = WIDTH - 2 * left
    total = sum(n for _l, n, _c in parts)
    key_y = bar_y + bar_h + 22
    height = key_y + 22 * len(parts)
    out = []
    x = left
    for i, (label, n, cls) in enumerate(parts):
        w = width * n / total if total else 0.0
        share = round(100 * n / total) if total else 0
        inside = (
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" class="on-bar">{}</text>',
                _f(x + w / 2),
                _f(bar_y + bar_h / 2 + 5),
                n,
            )
            if w >= 28
            else ""
        )
        y = key_y + 22 * i
        out.append(
            format_html(
                '<g><title>{}: {} ({}%)</title><rect x="{}" y="{}" width="{}" height="{}" '
                'class="bar {}"/>{}</g>'
                '<rect x="{}" y="{}" width="14" height="14" class="bar {}"/>'
                '<text x="{}" y="{}">{}: {} ({}%)</text>',
                label,
                n,
                share,
                _f(x),
                _f(bar_y),
                _f(w),
                _f(bar_h),
                cls,
                inside,
                _f(left),
                _f(y - 11),
                cls,
                _f(left + 20),
                _f(y),
                label,
                n,
                share,
            )
        )
        x += w
    return _svg(key, title, height, format_html_join("", "{}", ((p,) for p in out)), desc)


def overview(
    figures: dict[str, Any], hosts: list[tuple[str, int]], years: list[tuple[str, int]]
) -> dict[str, Any]:
    """The overview's charts, by name, from stats.compute()'s figures and the rows of the
    overview's host and year tables: pictures of the tables beside them."""
    by_stage = figures["cases"]["by_stage"]
    incidents = figures["incidents"]
    same = _("The same figures are in the table beside the chart.")
    out: dict[str, Any] = {
        "stages": hbars(
            "chart-stages",
            _("Documented cases by highest stage reached"),
            [
                (_("1: on notice"), by_stage.get("1", 0)),
                (_("2: detained"), by_stage.get("2", 0)),
                (_("3: rendered or attacked"), by_stage.get("3", 0)),
            ],
            classes=("stage1", "stage2", "stage3"),
            centred=True,
            desc=same,
        )
    }
    if incidents["total"]:
        out["split"] = split_bar(
            "chart-split",
            _("Documented incidents against exiles abroad and against relatives at home"),
            [
                (_("Against exiles abroad"), incidents["abroad"], "abroad"),
                (_("Against relatives at home (proxy)"), incidents["proxy"], "proxy"),
            ],
            desc=same,
        )
    if years:
        out["years"] = vbars(
            "chart-years",
            _("Documented incidents per year"),
            years,
            desc=same,
        )
    if hosts:
        out["hosts"] = hbars(
            "chart-hosts", _("Host countries of incidents abroad"), hosts, desc=same
        )
    return out

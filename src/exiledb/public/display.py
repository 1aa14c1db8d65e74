"""How public pages word dates, places and codes: honest about precision, no database needed.

A month-precise date reads "September 2016 (month known)", never "1 September 2016"; a place
known only to its country reads "Tajikistan (country only)", never a city or a point.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.dates import MONTHS, MONTHS_ALT
from django.utils.translation import gettext as _

from exiledb.vocab import COUNTRIES, codebook, dates
from exiledb.vocab.codebook import translated


def country(code: str | None) -> str:
    """The short name of an ISO 3166-1 code in the reader's language (the code itself when
    unknown)."""
    name = COUNTRIES.get(code or "")
    return translated(name) if name else code or ""


def date_text(value: str | None) -> str:
    """A partial date in words, with its precision: '22 September 2016', 'September 2016
    (month known)', '2016 (year known)', 'date unknown'."""
    try:
        text, precision = dates.parse(value)
    except dates.PartialDateError:
        return _("date unknown")
    if precision == "unknown":
        return _("date unknown")
    year = int(text[:4])
    if precision == "year":
        return _("%(year)d (year known)") % {"year": year}
    month = str(MONTHS[int(text[5:7])])
    if precision == "month":
        return _("%(month)s %(year)d (month known)") % {"month": month, "year": year}
    # the month as it reads after a day (Russian: genitive, "22 сентября"); in English the same
    day_month = str(MONTHS_ALT[int(text[5:7])])
    return _("%(day)d %(month)s %(year)d") % {
        "day": int(text[8:10]),
        "month": day_month,
        "year": year,
    }


def date_range_text(start: str | None, end: str | None) -> str:
    """A date or a range of partial dates in words."""
    if not end or end == start:
        return date_text(start)
    if not start:
        return _("until %(end)s") % {"end": date_text(end)}
    return _("%(start)s to %(end)s") % {"start": date_text(start), "end": date_text(end)}


def sort_key(value: str | None) -> tuple[int, dt.date]:
    """Order by the earliest day a partial date may mean; unknown dates last."""
    try:
        first = dates.earliest(value)
    except dates.PartialDateError:
        first = None
    return (1, dt.date.max) if first is None else (0, first)


def place_text(rec: dict[str, Any]) -> str:
    """Where a public incident happened, no more precisely than published: 'Khujand (city),
    Tajikistan', 'Sughd (region only), Tajikistan', 'Tajikistan (country only)'."""
    name = country(rec.get("country"))
    precision = rec.get("place_precision") or "country"
    place = (rec.get("place") or "").strip()
    region = (rec.get("region") or "").strip()
    if precision in ("city", "exact") and place:
        return _("%(place)s (city), %(country)s") % {"place": place, "country": name}
    if precision in ("city", "exact", "region") and region:
        return _("%(region)s (region only), %(country)s") % {"region": region, "country": name}
    return _("%(country)s (country only)") % {"country": name}


def stage_text(stage: int | None) -> str:
    """'Stage 2: detained', or a plain statement that no stage could be derived."""
    if stage is None:
        return _("no stage (no tactic coded)")
    return codebook.STAGES.label(str(stage))

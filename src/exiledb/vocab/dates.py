"""Partial dates: ISO 8601 prefixes with an explicit precision.

"2016-09-22" is day-precise, "2016-09" month-precise, "2016" year-precise, "" unknown. A
month-precise date is kept as "2016-09" - never turned into a fake 1 September - and its earliest
and latest possible days are derived for sorting and range queries.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

_PATTERN = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")


class PartialDateError(ValueError):
    """A value that is not a valid partial date."""


def parse(value: str | None) -> tuple[str, str]:
    """Normalise a partial date; return (value, precision).

    Raises PartialDateError with a message fit for an end user.
    """
    text = (value or "").strip()
    if not text:
        return "", "unknown"
    m = _PATTERN.match(text)
    if not m:
        raise PartialDateError(
            f"'{text}' is not a date: write YYYY-MM-DD, YYYY-MM or YYYY (e.g. 2016-09-22, 2016-09)"
        )
    year, month, day = int(m[1]), m[2], m[3]
    if not 1000 <= year <= 2999:
        raise PartialDateError(f"'{text}': year {year} is out of range")
    if month is None:
        return text, "year"
    if not 1 <= int(month) <= 12:
        raise PartialDateError(f"'{text}': there is no month {month}")
    if day is None:
        return text, "month"
    last = calendar.monthrange(year, int(month))[1]
    if not 1 <= int(day) <= last:
        raise PartialDateError(f"'{text}': there is no day {day} in {year}-{month}")
    return text, "day"


def precision(value: str | None) -> str:
    return parse(value)[1]


def earliest(value: str | None) -> dt.date | None:
    """The first day the partial date may mean."""
    text, prec = parse(value)
    if prec == "unknown":
        return None
    parts = [int(p) for p in text.split("-")]
    return dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def latest(value: str | None) -> dt.date | None:
    """The last day the partial date may mean."""
    text, prec = parse(value)
    if prec == "unknown":
        return None
    parts = [int(p) for p in text.split("-")]
    year = parts[0]
    month = parts[1] if len(parts) > 1 else 12
    day = parts[2] if len(parts) > 2 else calendar.monthrange(year, month)[1]
    return dt.date(year, month, day)


def year(value: str | None) -> int | None:
    text, prec = parse(value)
    return None if prec == "unknown" else int(text[:4])


def check_range(start: str | None, end: str | None) -> None:
    """Raise PartialDateError when a range ends before it starts."""
    if not end or not start:
        return  # an open end ("since 2015", "until 2016") is a valid range
    lo, hi = earliest(start), latest(end)
    if lo and hi and hi < lo:
        raise PartialDateError(f"the range {start} .. {end} ends before it starts")


def describe(value: str | None) -> str:
    """Human wording, e.g. '2016-09 (month known)'."""
    text, prec = parse(value)
    if prec == "unknown":
        return "date unknown"
    if prec == "day":
        return text
    return f"{text} ({prec} known)"

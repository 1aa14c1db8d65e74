"""What a figure is computed over: minimum confidence, a date range and minimum precisions.

Partial dates are handled by one rule, the same everywhere (CLI, site, API, reports):

- `since` and `until` are partial dates themselves. `since=2016` means from 2016-01-01,
  `until=2016-09` up to and including 2016-09-30.
- An incident is counted only when *all* the days its date may mean lie inside the range: its
  earliest possible day (`date_earliest`) is on or after `since` and its latest possible day
  (`date_latest`, from `date_end` when it has one) is on or before `until`. An incident dated
  only "2016" is therefore outside `since=2016-06`; an undated incident is outside any range.
- Incidents left out *only* because their imprecise date may or may not fall in the range are
  counted separately (`excluded.date_range_uncertain`), so a reader sees how much the rule cost.

The filtered figures stay a floor: an incident is never counted in a range it may lie outside.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet

from exiledb.vocab import codebook, dates

if TYPE_CHECKING:  # importable before Django is set up: the CLI checks options first
    from exiledb.cases.models import Incident

# Strongest first: a minimum admits its own level and every stronger one.
CONFIDENCE_ORDER = ("confirmed", "probable", "possible")
DATE_PRECISION_ORDER = ("day", "month", "year", "unknown")
PLACE_PRECISION_ORDER = ("exact", "city", "region", "country")

DATE_RULE = (
    "An incident is inside a date range only if every day its partial date may mean lies inside "
    "it (2016 is not inside since=2016-06); undated incidents are outside any range."
)


class FilterError(ValueError):
    """A filter value that is not valid; `option` names the option it came from."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option
        self.message = message


def _at_least(order: tuple[str, ...], minimum: str) -> list[str]:
    return list(order[: order.index(minimum) + 1])


def _check_code(option: str, value: str | None, order: tuple[str, ...]) -> str | None:
    if value is None or value == "":
        return None
    code = value.strip().lower()
    if code not in order:
        raise FilterError(option, f"'{value}' is not one of {', '.join(order)}")
    return code


def _check_date(option: str, value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    try:
        text, _ = dates.parse(value)
    except dates.PartialDateError as exc:
        raise FilterError(option, str(exc)) from None
    return text


@dataclass(frozen=True)
class Filters:
    """The filters of one set of figures. Build with `Filters.parse` to validate input."""

    min_confidence: str | None = None
    since: str | None = None
    until: str | None = None
    min_date_precision: str | None = None
    min_place_precision: str | None = None

    @classmethod
    def parse(
        cls,
        min_confidence: str | None = None,
        since: str | None = None,
        until: str | None = None,
        min_date_precision: str | None = None,
        min_place_precision: str | None = None,
    ) -> Filters:
        """Validated filters; raises FilterError naming the option at fault."""
        made = cls(
            min_confidence=_check_code("min_confidence", min_confidence, CONFIDENCE_ORDER),
            since=_check_date("since", since),
            until=_check_date("until", until),
            min_date_precision=_check_code(
                "min_date_precision", min_date_precision, DATE_PRECISION_ORDER
            ),
            min_place_precision=_check_code(
                "min_place_precision", min_place_precision, PLACE_PRECISION_ORDER
            ),
        )
        if made.since and made.until:
            lo, hi = dates.earliest(made.since), dates.latest(made.until)
            if lo and hi and hi < lo:
                raise FilterError("until", f"{made.until} is before since={made.since}")
        return made

    @property
    def active(self) -> bool:
        return any(
            (
                self.min_confidence,
                self.since,
                self.until,
                self.min_date_precision,
                self.min_place_precision,
            )
        )

    @property
    def since_day(self) -> dt.date | None:
        return dates.earliest(self.since) if self.since else None

    @property
    def until_day(self) -> dt.date | None:
        return dates.latest(self.until) if self.until else None

    # --- the conditions, one per filter ----------------------------------------------------

    def _confidence_q(self) -> Q | None:
        if not self.min_confidence:
            return None
        return Q(confidence__in=_at_least(CONFIDENCE_ORDER, self.min_confidence))

    def _range_q(self) -> Q | None:
        """Certainly inside the range (the counting rule)."""
        if not (self.since or self.until):
            return None
        q = Q(date_earliest__isnull=False)
        if self.since_day:
            q &= Q(date_earliest__gte=self.since_day)
        if self.until_day:
            q &= Q(date_latest__lte=self.until_day)
        return q

    def _overlap_q(self) -> Q | None:
        """May lie inside the range: undated, or some possible day inside it."""
        if not (self.since or self.until):
            return None
        q = Q()
        if self.since_day:
            q &= Q(date_latest__gte=self.since_day)
        if self.until_day:
            q &= Q(date_earliest__lte=self.until_day)
        return Q(date_earliest__isnull=True) | q

    def _date_precision_q(self) -> Q | None:
        if not self.min_date_precision:
            return None
        return Q(date_precision__in=_at_least(DATE_PRECISION_ORDER, self.min_date_precision))

    def _place_precision_q(self) -> Q | None:
        if not self.min_place_precision:
            return None
        return Q(place_precision__in=_at_least(PLACE_PRECISION_ORDER, self.min_place_precision))

    def conditions(self) -> dict[str, Q]:
        named = {
            "confidence": self._confidence_q(),
            "date_range": self._range_q(),
            "date_precision": self._date_precision_q(),
            "place_precision": self._place_precision_q(),
        }
        return {k: q for k, q in named.items() if q is not None}

    def apply(self, incidents: QuerySet[Incident]) -> QuerySet[Incident]:
        """The incidents that pass every filter."""
        for q in self.conditions().values():
            incidents = incidents.filter(q)
        return incidents

    def excluded(self, incidents: QuerySet[Incident]) -> dict[str, int]:
        """How many of `incidents` each filter leaves out on its own (one pass), and how many of
        those the date range left out only because their date is too imprecise to tell."""
        conditions = self.conditions()
        if not conditions:
            return {}
        counts: dict[str, Any] = {name: Count("pk", filter=~q) for name, q in conditions.items()}
        overlap = self._overlap_q()
        if overlap is not None and "date_range" in conditions:
            counts["date_range_uncertain"] = Count("pk", filter=overlap & ~conditions["date_range"])
        return {k: int(v) for k, v in incidents.aggregate(**counts).items()}

    def as_dict(self) -> dict[str, Any]:
        """The filters as applied, for the figures' `filters` section."""
        return {
            "min_confidence": self.min_confidence,
            "confidence_levels": (
                _at_least(CONFIDENCE_ORDER, self.min_confidence)
                if self.min_confidence
                else list(CONFIDENCE_ORDER)
            ),
            "since": self.since,
            "until": self.until,
            "since_day": self.since_day.isoformat() if self.since_day else None,
            "until_day": self.until_day.isoformat() if self.until_day else None,
            "min_date_precision": self.min_date_precision,
            "min_place_precision": self.min_place_precision,
            "date_rule": DATE_RULE,
        }


NONE = Filters()

# The vocabularies the orders above must match; checked by tests/test_stats.py.
ORDERED_VOCABULARIES = {
    CONFIDENCE_ORDER: codebook.CONFIDENCE,
    DATE_PRECISION_ORDER: codebook.DATE_PRECISION,
    PLACE_PRECISION_ORDER: codebook.PLACE_PRECISION,
}

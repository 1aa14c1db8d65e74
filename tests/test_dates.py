"""Partial dates: a value plus its precision, never a fake first of the month."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exiledb.vocab import dates

D = dt.date


@pytest.mark.parametrize(
    ("value", "precision", "earliest", "latest", "year"),
    [
        ("2016-09-22", "day", D(2016, 9, 22), D(2016, 9, 22), 2016),
        ("2016-09", "month", D(2016, 9, 1), D(2016, 9, 30), 2016),
        ("2016-02", "month", D(2016, 2, 1), D(2016, 2, 29), 2016),
        ("2015-02", "month", D(2015, 2, 1), D(2015, 2, 28), 2015),
        ("1900-02", "month", D(1900, 2, 1), D(1900, 2, 28), 1900),
        ("2000-02", "month", D(2000, 2, 1), D(2000, 2, 29), 2000),
        ("2016-12", "month", D(2016, 12, 1), D(2016, 12, 31), 2016),
        ("2016", "year", D(2016, 1, 1), D(2016, 12, 31), 2016),
        ("2016-02-29", "day", D(2016, 2, 29), D(2016, 2, 29), 2016),
        ("1000", "year", D(1000, 1, 1), D(1000, 12, 31), 1000),
        ("2999-12-31", "day", D(2999, 12, 31), D(2999, 12, 31), 2999),
        ("", "unknown", None, None, None),
        (None, "unknown", None, None, None),
        ("   ", "unknown", None, None, None),
    ],
)
def test_a_partial_date_keeps_its_precision_and_bounds(value, precision, earliest, latest, year):
    assert dates.precision(value) == precision
    assert dates.earliest(value) == earliest
    assert dates.latest(value) == latest
    assert dates.year(value) == year


def test_a_month_date_stays_a_month_and_is_not_the_first():
    value, precision = dates.parse("2016-09")
    assert (value, precision) == ("2016-09", "month")
    assert dates.earliest("2016-09") == D(2016, 9, 1)
    assert dates.latest("2016-09") == D(2016, 9, 30)
    assert value != dates.earliest("2016-09").isoformat()


@pytest.mark.parametrize(
    ("value", "normalised"),
    [(" 2016-09 ", "2016-09"), ("2016\n", "2016"), ("\t2016-09-22", "2016-09-22")],
)
def test_surrounding_whitespace_is_trimmed(value, normalised):
    assert dates.parse(value)[0] == normalised


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("2016-02-30", "no day 30"),
        ("2015-02-29", "no day 29"),
        ("2016-04-31", "no day 31"),
        ("2016-09-00", "no day 00"),
        ("2016-13", "no month 13"),
        ("2016-00", "no month 00"),
        ("16-09", "not a date"),
        ("2016/09/01", "not a date"),
        ("2016-9", "not a date"),
        ("2016-09-1", "not a date"),
        ("22.09.2016", "not a date"),
        ("September 2016", "not a date"),
        ("2016-09-22T10:00", "not a date"),
        ("20160922", "not a date"),
        ("0999", "out of range"),
        ("3000", "out of range"),
    ],
)
def test_impossible_dates_are_refused_with_a_reason(value, why):
    with pytest.raises(dates.PartialDateError) as exc:
        dates.parse(value)
    assert value in str(exc.value)
    assert why in str(exc.value)
    for derived in (dates.earliest, dates.latest, dates.year, dates.precision, dates.describe):
        with pytest.raises(dates.PartialDateError):
            derived(value)


@pytest.mark.parametrize(
    "value",
    [
        "\uff12\uff10\uff11\uff16-09",  # fullwidth digits
        "\u0662\u0660\u0661\u0666",  # Arabic-Indic digits
        "\u06f2\u06f0\u06f1\u06f6-09-22",  # Persian (extended Arabic-Indic) digits
    ],
)
def test_only_ascii_digits_make_a_date(value):
    # ISO 8601 dates are ASCII; other digits sort wrongly as stored text and break range queries.
    with pytest.raises(dates.PartialDateError):
        dates.parse(value)


def test_a_partial_date_error_is_a_value_error():
    assert issubclass(dates.PartialDateError, ValueError)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2016-09-22", "2016-09-22"),
        ("2016-09", "2016-09 (month known)"),
        ("2016", "2016 (year known)"),
        ("", "date unknown"),
    ],
)
def test_describe_says_how_precise_a_date_is(value, expected):
    assert dates.describe(value) == expected


# --- ranges -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2016-09", "2016-10"),
        ("2016-09", "2016-09-15"),  # the end may fall inside a month-precise start
        ("2016-09-15", "2016-09"),
        ("2016-09-30", "2016-09"),
        ("2016", "2016-03"),
        ("2015", "2016"),
        ("2016-09-22", "2016-09-22"),
        ("2016", ""),  # open end: "since 2016"
        ("2016", None),
        ("", "2016"),
        (None, None),
    ],
)
def test_a_range_that_can_be_true_is_accepted(start, end):
    assert dates.check_range(start, end) is None


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2016-09", "2016-08"),
        ("2016", "2015-12-31"),
        ("2016-09-22", "2016-09-21"),
        ("2016-10-01", "2016-09"),
        ("2017", "2016"),
    ],
)
def test_a_range_that_ends_before_it_starts_is_refused(start, end):
    with pytest.raises(dates.PartialDateError, match="ends before it starts"):
        dates.check_range(start, end)


def test_a_range_with_an_impossible_end_is_refused():
    with pytest.raises(dates.PartialDateError):
        dates.check_range("2016", "2016-02-30")


# --- properties -------------------------------------------------------------------------------

PRECISIONS = {"day": 10, "month": 7, "year": 4}


@st.composite
def partial_dates(draw):
    day = draw(st.dates(min_value=D(1000, 1, 1), max_value=D(2999, 12, 31)))
    precision = draw(st.sampled_from(sorted(PRECISIONS)))
    return day, precision, day.isoformat()[: PRECISIONS[precision]]


@settings(max_examples=200, deadline=None)
@given(partial_dates())
def test_any_valid_partial_date_has_ordered_bounds_around_the_day(drawn):
    day, precision, value = drawn
    assert dates.parse(value) == (value, precision)
    lo, hi = dates.earliest(value), dates.latest(value)
    assert lo <= day <= hi
    assert dates.year(value) == day.year
    if precision == "day":
        assert lo == hi == day
    elif precision == "month":
        assert (lo.day, hi.day) == (1, calendar.monthrange(day.year, day.month)[1])
        assert lo.month == hi.month == day.month
    else:
        assert (lo.month, lo.day, hi.month, hi.day) == (1, 1, 12, 31)


@settings(max_examples=200, deadline=None)
@given(partial_dates(), st.sampled_from(["", " ", "\n", "\t "]))
def test_parsing_is_idempotent(drawn, pad):
    _, _, value = drawn
    once = dates.parse(pad + value + pad)
    assert dates.parse(once[0]) == once


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=12),
        st.from_regex(r"\A[0-9]{2,5}(-[0-9]{1,3}){0,2}\Z"),
    )
)
def test_any_text_is_either_a_date_or_a_partial_date_error(text):
    try:
        value, precision = dates.parse(text)
    except dates.PartialDateError:
        return
    assert precision in {"day", "month", "year", "unknown"}
    assert dates.parse(value) == (value, precision)
    if precision != "unknown":
        assert dates.earliest(value) <= dates.latest(value)

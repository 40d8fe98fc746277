"""Periods: labels (`2027-01`, `2027-Q1`, `2027`), dates inside a period, and the horizon.

A period is counted on an absolute scale, `year * ppy + (index within the year)`, so that any
cell (date, label or Excel serial) maps to one number and the plan's period `t` is
`absolute - start + 1`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}
MONTH_NAMES = {
    name: i + 1
    for i, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")]
    )
    for name in names
}
EXCEL_1900_EPOCH = dt.datetime(1899, 12, 30)
_QUARTER = re.compile(r"^(\d{4})\s*[-/ ]?\s*q([1-4])$|^q([1-4])\s*[-/ ]?\s*(\d{4})$")
_MONTH = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})$")
_MONTH_NAME = re.compile(r"^([a-z]{3,9})\.?\s*[-/ ]?\s*(\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")
# A date, optionally with a time of day (as a date cell pasted as text shows it); anything
# else after the date is refused rather than ignored.
_ISO_DATE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


class PeriodError(ValueError):
    """A cell that is not a period of this plan, with the reason in the user's words."""

    def __init__(self, reason: str = ""):
        super().__init__(reason or "not a period")
        self.reason = reason


# Excel serial numbers of plausible plan dates (1950-01-01 to 2199-12-31); anything else in a
# period column is a typo or a code such as 202803, not a date.
FIRST_SERIAL, LAST_SERIAL = 18_264, 109_574


def expected_label(period_length: str) -> str:
    """What a period cell should hold, in words, for error messages."""
    example = {"month": "2027-01", "quarter": "2027-Q1", "year": "2027"}[period_length]
    return f"a date or a {period_length} label like {example}"


def _absolute(year: int, month: int, period_length: str) -> int:
    ppy = PERIODS_PER_YEAR[period_length]
    return year * ppy + (month - 1) * ppy // 12


def parse_period(value: object, period_length: str, epoch: dt.datetime = EXCEL_1900_EPOCH) -> int:
    """Map a cell (date, label or Excel serial number) to its absolute period number.

    Raises PeriodError when the cell is not a period of this plan's length. A label finer than
    the plan's periods (a month label in a quarterly plan) names the period that contains it; a
    coarser one is ambiguous and rejected.
    """
    if isinstance(value, dt.datetime | dt.date):
        return _absolute(value.year, value.month, period_length)
    if isinstance(value, bool):
        raise PeriodError()
    if isinstance(value, int | float):
        number = float(value)
        if number.is_integer() and 1900 <= number <= 2200:
            return _from_year_label(int(number), period_length)
        if number.is_integer() and 190_001 <= number <= 220_012 and 1 <= number % 100 <= 12:
            year, month = divmod(int(number), 100)
            raise PeriodError(f"a number such as {int(number)} is not read as a period: type "
                              f"{year}-{month:02d}")
        if FIRST_SERIAL <= number <= LAST_SERIAL:
            day = epoch + dt.timedelta(days=number)
            return _absolute(day.year, day.month, period_length)
        raise PeriodError()
    if not isinstance(value, str):
        raise PeriodError()
    text = value.strip().lower()
    if match := _ISO_DATE.match(text):
        year, month, day = (int(g) for g in match.groups())
        dt.date(year, month, day)  # rejects 2027-02-30
        return _absolute(year, month, period_length)
    if match := _QUARTER.match(text):
        year = int(match.group(1) or match.group(4))
        quarter = int(match.group(2) or match.group(3))
        if period_length == "year":
            return year
        if period_length == "month":
            raise PeriodError("this is a quarter label, and the plan's periods are months")
        return year * 4 + quarter - 1
    if match := _MONTH.match(text):
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(f"there is no month {month}")
        return _absolute(year, month, period_length)
    if match := _MONTH_NAME.match(text):
        month = MONTH_NAMES.get(match.group(1))
        if month is None:
            raise PeriodError()
        return _absolute(int(match.group(2)), month, period_length)
    if match := _YEAR.match(text):
        return _from_year_label(int(match.group(1)), period_length)
    if text.isdigit() and len(text) == 6 and 1 <= int(text[4:]) <= 12:
        raise PeriodError(f"a number such as {text} is not read as a period: type "
                          f"{text[:4]}-{text[4:]}")
    raise PeriodError()


SPAN_PERIOD, SPAN_QUARTER, SPAN_YEAR = 0, 1, 2  # how coarse a span label is (finer wins)


@dataclass(frozen=True)
class Span:
    """A period cell that may be coarser than the plan's periods: absolute periods
    `first..last` (inclusive) and how coarse the label was (`SPAN_PERIOD`, `SPAN_QUARTER`,
    `SPAN_YEAR`), so that a finer label can override a coarser one."""

    first: int
    last: int
    level: int = SPAN_PERIOD


def parse_span(value: object, period_length: str,
               epoch: dt.datetime = EXCEL_1900_EPOCH) -> Span:
    """A period cell, or a calendar year or quarter label coarser than the plan's periods
    (`2028` in a monthly or quarterly plan, `2028-Q1` in a monthly plan): the plan periods
    inside it. Raises PeriodError as `parse_period` does for anything else."""
    try:
        absolute = parse_period(value, period_length, epoch)
        return Span(absolute, absolute, SPAN_PERIOD)
    except PeriodError:
        pass
    ppy = PERIODS_PER_YEAR[period_length]
    text = str(value).strip().lower() if not isinstance(value, bool) else ""
    if isinstance(value, int | float) and not isinstance(value, bool) \
            and float(value).is_integer():
        text = str(int(value))
    if match := _YEAR.match(text):
        year = int(match.group(1))
        return Span(year * ppy, year * ppy + ppy - 1, SPAN_YEAR)
    if (match := _QUARTER.match(text)) and period_length == "month":
        year = int(match.group(1) or match.group(4))
        quarter = int(match.group(2) or match.group(3))
        first = year * 12 + 3 * (quarter - 1)
        return Span(first, first + 2, SPAN_QUARTER)
    parse_period(value, period_length, epoch)  # raises the usual error
    raise PeriodError()


def _from_year_label(year: int, period_length: str) -> int:
    if period_length != "year":
        raise PeriodError(f"this is a year label, and the plan's periods are {period_length}s")
    return year


@dataclass(frozen=True)
class Calendar:
    """The plan's horizon: `periods` periods of `period_length` from absolute period `start`."""

    period_length: str
    start: int
    periods: int

    @property
    def periods_per_year(self) -> int:
        """ppy: 12, 4 or 1."""
        return PERIODS_PER_YEAR[self.period_length]

    @property
    def days_per_period(self) -> float:
        """Dpp = 365 / ppy."""
        return 365.0 / self.periods_per_year

    def label(self, t: int) -> str:
        """Label of plan period t (1-based); t may lie beyond the horizon."""
        absolute = self.start + t - 1
        ppy = self.periods_per_year
        year, index = divmod(absolute, ppy)
        if self.period_length == "month":
            return f"{year}-{index + 1:02d}"
        if self.period_length == "quarter":
            return f"{year}-Q{index + 1}"
        return f"{year}"

    def labels(self) -> list[str]:
        """Labels of periods 1..N."""
        return [self.label(t) for t in range(1, self.periods + 1)]

    def period_of(self, absolute: int) -> int:
        """Plan period t of an absolute period number (may fall outside 1..N)."""
        return absolute - self.start + 1

    def lead_periods(self, lead_time_days: float) -> int:
        """L = floor(lead_time_days / dpp + 0.5): periods from order to arrival."""
        return math.floor(lead_time_days / self.days_per_period + 0.5)


def year_blocks(periods: int, periods_per_year: int) -> list[range]:
    """The plan years: blocks of ppy periods from period 1, the last possibly shorter. The one
    definition for the `year` basis of limits and the yearly chance of sampled events."""
    return [range(t, min(t + periods_per_year, periods + 1))
            for t in range(1, periods + 1, periods_per_year)]

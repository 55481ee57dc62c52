"""Normal working time: what a person is expected to work on a day.

The standard is the company's hours per week (Company.normal_hours_per_week) times the
percentage of full time of the Tripletex employment details valid on the day (synced onto the
Employee), spread over Monday–Friday. No normal time on weekends, Norwegian public holidays
(the kept `holidays` library, not our own Easter arithmetic), the company's closure days
(ClosureDay), or outside the employment. A user with no Tripletex employee counts as full
time with no employment bounds (the company setting alone).

Everything here is pure except `load_calendar`, which reads the closure days in one statement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import holidays
from sqlalchemy import select

from tipro.extensions import db
from tipro.models import ClosureDay, Employee

ZERO = Decimal("0")
FULL_TIME = Decimal("100")
TWO_PLACES = Decimal("0.01")
WORKDAYS_PER_WEEK = 5

# What a day is, for normal time and for showing it.
WORKDAY = "workday"
WEEKEND = "weekend"
HOLIDAY = "holiday"
CLOSED = "closed"


def days_between(first: date, last: date) -> list[date]:
    """Every day from first to last inclusive."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@lru_cache(maxsize=64)
def _holidays_of_year(year: int, language: str) -> tuple[tuple[date, str], ...]:
    return tuple(sorted(holidays.Norway(years=year, language=language).items()))


def public_holidays(first: date, last: date, language: str = "no") -> dict[date, str]:
    """Norwegian public holidays (helligdager) from first to last, by name.

    The library leaves ordinary Sundays out; weekends are handled by `Calendar`.
    """
    found: dict[date, str] = {}
    for year in range(first.year, last.year + 1):
        for day, name in _holidays_of_year(year, language):
            if first <= day <= last:
                found[day] = name
    return found


def two_places(value: Decimal) -> Decimal:
    """A sum of normal hours as shown and compared: 103.125 → 103.13 (half up)."""
    return Decimal(value).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def day_hours(hours_per_week: Decimal, percentage: Decimal) -> Decimal:
    """A working day's normal hours, exact: 37.5 h/week at 80 % → 6; at 62.5 % → 4.6875.

    Not rounded: a month is the sum of its days (22 × 4.6875 = 103.125, where days rounded
    to 4.69 would give 103.18); sums are rounded where they are shown.
    """
    return Decimal(hours_per_week) * Decimal(percentage) / FULL_TIME / WORKDAYS_PER_WEEK


@dataclass(frozen=True)
class Employment:
    """The employment behind normal time: its dates and percentages (from, percent) oldest first.

    No details: full time. Before the first details row, the first one applies.
    """

    start: date | None = None
    end: date | None = None
    details: tuple[tuple[date, Decimal], ...] = ()

    @classmethod
    def of(cls, employee: Employee | None) -> Employment:
        """From the synced employee; none (a user without Tripletex link) → full time."""
        if employee is None:
            return cls()
        rows = []
        for item in employee.employment_details or []:
            try:
                rows.append((date.fromisoformat(item[0]), Decimal(str(item[1]))))
            except (TypeError, ValueError, IndexError, ArithmeticError):
                continue  # a row the sync would never write; ignore rather than fail a page
        if not rows and employee.employment_percentage is not None:
            rows.append((employee.employment_start or date.min, employee.employment_percentage))
        return cls(employee.employment_start, employee.employment_end, tuple(sorted(rows)))

    def covers(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def percentage_on(self, day: date) -> Decimal:
        """The percentage of full time on `day` (0 outside the employment)."""
        if not self.covers(day):
            return ZERO
        if not self.details:
            return FULL_TIME
        current = self.details[0][1]
        for start, percentage in self.details:
            if start <= day:
                current = percentage
        return current


@dataclass(frozen=True)
class Day:
    """One calendar day as normal time sees it: its kind and, for holidays/closures, a name."""

    date: date
    kind: str
    name: str = ""

    @property
    def is_workday(self) -> bool:
        return self.kind == WORKDAY


@dataclass(frozen=True)
class Calendar:
    """The company's working calendar from first to last: weekends, holidays, closure days."""

    first: date
    last: date
    hours_per_week: Decimal
    holidays: Mapping[date, str] = field(default_factory=dict)
    closed: Mapping[date, str] = field(default_factory=dict)

    def day(self, day: date) -> Day:
        if day in self.holidays:  # a holiday on a Sunday is still named (17 May 2026)
            return Day(day, HOLIDAY, self.holidays[day])
        if day.weekday() >= WORKDAYS_PER_WEEK:
            return Day(day, WEEKEND)
        if day in self.closed:
            return Day(day, CLOSED, self.closed[day])
        return Day(day, WORKDAY)

    def days(self, first: date | None = None, last: date | None = None) -> list[Day]:
        return [self.day(d) for d in days_between(first or self.first, last or self.last)]

    def normal_on(self, employment: Employment, day: date) -> Decimal:
        """Normal hours of one person on one day."""
        if not self.day(day).is_workday:
            return ZERO
        percentage = employment.percentage_on(day)
        return day_hours(self.hours_per_week, percentage) if percentage else ZERO

    def normal_by_day(self, employment: Employment, first: date, last: date) -> dict[date, Decimal]:
        return {d: self.normal_on(employment, d) for d in days_between(first, last)}

    def normal_between(self, employment: Employment, first: date, last: date) -> Decimal:
        """Normal hours from first to last inclusive (0 when last < first)."""
        if last < first:
            return ZERO
        return sum(self.normal_by_day(employment, first, last).values(), ZERO)


def calendar_for(
    first: date,
    last: date,
    hours_per_week: Decimal,
    closed: Mapping[date, str] | None = None,
    language: str = "no",
) -> Calendar:
    """A calendar from given closure days (pure; tests and `load_calendar`)."""
    return Calendar(
        first, last, Decimal(hours_per_week), public_holidays(first, last, language), closed or {}
    )


def holiday_language(locale: str | None) -> str:
    """The `holidays` language for a TiPro locale (nb → Norwegian names, en → English)."""
    return "en_US" if (locale or "").startswith("en") else "no"


def closure_days(first: date, last: date) -> dict[date, str]:
    """The company's closure days from first to last (one statement; tenancy scopes it)."""
    rows = db.session.execute(
        select(ClosureDay.date, ClosureDay.name).where(ClosureDay.date.between(first, last))
    )
    return {day: name for day, name in rows}


def load_calendar(company, first: date, last: date, locale: str | None = None) -> Calendar:
    """The company's calendar from first to last: its hours per week and closure days."""
    return calendar_for(
        first,
        last,
        company.normal_hours_per_week,
        closure_days(first, last),
        holiday_language(locale),
    )

"""The approval calendar: which days a period covers, how it is named, and reading its rows.

A company hands in weeks (ISO, Monday–Sunday) or calendar months (Company.approval_period).
A period is named by its key: «2026-W48» or «2026-11» (URLs, the CLI, reminders).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, select

from tipro.entries.parsing import FIRST_DAY, LAST_DAY, BadInput
from tipro.extensions import db
from tipro.models import Period
from tipro.models.approval import LOCKED_PERIOD_STATES, PERIOD_MONTH, PERIOD_WEEK
from tipro.tenancy import reused_statement

_WEEK_RE = re.compile(r"([0-9]{4})-W([0-9]{2})")
_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")


@dataclass(frozen=True)
class Span:
    """A period's days, whether or not anybody has handed it in yet."""

    kind: str
    first: date
    last: date

    @property
    def key(self) -> str:
        if self.kind == PERIOD_MONTH:
            return f"{self.first.year}-{self.first.month:02d}"
        year, week, _day = self.first.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def label(self) -> str:
        """«uke 48 (23.–29. nov.)» or «november 2026», for sentences."""
        return label(self.kind, self.first, self.last)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def previous(self) -> Span:
        return span_of(self.kind, self.first - timedelta(days=1))

    def next(self) -> Span:
        return span_of(self.kind, self.last + timedelta(days=1))


def span_of(kind: str, day: date) -> Span:
    """The week or month containing `day`."""
    if kind == PERIOD_MONTH:
        first = day.replace(day=1)
        last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        return Span(PERIOD_MONTH, first, last)
    monday = day - timedelta(days=day.weekday())
    return Span(PERIOD_WEEK, monday, monday + timedelta(days=6))


def span_of_period(period: Period) -> Span:
    return Span(period.kind, period.first_day, period.last_day)


def read_key(text) -> Span | None:
    """«2026-W48» → that week, «2026-11» → that month (2000–2099); anything else → None."""
    text = str(text if text is not None else "").strip()
    try:
        if match := _WEEK_RE.fullmatch(text):
            monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
            found = span_of(PERIOD_WEEK, monday)
        elif match := _MONTH_RE.fullmatch(text):
            found = span_of(PERIOD_MONTH, date(int(match.group(1)), int(match.group(2)), 1))
        else:
            return None
    except ValueError:
        return None
    return found if FIRST_DAY <= found.first <= LAST_DAY else None


def parse_key(text) -> Span:
    """A period key from a URL or form; not a good key → BadInput (400)."""
    found = read_key(text)
    if found is None:
        raise BadInput(_("Ugyldig periode. Skriv den som 2026-W48 (uke) eller 2026-11 (måned)."))
    return found


def label(kind: str, first: date, last: date) -> str:
    if kind == PERIOD_MONTH:
        return format_date(first, "LLLL yyyy")
    week = first.isocalendar()[1]
    return _(
        "uke %(n)d (%(first)s–%(last)s)",
        n=week,
        first=format_date(first, "d.M."),
        last=format_date(last, "d.M.yyyy"),
    )


def period_label(period: Period) -> str:
    return label(period.kind, period.first_day, period.last_day)


def spans_overlapping(kind: str, first: date, last: date) -> list[Span]:
    """Every week or month that shares a day with first..last, in order."""
    spans = []
    span = span_of(kind, first)
    while span.first <= last:
        spans.append(span)
        span = span.next()
    return spans


# ---------------------------------------------------------------- reads


def locked_clause(user_id, day):
    """SQL: `day` of the user lies in a submitted or approved period (any kind)."""
    return exists().where(
        Period.user_id == user_id,
        Period.first_day <= day,
        Period.last_day >= day,
        Period.state.in_(LOCKED_PERIOD_STATES),
    )


def is_locked(user_id: int, day: date) -> bool:
    """True while the user's `day` lies in a submitted or approved period."""
    return bool(db.session.scalar(select(locked_clause(user_id, day))))


def period_of(user_id: int, kind: str, first: date) -> Period | None:
    """The period row as the database has it now (a request may have loaded it before the lock)."""
    return db.session.scalar(
        select(Period)
        .where(Period.user_id == user_id, Period.kind == kind, Period.first_day == first)
        .execution_options(populate_existing=True)
    )


@reused_statement
def _covering_statement():
    """covering's statement."""
    return (
        select(Period)
        .where(
            Period.user_id == bindparam("user_id"),
            Period.first_day <= bindparam("last"),
            Period.last_day >= bindparam("first"),
        )
        .order_by(Period.first_day, Period.id)
    )


def covering(user_id: int, first: date, last: date) -> list[Period]:
    """The user's periods sharing a day with first..last (any kind, any state), oldest first."""
    params = {"user_id": user_id, "first": first, "last": last}
    return list(db.session.scalars(_covering_statement(), params))

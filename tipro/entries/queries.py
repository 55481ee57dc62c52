"""Reads for the pages: today, the week grid, recent projects, what to repeat."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tipro.entries import pickers
from tipro.entries.services import monday_of, week_submission
from tipro.extensions import db
from tipro.models import Project, TimeEntry, User

ZERO = Decimal("0")


def entries_between(user_id: int, first: date, last: date) -> list[TimeEntry]:
    """The user's entries from `first` to `last` inclusive, oldest first."""
    return list(
        db.session.scalars(
            select(TimeEntry)
            .where(TimeEntry.user_id == user_id, TimeEntry.date >= first, TimeEntry.date <= last)
            .options(selectinload(TimeEntry.project), selectinload(TimeEntry.activity))
            .order_by(TimeEntry.date, TimeEntry.created_at, TimeEntry.id)
        )
    )


def total(entries) -> Decimal:
    return sum((e.hours for e in entries), ZERO)


def repeat_candidates(
    user_id: int, day: date, entries_on_day: list[TimeEntry]
) -> tuple[date | None, list[TimeEntry]]:
    """The latest earlier day (within two weeks) with work entries, and those entries.

    Lines already registered on `day` (`entries_on_day`, which the caller has loaded) are
    left out, so a «Gjenta» button disappears once used and a second tap cannot book the
    same hours twice.
    """
    last_day = db.session.scalar(
        select(func.max(TimeEntry.date)).where(
            TimeEntry.user_id == user_id,
            TimeEntry.kind == "work",
            TimeEntry.date < day,
            TimeEntry.date >= day - timedelta(days=14),
        )
    )
    if last_day is None:
        return None, []
    done = {(e.project_id, e.activity_id) for e in entries_on_day}
    entries = [
        e
        for e in entries_between(user_id, last_day, last_day)
        if e.kind == "work" and (e.project_id, e.activity_id) not in done
    ]
    return last_day, entries


def project_choices(user: User, day: date) -> tuple[list[Project], list[Project]]:
    """(recently used, the rest) of the projects the user may pick on `day`."""
    allowed = pickers.projects_for(user.employee_id, day)
    recent_ids = list(
        db.session.scalars(
            select(TimeEntry.project_id)
            .where(
                TimeEntry.user_id == user.id,
                TimeEntry.project_id.is_not(None),
                TimeEntry.date >= day - timedelta(days=60),
            )
            .group_by(TimeEntry.project_id)
            .order_by(func.max(TimeEntry.created_at).desc())
            .limit(8)
        )
    )
    by_id = {p.id: p for p in allowed}
    recent = [by_id[i] for i in recent_ids if i in by_id]
    recent_set = {p.id for p in recent}
    return recent, [p for p in allowed if p.id not in recent_set]


@dataclass
class WeekLine:
    """One project/activity row of the week grid."""

    key: str
    project: object
    activity: object
    cells: list[list[TimeEntry]] = field(default_factory=list)

    @property
    def totals(self) -> list[Decimal]:
        return [total(cell) for cell in self.cells]

    @property
    def total(self) -> Decimal:
        return sum(self.totals, ZERO)


@dataclass
class Week:
    monday: date
    user: User
    lines: list[WeekLine]
    entries: list[TimeEntry]
    submission: object

    @property
    def days(self) -> list[date]:
        return [self.monday + timedelta(days=i) for i in range(7)]

    @property
    def day_totals(self) -> list[Decimal]:
        sums = [ZERO] * 7
        for entry in self.entries:
            sums[(entry.date - self.monday).days] += entry.hours
        return sums

    @property
    def total(self) -> Decimal:
        return total(self.entries)

    @property
    def locked(self) -> bool:
        return self.submission is not None and self.submission.is_locked

    @property
    def iso(self) -> str:
        return iso_week(self.monday)

    @property
    def number(self) -> int:
        return self.monday.isocalendar()[1]


def line_key(project_id: int | None, activity_id: int | None, kind: str = "work") -> str:
    return f"{kind}-{project_id or 0}-{activity_id or 0}"


def week(user: User, any_day: date) -> Week:
    """The user's week containing `any_day` as a grid of project/activity lines."""
    monday = monday_of(any_day)
    entries = entries_between(user.id, monday, monday + timedelta(days=6))
    lines: OrderedDict[str, WeekLine] = OrderedDict()
    for entry in entries:
        key = line_key(entry.project_id, entry.activity_id, entry.kind)
        line = lines.get(key)
        if line is None:
            line = lines[key] = WeekLine(key, entry.project, entry.activity, [[] for _ in range(7)])
        line.cells[(entry.date - monday).days].append(entry)
    return Week(monday, user, list(lines.values()), entries, week_submission(user.id, monday))


def iso_week(day: date) -> str:
    """date → '2026-W48' (the ISO week it falls in)."""
    year, week_no, _ = day.isocalendar()
    return f"{year}-W{week_no:02d}"


def parse_iso_week(text: str | None, default: date) -> date:
    """'2026-W48' → that Monday; anything else → the Monday of `default`."""
    try:
        year, week_no = (text or "").upper().split("-W")
        return date.fromisocalendar(int(year), int(week_no), 1)
    except (ValueError, TypeError):
        return monday_of(default)

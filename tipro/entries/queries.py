"""Reads for the pages: today, the week grid, recent projects, what to repeat, who sees what.

Every query runs within the current company scope (tipro.tenancy).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tipro.clock import monday_of
from tipro.entries import pickers
from tipro.entries.parsing import iso_week
from tipro.entries.rules import week_submission
from tipro.extensions import db
from tipro.models import Department, Employee, Project, TimeEntry, User

ZERO = Decimal("0")


def entries_between(user_id: int, first: date, last: date) -> list[TimeEntry]:
    """The user's entries from `first` to `last` inclusive, oldest first."""
    return list(
        db.session.scalars(
            select(TimeEntry)
            .where(TimeEntry.user_id == user_id, TimeEntry.date >= first, TimeEntry.date <= last)
            .options(joinedload(TimeEntry.project), joinedload(TimeEntry.activity))
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
    last_day = (
        select(func.max(TimeEntry.date))
        .where(
            TimeEntry.user_id == user_id,
            TimeEntry.kind == "work",
            TimeEntry.date < day,
            TimeEntry.date >= day - timedelta(days=14),
        )
        .scalar_subquery()
    )
    on_last_day = list(
        db.session.scalars(
            select(TimeEntry)
            .where(TimeEntry.user_id == user_id, TimeEntry.date == last_day)
            .options(joinedload(TimeEntry.project), joinedload(TimeEntry.activity))
            .order_by(TimeEntry.created_at, TimeEntry.id)
        )
    )
    if not on_last_day:
        return None, []
    done = {(e.project_id, e.activity_id) for e in entries_on_day}
    entries = [
        e for e in on_last_day if e.kind == "work" and (e.project_id, e.activity_id) not in done
    ]
    last_day = on_last_day[0].date
    return last_day, entries


def project_choices(user: User, day: date) -> tuple[list[Project], list[Project]]:
    """(recently used, the rest) of the projects the user may pick on `day`: one statement.

    Recent are the (at most 8) projects the user logged on last in the past 60 days, newest
    first, of those still pickable.
    """
    used = (
        select(
            TimeEntry.project_id.label("project_id"),
            func.row_number().over(order_by=func.max(TimeEntry.created_at).desc()).label("rank"),
        )
        .where(
            TimeEntry.user_id == user.id,
            TimeEntry.project_id.is_not(None),
            TimeEntry.date >= day - timedelta(days=60),
        )
        .group_by(TimeEntry.project_id)
        .subquery()
    )
    rows = db.session.execute(
        pickers.projects_query(user.employee_id, day)
        .add_columns(used.c.rank)
        .outerjoin(used, used.c.project_id == Project.id)
    ).all()
    recent = [
        p
        for p, rank in sorted(
            ((p, rank) for p, rank in rows if rank is not None and rank <= 8), key=lambda r: r[1]
        )
    ]
    recent_set = {p.id for p in recent}
    return recent, [p for p, _rank in rows if p.id not in recent_set]


@dataclass
class WeekLine:
    """One project/activity row of the week grid."""

    key: str
    project: object
    activity: object
    cells: list[list[TimeEntry]] = field(default_factory=list)

    @cached_property
    def totals(self) -> list[Decimal]:
        """Per day; read once the line is built (the grid reads it for every cell)."""
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

    @cached_property
    def submission(self):
        """The week's submission, read when first asked for (a saved cell does not ask)."""
        return week_submission(self.user.id, self.monday)

    @cached_property
    def days(self) -> list[date]:
        return [self.monday + timedelta(days=i) for i in range(7)]

    @cached_property
    def day_totals(self) -> list[Decimal]:
        sums = [ZERO] * 7
        for entry in self.entries:
            sums[(entry.date - self.monday).days] += entry.hours
        return sums

    @property
    def amounts(self) -> set[Decimal]:
        """Every number of hours the grid shows (cells, line, day and week totals)."""
        shown = {self.total, *self.day_totals}
        for line in self.lines:
            shown.update(line.totals)
            shown.add(line.total)
        return shown

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
    return Week(monday, user, list(lines.values()), entries)


# ---------------------------------------------------------------- who sees what


def _led_by(actor: User):
    """(projects the approver manages, employees of the departments they manage) as subqueries."""
    projects = select(Project.id).where(Project.project_manager_id == actor.employee_id)
    departments = select(Department.id).where(Department.manager_id == actor.employee_id)
    employees = select(Employee.id).where(Employee.department_id.in_(departments))
    return projects, employees


def _sees_all_or_own(actor: User) -> bool | None:
    """True: everyone (admin); False: only their own; None: an approver (own plus led)."""
    if actor.has_role("admin"):
        return True
    if not (actor.has_role("approver") and actor.employee_id):
        return False
    return None


def entries_visible_query(actor: User):
    """SELECT of the entries the actor may see (own; managed projects/departments; all)."""
    query = select(TimeEntry)
    scope = _sees_all_or_own(actor)
    if scope is True:
        return query
    if scope is False:
        return query.where(TimeEntry.user_id == actor.id)
    projects, employees = _led_by(actor)
    return query.where(
        (TimeEntry.user_id == actor.id)
        | TimeEntry.project_id.in_(projects)
        | TimeEntry.employee_id.in_(employees)
    )


def visible_user_ids(actor: User) -> set[int] | None:
    """Users whose entries the actor may see: None means everyone in the company (admin)."""
    scope = _sees_all_or_own(actor)
    if scope is True:
        return None
    ids = {actor.id}
    if scope is None:
        projects, employees = _led_by(actor)
        ids |= set(db.session.scalars(select(User.id).where(User.employee_id.in_(employees))))
        ids |= set(
            db.session.scalars(
                select(TimeEntry.user_id).where(TimeEntry.project_id.in_(projects)).distinct()
            )
        )
    return ids


def can_view_entry(actor: User, entry: TimeEntry) -> bool:
    """True when the entry is among those the actor may see."""
    visible = entries_visible_query(actor).where(TimeEntry.id == entry.id)
    return db.session.scalar(visible) is not None


def visible_week(viewer: User, user: User, any_day: date) -> Week:
    """`user`'s week as `viewer` may see it: an approver sees only the lines they lead."""
    shown = week(user, any_day)
    if user.id == viewer.id or viewer.has_role("admin"):
        return shown
    visible = set(
        db.session.scalars(
            entries_visible_query(viewer)
            .with_only_columns(TimeEntry.id)
            .where(
                TimeEntry.user_id == user.id,
                TimeEntry.date >= shown.monday,
                TimeEntry.date <= shown.monday + timedelta(days=6),
            )
        )
    )
    shown.entries = [e for e in shown.entries if e.id in visible]
    for line in shown.lines:
        line.cells = [[e for e in cell if e.id in visible] for cell in line.cells]
    shown.lines = [line for line in shown.lines if line.total]
    return shown


def users_to_choose(viewer: User) -> list[User]:
    """Whose weeks the viewer may pick from (empty when only their own)."""
    ids = visible_user_ids(viewer)
    if ids is not None and len(ids) <= 1:
        return []
    query = select(User).order_by(User.name)
    if ids is not None:
        query = query.where(User.id.in_(ids))
    return list(db.session.scalars(query))


def enabled_users() -> list[User]:
    """The company's enabled users (an admin registers for one of them)."""
    return list(
        db.session.scalars(select(User).where(User.is_enabled.is_(True)).order_by(User.name))
    )


def visible_user(viewer: User, user_id: int | None) -> User | None:
    """A user of the company whose week `viewer` may see, else None."""
    if user_id is None:
        return None
    user = db.session.scalar(select(User).where(User.id == user_id))
    ids = visible_user_ids(viewer)
    if user is None or (ids is not None and user.id not in ids):
        return None
    return user


def own_entry(user: User, entry_id: int | None) -> TimeEntry | None:
    """One of the user's own entries by id (the «Gjenta» link), else None."""
    if entry_id is None:
        return None
    return db.session.scalar(
        select(TimeEntry).where(TimeEntry.id == entry_id, TimeEntry.user_id == user.id)
    )

"""Reads for the pages: today, the week grid, recent projects, what to repeat, who sees what.

Every query runs within the current company scope (tipro.tenancy).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

from sqlalchemy import String, and_, bindparam, cast, false, func, literal, or_, select
from sqlalchemy.orm import joinedload

from tipro.approvals import periods as approval_periods
from tipro.clock import monday_of
from tipro.entries import pickers
from tipro.entries.master import ProjectDef
from tipro.entries.parsing import iso_week
from tipro.extensions import db
from tipro.models import Department, Employee, Project, TimeEntry, User
from tipro.tenancy import reused_statement

ZERO = Decimal("0")


@reused_statement
def _entries_between_statement():
    """entries_between's statement."""
    return (
        select(TimeEntry)
        .where(
            TimeEntry.user_id == bindparam("user_id"),
            TimeEntry.date >= bindparam("first"),
            TimeEntry.date <= bindparam("last"),
        )
        .options(joinedload(TimeEntry.project), joinedload(TimeEntry.activity))
        .order_by(TimeEntry.date, TimeEntry.created_at, TimeEntry.id)
    )


def entries_between(user_id: int, first: date, last: date) -> list[TimeEntry]:
    """The user's entries from `first` to `last` inclusive, oldest first."""
    params = {"user_id": user_id, "first": first, "last": last}
    return list(db.session.scalars(_entries_between_statement(), params))


def total(entries) -> Decimal:
    return sum((e.hours for e in entries), ZERO)


# «Gjenta» offers the latest earlier day with work within this many days.
REPEAT_WINDOW = timedelta(days=14)


def shows_on_start_page(entry_day: date, day: date) -> bool:
    """Whether hours on `entry_day` show on `day`'s start page: in the week's totals and
    today's list, or as the repeat day («Gjenta» looks back `REPEAT_WINDOW`)."""
    monday = monday_of(day)
    return (
        monday <= entry_day <= monday + timedelta(days=6) or day - REPEAT_WINDOW <= entry_day < day
    )


def _last_work_day_before(user_id, day, since):
    """SQL: the latest day from `since` (`REPEAT_WINDOW` before `day`) to before `day` with
    the user's work entries."""
    return (
        select(func.max(TimeEntry.date))
        .where(
            TimeEntry.user_id == user_id,
            TimeEntry.kind == "work",
            TimeEntry.date < day,
            TimeEntry.date >= since,
        )
        .scalar_subquery()
    )


@dataclass
class StartPage:
    """What the start page reads about the user's hours (see `start_page_entries`)."""

    week: list[TimeEntry]
    repeat_day: date | None
    repeat_entries: list[TimeEntry]
    day_locked: bool  # `day` lies in a submitted or approved period
    recent_project_ids: list[int] | None  # `recently_used(…, day)`; None: not read


RECENT_DAYS = 60
RECENT_COUNT = 8


def _recently_used_filter(user_id, since):
    return (
        TimeEntry.user_id == user_id,
        TimeEntry.project_id.is_not(None),
        TimeEntry.date >= since,
    )


def _recently_used_column(user_id, since):
    """SQL: "rank:project_id,…" of `recently_used` as one text value (a column of another
    statement; the order travels in the ranks, since an aggregate keeps none)."""
    last = func.max(TimeEntry.created_at)
    ranked = (
        select(
            TimeEntry.project_id.label("project_id"),
            func.row_number().over(order_by=(last.desc(), TimeEntry.project_id)).label("rank"),
        )
        .where(*_recently_used_filter(user_id, since))
        .group_by(TimeEntry.project_id)
        .subquery()
    )
    pair = cast(ranked.c.rank, String) + literal(":") + cast(ranked.c.project_id, String)
    return (
        select(func.aggregate_strings(pair, ","))
        .where(ranked.c.rank <= RECENT_COUNT)
        .scalar_subquery()
    )


def _parse_recent(text: str | None) -> list[int]:
    pairs = (item.split(":") for item in (text or "").split(",") if item)
    return [int(project_id) for _rank, project_id in sorted(pairs, key=lambda p: int(p[0]))]


@reused_statement
def _start_page_statement(for_form: bool):
    """start_page_entries' statement (without the form's columns for a quick entry's answer)."""
    user_id, day = bindparam("user_id"), bindparam("day")
    extra = (
        (
            approval_periods.locked_clause(user_id, day),
            _recently_used_column(user_id, bindparam("recent_from")),
        )
        if for_form
        else ()
    )
    return (
        select(TimeEntry, *extra)
        .where(
            TimeEntry.user_id == user_id,
            or_(
                and_(TimeEntry.date >= bindparam("monday"), TimeEntry.date <= bindparam("sunday")),
                TimeEntry.date == _last_work_day_before(user_id, day, bindparam("repeat_from")),
            ),
        )
        .options(joinedload(TimeEntry.project), joinedload(TimeEntry.activity))
        .order_by(TimeEntry.date, TimeEntry.created_at, TimeEntry.id)
    )


def start_page_entries(user_id: int, day: date, *, for_form: bool = True) -> StartPage:
    """This week's entries, the repeat day and the entries to offer for repeating, whether
    `day` is locked and the recently used projects: one statement (two when the user has no
    entries to show at all).

    The week's entries and those of the latest earlier day with work (within two weeks; see
    `repeat_candidates`) come in one SELECT and are told apart here; the lock and the
    recently used projects ride along as columns of every row. Without `for_form` (the
    answer to a quick entry, whose form stays) those two are not read.
    """
    monday = monday_of(day)
    sunday = monday + timedelta(days=6)
    params = {
        "user_id": user_id,
        "day": day,
        "monday": monday,
        "sunday": sunday,
        "repeat_from": day - REPEAT_WINDOW,
        "recent_from": day - timedelta(days=RECENT_DAYS),
    }
    result = list(db.session.execute(_start_page_statement(for_form), params))
    rows = [row[0] for row in result]
    if not for_form:
        day_locked, recent = False, None  # not read: the answer does not show them
    elif result:
        day_locked, recent = bool(result[0][1]), _parse_recent(result[0][2])
    else:
        day_locked, recent = approval_periods.is_locked(user_id, day), None
    week = [e for e in rows if monday <= e.date <= sunday]
    earliest = day - REPEAT_WINDOW
    worked = [e.date for e in rows if e.kind == "work" and earliest <= e.date < day]
    if not worked:
        return StartPage(week, None, [], day_locked, recent)
    last_day = max(worked)
    on_today = [e for e in week if e.date == day]
    on_last_day = [e for e in rows if e.date == last_day]
    candidates = repeat_candidates(on_last_day, on_today)
    return StartPage(week, last_day, candidates, day_locked, recent)


def repeat_candidates(on_last_day: list[TimeEntry], entries_on_day: list[TimeEntry]):
    """The work entries of the repeat day that the day (`entries_on_day`) does not have yet.

    Lines already registered on the day are left out, so a «Gjenta» button disappears once
    used and a second tap cannot book the same hours twice.
    """
    done = {(e.project_id, e.activity_id) for e in entries_on_day}
    return [
        e for e in on_last_day if e.kind == "work" and (e.project_id, e.activity_id) not in done
    ]


def recently_used(user_id: int, day: date) -> list[int]:
    """The (at most 8) projects the user logged on last in the 60 days before `day`, newest
    first."""
    return list(
        db.session.scalars(
            select(TimeEntry.project_id)
            .where(*_recently_used_filter(user_id, day - timedelta(days=RECENT_DAYS)))
            .group_by(TimeEntry.project_id)
            .order_by(func.max(TimeEntry.created_at).desc(), TimeEntry.project_id)
            .limit(RECENT_COUNT)
        )
    )


def project_choices(
    user: User, day: date, last_used: list[int] | None = None
) -> tuple[list[ProjectDef], list[ProjectDef]]:
    """(recently used, the rest) of the projects the user may pick on `day`.

    The projects come from the company's cached list (tipro.entries.pickers); of the
    projects `recently_used` names (`last_used`, when the caller read them already for this
    user and day) those still pickable are «recent».
    """
    pickable = pickers.pickable_projects(user.employee_id, day)
    if last_used is None:
        last_used = recently_used(user.id, day)
    by_id = {p.id: p for p in pickable}
    recent = [by_id[project_id] for project_id in last_used if project_id in by_id]
    recent_set = {p.id for p in recent}
    return recent, [p for p in pickable if p.id not in recent_set]


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
    def periods(self):
        """The periods sharing a day with the week, read when first asked (a cell save does not)."""
        return approval_periods.covering(self.user.id, self.monday, self.monday + timedelta(days=6))

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

    @cached_property
    def locked_days(self) -> set[date]:
        return {day for day in self.days for p in self.periods if p.is_locked and p.covers(day)}

    @property
    def locked(self) -> bool:
        """Every day of the week lies in a submitted or approved period."""
        return len(self.locked_days) == 7

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
    """(projects the approver manages, employees of the departments they manage, users who
    have them as their approver in TiPro) as subqueries — the approval lines' own rule."""
    if actor.employee_id is None:
        # Not linked to Tripletex: they lead no project or department (comparing with NULL
        # would read «IS NULL» and match every project or department without a manager).
        projects = select(Project.id).where(false())
        employees = select(Employee.id).where(false())
    else:
        projects = select(Project.id).where(Project.project_manager_id == actor.employee_id)
        departments = select(Department.id).where(Department.manager_id == actor.employee_id)
        employees = select(Employee.id).where(Employee.department_id.in_(departments))
    approved_users = select(User.id).where(User.approver_id == actor.id)
    return projects, employees, approved_users


def _sees_all_or_own(actor: User) -> bool | None:
    """True: everyone (admin); False: only their own; None: an approver (own plus led)."""
    if actor.has_role("admin"):
        return True
    if not actor.has_role("approver"):
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
    projects, employees, approved_users = _led_by(actor)
    return query.where(
        (TimeEntry.user_id == actor.id)
        | TimeEntry.project_id.in_(projects)
        | TimeEntry.employee_id.in_(employees)
        | TimeEntry.user_id.in_(approved_users)
    )


def visible_user_ids(actor: User) -> set[int] | None:
    """Users whose entries the actor may see: None means everyone in the company (admin)."""
    scope = _sees_all_or_own(actor)
    if scope is True:
        return None
    ids = {actor.id}
    if scope is None:
        projects, employees, approved_users = _led_by(actor)
        ids |= set(db.session.scalars(select(User.id).where(User.employee_id.in_(employees))))
        ids |= set(db.session.scalars(approved_users))
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

"""Month close, «Min oversikt» and the company's closure days (the services behind close_routes).

Month close: per person, the month's registered hours against normal working time
(tipro.worktime), absence, missing days (working days before today with neither hours
nor absence), periods not handed in or not approved, overtime and flex. Overtime is the hours
of supplement types that are overtime (the type's or its salary type's name says «overtid»;
TiPro's standard types «Overtid 50 %» and «Overtid 100 %» are) — what payroll pays as
overtime; hours above normal that are not booked as overtime are flex. Flex for the month =
worked + absence − normal.

«Min oversikt»: the user's own week and month against normal time, the flex balance and the
month per day as a chart. The flex balance runs from the latest of 1 January, the employment
start and the user's first day with hours this year (TiPro taken into use mid-year must not
start people at minus hundreds of hours), up to yesterday, and today once it has hours.

Every read aggregates in the database (GROUP BY); a page sends the same number of statements
whatever the number of people, days or entries.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from tipro import clock, mail, worktime
from tipro.approvals import periods, reminders
from tipro.approvals import services as approval_services
from tipro.auth.services import record_audit
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import (
    ClosureDay,
    Company,
    Department,
    Employee,
    EntrySupplement,
    Period,
    SalaryType,
    SupplementType,
    TimeEntry,
    User,
)
from tipro.models.approval import LOCKED_PERIOD_STATES, PERIOD_APPROVED, PERIOD_MONTH
from tipro.worktime import ZERO, Calendar, Employment
from tipro.writes import serialise

OVERTIME_WORDS = ("overtid", "overtime")
MAX_CLOSURE_DAYS = 62
CLOSURE_NAME_LENGTH = 100


# ---------------------------------------------------------------- who


def people_query(actor: User):
    """SELECT of the users whose month the actor closes: everyone who registers hours (admin),
    or an approver's people — those who name them as approver in TiPro and the members of the
    departments they manage in Tripletex (never themselves)."""
    query = select(User).where(
        User.is_enabled.is_(True), or_(User.employee_id.is_not(None), User.role == "employee")
    )
    if actor.has_role("admin"):
        return query
    mine = [User.approver_id == actor.id]
    if actor.employee_id is not None:
        managed = select(Department.id).where(Department.manager_id == actor.employee_id)
        mine.append(
            User.employee_id.in_(select(Employee.id).where(Employee.department_id.in_(managed)))
        )
    return query.where(or_(*mine), User.id != actor.id)


def people(actor: User) -> list[User]:
    """The actor's people with their employees (one statement)."""
    return list(
        db.session.scalars(
            people_query(actor)
            .options(joinedload(User.employee))
            .order_by(User.name, User.email, User.id)
        )
    )


# ---------------------------------------------------------------- reads (GROUP BY)


def hours_by_day(user_ids, first: date, last: date) -> dict[tuple[int, date], tuple]:
    """(user id, day) → (work hours, absence hours), summed in the database."""
    ids = list(user_ids)
    if not ids:
        return {}
    absence = case((TimeEntry.kind == "absence", TimeEntry.hours), else_=0)
    rows = db.session.execute(
        select(TimeEntry.user_id, TimeEntry.date, func.sum(TimeEntry.hours), func.sum(absence))
        .where(TimeEntry.user_id.in_(ids), TimeEntry.date.between(first, last))
        .group_by(TimeEntry.user_id, TimeEntry.date)
    )
    return {
        (uid, day): (Decimal(total or 0) - Decimal(away or 0), Decimal(away or 0))
        for uid, day, total, away in rows
    }


def _is_overtime():
    words = []
    for word in OVERTIME_WORDS:
        words.append(SupplementType.name_key.like(f"%{word}%"))
        words.append(func.lower(SalaryType.name).like(f"%{word}%"))
    return and_(SupplementType.unit == "hours", or_(*words))


def overtime_by_user(user_ids, first: date, last: date) -> dict[int, Decimal]:
    """user id → hours of overtime supplements from first to last (see module doc)."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(TimeEntry.user_id, func.sum(EntrySupplement.quantity))
        .join(EntrySupplement, EntrySupplement.entry_id == TimeEntry.id)
        .join(SupplementType, SupplementType.id == EntrySupplement.supplement_type_id)
        .outerjoin(SalaryType, SalaryType.id == SupplementType.salary_type_id)
        .where(TimeEntry.user_id.in_(ids), TimeEntry.date.between(first, last), _is_overtime())
        .group_by(TimeEntry.user_id)
    )
    return {uid: Decimal(total or 0) for uid, total in rows}


def periods_by_user(user_ids, first: date, last: date) -> dict[int, list[tuple]]:
    """user id → (first day, last day, state) of their periods sharing a day with first..last."""
    ids = list(user_ids)
    found: dict[int, list[tuple]] = defaultdict(list)
    if ids:
        for uid, start, end, state in db.session.execute(
            select(Period.user_id, Period.first_day, Period.last_day, Period.state).where(
                Period.user_id.in_(ids), Period.first_day <= last, Period.last_day >= first
            )
        ):
            found[uid].append((start, end, state))
    return found


# ---------------------------------------------------------------- month close


@dataclass
class PersonMonth:
    """One person's line in the month close."""

    user: User
    normal: Decimal = ZERO
    normal_to_date: Decimal = ZERO  # the month's normal time up to and including today
    worked: Decimal = ZERO
    absence: Decimal = ZERO
    overtime: Decimal = ZERO
    missing_days: list[date] = field(default_factory=list)
    not_submitted: list[periods.Span] = field(default_factory=list)
    waiting: list[periods.Span] = field(default_factory=list)

    @property
    def registered(self) -> Decimal:
        return self.worked + self.absence

    @property
    def flex(self) -> Decimal:
        # Against the normal time so far: on 1 December the month is not 161 hours behind.
        return self.worked + self.absence - self.normal_to_date

    @property
    def has_problems(self) -> bool:
        return bool(self.missing_days or self.not_submitted or self.waiting)


@dataclass
class MonthClose:
    span: periods.Span
    today: date
    calendar: Calendar
    rows: list[PersonMonth]
    kind: str

    def total(self, name: str) -> Decimal:
        return sum((getattr(row, name) for row in self.rows), ZERO)

    @property
    def missing_count(self) -> int:
        return sum(len(row.missing_days) for row in self.rows)

    @property
    def missing_people(self) -> list[PersonMonth]:
        return [row for row in self.rows if row.missing_days]

    @property
    def not_submitted_count(self) -> int:
        return sum(len(row.not_submitted) for row in self.rows)

    @property
    def waiting_count(self) -> int:
        return sum(len(row.waiting) for row in self.rows)

    @property
    def workdays(self) -> int:
        return sum(
            1 for day in self.calendar.days(self.span.first, self.span.last) if day.is_workday
        )

    @property
    def holidays(self) -> list[worktime.Day]:
        """The month's public holidays and closure days (for the page's note)."""
        return [
            day
            for day in self.calendar.days(self.span.first, self.span.last)
            if day.kind in (worktime.HOLIDAY, worktime.CLOSED)
        ]


def month_span(text) -> periods.Span:
    """«2026-11» from a URL or form → that month; anything else → BadInput (400)."""
    from tipro.entries.parsing import BadInput

    found = periods.read_key(text)
    if found is None or found.kind != PERIOD_MONTH:
        raise BadInput(_("Ugyldig måned. Skriv den som 2026-11."))
    return found


def _period_state(day_states: list[str | None]) -> str | None:
    """A span's state from its days' covering periods: approved, submitted or None (open)."""
    if all(state == PERIOD_APPROVED for state in day_states):
        return PERIOD_APPROVED
    if all(state in LOCKED_PERIOD_STATES for state in day_states):
        return "submitted"
    return None


def _day_states(rows: list[tuple], days: list[date]) -> list[str | None]:
    """Per day: approved / submitted when a locked period covers it (approved wins), else None."""
    states = []
    for day in days:
        found = None
        for start, end, state in rows:
            if start <= day <= end and state in LOCKED_PERIOD_STATES:
                found = state if found != PERIOD_APPROVED else found
        states.append(found)
    return states


def month_close(
    actor: User, span: periods.Span, *, today: date | None = None, locale: str | None = None
) -> MonthClose:
    """The month close of the actor's people (see module doc): five statements for any size."""
    today = today or clock.today()
    company = actor.company
    kind = approval_services.kind_of(company)
    spans = periods.spans_overlapping(kind, span.first, span.last)
    calendar = worktime.load_calendar(company, spans[0].first, spans[-1].last, locale)
    users = people(actor)
    ids = [u.id for u in users]
    hours = hours_by_day(ids, span.first, span.last)
    overtime = overtime_by_user(ids, span.first, span.last)
    held = periods_by_user(ids, spans[0].first, spans[-1].last)
    days = worktime.days_between(span.first, span.last)
    rows = []
    by_employment: dict[Employment, dict[date, Decimal]] = {}  # most people share a few
    for user in users:
        employment = Employment.of(user.employee)
        normal = by_employment.get(employment)
        if normal is None:
            normal = by_employment[employment] = calendar.normal_by_day(
                employment, span.first, span.last
            )
        row = PersonMonth(
            user,
            normal=worktime.two_places(sum(normal.values(), ZERO)),  # exact days, rounded sum
            normal_to_date=worktime.two_places(
                sum((n for d, n in normal.items() if d <= today), ZERO)
            ),
            overtime=overtime.get(user.id, ZERO),
        )
        for day in days:
            work, away = hours.get((user.id, day), (ZERO, ZERO))
            row.worked += work
            row.absence += away
            if normal[day] > 0 and day < today and not (work or away):
                row.missing_days.append(day)
        for period_span in spans:
            inside = [d for d in period_span.days() if span.first <= d <= span.last]
            if not any(normal[d] or hours.get((user.id, d)) for d in inside):
                continue  # not employed then and nothing registered: nothing to hand in
            state = _period_state(_day_states(held[user.id], period_span.days()))
            if state == "submitted":
                row.waiting.append(period_span)
            elif state is None and period_span.last < today:
                row.not_submitted.append(period_span)
        if row.normal or row.registered or row.has_problems:
            rows.append(row)
    return MonthClose(span, today, calendar, rows, kind)


@dataclass
class Reminded:
    """What «Påminn alle som mangler timer» did."""

    missing: int  # people with missing days in the month
    outcome: reminders.Outcome

    def summary(self) -> str:
        if not self.missing:
            return _("Ingen mangler timer denne måneden, så ingen ble påminnet.")
        head = ngettext(
            "%(num)d person mangler timer.", "%(num)d personer mangler timer.", self.missing
        )
        return f"{head} {self.outcome.summary()}"


def remind_missing(actor: User, span: periods.Span, *, locale: str | None = None) -> Reminded:
    """Remind the actor's people with missing days in the month, through the approval
    reminders (tipro.approvals.reminders): each gets one e-mail naming their past periods not
    handed in (never the same period twice), and sees them on the start page as before."""
    close = month_close(actor, span, locale=locale)
    users = [row.user for row in close.missing_people]
    outcome = reminders.Outcome()
    if not users:
        return Reminded(0, outcome)
    why = mail.problem()
    if why:
        outcome.not_configured = why
        return Reminded(len(users), outcome)
    overdue = reminders.overdue_by_user(users, close.kind, close.today)
    dues = [
        reminders.Due(u.id, u.email, u.display_name, mail.language_of(u), overdue.get(u.id, []))
        for u in users
    ]
    sent = reminders.sent_keys(d.user_id for d in dues)
    db.session.commit()  # the reads are done; each person is one transaction from here
    _send(actor.company_id, [due.without(sent[due.user_id]) for due in dues], outcome)
    return Reminded(len(users), outcome)


def _send(company_id: int, dues: list, outcome: reminders.Outcome) -> None:
    """The sending loop of reminders.send_reminders over our chosen people (same claim, same
    mail, same once-per-period rows)."""
    import smtplib

    if not any(dues):
        outcome.already = len(dues)
        return
    try:
        with mail.connection() as conn:
            for due in dues:
                reminders._send_one(company_id, conn, due, outcome)  # noqa: SLF001
    except (smtplib.SMTPException, OSError) as error:
        db.session.rollback()
        outcome.server_error = str(error) or type(error).__name__


# ---------------------------------------------------------------- «Min oversikt»


@dataclass
class Stretch:
    """Hours against normal over some days (a week, a month)."""

    first: date
    last: date
    worked: Decimal = ZERO
    absence: Decimal = ZERO
    normal: Decimal = ZERO
    normal_to_date: Decimal = ZERO  # up to and including today

    @property
    def registered(self) -> Decimal:
        return self.worked + self.absence

    @property
    def difference(self) -> Decimal:
        """Registered against the normal time up to today (not the whole stretch)."""
        return self.registered - self.normal_to_date

    @property
    def percent(self) -> int:
        """Registered as a share of the whole stretch's normal time, for the meter (0–100)."""
        if not self.normal:
            return 100 if self.registered else 0
        return max(0, min(100, int(self.registered * 100 / self.normal)))


@dataclass(frozen=True)
class DayRow:
    """One day of the month: what was registered and what was normal."""

    day: worktime.Day
    worked: Decimal
    absence: Decimal
    normal: Decimal

    @property
    def registered(self) -> Decimal:
        return self.worked + self.absence


@dataclass
class Overview:
    user: User
    today: date
    week: Stretch
    month: Stretch
    flex: Decimal
    flex_from: date
    days: list[DayRow]
    percentage: Decimal
    hours_per_week: Decimal
    # Remaining vacation (days, as Tripletex gives it) and the day the sync read it; None
    # when Tripletex has not given it (no employee, not synced, no vacation in Tripletex).
    vacation_days: Decimal | None = None
    vacation_read_on: date | None = None

    @property
    def percentage_text(self) -> str:
        """«80» or «62,5»: the percentage of full time without needless decimals."""
        return format_decimal(self.percentage, format="#,##0.##")

    @property
    def vacation_days_text(self) -> str:
        """«25» or «12,5» days."""
        return format_decimal(self.vacation_days or 0, format="#,##0.##")

    @property
    def chart(self) -> DayChart:
        return DayChart.of(self.days, self.today)


def overview(user: User, *, today: date | None = None, locale: str | None = None) -> Overview:
    """The user's own week, month, flex and days (three statements with the employee)."""
    today = today or clock.today()
    employment = Employment.of(user.employee)
    monday = clock.monday_of(today)
    sunday = monday + timedelta(days=6)
    month = periods.span_of(PERIOD_MONTH, today)
    year_start = date(today.year, 1, 1)
    first = min(year_start, monday, month.first)
    last = max(sunday, month.last)
    calendar = worktime.load_calendar(user.company, first, last, locale)
    hours = {day: value for (_uid, day), value in hours_by_day([user.id], first, last).items()}

    def stretch(start: date, end: date) -> Stretch:
        found = Stretch(start, end)
        for day in worktime.days_between(start, end):
            work, away = hours.get(day, (ZERO, ZERO))
            normal = calendar.normal_on(employment, day)
            found.worked += work
            found.absence += away
            found.normal += normal
            if day <= today:
                found.normal_to_date += normal
        # The days' normal time is exact (worktime.day_hours); the sums are rounded once.
        found.normal = worktime.two_places(found.normal)
        found.normal_to_date = worktime.two_places(found.normal_to_date)
        return found

    flex_from = max(
        [year_start, employment.start or year_start]
        + [min((d for d in hours if d >= year_start), default=today)]
    )
    flex = ZERO
    for day in worktime.days_between(flex_from, today):
        work, away = hours.get(day, (ZERO, ZERO))
        if day == today and not (work or away):
            continue  # today counts once it has hours
        flex += work + away - calendar.normal_on(employment, day)
    flex = worktime.two_places(flex)
    days = []
    for day in calendar.days(month.first, month.last):
        work, away = hours.get(day.date, (ZERO, ZERO))
        days.append(DayRow(day, work, away, calendar.normal_on(employment, day.date)))
    return Overview(
        user=user,
        today=today,
        week=stretch(monday, sunday),
        month=stretch(month.first, month.last),
        flex=flex,
        flex_from=flex_from,
        days=days,
        percentage=employment.percentage_on(today),
        hours_per_week=Decimal(user.company.normal_hours_per_week),
        **_vacation(user.employee),
    )


def _vacation(employee) -> dict:
    """The synced balance, or nothing when it was never read."""
    if employee is None or employee.vacation_balance is None or not employee.vacation_read_on:
        return {}
    return {
        "vacation_days": employee.vacation_balance,
        "vacation_read_on": employee.vacation_read_on,
    }


# ---------------------------------------------------------------- the chart's geometry

CHART_WIDTH = 340  # viewBox units; the SVG is as wide as its box, ≈ 1:1 on a 360 px phone
CHART_TOP = 12
CHART_PLOT = 150  # height of the plotting area
CHART_LEFT = 22  # room for the hour labels


@dataclass(frozen=True)
class Bar:
    day: DayRow
    x: float
    width: float
    work_y: float
    work_h: float
    absence_y: float
    absence_h: float
    normal_y: float | None  # the day's normal mark; None on days without normal time
    label: str  # the day number under Mondays (and the 1st), else ""
    classes: str
    is_today: bool


@dataclass(frozen=True)
class DayChart:
    """Where each bar of the month's hours-per-day chart goes (the template draws it)."""

    bars: list[Bar]
    ticks: list[tuple[float, int]]  # (y, hours) grid lines
    width: int
    height: int
    plot_top: float
    plot_bottom: float
    left: int

    @classmethod
    def of(cls, days: list[DayRow], today: date) -> DayChart:
        top = max([Decimal(8)] + [d.registered for d in days] + [d.normal for d in days])
        scale_max = int(math.ceil(float(top) / 2) * 2)
        step = 2 if scale_max <= 12 else 4

        def y(value: Decimal | float) -> float:
            return round(CHART_TOP + CHART_PLOT - float(value) / scale_max * CHART_PLOT, 1)

        slot = (CHART_WIDTH - CHART_LEFT) / max(len(days), 1)
        bars = []
        for index, row in enumerate(days):
            x = round(CHART_LEFT + index * slot + slot * 0.15, 1)
            width = round(slot * 0.7, 1)
            work_top = y(row.worked)
            absence_top = y(row.worked + row.absence)
            classes = ["bar", f"day-{row.day.kind}"]
            if row.normal and row.registered < row.normal and row.day.date < today:
                classes.append("short")
            # Mondays and the 1st (unless a Sunday: Monday's label would touch it).
            weekday = row.day.date.weekday()
            first_or_monday = weekday == 0 or (row.day.date.day == 1 and weekday != 6)
            bars.append(
                Bar(
                    day=row,
                    x=x,
                    width=width,
                    work_y=work_top,
                    work_h=round(CHART_TOP + CHART_PLOT - work_top, 1),
                    absence_y=absence_top,
                    absence_h=round(work_top - absence_top, 1),
                    normal_y=y(row.normal) if row.normal else None,
                    label=str(row.day.date.day) if first_or_monday else "",
                    classes=" ".join(classes),
                    is_today=row.day.date == today,
                )
            )
        ticks = [(y(h), h) for h in range(0, scale_max + 1, step)]
        return cls(
            bars, ticks, CHART_WIDTH, CHART_TOP + CHART_PLOT + 22, CHART_TOP, y(0), CHART_LEFT
        )


# ---------------------------------------------------------------- closure days (admin)


def closure_days_of(year: int) -> list[ClosureDay]:
    """The company's closure days in `year`, by date."""
    return list(
        db.session.scalars(
            select(ClosureDay)
            .where(ClosureDay.date.between(date(year, 1, 1), date(year, 12, 31)))
            .order_by(ClosureDay.date)
        )
    )


def add_closure_days(actor: User, first: date, last: date | None, name: str) -> list[ClosureDay]:
    """Close the company from first to last (Monday–Friday that are not already closed or
    public holidays); audited. Raises UserError with the field at fault."""
    last = last or first
    name = " ".join((name or "").split())
    if not name:
        raise UserError(_("Gi dagene et navn, for eksempel «Romjul»."), "name")
    if len(name) > CLOSURE_NAME_LENGTH:
        raise UserError(_("Navnet kan være høyst %(n)d tegn.", n=CLOSURE_NAME_LENGTH), "name")
    if last < first:
        raise UserError(_("Til-dato kan ikke være før fra-dato."), "end")
    if (last - first).days >= MAX_CLOSURE_DAYS:
        raise UserError(_("Høyst %(n)d dager om gangen.", n=MAX_CLOSURE_DAYS), "end")
    serialise(Company, actor.company_id)
    holidays = worktime.public_holidays(first, last)
    taken = set(
        db.session.scalars(select(ClosureDay.date).where(ClosureDay.date.between(first, last)))
    )
    added = []
    for day in worktime.days_between(first, last):
        if day.weekday() >= worktime.WORKDAYS_PER_WEEK or day in holidays or day in taken:
            continue
        row = ClosureDay(company_id=actor.company_id, date=day, name=name)
        db.session.add(row)
        added.append(row)
    if not added:
        raise UserError(
            _("Ingen nye arbeidsdager i perioden (helger og helligdager er fri fra før)."),
            "start",
        )
    db.session.flush()
    for row in added:
        record_audit(
            actor.company_id,
            actor,
            "closure_day",
            row.id,
            "create",
            {"date": [None, row.date.isoformat()], "name": [None, row.name]},
        )
    db.session.commit()
    return added


def delete_closure_day(actor: User, row: ClosureDay) -> None:
    """Open the company again on that day; audited."""
    record_audit(
        actor.company_id,
        actor,
        "closure_day",
        row.id,
        "delete",
        {"date": [row.date.isoformat(), None], "name": [row.name, None]},
    )
    db.session.delete(row)
    db.session.commit()

"""Report reads: hours summed in the database (GROUP BY), one statement per table or chart.

Who sees what is the approval visibility rule of `tipro.entries.queries.entries_visible_query`
(admins: the company; approvers: their own hours, their projects' and their departments'
people; everybody else: their own), applied as a WHERE clause to every statement here. The
number of statements does not depend on how many entries there are.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import (
    Numeric,
    String,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import aliased

from tipro.entries.extras.definitions import unit_names
from tipro.entries.queries import entries_visible_query
from tipro.extensions import db
from tipro.models import (
    Activity,
    Customer,
    EntrySupplement,
    Project,
    SalaryType,
    SupplementType,
    TimeEntry,
    User,
)
from tipro.models.extras import SUPPLEMENT_UNITS
from tipro.models.work import ENTRY_STATES
from tipro.reports.filters import PAGE_SIZE, PERIOD_GROUPS, STATE_LABELS, BadFilter, ReportFilter
from tipro.security import parse_id

ZERO = Decimal("0")
CENT = Decimal("0.01")
NONE_KEY = "0"  # the drill-down key of «without project/customer/activity»

# The pre-flight's billable rule (tipro.approvals.preflight): a customer's project that is
# neither internal nor fixed price, on a chargeable activity.
BILLABLE = and_(
    Project.customer_id.is_not(None),
    Project.is_internal.is_(False),
    Project.is_fixed_price.is_(False),
    Activity.is_chargeable.is_(True),
)
_BILLABLE_FLAG = case((BILLABLE, 1), else_=0)


def _sum(expression):
    return type_coerce(func.coalesce(func.sum(expression), 0), Numeric(14, 2))


HOURS = _sum(TimeEntry.hours)
BILLABLE_HOURS = _sum(case((BILLABLE, TimeEntry.hours), else_=0))
COUNT = func.count(TimeEntry.id)


def _dec(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


@dataclass
class Row:
    """One line of the report: a group value with its sums."""

    key: str  # the drill-down key (tipro.reports.filters.ReportFilter.key)
    label: str
    detail: str = ""
    hours: Decimal = ZERO
    billable: Decimal = ZERO
    entries: int = 0
    order: tuple = ()  # the group's natural order (dates, then names)
    unit: str = ""  # supplements: the type's unit (SupplementType.unit)

    @property
    def non_billable(self) -> Decimal:
        return self.hours - self.billable


@dataclass
class Report:
    filter: ReportFilter
    rows: list[Row]
    quantity: bool = False  # supplements: amounts in the types' units, not hours
    # Supplements: one total per unit (hours, km and kroner never add up), and the entries
    # counted once however many supplements each carries.
    units: list[Row] = field(default_factory=list)
    entry_count: int | None = None

    @property
    def hours(self) -> Decimal:
        return sum((r.hours for r in self.rows), ZERO)

    @property
    def billable(self) -> Decimal:
        return sum((r.billable for r in self.rows), ZERO)

    @property
    def non_billable(self) -> Decimal:
        return self.hours - self.billable

    @property
    def entries(self) -> int:
        if self.entry_count is not None:
            return self.entry_count
        return sum(r.entries for r in self.rows)


# ---------------------------------------------------------------- the WHERE of every statement


def _visible(actor: User):
    """The approval visibility rule as a condition (None: admins see the whole company)."""
    return entries_visible_query(actor).whereclause


def _in_reach(actor: User, f: ReportFilter) -> list:
    """The range and the visibility rule as WHERE conditions on TimeEntry."""
    where = [
        TimeEntry.company_id == actor.company_id,
        TimeEntry.date >= f.first,
        TimeEntry.date <= f.last,
    ]
    visible = _visible(actor)
    if visible is not None:
        where.append(visible)
    return where


def conditions(actor: User, f: ReportFilter) -> list:
    """The filter and the visibility rule as WHERE conditions on TimeEntry."""
    where = _in_reach(actor, f)
    if f.user_id is not None:
        where.append(TimeEntry.user_id == f.user_id)
    if f.project_id is not None:
        where.append(TimeEntry.project_id == f.project_id)
    if f.customer_id is not None:
        where.append(
            TimeEntry.project_id.in_(select(Project.id).where(Project.customer_id == f.customer_id))
        )
    if f.state is not None:
        where.append(TimeEntry.state == f.state)
    return where


def _joined(query):
    """Project and activity joined (outer): the billable rule and most labels read them."""
    return query.select_from(TimeEntry).outerjoin(Project, TimeEntry.project_id == Project.id)


def _with_activity(query):
    return query.outerjoin(Activity, TimeEntry.activity_id == Activity.id)


# ---------------------------------------------------------------- the report table


def _label(number, name) -> str:
    return f"{number} {name}" if number else (name or "")


def _group_rows(actor: User, f: ReportFilter) -> list[Row]:
    where = conditions(actor, f)
    if f.group == "ansatt":
        query = (
            _with_activity(_joined(select(User.id, User.name, User.email, HOURS, BILLABLE_HOURS)))
            .add_columns(COUNT)
            .join(User, TimeEntry.user_id == User.id)
            .where(*where)
            .group_by(User.id, User.name, User.email)
        )
        return [
            Row(str(uid), name or email, "", _dec(h), _dec(b), n, ((name or email).lower(),))
            for uid, name, email, h, b, n in db.session.execute(query)
        ]
    if f.group == "prosjekt":
        query = (
            _with_activity(
                _joined(
                    select(
                        TimeEntry.project_id, Project.number, Project.name, Customer.name
                    ).add_columns(HOURS, BILLABLE_HOURS, COUNT)
                )
            )
            .outerjoin(Customer, Project.customer_id == Customer.id)
            .where(*where)
            .group_by(TimeEntry.project_id, Project.number, Project.name, Customer.name)
        )
        return [
            Row(
                str(pid) if pid else NONE_KEY,
                _label(number, name) if pid else _("Uten prosjekt"),
                customer or "",
                _dec(h),
                _dec(b),
                n,
                (pid is None, number or "", name or ""),
            )
            for pid, number, name, customer, h, b, n in db.session.execute(query)
        ]
    if f.group == "kunde":
        query = (
            _with_activity(
                _joined(
                    select(Project.customer_id, Customer.name, Customer.number).add_columns(
                        HOURS, BILLABLE_HOURS, COUNT
                    )
                )
            )
            .outerjoin(Customer, Project.customer_id == Customer.id)
            .where(*where)
            .group_by(Project.customer_id, Customer.name, Customer.number)
        )
        return [
            Row(
                str(cid) if cid else NONE_KEY,
                (name or "") if cid else _("Uten kunde"),
                str(number) if number else "",
                _dec(h),
                _dec(b),
                n,
                (cid is None, (name or "").lower()),
            )
            for cid, name, number, h, b, n in db.session.execute(query)
        ]
    if f.group == "aktivitet":
        query = (
            _with_activity(
                _joined(
                    select(TimeEntry.activity_id, Activity.number, Activity.name).add_columns(
                        HOURS, BILLABLE_HOURS, COUNT
                    )
                )
            )
            .where(*where)
            .group_by(TimeEntry.activity_id, Activity.number, Activity.name)
        )
        return [
            Row(
                str(aid) if aid else NONE_KEY,
                _label(number, name) if aid else _("Uten aktivitet"),
                "",
                _dec(h),
                _dec(b),
                n,
                (aid is None, (name or "").lower()),
            )
            for aid, number, name, h, b, n in db.session.execute(query)
        ]
    if f.group == "status":
        query = (
            _with_activity(_joined(select(TimeEntry.state, HOURS, BILLABLE_HOURS, COUNT)))
            .where(*where)
            .group_by(TimeEntry.state)
        )
        return [
            Row(
                state,
                str(STATE_LABELS.get(state, state)),
                "",
                _dec(h),
                _dec(b),
                n,
                (ENTRY_STATES.index(state) if state in ENTRY_STATES else 9,),
            )
            for state, h, b, n in db.session.execute(query)
        ]
    if f.group == "fakturerbar":
        query = (
            _with_activity(_joined(select(_BILLABLE_FLAG, HOURS, BILLABLE_HOURS, COUNT)))
            .where(*where)
            .group_by(_BILLABLE_FLAG)
        )
        return [
            Row(
                "ja" if flag else "nei",
                _("Fakturerbar") if flag else _("Ikke fakturerbar"),
                "",
                _dec(h),
                _dec(b),
                n,
                (0 if flag else 1,),
            )
            for flag, h, b, n in db.session.execute(query)
        ]
    if f.group == "tillegg":
        return _supplement_rows(where)
    return _period_rows(where, f)


def _supplements(query):
    """The supplements' joins (entry and type) that every supplement statement shares."""
    return (
        query.select_from(EntrySupplement)
        .join(TimeEntry, EntrySupplement.entry_id == TimeEntry.id)
        .join(SupplementType, EntrySupplement.supplement_type_id == SupplementType.id)
    )


def _supplement_rows(where) -> list[Row]:
    """Supplements per type (amounts in the type's unit) with the salary type they pay as."""
    billable = case((SupplementType.billable.is_(True), EntrySupplement.quantity), else_=0)
    query = _supplements(
        select(
            SupplementType.id,
            SupplementType.name,
            SupplementType.unit,
            SalaryType.number,
            SalaryType.name,
            _sum(EntrySupplement.quantity),
            _sum(billable),
            func.count(func.distinct(EntrySupplement.entry_id)),
        )
    ).outerjoin(SalaryType, SupplementType.salary_type_id == SalaryType.id)
    query = query.where(*where).group_by(
        SupplementType.id,
        SupplementType.name,
        SupplementType.unit,
        SalaryType.number,
        SalaryType.name,
    )
    units = unit_names()
    rows = []
    for sid, name, unit, number, salary, quantity, billable_q, n in db.session.execute(query):
        detail = units.get(unit, unit)
        if number or salary:
            detail += " · " + _("lønnsart %(salary)s", salary=_label(number, salary))
        rows.append(Row(str(sid), name, detail, _dec(quantity), _dec(billable_q), n, (name,), unit))
    return rows


def _supplement_totals(where, rows: list[Row]) -> tuple[list[Row], int]:
    """(one total per unit, the entries with any supplement): quantities from the rows, entry
    counts from the database (an entry with two supplements counts once), in one statement."""
    distinct = func.count(func.distinct(EntrySupplement.entry_id))
    per_unit = _supplements(select(SupplementType.unit, distinct)).where(*where)
    overall = _supplements(select(literal(None, String), distinct)).where(*where)
    counts = dict(
        db.session.execute(union_all(per_unit.group_by(SupplementType.unit), overall)).all()
    )
    names = unit_names()
    totals: dict[str, Row] = {}
    for row in rows:
        total = totals.get(row.unit)
        if total is None:
            name = names.get(row.unit, row.unit)
            order = (SUPPLEMENT_UNITS.index(row.unit) if row.unit in SUPPLEMENT_UNITS else 9,)
            total = totals[row.unit] = Row(
                row.unit,
                _("Sum %(unit)s", unit=name),
                name,
                entries=counts.get(row.unit, 0),
                order=order,
                unit=row.unit,
            )
        total.hours += row.hours
        total.billable += row.billable
    return sorted(totals.values(), key=lambda t: t.order), counts.get(None, 0)


def _period_rows(where, f: ReportFilter) -> list[Row]:
    """Sums per day from the database, folded here into ISO weeks or months (any database)."""
    query = (
        _with_activity(_joined(select(TimeEntry.date, HOURS, BILLABLE_HOURS, COUNT)))
        .where(*where)
        .group_by(TimeEntry.date)
    )
    rows: dict[str, Row] = {}
    for day, h, b, n in db.session.execute(query):
        key, label, order = period_of(f.group, day)
        row = rows.get(key)
        if row is None:
            row = rows[key] = Row(key, label, "", ZERO, ZERO, 0, order)
        row.hours += _dec(h)
        row.billable += _dec(b)
        row.entries += n
    return list(rows.values())


def period_of(group: str, day: date) -> tuple[str, str, tuple]:
    """(drill-down key, label, order) of the day, ISO week or month that `day` falls in."""
    if group == "dag":
        return day.isoformat(), format_date(day, "EEE d.M.yyyy"), (day,)
    if group == "uke":
        year, week, _weekday = day.isocalendar()
        monday = day - timedelta(days=day.weekday())
        sunday = monday + timedelta(days=6)
        label = _(
            "Uke %(week)d %(year)d (%(first)s–%(last)s)",
            week=week,
            year=year,
            first=monday.strftime("%d.%m."),
            last=sunday.strftime("%d.%m.%Y"),
        )
        return f"{year}-W{week:02d}", label, (monday,)
    first = day.replace(day=1)
    label = format_date(first, "LLLL yyyy").capitalize()
    return f"{day.year}-{day.month:02d}", label, (first,)


def report(actor: User, f: ReportFilter) -> Report:
    """The report table: one row per group value, sorted as the filter asks."""
    rows = _group_rows(actor, f)
    if f.sort is None:
        rows.sort(key=lambda r: r.order)
        if f.group not in PERIOD_GROUPS and f.group not in ("status", "fakturerbar"):
            rows.sort(key=lambda r: r.hours, reverse=True)
    else:
        value = {
            "navn": lambda r: r.order,
            "timer": lambda r: r.hours,
            "fakturerbar": lambda r: r.billable,
            "ikke": lambda r: r.non_billable,
            "foringer": lambda r: r.entries,
        }[f.sort]
        rows.sort(key=value, reverse=f.descending)
    if f.group != "tillegg":
        return Report(f, rows)
    units, count = _supplement_totals(conditions(actor, f), rows)
    return Report(f, rows, quantity=True, units=units, entry_count=count)


# ---------------------------------------------------------------- drill-down


def _key_condition(f: ReportFilter):
    """The WHERE that narrows the entries to one row of the report (f.key), else None."""
    key, group = f.key, f.group
    if key is None:
        return None
    bad = BadFilter(_("Ugyldig valg for %(what)s.", what=_("rad")), "nokkel")
    if group in PERIOD_GROUPS:
        first, last = key_days(group, key)
        if first is None:
            raise bad
        return and_(TimeEntry.date >= first, TimeEntry.date <= last)
    if group == "status":
        if key not in ENTRY_STATES:
            raise bad
        return TimeEntry.state == key
    if group == "fakturerbar":
        if key not in ("ja", "nei"):
            raise bad
        return _BILLABLE_FLAG == (1 if key == "ja" else 0)
    number = _key_number(key)
    if number is None:
        raise bad
    if group == "ansatt":
        return TimeEntry.user_id == number
    if group == "prosjekt":
        return TimeEntry.project_id.is_(None) if number == 0 else TimeEntry.project_id == number
    if group == "aktivitet":
        return TimeEntry.activity_id.is_(None) if number == 0 else TimeEntry.activity_id == number
    if group == "kunde":
        if number == 0:
            return or_(TimeEntry.project_id.is_(None), Project.customer_id.is_(None))
        return Project.customer_id == number
    if group == "tillegg":
        return TimeEntry.id.in_(
            select(EntrySupplement.entry_id).where(EntrySupplement.supplement_type_id == number)
        )
    raise bad


def _key_number(key: str) -> int | None:
    """The id in a row key («0»: without project/customer/activity), None when it is no id.

    parse_id caps at the INTEGER columns' maximum: a larger number would fail in PostgreSQL
    («integer out of range») instead of being a 400.
    """
    return 0 if key == NONE_KEY else parse_id(key)


def key_days(group: str, key: str) -> tuple[date | None, date | None]:
    """The days of a day («2026-11-18»), ISO week («2026-W53») or month («2026-11») key."""
    try:
        if group == "dag":
            day = date.fromisoformat(key)
            return day, day
        if group == "uke":
            year, week = key.split("-W")
            monday = date.fromisocalendar(int(year), int(week), 1)
            return monday, monday + timedelta(days=6)
        year, month = (int(part) for part in key.split("-"))
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    except (ValueError, TypeError):
        return None, None


CUSTOMER = aliased(Customer)


def _entries_query(actor: User, f: ReportFilter):
    """SELECT of the entry lines behind the report (or behind one of its rows)."""
    where = conditions(actor, f)
    narrowed = _key_condition(f)
    if narrowed is not None:
        where.append(narrowed)
    return (
        _with_activity(
            _joined(
                select(
                    TimeEntry.id,
                    TimeEntry.date,
                    User.name,
                    User.email,
                    Project.number,
                    Project.name,
                    CUSTOMER.name,
                    Activity.number,
                    Activity.name,
                    TimeEntry.hours,
                    _BILLABLE_FLAG,
                    TimeEntry.state,
                    TimeEntry.comment,
                )
            )
        )
        .join(User, TimeEntry.user_id == User.id)
        .outerjoin(CUSTOMER, Project.customer_id == CUSTOMER.id)
        .where(*where)
        .order_by(TimeEntry.date, User.name, TimeEntry.id)
    )


@dataclass
class Line:
    """One entry as the drill-down and the export show it."""

    id: int
    date: date
    person: str
    project: str
    customer: str
    activity: str
    hours: Decimal
    billable: bool
    state: str
    comment: str

    @classmethod
    def of(cls, row) -> Line:
        (eid, day, name, email, pnum, pname, customer, anum, aname, hours, flag, state, text) = row
        return cls(
            eid,
            day,
            name or email,
            _label(pnum, pname) if pname or pnum else "",
            customer or "",
            _label(anum, aname) if aname or anum else "",
            _dec(hours),
            bool(flag),
            state,
            text or "",
        )


@dataclass
class Lines:
    filter: ReportFilter
    lines: list[Line] = field(default_factory=list)
    more: bool = False  # another page follows

    @property
    def hours(self) -> Decimal:
        return sum((line.hours for line in self.lines), ZERO)


def entry_page(actor: User, f: ReportFilter) -> Lines:
    """One page of the drill-down (PAGE_SIZE lines; one statement)."""
    query = _entries_query(actor, f).limit(PAGE_SIZE + 1).offset((f.page - 1) * PAGE_SIZE)
    lines = [Line.of(row) for row in db.session.execute(query)]
    return Lines(f, lines[:PAGE_SIZE], len(lines) > PAGE_SIZE)


def drill_total(actor: User, f: ReportFilter) -> tuple[Decimal, int]:
    """The hours and entry count of everything the drill-down lists (all pages)."""
    where = conditions(actor, f)
    narrowed = _key_condition(f)
    if narrowed is not None:
        where.append(narrowed)
    query = _with_activity(_joined(select(HOURS, COUNT))).where(*where)
    hours, count = db.session.execute(query).one()
    return _dec(hours), count


def each_line(actor: User, f: ReportFilter, batch: int = 1000) -> Iterator[Line]:
    """Every line behind the report, streamed (PostgreSQL: a server-side cursor)."""
    query = _entries_query(actor, f).execution_options(yield_per=batch)
    for row in db.session.execute(query):
        yield Line.of(row)


# ---------------------------------------------------------------- charts and filter choices


def stacked(actor: User, f: ReportFilter, by: str) -> list[tuple]:
    """(key, label, activity id, activity label, hours) per project or person and activity."""
    where = conditions(actor, f)
    activity = (TimeEntry.activity_id, Activity.number, Activity.name)
    if by == "prosjekt":
        dims = (TimeEntry.project_id, Project.number, Project.name)
        query = _with_activity(_joined(select(*dims, *activity, HOURS)))
    else:
        dims = (TimeEntry.user_id, User.name, User.email)
        query = _with_activity(_joined(select(*dims, *activity, HOURS))).join(
            User, TimeEntry.user_id == User.id
        )
    query = query.where(*where).group_by(*dims, *activity)
    out = []
    for key, a, b, aid, _anum, aname, hours in db.session.execute(query):
        if by == "prosjekt":
            label = _label(a, b) if key else _("Uten prosjekt")
        else:
            label = a or b
        alabel = (aname or "") if aid else _("Uten aktivitet")
        out.append((key or 0, label, aid or 0, alabel, _dec(hours)))
    return out


@dataclass
class Choices:
    """What the filter form offers: people, projects and customers the actor may pick."""

    people: list[tuple[int, str]]
    projects: list[tuple[int, str]]
    customers: list[tuple[int, str]]


def choices(actor: User, f: ReportFilter) -> Choices:
    """People the actor sees; projects (and their customers) with visible hours in the range."""
    if not (actor.has_role("approver") or actor.has_role("admin")):
        people = [(actor.id, actor.display_name)]
    else:
        query = select(User.id, User.name, User.email).order_by(User.name, User.id)
        visible = _visible(actor)
        if visible is not None:
            seen = select(TimeEntry.user_id).where(
                TimeEntry.company_id == actor.company_id, visible
            )
            query = query.where(or_(User.id == actor.id, User.id.in_(seen)))
        people = [(uid, name or email) for uid, name, email in db.session.execute(query)]
    # The picked project or customer stays offered when the range has no hours on it, but
    # only when the actor sees hours on it at all (admins: the company's): a typed-in id must
    # not read the name of a project or customer beyond the actor's reach.
    in_range = select(TimeEntry.project_id).where(*_in_reach(actor, f))
    offered = [Project.id.in_(in_range)]
    picked = []
    if f.project_id is not None:
        picked.append(Project.id == f.project_id)
    if f.customer_id is not None:
        picked.append(Project.customer_id == f.customer_id)
    if picked:
        visible = _visible(actor)
        if visible is None:
            offered.extend(picked)
        else:
            seen = select(TimeEntry.project_id).where(
                TimeEntry.company_id == actor.company_id, visible
            )
            offered.append(and_(or_(*picked), Project.id.in_(seen)))
    query = (
        select(Project.id, Project.number, Project.name, Customer.id, Customer.name)
        .outerjoin(Customer, Project.customer_id == Customer.id)
        .where(or_(*offered))
        .order_by(Project.number, Project.name)
    )
    projects, customers = [], {}
    for pid, number, name, cid, cname in db.session.execute(query):
        projects.append((pid, _label(number, name)))
        if cid is not None:
            customers[cid] = cname or ""
    return Choices(people, projects, sorted(customers.items(), key=lambda c: c[1].lower()))


def check_key(f: ReportFilter) -> None:
    """Raise BadFilter (400) when the drill-down key does not fit its group."""
    _key_condition(f)


def row_label(f: ReportFilter, count: int) -> str | None:
    """The name of the report row the drill-down lists (None: the whole report).

    `count` is the drill-down's entry count (drill_total): a person, project, customer,
    activity or supplement is named only when the actor sees entries on it, so a made-up
    key cannot read the names of colleagues or projects beyond the actor's reach.
    """
    if f.key is None:
        return None
    check_key(f)
    group, key = f.group, f.key
    if group in PERIOD_GROUPS:
        return period_of(group, key_days(group, key)[0])[1]
    if group == "status":
        return str(STATE_LABELS[key])
    if group == "fakturerbar":
        return _("Fakturerbar") if key == "ja" else _("Ikke fakturerbar")
    number = _key_number(key) or 0
    if number and not count:
        return ""
    if number == 0:
        return {
            "prosjekt": _("Uten prosjekt"),
            "kunde": _("Uten kunde"),
            "aktivitet": _("Uten aktivitet"),
        }.get(group, "")
    lookup = {
        "ansatt": select(User.name, User.email).where(User.id == number),
        "prosjekt": select(Project.number, Project.name).where(Project.id == number),
        "kunde": select(Customer.number, Customer.name).where(Customer.id == number),
        "aktivitet": select(Activity.number, Activity.name).where(Activity.id == number),
        "tillegg": select(SupplementType.name, SupplementType.name).where(
            SupplementType.id == number
        ),
    }[group]
    found = db.session.execute(lookup).first()
    if found is None:
        return ""
    if group == "ansatt":
        return found[0] or found[1]
    if group == "tillegg":
        return found[0]
    return _label(*found) if group != "kunde" else found[1]

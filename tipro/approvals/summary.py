"""What the approval pages show about periods: days against normal time, extras, lines, names.

Reads only, batched: a list of periods costs the same few statements however long it is
(the approver's list must not grow a query per period).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from tipro import clock
from tipro.approvals import periods as calendar
from tipro.approvals.periods import Span
from tipro.entries.extras.display import fmt_quantity
from tipro.extensions import db
from tipro.models import (
    AbsenceType,
    CustomField,
    CustomFieldValue,
    EntryAbsence,
    EntrySupplement,
    Period,
    PeriodLine,
    SupplementType,
    TimeEntry,
    User,
)
from tipro.models.approval import (
    LINE_APPROVED,
    LINE_CUSTOMER,
    LINE_RETURNED,
    LINE_WAITING,
    PERIOD_APPROVED,
    PERIOD_REOPENED,
    PERIOD_RETURNED,
    PERIOD_SUBMITTED,
    PERIOD_TAKEN_BACK,
)

ZERO = Decimal("0")
RECENT_LIMIT = 30

PERIOD_STATES = {
    None: _l("Ikke sendt inn"),
    PERIOD_TAKEN_BACK: _l("Ikke sendt inn (tatt tilbake)"),
    PERIOD_SUBMITTED: _l("Sendt inn – venter på godkjenning"),
    PERIOD_APPROVED: _l("Godkjent"),
    PERIOD_RETURNED: _l("Sendt tilbake"),
    PERIOD_REOPENED: _l("Åpnet igjen"),
}
LINE_STATES = {
    LINE_WAITING: _l("Venter på godkjenner"),
    LINE_CUSTOMER: _l("Venter på kunden"),
    LINE_APPROVED: _l("Godkjent"),
    LINE_RETURNED: _l("Sendt tilbake"),
}
_UNITS = {"hours": _l("t"), "km": _l("km"), "pieces": _l("stk"), "nok": _l("kr")}


@dataclass
class DayTotal:
    """One day of a period: hours registered against the day's normal time."""

    day: date
    hours: Decimal
    normal: Decimal

    @property
    def state(self) -> str:
        """'missing', 'under', 'over' or 'ok' (a CSS class and the word beside the hours)."""
        if not self.hours:
            return "missing"
        if self.hours < self.normal:
            return "under"
        if self.hours > self.normal:
            return "over"
        return "ok"


@dataclass
class Summary:
    """A period (or a span nobody handed in yet) as the pages show it."""

    span: Span
    user: User
    period: Period | None
    days: list[DayTotal] = field(default_factory=list)
    total: Decimal = ZERO
    normal_total: Decimal = ZERO
    extras: list[tuple[str, str]] = field(default_factory=list)
    entries: list[TimeEntry] = field(default_factory=list)
    problems: list = field(default_factory=list)

    @property
    def blocking(self) -> list:
        return [p for p in self.problems if p.blocking]

    @property
    def warnings(self) -> list:
        return [p for p in self.problems if not p.blocking]

    @property
    def state(self) -> str | None:
        return self.period.state if self.period is not None else None

    @property
    def projects(self) -> list[tuple[object, Decimal]]:
        """(project or None, hours) of the entries, for a period without lines yet."""
        sums: dict[int | None, Decimal] = defaultdict(lambda: ZERO)
        found: dict[int | None, object] = {}
        for entry in self.entries:
            sums[entry.project_id] += entry.hours
            found[entry.project_id] = entry.project
        return [(found[key], sums[key]) for key in sums]


class _ShownProblem:
    """A stored pre-flight problem when the preflight module offers no Problem class."""

    def __init__(self, data: dict) -> None:
        self.code = str(data.get("code", ""))
        self.blocking = bool(data.get("blocking", True))
        self.params = data.get("params") or {}
        self.message = str(data.get("message") or self.code)
        self.hint = str(data.get("hint") or "")


def problems_of(period: Period | None) -> list:
    """The period's stored pre-flight result as problems (with .message and .hint)."""
    if period is None or not period.preflight:
        return []
    from tipro.approvals import preflight

    problem = getattr(preflight, "Problem", None)
    make = getattr(problem, "from_dict", None) or _ShownProblem
    return [make(data) for data in period.preflight if isinstance(data, dict)]


def normal_per_day(company) -> Decimal:
    return (Decimal(company.normal_hours_per_week) / 5).quantize(Decimal("0.01"))


def _day_totals(span: Span, entries, per_day: Decimal) -> list[DayTotal]:
    """Every day with hours, and every weekday up to today without (missing)."""
    sums: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for entry in entries:
        sums[entry.date] += entry.hours
    today = clock.today()
    shown = []
    for day in span.days():
        normal = per_day if day.weekday() < 5 else ZERO
        hours = sums.get(day, ZERO)
        if hours or (normal and day <= today):
            shown.append(DayTotal(day, hours, normal))
    return shown


def _extras(entries) -> dict[int, list[tuple[str, str]]]:
    """entry id → summed supplements, absence by type, custom field values — per entry's period.

    Returns per *entry*; the caller folds them per period. Three statements for any number.
    """
    ids = [e.id for e in entries]
    if not ids:
        return {}
    hours = {e.id: e.hours for e in entries}
    rows: dict[int, list[tuple]] = defaultdict(list)
    for entry_id, name in db.session.execute(
        select(EntryAbsence.entry_id, AbsenceType.name)
        .join(AbsenceType, AbsenceType.id == EntryAbsence.absence_type_id)
        .where(EntryAbsence.entry_id.in_(ids))
    ):
        rows[entry_id].append(("absence", name, "hours", hours[entry_id], 0))
    for entry_id, name, unit, quantity, position in db.session.execute(
        select(
            EntrySupplement.entry_id,
            SupplementType.name,
            SupplementType.unit,
            EntrySupplement.quantity,
            SupplementType.position,
        )
        .join(SupplementType, SupplementType.id == EntrySupplement.supplement_type_id)
        .where(EntrySupplement.entry_id.in_(ids))
    ):
        rows[entry_id].append(("supplement", name, unit, quantity, position))
    for entry_id, label, kind, value, position in db.session.execute(
        select(
            CustomFieldValue.entry_id,
            CustomField.label,
            CustomField.field_type,
            CustomFieldValue.value,
            CustomField.position,
        )
        .join(CustomField, CustomField.id == CustomFieldValue.field_id)
        .where(CustomFieldValue.entry_id.in_(ids))
    ):
        rows[entry_id].append(("field", label, kind, value, position))
    return rows


def _fold_extras(entries, rows) -> list[tuple[str, str]]:
    """One period's extras, summed: «Fravær: Ferie 15 t», «Overtid 50 %: 3 t», «Km: 120»."""
    absence: dict[str, Decimal] = defaultdict(lambda: ZERO)
    supplements: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    fields: dict[tuple, list[str]] = defaultdict(list)
    for entry in entries:
        for part, name, kind, value, position in rows.get(entry.id, ()):
            if part == "absence":
                absence[name] += value
            elif part == "supplement":
                supplements[(position, name, kind)] += value
            else:
                fields[(position, name, kind)].append(value)
    shown = [
        (_("Fravær"), _("%(name)s %(hours)s t", name=name, hours=fmt_quantity(amount)))
        for name, amount in sorted(absence.items())
    ]
    for (_pos, name, unit), amount in sorted(supplements.items()):
        shown.append((name, f"{fmt_quantity(amount)} {_UNITS.get(unit, '')}".strip()))
    for (_pos, label, kind), values in sorted(fields.items()):
        if kind == "yesno":
            yes = sum(1 for v in values if v == "ja")
            text = _("ja på %(n)d av %(total)d", n=yes, total=len(values))
        elif kind == "number":
            try:
                text = fmt_quantity(sum((Decimal(v) for v in values if v), ZERO))
            except ArithmeticError:
                text = ", ".join(values)
        else:
            distinct = list(dict.fromkeys(v for v in values if v))
            text = "; ".join(distinct[:5]) + (" …" if len(distinct) > 5 else "")
        if text:
            shown.append((label, text))
    return shown


def _entries_of(pairs: list[tuple[int, date, date]], *, with_names: bool = False):
    if not pairs:
        return []
    query = (
        select(TimeEntry)
        .where(
            or_(
                *(
                    and_(TimeEntry.user_id == uid, TimeEntry.date >= first, TimeEntry.date <= last)
                    for uid, first, last in pairs
                )
            )
        )
        .order_by(TimeEntry.date, TimeEntry.id)
    )
    if with_names:
        query = query.options(joinedload(TimeEntry.project), joinedload(TimeEntry.activity))
    return list(db.session.scalars(query))


def summarise(company, items: list[tuple[Span, User, Period | None]], *, with_entries=False):
    """Summaries for many periods at once (a constant number of statements)."""
    per_day = normal_per_day(company)
    entries = _entries_of(
        [(user.id, span.first, span.last) for span, user, _p in items], with_names=with_entries
    )
    rows = _extras(entries)
    summaries = []
    for span, user, period in items:
        mine = [e for e in entries if e.user_id == user.id and span.first <= e.date <= span.last]
        days = _day_totals(span, mine, per_day)
        summaries.append(
            Summary(
                span=span,
                user=user,
                period=period,
                days=days,
                total=sum((e.hours for e in mine), ZERO),
                normal_total=per_day * sum(1 for d in span.days() if d.weekday() < 5),
                extras=_fold_extras(mine, rows),
                entries=mine if with_entries else [],
                problems=problems_of(period),
            )
        )
    return summaries


def summarise_periods(company, found: list[Period]) -> list[Summary]:
    return summarise(
        company, [(calendar.span_of_period(p), p.user, p) for p in found], with_entries=False
    )


def names_for(found: list[Period]) -> dict[int, str]:
    """user id → display name for everybody the periods' lines and decisions mention."""
    ids = set()
    for period in found:
        ids.update((period.decided_by_id, period.overridden_by_id, period.submitted_by_id))
        for line in period.lines:
            ids.update((line.approver_id, line.decided_by_id))
    ids.discard(None)
    if not ids:
        return {}
    return {
        uid: name or email
        for uid, name, email in db.session.execute(
            select(User.id, User.name, User.email).where(User.id.in_(ids))
        )
    }


# ---------------------------------------------------------------- lists


def _undecided_line(actor: User | None):
    from tipro.approvals.services import UNDECIDED

    where = [PeriodLine.period_id == Period.id, PeriodLine.state.in_(UNDECIDED)]
    if actor is not None:
        where.append(PeriodLine.approver_id == actor.id)
    return exists().where(*where)


def waiting_count(actor: User) -> int:
    """How many periods wait for `actor` (services.waiting_for's rows), in one COUNT."""
    if actor.has_role("admin"):
        where = [_undecided_line(None)]
    elif actor.has_role("approver"):
        where = [_undecided_line(actor), Period.user_id != actor.id]
    else:
        return 0
    query = select(func.count(Period.id)).where(Period.state == PERIOD_SUBMITTED, *where)
    return db.session.scalar(query) or 0


def recently_decided(actor: User) -> list[Period]:
    """Periods decided lately (approved, returned, reopened) that `actor` may see, newest first."""
    query = (
        select(Period)
        .where(Period.state.in_((PERIOD_APPROVED, PERIOD_RETURNED, PERIOD_REOPENED)))
        .options(
            selectinload(Period.lines).joinedload(PeriodLine.project),
            selectinload(Period.user),
        )
        .order_by(Period.decided_at.desc(), Period.id.desc())
        .limit(RECENT_LIMIT)
    )
    if not actor.has_role("admin"):
        mine = select(PeriodLine.period_id).where(
            or_(PeriodLine.approver_id == actor.id, PeriodLine.decided_by_id == actor.id)
        )
        query = query.where(
            or_(Period.id.in_(mine), Period.decided_by_id == actor.id),
            Period.user_id != actor.id,
        )
    return list(db.session.scalars(query))


@dataclass
class SpanRow:
    """One row of the person's overview: a week or month, its hours and state."""

    span: Span
    hours: Decimal
    period: Period | None

    @property
    def state(self) -> str | None:
        return self.period.state if self.period is not None else None


def recent_spans(user: User, kind: str, count: int = 12) -> list[SpanRow]:
    """The person's last `count` periods up to the current one, newest first (two statements)."""
    span = calendar.span_of(kind, clock.today())
    spans = [span]
    for _i in range(count - 1):
        spans.append(spans[-1].previous())
    first, last = spans[-1].first, spans[0].last
    by_day = dict(
        db.session.execute(
            select(TimeEntry.date, func.sum(TimeEntry.hours))
            .where(TimeEntry.user_id == user.id, TimeEntry.date >= first, TimeEntry.date <= last)
            .group_by(TimeEntry.date)
        ).all()
    )
    rows = {(p.kind, p.first_day): p for p in calendar.covering(user.id, first, last)}
    answer = []
    for span in spans:
        hours = sum(
            (
                Decimal(by_day.get(span.first + timedelta(days=i), 0))
                for i in range(len(span.days()))
            ),
            ZERO,
        )
        answer.append(SpanRow(span, hours, rows.get((span.kind, span.first))))
    return answer

"""Reminders: who has hours to hand in, who has periods to decide, and the e-mails about it.

Employees: every past period of the company's kind (ended before today, at most LOOKBACK
back, not ended before the user was created) that no submitted or approved period covers is
*overdue*: «missing» when it has no hours, «open» when it has hours not handed in, «returned»
when an approver sent it back. Who registers hours: enabled users linked to a Tripletex
employee, and every enabled user with the role employee (an admin with no employee link
keeps no hours, so is never told to).

Approvers: submitted periods with a line waiting for them (services.decidable). Admins may
decide every line, but are reminded only of lines nobody else is asked to decide (no
approver, or one who can no longer approve) — otherwise every admin would get every
approver's reminders.

E-mail: at most one reminder per person per period (ReminderSent, unique per user, kind and
period key). The rows are inserted in the transaction that decides to send, before the mail
goes out, and committed after: a second run (or a concurrent one, which waits on the unique
key and then fails it) sends nothing new. A mail names only the periods not reminded before.
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from tipro import clock, mail
from tipro.approvals import periods, services
from tipro.extensions import db
from tipro.models import Company, Period, PeriodLine, ReminderSent, TimeEntry, User
from tipro.models.approval import (
    LOCKED_PERIOD_STATES,
    PERIOD_REOPENED,
    PERIOD_RETURNED,
    PERIOD_SUBMITTED,
)

log = logging.getLogger(__name__)

LOOKBACK = timedelta(weeks=8)
EMPLOYEE = "employee"
APPROVER = "approver"

MISSING = "missing"
OPEN = "open"
RETURNED = "returned"
ZERO = Decimal("0")


@dataclass(frozen=True)
class Overdue:
    """A past period of one person that is not handed in."""

    span: periods.Span
    status: str  # MISSING, OPEN or RETURNED
    hours: Decimal

    @property
    def key(self) -> str:
        return self.span.key


@dataclass(frozen=True)
class Waiting:
    """Submitted periods with one key that wait for an approver (one per person)."""

    key: str
    span: periods.Span
    people: tuple[str, ...]


@dataclass
class Due:
    """One person's reminder: their overdue periods and the periods waiting for them."""

    user_id: int
    email: str
    name: str
    language: str
    overdue: list[Overdue] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)

    def keys(self) -> set[tuple[str, str]]:
        return {(EMPLOYEE, o.key) for o in self.overdue} | {(APPROVER, w.key) for w in self.waiting}

    def without(self, sent: set[tuple[str, str]]) -> Due:
        """The same reminder with only the periods not reminded before."""
        return Due(
            self.user_id,
            self.email,
            self.name,
            self.language,
            [o for o in self.overdue if (EMPLOYEE, o.key) not in sent],
            [w for w in self.waiting if (APPROVER, w.key) not in sent],
        )

    def __bool__(self) -> bool:
        return bool(self.overdue or self.waiting)


@dataclass
class Outcome:
    """What a reminder run did: mails sent, people reminded of everything before, failures."""

    sent: int = 0
    already: int = 0
    failed: int = 0
    not_configured: str | None = None
    # The mail server could not be reached (or dropped us): the run stopped; try again later.
    server_error: str | None = None
    recipients: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.not_configured:
            return self.not_configured
        text = _(
            "Sendte %(sent)d påminnelser. %(already)d var påminnet om alt fra før.",
            sent=self.sent,
            already=self.already,
        )
        if self.failed:
            text += " " + _("%(n)d kunne ikke sendes.", n=self.failed)
        if self.server_error:
            text += " " + _(
                "E-posttjeneren svarte ikke som den skulle (%(why)s). Prøv igjen senere.",
                why=self.server_error,
            )
        return text


# ---------------------------------------------------------------- employees


def registers_hours(user: User) -> bool:
    return user.is_enabled and (user.employee_id is not None or user.role == "employee")


def past_spans(kind: str, created: date | None, today: date) -> list[periods.Span]:
    """The periods to look at: ended before today, within LOOKBACK, not before `created`."""
    start = today - LOOKBACK
    if created is not None and created > start:
        start = created
    spans = []
    span = periods.span_of(kind, start)
    while span.last < today:
        spans.append(span)
        span = span.next()
    return spans


def _created(user: User) -> date | None:
    return clock.oslo_date(user.created_at) if user.created_at else None


def overdue_by_user(users: list[User], kind: str, today: date | None = None) -> dict[int, list]:
    """user id → their overdue periods, oldest first (three statements for any number)."""
    today = today or clock.today()
    spans = {u.id: past_spans(kind, _created(u), today) for u in users if registers_hours(u)}
    spans = {uid: s for uid, s in spans.items() if s}
    if not spans:
        return {}
    first = min(s[0].first for s in spans.values())
    last = max(s[-1].last for s in spans.values())
    ids = list(spans)
    hours: dict[tuple[int, date], Decimal] = {
        (uid, day): total
        for uid, day, total in db.session.execute(
            select(TimeEntry.user_id, TimeEntry.date, func.sum(TimeEntry.hours))
            .where(TimeEntry.user_id.in_(ids), TimeEntry.date.between(first, last))
            .group_by(TimeEntry.user_id, TimeEntry.date)
        )
    }
    rows: dict[int, list[Period]] = defaultdict(list)
    for period in db.session.scalars(
        select(Period).where(
            Period.user_id.in_(ids), Period.first_day <= last, Period.last_day >= first
        )
    ):
        rows[period.user_id].append(period)
    answer: dict[int, list[Overdue]] = {}
    for uid, user_spans in spans.items():
        locked = [p for p in rows[uid] if p.state in LOCKED_PERIOD_STATES]
        sent_back = [p for p in rows[uid] if p.state in (PERIOD_RETURNED, PERIOD_REOPENED)]
        found = []
        for span in user_spans:
            days = span.days()
            if all(any(p.covers(d) for p in locked) for d in days):
                continue
            total = sum((hours.get((uid, d), ZERO) for d in days), ZERO)
            if not total:
                status = MISSING
            elif any(p.first_day <= span.last and p.last_day >= span.first for p in sent_back):
                status = RETURNED
            else:
                status = OPEN
            found.append(Overdue(span, status, total))
        if found:
            answer[uid] = found
    return answer


def overdue_for(user: User, today: date | None = None) -> list[Overdue]:
    """The person's past periods not handed in (the start page's reminder)."""
    kind = services.kind_of(user.company)
    return overdue_by_user([user], kind, today).get(user.id, [])


# ---------------------------------------------------------------- approvers


def waiting_by_approver(users: list[User]) -> dict[int, list[Waiting]]:
    """approver/admin id → the submitted periods waiting for them, grouped by period key."""
    deciders = [u for u in users if u.is_enabled and u.has_role("approver")]
    if not deciders:
        return {}
    submitted = list(
        db.session.scalars(
            select(Period)
            .where(Period.state == PERIOD_SUBMITTED)
            .options(selectinload(Period.lines), selectinload(Period.user))
            .order_by(Period.first_day, Period.id)
        )
    )
    able = {u.id for u in deciders}
    answer: dict[int, list[Waiting]] = {}
    for actor in deciders:
        mine: dict[str, list[Period]] = defaultdict(list)
        for period in submitted:
            lines = services.decidable(actor, period)
            if actor.has_role("admin"):
                lines = [line for line in lines if _left_to_admins(line, actor, able)]
            if lines:
                mine[period.key].append(period)
        if mine:
            answer[actor.id] = [
                Waiting(
                    key,
                    periods.span_of_period(found[0]),
                    tuple(p.user.display_name for p in found),
                )
                for key, found in mine.items()
            ]
    return answer


def _left_to_admins(line: PeriodLine, admin: User, able: set[int]) -> bool:
    """Whether an admin is the one to remind: asked by name, or nobody able is asked."""
    return line.approver_id is None or line.approver_id == admin.id or line.approver_id not in able


# ---------------------------------------------------------------- who, and sending


def who_is_due(company: Company, today: date | None = None) -> list[Due]:
    """Everybody in the company with something to be reminded of, by name."""
    users = list(
        db.session.scalars(
            select(User).where(User.is_enabled.is_(True)).order_by(User.name, User.email)
        )
    )
    overdue = overdue_by_user(users, services.kind_of(company), today)
    waiting = waiting_by_approver(users)
    found = []
    for user in users:
        due = Due(
            user.id,
            user.email,
            user.display_name,
            mail.language_of(user),
            overdue.get(user.id, []),
            waiting.get(user.id, []),
        )
        if due:
            found.append(due)
    return found


def sent_keys(user_ids) -> dict[int, set[tuple[str, str]]]:
    """user id → the (kind, period key) they have been reminded of."""
    answer: dict[int, set[tuple[str, str]]] = defaultdict(set)
    ids = list(user_ids)
    if ids:
        for uid, kind, key in db.session.execute(
            select(ReminderSent.user_id, ReminderSent.kind, ReminderSent.period_key).where(
                ReminderSent.user_id.in_(ids)
            )
        ):
            answer[uid].add((kind, key))
    return answer


def _mail_for(due: Due):
    def subject():
        if due.overdue and due.waiting:
            return _("TiPro: timer å sende inn og perioder å godkjenne")
        if due.overdue:
            return _("TiPro: du har timer som ikke er sendt inn")
        return _("TiPro: perioder venter på godkjenning")

    links = {o.key: mail.absolute_url("approvals.period", key=o.key) for o in due.overdue}
    approvals_url = _approvals_url()
    title, text, html = mail.render(
        "reminder",
        due.language,
        subject=subject,
        due=due,
        links=links,
        approvals_url=approvals_url,
        start_url=mail.absolute_url("main.index"),
    )
    return mail.message(due.email, title, text, html)


def _approvals_url() -> str:
    from werkzeug.routing import BuildError

    try:
        return mail.absolute_url("approvals.index")
    except BuildError:  # the approver's list is another part of TiPro; the start page will do
        return mail.absolute_url("main.index")


def send_reminders(company: Company, today: date | None = None) -> Outcome:
    """Send each due person one mail naming the periods not reminded before (see module doc)."""
    outcome = Outcome()
    why = mail.problem()
    if why:
        outcome.not_configured = why
        return outcome
    dues = who_is_due(company, today)
    sent = sent_keys(d.user_id for d in dues)
    db.session.commit()  # the reads are done; each person is one transaction from here
    if not any(due.without(sent[due.user_id]) for due in dues):
        outcome.already = len(dues)
        return outcome
    try:
        with mail.connection() as conn:
            for due in dues:
                _send_one(company.id, conn, due.without(sent[due.user_id]), outcome)
    except (smtplib.SMTPException, OSError) as error:
        db.session.rollback()  # this person's rows go: they were not reminded
        outcome.server_error = str(error) or type(error).__name__
        log.warning("reminder run stopped: the mail server failed: %s", error)
    return outcome


def _send_one(company_id: int, conn, due: Due, outcome: Outcome) -> None:
    if not due or not _claim(company_id, due):
        outcome.already += 1
        return
    try:
        conn.send_messages([_mail_for(due)])
    except smtplib.SMTPRecipientsRefused:  # this address only; the others may go
        db.session.rollback()
        outcome.failed += 1
        log.warning("reminder to user %s refused by the mail server", due.user_id)
        return
    db.session.commit()
    outcome.sent += 1
    outcome.recipients.append(due.email)


def _claim(company_id: int, due: Due) -> bool:
    """Insert the ReminderSent rows for `due` (uncommitted); False if another run has them."""
    try:
        with db.session.begin_nested():
            for kind, key in sorted(due.keys()):
                db.session.add(
                    ReminderSent(
                        company_id=company_id, user_id=due.user_id, kind=kind, period_key=key
                    )
                )
    except IntegrityError:
        return False
    return True

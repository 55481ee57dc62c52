"""The only writer of period state: submit, take back, approve, return, reopen, override.

A period is a person's week or month (tipro.approvals.periods). Submitting it locks its days
and splits its hours into lines, one per project (and one for hours without a project), each
waiting for its approver: the project manager, else the approver set in TiPro, else the
department manager, else an admin. A period is approved when every line is. Returning any
line opens the period again (approved lines stay approved). Every change writes an audit event.

Pre-flight (tipro.approvals.preflight) runs with synced data when a period is submitted and
with a fresh Tripletex read right before it is approved — outside any transaction, since it
calls Tripletex. Blocking problems stop approval unless an admin overrides with a reason.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tipro import clock, writes
from tipro.approvals import periods
from tipro.auth.services import record_audit
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import (
    Department,
    Employee,
    Period,
    PeriodLine,
    Project,
    TimeEntry,
    Timer,
    User,
    utcnow,
)
from tipro.models.approval import (
    LINE_APPROVED,
    LINE_CUSTOMER,
    LINE_RETURNED,
    LINE_WAITING,
    PERIOD_APPROVED,
    PERIOD_KINDS,
    PERIOD_REOPENED,
    PERIOD_RETURNED,
    PERIOD_SUBMITTED,
    PERIOD_TAKEN_BACK,
)
from tipro.models.work import ENTRY_APPROVED, ENTRY_OPEN, ENTRY_SUBMITTED, ENTRY_TRANSFERRED
from tipro.tenancy import current_company_id

ZERO = Decimal("0")
MAX_COMMENT = 2000
UNDECIDED = (LINE_WAITING, LINE_CUSTOMER)


class ApprovalRefused(UserError):
    """The period's state or a rule does not allow this (409 Conflict); nothing changed."""

    status = 409


class PeriodNotFound(UserError):
    """No such period for this actor (another department's or company's counts as missing)."""

    status = 404

    def __init__(self) -> None:
        super().__init__(_("Fant ikke perioden."))


@dataclass
class BulkOutcome:
    """What «Godkjenn alle uten feil» did: approved periods, and skipped ones with why."""

    approved: list[Period] = field(default_factory=list)
    skipped: list[tuple[Period, list[str]]] = field(default_factory=list)


# ---------------------------------------------------------------- who decides


def kind_of(company) -> str:
    return company.approval_period if company.approval_period in PERIOD_KINDS else "week"


def span_for(user: User, day) -> periods.Span:
    """The period (of the company's kind) that contains `day` for `user`."""
    return periods.span_of(kind_of(user.company), day)


def _users_by_employee(employee_ids) -> dict[int, User]:
    ids = {i for i in employee_ids if i}
    if not ids:
        return {}
    users = db.session.scalars(
        select(User).where(User.employee_id.in_(ids), User.is_enabled.is_(True))
    )
    return {u.employee_id: u for u in users if u.has_role("approver")}


def line_approvers(target: User, projects: list[Project | None]) -> dict[int | None, int | None]:
    """project id (None: no project) → the user asked to approve that line, or None (admins).

    The project manager leads a project's line; otherwise (and for hours without a project) the
    approver set in TiPro for the person, else their department manager. Nobody approves their
    own hours: a line that would fall to its own person falls through to the next in the list.
    """
    # The person's department manager (an employee id), in one statement.
    department_manager = (
        db.session.scalar(
            select(Department.manager_id)
            .join(Employee, Employee.department_id == Department.id)
            .where(Employee.id == target.employee_id)
        )
        if target.employee_id
        else None
    )
    managers = {p.id: p.project_manager_id for p in projects if p is not None}
    by_employee = _users_by_employee([*managers.values(), department_manager])
    fallback = None
    chosen = target.approver
    if chosen is not None and chosen.is_enabled and chosen.has_role("approver"):
        fallback = chosen
    elif department_manager in by_employee:
        fallback = by_employee[department_manager]
    if fallback is not None and fallback.id == target.id:
        fallback = None
    answer: dict[int | None, int | None] = {}
    for project in projects:
        lead = by_employee.get(managers.get(project.id)) if project is not None else None
        if lead is None or lead.id == target.id:
            lead = fallback
        answer[project.id if project is not None else None] = lead.id if lead else None
    return answer


def may_decide(actor: User, line: PeriodLine, period: Period) -> bool:
    """Admins decide any line; an approver the lines asked of them, never their own hours."""
    if actor.company_id != period.company_id:
        return False
    if actor.has_role("admin"):
        return True
    return (
        actor.has_role("approver") and line.approver_id == actor.id and period.user_id != actor.id
    )


def decidable(actor: User, period: Period) -> list[PeriodLine]:
    """The lines of `period` that `actor` may approve or return now."""
    return [
        line for line in period.lines if line.state in UNDECIDED and may_decide(actor, line, period)
    ]


def may_view(actor: User, period: Period) -> bool:
    """The person, admins, and approvers asked to decide one of its lines (or who did)."""
    if actor.company_id != period.company_id:
        return False
    if actor.id == period.user_id or actor.has_role("admin"):
        return True
    return actor.has_role("approver") and any(
        actor.id in (line.approver_id, line.decided_by_id) for line in period.lines
    )


def get_visible(actor: User, period_id: int) -> Period:
    """The period if `actor` may see it; else PeriodNotFound (404, whatever the reason)."""
    period = db.session.scalar(
        select(Period)
        .where(Period.id == period_id)
        .options(selectinload(Period.lines).joinedload(PeriodLine.project))
        .execution_options(populate_existing=True)
    )
    if period is None or not may_view(actor, period):
        raise PeriodNotFound()
    return period


def waiting_for(actor: User) -> list[Period]:
    """Submitted periods with a line `actor` may decide, newest first."""
    query = (
        select(Period)
        .where(Period.state == PERIOD_SUBMITTED)
        .options(
            selectinload(Period.lines).joinedload(PeriodLine.project),
            selectinload(Period.user),
        )
        .order_by(Period.first_day.desc(), Period.id.desc())
    )
    if not actor.has_role("admin"):
        if not actor.has_role("approver"):
            return []
        led = select(PeriodLine.period_id).where(
            PeriodLine.approver_id == actor.id, PeriodLine.state.in_(UNDECIDED)
        )
        query = query.where(Period.id.in_(led), Period.user_id != actor.id)
    return [p for p in db.session.scalars(query) if decidable(actor, p)]


# ---------------------------------------------------------------- helpers


def _check_scope(actor: User) -> None:
    if current_company_id() != actor.company_id:
        raise RuntimeError("periods are written inside the actor's company scope")


def _lock(actor: User, user_id: int) -> None:
    """Serialise with the person's entry writes: a period changes state under the same lock."""
    _check_scope(actor)
    writes.serialise(User, user_id)


def _entries(user_id: int, first, last) -> list[TimeEntry]:
    """The person's entries dated first..last, as the database has them now."""
    return list(
        db.session.scalars(
            select(TimeEntry)
            .where(TimeEntry.user_id == user_id, TimeEntry.date >= first, TimeEntry.date <= last)
            .order_by(TimeEntry.date, TimeEntry.id)
            .execution_options(populate_existing=True)
        )
    )


def _set_entry_states(actor: User | None, entries, old_states, new_state: str, action: str) -> int:
    changed = 0
    for entry in entries:
        if entry.state in old_states:
            record_audit(
                entry.company_id,
                actor,
                "time_entry",
                entry.uuid,
                action,
                {"state": [entry.state, new_state]},
            )
            entry.state = new_state
            changed += 1
    return changed


def _audit(actor: User | None, period: Period, action: str, changes: dict) -> None:
    changes = {"period": [None, period.key], **changes}
    record_audit(period.company_id, actor, "period", period.id, action, changes)


def _reload(period_id: int) -> Period:
    period = db.session.scalar(
        select(Period)
        .where(Period.id == period_id)
        .options(selectinload(Period.lines))
        .execution_options(populate_existing=True)
    )
    if period is None:
        raise PeriodNotFound()
    return period


def _clean_text(text, *, required: str | None = None) -> str:
    text = (text if isinstance(text, str) else str(text or "")).strip()
    if required and not text:
        raise UserError(required, "comment")
    if len(text) > MAX_COMMENT:
        raise UserError(_("Teksten kan være høyst %(n)d tegn.", n=MAX_COMMENT), "comment")
    return text


def store_preflight(period: Period, problems) -> None:
    period.preflight = [p.as_dict() for p in problems]
    period.preflight_at = utcnow()


def run_preflight(period_id: int, *, fresh: bool) -> list:
    """Run the pre-flight for a period and store the result (its own short transaction).

    With `fresh`, Tripletex is read too, so no transaction may stay open across the call: the
    period is read and the session ended before checking, then stored in a new transaction.
    """
    from tipro.approvals import preflight

    period = db.session.get(Period, period_id)
    if period is None:
        raise PeriodNotFound()
    user, first, last = period.user, period.first_day, period.last_day
    db.session.commit()
    problems = preflight.check(user, first, last, fresh=fresh)
    period = db.session.get(Period, period_id)
    store_preflight(period, problems)
    db.session.commit()
    return problems


# ---------------------------------------------------------------- the person


def submit(actor: User, span: periods.Span, *, for_user: User | None = None) -> Period:
    """Hand in `span` for the person: its open entries become submitted, its days locked."""
    from tipro.approvals import preflight
    from tipro.entries.rules import can_manage_for

    target = for_user or actor
    if not can_manage_for(actor, target):
        raise PeriodNotFound()
    if span.first > clock.today():
        raise ApprovalRefused(_("Perioden har ikke begynt ennå, så den kan ikke sendes inn."))
    _lock(actor, target.id)
    period = periods.period_of(target.id, span.kind, span.first)
    if period is not None and period.is_locked:
        raise ApprovalRefused(_("Perioden er allerede sendt inn."))
    entries = _entries(target.id, span.first, span.last)
    if not entries:
        raise ApprovalRefused(_("Perioden har ingen timer. En tom periode kan ikke sendes inn."))
    timer = db.session.scalar(select(Timer).where(Timer.user_id == target.id))
    if timer is not None and span.first <= clock.oslo_date(timer.started_at) <= span.last:
        raise ApprovalRefused(_("Klokka går i denne perioden. Stopp den før du sender inn."))
    if period is None:
        period = Period(
            company_id=target.company_id,
            user_id=target.id,
            kind=span.kind,
            first_day=span.first,
            last_day=span.last,
        )
        db.session.add(period)
    old_state = period.state if period.id else None
    period.state = PERIOD_SUBMITTED
    period.submitted_at = utcnow()
    period.submitted_by_id = actor.id
    period.total_hours = sum((e.hours for e in entries), ZERO)
    _set_entry_states(actor, entries, (ENTRY_OPEN,), ENTRY_SUBMITTED, "submit")
    _rebuild_lines(period, target, entries)
    db.session.flush()
    _audit(
        actor,
        period,
        "submit",
        {
            "state": [old_state, PERIOD_SUBMITTED],
            "total_hours": [None, str(period.total_hours)],
            "entries": [None, str(len(entries))],
        },
    )
    store_preflight(period, preflight.check(target, span.first, span.last, fresh=False))
    db.session.commit()
    return period


def _rebuild_lines(period: Period, target: User, entries: list[TimeEntry]) -> None:
    """One line per project in the period; a line stays approved only if all its hours are."""
    by_project: dict[int | None, list[TimeEntry]] = defaultdict(list)
    for entry in entries:
        by_project[entry.project_id].append(entry)
    projects = {
        p.id: p
        for p in db.session.scalars(
            select(Project).where(Project.id.in_([i for i in by_project if i is not None]))
        )
    }
    approvers = line_approvers(target, [projects.get(i) for i in by_project])
    existing = {line.project_id: line for line in period.lines}
    for project_id, rows in by_project.items():
        line = existing.pop(project_id, None)
        if line is None:
            line = PeriodLine(company_id=period.company_id, project_id=project_id)
            period.lines.append(line)
        line.hours = sum((e.hours for e in rows), ZERO)
        if all(e.state in (ENTRY_APPROVED, ENTRY_TRANSFERRED) for e in rows):
            line.state = LINE_APPROVED
            continue
        line.state = LINE_WAITING
        line.approver_id = approvers.get(project_id)
        line.decided_by_id = None
        line.decided_at = None
        line.comment = ""
    for line in existing.values():
        period.lines.remove(line)


def take_back(actor: User, period_id: int) -> Period:
    """The person takes a submitted period back before anybody has acted on it."""
    period = _reload(period_id)
    from tipro.entries.rules import can_manage_for

    if not can_manage_for(actor, period.user):
        raise PeriodNotFound()
    _lock(actor, period.user_id)
    period = _reload(period_id)
    if period.state != PERIOD_SUBMITTED:
        raise ApprovalRefused(_("Bare en innsendt periode kan tas tilbake."))
    if any(line.decided_at is not None or line.state != LINE_WAITING for line in period.lines):
        raise ApprovalRefused(
            _("En godkjenner har allerede behandlet perioden, så den kan ikke tas tilbake.")
        )
    entries = _entries(period.user_id, period.first_day, period.last_day)
    _set_entry_states(actor, entries, (ENTRY_SUBMITTED,), ENTRY_OPEN, "take_back")
    period.state = PERIOD_TAKEN_BACK
    period.lines.clear()
    _audit(actor, period, "take_back", {"state": [PERIOD_SUBMITTED, PERIOD_TAKEN_BACK]})
    db.session.commit()
    return period


# ---------------------------------------------------------------- approvers


def _chosen_lines(actor: User, period: Period, project_ids) -> list[PeriodLine]:
    lines = decidable(actor, period)
    if project_ids is not None:
        wanted = set(project_ids)
        lines = [line for line in lines if (line.project_id or 0) in wanted]
    if not lines:
        raise ApprovalRefused(_("Ingen linjer i perioden venter på deg."))
    return lines


def approve(
    actor: User,
    period_id: int,
    *,
    project_ids=None,
    override_reason: str = "",
    problems=None,
) -> Period:
    """Approve the lines `actor` may decide (all, or those of `project_ids`; 0 = no project).

    Runs the fresh pre-flight first unless `problems` (a fresh result) is given. Blocking
    problems refuse, unless an admin gives an override reason.
    """
    period = get_visible(actor, period_id)
    if period.state != PERIOD_SUBMITTED:
        raise ApprovalRefused(_("Perioden venter ikke på godkjenning."))
    _chosen_lines(actor, period, project_ids)
    override_reason = _clean_text(override_reason)
    if problems is None:
        problems = run_preflight(period_id, fresh=True)
    blocking = [p for p in problems if p.blocking]
    if blocking and not override_reason:
        raise ApprovalRefused(
            _(
                "Perioden har feil som må rettes før godkjenning: %(first)s",
                first=blocking[0].message,
            )
        )
    if blocking and not actor.has_role("admin"):
        raise ApprovalRefused(_("Bare en administrator kan godkjenne forbi feil."))

    _lock(actor, period.user_id)
    period = _reload(period_id)
    if period.state != PERIOD_SUBMITTED:
        raise ApprovalRefused(_("Perioden venter ikke på godkjenning."))
    lines = _chosen_lines(actor, period, project_ids)
    if blocking:
        period.override_reason = override_reason
        period.overridden_by_id = actor.id
        _audit(
            actor,
            period,
            "override",
            {
                "reason": [None, override_reason],
                "problems": [None, ",".join(p.code for p in blocking)],
            },
        )
    entries = _entries(period.user_id, period.first_day, period.last_day)
    now = utcnow()
    for line in lines:
        needs_customer = (
            line.state == LINE_WAITING
            and line.project is not None
            and line.project.customer_signoff
        )
        line.state = LINE_CUSTOMER if needs_customer else LINE_APPROVED
        line.decided_by_id = actor.id
        line.decided_at = now
        if line.state == LINE_APPROVED:
            _approve_line_entries(actor, line, entries)
    _audit(
        actor,
        period,
        "approve",
        {"lines": [None, ",".join(str(line.project_id or 0) for line in lines)]},
    )
    _finish_if_all_approved(actor, period)
    db.session.commit()
    return period


def _approve_line_entries(actor, line: PeriodLine, entries) -> None:
    mine = [e for e in entries if e.project_id == line.project_id]
    _set_entry_states(actor, mine, (ENTRY_SUBMITTED,), ENTRY_APPROVED, "approve")


def _finish_if_all_approved(actor: User | None, period: Period) -> None:
    if period.lines and all(line.state == LINE_APPROVED for line in period.lines):
        period.state = PERIOD_APPROVED
        period.decided_by_id = actor.id if actor else None
        period.decided_at = utcnow()
        _audit(actor, period, "approved", {"state": [PERIOD_SUBMITTED, PERIOD_APPROVED]})


def return_period(actor: User, period_id: int, comment: str, *, project_ids=None) -> Period:
    """Send the period back with a comment: its waiting hours become editable again."""
    comment = _clean_text(comment, required=_("Skriv hva som må rettes."))
    period = get_visible(actor, period_id)
    _lock(actor, period.user_id)
    period = _reload(period_id)
    if period.state != PERIOD_SUBMITTED:
        raise ApprovalRefused(_("Perioden venter ikke på godkjenning."))
    lines = _chosen_lines(actor, period, project_ids)
    _return(actor, period, lines, comment)
    db.session.commit()
    return period


def _return(actor: User | None, period: Period, lines, comment: str, action: str = "return"):
    now = utcnow()
    for line in lines:
        line.state = LINE_RETURNED
        line.decided_by_id = actor.id if actor else None
        line.decided_at = now
        line.comment = comment
    entries = _entries(period.user_id, period.first_day, period.last_day)
    _set_entry_states(actor, entries, (ENTRY_SUBMITTED,), ENTRY_OPEN, action)
    period.state = PERIOD_RETURNED
    period.decided_by_id = actor.id if actor else None
    period.decided_at = now
    period.comment = comment
    _audit(
        actor,
        period,
        action,
        {
            "state": [PERIOD_SUBMITTED, PERIOD_RETURNED],
            "comment": [None, comment],
            "lines": [None, ",".join(str(line.project_id or 0) for line in lines)],
        },
    )


def reopen(actor: User, period_id: int, reason: str) -> Period:
    """An admin opens an approved period again (recorded); it must be approved again."""
    if not actor.has_role("admin"):
        raise PeriodNotFound()
    reason = _clean_text(reason, required=_("Skriv hvorfor perioden åpnes igjen."))
    period = get_visible(actor, period_id)
    _lock(actor, period.user_id)
    period = _reload(period_id)
    if period.state != PERIOD_APPROVED:
        raise ApprovalRefused(_("Bare en godkjent periode kan åpnes igjen."))
    entries = _entries(period.user_id, period.first_day, period.last_day)
    # A transferred entry reopened is the start of a correction; the transfer ledger keeps
    # what was sent, so the next transfer sends the difference.
    _set_entry_states(
        actor, entries, (ENTRY_APPROVED, ENTRY_TRANSFERRED, ENTRY_SUBMITTED), ENTRY_OPEN, "reopen"
    )
    period.state = PERIOD_REOPENED
    period.decided_by_id = actor.id
    period.decided_at = utcnow()
    period.comment = reason
    period.override_reason = ""
    period.overridden_by_id = None
    period.lines.clear()
    _audit(
        actor,
        period,
        "reopen",
        {"state": [PERIOD_APPROVED, PERIOD_REOPENED], "reason": [None, reason]},
    )
    db.session.commit()
    return period


def approve_all_clean(actor: User, candidates: list[Period] | None = None) -> BulkOutcome:
    """Approve every waiting period (or `candidates`) without blocking problems.

    Each period runs its fresh pre-flight and is approved in its own transaction, so one
    failure leaves the others approved; skipped periods come back with their reasons.
    """
    outcome = BulkOutcome()
    ids = [p.id for p in (candidates if candidates is not None else waiting_for(actor))]
    for period_id in ids:
        try:
            problems = run_preflight(period_id, fresh=True)
            blocking = [p for p in problems if p.blocking]
            period = get_visible(actor, period_id)
            if blocking:
                outcome.skipped.append((period, [p.message for p in blocking]))
                continue
            outcome.approved.append(approve(actor, period_id, problems=problems))
        except UserError as error:
            db.session.rollback()
            outcome.skipped.append((db.session.get(Period, period_id), [error.message]))
    return outcome


# ---------------------------------------------------------------- customer sign-off


def customer_decided(line_id: int, *, approved: bool, comment: str, signer: str) -> Period:
    """The hiring customer approved or disputed a line (tipro.approvals.signoff calls this).

    Approved: the line counts as approved (and the period, when it was the last line).
    Disputed: the period goes back to the person with the customer's comment.
    """
    line = db.session.get(PeriodLine, line_id)
    if line is None:
        raise PeriodNotFound()
    period = line.period
    writes.serialise(User, period.user_id)
    period = _reload(period.id)
    line = next(item for item in period.lines if item.id == line_id)
    if period.state != PERIOD_SUBMITTED or line.state != LINE_CUSTOMER:
        raise ApprovalRefused(_("Timene venter ikke lenger på kundens godkjenning."))
    if approved:
        line.state = LINE_APPROVED
        _approve_line_entries(
            None, line, _entries(period.user_id, period.first_day, period.last_day)
        )
        _audit(
            None,
            period,
            "customer_approve",
            {"line": [None, str(line.project_id)], "signer": [None, signer]},
        )
        _finish_if_all_approved(None, period)
    else:
        text = _(
            "Kunden (%(name)s) godkjente ikke timene: %(comment)s", name=signer, comment=comment
        )
        _return(None, period, [line], text, action="customer_dispute")
    db.session.commit()
    return period


__all__ = [
    "ApprovalRefused",
    "BulkOutcome",
    "PeriodNotFound",
    "approve",
    "approve_all_clean",
    "customer_decided",
    "decidable",
    "get_visible",
    "line_approvers",
    "may_decide",
    "may_view",
    "reopen",
    "return_period",
    "run_preflight",
    "span_for",
    "submit",
    "take_back",
    "waiting_for",
]

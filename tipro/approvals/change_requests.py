"""Change requests: hours made offline for a period handed in or approved meanwhile.

The offline app's sync refuses such an entry (the period is locked). Instead of losing it, the
person sends it to the approver as a change request: the queued item as the sync API takes it
(same parsing, same owner check), with an optional message. The approver asked is the one the
period's line for that project would ask (services.line_approvers); admins see every request.

Accepting opens the period through the period writer (services.reopen for an approved period,
services.return_period for a handed-in one: both admin powers, so accepting is an admin's
decision), then saves the proposed entry through the one writer of hours
(tipro.entries.services) under its own uuid. The person hands the period in again. Declining
keeps the period as it is and tells the person why. Every step is audited.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import select

from tipro import tenancy, writes
from tipro.approvals import periods, services
from tipro.auth.services import record_audit
from tipro.entries import parsing
from tipro.entries import services as entry_services
from tipro.entries.inputs import ENTRY_FIELDS
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import Activity, ChangeRequest, Period, Project, User, utcnow
from tipro.models.approval import LOCKED_PERIOD_STATES, PERIOD_APPROVED, PERIOD_SUBMITTED
from tipro.models.change_request import REQUEST_ACCEPTED, REQUEST_DECLINED, REQUEST_PENDING

log = logging.getLogger(__name__)

MAX_MESSAGE = 2000
MAX_SHOWN_HOURS = 1000  # beyond any day; formatting an exponent like 1e400 fails
# What a proposal keeps of the queued item (the sync API's fields; extras are `x_…`).
KEPT = ("uuid", *ENTRY_FIELDS, "kind", "deleted", "client_modified_at")


class ChangeRequestRefused(UserError):
    """The request cannot be made or decided now (409 unless told); nothing changed."""

    status = 409

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


class ChangeRequestNotFound(UserError):
    """No such request for this actor (another company's or person's counts as missing)."""

    status = 404

    def __init__(self) -> None:
        super().__init__(_("Fant ikke endringsønsket."))


# ---------------------------------------------------------------- reading a proposal


def _parse(raw):
    """The proposal as the sync API reads one item (tipro.pwa.services); refusals as 4xx."""
    from tipro.pwa import services as sync_services

    if not isinstance(raw, dict):
        raise ChangeRequestRefused(_("Forventet registreringen som et JSON-objekt."), 400)
    try:
        return sync_services.parse_batch({"entries": [raw]})[0]
    except sync_services.BadBatch as error:
        raise ChangeRequestRefused(error.message, error.status) from None


def _kept(raw: dict) -> dict:
    return {k: v for k, v in raw.items() if k in KEPT or k.startswith("x_") or k == "extras"}


def _clean_message(text) -> str:
    if text is None:
        return ""
    if not isinstance(text, str):
        raise ChangeRequestRefused(_("Meldingen må være tekst."), 400)
    text = text.strip()
    if len(text) > MAX_MESSAGE:
        raise ChangeRequestRefused(_("Meldingen kan være høyst %(n)d tegn.", n=MAX_MESSAGE), 400)
    if parsing.has_control_characters(text):
        raise ChangeRequestRefused(_("Teksten inneholder ugyldige tegn."), 400)
    return text


def _locked_period(user_id: int, days: list[date]) -> Period | None:
    """The user's handed-in or approved period covering one of `days`, first found."""
    for day in days:
        found = db.session.scalar(
            select(Period)
            .where(
                Period.user_id == user_id,
                Period.first_day <= day,
                Period.last_day >= day,
                Period.state.in_(LOCKED_PERIOD_STATES),
            )
            .execution_options(populate_existing=True)
            .limit(1)
        )
        if found is not None:
            return found
    return None


def _ref(value) -> int | None:
    try:
        return parsing.parse_ref(value)
    except UserError:
        return None


def _project(project_id: int | None) -> Project | None:
    # By primary key within the company: answered from the session when already loaded.
    return tenancy.get(Project, project_id) if project_id is not None else None


# ---------------------------------------------------------------- the person


def create(actor: User, raw, message=None) -> ChangeRequest:
    """Send one queued entry of the actor's as a change request (replaces a pending one for
    the same uuid: a replay adds no second request)."""
    from tipro.pwa import services as sync_services

    item = _parse(raw)
    message = _clean_message(message)
    try:
        sync_services.check_owner(actor, [item])
    except sync_services.BadBatch as error:
        raise ChangeRequestRefused(error.message, error.status) from None
    writes.serialise(User, actor.id)
    existing = entry_services.find_entry(item.uuid)
    days: list[date] = []
    if not item.deleted:
        try:
            days.append(parsing.parse_date(item.data.date))
        except UserError as error:
            raise ChangeRequestRefused(error.message, 422) from None
    elif existing is None:
        raise ChangeRequestRefused(_("Registreringen finnes ikke lenger."), 404)
    if existing is not None:
        days.append(existing.date)
    period = _locked_period(actor.id, days)
    if period is None:
        db.session.rollback()
        raise ChangeRequestRefused(
            _("Perioden er ikke låst lenger. Send registreringen på nytt i stedet.")
        )
    project_id = _ref(item.data.project_id) if item.data else None
    if project_id is None and existing is not None:
        project_id = existing.project_id
    project = _project(project_id)
    approver_id = services.line_approvers(actor, [project]).get(project.id if project else None)

    request = db.session.scalar(
        select(ChangeRequest).where(
            ChangeRequest.user_id == actor.id,
            ChangeRequest.entry_uuid == item.uuid,
            ChangeRequest.state == REQUEST_PENDING,
        )
    )
    action = "update" if request is not None else "create"
    if request is None:
        request = ChangeRequest(company_id=actor.company_id, user_id=actor.id, entry_uuid=item.uuid)
        db.session.add(request)
    request.proposed = {**_kept(raw), "uuid": item.uuid}
    request.message = message
    request.period_id = period.id
    request.approver_id = approver_id
    request.state = REQUEST_PENDING
    request.created_at = utcnow()
    db.session.flush()
    record_audit(
        actor.company_id,
        actor,
        "change_request",
        request.id,
        action,
        {
            "entry": [None, item.uuid],
            "period": [None, period.key],
            "message": [None, message],
            "approver_id": [None, str(approver_id) if approver_id else None],
        },
    )
    db.session.commit()
    _notify(request)
    return request


def mine(actor: User) -> list[ChangeRequest]:
    """The actor's requests still waiting, and decided ones not yet dismissed; newest first."""
    return list(
        db.session.scalars(
            select(ChangeRequest)
            .where(
                ChangeRequest.user_id == actor.id,
                (ChangeRequest.state == REQUEST_PENDING) | ChangeRequest.seen_at.is_(None),
            )
            .order_by(ChangeRequest.created_at.desc(), ChangeRequest.id.desc())
            .limit(50)
        )
    )


def mark_seen(actor: User, request_id: int) -> ChangeRequest:
    """The person dismissed the outcome of their decided request."""
    request = db.session.scalar(
        select(ChangeRequest).where(
            ChangeRequest.id == request_id, ChangeRequest.user_id == actor.id
        )
    )
    if request is None:
        raise ChangeRequestNotFound()
    if request.state != REQUEST_PENDING and request.seen_at is None:
        request.seen_at = utcnow()
        db.session.commit()
    return request


# ---------------------------------------------------------------- approvers


def may_decide(actor: User, request: ChangeRequest) -> bool:
    """Admins decide any request; an approver those asked of them; never one's own."""
    if actor.company_id != request.company_id or actor.id == request.user_id:
        return False
    if actor.has_role("admin"):
        return True
    return actor.has_role("approver") and request.approver_id == actor.id


def may_accept(actor: User, request: ChangeRequest) -> bool:
    """Accepting opens a handed-in or approved period again and saves for someone else: the
    period writer and the hours writer allow that to admins."""
    return may_decide(actor, request) and actor.has_role("admin")


def pending_for(actor: User) -> list[ChangeRequest]:
    """Pending requests `actor` may decide, oldest first."""
    if not (actor.has_role("admin") or actor.has_role("approver")):
        return []
    query = (
        select(ChangeRequest)
        .where(ChangeRequest.state == REQUEST_PENDING, ChangeRequest.user_id != actor.id)
        .order_by(ChangeRequest.created_at, ChangeRequest.id)
    )
    if not actor.has_role("admin"):
        query = query.where(ChangeRequest.approver_id == actor.id)
    return list(db.session.scalars(query))


def _get_for_decision(actor: User, request_id: int) -> ChangeRequest:
    request = db.session.scalar(
        select(ChangeRequest)
        .where(ChangeRequest.id == request_id)
        .execution_options(populate_existing=True)
    )
    if request is None or not may_decide(actor, request):
        raise ChangeRequestNotFound()
    return request


def _decide(actor: User, request_id: int) -> ChangeRequest:
    """The request under the person's write lock, still pending (else refused)."""
    request = _get_for_decision(actor, request_id)
    writes.serialise(User, request.user_id)
    request = _get_for_decision(actor, request_id)
    if request.state != REQUEST_PENDING:
        db.session.rollback()
        raise ChangeRequestRefused(_("Endringsønsket er allerede behandlet."))
    return request


@dataclass
class Accepted:
    """What «Godta» did: the request, the period opened (if one was), whether the entry stood."""

    request: ChangeRequest
    period: Period | None
    saved: bool
    problem: str = ""


def accept(actor: User, request_id: int) -> Accepted:
    """Open the person's period and save the proposed entry in it (see the module doc)."""
    request = _get_for_decision(actor, request_id)
    if not may_accept(actor, request):
        raise ChangeRequestRefused(
            _("Bare en administrator kan åpne perioden igjen og godta endringsønsket."), 403
        )
    request = _decide(actor, request_id)
    person = request.user
    request.state = REQUEST_ACCEPTED
    request.decided_by_id = actor.id
    request.decided_at = utcnow()
    record_audit(
        actor.company_id,
        actor,
        "change_request",
        request.id,
        "accept",
        {"state": [REQUEST_PENDING, REQUEST_ACCEPTED], "entry": [None, request.entry_uuid]},
    )
    why = _("Endringsønske fra %(name)s", name=person.display_name)
    if request.message:
        why = f"{why}: {request.message}"
    # The period writer's reason has the message's own limit; the name in front must not
    # make a long message impossible to accept (the whole message stays on the request).
    if len(why) > services.MAX_COMMENT:
        why = why[: services.MAX_COMMENT - 1] + "…"
    period = db.session.scalar(
        select(Period)
        .where(Period.id == request.period_id)
        .execution_options(populate_existing=True)
    )
    period_id = period.id if period is not None else None
    try:
        if period is not None and period.state == PERIOD_APPROVED:
            services.reopen(actor, period.id, why)  # commits the decision with it
        elif period is not None and period.state == PERIOD_SUBMITTED:
            services.return_period(actor, period.id, why)
        else:
            db.session.commit()  # opened meanwhile: only the entry is left to save
    except UserError:
        db.session.rollback()
        raise
    problem = _save_proposal(actor, request_id, person)
    request = db.session.scalar(select(ChangeRequest).where(ChangeRequest.id == request_id))
    period = db.session.scalar(select(Period).where(Period.id == period_id)) if period_id else None
    return Accepted(request=request, period=period, saved=not problem, problem=problem)


def _save_proposal(actor: User, request_id: int, person: User) -> str:
    """Save (or delete) the proposed entry for the person; '' or why it was refused (kept on
    the request so the person sees it)."""
    request = db.session.scalar(select(ChangeRequest).where(ChangeRequest.id == request_id))
    proposed = dict(request.proposed)
    proposed.pop("client_modified_at", None)  # decided now: it replaces what stands
    problem = ""
    try:
        item = _parse(proposed)
        if item.deleted:
            try:
                entry_services.delete_entry(actor, item.uuid)
            except entry_services.EntryNotFound:
                pass
        else:
            entry_services.save_entry(
                actor, item.data, entry_uuid=item.uuid, for_user=person, source="api"
            )
    except UserError as error:
        db.session.rollback()
        messages = getattr(error, "errors", None) or {"form": error.message}
        problem = " ".join(dict.fromkeys(messages.values()))
    if problem:
        request = db.session.scalar(select(ChangeRequest).where(ChangeRequest.id == request_id))
        request.reason = _(
            "Perioden er åpnet, men registreringen ble ikke lagret: %(why)s", why=problem
        )
        record_audit(
            actor.company_id,
            actor,
            "change_request",
            request.id,
            "save_refused",
            {"reason": [None, problem]},
        )
        db.session.commit()
    return problem


def decline(actor: User, request_id: int, reason=None) -> ChangeRequest:
    """Keep the period as it is; the person sees the (optional) reason."""
    reason = _clean_message(reason)
    request = _decide(actor, request_id)
    request.state = REQUEST_DECLINED
    request.decided_by_id = actor.id
    request.decided_at = utcnow()
    request.reason = reason
    record_audit(
        actor.company_id,
        actor,
        "change_request",
        request.id,
        "decline",
        {"state": [REQUEST_PENDING, REQUEST_DECLINED], "reason": [None, reason]},
    )
    db.session.commit()
    return request


# ---------------------------------------------------------------- what pages show


@dataclass
class View:
    """A request as a list shows it: the proposal in words."""

    request: ChangeRequest
    day: date | None
    hours: Decimal | None
    project: str
    activity: str
    comment: str
    deleted: bool
    period_label: str
    period_key: str | None


def view_of(request: ChangeRequest) -> View:
    proposed = request.proposed or {}
    day = None
    try:
        day = parsing.parse_date(proposed.get("date"))
    except UserError:
        day = None
    hours = None
    try:
        hours = Decimal(str(proposed.get("hours")).replace(",", "."))
    except (InvalidOperation, ValueError):
        hours = None
    # The sync API leaves hours to the rules: what is no amount of hours shows as none.
    if hours is not None and not (hours.is_finite() and abs(hours) <= MAX_SHOWN_HOURS):
        hours = None
    project = _project(_ref(proposed.get("project_id")))
    activity_id = _ref(proposed.get("activity_id"))
    activity = tenancy.get(Activity, activity_id) if activity_id else None
    period = request.period
    deleted = proposed.get("deleted") is True
    if deleted and day is None:
        existing = entry_services.find_entry(request.entry_uuid)
        day = existing.date if existing is not None else None
    return View(
        request=request,
        day=day,
        hours=None if deleted else hours,
        project=project.display_name if project else "",
        activity=activity.name if activity else "",
        comment=str(proposed.get("comment") or ""),
        deleted=deleted,
        period_label=periods.period_label(period) if period is not None else "",
        period_key=period.key if period is not None else None,
    )


def as_json(request: ChangeRequest) -> dict:
    """The person's view of a request, for the offline app (JSON-ready)."""
    view = view_of(request)
    return {
        "id": request.id,
        "uuid": request.entry_uuid,
        "state": request.state,
        "date": view.day.isoformat() if view.day else None,
        "hours": None if view.hours is None else str(view.hours),
        "deleted": view.deleted,
        "project": view.project,
        "activity": view.activity,
        "period": view.period_label,
        "period_key": view.period_key,
        "message": request.message,
        "reason": request.reason,
    }


# ---------------------------------------------------------------- telling the approver


def _recipients(request: ChangeRequest) -> list[User]:
    if request.approver_id is not None:
        approver = db.session.scalar(select(User).where(User.id == request.approver_id))
        return [approver] if approver is not None and approver.is_enabled else []
    admins = db.session.scalars(select(User).where(User.is_enabled.is_(True)))
    return [u for u in admins if u.has_role("admin") and u.id != request.user_id]


def _notify(request: ChangeRequest) -> None:
    """E-mail the approver asked (or the admins), as reminders do; the request is on their
    «Godkjenning» page either way, so a mail that cannot go is logged, not raised."""
    from tipro import mail

    if mail.problem():
        return
    view = view_of(request)
    url = mail.absolute_url("approvals.index")
    try:
        with mail.connection() as connection:
            for user in _recipients(request):
                if not user.email:
                    continue
                with force_locale(mail.language_of(user)):
                    subject = _("TiPro: endringsønske fra %(name)s", name=request.user.display_name)
                    text = render_template("approvals/change_request_mail.txt", view=view, url=url)
                html = f"<pre>{escape(text)}</pre>"
                connection.send_messages([mail.message(user.email, subject, text, html)])
    except (OSError, smtplib.SMTPException) as error:
        log.warning("change request mail failed: %s", error)

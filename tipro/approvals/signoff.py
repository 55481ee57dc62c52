"""Customer sign-off: the hiring customer approves or disputes one line (one period, one project).

When a project asks for it (Project.customer_signoff, set by an admin), an approved line waits
in state «customer» (services.approve). The approver sends the customer contact a link: a signed
token (itsdangerous, the app secret and our own salt) carrying only a CustomerSignoff row's id and
nonce. The row holds the expiry, the address sent to and, once answered, the signature (name
typed, time, address) and decision; services.customer_decided then finishes the line.

A link works once. It stops working when it expires, when a newer link is sent for the line,
when the line was decided again after it was sent, or when the line no longer waits for the
customer. Every read behind a link goes through the row's line: nothing else can be reached.
"""

from __future__ import annotations

import hmac
import re
import secrets
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tipro import clock, writes
from tipro.approvals import services
from tipro.approvals.services import ApprovalRefused, PeriodNotFound
from tipro.auth.services import record_audit
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import Period, PeriodLine, Project, TimeEntry, User, utcnow
from tipro.models.approval import LINE_CUSTOMER, PERIOD_SUBMITTED, CustomerSignoff
from tipro.tenancy import ALL_COMPANIES, company_scope, current_company_id

SALT = "tipro-customer-signoff"
DEFAULT_DAYS = 14
MAX_NAME = 200
MAX_COMMENT = 2000
MAX_EMAIL = 254
MAX_TOKEN = 500
APPROVED, DISPUTED = "approved", "disputed"
# An address: something@domain.tld, no spaces, no second @ (what a mail server accepts).
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

# Why a link does not work (LinkRefused.reason).
INVALID, EXPIRED, SUPERSEDED, STALE = "invalid", "expired", "superseded", "stale"
USED, CLOSED = "used", "closed"


class LinkRefused(UserError):
    """The link cannot be used (anymore); `reason` says why, `signoff` is the row when known."""

    def __init__(self, reason: str, signoff: CustomerSignoff | None = None) -> None:
        messages = {
            INVALID: _("Lenken er ugyldig. Sjekk at hele lenken fra e-posten er med."),
            EXPIRED: _("Lenken er utløpt. Be om en ny lenke fra den som sendte den."),
            SUPERSEDED: _("Lenken er erstattet av en nyere. Bruk den nyeste lenken du har fått."),
            STALE: _(
                "Timene er endret etter at lenken ble sendt, så den gjelder ikke lenger. "
                "Du får en ny lenke når timene er klare."
            ),
            USED: _("Timene er allerede behandlet med denne lenken."),
            CLOSED: _("Timene venter ikke lenger på din godkjenning, så lenken gjelder ikke."),
        }
        super().__init__(messages[reason])
        self.reason = reason
        self.signoff = signoff
        # Unknown link: 404; a real one that no longer works: 410 Gone.
        self.status = 404 if reason == INVALID else 410


@dataclass
class Sent:
    """What send() did: the row, the link, and whether it went out by e-mail."""

    signoff: CustomerSignoff
    url: str
    mailed: bool
    mail_problem: str = ""  # why not mailed (Norwegian), when not


@dataclass
class Signature:
    """A customer's answer on one line, for the period page and the export."""

    line_id: int
    project_id: int | None
    project: str
    decision: str
    signer_name: str
    signed_at: datetime
    signer_address: str
    comment: str
    email: str

    @property
    def approved(self) -> bool:
        return self.decision == APPROVED


# ---------------------------------------------------------------- the token


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def token_for(signoff: CustomerSignoff) -> str:
    """The signed token of a link: the row's id and nonce, nothing else."""
    return _serializer().dumps({"s": signoff.id, "n": signoff.nonce})


def link_url(signoff: CustomerSignoff) -> str:
    """The customer's address for the link (TIPRO_PUBLIC_URL, not the request's host)."""
    from tipro import mail

    return mail.absolute_url("approvals.customer_page", token=token_for(signoff))


def load(token: str) -> CustomerSignoff:
    """The row a token names, if its signature and nonce hold; else LinkRefused(INVALID).

    Called before any company scope exists (nobody is logged in): the row is found by id
    across companies, and the nonce (compared in constant time) must match the row's.
    """
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
        raise LinkRefused(INVALID)
    try:
        data = _serializer().loads(token)
    except BadSignature as error:
        raise LinkRefused(INVALID) from error
    if not isinstance(data, dict):
        raise LinkRefused(INVALID)
    signoff_id, nonce = data.get("s"), data.get("n")
    if type(signoff_id) is not int or not isinstance(nonce, str) or not 0 < signoff_id < 2**31:
        raise LinkRefused(INVALID)
    signoff = db.session.scalar(
        select(CustomerSignoff)
        .where(CustomerSignoff.id == signoff_id)
        .execution_options(populate_existing=True, **ALL_COMPANIES)
    )
    if signoff is None or not hmac.compare_digest(signoff.nonce.encode(), nonce.encode()):
        raise LinkRefused(INVALID)
    return signoff


def status_of(signoff: CustomerSignoff) -> str | None:
    """Why the link no longer works (USED, INVALID, SUPERSEDED, CLOSED, STALE, EXPIRED), or None.

    Reads the line and period afresh: after the lock in decide() this is the state to trust.
    """
    if signoff.decision is not None:
        return USED
    line = db.session.scalar(
        select(PeriodLine)
        .where(PeriodLine.id == signoff.line_id)
        .execution_options(populate_existing=True, **ALL_COMPANIES)
    )
    period = None
    if line is not None:
        period = db.session.scalar(
            select(Period)
            .where(Period.id == line.period_id)
            .execution_options(populate_existing=True, **ALL_COMPANIES)
        )
    if period is None or not (signoff.company_id == line.company_id == period.company_id):
        return INVALID
    newer = db.session.scalar(
        select(CustomerSignoff.id)
        .where(CustomerSignoff.line_id == signoff.line_id, CustomerSignoff.id > signoff.id)
        .limit(1)
        .execution_options(**ALL_COMPANIES)
    )
    if newer is not None:
        return SUPERSEDED
    if line.state != LINE_CUSTOMER or period.state != PERIOD_SUBMITTED:
        return CLOSED
    # Sent before the line was last decided: about hours that have changed since (returned,
    # fixed, handed in and approved again). The approver must send a new link.
    if line.decided_at is not None and clock.aware(signoff.sent_at) < clock.aware(line.decided_at):
        return STALE
    if clock.aware(signoff.expires_at) <= clock.now():
        return EXPIRED
    return None


def open_link(token: str) -> CustomerSignoff:
    """The row of a link that can be answered now; else LinkRefused with the reason."""
    signoff = load(token)
    reason = status_of(signoff)
    if reason is not None:
        raise LinkRefused(reason, signoff)
    return signoff


# ---------------------------------------------------------------- what the link shows


@dataclass
class LinkView:
    """Everything the customer's page shows: one person's hours on one project in one period."""

    signoff: CustomerSignoff
    line: PeriodLine
    period: Period
    person: User
    project: Project | None
    company_name: str
    entries: list[TimeEntry]
    total: Decimal


def view_of(signoff: CustomerSignoff) -> LinkView:
    """The link's page, read only through its line (call inside the signoff's company scope)."""
    line = signoff.line
    period = line.period
    entries = list(
        db.session.scalars(
            select(TimeEntry)
            .where(
                TimeEntry.user_id == period.user_id,
                TimeEntry.project_id == line.project_id,
                TimeEntry.project_id.is_not(None),
                TimeEntry.date >= period.first_day,
                TimeEntry.date <= period.last_day,
            )
            .options(selectinload(TimeEntry.activity))
            .order_by(TimeEntry.date, TimeEntry.id)
        )
    )
    return LinkView(
        signoff=signoff,
        line=line,
        period=period,
        person=period.user,
        project=line.project,
        company_name=period.user.company.name,
        entries=entries,
        total=sum((e.hours for e in entries), Decimal("0")),
    )


# ---------------------------------------------------------------- the approver sends


def clean_email(text) -> str:
    """A plausible e-mail address, trimmed; else UserError on the email field."""
    text = (text if isinstance(text, str) else "").strip()
    if not text:
        raise UserError(_("Skriv kundens e-postadresse."), "email")
    if len(text) > MAX_EMAIL or not _EMAIL_RE.fullmatch(text):
        raise UserError(_("Skriv en gyldig e-postadresse, f.eks. navn@firma.no."), "email")
    return text


def _line_for(actor: User, line_id: int) -> PeriodLine:
    line = db.session.scalar(
        select(PeriodLine).where(PeriodLine.id == line_id).execution_options(populate_existing=True)
    )
    if line is None or not services.may_decide(actor, line, line.period):
        raise PeriodNotFound()
    return line


def send(actor: User, line_id: int, email: str) -> Sent:
    """Send the customer a link for a line waiting for them; a newer link replaces older ones.

    Only who may decide the line (its approver, an admin) may send. The row is committed
    before the e-mail goes out (no transaction is held across SMTP).
    """
    if current_company_id() != actor.company_id:
        raise RuntimeError("sign-off links are sent inside the actor's company scope")
    line = _line_for(actor, line_id)
    email = clean_email(email)
    writes.serialise(User, line.period.user_id)
    line = _line_for(actor, line_id)
    if line.state != LINE_CUSTOMER or line.period.state != PERIOD_SUBMITTED:
        raise ApprovalRefused(_("Timene venter ikke på kundens godkjenning."))
    now = utcnow()
    days = int(current_app.config.get("CUSTOMER_SIGNOFF_DAYS") or DEFAULT_DAYS)
    signoff = CustomerSignoff(
        company_id=line.company_id,
        line_id=line.id,
        nonce=secrets.token_urlsafe(32),
        email=email,
        sent_at=now,
        sent_by_id=actor.id,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(signoff)
    db.session.flush()
    record_audit(
        line.company_id,
        actor,
        "period",
        line.period_id,
        "customer_signoff_sent",
        {
            "line": [None, str(line.project_id)],
            "email": [None, email],
            "expires_at": [None, signoff.expires_at.isoformat()],
        },
    )
    db.session.commit()
    url = link_url(signoff)
    problem = _mail(signoff, url)
    return Sent(signoff=signoff, url=url, mailed=problem is None, mail_problem=problem or "")


def _mail(signoff: CustomerSignoff, url: str) -> str | None:
    """E-mail the link (in Norwegian: the customer has no account); None when it went out.

    Otherwise the reason, in Norwegian: no e-mail set up, or the server refused. The link is
    shown to the approver either way, so a refusal is reported, not raised.
    """
    from flask import render_template
    from flask_babel import force_locale

    from tipro import mail

    why = mail.problem()
    if why:
        return why
    view = view_of(signoff)
    with force_locale("nb"):
        subject = _(
            "Godkjenning av timer: %(person)s, %(project)s",
            person=view.person.display_name,
            project=view.project.display_name if view.project else "",
        )
        text = render_template("approvals/signoff_mail.txt", view=view, url=url)
        html = render_template("approvals/signoff_mail.html", view=view, url=url)
    try:
        with mail.connection() as connection:
            connection.send_messages([mail.message(signoff.email, subject, text, html)])
    except (OSError, smtplib.SMTPException) as error:
        current_app.logger.warning("customer sign-off mail to %s failed: %s", signoff.email, error)
        return _("E-posten kunne ikke sendes (%(why)s).", why=type(error).__name__)
    return None


def latest(line_id: int) -> CustomerSignoff | None:
    """The newest link sent for a line (the only one that may still work)."""
    return db.session.scalar(
        select(CustomerSignoff)
        .where(CustomerSignoff.line_id == line_id)
        .order_by(CustomerSignoff.id.desc())
        .limit(1)
    )


# ---------------------------------------------------------------- the customer answers


def decide(token: str, *, approved: bool, name: str, comment: str, address: str) -> Period:
    """The customer's answer: store the signature, then finish the line (once, under a lock).

    Approved: the line is approved (and the period when it was the last line). Disputed: the
    period goes back to the person with the customer's comment. A used, expired, replaced or
    forged link raises LinkRefused; a missing name (or comment when disputing) UserError.
    """
    signoff = open_link(token)  # a dead link says so before the form's errors
    name = _text(name, MAX_NAME, "name", _("Skriv navnet ditt."))
    required = None if approved else _("Skriv hvorfor du ikke godkjenner timene.")
    comment = _text(comment, MAX_COMMENT, "comment", required)
    address = (address or "")[:64]
    with company_scope(signoff.company_id):
        # Two clicks (or two tabs) wait for each other here; the second finds the link used.
        writes.serialise(User, signoff.line.period.user_id)
        signoff = open_link(token)
        signoff.decision = APPROVED if approved else DISPUTED
        signoff.signer_name = name
        signoff.signed_at = utcnow()
        signoff.signer_address = address
        signoff.comment = comment
        record_audit(
            signoff.company_id,
            None,
            "period",
            signoff.line.period_id,
            "customer_signed",
            {
                "line": [None, str(signoff.line.project_id)],
                "decision": [None, signoff.decision],
                "signer": [None, name],
                "address": [None, address],
            },
        )
        db.session.flush()
        return services.customer_decided(
            signoff.line_id, approved=approved, comment=comment, signer=name
        )


def _text(value, limit: int, field: str, required: str | None) -> str:
    text = (value if isinstance(value, str) else "").strip()
    if required and not text:
        raise UserError(required, field)
    if len(text) > limit:
        raise UserError(_("Teksten kan være høyst %(n)d tegn.", n=limit), field)
    return text


# ---------------------------------------------------------------- signatures


def signatures_for(period: Period) -> list[Signature]:
    """The customers' answers on a period's lines (the latest per line), for pages and export."""
    line_ids = [line.id for line in period.lines]
    if not line_ids:
        return []
    rows = db.session.scalars(
        select(CustomerSignoff)
        .where(CustomerSignoff.line_id.in_(line_ids), CustomerSignoff.decision.is_not(None))
        .order_by(CustomerSignoff.id)
    )
    newest: dict[int, CustomerSignoff] = {}
    for row in rows:
        newest[row.line_id] = row
    lines = {line.id: line for line in period.lines}
    answers = []
    for line_id, row in newest.items():
        line = lines[line_id]
        answers.append(
            Signature(
                line_id=line_id,
                project_id=line.project_id,
                project=line.project.display_name if line.project else "",
                decision=row.decision or "",
                signer_name=row.signer_name,
                signed_at=clock.aware(row.signed_at or row.sent_at),
                signer_address=row.signer_address,
                comment=row.comment,
                email=row.email,
            )
        )
    return answers


# ---------------------------------------------------------------- admin: which projects


@dataclass
class ProjectSetting:
    """One project on the admin page: the flag, the saved address and the suggestion."""

    project: Project
    enabled: bool
    email: str
    suggestion: str


def project_settings() -> list[ProjectSetting]:
    """Active, open projects of the current company, with the customer's address as suggestion."""
    projects = db.session.scalars(
        select(Project)
        .where(Project.is_active.is_(True), Project.is_closed.is_(False))
        .options(selectinload(Project.customer))
        .order_by(Project.number, Project.name, Project.id)
    )
    return [
        ProjectSetting(
            project=p,
            enabled=bool(p.customer_signoff),
            email=p.customer_signoff_email or "",
            suggestion=(p.customer.email or "") if p.customer else "",
        )
        for p in projects
    ]


def save_project_settings(actor: User, wanted: dict[int, tuple[bool, str]]) -> int:
    """Store each project's flag and address (project id → (enabled, email)); audits changes.

    Raises UserError (field «email-<id>») for an invalid address; nothing is stored then.
    Returns how many projects changed.
    """
    if not actor.has_role("admin"):
        raise PeriodNotFound()
    settings = {s.project.id: s for s in project_settings()}
    cleaned: dict[int, tuple[bool, str | None]] = {}
    for project_id, (enabled, email) in wanted.items():
        if project_id not in settings:
            continue
        email = (email or "").strip()
        if email:
            try:
                email = clean_email(email)
            except UserError as error:
                raise UserError(error.message, f"email-{project_id}") from error
        cleaned[project_id] = (bool(enabled), email or None)
    changed = 0
    for project_id, (enabled, email) in cleaned.items():
        project = settings[project_id].project
        old = (bool(project.customer_signoff), project.customer_signoff_email)
        if old == (enabled, email):
            continue
        project.customer_signoff = enabled
        project.customer_signoff_email = email
        record_audit(
            project.company_id,
            actor,
            "project",
            project.id,
            "customer_signoff",
            {
                "customer_signoff": [old[0], enabled],
                "customer_signoff_email": [old[1], email],
            },
        )
        changed += 1
    db.session.commit()
    return changed

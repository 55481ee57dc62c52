"""Companies, users, passwords and log-in throttling."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager
from werkzeug.security import check_password_hash, generate_password_hash

from tipro import writes
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import ROLES, AuditEvent, Company, LoginFailure, Timer, User, utcnow
from tipro.tenancy import ALL_COMPANIES, reused_statement

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10
# Hashed once so a log-in for an unknown address costs the same time as a real one.
_DUMMY_HASH = generate_password_hash("tipro-timing-equaliser")


class LoginThrottled(UserError):
    """Too many failed log-ins for this account or address."""


def email_unavailable() -> UserError:
    """The one answer for an address that cannot be used, wherever it is used.

    Addresses are unique across the deployment (log-in is by e-mail alone); the answer is the
    same whether the address belongs to this company or another, so it tells nothing about
    other companies.
    """
    return UserError(
        _("Denne e-postadressen kan ikke brukes for en ny bruker. Bruk en annen adresse."),
        "email",
    )


def hash_password(password: str) -> str:
    """scrypt via Werkzeug (memory-hard KDF, salted)."""
    return generate_password_hash(password, method="scrypt")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def create_company(name: str) -> Company:
    """Create a company; names are unique in the deployment."""
    name = (name or "").strip()
    if not name:
        raise UserError(_("Firmanavn mangler."), "name")
    if len(name) > 200:
        raise UserError(_("Firmanavnet kan være høyst 200 tegn."), "name")
    exists = db.session.scalar(select(Company.id).where(func.lower(Company.name) == name.lower()))
    if exists:
        raise UserError(_("Et firma med navnet «%(name)s» finnes allerede.", name=name), "name")
    company = Company(name=name)
    db.session.add(company)
    db.session.commit()
    return company


def find_company(name: str) -> Company:
    company = db.session.scalar(
        select(Company).where(func.lower(Company.name) == (name or "").strip().lower())
    )
    if company is None:
        raise UserError(_("Fant ikke firmaet «%(name)s».", name=name), "company")
    return company


def validate_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(_("Passordet må ha minst %(n)d tegn.", n=MIN_PASSWORD_LENGTH), "password")


def create_user(
    company: Company,
    email: str,
    role: str = "employee",
    password: str | None = None,
    name: str = "",
    actor: User | None = None,
) -> User:
    """Create a user in `company`; without a password one must be set before log-in."""
    email = normalise_email(email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise UserError(_("Ugyldig e-postadresse: «%(email)s».", email=email), "email")
    if role not in ROLES:
        raise UserError(
            _("Ugyldig rolle «%(role)s». Velg employee, approver eller admin.", role=role), "role"
        )
    if db.session.scalar(
        select(User.id).where(func.lower(User.email) == email).execution_options(**ALL_COMPANIES)
    ):
        raise email_unavailable()
    if password is not None:
        validate_password(password)
    user = User(
        company_id=company.id,
        email=email,
        role=role,
        name=(name or "").strip()[:200],
        password_hash=hash_password(password) if password else None,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # taken between the check and the insert (a parallel request)
        db.session.rollback()
        raise email_unavailable() from None
    record_audit(company.id, actor, "user", user.id, "create", {"email": [None, email]})
    db.session.commit()
    return user


def set_password(user: User, password: str) -> None:
    """A new password; every session and remember-me cookie of the user ends."""
    validate_password(password)
    user.password_hash = hash_password(password)
    end_sessions(user)
    db.session.commit()


def end_sessions(user: User) -> None:
    """End every session and remember-me cookie of `user` (the caller commits).

    The log-in identity in both is "id:session_version" (User.get_id); load_user refuses
    an identity whose version is not the user's current one.
    """
    user.session_version = (user.session_version or 0) + 1


# Where load_user leaves the user's running stamp clock for this request (tipro.entries.timer):
# a key of the request's environ, so it never outlives the request.
LOADED_TIMER = "tipro.loaded_timer"


# The POSTs that save the logged-in user's own hours (tipro.entries.services takes the user's
# row lock first thing); with a `user_id` the hours are someone else's and their row is locked.
OWN_HOURS_ENDPOINTS = frozenset({"entries.create", "entries.week_cell"})


def _saves_own_hours() -> bool:
    """True for a request that will lock the user's own row: load_user takes the lock in its
    own statement (PostgreSQL), one round trip instead of two. Taken first, as before, so the
    order of locks is unchanged."""
    return (
        has_request_context()
        and request.method == "POST"
        and request.endpoint in OWN_HOURS_ENDPOINTS
        and not request.form.get("user_id")
        and db.session.get_bind().dialect.name == "postgresql"
    )


@reused_statement
def _user_statement(locking: bool):
    """load_user's statement (with or without the row lock)."""
    query = (
        select(User, Timer)
        .join(User.company)
        .outerjoin(Timer, (Timer.user_id == User.id) & (Timer.company_id == User.company_id))
        .options(contains_eager(User.company))
        .where(User.id == bindparam("user_id"))
    )
    if locking:
        query = query.with_for_update(of=User)
    return query


def load_user(identity: str) -> User | None:
    """Flask-Login's user loader: the user of a session or remember-me cookie, if still valid.

    One statement per request: the company comes along (nearly every page reads it: normal
    hours, the name, the master-data version) and so does the user's running stamp clock,
    which every page's badge shows (`tipro.entries.timer.badge_timer`); a save of the user's
    own hours also takes the user's row lock in it (`_saves_own_hours`).
    """
    user_id, _sep, version = (identity or "").partition(":")
    if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()):
        return None  # also an identity from before session versions: log in again
    locking = _saves_own_hours()
    row = db.session.execute(_user_statement(locking), {"user_id": int(user_id)}).first()
    if row is None:
        return None
    user, timer = row
    if locking:
        writes.hold(User, user.id)
    if not user.is_enabled or str(user.session_version) != version:
        return None
    if has_request_context():
        request.environ[LOADED_TIMER] = (user.id, timer)
    return user


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def record_audit(
    company_id: int, actor: User | None, entity: str, entity_id, action: str, changes: dict
) -> None:
    """Add an audit event to the current transaction (the caller commits)."""
    db.session.add(
        AuditEvent(
            company_id=company_id,
            user_id=actor.id if actor else None,
            entity=entity,
            entity_id=str(entity_id),
            action=action,
            changes=changes,
        )
    )


def _recent_attempts(column, value: str) -> int:
    window = timedelta(seconds=current_app.config["LOGIN_FAILURE_WINDOW_SECONDS"])
    return db.session.scalar(
        select(func.count(LoginFailure.id)).where(
            column == value, LoginFailure.at > utcnow() - window
        )
    )


def authenticate(email: str, password: str, address: str) -> User:
    """Check a log-in, throttled per account and per address; raises UserError on failure.

    The attempt is counted before the password is checked: its row is committed first, then
    the rows are counted. The k-th attempt to commit sees at least k rows, so however many
    arrive at once, at most the limit of them reach the password check (on every database,
    without locks). A throttled attempt takes its row back; a failed one leaves it as the
    failure; a successful log-in clears the account's rows.
    """
    email = normalise_email(email)
    address = (address or "unknown")[:64]
    config = current_app.config
    minutes = config["LOGIN_FAILURE_WINDOW_SECONDS"] // 60
    attempt = LoginFailure(email=email, address=address)
    db.session.add(attempt)
    db.session.commit()
    throttled = None
    if _recent_attempts(LoginFailure.email, email) > config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]:
        throttled = LoginThrottled(
            _(
                "For mange mislykkede innlogginger for denne kontoen. "
                "Vent %(minutes)d minutter og prøv igjen.",
                minutes=minutes,
            )
        )
    elif _recent_attempts(LoginFailure.address, address) > config["LOGIN_MAX_FAILURES_PER_ADDRESS"]:
        throttled = LoginThrottled(
            _(
                "For mange mislykkede innlogginger fra denne adressen. "
                "Vent %(minutes)d minutter og prøv igjen.",
                minutes=minutes,
            )
        )
    if throttled is not None:
        db.session.execute(delete(LoginFailure).where(LoginFailure.id == attempt.id))
        db.session.commit()
        raise throttled
    user = db.session.scalar(select(User).where(User.email == email))
    usable = bool(user and user.password_hash and user.is_enabled)
    stored_hash = user.password_hash if usable else _DUMMY_HASH
    db.session.commit()  # no write lock (SQLite) held while the password is hashed
    password_ok = check_password_hash(stored_hash, password or "")
    if not (usable and password_ok):
        raise UserError(_("Feil e-post eller passord."))  # the attempt stays as the failure
    db.session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def set_language(user: User | None, language: str) -> None:
    if user is not None and language in ("nb", "en"):
        user.language = language
        db.session.commit()

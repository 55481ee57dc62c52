"""Companies, users, passwords and log-in throttling."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import ROLES, AuditEvent, Company, LoginFailure, User, utcnow
from tipro.tenancy import ALL_COMPANIES

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10
# Hashed once so a log-in for an unknown address costs the same time as a real one.
_DUMMY_HASH = generate_password_hash("tipro-timing-equaliser")


class LoginThrottled(UserError):
    """Too many failed log-ins for this account or address."""


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
        select(User.id).where(User.email == email).execution_options(**ALL_COMPANIES)
    ):
        raise UserError(_("E-postadressen %(email)s er allerede i bruk.", email=email), "email")
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
    db.session.flush()
    record_audit(company.id, actor, "user", user.id, "create", {"email": [None, email]})
    db.session.commit()
    return user


def set_password(user: User, password: str) -> None:
    validate_password(password)
    user.password_hash = hash_password(password)
    db.session.commit()


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


def _recent_failures(column, value: str) -> int:
    window = timedelta(seconds=current_app.config["LOGIN_FAILURE_WINDOW_SECONDS"])
    return db.session.scalar(
        select(func.count(LoginFailure.id)).where(
            column == value, LoginFailure.at > utcnow() - window
        )
    )


def authenticate(email: str, password: str, address: str) -> User:
    """Check a log-in, throttled per account and per address; raises UserError on failure."""
    email = normalise_email(email)
    address = (address or "unknown")[:64]
    config = current_app.config
    minutes = config["LOGIN_FAILURE_WINDOW_SECONDS"] // 60
    if _recent_failures(LoginFailure.email, email) >= config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]:
        raise LoginThrottled(
            _(
                "For mange mislykkede innlogginger for denne kontoen. "
                "Vent %(minutes)d minutter og prøv igjen.",
                minutes=minutes,
            )
        )
    if _recent_failures(LoginFailure.address, address) >= config["LOGIN_MAX_FAILURES_PER_ADDRESS"]:
        raise LoginThrottled(
            _(
                "For mange mislykkede innlogginger fra denne adressen. "
                "Vent %(minutes)d minutter og prøv igjen.",
                minutes=minutes,
            )
        )
    user = db.session.scalar(select(User).where(User.email == email))
    stored_hash = user.password_hash if user and user.password_hash else _DUMMY_HASH
    password_ok = check_password_hash(stored_hash, password or "")
    if not (user and user.password_hash and password_ok and user.is_enabled):
        db.session.add(LoginFailure(email=email, address=address))
        db.session.commit()
        raise UserError(_("Feil e-post eller passord."))
    db.session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def set_language(user: User | None, language: str) -> None:
    if user is not None and language in ("nb", "en"):
        user.language = language
        db.session.commit()

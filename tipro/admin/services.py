"""User administration inside one company."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from tipro import tenancy
from tipro.auth.services import end_sessions, generate_password, hash_password, record_audit
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import ROLES, Employee, User


def company_users() -> list[User]:
    """Users of the current company (the tenancy filter scopes the query)."""
    return list(db.session.scalars(select(User).order_by(func.lower(User.name), User.email)))


def linkable_employees() -> list[Employee]:
    """Active Tripletex employees of the current company, for linking users."""
    return tenancy.active_rows(Employee, Employee.first_name, Employee.last_name)


def reset_password(user: User, actor: User) -> str:
    """Give the user a new generated password; returns it once.

    The old password stops working and every session and remember-me cookie of the user ends.
    """
    password = generate_password()
    user.password_hash = hash_password(password)
    end_sessions(user)  # whoever knew the old password is logged out everywhere
    # The audit says that it happened, never what the password is.
    record_audit(user.company_id, actor, "user", user.id, "reset_password", {})
    db.session.commit()
    return password


def update_user(
    user: User,
    actor: User,
    *,
    name: str,
    role: str,
    is_enabled: bool,
    employee_id: int | None = None,
) -> None:
    """Change name, role, access or Tripletex employee; admins cannot lock themselves out."""
    if role not in ROLES:
        raise UserError(_("Ugyldig rolle."), "role")
    if user.id == actor.id and (role != "admin" or not is_enabled):
        raise UserError(_("Du kan ikke fjerne din egen admin-tilgang."), "role")
    if employee_id is not None:
        if tenancy.get(Employee, employee_id) is None:  # another company's does not exist
            raise UserError(_("Ukjent ansatt."), "employee_id")
        taken = db.session.scalar(
            select(User.id).where(User.employee_id == employee_id, User.id != user.id)
        )
        if taken:
            raise UserError(
                _("Denne ansatte er allerede koblet til en annen bruker."), "employee_id"
            )
    changes = {}
    fields = (
        ("name", name.strip()[:200]),
        ("role", role),
        ("is_enabled", is_enabled),
        ("employee_id", employee_id),
    )
    for field, new in fields:
        old = getattr(user, field)
        if old != new:
            changes[field] = [str(old), str(new)]
            setattr(user, field, new)
    if "is_enabled" in changes and not is_enabled:
        end_sessions(user)  # a disabled user is out at once, on every device
    if changes:
        record_audit(user.company_id, actor, "user", user.id, "update", changes)
    db.session.commit()


def end_user_sessions(user: User, actor: User) -> None:
    """An admin ends every session and remember-me cookie of `user` (e.g. a lost phone)."""
    end_sessions(user)
    record_audit(user.company_id, actor, "user", user.id, "end_sessions", {})
    db.session.commit()

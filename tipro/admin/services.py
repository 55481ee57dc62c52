"""User administration inside one company."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from tipro.auth.services import record_audit
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import ROLES, User


def company_users() -> list[User]:
    """Users of the current company (the tenancy filter scopes the query)."""
    return list(db.session.scalars(select(User).order_by(func.lower(User.name), User.email)))


def update_user(user: User, actor: User, *, name: str, role: str, is_enabled: bool) -> None:
    """Change a user's name, role or access; an admin cannot lock themself out."""
    if role not in ROLES:
        raise UserError(_("Ugyldig rolle."), "role")
    if user.id == actor.id and (role != "admin" or not is_enabled):
        raise UserError(_("Du kan ikke fjerne din egen admin-tilgang."), "role")
    changes = {}
    for field, new in (("name", name.strip()[:200]), ("role", role), ("is_enabled", is_enabled)):
        old = getattr(user, field)
        if old != new:
            changes[field] = [str(old), str(new)]
            setattr(user, field, new)
    if changes:
        record_audit(user.company_id, actor, "user", user.id, "update", changes)
    db.session.commit()

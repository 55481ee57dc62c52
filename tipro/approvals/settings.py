"""The company's approval settings: week or month, and the weekly reminder's day and hour."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from tipro import writes
from tipro.auth.services import record_audit
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import Company, Period, User
from tipro.models.approval import PERIOD_KINDS, PERIOD_SUBMITTED


def save(actor: User, *, period_kind: str, weekday: int | None, hour: int) -> dict:
    """Store the settings of the actor's company (admins); audits what changed, returns it.

    Changing week ↔ month is allowed while periods are submitted: those stay as they are, and
    new submissions use the new kind.
    """
    if not actor.has_role("admin"):
        raise UserError(_("Bare en administrator kan endre innstillingene."))
    if period_kind not in PERIOD_KINDS:
        raise UserError(_("Velg uke eller måned."), "approval_period")
    if weekday is not None and not 1 <= weekday <= 7:
        raise UserError(_("Velg en ukedag, eller «Av»."), "reminder_weekday")
    if not 0 <= hour <= 23:
        raise UserError(_("Velg et klokkeslett fra 0 til 23."), "reminder_hour")
    writes.serialise(Company, actor.company_id)
    company = db.session.get(Company, actor.company_id, populate_existing=True)
    changes = {}
    for name, value in (
        ("approval_period", period_kind),
        ("reminder_weekday", weekday),
        ("reminder_hour", hour),
    ):
        old = getattr(company, name)
        if old != value:
            changes[name] = [old, value]
            setattr(company, name, value)
    if changes:
        record_audit(company.id, actor, "company", company.id, "approval_settings", changes)
    db.session.commit()
    return changes


def submitted_count() -> int:
    """Periods handed in and waiting (in the current company scope)."""
    return db.session.scalar(select(func.count(Period.id)).where(Period.state == PERIOD_SUBMITTED))

"""The company's transfer settings: payroll mode, month approval in Tripletex, order grouping."""

from __future__ import annotations

from flask_babel import gettext as _

from tipro import writes
from tipro.auth.services import record_audit
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import Company, User
from tipro.models.transfer import KIND_PAYROLL, ORDER_GROUPINGS, PAYROLL_MODES


def save(
    actor: User, *, payroll_mode: str, approves_month: bool, order_grouping: str
) -> dict[str, list]:
    """Store the settings of the actor's company (admins); audits what changed, returns it.

    The payroll mode cannot change while a payroll transfer is queued or running: the batch
    was planned in the old mode.
    """
    if not actor.has_role("admin"):
        raise UserError(_("Bare en administrator kan endre innstillingene."))
    if payroll_mode not in PAYROLL_MODES:
        raise UserError(_("Velg timeliste eller lønnsbilag."), "payroll_mode")
    if order_grouping not in ORDER_GROUPINGS:
        raise UserError(_("Velg hvordan ordrene skal deles opp."), "order_grouping")
    writes.serialise(Company, actor.company_id)
    company = db.session.get(Company, actor.company_id, populate_existing=True)
    if payroll_mode != company.payroll_mode:
        from tipro.transfers.services import active_batch, is_dead

        running = active_batch(KIND_PAYROLL)
        if running is not None and not is_dead(running):
            db.session.rollback()
            raise UserError(
                _("En overføring av lønnsgrunnlag pågår. Bytt måte når den er ferdig."),
                "payroll_mode",
            )
    changes: dict[str, list] = {}
    for name, value in (
        ("payroll_mode", payroll_mode),
        ("transfer_approves_month", bool(approves_month)),
        ("order_grouping", order_grouping),
    ):
        old = getattr(company, name)
        if old != value:
            changes[name] = [old, value]
            setattr(company, name, value)
    if changes:
        record_audit(company.id, actor, "company", company.id, "transfer_settings", changes)
    db.session.commit()
    return changes

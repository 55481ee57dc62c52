"""The company's transfer settings: payroll mode, month approval in Tripletex, order grouping,
and the salary type ordinary hours go on in lønnsbilag («Lønnsart for timer»)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from tipro import writes
from tipro.auth.services import record_audit
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import Company, SalaryType, User
from tipro.models.transfer import KIND_PAYROLL, ORDER_GROUPINGS, PAYROLL_MODES

# Tripletex's standard salary type for hourly pay («2001 Timelønn»): the default when the
# company has not chosen one.
DEFAULT_HOURS_SALARY_TYPE_NUMBER = "2001"
_UNCHANGED = object()


def default_hours_salary_type() -> SalaryType | None:
    """The synced, active salary type numbered like Tripletex's «Timelønn», if any."""
    return db.session.scalar(
        select(SalaryType)
        .where(
            SalaryType.number == DEFAULT_HOURS_SALARY_TYPE_NUMBER, SalaryType.is_active.is_(True)
        )
        .order_by(SalaryType.id)
        .limit(1)
    )


def hours_salary_type(company: Company) -> SalaryType | None:
    """The salary type ordinary hours go on in lønnsbilag: the company's choice, else the
    default by number; None when neither exists (a salary-mode transfer is refused)."""
    if company.hours_salary_type_id is not None:
        return db.session.get(SalaryType, company.hours_salary_type_id)
    return default_hours_salary_type()


def salary_type_choices() -> list[SalaryType]:
    """Active synced salary types, by number (the «Lønnsart for timer» picker)."""
    return list(
        db.session.scalars(
            select(SalaryType)
            .where(SalaryType.is_active.is_(True))
            .order_by(SalaryType.number, SalaryType.name, SalaryType.id)
        )
    )


def save(
    actor: User,
    *,
    payroll_mode: str,
    approves_month: bool,
    order_grouping: str,
    hours_salary_type_id: int | None | object = _UNCHANGED,
) -> dict[str, list]:
    """Store the settings of the actor's company (admins); audits what changed, returns it.

    The payroll mode cannot change while a payroll transfer is queued or running: the batch
    was planned in the old mode. hours_salary_type_id: a salary type of the company (None:
    the default by number); left out, it stays as it is.
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
    values = [
        ("payroll_mode", payroll_mode),
        ("transfer_approves_month", bool(approves_month)),
        ("order_grouping", order_grouping),
    ]
    if hours_salary_type_id is not _UNCHANGED:
        values.append(("hours_salary_type_id", _own_salary_type(hours_salary_type_id)))
    return _apply(actor, company, values)


def save_hours_salary_type(actor: User, salary_type_id: int | None) -> dict[str, list]:
    """Store «Lønnsart for timer» (None: the default by number); audited like the others."""
    if not actor.has_role("admin"):
        raise UserError(_("Bare en administrator kan endre innstillingene."))
    salary_type_id = _own_salary_type(salary_type_id)
    writes.serialise(Company, actor.company_id)
    company = db.session.get(Company, actor.company_id, populate_existing=True)
    return _apply(actor, company, [("hours_salary_type_id", salary_type_id)])


def _own_salary_type(salary_type_id) -> int | None:
    """An active salary type of the current company (tenancy scope), or None."""
    if salary_type_id in (None, ""):
        return None
    found = db.session.scalar(
        select(SalaryType.id).where(SalaryType.id == salary_type_id, SalaryType.is_active.is_(True))
    )
    if found is None:
        raise UserError(
            _("Velg en aktiv lønnsart fra Tripletex for timene."), "hours_salary_type_id"
        )
    return found


def _apply(actor: User, company: Company, values: list[tuple[str, object]]) -> dict[str, list]:
    changes: dict[str, list] = {}
    for name, value in values:
        old = getattr(company, name)
        if old != value:
            changes[name] = [old, value]
            setattr(company, name, value)
    if changes:
        record_audit(company.id, actor, "company", company.id, "transfer_settings", changes)
    db.session.commit()
    return changes

"""What the Tripletex settings and sync pages show, and inviting synced employees."""

from __future__ import annotations

from sqlalchemy import func, select

from tipro.auth.services import create_user
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import Company, Employee, User
from tipro.models.sync import SYNC_ACTIVE, SyncRun, SyncStep
from tipro.tripletex.sync import DATA_TYPES


def latest_runs(company_id: int, limit: int = 5) -> list[SyncRun]:
    """The company's most recent sync runs, newest first."""
    return list(
        db.session.scalars(
            select(SyncRun)
            .where(SyncRun.company_id == company_id)
            .order_by(SyncRun.id.desc())
            .limit(limit)
        )
    )


def last_steps(company_id: int) -> list[tuple[str, SyncStep | None]]:
    """The last finished step of each data type (when, counts, calls, error)."""
    out = []
    for data_type in DATA_TYPES:
        step = db.session.scalar(
            select(SyncStep)
            .where(
                SyncStep.company_id == company_id,
                SyncStep.data_type == data_type,
                SyncStep.status.in_(("done", "failed")),
            )
            .order_by(SyncStep.id.desc())
            .limit(1)
        )
        out.append((data_type, step))
    return out


def run_is_active(run: SyncRun | None) -> bool:
    return run is not None and run.status in SYNC_ACTIVE


def uninvited_employees(company_id: int) -> list[Employee]:
    """Active synced employees with an e-mail and no TiPro user yet."""
    taken = select(User.employee_id).where(User.employee_id.is_not(None))
    emails = select(func.lower(User.email))
    return list(
        db.session.scalars(
            select(Employee)
            .where(
                Employee.company_id == company_id,
                Employee.is_active.is_(True),
                Employee.email.is_not(None),
                Employee.id.not_in(taken),
                func.lower(Employee.email).not_in(emails),
            )
            .order_by(Employee.first_name, Employee.last_name)
        )
    )


def invite_employees(company: Company, employee_ids: list[int], actor: User | None) -> list[User]:
    """Create employee users for synced employees (linked to them); skips taken addresses."""
    wanted = set(employee_ids)
    created = []
    for employee in uninvited_employees(company.id):
        if employee.id not in wanted:
            continue
        try:
            user = create_user(company, employee.email, "employee", name=employee.name, actor=actor)
        except UserError:
            continue  # e.g. an invalid address in Tripletex; the admin can add it by hand
        user.employee_id = employee.id
        db.session.commit()
        created.append(user)
    return created

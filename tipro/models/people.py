"""Companies, users and login throttling."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tipro.extensions import db
from tipro.models.base import CompanyScoped, Timestamped, utcnow

if TYPE_CHECKING:
    from tipro.models.master import Employee

ROLES = ("employee", "approver", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
LANGUAGES = ("nb", "en")

# Tripletex connection states shown on the admin pages.
TRIPLETEX_NOT_CONNECTED = "not_connected"
TRIPLETEX_CONNECTED = "connected"
TRIPLETEX_NEEDS_RECONNECT = "needs_reconnect"


class Company(Timestamped, db.Model):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    # Normal working time used for "hours against normal" on the start page and month close.
    normal_hours_per_week: Mapped[Decimal] = mapped_column(
        Numeric(5, 2), default=Decimal("37.50"), nullable=False
    )
    tripletex_status: Mapped[str] = mapped_column(
        String(20), default=TRIPLETEX_NOT_CONNECTED, nullable=False
    )
    tripletex_employee_token_encrypted: Mapped[str | None] = mapped_column(Text)
    tripletex_token_last4: Mapped[str | None] = mapped_column(String(4))
    tripletex_company_id: Mapped[int | None] = mapped_column(Integer)
    tripletex_company_name: Mapped[str | None] = mapped_column(String(200))
    tripletex_connected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Raised in the same transaction as every write of the pickers' master data (projects,
    # activities, supplement/absence types, custom fields, products): the key of the
    # per-company cache in tipro.entries.master, read with the user at no extra statement.
    master_data_version: Mapped[int] = mapped_column(
        Integer, default=1, server_default="1", nullable=False
    )
    # Approval: what an employee hands in ("week" or "month"; tipro.models.approval).
    approval_period: Mapped[str] = mapped_column(
        String(10), default="week", server_default="week", nullable=False
    )
    # Weekly reminder e-mails: ISO weekday (1 = Monday) and hour in Oslo; None weekday = off.
    reminder_weekday: Mapped[int | None] = mapped_column(Integer)
    reminder_hour: Mapped[int] = mapped_column(
        Integer, default=8, server_default="8", nullable=False
    )
    # Transfer (tipro.transfers): the payroll basis ("timesheet": timesheet entries and
    # salary-type specifications; "salary": salary transactions with payslips), whether TiPro
    # approves the Tripletex month for the people it sent, and how orders are grouped
    # ("project" or "project_employee").
    payroll_mode: Mapped[str] = mapped_column(
        String(20), default="timesheet", server_default="timesheet", nullable=False
    )
    transfer_approves_month: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="0", nullable=False
    )
    order_grouping: Mapped[str] = mapped_column(
        String(20), default="project", server_default="project", nullable=False
    )
    # Lønnsbilag: the salary type the approved ordinary hours go on (e.g. «2001 Timelønn»);
    # None: tipro.transfers.settings.hours_salary_type picks the synced default by number.
    # use_alter: salary_types refers back to companies.
    hours_salary_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("salary_types.id", ondelete="SET NULL", use_alter=True)
    )

    users: Mapped[list[User]] = relationship(back_populates="company")

    def __repr__(self) -> str:
        return f"<Company {self.id} {self.name!r}>"


class User(UserMixin, CompanyScoped, Timestamped, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Log-in is by e-mail alone, so an address is unique across the whole deployment.
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="employee", nullable=False)
    language: Mapped[str] = mapped_column(String(5), default="nb", nullable=False)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    employee_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id", ondelete="SET NULL"), index=True
    )
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The approver set in TiPro for this person's hours outside led projects (else the
    # department manager in Tripletex).
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Part of the log-in identity (session and remember-me cookie): raising it ends every
    # session of the user (log out everywhere, password change or reset, disabling).
    session_version: Mapped[int] = mapped_column(
        Integer, default=1, server_default="1", nullable=False
    )

    company: Mapped[Company] = relationship(back_populates="users")
    employee: Mapped[Employee | None] = relationship(foreign_keys=[employee_id])
    approver: Mapped[User | None] = relationship(remote_side=[id], foreign_keys=[approver_id])

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled users.
        return self.is_enabled

    def get_id(self) -> str:
        """The log-in identity kept in the session and in the remember-me cookie."""
        return f"{self.id}:{self.session_version}"

    def has_role(self, role: str) -> bool:
        """True when the user's role is at least `role` (admin ⊃ approver ⊃ employee)."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email!r} {self.role}>"


class LoginFailure(db.Model):
    """A log-in attempt, counted before its password is checked; kept when it failed.

    Throttling per account and per address counts these rows (tipro.auth.services.authenticate).
    """

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True, nullable=False)
    address: Mapped[str] = mapped_column(String(64), index=True, nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

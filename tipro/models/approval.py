"""Periods handed in for approval, their lines, customer sign-off and reminders sent.

tipro.approvals is the only writer of these rows (and of the entry states they imply).
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tipro.extensions import db
from tipro.models.base import CompanyScoped, utcnow

if TYPE_CHECKING:
    from tipro.models.master import Project
    from tipro.models.people import User

PERIOD_WEEK = "week"
PERIOD_MONTH = "month"
PERIOD_KINDS = (PERIOD_WEEK, PERIOD_MONTH)

# A period's life: submitted → approved, or returned / taken back (open again); an approved
# period is reopened by an admin (open again) and must be approved again.
PERIOD_SUBMITTED = "submitted"
PERIOD_APPROVED = "approved"
PERIOD_RETURNED = "returned"
PERIOD_TAKEN_BACK = "taken_back"
PERIOD_REOPENED = "reopened"
LOCKED_PERIOD_STATES = (PERIOD_SUBMITTED, PERIOD_APPROVED)

# A line (the person's hours on one project in the period, or without project) waits for its
# approver, then (when the project asks for it) for the hiring customer.
LINE_WAITING = "waiting"
LINE_CUSTOMER = "customer"
LINE_APPROVED = "approved"
LINE_RETURNED = "returned"


class Period(CompanyScoped, db.Model):
    """A person's week or calendar month handed in; while locked, its days take no changes."""

    __tablename__ = "periods"
    __table_args__ = (
        UniqueConstraint("company_id", "user_id", "kind", "first_day", name="uq_periods_user"),
        Index("ix_periods_company_state", "company_id", "state"),
        Index("ix_periods_user_days", "user_id", "first_day", "last_day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), default=PERIOD_WEEK, nullable=False)
    first_day: Mapped[dt.date] = mapped_column(Date, nullable=False)
    last_day: Mapped[dt.date] = mapped_column(Date, nullable=False)
    state: Mapped[str] = mapped_column(String(20), default=PERIOD_SUBMITTED, nullable=False)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The total the employee confirmed when submitting.
    total_hours: Mapped[Decimal] = mapped_column(
        Numeric(7, 2), default=Decimal("0"), nullable=False
    )
    # The last decision on the whole period (approve, return, reopen) and why.
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    comment: Mapped[str] = mapped_column(Text, default="", nullable=False)
    # The last pre-flight result (tipro.approvals.preflight.Problem.as_dict() each).
    preflight: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    preflight_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # An admin approved over blocking problems: who and why.
    override_reason: Mapped[str] = mapped_column(Text, default="", nullable=False)
    overridden_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    lines: Mapped[list[PeriodLine]] = relationship(
        back_populates="period", cascade="all, delete-orphan", order_by="PeriodLine.id"
    )

    @property
    def is_locked(self) -> bool:
        return self.state in LOCKED_PERIOD_STATES

    @property
    def key(self) -> str:
        """«2026-W48» or «2026-11»: how URLs and the CLI name the period."""
        if self.kind == PERIOD_MONTH:
            return f"{self.first_day.year}-{self.first_day.month:02d}"
        year, week, _day = self.first_day.isocalendar()
        return f"{year}-W{week:02d}"

    def covers(self, day: dt.date) -> bool:
        return self.first_day <= day <= self.last_day

    def __repr__(self) -> str:
        return f"<Period {self.id} {self.user_id} {self.key} {self.state}>"


class PeriodLine(CompanyScoped, db.Model):
    """The person's hours on one project in a period (project None: absence and general work)."""

    __tablename__ = "period_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(
        ForeignKey("periods.id", ondelete="CASCADE"), index=True, nullable=False
    )
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    # Who is asked to decide (project manager, TiPro-set approver, department manager); None:
    # nobody is, so it waits for an admin. Admins may decide every line.
    approver_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(String(20), default=LINE_WAITING, nullable=False)
    hours: Mapped[Decimal] = mapped_column(Numeric(7, 2), default=Decimal("0"), nullable=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    comment: Mapped[str] = mapped_column(Text, default="", nullable=False)

    period: Mapped[Period] = relationship(back_populates="lines")
    project: Mapped[Project | None] = relationship()
    approver: Mapped[User | None] = relationship(foreign_keys=[approver_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class CustomerSignoff(CompanyScoped, db.Model):
    """A link sent to the hiring customer for one line (one period, one project).

    The link carries only this row's id and nonce (signed, expiring); it is used once.
    """

    __tablename__ = "customer_signoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(
        ForeignKey("period_lines.id", ondelete="CASCADE"), index=True, nullable=False
    )
    nonce: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    email: Mapped[str] = mapped_column(String(254), default="", nullable=False)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # Filled when the customer answers: "approved" or "disputed", with their signature.
    decision: Mapped[str | None] = mapped_column(String(20))
    signer_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signer_address: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    comment: Mapped[str] = mapped_column(Text, default="", nullable=False)

    line: Mapped[PeriodLine] = relationship()


class ReminderSent(CompanyScoped, db.Model):
    """One reminder e-mail to one person about one period (at most one each)."""

    __tablename__ = "reminders_sent"
    __table_args__ = (
        UniqueConstraint("company_id", "user_id", "kind", "period_key", name="uq_reminders_once"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    # "employee" (missing or unsubmitted hours) or "approver" (periods waiting).
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    period_key: Mapped[str] = mapped_column(String(10), nullable=False)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

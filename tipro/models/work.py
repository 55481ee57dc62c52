"""Hours: time entries and the running timer (periods handed in: tipro.models.approval)."""

from __future__ import annotations

import datetime as dt
from datetime import datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tipro.extensions import db
from tipro.models.base import CompanyScoped, Timestamped, utcnow

if TYPE_CHECKING:
    from tipro.models.master import Activity, Employee, Project
    from tipro.models.people import User

# An entry's life: open → submitted → approved → transferred (returned/reopened → open again).
ENTRY_OPEN = "open"
ENTRY_SUBMITTED = "submitted"
ENTRY_APPROVED = "approved"
ENTRY_TRANSFERRED = "transferred"
ENTRY_STATES = (ENTRY_OPEN, ENTRY_SUBMITTED, ENTRY_APPROVED, ENTRY_TRANSFERRED)
LOCKED_ENTRY_STATES = (ENTRY_SUBMITTED, ENTRY_APPROVED, ENTRY_TRANSFERRED)

ENTRY_KINDS = ("work", "absence")  # "absence" is shaped by the extras (tipro/entries/extras.py)
ENTRY_SOURCES = ("web", "import", "timer", "api")


class TimeEntry(CompanyScoped, Timestamped, db.Model):
    """Hours one user worked on one day on a project/activity (or a general activity)."""

    __tablename__ = "time_entries"
    __table_args__ = (
        # Offline clients make the UUID; a replay upserts instead of adding a row.
        UniqueConstraint("company_id", "uuid", name="uq_time_entries_company_uuid"),
        # The writer's probe and the offline sync's owner check look a uuid up in every company.
        Index("ix_time_entries_uuid", "uuid"),
        Index("ix_time_entries_company_user_date", "company_id", "user_id", "date"),
        Index("ix_time_entries_project_date", "project_id", "date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), nullable=False)
    # Users are disabled, never deleted, while they have hours: no ON DELETE here on purpose.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    employee_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id", ondelete="SET NULL"), index=True
    )
    # The column is called `date`; the annotation names the type through `dt` to avoid the clash.
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    # Required for work (the service checks); nullable so other kinds may do without.
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    break_minutes: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    comment: Mapped[str] = mapped_column(Text, default="", nullable=False)
    state: Mapped[str] = mapped_column(String(20), default=ENTRY_OPEN, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), default="work", nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    client_modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(20), default="web", nullable=False)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    employee: Mapped[Employee | None] = relationship()
    project: Mapped[Project | None] = relationship()
    activity: Mapped[Activity | None] = relationship()

    # Not a column: the date an entry had before the save that returned it (None: the save
    # created it); set by tipro.entries.services.stage_entry.
    date_before_save = None

    @property
    def is_locked(self) -> bool:
        """Submitted, approved or transferred: read-only for the employee."""
        return self.state in LOCKED_ENTRY_STATES

    def __repr__(self) -> str:
        return f"<TimeEntry {self.id} {self.date} {self.hours} {self.state}>"


class Timer(CompanyScoped, db.Model):
    """The one running stamp clock of a user; stopping it makes a time entry."""

    __tablename__ = "timers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, nullable=False
    )
    comment: Mapped[str] = mapped_column(Text, default="", nullable=False)

    user: Mapped[User] = relationship()
    project: Mapped[Project | None] = relationship()
    activity: Mapped[Activity | None] = relationship()

"""Tripletex connection details and master-data sync state (runs, steps, cursors, webhook queue)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tipro.extensions import db
from tipro.models.base import CompanyScoped, utcnow

# SyncRun / SyncStep states.
SYNC_QUEUED = "queued"
SYNC_RUNNING = "running"
SYNC_DONE = "done"
SYNC_FAILED = "failed"
SYNC_ACTIVE = (SYNC_QUEUED, SYNC_RUNNING)

# What a run does: everything with set difference, digests/changedSince, or webhook changes only.
MODE_FULL = "full"
MODE_INCREMENTAL = "incremental"
MODE_CHANGES = "changes"


class TripletexConnection(CompanyScoped, db.Model):
    """Per-company connection details beyond the Company columns: session, webhooks, access."""

    __tablename__ = "tripletex_connections"
    __table_args__ = (UniqueConstraint("company_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The session token is cached (encrypted) so jobs reuse it instead of creating one per run.
    session_token_encrypted: Mapped[str | None] = mapped_column(Text)
    session_expires: Mapped[date | None] = mapped_column(Date)
    tripletex_employee_id: Mapped[int | None] = mapped_column(BigInteger)
    user_name: Mapped[str | None] = mapped_column(String(200))
    user_email: Mapped[str | None] = mapped_column(String(254))
    # Keys of the access checks that failed ("employees", "projects", "salary", "orders").
    missing_access: Mapped[list | None] = mapped_column(JSON)
    # The webhook URL carries a random key (not the company id); the secret is kept hashed.
    webhook_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    webhook_secret_hash: Mapped[str | None] = mapped_column(String(64))
    webhook_subscription_ids: Mapped[list | None] = mapped_column(JSON)
    webhook_status: Mapped[str] = mapped_column(String(20), default="none", nullable=False)
    webhook_error: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_request_id: Mapped[str | None] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class SyncRun(CompanyScoped, db.Model):
    """One sync of a company's master data; the admin page polls this row."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_company_status", "company_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mode: Mapped[str] = mapped_column(String(20), default=MODE_INCREMENTAL, nullable=False)
    trigger: Mapped[str] = mapped_column(String(20), default="manual", nullable=False)
    status: Mapped[str] = mapped_column(String(20), default=SYNC_QUEUED, nullable=False)
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    current_step: Mapped[str | None] = mapped_column(String(30))
    api_calls: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    created: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    updated: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    deactivated: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_request_id: Mapped[str | None] = mapped_column(String(80))

    steps: Mapped[list[SyncStep]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="SyncStep.id"
    )

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class SyncStep(CompanyScoped, db.Model):
    """One data type within a run: counts, calls and the Tripletex error if it failed."""

    __tablename__ = "sync_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("sync_runs.id", ondelete="CASCADE"), index=True, nullable=False
    )
    data_type: Mapped[str] = mapped_column(String(30), nullable=False)
    status: Mapped[str] = mapped_column(String(20), default=SYNC_RUNNING, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    updated: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    deactivated: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    api_calls: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    not_modified: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_request_id: Mapped[str | None] = mapped_column(String(80))

    run: Mapped[SyncRun] = relationship(back_populates="steps")

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class SyncCursor(CompanyScoped, db.Model):
    """Where the incremental sync of one data type stands: the list digest, changedSince."""

    __tablename__ = "sync_cursors"
    __table_args__ = (UniqueConstraint("company_id", "data_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    data_type: Mapped[str] = mapped_column(String(30), nullable=False)
    version_digest: Mapped[str | None] = mapped_column(String(200))
    changed_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_full_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SyncPendingChange(CompanyScoped, db.Model):
    """A webhook delivery waiting for its targeted refresh."""

    __tablename__ = "sync_pending_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    data_type: Mapped[str] = mapped_column(String(30), nullable=False)
    tripletex_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    event: Mapped[str] = mapped_column(String(50), nullable=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

"""The transfer ledger: what TiPro sends to Tripletex, item by item, and what came of it.

A TransferBatch is one transfer (payroll or orders) of one company for one calendar month.
Before any request, every item is recorded with its stable key, payload and payload hash and
the TiPro entries it covers; each item's state and Tripletex id/version are committed as soon
as they are known, so a rerun (or an RQ retry, or a restarted worker) continues instead of
re-posting. Items are generic over kinds (timesheet entries, salary-type specifications,
orders, …). tipro.transfers is the only writer of these rows.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tipro.extensions import db
from tipro.models.base import CompanyScoped, utcnow

if TYPE_CHECKING:
    from tipro.models.people import User
    from tipro.models.work import TimeEntry

# What is transferred, and how.
KIND_PAYROLL = "payroll"
KIND_ORDERS = "orders"
TRANSFER_KINDS = (KIND_PAYROLL, KIND_ORDERS)
MODE_TIMESHEET = "timesheet"
MODE_SALARY = "salary_transaction"
MODE_ORDERS = "orders"
TRANSFER_MODES = (MODE_TIMESHEET, MODE_SALARY, MODE_ORDERS)

# Company settings (Company.payroll_mode uses the pre-flight's names: "timesheet" | "salary").
PAYROLL_MODES = ("timesheet", "salary")
ORDER_GROUPINGS = ("project", "project_employee")

# A batch: planned (a dry run, never sent) | queued → running → done | partial (some items
# failed or need a check; «Prøv igjen» resends them).
BATCH_PLANNED = "planned"
BATCH_QUEUED = "queued"
BATCH_RUNNING = "running"
BATCH_DONE = "done"
BATCH_PARTIAL = "partial"
BATCH_ACTIVE = (BATCH_QUEUED, BATCH_RUNNING)

# Item kinds (the ROADMAP adds customer and project later).
ITEM_TIMESHEET_ENTRY = "timesheet_entry"
ITEM_SALARY_TYPE_SPEC = "salary_type_spec"
ITEM_SALARY_PROJECT_SPEC = "salary_project_spec"
ITEM_SALARY_TRANSACTION = "salary_transaction"
ITEM_ORDER = "order"
ITEM_ORDER_LINE = "order_line"
ITEM_KINDS = (
    ITEM_TIMESHEET_ENTRY,
    ITEM_SALARY_TYPE_SPEC,
    ITEM_SALARY_PROJECT_SPEC,
    ITEM_SALARY_TRANSACTION,
    ITEM_ORDER,
    ITEM_ORDER_LINE,
)

# What an item does in Tripletex.
OP_CREATE = "create"
OP_UPDATE = "update"
OP_DELETE = "delete"
OP_ADOPT = "adopt"  # take over an object found in Tripletex: PUT our payload onto it
OP_NONE = "none"  # unchanged: nothing to send
OPERATIONS = (OP_CREATE, OP_UPDATE, OP_DELETE, OP_ADOPT, OP_NONE)

# How the plan sees a key compared with the ledger.
CHANGE_NEW = "new"
CHANGE_CHANGED = "changed"
CHANGE_UNCHANGED = "unchanged"
CHANGE_CORRECTION = "correction"  # the total became 0: delete
CHANGES = (CHANGE_NEW, CHANGE_CHANGED, CHANGE_UNCHANGED, CHANGE_CORRECTION)

# An item: planned (dry run) | pending → sending → confirmed | failed | needs_check;
# unchanged (nothing to send); left (the admin chose to leave a foreign entry alone).
ITEM_PLANNED = "planned"
ITEM_PENDING = "pending"
ITEM_SENDING = "sending"
ITEM_CONFIRMED = "confirmed"
ITEM_FAILED = "failed"
ITEM_NEEDS_CHECK = "needs_check"
ITEM_UNCHANGED = "unchanged"
ITEM_LEFT = "left"
ITEM_STATES = (
    ITEM_PLANNED,
    ITEM_PENDING,
    ITEM_SENDING,
    ITEM_CONFIRMED,
    ITEM_FAILED,
    ITEM_NEEDS_CHECK,
    ITEM_UNCHANGED,
    ITEM_LEFT,
)
# Done with: nothing more will be sent for the item in its batch.
ITEM_SETTLED = (ITEM_CONFIRMED, ITEM_UNCHANGED, ITEM_LEFT)


class TransferBatch(CompanyScoped, db.Model):
    """One transfer of a company's approved hours for one month; the admin page polls it."""

    __tablename__ = "transfer_batches"
    __table_args__ = (
        Index("ix_transfer_batches_company_kind_state", "company_id", "kind", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    mode: Mapped[str] = mapped_column(String(30), nullable=False)
    month: Mapped[dt.date] = mapped_column(Date, nullable=False)  # the month's first day
    state: Mapped[str] = mapped_column(String(20), default=BATCH_QUEUED, nullable=False)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    job_id: Mapped[str | None] = mapped_column(String(120))
    # Counts, kept in step by the runner (the page shows them without counting items).
    total_items: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    confirmed_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    failed_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    needs_check_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    unchanged_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    api_calls: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    error_message: Mapped[str | None] = mapped_column(Text)

    created_by: Mapped[User | None] = relationship()
    items: Mapped[list[TransferItem]] = relationship(
        back_populates="batch", cascade="all, delete-orphan", order_by="TransferItem.id"
    )

    @property
    def month_key(self) -> str:
        """«2026-11»."""
        return f"{self.month.year}-{self.month.month:02d}"

    @property
    def is_active(self) -> bool:
        return self.state in BATCH_ACTIVE

    def __repr__(self) -> str:
        return f"<TransferBatch {self.id} {self.kind} {self.month_key} {self.state}>"


class TransferItem(CompanyScoped, db.Model):
    """One object TiPro wants in Tripletex (per stable key), and what happened to it."""

    __tablename__ = "transfer_items"
    __table_args__ = (
        Index("ix_transfer_items_batch_state", "batch_id", "state"),
        Index("ix_transfer_items_company_key", "company_id", "item_kind", "key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("transfer_batches.id", ondelete="CASCADE"), nullable=False
    )
    item_kind: Mapped[str] = mapped_column(String(30), nullable=False)
    # Stable across transfers: e.g. «ts:<employee>:<date>:<project or 0>:<activity>» (ids are
    # Tripletex's), so the next plan finds what was sent and reconcile finds it in Tripletex.
    key: Mapped[str] = mapped_column(String(200), nullable=False)
    operation: Mapped[str] = mapped_column(String(10), nullable=False)
    change: Mapped[str] = mapped_column(String(12), nullable=False)
    payload: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    payload_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    # Who and what it is about, for the pages (Tripletex ids and TiPro's user).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    tripletex_employee_id: Mapped[int | None] = mapped_column(BigInteger)
    date: Mapped[dt.date | None] = mapped_column(Date)
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    state: Mapped[str] = mapped_column(String(20), default=ITEM_PENDING, nullable=False)
    # The Tripletex object: known before sending for update/delete/adopt, after for create.
    tripletex_id: Mapped[int | None] = mapped_column(BigInteger)
    tripletex_version: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # The last error: Tripletex's status, code, field, message and request id, our code
    # (foreign_entry, locked, preflight, …) and a Norwegian fix-it hint.
    error_status: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_field: Mapped[str | None] = mapped_column(String(200))
    error_message: Mapped[str | None] = mapped_column(Text)
    error_request_id: Mapped[str | None] = mapped_column(String(80))
    hint: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    batch: Mapped[TransferBatch] = relationship(back_populates="items")
    entries: Mapped[list[TransferItemEntry]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="TransferItemEntry.id"
    )
    log: Mapped[list[TransferLog]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="TransferLog.id"
    )

    def __repr__(self) -> str:
        return f"<TransferItem {self.id} {self.key} {self.operation} {self.state}>"


class TransferItemEntry(CompanyScoped, db.Model):
    """A TiPro entry an item covers, with what it contributed when the item was planned."""

    __tablename__ = "transfer_item_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("transfer_items.id", ondelete="CASCADE"), index=True, nullable=False
    )
    # Entries are never deleted while transferred; a deleted one leaves the snapshot.
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("time_entries.id", ondelete="SET NULL"), index=True
    )
    hours: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"), nullable=False)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))

    item: Mapped[TransferItem] = relationship(back_populates="entries")
    entry: Mapped[TimeEntry | None] = relationship()


class TransferLog(CompanyScoped, db.Model):
    """One request about an item and its answer (no tokens: tipro.tripletex.redact)."""

    __tablename__ = "transfer_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("transfer_items.id", ondelete="CASCADE"), index=True, nullable=False
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    method: Mapped[str] = mapped_column(String(10), nullable=False)
    path: Mapped[str] = mapped_column(String(300), nullable=False)
    status: Mapped[int | None] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(80))
    duration_ms: Mapped[float | None] = mapped_column(Float)
    request: Mapped[dict | list | None] = mapped_column(JSON)
    response: Mapped[dict | list | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)

    item: Mapped[TransferItem] = relationship(back_populates="log")

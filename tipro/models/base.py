"""Shared column mixins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from tipro import clock


def utcnow() -> datetime:
    """Timezone-aware now in UTC (stored as UTC everywhere)."""
    return clock.now()


class CompanyScoped:
    """A row that belongs to one company; queries are filtered by tipro.tenancy."""

    @declared_attr
    def company_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(
            Integer, ForeignKey("companies.id", ondelete="CASCADE"), index=True, nullable=False
        )


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class TripletexSynced(CompanyScoped):
    """Master data mirrored from Tripletex; Tripletex is the master, TiPro never edits it."""

    tripletex_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tripletex_version: Mapped[int | None] = mapped_column(Integer)
    # Rows that hours refer to are never deleted: they become inactive and leave the pickers.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

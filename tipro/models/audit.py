"""An append-only audit log: who changed what, when, old → new."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tipro.extensions import db
from tipro.models.base import CompanyScoped, utcnow


class AuditEvent(CompanyScoped, db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entity: Mapped[str] = mapped_column(String(50), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(30), nullable=False)
    # {"field": [old, new], ...} with values as strings, so Decimal/date survive JSON.
    changes: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)

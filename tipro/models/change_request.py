"""Change requests: hours made offline for a period that was handed in or approved meanwhile,
sent to the approver instead of being lost (tipro.approvals.change_requests writes them).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tipro.extensions import db
from tipro.models.base import CompanyScoped, utcnow

if TYPE_CHECKING:
    from tipro.models.approval import Period
    from tipro.models.people import User

REQUEST_PENDING = "pending"
REQUEST_ACCEPTED = "accepted"
REQUEST_DECLINED = "declined"
REQUEST_STATES = (REQUEST_PENDING, REQUEST_ACCEPTED, REQUEST_DECLINED)


class ChangeRequest(CompanyScoped, db.Model):
    """One entry (new, changed or deleted) a person asks to have in a locked period."""

    __tablename__ = "change_requests"
    __table_args__ = (
        Index("ix_change_requests_company_state", "company_id", "state"),
        Index("ix_change_requests_user_uuid", "user_id", "entry_uuid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    entry_uuid: Mapped[str] = mapped_column(String(36), nullable=False)
    # The queued item as the sync API takes it (uuid, date, project_id, …, deleted).
    proposed: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    message: Mapped[str] = mapped_column(Text, default="", nullable=False)
    period_id: Mapped[int | None] = mapped_column(ForeignKey("periods.id", ondelete="SET NULL"))
    # Who is asked (as for the period's line: project manager, approver, department manager);
    # None: the admins.
    approver_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(String(20), default=REQUEST_PENDING, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The approver's reason (declined), or why the accepted entry could not be saved.
    reason: Mapped[str] = mapped_column(Text, default="", nullable=False)
    # When the person dismissed the outcome (their start page shows it until then).
    seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    approver: Mapped[User | None] = relationship(foreign_keys=[approver_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    period: Mapped[Period | None] = relationship()

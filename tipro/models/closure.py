"""Days the company is closed (e.g. «Romjul»): no normal working time on them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tipro.extensions import db
from tipro.models.base import CompanyScoped, Timestamped


class ClosureDay(CompanyScoped, Timestamped, db.Model):
    """One day the company is closed, set by an admin (tipro.worktime reads them)."""

    __tablename__ = "closure_days"
    __table_args__ = (UniqueConstraint("company_id", "date", name="uq_closure_days_company_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The column is called `date`; the annotation names the type through `dt` to avoid the clash.
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    name: Mapped[str] = mapped_column(String(100), default="", nullable=False)

    def __repr__(self) -> str:
        return f"<ClosureDay {self.date} {self.name!r}>"

"""Master data mirrored from Tripletex (Tripletex is the master; synced, never edited here)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tipro.extensions import db
from tipro.models.base import CompanyScoped, TripletexSynced


def _tripletex_unique(table: str) -> UniqueConstraint:
    return UniqueConstraint("company_id", "tripletex_id", name=f"uq_{table}_company_tripletex")


class Division(TripletexSynced, db.Model):
    """A legal sub-unit (virksomhet); payroll needs the employment to point to one."""

    __tablename__ = "divisions"
    __table_args__ = (_tripletex_unique("divisions"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    organization_number: Mapped[str | None] = mapped_column(String(20))


class Department(TripletexSynced, db.Model):
    __tablename__ = "departments"
    __table_args__ = (_tripletex_unique("departments"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    number: Mapped[str | None] = mapped_column(String(50))
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id", ondelete="SET NULL", use_alter=True)
    )

    manager: Mapped[Employee | None] = relationship(foreign_keys=[manager_id])


class Employee(TripletexSynced, db.Model):
    """A Tripletex employee; active means an employment covers today."""

    __tablename__ = "employees"
    __table_args__ = (_tripletex_unique("employees"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    last_name: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    employee_number: Mapped[str | None] = mapped_column(String(50))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL")
    )
    division_id: Mapped[int | None] = mapped_column(ForeignKey("divisions.id", ondelete="SET NULL"))
    employment_start: Mapped[date | None] = mapped_column(Date)
    employment_end: Mapped[date | None] = mapped_column(Date)
    # Of that employment (tipro.worktime): the percentage of full time valid today,
    # and every employment details row as [[date ISO, percentage as text], ...] oldest first,
    # so the normal working time of any past day uses the details valid on it.
    employment_percentage: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    employment_details: Mapped[list | None] = mapped_column(JSON)
    # Remaining vacation as Tripletex gives it (the outgoing balance of the month it was read,
    # in days) and the day it was read; both None until the sync has read it.
    vacation_balance: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    vacation_read_on: Mapped[date | None] = mapped_column(Date)

    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])
    division: Mapped[Division | None] = relationship()

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Customer(TripletexSynced, db.Model):
    __tablename__ = "customers"
    __table_args__ = (_tripletex_unique("customers"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    number: Mapped[int | None] = mapped_column(Integer)
    organization_number: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))


class Project(TripletexSynced, db.Model):
    __tablename__ = "projects"
    __table_args__ = (_tripletex_unique("projects"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    number: Mapped[str | None] = mapped_column(String(50), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    project_manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id", ondelete="SET NULL")
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL")
    )
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    is_fixed_price: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    for_participants_only: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # Set in TiPro, never by the sync: hours must also be signed off by the hiring customer.
    customer_signoff: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="0", nullable=False
    )
    customer_signoff_email: Mapped[str | None] = mapped_column(String(254))

    customer: Mapped[Customer | None] = relationship()
    project_manager: Mapped[Employee | None] = relationship(foreign_keys=[project_manager_id])
    department: Mapped[Department | None] = relationship()
    participants: Mapped[list[ProjectParticipant]] = relationship(
        back_populates="project", cascade="all, delete-orphan"
    )
    project_activities: Mapped[list[ProjectActivity]] = relationship(
        back_populates="project", cascade="all, delete-orphan"
    )

    @property
    def display_name(self) -> str:
        return f"{self.number} {self.name}" if self.number else self.name

    def is_open_on(self, day: date) -> bool:
        """Open for hours on `day`: not closed, active, and within its dates."""
        if self.is_closed or not self.is_active:
            return False
        if self.start_date and day < self.start_date:
            return False
        return not (self.end_date and day > self.end_date)


class ProjectParticipant(CompanyScoped, db.Model):
    __tablename__ = "project_participants"
    __table_args__ = (UniqueConstraint("project_id", "employee_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tripletex_id: Mapped[int | None] = mapped_column(Integer)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))

    project: Mapped[Project] = relationship(back_populates="participants")
    employee: Mapped[Employee] = relationship()


class Activity(TripletexSynced, db.Model):
    """A Tripletex activity: general (any project/none) or project activity."""

    __tablename__ = "activities"
    __table_args__ = (_tripletex_unique("activities"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    number: Mapped[str | None] = mapped_column(String(50))
    is_general: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    is_project_activity: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    is_chargeable: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    rate: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    @property
    def without_project(self) -> bool:
        """GENERAL_ACTIVITY: for hours without a project (absence too), and only those
        (tipro.entries.pickers says it in SQL, tipro.entries.master.ActivityDef for its copies)."""
        return self.is_general and not self.is_project_activity


class ProjectActivity(CompanyScoped, db.Model):
    """An activity allowed on a project, optionally within dates."""

    __tablename__ = "project_activities"
    __table_args__ = (UniqueConstraint("project_id", "activity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tripletex_id: Mapped[int | None] = mapped_column(Integer)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    project: Mapped[Project] = relationship(back_populates="project_activities")
    activity: Mapped[Activity] = relationship()


class SalaryType(TripletexSynced, db.Model):
    __tablename__ = "salary_types"
    __table_args__ = (_tripletex_unique("salary_types"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    show_in_timesheet: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)


class VatType(TripletexSynced, db.Model):
    __tablename__ = "vat_types"
    __table_args__ = (_tripletex_unique("vat_types"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    percentage: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))


class Product(TripletexSynced, db.Model):
    __tablename__ = "products"
    __table_args__ = (_tripletex_unique("products"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    price_excluding_vat: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    vat_type_id: Mapped[int | None] = mapped_column(ForeignKey("vat_types.id", ondelete="SET NULL"))

    vat_type: Mapped[VatType | None] = relationship()


class HourlyRate(CompanyScoped, db.Model):
    """A resolved hourly rate: per project (and optionally activity/employee) from a date."""

    __tablename__ = "hourly_rates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tripletex_id: Mapped[int | None] = mapped_column(Integer)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    start_date: Mapped[date | None] = mapped_column(Date)
    rate_model: Mapped[str | None] = mapped_column(String(50))
    rate: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)

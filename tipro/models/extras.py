"""What an entry carries besides hours: supplements, absence and the company's own fields."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from tipro.extensions import db
from tipro.models.base import CompanyScoped, Timestamped
from tipro.models.master import Activity, Product, Project, SalaryType

# Unit a supplement is counted in; "nok" is an amount of money (toll, parking).
SUPPLEMENT_UNITS = ("hours", "km", "pieces", "nok")
# "day": at most one per employee and day (per diem); "entry": any entry may carry it.
SUPPLEMENT_PER = ("entry", "day")
ABSENCE_CODES = ("ferie", "sykdom", "egenmelding", "permisjon", "avspasering", "annet")
CUSTOM_FIELD_TYPES = ("text", "number", "choice", "yesno")
NAME_KEY_LENGTH = 400


def name_key(name: str | None) -> str:
    """What a name is unique by: NFKC, Unicode case-folded, spaces squeezed («Sykt barn Å»
    and «SYKT  BARN å» are one name). Stored in its own column with the unique constraint,
    because SQLite's lower() folds ASCII only and PostgreSQL's depends on the collation."""
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    return " ".join(folded.split())[:NAME_KEY_LENGTH]


class _NamedByKey:
    """A row whose `name` is unique per company, compared by `name_key` (kept in step)."""

    name_key: Mapped[str] = mapped_column(String(NAME_KEY_LENGTH), nullable=False)

    @validates("name")
    def _keep_name_key(self, _attribute: str, value: str) -> str:
        self.name_key = name_key(value)
        return value


class SupplementType(_NamedByKey, CompanyScoped, Timestamped, db.Model):
    """A supplement the admin offers (overtime, per diem, mileage…), mapped for the transfer."""

    __tablename__ = "supplement_types"
    __table_args__ = (
        UniqueConstraint("company_id", "name_key", name="uq_supplement_types_name_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    unit: Mapped[str] = mapped_column(String(10), default="hours", nullable=False)
    per: Mapped[str] = mapped_column(String(10), default="entry", nullable=False)
    salary_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("salary_types.id", ondelete="SET NULL")
    )
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    billable: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # Materials: the employee picks the product on the entry (product × quantity).
    asks_for_product: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # Types that entries refer to are never deleted, only deactivated.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    salary_type: Mapped[SalaryType | None] = relationship()
    product: Mapped[Product | None] = relationship()


class EntrySupplement(CompanyScoped, db.Model):
    """One supplement on one time entry: a quantity in the type's unit."""

    __tablename__ = "entry_supplements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("time_entries.id", ondelete="CASCADE"), index=True, nullable=False
    )
    supplement_type_id: Mapped[int] = mapped_column(
        ForeignKey("supplement_types.id"), index=True, nullable=False
    )
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    # Known money value (NOK types, or product price × quantity); None when payroll prices it.
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    comment: Mapped[str] = mapped_column(String(500), default="", nullable=False)

    supplement_type: Mapped[SupplementType] = relationship()
    product: Mapped[Product | None] = relationship()


class AbsenceType(_NamedByKey, CompanyScoped, Timestamped, db.Model):
    """Holiday, sick leave, leave, time off in lieu: hours on an absence activity."""

    __tablename__ = "absence_types"
    __table_args__ = (UniqueConstraint("company_id", "name_key", name="uq_absence_types_name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    code: Mapped[str] = mapped_column(String(20), default="annet", nullable=False)
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL")
    )
    salary_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("salary_types.id", ondelete="SET NULL")
    )
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    activity: Mapped[Activity | None] = relationship()
    salary_type: Mapped[SalaryType | None] = relationship()


class EntryAbsence(CompanyScoped, db.Model):
    """Marks a time entry as absence of a given type (the entry holds date and hours)."""

    __tablename__ = "entry_absences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("time_entries.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    absence_type_id: Mapped[int] = mapped_column(
        ForeignKey("absence_types.id"), index=True, nullable=False
    )

    absence_type: Mapped[AbsenceType] = relationship()


class CustomField(CompanyScoped, Timestamped, db.Model):
    """A field the company asks for on entries: everywhere, or on one project."""

    __tablename__ = "custom_fields"
    __table_args__ = (UniqueConstraint("company_id", "key", name="uq_custom_fields_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The column name in imports and reports; letters, digits and '_' only.
    key: Mapped[str] = mapped_column(String(50), nullable=False)
    label: Mapped[str] = mapped_column(String(100), nullable=False)
    field_type: Mapped[str] = mapped_column(String(10), default="text", nullable=False)
    choices: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    required: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    # Appended to the comment sent to Tripletex ("Label: value").
    include_in_transfer: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    project: Mapped[Project | None] = relationship()


class CustomFieldValue(CompanyScoped, db.Model):
    """The value of one custom field on one entry, stored as canonical text."""

    __tablename__ = "custom_field_values"
    __table_args__ = (
        UniqueConstraint("entry_id", "field_id", name="uq_custom_field_values_entry_field"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("time_entries.id", ondelete="CASCADE"), index=True, nullable=False
    )
    field_id: Mapped[int] = mapped_column(
        ForeignKey("custom_fields.id"), index=True, nullable=False
    )
    value: Mapped[str] = mapped_column(Text, default="", nullable=False)

    field: Mapped[CustomField] = relationship()

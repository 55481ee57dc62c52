"""The company's active extras definitions, as the entry form, validation and import read them.

Queries run within the current company scope (tipro.tenancy); the admin pages that edit the
definitions live in tipro.admin.extras_*.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from tipro.entries.extras.display import stored_form_values
from tipro.extensions import db
from tipro.models import AbsenceType, CustomField, Product, SupplementType


def active_fields(project_id: int | None) -> list[CustomField]:
    """Custom fields for an entry on `project_id`: the company-wide ones plus the project's."""
    query = select(CustomField).where(CustomField.is_active.is_(True))
    if project_id:
        query = query.where(
            (CustomField.project_id.is_(None)) | (CustomField.project_id == project_id)
        )
    else:
        query = query.where(CustomField.project_id.is_(None))
    return list(db.session.scalars(query.order_by(CustomField.position, CustomField.label)))


def fields_by_key() -> dict[str, CustomField]:
    """All active custom fields (any project) by key: the import's extra columns."""
    query = select(CustomField).where(CustomField.is_active.is_(True))
    return {f.key: f for f in db.session.scalars(query)}


def has_project_fields() -> bool:
    query = select(CustomField.id).where(
        CustomField.is_active.is_(True), CustomField.project_id.is_not(None)
    )
    return db.session.scalar(query.limit(1)) is not None


def active_supplement_types() -> list[SupplementType]:
    return list(
        db.session.scalars(
            select(SupplementType)
            .where(SupplementType.is_active.is_(True))
            .order_by(SupplementType.position, SupplementType.name)
        )
    )


def active_absence_types() -> list[AbsenceType]:
    """Absence types that can be registered (active, with an activity)."""
    return list(
        db.session.scalars(
            select(AbsenceType)
            .where(AbsenceType.is_active.is_(True), AbsenceType.activity_id.is_not(None))
            .order_by(AbsenceType.position, AbsenceType.name)
        )
    )


def active_absence_type(type_id: int | None) -> AbsenceType | None:
    """One registrable absence type, else None."""
    return next((t for t in active_absence_types() if t.id == type_id), None)


def active_products() -> list[Product]:
    return list(
        db.session.scalars(
            select(Product)
            .where(Product.is_active.is_(True))
            .order_by(Product.number, Product.name)
        )
    )


def active_product(product_id: int | None) -> Product | None:
    if product_id is None:
        return None
    return db.session.scalar(
        select(Product).where(Product.id == product_id, Product.is_active.is_(True))
    )


def unit_names() -> dict[str, str]:
    return {"hours": _("timer"), "km": _("km"), "pieces": _("stk"), "nok": _("kr")}


def form_context(project_id: int | None) -> dict:
    """Context (`form_extras`) for `entries/_extras_fields.html`; empty without extras."""
    fields = active_fields(project_id)
    supplement_types = active_supplement_types()
    needs_products = any(t.asks_for_product for t in supplement_types)
    return {
        "fields": fields,
        "supplement_types": supplement_types,
        "products": active_products() if needs_products else [],
        "project_id": project_id,
        "values_for": stored_form_values,
        "unit_names": unit_names(),
        # A field of another project still needs the (empty) block in the form, so that it
        # can appear when the user picks that project.
        "any": bool(fields or supplement_types) or has_project_fields(),
    }

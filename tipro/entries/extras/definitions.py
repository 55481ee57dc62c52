"""The company's active extras definitions, as the entry form, validation and import read them.

Queries run within the current company scope (tipro.tenancy); the admin pages that edit the
definitions live in tipro.admin.extras_*.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from tipro.entries import master
from tipro.entries.extras.display import stored_form_values
from tipro.entries.master import AbsenceDef, FieldDef, ProductDef, SupplementDef
from tipro.extensions import db
from tipro.models import AbsenceType, CustomField, Product, SupplementType

# Kept for callers that drop the lists themselves; writes of definitions do it on their own.
forget = master.forget


def _all_active_fields() -> tuple[FieldDef, ...]:
    c = CustomField
    query = (
        select(
            c.id,
            c.key,
            c.label,
            c.field_type,
            c.choices,
            c.required,
            c.project_id,
            c.include_in_transfer,
            c.position,
        )
        .where(c.is_active.is_(True))
        .order_by(c.position, c.label)
    )
    return tuple(
        FieldDef(
            row.id,
            row.key,
            row.label,
            row.field_type,
            tuple(row.choices or ()),
            row.required,
            row.project_id,
            row.include_in_transfer,
            row.position,
        )
        for row in db.session.execute(query)
    )


def _active_supplement_types() -> tuple[SupplementDef, ...]:
    t = SupplementType
    query = (
        select(
            t.id,
            t.name,
            t.unit,
            t.per,
            t.salary_type_id,
            t.product_id,
            t.billable,
            t.asks_for_product,
            t.position,
        )
        .where(t.is_active.is_(True))
        .order_by(t.position, t.name)
    )
    return tuple(SupplementDef(*row) for row in db.session.execute(query))


def _active_absence_types() -> tuple[AbsenceDef, ...]:
    t = AbsenceType
    query = (
        select(t.id, t.name, t.code, t.activity_id, t.salary_type_id, t.position)
        .where(t.is_active.is_(True), t.activity_id.is_not(None))
        .order_by(t.position, t.name)
    )
    return tuple(AbsenceDef(*row) for row in db.session.execute(query))


def _active_products() -> tuple[ProductDef, ...]:
    p = Product
    query = (
        select(p.id, p.number, p.name, p.price_excluding_vat)
        .where(p.is_active.is_(True))
        .order_by(p.number, p.name)
    )
    return tuple(ProductDef(*row) for row in db.session.execute(query))


def all_active_fields() -> tuple[FieldDef, ...]:
    """Every active custom field (company-wide and per project), cached (tipro.entries.master)."""
    return master.cached("fields", _all_active_fields)


def active_fields(project_id: int | None) -> list[FieldDef]:
    """Custom fields for an entry on `project_id`: the company-wide ones plus the project's."""
    return [
        f
        for f in all_active_fields()
        if f.project_id is None or (project_id and f.project_id == project_id)
    ]


def fields_by_key() -> dict[str, FieldDef]:
    """All active custom fields (any project) by key: the import's extra columns."""
    return {f.key: f for f in all_active_fields()}


def has_project_fields() -> bool:
    return any(f.project_id is not None for f in all_active_fields())


def active_supplement_types() -> tuple[SupplementDef, ...]:
    return master.cached("supplement_types", _active_supplement_types)


def active_absence_types() -> tuple[AbsenceDef, ...]:
    """Absence types that can be registered (active, with an activity)."""
    return master.cached("absence_types", _active_absence_types)


def active_absence_type(type_id: int | None) -> AbsenceDef | None:
    """One registrable absence type, else None."""
    return next((t for t in active_absence_types() if t.id == type_id), None)


def active_products() -> tuple[ProductDef, ...]:
    return master.cached("products", _active_products)


def active_product(product_id: int | None) -> ProductDef | None:
    if product_id is None:
        return None
    return next((p for p in active_products() if p.id == product_id), None)


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

"""The company's active extras definitions, as the entry form, validation and import read them.

Queries run within the current company scope (tipro.tenancy); the admin pages that edit the
definitions live in tipro.admin.extras_*.
"""

from __future__ import annotations

from flask import g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tipro import tenancy
from tipro.entries.extras.display import stored_form_values
from tipro.extensions import db
from tipro.models import AbsenceType, CustomField, Product, SupplementType

_CACHE = "_tipro_extras_definitions"
# Rows whose change makes a cached list stale (a flush of them forgets the cache).
_DEFINITIONS = (CustomField, SupplementType, AbsenceType, Product)


def _per_request(name: str, load):
    """`load()` once per request and transaction; outside a request (jobs, CLI) every time.

    Forgotten on commit and rollback and when definitions are written (admin edits, sync),
    so a page never shows a list older than its own transaction.
    """
    if not has_request_context():
        return load()
    cache = g.setdefault(_CACHE, {})
    if name not in cache:
        cache[name] = load()
    return cache[name]


def forget(*_args) -> None:
    """Drop this request's cached definitions."""
    if has_request_context():
        g.pop(_CACHE, None)


def _forget_after_flush(session, _context) -> None:
    if any(
        isinstance(row, _DEFINITIONS) for row in (*session.new, *session.dirty, *session.deleted)
    ):
        forget()


def _forget_after_write(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        forget()


for _name, _listener in (
    ("after_commit", forget),
    ("after_soft_rollback", forget),
    ("after_flush", _forget_after_flush),
    ("do_orm_execute", _forget_after_write),
):
    if not event.contains(Session, _name, _listener):
        event.listen(Session, _name, _listener)


def _all_active_fields() -> list[CustomField]:
    query = select(CustomField).where(CustomField.is_active.is_(True))
    return list(db.session.scalars(query.order_by(CustomField.position, CustomField.label)))


def all_active_fields() -> list[CustomField]:
    """Every active custom field (company-wide and per project), loaded once per request."""
    return _per_request("fields", _all_active_fields)


def active_fields(project_id: int | None) -> list[CustomField]:
    """Custom fields for an entry on `project_id`: the company-wide ones plus the project's."""
    return [
        f
        for f in all_active_fields()
        if f.project_id is None or (project_id and f.project_id == project_id)
    ]


def fields_by_key() -> dict[str, CustomField]:
    """All active custom fields (any project) by key: the import's extra columns."""
    return {f.key: f for f in all_active_fields()}


def has_project_fields() -> bool:
    return any(f.project_id is not None for f in all_active_fields())


def active_supplement_types() -> list[SupplementType]:
    return _per_request(
        "supplement_types",
        lambda: tenancy.active_rows(SupplementType, SupplementType.position, SupplementType.name),
    )


def active_absence_types() -> list[AbsenceType]:
    """Absence types that can be registered (active, with an activity)."""
    return _per_request(
        "absence_types",
        lambda: tenancy.active_rows(
            AbsenceType,
            AbsenceType.position,
            AbsenceType.name,
            where=[AbsenceType.activity_id.is_not(None)],
        ),
    )


def active_absence_type(type_id: int | None) -> AbsenceType | None:
    """One registrable absence type, else None."""
    return next((t for t in active_absence_types() if t.id == type_id), None)


def active_products() -> list[Product]:
    return _per_request(
        "products", lambda: tenancy.active_rows(Product, Product.number, Product.name)
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

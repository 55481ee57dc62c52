"""An entry's extras as text: lists and the edit page, the edit form's values, the transfer."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from tipro.entries.extras import ABSENCE_KEY, field_key, supplement_key
from tipro.extensions import db
from tipro.models import (
    AbsenceType,
    CustomField,
    CustomFieldValue,
    EntryAbsence,
    EntrySupplement,
    Product,
    SupplementType,
    TimeEntry,
)


def fmt_quantity(value: Decimal) -> str:
    """Decimal(4.00) → '4', Decimal(2.50) → '2,5' (Norwegian decimal comma)."""
    return format(value.normalize(), "f").replace(".", ",")


def stored(entry_id: int):
    """(custom field values, supplements, absence link) stored for one entry."""
    values = list(
        db.session.scalars(select(CustomFieldValue).where(CustomFieldValue.entry_id == entry_id))
    )
    supplements = list(
        db.session.scalars(select(EntrySupplement).where(EntrySupplement.entry_id == entry_id))
    )
    link = db.session.scalar(select(EntryAbsence).where(EntryAbsence.entry_id == entry_id))
    return values, supplements, link


def stored_form_values(entry: TimeEntry | None) -> dict[str, str]:
    """The entry's extras as posted form values (to fill the edit form)."""
    if entry is None or entry.id is None:
        return {}
    values, supplements, link = stored(entry.id)
    if entry.kind == "absence" and link is not None:
        return {"kind": "absence", ABSENCE_KEY: str(link.absence_type_id)}
    form = {field_key(value.field.key): value.value for value in values}
    for supplement in supplements:
        key = supplement_key(supplement.supplement_type_id)
        form[key] = fmt_quantity(supplement.quantity)
        if supplement.product_id:
            form[f"{key}_product"] = str(supplement.product_id)
    return form


def describe_extras(entry: TimeEntry) -> list[tuple[str, str]]:
    """(label, value) pairs describing the entry's extras (one entry; lists use the batch)."""
    return describe_extras_for([entry]).get(entry.id, [])


def describe_extras_for(entries) -> dict[int, list[tuple[str, str]]]:
    """entry id → (label, value) pairs for a whole list, in three statements however long."""
    ids = sorted({e.id for e in entries if e.id is not None})
    described: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
    if not ids:
        return described
    for entry_id, name in db.session.execute(
        select(EntryAbsence.entry_id, AbsenceType.name)
        .join(AbsenceType, AbsenceType.id == EntryAbsence.absence_type_id)
        .where(EntryAbsence.entry_id.in_(ids))
    ):
        described[entry_id].append((_("Fravær"), name))
    units = {"hours": _("t"), "km": _("km"), "pieces": _("stk"), "nok": _("kr")}
    for entry_id, quantity, type_name, unit, product_name in db.session.execute(
        select(
            EntrySupplement.entry_id,
            EntrySupplement.quantity,
            SupplementType.name,
            SupplementType.unit,
            Product.name,
        )
        .join(SupplementType, SupplementType.id == EntrySupplement.supplement_type_id)
        .outerjoin(Product, Product.id == EntrySupplement.product_id)
        .where(EntrySupplement.entry_id.in_(ids))
        .order_by(EntrySupplement.entry_id, EntrySupplement.id)
    ):
        text = f"{fmt_quantity(quantity)} {units[unit]}"
        if product_name is not None:
            text += f" {product_name}"
        described[entry_id].append((type_name, text))
    for entry_id, value, label, field_type in db.session.execute(
        select(
            CustomFieldValue.entry_id,
            CustomFieldValue.value,
            CustomField.label,
            CustomField.field_type,
        )
        .join(CustomField, CustomField.id == CustomFieldValue.field_id)
        .where(CustomFieldValue.entry_id.in_(ids))
        .order_by(CustomFieldValue.entry_id, CustomField.position, CustomField.label)
    ):
        text = value
        if field_type == "yesno":
            text = _("Ja") if value == "ja" else _("Nei")
        elif field_type == "number":
            text = value.replace(".", ",")
        described[entry_id].append((label, text))
    return described


def transfer_comment(entry: TimeEntry) -> str:
    """The entry's comment with the custom fields marked for the transfer appended.

    Read by the coming transfer (tipro.transfers) when it sends hours to Tripletex.
    """
    parts = [entry.comment.strip()] if entry.comment and entry.comment.strip() else []
    for value in db.session.scalars(
        select(CustomFieldValue)
        .join(CustomField, CustomField.id == CustomFieldValue.field_id)
        .where(
            CustomFieldValue.entry_id == entry.id,
            CustomField.include_in_transfer.is_(True),
        )
        .order_by(CustomField.position, CustomField.label)
    ):
        parts.append(f"{value.field.label}: {value.value}")
    return " · ".join(parts)

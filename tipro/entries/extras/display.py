"""An entry's extras as text: lists and the edit page, the edit form's values, the transfer."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import (
    Integer,
    Numeric,
    Select,
    String,
    bindparam,
    cast,
    exists,
    literal,
    null,
    or_,
    select,
    union_all,
)

from tipro import tenancy
from tipro.entries import master
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


def _ever_defined() -> bool:
    company_id = tenancy.current_company_id()
    if company_id is None:
        return True  # no scope to ask within: assume there may be extras
    return bool(
        db.session.scalar(
            select(
                or_(
                    *(
                        exists().where(model.company_id == company_id)
                        for model in (CustomField, SupplementType, AbsenceType)
                    )
                )
            )
        )
    )


def extras_ever_defined() -> bool:
    """Whether the company has any custom field, supplement or absence type, even inactive
    (cached per master-data version): without one, no entry can have extras."""
    return master.cached("extras_ever_defined", _ever_defined)


_DESCRIBE: Select | None = None


def _describe_statement() -> Select:
    """The union of an entry list's absences, supplements and custom field values, built once
    (its `ids` are an expanding parameter): only the rows are left to each call."""
    global _DESCRIBE
    if _DESCRIBE is not None:
        return _DESCRIBE
    ids = bindparam("ids", expanding=True)
    text, number, integer = String(), Numeric(), Integer()
    absences = (
        select(
            EntryAbsence.entry_id,
            literal(0, integer).label("part"),
            cast(null(), integer).label("k1"),
            AbsenceType.name.label("label"),
            cast(null(), number).label("quantity"),
            cast(null(), text).label("detail"),
            cast(null(), text).label("product"),
            cast(null(), text).label("value"),
        )
        .join(AbsenceType, AbsenceType.id == EntryAbsence.absence_type_id)
        .where(EntryAbsence.entry_id.in_(ids))
    )
    supplements = (
        select(
            EntrySupplement.entry_id,
            literal(1, integer),
            EntrySupplement.id,
            SupplementType.name,
            EntrySupplement.quantity,
            cast(SupplementType.unit, text),
            cast(Product.name, text),
            cast(null(), text),
        )
        .join(SupplementType, SupplementType.id == EntrySupplement.supplement_type_id)
        .outerjoin(Product, Product.id == EntrySupplement.product_id)
        .where(EntrySupplement.entry_id.in_(ids))
    )
    values = (
        select(
            CustomFieldValue.entry_id,
            literal(2, integer),
            CustomField.position,
            CustomField.label,
            cast(null(), number),
            cast(CustomField.field_type, text),
            cast(null(), text),
            cast(CustomFieldValue.value, text),
        )
        .join(CustomField, CustomField.id == CustomFieldValue.field_id)
        .where(CustomFieldValue.entry_id.in_(ids))
    )
    rows = union_all(absences, supplements, values).subquery()
    _DESCRIBE = select(rows).order_by(rows.c.entry_id, rows.c.part, rows.c.k1, rows.c.label)
    return _DESCRIBE


def describe_extras_for(entries) -> dict[int, list[tuple[str, str]]]:
    """entry id → (label, value) pairs for a whole list, in one statement however long (none
    when the company never defined an extra).

    Per entry: the absence type, then the supplements as stored, then the custom fields in
    their order.
    """
    ids = sorted({e.id for e in entries if e.id is not None})
    described: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
    if not ids or not extras_ever_defined():
        return described
    units = {"hours": _("t"), "km": _("km"), "pieces": _("stk"), "nok": _("kr")}
    for entry_id, part, _k1, label, quantity, detail, product, value in db.session.execute(
        _describe_statement(), {"ids": ids}
    ):
        if part == 0:
            described[entry_id].append((_("Fravær"), label))
        elif part == 1:
            shown = f"{fmt_quantity(quantity)} {units[detail]}"
            if product is not None:
                shown += f" {product}"
            described[entry_id].append((label, shown))
        else:
            shown = value
            if detail == "yesno":
                shown = _("Ja") if value == "ja" else _("Nei")
            elif detail == "number":
                shown = value.replace(".", ",")
            described[entry_id].append((label, shown))
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

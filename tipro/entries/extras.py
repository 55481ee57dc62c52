"""Extension points for the extras (supplements, absence, custom fields) on time entries.

The entries core calls these functions; the signatures are fixed. Posted keys (form fields
and the `extras` object of a JSON batch alike):

- `x_cf_<key>`            value of the custom field with that key;
- `x_sup_<type id>`       quantity of that supplement type (empty or 0: none);
- `x_sup_<type id>_product`  product id, for types where the employee picks the product;
- `x_absence_type`        absence type id (entries of kind "absence");
- `x_extras=1`            the whole extras form was posted: supplements not posted are removed.

Keys that are not posted leave what the entry already has, so a client that only changes the
hours (week grid, timer) never wipes supplements or field values. Required custom fields are
checked against the result: posted values plus what the entry already has.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING

from flask import has_request_context
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tipro.auth.services import record_audit
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
    User,
)
from tipro.security import parse_id

if TYPE_CHECKING:
    from tipro.entries.services import EntryInput

CF_PREFIX = "x_cf_"
SUP_RE = re.compile(r"^x_sup_([0-9]{1,10})(_product)?$")
ABSENCE_KEY = "x_absence_type"
FULL_FORM_KEY = "x_extras"
# Largest quantity per unit: a typo (7000 hours of overtime) is refused, not paid.
MAX_QUANTITY = {
    "hours": Decimal("24"),
    "km": Decimal("5000"),
    "pieces": Decimal("100000"),
    "nok": Decimal("1000000"),
}
MAX_TEXT = 500
MAX_NUMBER = Decimal("1000000000")
YES = {"ja", "j", "yes", "y", "true", "1", "on", "x"}
NO = {"nei", "n", "no", "false", "0", "off"}
TWO = Decimal("0.01")


@dataclass
class CleanSupplement:
    type_id: int
    quantity: Decimal
    product_id: int | None
    amount: Decimal | None


@dataclass
class CleanExtras:
    """What validate_extras found; handed to save_extras."""

    company_id: int
    kind: str
    project_id: int | None
    values: dict[int, str] = field(default_factory=dict)  # custom field id → canonical text
    supplements: list[CleanSupplement] | None = None  # None: leave the entry's as they are
    absence_type_id: int | None = None


# ---------------------------------------------------------------- definitions


def active_fields(company_id: int, project_id: int | None) -> list[CustomField]:
    """Custom fields for an entry on `project_id`: the company-wide ones plus the project's."""
    query = select(CustomField).where(
        CustomField.company_id == company_id, CustomField.is_active.is_(True)
    )
    if project_id:
        query = query.where(
            (CustomField.project_id.is_(None)) | (CustomField.project_id == project_id)
        )
    else:
        query = query.where(CustomField.project_id.is_(None))
    return list(db.session.scalars(query.order_by(CustomField.position, CustomField.label)))


def _has_project_fields(company_id: int) -> bool:
    query = select(CustomField.id).where(
        CustomField.company_id == company_id,
        CustomField.is_active.is_(True),
        CustomField.project_id.is_not(None),
    )
    return db.session.scalar(query.limit(1)) is not None


def active_supplement_types(company_id: int) -> list[SupplementType]:
    return list(
        db.session.scalars(
            select(SupplementType)
            .where(SupplementType.company_id == company_id, SupplementType.is_active.is_(True))
            .order_by(SupplementType.position, SupplementType.name)
        )
    )


def active_absence_types(company_id: int) -> list[AbsenceType]:
    """Absence types that can be registered (active, with an activity)."""
    return list(
        db.session.scalars(
            select(AbsenceType)
            .where(
                AbsenceType.company_id == company_id,
                AbsenceType.is_active.is_(True),
                AbsenceType.activity_id.is_not(None),
            )
            .order_by(AbsenceType.position, AbsenceType.name)
        )
    )


def _products(company_id: int) -> list[Product]:
    return list(
        db.session.scalars(
            select(Product)
            .where(Product.company_id == company_id, Product.is_active.is_(True))
            .order_by(Product.number, Product.name)
        )
    )


# ---------------------------------------------------------------- parsing


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nei"
    return str(value).strip()


def parse_decimal(value) -> Decimal:
    """'1 234,5' / '1234.5' / 12 → Decimal; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    else:
        text = _as_text(value).replace(" ", "").replace("\u00a0", "").replace(",", ".")
        if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?|-?\.[0-9]+", text):
            raise ValueError(value)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(value) from None
    # Huge numbers would overflow the Decimal context when quantized later.
    if not number.is_finite() or number.adjusted() > 15:
        raise ValueError(value)
    return number


def clean_custom_value(custom_field: CustomField, raw) -> tuple[str | None, str | None]:
    """(canonical text or None for empty, error message or None)."""
    from tipro.entries.services import has_control_characters

    text = _as_text(raw)
    label = custom_field.label
    if not text:
        return None, None
    if has_control_characters(text):
        return None, _("«%(label)s» inneholder ugyldige tegn.", label=label)
    if custom_field.field_type == "yesno":
        lowered = text.lower()
        if lowered in YES:
            return "ja", None
        if lowered in NO:
            return "nei", None
        return None, _("«%(label)s» må være ja eller nei.", label=label)
    if custom_field.field_type == "number":
        try:
            number = parse_decimal(text)
        except ValueError:
            return None, _("«%(label)s» må være et tall, f.eks. 12,5.", label=label)
        if abs(number) >= MAX_NUMBER:
            return None, _("«%(label)s» er for stort.", label=label)
        return format(number.normalize(), "f"), None
    if custom_field.field_type == "choice":
        for choice in custom_field.choices or []:
            if choice.lower() == text.lower():
                return choice, None
        return None, _(
            "«%(value)s» er ikke et av valgene for «%(label)s».", value=text, label=label
        )
    if len(text) > MAX_TEXT:
        return None, _("«%(label)s» kan være høyst %(n)d tegn.", label=label, n=MAX_TEXT)
    return text, None


def _parse_int(value) -> int | None:
    text = _as_text(value)
    return parse_id(text)


# ---------------------------------------------------------------- the extension points


def unit_names() -> dict[str, str]:
    return {"hours": _("timer"), "km": _("km"), "pieces": _("stk"), "nok": _("kr")}


def extras_form_context(company_id: int, project_id: int | None) -> dict:
    """Context (`form_extras`) for `entries/_extras_fields.html`; empty without extras."""
    fields = active_fields(company_id, project_id)
    supplement_types = active_supplement_types(company_id)
    needs_products = any(t.asks_for_product for t in supplement_types)
    return {
        "fields": fields,
        "supplement_types": supplement_types,
        "products": _products(company_id) if needs_products else [],
        "project_id": project_id,
        "values_for": stored_form_values,
        "unit_names": unit_names(),
        # A field of another project still needs the (empty) block in the form, so that it
        # can appear when the user picks that project.
        "any": bool(fields or supplement_types) or _has_project_fields(company_id),
    }


def validate_extras(company_id: int, data: EntryInput, errors: dict) -> dict:
    """Check `data.extras`, add field → message to `errors`, return the cleaned extras."""
    raw = data.extras if isinstance(data.extras, dict) else {}
    kind = (data.kind or "work").strip()
    project_id = _parse_int(data.project_id)
    clean = CleanExtras(company_id=company_id, kind=kind, project_id=project_id)

    if kind == "absence":
        _validate_absence(company_id, data, raw, clean, errors)
    elif _as_text(raw.get(ABSENCE_KEY)):
        errors[ABSENCE_KEY] = _("Fravær registreres som fravær, ikke som arbeidstimer.")

    if kind != "absence":
        for custom_field in active_fields(company_id, project_id):
            key = f"{CF_PREFIX}{custom_field.key}"
            if key not in raw:
                continue  # not posted: the entry keeps what it has (checked again on save)
            value, message = clean_custom_value(custom_field, raw[key])
            if message:
                errors[key] = message
            elif value is None and custom_field.required:
                errors[key] = _("«%(label)s» må fylles ut.", label=custom_field.label)
            else:
                clean.values[custom_field.id] = value or ""
        _validate_supplements(company_id, raw, clean, errors)
    elif any(SUP_RE.match(k) and _as_text(v) not in ("", "0") for k, v in raw.items()):
        errors["form"] = _("Tillegg kan ikke føres på fravær.")
    return {"clean": clean}


def _validate_absence(company_id, data, raw, clean: CleanExtras, errors: dict) -> None:
    type_id = _parse_int(raw.get(ABSENCE_KEY))
    absence_type = next((t for t in active_absence_types(company_id) if t.id == type_id), None)
    if absence_type is None:
        errors[ABSENCE_KEY] = _("Velg en fraværstype.")
        return
    if _parse_int(data.activity_id) != absence_type.activity_id:
        errors["activity_id"] = _("Fravær føres på fraværstypens aktivitet.")
    if _as_text(data.project_id):
        errors["project_id"] = _("Fravær føres uten prosjekt.")
    clean.absence_type_id = absence_type.id


def _validate_supplements(company_id: int, raw: dict, clean: CleanExtras, errors: dict) -> None:
    posted = {}
    products = {}
    for key, value in raw.items():
        match = SUP_RE.match(key)
        if match:
            target = products if match.group(2) else posted
            target[int(match.group(1))] = (key, value)
    if not posted and _as_text(raw.get(FULL_FORM_KEY)) != "1":
        return  # nothing about supplements posted: keep the entry's
    types = {t.id: t for t in active_supplement_types(company_id)}
    clean.supplements = []
    for type_id, (key, value) in sorted(posted.items()):
        text = _as_text(value)
        if text in ("", "0"):
            continue
        supplement_type = types.get(type_id)
        if supplement_type is None:
            errors[key] = _("Ukjent tillegg.")
            continue
        quantity = _clean_quantity(supplement_type, text, key, errors)
        if quantity is None:
            continue
        product_id = None
        amount = quantity if supplement_type.unit == "nok" else None
        if supplement_type.asks_for_product:
            product_key, product_raw = products.get(type_id, (f"{key}_product", ""))
            product = _own_product(company_id, product_raw)
            if product is None:
                errors[product_key] = _("Velg produkt for «%(name)s».", name=supplement_type.name)
                continue
            product_id = product.id
            if product.price_excluding_vat is not None:
                amount = (product.price_excluding_vat * quantity).quantize(
                    TWO, rounding=ROUND_HALF_UP
                )
        elif supplement_type.product_id:
            product_id = supplement_type.product_id
        clean.supplements.append(CleanSupplement(type_id, quantity, product_id, amount))


def _clean_quantity(supplement_type: SupplementType, text: str, key: str, errors: dict):
    name = supplement_type.name
    try:
        quantity = parse_decimal(text)
    except ValueError:
        errors[key] = _("«%(name)s»: skriv et tall, f.eks. 2,5.", name=name)
        return None
    if quantity < 0:
        errors[key] = _("«%(name)s» kan ikke være negativt.", name=name)
        return None
    if quantity != quantity.quantize(TWO):
        errors[key] = _("«%(name)s»: bruk høyst to desimaler.", name=name)
        return None
    if supplement_type.unit == "pieces" and quantity != quantity.to_integral_value():
        errors[key] = _("«%(name)s» telles i hele stykk.", name=name)
        return None
    limit = MAX_QUANTITY[supplement_type.unit]
    if quantity > limit:
        errors[key] = _("«%(name)s» kan være høyst %(limit)s.", name=name, limit=limit)
        return None
    return quantity.quantize(TWO)


def _own_product(company_id: int, raw) -> Product | None:
    product_id = _parse_int(raw)
    if product_id is None:
        return None
    product = db.session.get(Product, product_id)
    if product is None or product.company_id != company_id or not product.is_active:
        return None
    return product


def save_extras(entry: TimeEntry, cleaned: dict) -> None:
    """Store the cleaned extras for `entry` (same transaction; the caller commits)."""
    from tipro.entries.services import EntryValidationError

    clean: CleanExtras | None = cleaned.get("clean") if isinstance(cleaned, dict) else None
    if clean is None:
        return
    errors: dict[str, str] = {}
    before = extras_snapshot(entry.id)
    _save_absence(entry, clean)
    if entry.kind == "absence":
        # Absence carries neither supplements nor the work fields.
        _delete(EntrySupplement, entry.id)
        _delete(CustomFieldValue, entry.id)
    else:
        _save_values(entry, clean, errors)
        if clean.supplements is not None:
            _check_supplements_against_entry(entry, clean, errors)
            if not errors:
                _save_supplements(entry, clean)
    if errors:
        raise EntryValidationError(errors)
    db.session.flush()
    after = extras_snapshot(entry.id)
    changes = {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
    if changes:
        # Outside a request and a declared bulk save, the entry's creator is the best guess.
        actor = acting_user() or entry.created_by
        record_audit(entry.company_id, actor, "time_entry", entry.uuid, "extras", changes)


_actor: ContextVar[User | None] = ContextVar("tipro_extras_actor", default=None)


def acting_user() -> User | None:
    """Who is saving: the logged-in user, or the actor a CLI/bulk save declared."""
    actor = _actor.get()
    if actor is not None:
        return actor
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user._get_current_object()
    return None


def set_acting_user(user: User | None):
    """Declare the actor for extras audit events outside a request; returns a reset token."""
    return _actor.set(user)


def reset_acting_user(token) -> None:
    _actor.reset(token)


def _delete(model, entry_id: int) -> None:
    for row in db.session.scalars(select(model).where(model.entry_id == entry_id)):
        db.session.delete(row)


def _save_absence(entry: TimeEntry, clean: CleanExtras) -> None:
    link = db.session.scalar(select(EntryAbsence).where(EntryAbsence.entry_id == entry.id))
    if entry.kind != "absence":
        if link is not None:
            db.session.delete(link)
        return
    if link is None:
        link = EntryAbsence(company_id=entry.company_id, entry_id=entry.id)
        db.session.add(link)
    link.absence_type_id = clean.absence_type_id


def _save_values(entry: TimeEntry, clean: CleanExtras, errors: dict) -> None:
    existing = {
        v.field_id: v
        for v in db.session.scalars(
            select(CustomFieldValue).where(CustomFieldValue.entry_id == entry.id)
        )
    }
    for custom_field in active_fields(entry.company_id, entry.project_id):
        if custom_field.id in clean.values:
            value = clean.values[custom_field.id]
        else:
            value = existing[custom_field.id].value if custom_field.id in existing else ""
        if custom_field.required and not value:
            errors[f"{CF_PREFIX}{custom_field.key}"] = _(
                "«%(label)s» må fylles ut.", label=custom_field.label
            )
        if custom_field.id not in clean.values:
            continue
        row = existing.get(custom_field.id)
        if not value:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(
                CustomFieldValue(
                    company_id=entry.company_id,
                    entry_id=entry.id,
                    field_id=custom_field.id,
                    value=value,
                )
            )
        else:
            row.value = value


def _check_supplements_against_entry(entry: TimeEntry, clean: CleanExtras, errors: dict) -> None:
    types = {t.id: t for t in active_supplement_types(entry.company_id)}
    for item in clean.supplements or []:
        supplement_type = types[item.type_id]
        key = f"x_sup_{item.type_id}"
        if supplement_type.unit == "hours" and item.quantity > entry.hours:
            errors[key] = _(
                "«%(name)s» kan ikke være flere timer enn føringen.", name=supplement_type.name
            )
        if supplement_type.per == "day":
            taken = db.session.scalar(
                select(EntrySupplement.id)
                .join(TimeEntry, TimeEntry.id == EntrySupplement.entry_id)
                .where(
                    TimeEntry.user_id == entry.user_id,
                    TimeEntry.date == entry.date,
                    TimeEntry.id != entry.id,
                    EntrySupplement.supplement_type_id == item.type_id,
                )
            )
            if taken:
                errors[key] = _(
                    "«%(name)s» kan bare føres én gang per dag.", name=supplement_type.name
                )


def _save_supplements(entry: TimeEntry, clean: CleanExtras) -> None:
    existing = {
        s.supplement_type_id: s
        for s in db.session.scalars(
            select(EntrySupplement).where(EntrySupplement.entry_id == entry.id)
        )
    }
    wanted = {item.type_id: item for item in clean.supplements or []}
    for type_id, row in existing.items():
        if type_id not in wanted:
            db.session.delete(row)
    for type_id, item in wanted.items():
        row = existing.get(type_id)
        if row is None:
            row = EntrySupplement(
                company_id=entry.company_id, entry_id=entry.id, supplement_type_id=type_id
            )
            db.session.add(row)
        row.quantity = item.quantity
        row.product_id = item.product_id
        row.amount = item.amount


def extras_snapshot(entry_id: int) -> dict[str, str]:
    """The entry's extras as {key: text}, for the audit log and for comparing."""
    snapshot = {}
    for value in db.session.scalars(
        select(CustomFieldValue).where(CustomFieldValue.entry_id == entry_id)
    ):
        snapshot[f"{CF_PREFIX}{value.field.key}"] = value.value
    for supplement in db.session.scalars(
        select(EntrySupplement).where(EntrySupplement.entry_id == entry_id)
    ):
        text = format(supplement.quantity.normalize(), "f")
        if supplement.product_id:
            text += f" × product {supplement.product_id}"
        snapshot[f"x_sup_{supplement.supplement_type_id}"] = text
    link = db.session.scalar(select(EntryAbsence).where(EntryAbsence.entry_id == entry_id))
    if link is not None:
        snapshot[ABSENCE_KEY] = str(link.absence_type_id)
    return snapshot


def fmt_quantity(value: Decimal) -> str:
    """Decimal(4.00) → '4', Decimal(2.50) → '2,5' (Norwegian decimal comma)."""
    return format(value.normalize(), "f").replace(".", ",")


def stored_form_values(entry: TimeEntry | None) -> dict[str, str]:
    """The entry's extras as posted form values (to fill the edit form)."""
    if entry is None or entry.id is None:
        return {}
    values = {}
    link = db.session.scalar(select(EntryAbsence).where(EntryAbsence.entry_id == entry.id))
    if entry.kind == "absence" and link is not None:
        return {"kind": "absence", ABSENCE_KEY: str(link.absence_type_id)}
    for value in db.session.scalars(
        select(CustomFieldValue).where(CustomFieldValue.entry_id == entry.id)
    ):
        values[f"{CF_PREFIX}{value.field.key}"] = value.value
    for supplement in db.session.scalars(
        select(EntrySupplement).where(EntrySupplement.entry_id == entry.id)
    ):
        key = f"x_sup_{supplement.supplement_type_id}"
        values[key] = fmt_quantity(supplement.quantity)
        if supplement.product_id:
            values[f"{key}_product"] = str(supplement.product_id)
    return values


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
    """The entry's comment with the custom fields marked for the transfer appended."""
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

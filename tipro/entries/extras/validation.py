"""Checking posted extras against the company's definitions (reads only, no writes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _

from tipro.entries.extras import ABSENCE_KEY, FULL_FORM_KEY, SUP_RE, definitions, field_key
from tipro.entries.inputs import EntryInput
from tipro.entries.master import FieldDef, SupplementDef
from tipro.entries.parsing import as_text, has_control_characters, id_or_none, parse_decimal

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
    """What validate_extras found; handed to store.save_extras."""

    kind: str
    project_id: int | None
    values: dict[int, str] = field(default_factory=dict)  # custom field id → canonical text
    supplements: list[CleanSupplement] | None = None  # None: leave the entry's as they are
    absence_type_id: int | None = None


def required_message(custom_field: FieldDef) -> str:
    return _("«%(label)s» må fylles ut.", label=custom_field.label)


def clean_custom_value(custom_field: FieldDef, raw) -> tuple[str | None, str | None]:
    """(canonical text or None for empty, error message or None)."""
    text = as_text(raw)
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


def validate_extras(data: EntryInput, errors: dict) -> CleanExtras:
    """Check `data.extras`, add field → message to `errors`, return the cleaned extras."""
    raw = data.extras if isinstance(data.extras, dict) else {}
    kind = (data.kind or "work").strip()
    project_id = id_or_none(data.project_id)
    clean = CleanExtras(kind=kind, project_id=project_id)

    if kind == "absence":
        _validate_absence(data, raw, clean, errors)
    elif as_text(raw.get(ABSENCE_KEY)):
        errors[ABSENCE_KEY] = _("Fravær registreres som fravær, ikke som arbeidstimer.")

    if kind != "absence":
        for custom_field in definitions.active_fields(project_id):
            key = field_key(custom_field.key)
            if key not in raw:
                continue  # not posted: the entry keeps what it has (checked again on save)
            value, message = clean_custom_value(custom_field, raw[key])
            if message:
                errors[key] = message
            elif value is None and custom_field.required:
                errors[key] = required_message(custom_field)
            else:
                clean.values[custom_field.id] = value or ""
        _validate_supplements(raw, clean, errors)
    elif any(SUP_RE.match(k) and as_text(v) not in ("", "0") for k, v in raw.items()):
        errors["form"] = _("Tillegg kan ikke føres på fravær.")
    return clean


def _validate_absence(data, raw, clean: CleanExtras, errors: dict) -> None:
    absence_type = definitions.active_absence_type(id_or_none(raw.get(ABSENCE_KEY)))
    if absence_type is None:
        errors[ABSENCE_KEY] = _("Velg en fraværstype.")
        return
    if id_or_none(data.activity_id) != absence_type.activity_id:
        errors["activity_id"] = _("Fravær føres på fraværstypens aktivitet.")
    if as_text(data.project_id):
        errors["project_id"] = _("Fravær føres uten prosjekt.")
    clean.absence_type_id = absence_type.id


def _validate_supplements(raw: dict, clean: CleanExtras, errors: dict) -> None:
    posted = {}
    products = {}
    for key, value in raw.items():
        match = SUP_RE.match(key)
        if match:
            target = products if match.group(2) else posted
            target[int(match.group(1))] = (key, value)
    if not posted and as_text(raw.get(FULL_FORM_KEY)) != "1":
        return  # nothing about supplements posted: keep the entry's
    types = None  # read only when a quantity was posted
    clean.supplements = []
    for type_id, (key, value) in sorted(posted.items()):
        text = as_text(value)
        if text in ("", "0"):
            continue
        if types is None:
            types = {t.id: t for t in definitions.active_supplement_types()}
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
            product = definitions.active_product(id_or_none(product_raw))
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


def _clean_quantity(supplement_type: SupplementDef, text: str, key: str, errors: dict):
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

"""The admin's definitions of supplement types, absence types and custom fields."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tipro import tenancy
from tipro.auth.services import record_audit
from tipro.entries.importer import COLUMNS
from tipro.entries.parsing import CONTROL_CHARACTERS, has_control_characters
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import (
    AbsenceType,
    Activity,
    CustomField,
    Product,
    Project,
    SalaryType,
    SupplementType,
    User,
)
from tipro.models.extras import (
    ABSENCE_CODES,
    CUSTOM_FIELD_TYPES,
    SUPPLEMENT_PER,
    SUPPLEMENT_UNITS,
    name_key,
)
from tipro.security import MAX_ID

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
# Import column names; a custom field may not take one of these as its key.
RESERVED_KEYS = frozenset().union(*COLUMNS.values())
MAX_CHOICES = 50

# (name, unit, per, salary type number, billable, asks for product) — the usual Norwegian set.
DEFAULT_SUPPLEMENT_TYPES = [
    ("Overtid 50 %", "hours", "entry", "2005", False, False),
    ("Overtid 100 %", "hours", "entry", "2006", False, False),
    ("Kveldstillegg", "hours", "entry", None, False, False),
    ("Natt-tillegg", "hours", "entry", None, False, False),
    ("Helgetillegg", "hours", "entry", None, False, False),
    ("Diett", "pieces", "day", "7150", False, False),
    ("Kilometergodtgjørelse", "km", "entry", "7100", False, False),
    ("Bom/parkering", "nok", "entry", None, True, False),
    ("Materiell", "pieces", "entry", None, True, True),
]
# (name, code, words that identify the company's activity by name)
DEFAULT_ABSENCE_TYPES = [
    ("Ferie", "ferie", ("ferie",)),
    ("Egenmelding", "egenmelding", ("egenmelding",)),
    ("Sykdom", "sykdom", ("sykemelding", "sykdom", "syk")),
    ("Permisjon", "permisjon", ("permisjon",)),
    ("Avspasering", "avspasering", ("avspasering",)),
]


def supplement_types(*, active_only: bool = False) -> list[SupplementType]:
    """The company's supplement types (tenancy scopes the query)."""
    query = select(SupplementType).order_by(SupplementType.position, SupplementType.name)
    if active_only:
        query = query.where(SupplementType.is_active.is_(True))
    return list(db.session.scalars(query))


def absence_types(*, active_only: bool = False) -> list[AbsenceType]:
    query = select(AbsenceType).order_by(AbsenceType.position, AbsenceType.name)
    if active_only:
        query = query.where(AbsenceType.is_active.is_(True))
    return list(db.session.scalars(query))


def custom_fields(*, active_only: bool = False) -> list[CustomField]:
    query = select(CustomField).order_by(CustomField.position, CustomField.label)
    if active_only:
        query = query.where(CustomField.is_active.is_(True))
    return list(db.session.scalars(query))


def salary_type_choices() -> list[SalaryType]:
    return tenancy.active_rows(SalaryType, SalaryType.number, SalaryType.name)


def product_choices() -> list[Product]:
    return tenancy.active_rows(Product, Product.number, Product.name)


def activity_choices() -> list[Activity]:
    return tenancy.active_rows(Activity, Activity.name)


def absence_activity_choices() -> list[Activity]:
    """The activities absence can be registered on: absence has no project."""
    return [a for a in activity_choices() if a.without_project]


def project_choices() -> list[Project]:
    return tenancy.active_rows(Project, Project.number, Project.name)


def _own(model, ident: int | None, field: str, message: str):
    """The row `ident` of `model` in this company, None for no id; another company's is unknown."""
    if ident in (None, ""):
        return None
    if not isinstance(ident, int) or not 0 < ident <= MAX_ID:
        raise UserError(message, field)
    # A query (not Session.get) so the company scope applies.
    row = db.session.scalar(select(model).where(model.id == ident))
    if row is None:
        raise UserError(message, field)
    return row


def _name(value: str | None, field: str = "name", limit: int = 100) -> str:
    value = (value or "").strip()
    if not value:
        raise UserError(_("Navn mangler."), field)
    if len(value) > limit:
        raise UserError(_("Navnet kan være høyst %(n)d tegn.", n=limit), field)
    if has_control_characters(value):
        raise UserError(_("Teksten inneholder ugyldige tegn."), field)
    return value


def _name_taken(name: str) -> UserError:
    return UserError(_("Navnet «%(name)s» er allerede i bruk.", name=name), "name")


def _key_taken(key: str) -> UserError:
    return UserError(_("Nøkkelen «%(key)s» er allerede i bruk.", key=key), "key")


def _unique_name(model, name: str, own_id: int | None) -> None:
    """Names are unique per company regardless of case in any script (Æ/æ, Å/å, ß/SS)."""
    other = db.session.scalar(
        select(model.id).where(model.name_key == name_key(name), model.id != (own_id or 0))
    )
    if other:
        raise _name_taken(name)


def _apply(row, actor: User, entity: str, values: dict[str, Any], *, created: bool) -> None:
    """Set the values on `row`, audit what changed; the caller commits."""
    changes = {}
    for field, new in values.items():
        old = None if created else getattr(row, field)
        if created or old != new:
            changes[field] = [None if old is None else str(old), None if new is None else str(new)]
            setattr(row, field, new)
    if created:
        db.session.add(row)
        db.session.flush()
    if changes:
        record_audit(
            row.company_id, actor, entity, row.id, "create" if created else "update", changes
        )


def _store(model, row, actor: User, entity: str, clean: dict[str, Any], taken: UserError):
    """Create (row None) or change one admin-defined row with `clean` values; audited, committed.

    `taken` is the answer when the unique constraint refuses the row: a parallel request saved
    the same name between our check and this write.
    """
    created = row is None
    row = row or model(company_id=actor.company_id)
    try:
        _apply(row, actor, entity, clean, created=created)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise taken from None
    return row


def save_supplement_type(
    actor: User, values: dict[str, Any], supplement_type: SupplementType | None = None
) -> SupplementType:
    """Create or change a supplement type; the mapping must point to this company's rows."""
    name = _name(values.get("name"))
    _unique_name(SupplementType, name, supplement_type and supplement_type.id)
    unit = values.get("unit")
    if unit not in SUPPLEMENT_UNITS:
        raise UserError(_("Velg en gyldig enhet."), "unit")
    per = values.get("per") or "entry"
    if per not in SUPPLEMENT_PER:
        raise UserError(_("Velg per føring eller per dag."), "per")
    salary_type = _own(
        SalaryType,
        values.get("salary_type_id"),
        "salary_type_id",
        _("Ukjent lønnsart."),
    )
    product = _own(Product, values.get("product_id"), "product_id", _("Ukjent produkt."))
    asks_for_product = bool(values.get("asks_for_product"))
    if asks_for_product and unit != "pieces":
        raise UserError(_("Materiell (produkt × antall) må ha enheten stk."), "unit")
    clean = {
        "name": name,
        "unit": unit,
        "per": per,
        "salary_type_id": salary_type.id if salary_type else None,
        "product_id": product.id if product else None,
        "billable": bool(values.get("billable")),
        "asks_for_product": asks_for_product,
        "position": int(values.get("position") or 0),
        "is_active": bool(values.get("is_active", True)),
    }
    return _store(
        SupplementType, supplement_type, actor, "supplement_type", clean, _name_taken(name)
    )


def save_absence_type(
    actor: User, values: dict[str, Any], absence_type: AbsenceType | None = None
) -> AbsenceType:
    """Create or change an absence type; it needs the company's activity to be registrable."""
    name = _name(values.get("name"))
    _unique_name(AbsenceType, name, absence_type and absence_type.id)
    code = values.get("code") or "annet"
    if code not in ABSENCE_CODES:
        raise UserError(_("Velg en gyldig fraværskode."), "code")
    activity = _own(Activity, values.get("activity_id"), "activity_id", _("Ukjent aktivitet."))
    if activity is None:
        raise UserError(_("Velg aktiviteten fraværet føres på."), "activity_id")
    if not activity.without_project:
        raise UserError(
            _(
                "«%(activity)s» er en prosjektaktivitet. Fravær føres uten prosjekt: velg en "
                "generell aktivitet, som Ferie eller Sykdom.",
                activity=activity.name,
            ),
            "activity_id",
        )
    salary_type = _own(
        SalaryType,
        values.get("salary_type_id"),
        "salary_type_id",
        _("Ukjent lønnsart."),
    )
    clean = {
        "name": name,
        "code": code,
        "activity_id": activity.id,
        "salary_type_id": salary_type.id if salary_type else None,
        "position": int(values.get("position") or 0),
        "is_active": bool(values.get("is_active", True)),
    }
    return _store(AbsenceType, absence_type, actor, "absence_type", clean, _name_taken(name))


def slugify(text: str) -> str:
    """A field key from a label: 'Maskin nr.' → 'maskin_nr'."""
    text = (text or "").lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    if text and not text[0].isalpha():
        text = f"f_{text}"
    return text[:50]


def parse_choices(text: str | list | None) -> list[str]:
    """Choices from a textarea (one a line) or a list; blanks and repeats dropped."""
    lines = text if isinstance(text, list) else (text or "").splitlines()
    seen: list[str] = []
    for line in lines:
        line = CONTROL_CHARACTERS.sub("", str(line)).strip()
        if line and line not in seen:
            seen.append(line[:100])
    return seen


def save_custom_field(
    actor: User, values: dict[str, Any], custom_field: CustomField | None = None
) -> CustomField:
    """Create or change a custom field; its key is fixed once entries may carry values."""
    label = _name(values.get("label"), "label")
    if custom_field is None:
        key = (values.get("key") or "").strip().lower() or slugify(label)
        if not KEY_RE.match(key):
            raise UserError(
                _("Nøkkelen kan bare ha små bokstaver a–z, tall og _, og starter med en bokstav."),
                "key",
            )
        if key in RESERVED_KEYS:
            raise UserError(_("Nøkkelen «%(key)s» er reservert for importen.", key=key), "key")
        if db.session.scalar(select(CustomField.id).where(CustomField.key == key)):
            raise _key_taken(key)
    else:
        key = custom_field.key
    field_type = values.get("field_type")
    if field_type not in CUSTOM_FIELD_TYPES:
        raise UserError(_("Velg en gyldig felttype."), "field_type")
    choices = parse_choices(values.get("choices")) if field_type == "choice" else []
    if field_type == "choice" and not choices:
        raise UserError(_("Skriv inn valgene, ett på hver linje."), "choices")
    if len(choices) > MAX_CHOICES:
        raise UserError(_("Høyst %(n)d valg.", n=MAX_CHOICES), "choices")
    project = _own(Project, values.get("project_id"), "project_id", _("Ukjent prosjekt."))
    clean = {
        "key": key,
        "label": label,
        "field_type": field_type,
        "choices": choices,
        "required": bool(values.get("required")),
        "project_id": project.id if project else None,
        "include_in_transfer": bool(values.get("include_in_transfer")),
        "position": int(values.get("position") or 0),
        "is_active": bool(values.get("is_active", True)),
    }
    return _store(CustomField, custom_field, actor, "custom_field", clean, _key_taken(key))


def _activity_for(words: tuple[str, ...]) -> Activity | None:
    """The company's activity whose name best matches one of `words` (exact name first)."""
    activities = absence_activity_choices()
    for word in words:
        for activity in activities:
            if activity.name.strip().lower() == word:
                return activity
    for word in words:
        for activity in activities:
            if word in activity.name.lower():
                return activity
    return None


def create_default_types(actor: User) -> tuple[int, int]:
    """Create the usual Norwegian supplement and absence types that are missing.

    Salary types are matched by number (as synced from Tripletex), activities by name;
    running it again creates nothing new.
    """
    company_id = actor.company_id
    salary_by_number = {s.number: s for s in salary_type_choices() if s.number}
    existing_supplements = {t.name_key for t in supplement_types()}
    made_supplements = 0
    for position, (name, unit, per, number, billable, asks) in enumerate(DEFAULT_SUPPLEMENT_TYPES):
        if name_key(name) in existing_supplements:
            continue
        salary_type = salary_by_number.get(number) if number else None
        row = SupplementType(company_id=company_id)
        _apply(
            row,
            actor,
            "supplement_type",
            {
                "name": name,
                "unit": unit,
                "per": per,
                "salary_type_id": salary_type.id if salary_type else None,
                "product_id": None,
                "billable": billable,
                "asks_for_product": asks,
                "position": position,
                "is_active": True,
            },
            created=True,
        )
        made_supplements += 1
    existing_absence = {t.name_key for t in absence_types()}
    made_absence = 0
    for position, (name, code, words) in enumerate(DEFAULT_ABSENCE_TYPES):
        if name_key(name) in existing_absence:
            continue
        activity = _activity_for(words)
        row = AbsenceType(company_id=company_id)
        _apply(
            row,
            actor,
            "absence_type",
            {
                "name": name,
                "code": code,
                "activity_id": activity.id if activity else None,
                "salary_type_id": None,
                "position": position,
                # Without an activity the type cannot be registered until the admin picks one.
                "is_active": activity is not None,
            },
            created=True,
        )
        made_absence += 1
    db.session.commit()
    return made_supplements, made_absence

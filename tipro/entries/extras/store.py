"""Writing an entry's checked extras in the entry's transaction, with their audit event."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from tipro.auth.services import record_audit
from tipro.entries.extras import ABSENCE_KEY, definitions, field_key, supplement_key
from tipro.entries.extras.display import stored
from tipro.entries.extras.validation import CleanExtras, required_message
from tipro.entries.inputs import EntryValidationError
from tipro.extensions import db
from tipro.models import CustomFieldValue, EntryAbsence, EntrySupplement, TimeEntry, User


def save_extras(entry: TimeEntry, clean: CleanExtras | None, *, actor: User) -> None:
    """Store the cleaned extras for `entry` (same transaction; the caller commits).

    `actor` is who saves (the audit event names them): the logged-in user, or the admin an
    import or a bulk save runs as.
    """
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
        record_audit(entry.company_id, actor, "time_entry", entry.uuid, "extras", changes)


def extras_snapshot(entry_id: int) -> dict[str, str]:
    """The entry's extras as {key: text}, for the audit log and for comparing."""
    values, supplements, link = stored(entry_id)
    snapshot = {field_key(value.field.key): value.value for value in values}
    for supplement in supplements:
        text = format(supplement.quantity.normalize(), "f")
        if supplement.product_id:
            text += f" × product {supplement.product_id}"
        snapshot[supplement_key(supplement.supplement_type_id)] = text
    if link is not None:
        snapshot[ABSENCE_KEY] = str(link.absence_type_id)
    return snapshot


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
    for custom_field in definitions.active_fields(entry.project_id):
        if custom_field.id in clean.values:
            value = clean.values[custom_field.id]
        else:
            value = existing[custom_field.id].value if custom_field.id in existing else ""
        if custom_field.required and not value:
            errors[field_key(custom_field.key)] = required_message(custom_field)
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
    types = {t.id: t for t in definitions.active_supplement_types()}
    for item in clean.supplements or []:
        supplement_type = types[item.type_id]
        key = supplement_key(item.type_id)
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

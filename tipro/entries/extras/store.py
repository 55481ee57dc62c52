"""Writing an entry's checked extras in the entry's transaction, with their audit event."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from tipro.auth.services import record_audit
from tipro.entries.extras import ABSENCE_KEY, definitions, field_key, supplement_key
from tipro.entries.extras.validation import CleanExtras, required_message
from tipro.entries.inputs import EntryValidationError
from tipro.extensions import db
from tipro.models import CustomFieldValue, EntryAbsence, EntrySupplement, TimeEntry, User


def save_extras(
    entry: TimeEntry,
    clean: CleanExtras | None,
    *,
    actor: User,
    is_new: bool = False,
    previous_kind: str | None = None,
) -> None:
    """Store the cleaned extras for `entry` (same transaction; the caller commits).

    `actor` is who saves (the audit event names them): the logged-in user, or the admin an
    import or a bulk save runs as. Only what can change is read: nothing is stored yet for a
    new entry (`is_new`); an absence link exists only on an entry that was absence
    (`previous_kind`); supplements only when posted; field values only when posted or a field
    is required. The audit event compares those rows before and after, in memory.
    """
    if clean is None:
        return
    errors: dict[str, str] = {}
    absence = entry.kind == "absence"
    fields = [] if absence else definitions.active_fields(entry.project_id)
    rows = _Stored.load(
        entry,
        values=absence or bool(clean.values) or any(f.required for f in fields),
        supplements=absence or clean.supplements is not None,
        link=absence or previous_kind == "absence",
        is_new=is_new,
    )
    before = rows.snapshot()
    _save_absence(entry, clean, rows)
    if absence:
        # Absence carries neither supplements nor the work fields.
        for row in [*rows.values.values(), *rows.supplements.values()]:
            db.session.delete(row)
        rows.values, rows.supplements = {}, {}
    else:
        _save_values(entry, clean, fields, rows, errors)
        if clean.supplements is not None:
            _check_supplements_against_entry(entry, clean, errors)
            if not errors:
                _save_supplements(entry, clean, rows)
    if errors:
        raise EntryValidationError(errors)
    after = rows.snapshot()
    changes = {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
    if changes:
        record_audit(entry.company_id, actor, "time_entry", entry.uuid, "extras", changes)


def _entry_id(entry: TimeEntry) -> int:
    """The entry's id; a new entry is flushed first (the writer leaves its INSERT to the
    commit unless a row of its extras needs the id)."""
    if entry.id is None:
        db.session.flush()
    return entry.id


class _Stored:
    """The entry's stored extras rows that a save may change, by field / supplement type."""

    def __init__(self) -> None:
        self.values: dict[int, CustomFieldValue] = {}
        self.supplements: dict[int, EntrySupplement] = {}
        self.link: EntryAbsence | None = None

    @classmethod
    def load(cls, entry, *, values: bool, supplements: bool, link: bool, is_new: bool):
        rows = cls()
        if is_new:
            return rows
        if values:
            rows.values = {
                v.field_id: v
                for v in db.session.scalars(
                    select(CustomFieldValue).where(CustomFieldValue.entry_id == entry.id)
                )
            }
        if supplements:
            rows.supplements = {
                s.supplement_type_id: s
                for s in db.session.scalars(
                    select(EntrySupplement).where(EntrySupplement.entry_id == entry.id)
                )
            }
        if link:
            rows.link = db.session.scalar(
                select(EntryAbsence).where(EntryAbsence.entry_id == entry.id)
            )
        return rows

    def snapshot(self) -> dict[str, str]:
        """As {key: text}, for the audit log and for comparing."""
        # Active fields' keys from the cached definitions (a new row has no `field` loaded);
        # a value of a field no longer active reads its key from the row.
        keys = {f.id: f.key for f in definitions.all_active_fields()}
        snapshot = {
            field_key(keys.get(v.field_id) or v.field.key): v.value for v in self.values.values()
        }
        for supplement in self.supplements.values():
            text = format(supplement.quantity.normalize(), "f")
            if supplement.product_id:
                text += f" × product {supplement.product_id}"
            snapshot[supplement_key(supplement.supplement_type_id)] = text
        if self.link is not None:
            snapshot[ABSENCE_KEY] = str(self.link.absence_type_id)
        return snapshot


def _save_absence(entry: TimeEntry, clean: CleanExtras, rows: _Stored) -> None:
    if entry.kind != "absence":
        if rows.link is not None:
            db.session.delete(rows.link)
            rows.link = None
        return
    if rows.link is None:
        rows.link = EntryAbsence(company_id=entry.company_id, entry_id=_entry_id(entry))
        db.session.add(rows.link)
    rows.link.absence_type_id = clean.absence_type_id


def _save_values(entry, clean: CleanExtras, fields, rows: _Stored, errors: dict) -> None:
    existing = rows.values
    for custom_field in fields:
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
                del existing[custom_field.id]
        elif row is None:
            existing[custom_field.id] = row = CustomFieldValue(
                company_id=entry.company_id,
                entry_id=_entry_id(entry),
                field_id=custom_field.id,
                value=value,
            )
            db.session.add(row)
        else:
            row.value = value


def _check_supplements_against_entry(entry: TimeEntry, clean: CleanExtras, errors: dict) -> None:
    if not clean.supplements:
        return
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
                    TimeEntry.id != _entry_id(entry),
                    EntrySupplement.supplement_type_id == item.type_id,
                )
            )
            if taken:
                errors[key] = _(
                    "«%(name)s» kan bare føres én gang per dag.", name=supplement_type.name
                )


def _save_supplements(entry: TimeEntry, clean: CleanExtras, rows: _Stored) -> None:
    existing = rows.supplements
    wanted = {item.type_id: item for item in clean.supplements or []}
    for type_id in [t for t in existing if t not in wanted]:
        db.session.delete(existing.pop(type_id))
    for type_id, item in wanted.items():
        row = existing.get(type_id)
        if row is None:
            row = existing[type_id] = EntrySupplement(
                company_id=entry.company_id, entry_id=_entry_id(entry), supplement_type_id=type_id
            )
            db.session.add(row)
        row.quantity = item.quantity
        row.product_id = item.product_id
        row.amount = item.amount

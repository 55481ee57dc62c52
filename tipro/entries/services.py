"""The one writer of hours: every save, delete and week copy goes through here (periods: approvals).

Callers (routes, the timer, bulk saves, the demo) run inside the company scope their boundary
entered (a request, a job, a CLI command); the checks are in tipro.entries.rules, the extras
(supplements, absence, custom fields) are stored by tipro.entries.extras.store, and every change
writes an AuditEvent. Writes for one user are serialised on the user's row (tipro.writes), so
the day total and the upsert-by-uuid hold under concurrency.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from tipro import clock, writes
from tipro.auth.services import record_audit
from tipro.entries import parsing, rules
from tipro.entries.extras import store as extras_store
from tipro.entries.extras import validation as extras_validation
from tipro.entries.inputs import (
    ENTRY_FIELDS,
    EntryInput,
    EntryNotFound,
    EntryValidationError,
    errors_of,
    refused,
)
from tipro.entries.parsing import derived_uuid, normalise_uuid
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import AuditEvent, TimeEntry, User, utcnow
from tipro.models.work import ENTRY_OPEN, ENTRY_SOURCES
from tipro.tenancy import current_company_id

__all__ = [
    "EntryInput",
    "EntryNotFound",
    "EntryValidationError",
    "copy_previous_week",
    "delete_entry",
    "derived_uuid",
    "find_entry",
    "lock_user",
    "save_entry",
    "stage_entry",
    "stage_in_savepoint",
]

AUDITED_FIELDS = (*ENTRY_FIELDS, "state", "kind", "user_id", "employee_id")


def find_entry(entry_uuid: str) -> TimeEntry | None:
    """The entry with this uuid as the database has it now (not as loaded earlier)."""
    return db.session.scalar(
        select(TimeEntry)
        .where(TimeEntry.uuid == entry_uuid)
        .execution_options(populate_existing=True)
    )


def _find_or_probe(
    key: str, data: EntryInput, target: User
) -> tuple[TimeEntry | None, rules.Loaded | None]:
    """(the entry with uuid `key` or None, what the rules read for `target`).

    The rules' own statement probes the uuid alongside its checks (leaving that entry out of
    the day's hours), so a new entry (the usual save) needs no look-up of its own; an
    existing uuid (an edit, a replay) is then loaded. Called under the user's lock, like the
    look-up it replaces.
    """
    try:
        day = parsing.parse_date(data.date)
    except UserError:
        return find_entry(key), None
    loaded = rules.load_for_checks(
        parsing.parse_ref(data.project_id),
        parsing.parse_ref(data.activity_id),
        target,
        day,
        probe_uuid=key,
    )
    return (find_entry(key) if loaded.uuid_taken else None), loaded


def lock_user(actor: User, user_id: int) -> None:
    """Serialise writes for one user (day total, upsert by uuid) within the actor's company.

    The first call of every write, so it also checks that the boundary (request, job, CLI)
    entered the actor's company scope: without it, every lookup below would see all companies.
    """
    if current_company_id() != actor.company_id:
        raise RuntimeError("entries are written inside the actor's company scope")
    writes.serialise(User, user_id)


def _snapshot(entry: TimeEntry) -> dict[str, str | None]:
    return {
        name: (None if getattr(entry, name) is None else str(getattr(entry, name)))
        for name in AUDITED_FIELDS
    }


def _changes(old: dict, new: dict) -> dict[str, list]:
    return {k: [old.get(k), v] for k, v in new.items() if old.get(k) != v}


def stage_in_savepoint(write) -> dict[str, str]:
    """Run `write` in a savepoint: {} when it stood, field → message when refused (undone).

    Later writes of the same transaction see earlier ones (the day total counts them), and a
    refused one leaves nothing behind.
    """
    savepoint = db.session.begin_nested()
    try:
        write()
    except UserError as error:
        savepoint.rollback()
        return errors_of(error)
    except IntegrityError:
        savepoint.rollback()
        return {"form": _("Kolliderte med en annen registrering.")}
    savepoint.commit()
    return {}


def _commit_keeping_loaded() -> None:
    """Commit without expiring what the save loaded and wrote: the confirmation and the page
    after it print the entry and read the user as they are now, with no reload."""
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def _commit_or_roll_back(write):
    """Run a staged write and commit; on a refusal roll back (nothing half-done stays)."""
    try:
        result = write()
        _commit_keeping_loaded()
    except IntegrityError:
        # Two clients raced on one uuid across users; the loser just tries again.
        db.session.rollback()
        raise refused(_("Registreringen kolliderte med en annen endring. Prøv igjen.")) from None
    except UserError:
        db.session.rollback()
        raise
    return result


# ---------------------------------------------------------------- entries


def save_entry(
    actor: User,
    data: EntryInput,
    *,
    entry_uuid: str | None = None,
    for_user: User | None = None,
    source: str = "web",
) -> TimeEntry:
    """Create or update (by uuid) one entry and commit; a replay with the same uuid adds no row."""
    return _commit_or_roll_back(
        lambda: stage_entry(actor, data, entry_uuid=entry_uuid, for_user=for_user, source=source)
    )


def stage_entry(
    actor: User,
    data: EntryInput,
    *,
    entry_uuid: str | None = None,
    for_user: User | None = None,
    source: str = "web",
) -> TimeEntry:
    """`save_entry` without the commit: checks every rule and flushes, the caller commits.

    For bulk saves (tipro.entries.bulk) and the timer, which store several rows, or a row and
    something else, together. Raises UserError like `save_entry` but leaves the rollback to
    the caller (a savepoint, `db.session.begin_nested()`, survives one bad item).
    """
    if source not in ENTRY_SOURCES:
        raise ValueError(f"unknown source {source!r}")
    key = normalise_uuid(entry_uuid)
    target = for_user or actor
    if not rules.can_manage_for(actor, target):
        raise EntryNotFound()
    lock_user(actor, target.id)
    entry, loaded = _find_or_probe(key, data, target)
    checked_for = target.id
    if entry is not None:
        if entry.user_id != target.id and for_user is not None:
            raise EntryNotFound()
        target = entry.user
        if not rules.can_manage_for(actor, target):
            raise EntryNotFound()
        if target.id != actor.id:
            lock_user(actor, target.id)
        if entry.is_locked:
            raise refused(_("Timene er sendt inn og kan ikke endres."))
        # The checks read the lock of the day saved to; an edit that keeps its day (the usual
        # one) needs no second look.
        read = loaded is not None and target.id == checked_for and loaded.day == entry.date
        if loaded.day_locked if read else rules.day_is_locked(target.id, entry.date):
            raise EntryValidationError(
                {"date": _("Perioden er sendt inn og kan ikke endres.")}, 409
            )
        if (
            data.client_modified_at is not None
            and entry.client_modified_at is not None
            and clock.aware(data.client_modified_at) < clock.aware(entry.client_modified_at)
        ):
            return entry  # an older offline edit arriving late: the newer one stands

    errors: dict[str, str] = {}
    if target.id != checked_for:
        loaded = None  # another user's entry (an admin's edit): check for its owner
    clean = rules.check_entry(data, target, entry, errors, loaded)
    cleaned_extras = extras_validation.validate_extras(data, errors)
    if errors:
        raise EntryValidationError(errors)

    old = _snapshot(entry) if entry is not None else {}
    if entry is None:
        # Added to the session below, or written with its audit event by one statement.
        entry = TimeEntry(
            company_id=actor.company_id,
            uuid=key,
            user_id=target.id,
            created_by_id=actor.id,
            source=source,
            state=ENTRY_OPEN,
        )
    entry.employee_id = target.employee_id
    # Not stored: lets the caller tell what the save changed (the quick entry's answer).
    entry.date_before_save = entry.date  # None for a new entry
    entry.date = clean.date
    entry.project_id = clean.project.id if clean.project else None
    entry.activity_id = clean.activity.id if clean.activity else None
    entry.hours = clean.hours
    entry.start_time = clean.start_time
    entry.end_time = clean.end_time
    entry.break_minutes = clean.break_minutes
    entry.comment = clean.comment
    entry.kind = clean.kind
    if data.client_modified_at is not None:
        entry.client_modified_at = data.client_modified_at
    changes = _changes(old, _snapshot(entry))
    if changes and target.id != actor.id:
        changes["registered_for"] = [None, str(target.id)]
    if not old and db.session.connection().dialect.name == "postgresql":
        # The usual save: the entry and its audit event in one statement, before the extras
        # (which then have the entry's id).
        _insert_created(entry, actor, changes)
    else:
        if not old:
            # SQLite has no INSERT inside WITH, and no round trip to save: the unit of work.
            db.session.add(entry)
            record_audit(actor.company_id, actor, "time_entry", entry.uuid, "create", changes)
        if db.session().in_nested_transaction():
            db.session.flush()  # a savepoint (a bulk item) meets a collision inside it
    extras_store.save_extras(
        entry, cleaned_extras, actor=actor, is_new=not old, previous_kind=old.get("kind")
    )
    if old and changes:
        entry.updated_at = utcnow()
        record_audit(actor.company_id, actor, "time_entry", entry.uuid, "update", changes)
    return entry


def _insert_created(entry: TimeEntry, actor: User, changes: dict) -> None:
    """PostgreSQL: INSERT the new `entry` and its "create" audit event in one statement (the
    event's INSERT in a WITH clause), and make `entry` persistent in the session.

    The save's one write, sent as soon as the rules pass rather than left to the commit's
    flush: a save is one round trip shorter and skips the unit of work. In a savepoint (a
    bulk item) a collision is met here, inside it, and rolls back that item alone; after a
    rollback `entry` stays in the session, expired, as a loaded row would (its id is never
    given out again).
    """
    entries = TimeEntry.__table__
    now = utcnow()
    params = {"created_at": now, "updated_at": now}
    # TimeEntry's attributes are named as its columns.
    for column in entries.columns:
        if column.key not in params and column is not entries.c.id:
            value = getattr(entry, column.key)
            if value is None and column.default is not None and column.default.is_scalar:
                value = column.default.arg  # the ORM's default, which a Core INSERT skips
            params[column.key] = value
    params |= {
        "audit_company_id": entry.company_id,
        "audit_user_id": actor.id,
        "audit_entity": "time_entry",
        "audit_entity_id": entry.uuid,
        "audit_action": "create",
        "audit_changes": changes,
        "audit_at": now,
    }
    row = db.session.connection().execute(_created_insert(), params).one()
    for column, value in zip(entries.columns, row, strict=True):
        set_committed_value(entry, column.key, value)
    make_transient_to_detached(entry)
    db.session.add(entry)


# A Core INSERT that names its company: nothing for the company scope to add, so a plain cache
# (not tenancy.reused_statement, which is for the scoped ORM reads).
@functools.cache
def _created_insert():
    """INSERT … RETURNING of one entry with its audit event's INSERT in a WITH clause (built
    once; every column bound, the event's as audit_<column>: no Python-side defaults apply)."""
    entries, events = TimeEntry.__table__, AuditEvent.__table__
    event = insert(events).values(
        {c.key: bindparam(f"audit_{c.key}", type_=c.type) for c in events.columns if c.key != "id"}
    )
    return (
        insert(entries)
        .values({c.key: bindparam(c.key, type_=c.type) for c in entries.columns if c.key != "id"})
        .returning(*entries.columns)
        .add_cte(event.cte("audit_event"))
    )


def delete_entry(actor: User, entry_uuid: str) -> None:
    """Delete one open entry of the actor's (or, for an admin, anyone's in the company).

    Deleting an entry that a parallel request (the button pressed twice) deleted first
    answers as the first did: it is gone.
    """
    try:
        key = normalise_uuid(entry_uuid)
    except EntryValidationError:
        raise EntryNotFound() from None
    entry = find_entry(key)
    if entry is None or not rules.can_manage_for(actor, entry.user):
        raise EntryNotFound()
    lock_user(actor, entry.user_id)
    entry = find_entry(key)  # as it is now that no other writer of this user is at work
    if entry is None:
        db.session.rollback()
        return
    if entry.is_locked or rules.day_is_locked(entry.user_id, entry.date):
        db.session.rollback()
        raise refused(_("Timene er sendt inn og kan ikke endres."))
    old = _snapshot(entry)
    record_audit(
        actor.company_id,
        actor,
        "time_entry",
        entry.uuid,
        "delete",
        {k: [v, None] for k, v in old.items() if v is not None},
    )
    db.session.delete(entry)
    db.session.commit()


# ---------------------------------------------------------------- weeks


def _line_has_hours(user_id: int, day: date, project_id, activity_id) -> bool:
    """True when the user already has work on `day` on this project and activity."""
    return (
        db.session.scalar(
            select(TimeEntry.id)
            .where(
                TimeEntry.user_id == user_id,
                TimeEntry.kind == "work",
                TimeEntry.date == day,
                TimeEntry.project_id.is_(None)
                if project_id is None
                else TimeEntry.project_id == project_id,
                TimeEntry.activity_id.is_(None)
                if activity_id is None
                else TimeEntry.activity_id == activity_id,
            )
            .limit(1)
        )
        is not None
    )


def copy_previous_week(actor: User, monday: date) -> tuple[int, int]:
    """Copy last week's work entries 7 days ahead in one transaction; returns (copied, skipped).

    Each copy has a UUID derived from its source, so pressing the button twice copies once.
    A day that already has hours on the same project and activity is left as it is (no
    doubled hours), and entries that break a rule in the new week (closed project, full
    day…) are skipped.
    """
    lock_user(actor, actor.id)
    copied = skipped = 0
    previous = db.session.scalars(
        select(TimeEntry)
        .where(
            TimeEntry.user_id == actor.id,
            TimeEntry.kind == "work",
            TimeEntry.date >= monday - timedelta(days=7),
            TimeEntry.date < monday,
        )
        .order_by(TimeEntry.date, TimeEntry.id)
    ).all()
    try:
        for source in previous:
            key = derived_uuid("copy", source.uuid)
            day = source.date + timedelta(days=7)
            if find_entry(key) is not None or _line_has_hours(
                actor.id, day, source.project_id, source.activity_id
            ):
                skipped += 1
                continue
            data = EntryInput(
                date=day,
                project_id=source.project_id,
                activity_id=source.activity_id,
                hours=source.hours,
                comment=source.comment,
            )
            if stage_in_savepoint(lambda d=data, k=key: stage_entry(actor, d, entry_uuid=k)):
                skipped += 1
            else:
                copied += 1
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return copied, skipped

"""The offline app's server side: reading a sync batch, saving it, and the user's offline data.

A batch is checked whole before anything is written (shape, types, size, and that every UUID
is new or the user's own): a bad batch is refused with one message and nothing stored. A good
batch is saved item by item through the one writer (tipro.entries.bulk.save_each), in the
order the client made the changes; deletions go through tipro.entries.services.delete_entry.
"""

from __future__ import annotations

import uuid as uuid_lib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from tipro import clock
from tipro.entries import bulk, queries, services, timer
from tipro.entries.extras import definitions
from tipro.entries.inputs import EntryInput, EntryNotFound, errors_of
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import Activity, ProjectActivity, TimeEntry, User
from tipro.tenancy import ALL_COMPANIES

MAX_ITEMS = 500
SOURCE = "api"
# What one item may carry besides extras (`x_…`); other keys are left alone (newer clients).
TEXT_FIELDS = ("date", "start_time", "end_time", "comment", "kind")
NUMBER_FIELDS = ("project_id", "activity_id", "hours", "break_minutes")
MAX_TEXT = 2000  # longer than any field allows: the rules answer per item, this guards memory
RECENT_DAYS = 35  # the entries the offline week and start page can show


class BadBatch(UserError):
    """The batch as a whole is refused (nothing stored); `status` is the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class SyncItem:
    """One change from the client's queue, checked for shape."""

    position: int
    uuid: str
    deleted: bool
    client_modified_at: datetime | None
    data: EntryInput | None = None
    extras: dict[str, str] = field(default_factory=dict)


def _where(position: int) -> str:
    return _("Registrering nr. %(n)d", n=position + 1)


def _bad(position: int, message: str, status: int = 400) -> BadBatch:
    return BadBatch(f"{_where(position)}: {message}", status)


def _text(position: int, name: str, value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(position, _("«%(field)s» må være tekst.", field=name))
    if len(value) > MAX_TEXT:
        raise _bad(position, _("«%(field)s» er for lang.", field=name))
    return value


def _number(position: int, name: str, value) -> str | int | None:
    """An id or amount as a number or text (the rules parse it); true/false, lists are refused."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _bad(position, _("«%(field)s» må være et tall.", field=name))
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _bad(position, _("«%(field)s» må være et tall.", field=name))
        return repr(value)
    if isinstance(value, str) and len(value) > 40:
        raise _bad(position, _("«%(field)s» må være et tall.", field=name))
    return value


def _instant(position: int, value) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise _bad(position, _("«client_modified_at» må være et tidspunkt (ISO 8601)."))
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(position, _("«client_modified_at» må være et tidspunkt (ISO 8601).")) from None
    if moment.tzinfo is None:
        raise _bad(position, _("«client_modified_at» må ha tidssone (for eksempel Z)."))
    return moment


def _uuid(position: int, value) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise _bad(position, _("«uuid» mangler eller er ugyldig."))
    try:
        return str(uuid_lib.UUID(value.strip()))
    except ValueError:
        raise _bad(position, _("«uuid» mangler eller er ugyldig.")) from None


def _item(position: int, raw) -> SyncItem:
    if not isinstance(raw, dict):
        raise _bad(position, _("må være et objekt."))
    deleted = raw.get("deleted", False)
    if not isinstance(deleted, bool):
        raise _bad(position, _("«deleted» må være true eller false."))
    item = SyncItem(
        position=position,
        uuid=_uuid(position, raw.get("uuid")),
        deleted=deleted,
        client_modified_at=_instant(position, raw.get("client_modified_at")),
    )
    if deleted:
        return item
    texts = {name: _text(position, name, raw.get(name)) for name in TEXT_FIELDS}
    numbers = {name: _number(position, name, raw.get(name)) for name in NUMBER_FIELDS}
    extras = raw.get("extras") or {}
    if not isinstance(extras, dict):
        raise _bad(position, _("«extras» må være et objekt."))
    extras = {**extras, **{k: v for k, v in raw.items() if k.startswith("x_")}}
    for key, value in extras.items():
        if not key.startswith("x_") or len(key) > 100:
            raise _bad(position, _("Ukjent tilleggsfelt «%(field)s».", field=key[:100]))
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _bad(position, _("«%(field)s» må være tekst eller et tall.", field=key))
        extras[key] = str(value)
        if len(extras[key]) > MAX_TEXT:
            raise _bad(position, _("«%(field)s» er for lang.", field=key))
    item.data = EntryInput(
        date=texts["date"],
        project_id=numbers["project_id"],
        activity_id=numbers["activity_id"],
        hours=None if numbers["hours"] is None else str(numbers["hours"]),
        start_time=texts["start_time"],
        end_time=texts["end_time"],
        break_minutes=numbers["break_minutes"],
        comment=texts["comment"] or "",
        kind=texts["kind"] or "work",
        client_modified_at=item.client_modified_at,
        extras=extras,
    )
    return item


def parse_batch(body) -> list[SyncItem]:
    """The items of `{"entries": [...]}` in order; BadBatch when any part is malformed."""
    if not isinstance(body, dict) or "entries" not in body:
        raise BadBatch(_("Forventet et JSON-objekt med «entries»."))
    entries = body["entries"]
    if not isinstance(entries, list):
        raise BadBatch(_("«entries» må være en liste."))
    if len(entries) > MAX_ITEMS:
        raise BadBatch(
            _("For mange registreringer: høyst %(max)d per forespørsel.", max=MAX_ITEMS), 413
        )
    return [_item(position, raw) for position, raw in enumerate(entries)]


def check_owner(actor: User, items: list[SyncItem]) -> None:
    """Refuse the batch when any UUID is another user's or another company's entry.

    The one query that looks across companies (ALL_COMPANIES): the scope would hide another
    company's row, and the upsert would then fail on it item by item instead of saying so.
    """
    keys = {item.uuid for item in items}
    if not keys:
        return
    owners = db.session.execute(
        select(TimeEntry.uuid, TimeEntry.company_id, TimeEntry.user_id)
        .where(TimeEntry.uuid.in_(keys))
        .execution_options(**ALL_COMPANIES)
    ).all()
    for key, company_id, user_id in owners:
        if company_id != actor.company_id or user_id != actor.id:
            position = next(i.position for i in items if i.uuid == key)
            raise _bad(position, _("Registreringen tilhører en annen bruker."), 403)


def _delete(actor: User, item: SyncItem) -> dict[str, str]:
    """Delete one entry (gone already counts as done); field → message when refused."""
    entry = services.find_entry(item.uuid)
    if entry is None:
        return {}
    if (
        item.client_modified_at is not None
        and entry.client_modified_at is not None
        and clock.aware(item.client_modified_at) < clock.aware(entry.client_modified_at)
    ):
        db.session.rollback()
        return {}  # a newer change of the entry stands
    try:
        services.delete_entry(actor, item.uuid)
    except EntryNotFound:
        return {}
    except UserError as error:
        return errors_of(error)
    return {}


def _result(uuid: str, errors: dict[str, str]) -> dict:
    return {"uuid": uuid, "status": "rejected" if errors else "accepted", "errors": errors}


def sync(actor: User, items: list[SyncItem]) -> list[dict]:
    """Save the batch in order; one answer per item, in the same order."""
    check_owner(actor, items)
    db.session.rollback()  # the check read under no lock; the writer takes its own
    results: list[dict] = []
    run: list[bulk.SaveItem] = []

    def save_run() -> None:
        if run:
            answers = bulk.save_each(actor, run, source=SOURCE)
            results.extend(_result(a.uuid, a.errors) for a in answers)
            run.clear()

    for item in items:
        if item.deleted:
            save_run()
            results.append(_result(item.uuid, _delete(actor, item)))
        else:
            run.append(bulk.SaveItem(item.position, actor, item.data, item.uuid))
    save_run()
    return results


# ---------------------------------------------------------------- the offline data


def _links() -> dict[int, list[dict]]:
    """project id → its open links (activity id and dates), in one statement.

    The dates go along so the offline form applies the link rule for the entry's own day,
    as tipro.entries.pickers does online."""
    rows = db.session.execute(
        select(
            ProjectActivity.project_id,
            ProjectActivity.activity_id,
            ProjectActivity.start_date,
            ProjectActivity.end_date,
        ).where(ProjectActivity.is_closed.is_(False))
    ).all()
    links: dict[int, list[dict]] = {}
    for project_id, activity_id, start, end in rows:
        links.setdefault(project_id, []).append(
            {
                "activity_id": activity_id,
                "from": start.isoformat() if start else None,
                "to": end.isoformat() if end else None,
            }
        )
    return links


def _open_on(link: dict, day: str) -> bool:
    return (link["from"] is None or link["from"] <= day) and (
        link["to"] is None or link["to"] >= day
    )


def _last_activities(entries) -> dict[int | None, int]:
    """project id (None: no project) → the activity of the user's latest work entry on it."""
    last: dict[int | None, int] = {}
    for entry in entries:  # oldest first: the latest wins
        if entry.kind == "work" and entry.activity_id is not None:
            last[entry.project_id] = entry.activity_id
    return last


def offline_data(user: User) -> dict:
    """What the app needs to work without network, for this user only (JSON-ready)."""
    today = clock.today()
    recent, others = queries.project_choices(user, today)
    recent_ids = [p.id for p in recent]
    links = _links()
    today_text = today.isoformat()
    absence_activities = {t.activity_id for t in definitions.active_absence_types()}
    activities = db.session.execute(
        select(
            Activity.id,
            Activity.name,
            Activity.number,
            Activity.is_general,
            Activity.is_project_activity,
        )
        .where(Activity.is_active.is_(True))
        .order_by(Activity.is_general, Activity.number, Activity.name)
    ).all()
    entries = queries.entries_between(user.id, today - timedelta(days=RECENT_DAYS), today)
    last_activity = _last_activities(entries)
    running = timer.running_timer(user)
    return {
        "user": {"id": user.id, "name": user.display_name},
        "today": today.isoformat(),
        "projects": [
            {
                "id": p.id,
                "name": p.display_name,
                "recent": p.id in recent_ids,
                # Linked activities open today (older clients), and the links with dates.
                "activity_ids": [
                    link["activity_id"]
                    for link in links.get(p.id, [])
                    if _open_on(link, today_text)
                ],
                "links": links.get(p.id, []),
                "last_activity_id": last_activity.get(p.id),
            }
            for p in [*recent, *others]
        ],
        "last_activity_without_project": last_activity.get(None),
        "activities": [
            {
                "id": a.id,
                "name": a.name,
                "number": a.number,
                "general": a.is_general,
                # Tripletex' type, as tipro.entries.pickers reads it: general without a project
                # only; project-general on any project; project-specific where linked only.
                "project_activity": a.is_project_activity,
                "without_project": a.is_general and not a.is_project_activity,
                "on_any_project": a.is_general and a.is_project_activity,
                "absence": a.id in absence_activities,
            }
            for a in activities
        ],
        "supplement_types": [
            {"id": s.id, "name": s.name, "unit": s.unit, "per": s.per}
            for s in definitions.active_supplement_types()
        ],
        "absence_types": [
            {"id": t.id, "name": t.name, "code": t.code, "activity_id": t.activity_id}
            for t in definitions.active_absence_types()
        ],
        "custom_fields": [
            {
                "id": f.id,
                "key": f.key,
                "label": f.label,
                "type": f.field_type,
                "choices": list(f.choices),
                "required": f.required,
                "project_id": f.project_id,
            }
            for f in definitions.all_active_fields()
        ],
        "entries": [
            {
                "id": e.id,
                "uuid": e.uuid,
                "date": e.date.isoformat(),
                "project_id": e.project_id,
                "activity_id": e.activity_id,
                "hours": str(e.hours),
                "comment": e.comment,
                "kind": e.kind,
                "state": e.state,
            }
            for e in entries
        ],
        "timer": None
        if running is None
        else {
            "started_at": clock.aware(running.started_at).isoformat(),
            "project_id": running.project_id,
            "activity_id": running.activity_id,
            "comment": running.comment,
        },
    }

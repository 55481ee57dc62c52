"""The offline app's server side: reading a sync batch, saving it, and the user's offline data.

A batch is checked whole before anything is written (shape, types, size, and that every UUID
is new or the user's own): a bad batch is refused with one message and nothing stored. A good
batch is saved item by item through the one writer (tipro.entries.bulk.save_each), in the
order the client made the changes; deletions go through tipro.entries.services.delete_entry.
Absence items keep the absence form's rules (working days only, a normal day's hours when none
are given); an item with `"stops_timer": true` is a clock stopped offline, and once it is saved
the running clock it came from (the same entry id) is removed. A batch may name whose queue it
is (`"user": id`): sent under another user's session, it is refused whole (409).
"""

from __future__ import annotations

import uuid as uuid_lib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from tipro import clock, i18n, worktime
from tipro.entries import bulk, queries, services, timer
from tipro.entries.extras import definitions
from tipro.entries.inputs import EntryInput, EntryNotFound, errors_of
from tipro.entries.parsing import parse_date, two_places
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
# The days offline absence can be registered on (normal hours per working day in the data).
ABSENCE_BACK_DAYS = 35
ABSENCE_AHEAD_DAYS = 120


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
    # The entry of a clock stopped offline: once saved, the running clock it came from goes.
    stops_timer: bool = False
    # Whose queue the batch is (the body's optional "user"): None when the client names none.
    queue_user: str | None = None


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
    stops_timer = raw.get("stops_timer", False)
    if not isinstance(stops_timer, bool) or (stops_timer and deleted):
        raise _bad(position, _("«stops_timer» må være true eller false (ikke på en sletting)."))
    item.stops_timer = stops_timer
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
    owner = body.get("user")
    if owner is not None and (isinstance(owner, bool) or not isinstance(owner, int | str)):
        raise BadBatch(_("«user» må være brukerens id."))
    items = [_item(position, raw) for position, raw in enumerate(entries)]
    for item in items:
        item.queue_user = None if owner is None else str(owner)[:40]
    return items


def check_owner(actor: User, items: list[SyncItem]) -> None:
    """Refuse the batch when any UUID is another user's or another company's entry.

    The one query that looks across companies (ALL_COMPANIES): the scope would hide another
    company's row, and the upsert would then fail on it item by item instead of saying so.
    """
    if any(item.queue_user not in (None, str(actor.id)) for item in items):
        # The queue was made by someone else on this device (the service worker or an old
        # page sending after another log-in): it waits for its own user, nothing is stored.
        raise BadBatch(
            _("Køen tilhører en annen bruker. Logg inn som den brukeren for å sende den."),
            409,
        )
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


def _is_absence(item: SyncItem) -> bool:
    return item.data is not None and (item.data.kind or "").strip() == "absence"


def _item_day(item: SyncItem) -> date | None:
    try:
        return parse_date(item.data.date) if item.data else None
    except UserError:
        return None  # the rules answer for the date


def _absence_calendar(actor: User, items: list[SyncItem]) -> worktime.Calendar | None:
    """The working calendar over the batch's absence days (one read), as the form uses it."""
    days = [day for item in items if _is_absence(item) and (day := _item_day(item))]
    if not days:
        return None
    return worktime.load_calendar(actor.company, min(days), max(days))


def _absence_errors(actor: User, item: SyncItem, calendar: worktime.Calendar | None) -> dict:
    """The absence form's own rules for one day: a working day only, a normal day's hours
    when none are given (tipro.entries.absence); field → message when refused."""
    day = _item_day(item)
    if calendar is None or day is None:
        return {}
    if not calendar.day(day).is_workday:
        return {
            "date": _(
                "%(day)s er ikke en arbeidsdag (helg, helligdag eller stengt dag).",
                day=i18n.day(day, "EEE d.M.yyyy"),
            )
        }
    data = item.data
    if data.hours in (None, "") and not (data.start_time or data.end_time):
        data.hours = str(_normal_day(actor, worktime.Employment.of(actor.employee), day))
    return {}


def sync(actor: User, items: list[SyncItem]) -> list[dict]:
    """Save the batch in order; one answer per item, in the same order."""
    check_owner(actor, items)
    calendar = _absence_calendar(actor, items)
    db.session.rollback()  # the check read under no lock; the writer takes its own
    results: list[dict] = []
    run: list[bulk.SaveItem] = []
    stopping = {item.uuid for item in items if item.stops_timer}

    def save_run() -> None:
        if run:
            answers = bulk.save_each(actor, run, source=SOURCE)
            results.extend(_result(a.uuid, a.errors) for a in answers)
            run.clear()
            for answer in answers:
                # After the entry is stored: should this fail, the clock shows again and
                # stopping it makes the same entry (the same UUID), never a second one.
                if answer.accepted and answer.uuid in stopping:
                    timer.clear_stopped(actor, answer.uuid)

    for item in items:
        refused = _absence_errors(actor, item, calendar) if _is_absence(item) else {}
        if item.deleted or refused:
            save_run()
            results.append(_result(item.uuid, refused or _delete(actor, item)))
        else:
            run.append(bulk.SaveItem(item.position, actor, item.data, item.uuid))
    save_run()
    for item, result in zip(items, results, strict=True):
        if result["status"] == "rejected" and _period_locked(actor, item):
            # Machine-readable: the client offers «Send som endringsønske» for this one.
            result["code"] = PERIOD_LOCKED
    return results


PERIOD_LOCKED = "period_locked"


def _period_locked(actor: User, item: SyncItem) -> bool:
    """The item's day, or the day of the entry it changes, lies in a handed-in or approved
    period of the user's (the rejection a change request can answer)."""
    from tipro.approvals import periods
    from tipro.entries import parsing

    days = []
    if item.data is not None:
        try:
            days.append(parsing.parse_date(item.data.date))
        except UserError:
            pass
    entry = services.find_entry(item.uuid)
    if entry is not None and entry.user_id == actor.id:
        days.append(entry.date)
    return any(periods.is_locked(actor.id, day) for day in days)


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


def _normal_day(user: User, employment: worktime.Employment, day: date):
    """tipro.entries.absence.normal_day without reading the employment again per day, as the
    hours rules store it (two places)."""
    percentage = employment.percentage_on(day) or worktime.FULL_TIME
    return two_places(worktime.day_hours(user.company.normal_hours_per_week, percentage))


def _absence_days(user: User, today: date) -> dict[str, str]:
    """Working day → the person's normal hours, around today: what the absence form needs
    offline (weekends, public holidays and closure days are left out)."""
    first = today - timedelta(days=ABSENCE_BACK_DAYS)
    last = today + timedelta(days=ABSENCE_AHEAD_DAYS)
    calendar = worktime.load_calendar(user.company, first, last)
    employment = worktime.Employment.of(user.employee)
    return {
        day.date.isoformat(): str(_normal_day(user, employment, day.date))
        for day in calendar.days()
        if day.is_workday
    }


def _timer_data(user: User, running) -> dict | None:
    if running is None:
        return None
    started = clock.aware(running.started_at)
    return {
        "started_at": started.isoformat(),
        "project_id": running.project_id,
        "activity_id": running.activity_id,
        "comment": running.comment,
        # For stopping it offline: the entry's day, its start and id (as stop_timer makes it).
        "date": clock.oslo_date(started).isoformat(),
        "since": started.astimezone(clock.OSLO).strftime("%H:%M"),
        "uuid": timer.entry_uuid(user.id, started),
    }


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
        "timer": _timer_data(user, running),
        "absence_days": _absence_days(user, today),
    }

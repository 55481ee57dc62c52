"""Every write to hours goes through here: the form, htmx, the timer, imports and a JSON batch.

Rules (all of them live in this module; routes only translate input and errors):
- hours 0 < h ≤ 24 per entry (0 is refused: removing hours is `delete_entry`), at most two
  decimals; from–to times with a break give the hours instead; ≤ 24 h per user per day;
- the project must be one the user may pick that day (tipro.entries.pickers), the activity
  allowed on it (or a general activity without a project); another company's id is unknown;
- nothing changes in a submitted/approved/transferred entry or week;
- employees touch only their own entries; admins may register for anyone in the company
  (recorded in `created_by_id` and the audit log); every change writes an AuditEvent.
Writes for one user are serialised by locking the user's row, so the day total and the
upsert-by-uuid hold under concurrency.
"""

from __future__ import annotations

import re
import uuid as uuid_lib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tipro.auth.services import record_audit
from tipro.entries import extras, pickers
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import (
    Activity,
    Department,
    Employee,
    Project,
    TimeEntry,
    Timer,
    User,
    WeekSubmission,
    utcnow,
)
from tipro.models.work import (
    ENTRY_KINDS,
    ENTRY_OPEN,
    ENTRY_SOURCES,
    ENTRY_SUBMITTED,
    LOCKED_WEEK_STATES,
    WEEK_SUBMITTED,
)
from tipro.security import parse_id
from tipro.tenancy import company_scope
from tipro.ui import OSLO, today_in_oslo

MAX_HOURS = Decimal("24")
TWO_PLACES = Decimal("0.01")
# A stopped timer is rounded to the nearest quarter hour (the unit Norwegian timesheets and
# payroll commonly use), and never below one quarter: a started clock means work was done.
TIMER_STEP = Decimal("0.25")
MAX_COMMENT = 2000
# What a person fills in for one entry (the form's fields, named as on TimeEntry).
ENTRY_FIELDS = (
    "date",
    "project_id",
    "activity_id",
    "hours",
    "start_time",
    "end_time",
    "break_minutes",
    "comment",
)
AUDITED_FIELDS = (*ENTRY_FIELDS, "state", "kind", "user_id", "employee_id")

# At most 9 whole digits: more would overflow the Decimal context on quantize.
# Control characters (NUL above all: PostgreSQL refuses it in text) are never typed text.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DECIMAL_RE = re.compile(r"^(-?)([0-9]{0,9})(?:[.,]([0-9]*))?$")
_CLOCK_RE = re.compile(r"^(-?)([0-9]{1,2}):([0-9]{2})$")
_TIME_RE = re.compile(r"^([0-9]{1,2})(?:[:.]?([0-9]{2}))?$")
# Uuids from clients: any RFC 4122 text form, stored lower-case with hyphens.
_NAMESPACE = uuid_lib.UUID("6f1c8a52-3d1e-4f43-9d7b-2a0e7c1b5e90")


class EntryValidationError(UserError):
    """One or more broken rules: `errors` maps field → Norwegian message."""

    def __init__(self, errors: dict[str, str], status: int = 422) -> None:
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, first_field)
        self.errors = errors
        self.status = status


class EntryNotFound(UserError):
    """The entry does not exist for this user (another user's or company's counts as missing)."""

    def __init__(self) -> None:
        super().__init__(_("Fant ikke registreringen."))


@dataclass
class EntryInput:
    """What a client sends for one entry; strings are parsed and checked by the service."""

    date: date | str | None
    project_id: int | str | None = None
    activity_id: int | str | None = None
    hours: Decimal | str | None = None
    start_time: time | str | None = None
    end_time: time | str | None = None
    break_minutes: int | str | None = None
    comment: str | None = ""
    kind: str = "work"
    client_modified_at: datetime | None = None
    extras: dict = field(default_factory=dict)


@dataclass
class _Clean:
    date: date | None = None
    project: Project | None = None
    activity: Activity | None = None
    hours: Decimal | None = None
    start_time: time | None = None
    end_time: time | None = None
    break_minutes: int = 0
    comment: str = ""
    kind: str = "work"


# ---------------------------------------------------------------- parsing


def has_control_characters(text: str) -> bool:
    """True for text with control characters other than tab and line breaks."""
    return bool(CONTROL_CHARACTERS.search(text))


def parse_hours(text) -> Decimal:
    """'7,5', '7.5' and '7:30' → Decimal('7.50'); raises UserError on anything else."""
    if isinstance(text, Decimal | int) and not isinstance(text, bool):
        value = Decimal(text)
        if not value.is_finite():
            raise UserError(_("Ugyldig antall timer."), "hours")
        return _two_places(value)
    raw = str(text or "").strip().replace(" ", "").replace("\u00a0", "")
    if not raw:
        raise UserError(_("Skriv inn antall timer."), "hours")
    clock = _CLOCK_RE.match(raw)
    if clock:
        sign, hh, mm = clock.groups()
        if int(mm) > 59:
            raise UserError(_("Minutter må være mellom 00 og 59, f.eks. 7:30."), "hours")
        value = Decimal(int(hh)) + Decimal(int(mm)) / Decimal(60)
        return _two_places(-value if sign else value)
    match = _DECIMAL_RE.match(raw)
    if not match or not (match.group(2) or match.group(3)):
        raise UserError(_("Ugyldig antall timer. Skriv f.eks. 7,5 eller 7:30."), "hours")
    sign, whole, fraction = match.groups()
    if fraction is not None and len(fraction) > 2:
        raise UserError(_("Bruk høyst to desimaler, f.eks. 7,25."), "hours")
    try:
        value = Decimal(f"{sign}{whole or '0'}.{fraction or '0'}")
    except InvalidOperation:
        raise UserError(_("Ugyldig antall timer. Skriv f.eks. 7,5 eller 7:30."), "hours") from None
    return _two_places(value)


def _two_places(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def parse_time(text, field_name: str) -> time | None:
    """'8', '08:00', '8.00' or '0800' → time(8, 0); empty → None."""
    if isinstance(text, time):
        return text
    raw = str(text or "").strip()
    if not raw:
        return None
    match = _TIME_RE.match(raw)
    if not match or int(match.group(1)) > 23 or int(match.group(2) or 0) > 59:
        raise UserError(_("Ugyldig klokkeslett. Skriv f.eks. 08:00."), field_name)
    return time(int(match.group(1)), int(match.group(2) or 0))


def parse_date(value) -> date:
    """A date or 'YYYY-MM-DD'; raises UserError."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        parsed = value
    else:
        try:
            parsed = date.fromisoformat(str(value or "").strip())
        except ValueError:
            raise UserError(_("Ugyldig dato. Bruk formatet åååå-mm-dd."), "date") from None
    today = today_in_oslo()
    if parsed.year < 2000:
        raise UserError(_("Datoen er for langt tilbake i tid."), "date")
    if parsed > today + timedelta(days=366):
        raise UserError(_("Du kan føre timer høyst ett år fram i tid."), "date")
    return parsed


def _parse_id(value) -> int | None:
    """'' / None → None; a positive integer; anything else → -1 (unknown)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return -1
    if isinstance(value, int):
        return value if value > 0 else -1
    text = str(value).strip()
    if not text:
        return None
    return parse_id(text) or -1


def normalise_uuid(value: str | None) -> str:
    """A client's UUID in canonical form; a new one when none is given."""
    if value is None or value == "":
        return str(uuid_lib.uuid4())
    try:
        return str(uuid_lib.UUID(str(value).strip()))
    except ValueError:
        raise EntryValidationError({"uuid": _("Ugyldig id for registreringen.")}, 400) from None


def derived_uuid(*parts) -> str:
    """A deterministic UUID (copies, timer stops): repeating the action upserts, not duplicates."""
    return str(uuid_lib.uuid5(_NAMESPACE, ":".join(str(p) for p in parts)))


# ---------------------------------------------------------------- lookups


def iso_week_of(day: date) -> tuple[int, int]:
    year, week, _weekday = day.isocalendar()
    return year, week


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_submission(user_id: int, day: date) -> WeekSubmission | None:
    year, week = iso_week_of(day)
    return db.session.scalar(
        select(WeekSubmission).where(
            WeekSubmission.user_id == user_id,
            WeekSubmission.iso_year == year,
            WeekSubmission.iso_week == week,
        )
    )


def week_is_locked(user_id: int, day: date) -> bool:
    """True while the user's week containing `day` is submitted, approved or transferred."""
    submission = week_submission(user_id, day)
    return submission is not None and submission.state in LOCKED_WEEK_STATES


def find_entry(entry_uuid: str) -> TimeEntry | None:
    return db.session.scalar(select(TimeEntry).where(TimeEntry.uuid == entry_uuid))


def day_total(user_id: int, day: date, *, excluding_id: int | None = None) -> Decimal:
    """Hours the user has on `day` (all kinds), optionally without one entry."""
    query = select(func.coalesce(func.sum(TimeEntry.hours), 0)).where(
        TimeEntry.user_id == user_id, TimeEntry.date == day
    )
    if excluding_id is not None:
        query = query.where(TimeEntry.id != excluding_id)
    return Decimal(db.session.scalar(query) or 0)


def _lock_user(user_id: int) -> None:
    """Serialise writes for one user (day total, upsert by uuid) with a row lock."""
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


def _load_scoped(model, ident: int):
    # A query (not Session.get) so the company filter always applies.
    return db.session.scalar(select(model).where(model.id == ident))


# ---------------------------------------------------------------- rules


def _check(data: EntryInput, target: User, errors: dict[str, str], entry: TimeEntry | None):
    clean = _Clean()
    try:
        clean.date = parse_date(data.date)
    except UserError as error:
        errors["date"] = error.message

    clean.kind = (data.kind or "work").strip()
    if clean.kind not in ENTRY_KINDS:
        errors["kind"] = _("Ukjent type registrering.")

    comment = data.comment if isinstance(data.comment, str) else str(data.comment or "")
    clean.comment = comment.strip()
    if len(clean.comment) > MAX_COMMENT:
        errors["comment"] = _("Kommentaren kan være høyst %(n)d tegn.", n=MAX_COMMENT)
    elif has_control_characters(clean.comment):
        errors["comment"] = _("Teksten inneholder ugyldige tegn.")

    _check_hours(data, clean, errors)
    if clean.date is not None:
        _check_project_activity(data, clean, target, errors)
        if week_is_locked(target.id, clean.date):
            errors["date"] = _("Uka er sendt inn og kan ikke endres.")
        if clean.hours is not None and "hours" not in errors:
            others = day_total(target.id, clean.date, excluding_id=entry.id if entry else None)
            if others + clean.hours > MAX_HOURS:
                errors["hours"] = _(
                    "Høyst 24 timer per dag. Du har allerede %(hours)s timer denne dagen.",
                    hours=_fmt(others),
                )
    return clean


def _check_hours(data: EntryInput, clean: _Clean, errors: dict[str, str]) -> None:
    hours = None
    if data.hours not in (None, ""):
        try:
            hours = parse_hours(data.hours)
        except UserError as error:
            errors["hours"] = error.message
            return
    try:
        clean.start_time = parse_time(data.start_time, "start_time")
    except UserError as error:
        errors["start_time"] = error.message
    try:
        clean.end_time = parse_time(data.end_time, "end_time")
    except UserError as error:
        errors["end_time"] = error.message
    try:
        clean.break_minutes = _parse_break(data.break_minutes)
    except UserError as error:
        errors["break_minutes"] = error.message
    if any(f in errors for f in ("start_time", "end_time", "break_minutes")):
        return

    if clean.start_time or clean.end_time:
        if not clean.start_time:
            errors["start_time"] = _("Skriv inn fra-tid.")
            return
        if not clean.end_time:
            errors["end_time"] = _("Skriv inn til-tid.")
            return
        minutes = _minutes(clean.end_time) - _minutes(clean.start_time)
        if minutes <= 0:
            errors["end_time"] = _("Til-tid må være etter fra-tid (skift over midnatt deles i to).")
            return
        if clean.break_minutes >= minutes:
            errors["break_minutes"] = _("Pausen er like lang som eller lengre enn arbeidstiden.")
            return
        computed = _two_places(Decimal(minutes - clean.break_minutes) / Decimal(60))
        if hours is not None and hours != computed:
            errors["hours"] = _(
                "Timer (%(hours)s) stemmer ikke med fra–til minus pause (%(computed)s).",
                hours=_fmt(hours),
                computed=_fmt(computed),
            )
            return
        hours = computed
    elif clean.break_minutes:
        clean.break_minutes = 0  # a break only means something with from–to times

    if hours is None:
        errors["hours"] = _("Skriv inn antall timer, eller fra- og til-tid.")
    elif hours < 0:
        errors["hours"] = _("Timer kan ikke være negative.")
    elif hours == 0:
        errors["hours"] = _("Timer må være større enn 0.")
    elif hours > MAX_HOURS:
        errors["hours"] = _("Høyst 24 timer per registrering.")
    else:
        clean.hours = hours


def _parse_break(value) -> int:
    if value is None or value == "":
        return 0
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 5:
        raise UserError(_("Pause skrives i hele minutter, f.eks. 30."), "break_minutes")
    minutes = int(text)
    if minutes > 24 * 60:
        raise UserError(_("Pausen kan ikke være lengre enn et døgn."), "break_minutes")
    return minutes


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _check_project_activity(data, clean: _Clean, target: User, errors: dict[str, str]) -> None:
    day = clean.date
    project_id = _parse_id(data.project_id)
    if project_id is not None:
        message = _project_refusal(project_id, target, day, clean)
        if message:
            errors["project_id"] = message

    activity_id = _parse_id(data.activity_id)
    if activity_id is None:
        if clean.kind == "work":
            errors["activity_id"] = _("Velg en aktivitet.")
        return
    activity = _load_scoped(Activity, activity_id) if activity_id > 0 else None
    if activity is None:
        errors["activity_id"] = _("Ukjent aktivitet.")
        return
    if not activity.is_active:
        errors["activity_id"] = _("Aktiviteten er ikke lenger i bruk.")
        return
    if "project_id" in errors:
        return  # whether it is allowed depends on a project we could not accept
    allowed = db.session.scalar(
        select(Activity.id).where(
            Activity.id == activity.id,
            pickers.activity_allowed_clause(clean.project.id if clean.project else None, day),
        )
    )
    if allowed is None:
        if clean.project is None:
            errors["activity_id"] = _("Denne aktiviteten krever et prosjekt.")
        else:
            errors["activity_id"] = _("Aktiviteten er ikke tillatt på dette prosjektet.")
        return
    clean.activity = activity


def _project_refusal(project_id: int, target: User, day: date, clean: _Clean) -> str | None:
    """Why the user may not log on this project that day, or None (sets clean.project)."""
    project = _load_scoped(Project, project_id) if project_id > 0 else None
    if project is None:
        return _("Ukjent prosjekt.")
    if project.is_closed or not project.is_active:
        return _("Prosjektet er avsluttet.")
    if not project.is_open_on(day):
        return _("Prosjektet er ikke åpent for timer denne dagen.")
    allowed = db.session.scalar(
        select(Project.id).where(
            Project.id == project.id, pickers.project_may_log_clause(target.employee_id)
        )
    )
    if allowed is None:
        return _("Bare prosjektdeltakere kan føre timer på dette prosjektet.")
    clean.project = project
    return None


def _fmt(value: Decimal) -> str:
    from tipro.i18n import hours

    return hours(value)


def _snapshot(entry: TimeEntry) -> dict[str, str | None]:
    return {
        name: (None if getattr(entry, name) is None else str(getattr(entry, name)))
        for name in AUDITED_FIELDS
    }


def _changes(old: dict, new: dict) -> dict[str, list]:
    return {k: [old.get(k), v] for k, v in new.items() if old.get(k) != v}


# ---------------------------------------------------------------- writes


def can_manage_for(actor: User, target: User) -> bool:
    """Own entries, or an admin registering for anyone in the company."""
    return actor.company_id == target.company_id and (
        actor.id == target.id or actor.has_role("admin")
    )


def save_entry(
    actor: User,
    data: EntryInput,
    *,
    entry_uuid: str | None = None,
    for_user: User | None = None,
    source: str = "web",
) -> TimeEntry:
    """Create or update (by uuid) one entry; a replay with the same uuid never adds a row."""
    with company_scope(actor.company_id):
        try:
            entry = stage_entry(
                actor, data, entry_uuid=entry_uuid, for_user=for_user, source=source
            )
            db.session.commit()
        except IntegrityError:
            # Two clients raced on one uuid across users; the loser just tries again.
            db.session.rollback()
            raise EntryValidationError(
                {"form": _("Registreringen kolliderte med en annen endring. Prøv igjen.")}, 409
            ) from None
        except UserError:
            db.session.rollback()
            raise
    return entry


def stage_entry(
    actor: User,
    data: EntryInput,
    *,
    entry_uuid: str | None = None,
    for_user: User | None = None,
    source: str = "web",
) -> TimeEntry:
    """`save_entry` without the commit: checks every rule and flushes, the caller commits.

    For bulk saves (import, absence ranges, the timer) that must store several rows, or a row
    and something else, all or nothing. Raises UserError like `save_entry` but leaves the
    rollback to the caller (use a savepoint, `db.session.begin_nested()`, to survive one bad
    item). Call it inside `company_scope(actor.company_id)`.
    """
    if source not in ENTRY_SOURCES:
        raise ValueError(f"unknown source {source!r}")
    key = normalise_uuid(entry_uuid)
    target = for_user or actor
    if not can_manage_for(actor, target):
        raise EntryNotFound()
    _lock_user(target.id)
    entry = find_entry(key)
    if entry is not None:
        if entry.user_id != target.id and for_user is not None:
            raise EntryNotFound()
        target = entry.user
        if not can_manage_for(actor, target):
            raise EntryNotFound()
        if target.id != actor.id:
            _lock_user(target.id)
        if entry.is_locked:
            raise EntryValidationError(
                {"form": _("Timene er sendt inn og kan ikke endres.")}, status=409
            )
        if week_is_locked(target.id, entry.date):
            raise EntryValidationError({"date": _("Uka er sendt inn og kan ikke endres.")}, 409)
        if (
            data.client_modified_at is not None
            and entry.client_modified_at is not None
            and data.client_modified_at < entry.client_modified_at
        ):
            return entry  # an older offline edit arriving late: the newer one stands

    errors: dict[str, str] = {}
    clean = _check(data, target, errors, entry)
    cleaned_extras = extras.validate_extras(actor.company_id, data, errors)
    if errors:
        raise EntryValidationError(errors)

    old = _snapshot(entry) if entry is not None else {}
    if entry is None:
        entry = TimeEntry(
            company_id=actor.company_id,
            uuid=key,
            user_id=target.id,
            created_by_id=actor.id,
            source=source,
            state=ENTRY_OPEN,
        )
        db.session.add(entry)
    entry.employee_id = target.employee_id
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
    db.session.flush()
    extras.save_extras(entry, cleaned_extras)
    if changes:
        if old:
            entry.updated_at = utcnow()
        if target.id != actor.id:
            changes["registered_for"] = [None, str(target.id)]
        record_audit(
            actor.company_id,
            actor,
            "time_entry",
            entry.uuid,
            "update" if old else "create",
            changes,
        )
    return entry


def delete_entry(actor: User, entry_uuid: str) -> None:
    """Delete one open entry of the actor's (or, for an admin, anyone's in the company)."""
    with company_scope(actor.company_id):
        try:
            key = normalise_uuid(entry_uuid)
        except EntryValidationError:
            raise EntryNotFound() from None
        entry = find_entry(key)
        if entry is None or not can_manage_for(actor, entry.user):
            raise EntryNotFound()
        _lock_user(entry.user_id)
        if entry.is_locked or week_is_locked(entry.user_id, entry.date):
            raise EntryValidationError(
                {"form": _("Timene er sendt inn og kan ikke endres.")}, status=409
            )
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


def submit_week(actor: User, day: date, *, for_user: User | None = None) -> WeekSubmission:
    """Hand in the week containing `day`: its entries become submitted, new ones are refused."""
    target = for_user or actor
    with company_scope(actor.company_id):
        if not can_manage_for(actor, target):
            raise EntryNotFound()
        _lock_user(target.id)
        year, week = iso_week_of(day)
        submission = week_submission(target.id, day)
        if submission is not None and submission.is_locked:
            raise EntryValidationError({"form": _("Uka er allerede sendt inn.")}, status=409)
        timer = db.session.scalar(select(Timer).where(Timer.user_id == target.id))
        if timer is not None and iso_week_of(_timer_day(timer)) == (year, week):
            # Its entry could never be saved once the week is locked.
            raise EntryValidationError(
                {"form": _("Klokka går i denne uka. Stopp den før du sender inn uka.")},
                status=409,
            )
        if submission is None:
            submission = WeekSubmission(
                company_id=actor.company_id, user_id=target.id, iso_year=year, iso_week=week
            )
            db.session.add(submission)
        submission.state = WEEK_SUBMITTED
        submission.submitted_at = utcnow()
        submission.submitted_by_id = actor.id
        monday = date.fromisocalendar(year, week, 1)
        entries = db.session.scalars(
            select(TimeEntry).where(
                TimeEntry.user_id == target.id,
                TimeEntry.date >= monday,
                TimeEntry.date <= monday + timedelta(days=6),
                TimeEntry.state == ENTRY_OPEN,
            )
        ).all()
        for entry in entries:
            entry.state = ENTRY_SUBMITTED
            record_audit(
                actor.company_id,
                actor,
                "time_entry",
                entry.uuid,
                "submit",
                {"state": [ENTRY_OPEN, ENTRY_SUBMITTED]},
            )
        db.session.flush()
        record_audit(
            actor.company_id,
            actor,
            "week_submission",
            submission.id,
            "submit",
            {"week": [None, f"{year}-W{week:02d}"], "entries": [None, str(len(entries))]},
        )
        db.session.commit()
        return submission


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
    """Copy last week's work entries 7 days ahead; returns (copied, skipped).

    Each copy has a UUID derived from its source, so pressing the button twice copies once.
    A day that already has hours on the same project and activity is left as it is (no
    doubled hours), and entries that break a rule in the new week (closed project, full
    day…) are skipped.
    """
    copied = skipped = 0
    with company_scope(actor.company_id):
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
        sources = [
            (e.uuid, e.date, e.project_id, e.activity_id, e.hours, e.comment) for e in previous
        ]
    for source_uuid, day, project_id, activity_id, hours, comment in sources:
        key = derived_uuid("copy", source_uuid)
        with company_scope(actor.company_id):
            if find_entry(key) is not None or _line_has_hours(
                actor.id, day + timedelta(days=7), project_id, activity_id
            ):
                skipped += 1
                continue
        try:
            save_entry(
                actor,
                EntryInput(
                    date=day + timedelta(days=7),
                    project_id=project_id,
                    activity_id=activity_id,
                    hours=hours,
                    comment=comment,
                ),
                entry_uuid=key,
            )
            copied += 1
        except UserError:
            skipped += 1
    return copied, skipped


# ---------------------------------------------------------------- timer


def running_timer(user: User) -> Timer | None:
    with company_scope(user.company_id):
        return db.session.scalar(select(Timer).where(Timer.user_id == user.id))


def start_timer(actor: User, project_id, activity_id, comment: str = "") -> Timer:
    """Start the user's stamp clock on a project/activity allowed today."""
    with company_scope(actor.company_id):
        _lock_user(actor.id)
        if db.session.scalar(select(Timer.id).where(Timer.user_id == actor.id)):
            db.session.rollback()
            raise EntryValidationError({"form": _("Klokka går allerede.")}, status=409)
        if week_is_locked(actor.id, today_in_oslo()):
            # Stopping would be refused, and the clock would run on with nowhere to go.
            db.session.rollback()
            raise EntryValidationError(
                {"form": _("Denne uka er sendt inn, så klokka kan ikke startes.")}, status=409
            )
        errors: dict[str, str] = {}
        clean = _Clean(date=today_in_oslo(), kind="work")
        _check_project_activity(
            EntryInput(date=clean.date, project_id=project_id, activity_id=activity_id),
            clean,
            actor,
            errors,
        )
        text = (comment or "").strip()
        if len(text) > MAX_COMMENT:
            errors["comment"] = _("Kommentaren kan være høyst %(n)d tegn.", n=MAX_COMMENT)
        elif has_control_characters(text):
            errors["comment"] = _("Teksten inneholder ugyldige tegn.")
        if errors:
            db.session.rollback()
            raise EntryValidationError(errors)
        timer = Timer(
            company_id=actor.company_id,
            user_id=actor.id,
            project_id=clean.project.id if clean.project else None,
            activity_id=clean.activity.id if clean.activity else None,
            started_at=utcnow(),
            comment=text,
        )
        db.session.add(timer)
        record_audit(
            actor.company_id,
            actor,
            "timer",
            actor.id,
            "start",
            {"project_id": [None, str(timer.project_id)], "activity_id": [None, str(activity_id)]},
        )
        db.session.commit()
        return timer


def _timer_day(timer: Timer) -> date:
    """The Oslo date the clock started on: its entry lands there."""
    started = timer.started_at
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    return started.astimezone(OSLO).date()


def timer_hours(started_at: datetime, stopped_at: datetime) -> Decimal:
    """Elapsed time rounded to the nearest quarter hour, at least 0.25 h."""
    seconds = Decimal(int((stopped_at - started_at).total_seconds()))
    quarters = (seconds / Decimal(900)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(TIMER_STEP, quarters * TIMER_STEP)


def stop_timer(actor: User, *, now: datetime | None = None) -> TimeEntry:
    """Stop the clock: one entry on the day it started (Oslo), hours to the nearest quarter."""
    with company_scope(actor.company_id):
        try:
            _lock_user(actor.id)
            timer = db.session.scalar(select(Timer).where(Timer.user_id == actor.id))
            if timer is None:
                raise EntryValidationError({"form": _("Ingen klokke går.")}, status=409)
            stopped = now or utcnow()
            started = timer.started_at
            if started.tzinfo is None:
                started = started.replace(tzinfo=UTC)
            hours = timer_hours(started, stopped)
            if hours > MAX_HOURS:
                raise EntryValidationError(
                    {
                        "form": _(
                            "Klokka har gått i over 24 timer. Forkast den og før timene manuelt."
                        )
                    },
                    status=409,
                )
            entry = stage_entry(
                actor,
                EntryInput(
                    date=started.astimezone(OSLO).date(),
                    project_id=timer.project_id,
                    activity_id=timer.activity_id,
                    hours=hours,
                    comment=timer.comment,
                ),
                entry_uuid=derived_uuid("timer", actor.id, started.isoformat()),
                for_user=None,
                source="timer",
            )
            db.session.delete(timer)
            record_audit(
                actor.company_id, actor, "timer", actor.id, "stop", {"hours": [None, str(hours)]}
            )
            db.session.commit()
            return entry
        except UserError:
            db.session.rollback()
            raise


def discard_timer(actor: User) -> None:
    """Throw the running clock away without registering anything."""
    with company_scope(actor.company_id):
        timer = db.session.scalar(select(Timer).where(Timer.user_id == actor.id))
        if timer is None:
            raise EntryValidationError({"form": _("Ingen klokke går.")}, status=409)
        record_audit(
            actor.company_id,
            actor,
            "timer",
            actor.id,
            "discard",
            {"started_at": [timer.started_at.isoformat(), None]},
        )
        db.session.delete(timer)
        db.session.commit()


# ---------------------------------------------------------------- who sees what


def visible_user_ids(actor: User) -> set[int] | None:
    """Users whose entries the actor may see: None means everyone in the company (admin)."""
    if actor.has_role("admin"):
        return None
    ids = {actor.id}
    if actor.has_role("approver") and actor.employee_id:
        with company_scope(actor.company_id):
            managed_departments = select(Department.id).where(
                Department.manager_id == actor.employee_id
            )
            dept_employees = select(Employee.id).where(
                Employee.department_id.in_(managed_departments)
            )
            ids |= set(
                db.session.scalars(select(User.id).where(User.employee_id.in_(dept_employees)))
            )
            managed_projects = select(Project.id).where(
                Project.project_manager_id == actor.employee_id
            )
            ids |= set(
                db.session.scalars(
                    select(TimeEntry.user_id)
                    .where(TimeEntry.project_id.in_(managed_projects))
                    .distinct()
                )
            )
    return ids


def can_view_entry(actor: User, entry: TimeEntry) -> bool:
    """True when the entry is among those the actor may see."""
    visible = entries_visible_query(actor).where(TimeEntry.id == entry.id)
    return db.session.scalar(visible) is not None


def entries_visible_query(actor: User):
    """SELECT of the entries the actor may see (own; managed projects/departments; all)."""
    query = select(TimeEntry)
    if actor.has_role("admin"):
        return query
    if not (actor.has_role("approver") and actor.employee_id):
        return query.where(TimeEntry.user_id == actor.id)
    managed_projects = select(Project.id).where(Project.project_manager_id == actor.employee_id)
    managed_departments = select(Department.id).where(Department.manager_id == actor.employee_id)
    dept_employees = select(Employee.id).where(Employee.department_id.in_(managed_departments))
    return query.where(
        (TimeEntry.user_id == actor.id)
        | TimeEntry.project_id.in_(managed_projects)
        | TimeEntry.employee_id.in_(dept_employees)
    )

"""The rules an entry must keep, as checks that answer field → Norwegian message.

- hours 0 < h ≤ 24 per entry (0 is refused: removing hours is a delete), at most two
  decimals; from–to times with a break give the hours instead; ≤ 24 h per user per day;
- the project must be one the user may pick that day (tipro.entries.pickers), the activity
  allowed on it (or a general activity without a project); another company's id is unknown;
- nothing changes in a submitted/approved/transferred entry or week;
- employees touch only their own entries; admins may register for anyone in the company.

The checks themselves are pure functions over values and loaded rows; `check_entry` loads
what they need (within the current company scope) and runs them all. The writer that calls
them is tipro.entries.services.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from tipro import i18n
from tipro.entries import parsing, pickers
from tipro.entries.inputs import EntryInput
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import Activity, Project, TimeEntry, User, WeekSubmission
from tipro.models.work import ENTRY_KINDS, LOCKED_WEEK_STATES

MAX_HOURS = Decimal("24")
MAX_COMMENT = 2000


@dataclass
class Clean:
    """An entry's values once every rule accepted them."""

    date: date | None = None
    project: Project | None = None
    activity: Activity | None = None
    hours: Decimal | None = None
    start_time: time | None = None
    end_time: time | None = None
    break_minutes: int = 0
    comment: str = ""
    kind: str = "work"


# ---------------------------------------------------------------- pure checks


def can_manage_for(actor: User, target: User) -> bool:
    """Own entries, or an admin registering for anyone in the company."""
    return actor.company_id == target.company_id and (
        actor.id == target.id or actor.has_role("admin")
    )


def comment_error(text: str) -> str | None:
    if len(text) > MAX_COMMENT:
        return _("Kommentaren kan være høyst %(n)d tegn.", n=MAX_COMMENT)
    if parsing.has_control_characters(text):
        return _("Teksten inneholder ugyldige tegn.")
    return None


def check_hours(data: EntryInput, clean: Clean, errors: dict[str, str]) -> None:
    """Hours, or from–to times with a break; sets clean.hours/start/end/break."""
    hours = None
    if data.hours not in (None, ""):
        try:
            hours = parsing.parse_hours(data.hours)
        except UserError as error:
            errors["hours"] = error.message
            return
    for name, parse in (
        ("start_time", lambda: parsing.parse_time(data.start_time, "start_time")),
        ("end_time", lambda: parsing.parse_time(data.end_time, "end_time")),
        ("break_minutes", lambda: parsing.parse_break(data.break_minutes)),
    ):
        try:
            setattr(clean, name, parse())
        except UserError as error:
            errors[name] = error.message
    if any(f in errors for f in ("start_time", "end_time", "break_minutes")):
        return

    if clean.start_time or clean.end_time:
        if not clean.start_time:
            errors["start_time"] = _("Skriv inn fra-tid.")
            return
        if not clean.end_time:
            errors["end_time"] = _("Skriv inn til-tid.")
            return
        minutes = parsing.minutes_of(clean.end_time) - parsing.minutes_of(clean.start_time)
        if minutes <= 0:
            errors["end_time"] = _("Til-tid må være etter fra-tid (skift over midnatt deles i to).")
            return
        if clean.break_minutes >= minutes:
            errors["break_minutes"] = _("Pausen er like lang som eller lengre enn arbeidstiden.")
            return
        computed = parsing.two_places(Decimal(minutes - clean.break_minutes) / Decimal(60))
        if hours is not None and hours != computed:
            errors["hours"] = _(
                "Timer (%(hours)s) stemmer ikke med fra–til minus pause (%(computed)s).",
                hours=i18n.hours(hours),
                computed=i18n.hours(computed),
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


def day_limit_error(others: Decimal, hours: Decimal) -> str | None:
    """At most 24 hours per person per day (`others`: what the day already has)."""
    if others + hours > MAX_HOURS:
        return _(
            "Høyst 24 timer per dag. Du har allerede %(hours)s timer denne dagen.",
            hours=i18n.hours(others),
        )
    return None


def project_error(project: Project | None, day: date, may_log: bool) -> str | None:
    """Why nobody (or this user: `may_log`) may log on the project that day, or None."""
    if project is None:
        return _("Ukjent prosjekt.")
    if project.is_closed or not project.is_active:
        return _("Prosjektet er avsluttet.")
    if not project.is_open_on(day):
        return _("Prosjektet er ikke åpent for timer denne dagen.")
    if not may_log:
        return _("Bare prosjektdeltakere kan føre timer på dette prosjektet.")
    return None


def activity_error(activity: Activity | None, project: Project | None, allowed: bool):
    """Why the activity cannot be used (with this project, or none), or None."""
    if activity is None:
        return _("Ukjent aktivitet.")
    if not activity.is_active:
        return _("Aktiviteten er ikke lenger i bruk.")
    if not allowed:
        if project is None:
            return _("Denne aktiviteten krever et prosjekt.")
        return _("Aktiviteten er ikke tillatt på dette prosjektet.")
    return None


# ---------------------------------------------------------------- what the checks read


def _load(model, ident: int | None):
    # A query (not Session.get) so the company scope always applies.
    if ident is None or ident <= 0:
        return None
    return db.session.scalar(select(model).where(model.id == ident))


def week_submission(user_id: int, day: date) -> WeekSubmission | None:
    year, week = parsing.iso_week_of(day)
    return db.session.scalar(
        select(WeekSubmission)
        .where(
            WeekSubmission.user_id == user_id,
            WeekSubmission.iso_year == year,
            WeekSubmission.iso_week == week,
        )
        # As the database has it now: a request may have loaded it before taking the lock.
        .execution_options(populate_existing=True)
    )


def week_is_locked(user_id: int, day: date) -> bool:
    """True while the user's week containing `day` is submitted, approved or transferred."""
    submission = week_submission(user_id, day)
    return submission is not None and submission.state in LOCKED_WEEK_STATES


def day_total(user_id: int, day: date, *, excluding_id: int | None = None) -> Decimal:
    """Hours the user has on `day` (all kinds), optionally without one entry."""
    query = select(func.coalesce(func.sum(TimeEntry.hours), 0)).where(
        TimeEntry.user_id == user_id, TimeEntry.date == day
    )
    if excluding_id is not None:
        query = query.where(TimeEntry.id != excluding_id)
    return Decimal(db.session.scalar(query) or 0)


def check_project_activity(data, clean: Clean, target: User, errors: dict[str, str]) -> None:
    """The project and activity for `clean.date`; sets clean.project and clean.activity."""
    day = clean.date
    project_id = parsing.parse_ref(data.project_id)
    if project_id is not None:
        project = _load(Project, project_id)
        may_log = project is not None and (
            db.session.scalar(
                select(Project.id).where(
                    Project.id == project.id, pickers.project_may_log_clause(target.employee_id)
                )
            )
            is not None
        )
        message = project_error(project, day, may_log)
        if message:
            errors["project_id"] = message
        else:
            clean.project = project

    activity_id = parsing.parse_ref(data.activity_id)
    if activity_id is None:
        if clean.kind == "work":
            errors["activity_id"] = _("Velg en aktivitet.")
        return
    activity = _load(Activity, activity_id)
    if activity is not None and activity.is_active and "project_id" in errors:
        return  # whether it is allowed depends on a project we could not accept
    allowed = activity is not None and (
        db.session.scalar(
            select(Activity.id).where(
                Activity.id == activity.id,
                pickers.activity_allowed_clause(clean.project.id if clean.project else None, day),
            )
        )
        is not None
    )
    message = activity_error(activity, clean.project, allowed)
    if message:
        errors["activity_id"] = message
    else:
        clean.activity = activity


def check_entry(
    data: EntryInput, target: User, entry: TimeEntry | None, errors: dict[str, str]
) -> Clean:
    """Every rule for `data` as `target`'s entry (`entry`: the one it replaces, if any)."""
    clean = Clean()
    try:
        clean.date = parsing.parse_date(data.date)
    except UserError as error:
        errors["date"] = error.message

    clean.kind = (data.kind or "work").strip()
    if clean.kind not in ENTRY_KINDS:
        errors["kind"] = _("Ukjent type registrering.")

    comment = data.comment if isinstance(data.comment, str) else str(data.comment or "")
    clean.comment = comment.strip()
    message = comment_error(clean.comment)
    if message:
        errors["comment"] = message

    check_hours(data, clean, errors)
    if clean.date is not None:
        check_project_activity(data, clean, target, errors)
        if week_is_locked(target.id, clean.date):
            errors["date"] = _("Uka er sendt inn og kan ikke endres.")
        if clean.hours is not None and "hours" not in errors:
            others = day_total(target.id, clean.date, excluding_id=entry.id if entry else None)
            message = day_limit_error(others, clean.hours)
            if message:
                errors["hours"] = message
    return clean

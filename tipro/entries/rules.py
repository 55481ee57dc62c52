"""The rules an entry must keep, as checks that answer field → Norwegian message.

- hours 0 < h ≤ 24 per entry (0 is refused: removing hours is a delete), at most two
  decimals; from–to times with a break give the hours instead; ≤ 24 h per user per day;
- the project must be one the user may pick that day (tipro.entries.pickers), the activity
  allowed on it as Tripletex allows it (a general activity such as «Intern tid» only without
  a project, a project activity only with one); another company's id is unknown;
- nothing changes in a submitted/approved/transferred entry or in a submitted/approved period;
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
from sqlalchemy import bindparam, case, exists, func, select

from tipro import i18n
from tipro.approvals import periods
from tipro.entries import parsing, pickers
from tipro.entries.inputs import EntryInput
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import Activity, Project, TimeEntry, User
from tipro.models.work import ENTRY_KINDS
from tipro.tenancy import reused_statement

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
        name = activity.name
        if project is None:  # only general activities (not project ones) go without
            return _(
                "«%(activity)s» er en prosjektaktivitet og krever et prosjekt. Velg "
                "prosjektet timene gjelder, eller en generell aktivitet for tid uten prosjekt.",
                activity=name,
            )
        if activity.without_project:
            return _(
                "«%(activity)s» er en generell aktivitet og kan ikke føres på et prosjekt. "
                "Fjern prosjektet, eller velg en av prosjektets aktiviteter.",
                activity=name,
            )
        return _(
            "«%(activity)s» er ikke tillatt på dette prosjektet. Velg en av prosjektets "
            "aktiviteter.",
            activity=name,
        )
    return None


# ---------------------------------------------------------------- what the checks read


def day_is_locked(user_id: int, day: date) -> bool:
    """True while the user's `day` lies in a submitted or approved period (tipro.approvals)."""
    return periods.is_locked(user_id, day)


@dataclass
class Loaded:
    """What the checks of one entry read, fetched in one statement (see `load_for_checks`)."""

    project: Project | None = None
    may_log: bool = False
    activity: Activity | None = None
    allowed: bool = False
    day_locked: bool = False
    day_hours: Decimal = Decimal("0")
    uuid_taken: bool = False  # an entry with the probed uuid exists (see `load_for_checks`)
    day: date | None = None  # the day read (`day_locked`, `day_hours`)


@reused_statement
def _checks_statement(shape: tuple[bool, ...], with_activity: bool):
    """The checks' statement for one shape: with the activity (its row, the project
    outer-joined), or without (the project's row, or the totals alone; None: nothing to read).

    Bound parameters carry the values (`load_for_checks`): building this statement and its
    cache key was half the cost of reading it. `shape` says which parts exist: totals, an
    excluded entry, a probed uuid, an employee, a project.
    """
    totals, excluding, probe, employee, project = shape
    columns = []
    if totals:
        others = select(func.coalesce(func.sum(TimeEntry.hours), 0)).where(
            TimeEntry.user_id == bindparam("user_id"), TimeEntry.date == bindparam("day")
        )
        if excluding:
            others = others.where(TimeEntry.id != bindparam("excluding_id"))
        if probe:
            others = others.where(TimeEntry.uuid != bindparam("probe_uuid"))
        columns = [
            others.scalar_subquery(),
            periods.locked_clause(bindparam("user_id"), bindparam("day")),
        ]
        if probe:
            columns.append(exists().where(TimeEntry.uuid == bindparam("probe_uuid")))
    may_log = case(
        (pickers.project_may_log_clause(bindparam("employee_id") if employee else None), True),
        else_=False,
    )
    project_id = bindparam("project_id") if project else None
    if with_activity:
        allowed = case(
            (pickers.activity_allowed_clause(project_id, bindparam("day")), True), else_=False
        )
        return (
            select(Activity, allowed, Project, may_log, *columns)
            .where(Activity.id == bindparam("activity_id"))
            .outerjoin(Project, Project.id == (project_id if project else 0))
        )
    if project:
        return select(Project, may_log, *columns).where(Project.id == project_id)
    return select(*columns) if columns else None


def load_for_checks(
    project_id: int | None,
    activity_id: int | None,
    target: User,
    day: date,
    *,
    excluding_id: int | None = None,
    totals: bool = True,
    probe_uuid: str | None = None,
) -> Loaded:
    """The project and activity with whether `target` may use them on `day`, and (`totals`)
    whether the day lies in a locked period and the hours the day already has: one statement.

    With `probe_uuid` (and `totals`) the same statement also tells whether an entry with that
    uuid exists, and leaves it out of the day's hours (it is the one being replaced): the
    writer needs no look-up of its own for a new entry, and for an existing one of the same
    user the checks stand as read. The activity is the statement's row with the project
    outer-joined, so a missing activity leaves the project to a second look-up (only on that
    refused path).
    """
    loaded = Loaded()
    project_id = project_id if project_id is not None and project_id > 0 else None
    activity_id = activity_id if activity_id is not None and activity_id > 0 else None
    probe_uuid = probe_uuid if totals else None
    shape = (
        totals,
        totals and excluding_id is not None,
        probe_uuid is not None,
        target.employee_id is not None,
        project_id is not None,
    )
    params = {
        "user_id": target.id,
        "day": day,
        "excluding_id": excluding_id,
        "probe_uuid": probe_uuid,
        "employee_id": target.employee_id,
        "project_id": project_id,
        "activity_id": activity_id,
    }
    rest = None
    if activity_id is not None:
        row = db.session.execute(_checks_statement(shape, True), params).first()
        if row is not None:
            loaded.activity, loaded.allowed, loaded.project, loaded.may_log = row[:4]
            rest = row[4:]
        else:
            activity_id = None  # unknown: load the project (and totals) on their own
    without_activity = _checks_statement(shape, False)
    if activity_id is None and without_activity is not None:
        row = db.session.execute(without_activity, params).first()
        if project_id is not None:
            loaded.project, loaded.may_log = row[:2] if row is not None else (None, False)
            rest = row[2:] if row is not None else None
        else:
            rest = row
        if rest is None and totals:  # an unknown project: the totals on their own
            totals_only = _checks_statement((*shape[:-1], False), False)
            rest = db.session.execute(totals_only, params).first()
    if totals:
        loaded.day = day
        loaded.day_hours = Decimal(rest[0] or 0)
        loaded.day_locked = bool(rest[1])
        loaded.uuid_taken = probe_uuid is not None and bool(rest[2])
    return loaded


def check_project_activity(
    data, clean: Clean, target: User, errors: dict[str, str], loaded: Loaded | None = None
) -> None:
    """The project and activity for `clean.date`; sets clean.project and clean.activity."""
    day = clean.date
    project_id = parsing.parse_ref(data.project_id)
    activity_id = parsing.parse_ref(data.activity_id)
    if loaded is None:
        loaded = load_for_checks(project_id, activity_id, target, day, totals=False)
    if project_id is not None:
        project = loaded.project
        message = project_error(project, day, project is not None and loaded.may_log)
        if message:
            errors["project_id"] = message
        else:
            clean.project = project

    if activity_id is None:
        if clean.kind == "work":
            errors["activity_id"] = _("Velg en aktivitet.")
        return
    activity = loaded.activity
    if activity is not None and activity.is_active and "project_id" in errors:
        return  # whether it is allowed depends on a project we could not accept
    message = activity_error(activity, clean.project, activity is not None and loaded.allowed)
    if message:
        errors["activity_id"] = message
    else:
        clean.activity = activity


def check_entry(
    data: EntryInput,
    target: User,
    entry: TimeEntry | None,
    errors: dict[str, str],
    loaded: Loaded | None = None,
) -> Clean:
    """Every rule for `data` as `target`'s entry (`entry`: the one it replaces, if any).

    `loaded`: what `load_for_checks` read for `target` on the date `data` names (the
    writer's probe), else it is read here.
    """
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
        if loaded is None:
            loaded = load_for_checks(
                parsing.parse_ref(data.project_id),
                parsing.parse_ref(data.activity_id),
                target,
                clean.date,
                excluding_id=entry.id if entry else None,
            )
        check_project_activity(data, clean, target, errors, loaded)
        if loaded.day_locked:
            errors["date"] = _("Perioden er sendt inn og kan ikke endres.")
        if clean.hours is not None and "hours" not in errors:
            message = day_limit_error(loaded.day_hours, clean.hours)
            if message:
                errors["hours"] = message
    return clean

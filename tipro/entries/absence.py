"""Absence (holiday, sick leave, leave, time off in lieu) as entries on the absence activity."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from tipro import clock, i18n, worktime
from tipro.entries.bulk import BulkResult, SaveItem, save_all
from tipro.entries.extras import ABSENCE_KEY, definitions
from tipro.entries.inputs import EntryInput, EntryValidationError
from tipro.entries.parsing import derived_uuid, id_or_none, parse_date
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import AbsenceType, EntryAbsence, TimeEntry, User

MAX_DAYS = 62


def normal_day(user: User, on: date | None = None) -> Decimal:
    """The person's normal working day: the company's week / 5 at their employment percentage
    (a full week when the employment is unknown or does not cover the day)."""
    percentage = worktime.Employment.of(user.employee).percentage_on(on or clock.today())
    return worktime.day_hours(user.company.normal_hours_per_week, percentage or worktime.FULL_TIME)


def working_days(user: User, start: date, end: date) -> list[date]:
    """The company's working days from start to end inclusive: Monday–Friday without
    Norwegian public holidays and the company's closure days (no holiday booked on Easter)."""
    calendar = worktime.load_calendar(user.company, start, end)
    return [day.date for day in calendar.days() if day.is_workday]


def register_absence(
    actor: User,
    *,
    absence_type_id,
    start,
    end=None,
    hours=None,
    comment: str = "",
    for_user: User | None = None,
) -> list[TimeEntry]:
    """Register absence on every working day from start to end: all days or none.

    Each day's entry has a UUID derived from user, type and date, so sending the same
    registration again updates those days instead of adding new ones.
    """
    target = for_user or actor
    errors: dict[str, str] = {}
    absence_type = definitions.active_absence_type(id_or_none(absence_type_id))
    if absence_type is None:
        errors[ABSENCE_KEY] = _("Velg en fraværstype.")
    first = last = None
    try:
        first = parse_date(start)
    except UserError as error:
        errors["date"] = error.message
    try:
        last = parse_date(end) if end not in (None, "") else first
    except UserError as error:
        errors["end_date"] = error.message
    if first and last:
        if last < first:
            errors["end_date"] = _("Til-dato kan ikke være før fra-dato.")
        elif (last - first).days >= MAX_DAYS:
            errors["end_date"] = _("Høyst %(n)d dager om gangen.", n=MAX_DAYS)
        elif not working_days(target, first, last):
            errors["end_date"] = _(
                "Perioden har ingen arbeidsdager (bare helg, helligdager eller stengte dager)."
            )
    if hours in (None, "") and first:
        hours = normal_day(target, first)
    if errors:
        raise EntryValidationError(errors)
    items = [
        SaveItem(
            line=index,
            user=target,
            data=EntryInput(
                date=day,
                activity_id=absence_type.activity_id,
                hours=hours,
                comment=comment,
                kind="absence",
                extras={ABSENCE_KEY: str(absence_type.id)},
            ),
            uuid=derived_uuid("absence", target.id, absence_type.id, day),
        )
        for index, day in enumerate(working_days(target, first, last))
    ]
    days = [item.data.date for item in items]
    result = save_all(actor, items, source="web")
    if result.errors:
        raise EntryValidationError(_day_errors(result, days))
    return list(
        db.session.scalars(
            select(TimeEntry)
            .where(TimeEntry.uuid.in_([item.uuid for item in items]))
            .order_by(TimeEntry.date)
        )
    )


def _day_errors(result: BulkResult, days: list[date]) -> dict[str, str]:
    """The problems of every refused day, each named by its date."""
    lines = []
    for index, message in result.errors:
        lines.append(
            f"{i18n.day(days[index], 'EEE d.M.')}: {message}" if len(days) > 1 else message
        )
    return {"form": " ".join(dict.fromkeys(lines))}


def absence_entries(user: User, start: date, end: date) -> list[tuple[TimeEntry, AbsenceType]]:
    """The user's absence entries between two dates, with their types."""
    rows = db.session.execute(
        select(TimeEntry, AbsenceType)
        .join(EntryAbsence, EntryAbsence.entry_id == TimeEntry.id)
        .join(AbsenceType, AbsenceType.id == EntryAbsence.absence_type_id)
        .where(
            TimeEntry.user_id == user.id,
            TimeEntry.kind == "absence",
            TimeEntry.date >= start,
            TimeEntry.date <= end,
        )
        .order_by(TimeEntry.date.desc())
    ).all()
    return [(entry, absence_type) for entry, absence_type in rows]

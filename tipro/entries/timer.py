"""The stamp clock: one running timer per user in the database; stopping it makes one entry."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from flask import has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import select

from tipro import clock
from tipro.auth.services import LOADED_TIMER, record_audit
from tipro.entries import rules, services
from tipro.entries.inputs import EntryInput, EntryValidationError, refused
from tipro.entries.parsing import derived_uuid, parse_ref
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import TimeEntry, Timer, User, utcnow

# A stopped timer is rounded to the nearest quarter hour (the unit Norwegian timesheets and
# payroll commonly use), and never below one quarter: a started clock means work was done.
TIMER_STEP = Decimal("0.25")


def running_timer(user: User) -> Timer | None:
    return db.session.scalar(select(Timer).where(Timer.user_id == user.id))


def badge_timer(user: User) -> Timer | None:
    """The running clock for the badge: on a GET the one loaded with the user (no statement;
    a GET never starts or stops it), after a write read as it is now."""
    if has_request_context() and request.method in ("GET", "HEAD"):
        loaded = request.environ.get(LOADED_TIMER)
        if loaded is not None and loaded[0] == user.id:
            return loaded[1]
    return running_timer(user)


def _same_start(timer: Timer, project_id, activity_id, comment: str) -> bool:
    """True when a start asks for exactly the clock that runs (the button pressed twice)."""
    return (
        parse_ref(project_id) == timer.project_id
        and parse_ref(activity_id) == timer.activity_id
        and (comment or "").strip() == timer.comment
    )


def start_timer(actor: User, project_id, activity_id, comment: str = "") -> Timer:
    """Start the user's stamp clock on a project/activity allowed today.

    Starting the clock that already runs (a double submit) answers with it, as the first
    start did; starting another one while it runs is refused.
    """
    try:
        services.lock_user(actor, actor.id)
        running = running_timer(actor)
        if running is not None:
            if _same_start(running, project_id, activity_id, comment):
                db.session.rollback()
                return running
            raise refused(_("Klokka går allerede."))
        today = clock.today()
        if rules.day_is_locked(actor.id, today):
            # Stopping would be refused, and the clock would run on with nowhere to go.
            raise refused(_("Perioden er sendt inn, så klokka kan ikke startes."))
        errors: dict[str, str] = {}
        clean = rules.Clean(date=today, kind="work")
        rules.check_project_activity(
            EntryInput(date=today, project_id=project_id, activity_id=activity_id),
            clean,
            actor,
            errors,
        )
        text = (comment or "").strip()
        message = rules.comment_error(text)
        if message:
            errors["comment"] = message
        if errors:
            raise EntryValidationError(errors)
    except UserError:
        db.session.rollback()
        raise
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


def timer_hours(started_at: datetime, stopped_at: datetime) -> Decimal:
    """Elapsed time rounded to the nearest quarter hour, at least 0.25 h."""
    seconds = Decimal(int((stopped_at - started_at).total_seconds()))
    quarters = (seconds / Decimal(900)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(TIMER_STEP, quarters * TIMER_STEP)


def stop_timer(actor: User, *, now: datetime | None = None) -> TimeEntry:
    """Stop the clock: one entry on the day it started (Oslo), hours to the nearest quarter."""
    try:
        services.lock_user(actor, actor.id)
        timer = running_timer(actor)
        if timer is None:
            raise refused(_("Ingen klokke går."))
        started = clock.aware(timer.started_at)
        hours = timer_hours(started, clock.aware(now or clock.now()))
        if hours > rules.MAX_HOURS:
            raise refused(_("Klokka har gått i over 24 timer. Forkast den og før timene manuelt."))
        entry = services.stage_entry(
            actor,
            EntryInput(
                date=clock.oslo_date(started),
                project_id=timer.project_id,
                activity_id=timer.activity_id,
                hours=hours,
                comment=timer.comment,
            ),
            entry_uuid=derived_uuid("timer", actor.id, started.isoformat()),
            source="timer",
        )
    except UserError:
        db.session.rollback()
        raise
    db.session.delete(timer)
    record_audit(actor.company_id, actor, "timer", actor.id, "stop", {"hours": [None, str(hours)]})
    db.session.commit()
    return entry


def discard_timer(actor: User) -> None:
    """Throw the running clock away without registering anything."""
    services.lock_user(actor, actor.id)
    timer = running_timer(actor)
    if timer is None:
        db.session.rollback()
        raise refused(_("Ingen klokke går."))
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


def entry_uuid(user_id: int, started_at: datetime) -> str:
    """The UUID of the entry a clock makes when stopped (as `stop_timer` derives it), so a
    clock stopped offline and one stopped online are the same entry, never two."""
    return derived_uuid("timer", user_id, clock.aware(started_at).isoformat())


def clear_stopped(actor: User, stopped_uuid: str) -> bool:
    """Remove the running clock whose entry (`stopped_uuid`) was made offline and has now been
    saved through the sync API; another clock (started since) runs on. True when removed."""
    services.lock_user(actor, actor.id)
    timer = running_timer(actor)
    if timer is None or entry_uuid(actor.id, timer.started_at) != stopped_uuid:
        db.session.rollback()
        return False
    record_audit(
        actor.company_id, actor, "timer", actor.id, "stop", {"entry": [None, stopped_uuid]}
    )
    db.session.delete(timer)
    db.session.commit()
    return True

"""The weekly reminder e-mails: a job per company, fired by an hourly tick.

`reminder_tick` runs at the start of every hour (a self-rescheduling chain like the sync tick,
one deterministic id per hour, so several starters merge into one chain). It queues
`send_company_reminders(company_id)` for each company whose reminder day (ISO weekday) and
hour match the Oslo clock now, under an id per company and hour. The job is idempotent: what
was reminded before is in ReminderSent, so running it twice sends nothing new.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from tipro import clock, jobs
from tipro.extensions import db
from tipro.models import Company

TICK_TIMEOUT = 300
SEND_TIMEOUT = 1800


class MailServerFailed(RuntimeError):
    """The mail server failed mid-run; raised so RQ retries (what was sent stays sent)."""


@jobs.company_job
def send_company_reminders(company_id: int) -> str:
    """Job: send the company's reminder e-mails (nothing twice; nothing when mail is unset)."""
    from tipro.approvals.reminders import send_reminders

    company = db.session.get(Company, company_id)
    if company is None:
        return "missing"
    outcome = send_reminders(company)
    if outcome.server_error:
        raise MailServerFailed(outcome.server_error)
    return outcome.summary()


def due_companies(now: datetime | None = None) -> list[int]:
    """Ids of the companies whose weekly reminder is due this hour (Oslo time)."""
    local = (now or clock.now()).astimezone(clock.OSLO)
    return list(
        db.session.scalars(
            select(Company.id)
            .where(
                Company.reminder_weekday == local.isoweekday(),
                Company.reminder_hour == local.hour,
            )
            .order_by(Company.id)
        )
    )


def job_id_for(company_id: int, now: datetime | None = None) -> str:
    """The send job's id: one per company and Oslo hour."""
    local = (now or clock.now()).astimezone(clock.OSLO)
    return jobs.job_id("reminders", company_id, local.strftime("%Y%m%d%H"))


def reminder_tick() -> int:
    """Job: queue the reminders due this hour, then schedule the next tick."""
    try:
        now = clock.now()
        due = due_companies(now)
        db.session.commit()
        for company_id in due:
            jobs.enqueue(
                send_company_reminders,
                company_id,
                job_id=job_id_for(company_id, now),
                queue="low",
                timeout=SEND_TIMEOUT,
                retry=jobs.DEFAULT_RETRY,
            )
        return len(due)
    finally:
        schedule_next_tick()


def _tick_id(when: datetime) -> str:
    return jobs.job_id("reminder-tick", when.astimezone(clock.OSLO).strftime("%Y%m%d%H"))


def _hour_start(when: datetime) -> datetime:
    return when.replace(minute=0, second=0, microsecond=0)


def schedule_next_tick() -> None:
    """Schedule the tick at the start of the next hour (once: the id is per hour)."""
    when = _hour_start(clock.now()) + timedelta(hours=1)
    jobs.enqueue_at(
        when,
        reminder_tick,
        job_id=_tick_id(when),
        queue="low",
        timeout=TICK_TIMEOUT,
        retry=jobs.DEFAULT_RETRY,
    )


def ensure_schedule() -> None:
    """Start the tick chain now (launcher and worker call it; harmless when it runs)."""
    jobs.enqueue(
        reminder_tick,
        job_id=_tick_id(_hour_start(clock.now())),
        queue="low",
        timeout=TICK_TIMEOUT,
        retry=jobs.DEFAULT_RETRY,
    )

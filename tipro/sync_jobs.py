"""Sync jobs and the guard that keeps one sync per company: the glue between app and engine.

A SyncRun row is the guard: while a company has a run queued or running, a new trigger
does nothing (a queued incremental run is upgraded to full if a full one is asked for).
Each run has its own deterministic RQ job id `sync-<company>-<run>`, so a finished job
never blocks the next run. Webhooks add SyncPendingChange rows that the active run picks up
before it finishes (both sides take the company row lock, so no delivery falls between).

The schedule is a self-rescheduling tick (`sync_tick`, one per minute, deterministic id per
minute so several starters merge into one chain) that requests an incremental sync for each
connected company every SYNC_INTERVAL_MINUTES (default 15) and a full reconciliation each
night after NIGHTLY_HOUR (Oslo time, default 2).
"""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime, timedelta

from flask import current_app
from rq.job import Job
from sqlalchemy import select

from tipro.extensions import db
from tipro.jobs import enqueue, get_queue, redis_connection
from tipro.models import Company
from tipro.models.people import TRIPLETEX_CONNECTED
from tipro.models.sync import (
    MODE_CHANGES,
    MODE_FULL,
    MODE_INCREMENTAL,
    SYNC_ACTIVE,
    SYNC_FAILED,
    SYNC_QUEUED,
    SYNC_RUNNING,
    SyncPendingChange,
    SyncRun,
)
from tipro.tripletex.connection import build_client
from tipro.tripletex.sync import execute_run
from tipro.ui import OSLO

log = logging.getLogger(__name__)

JOB_TIMEOUT = 3600
# A queued/running run whose RQ job is gone (worker killed, Redis flushed) is given up.
STALE_AFTER = timedelta(minutes=90)
INLINE_STALE_AFTER = timedelta(minutes=30)


def settings() -> dict:
    """The settings the Tripletex services need, from the app config."""
    config = current_app.config
    return {
        "TRIPLETEX_API_URL": config["TRIPLETEX_API_URL"],
        "TRIPLETEX_CONSUMER_TOKEN": config.get("TRIPLETEX_CONSUMER_TOKEN") or "",
        "ENCRYPTION_KEY": config["ENCRYPTION_KEY"],
        "PUBLIC_URL": config.get("PUBLIC_URL") or "",
        "TRIPLETEX_CLIENT_OPTIONS": config.get("TRIPLETEX_CLIENT_OPTIONS") or {},
    }


def _prefix() -> str:
    # Job ids are global in Redis: instances (or test sessions) sharing one Redis must not
    # see each other's "sync-1-1" as already queued.
    return current_app.config.get("QUEUE_PREFIX") or "tipro"


def job_id(run: SyncRun) -> str:
    """RQ job id of a run (letters, digits and '-' only)."""
    return f"{_prefix()}-sync-{run.company_id}-{run.id}"


def lock_company(company_id: int) -> None:
    """Serialise sync triggers of one company (row lock on PostgreSQL; SQLite has one writer)."""
    db.session.execute(select(Company.id).where(Company.id == company_id).with_for_update())


def _redis_available() -> bool:
    return bool(current_app.config.get("REDIS_URL"))


def _job_alive(run: SyncRun) -> bool:
    if not _redis_available():
        return run.status == SYNC_RUNNING  # an inline run in another process
    conn = redis_connection()
    if not conn.exists(Job.key_for(job_id(run))):
        return False
    status = Job.fetch(job_id(run), connection=conn).get_status(refresh=True)
    return status in ("queued", "started", "deferred", "scheduled")


def active_run(company_id: int) -> SyncRun | None:
    """The company's queued or running sync, if any."""
    return db.session.scalar(
        select(SyncRun)
        .where(SyncRun.company_id == company_id, SyncRun.status.in_(SYNC_ACTIVE))
        .order_by(SyncRun.id.desc())
    )


def request_sync(
    company_id: int,
    *,
    full: bool = False,
    trigger: str = "manual",
    mode: str | None = None,
    enqueue_job: bool = True,
) -> tuple[SyncRun, bool]:
    """Queue a sync unless one is queued or running; returns (run, created)."""
    mode = mode or (MODE_FULL if full else MODE_INCREMENTAL)
    lock_company(company_id)
    run = active_run(company_id)
    if run is not None and _is_stale(run):
        run.status = SYNC_FAILED
        run.finished_at = datetime.now(UTC)
        run.error_message = "Synkroniseringen ble avbrutt (arbeideren stoppet)."
        run = None
    if run is not None:
        if run.status == SYNC_QUEUED and _rank(mode) > _rank(run.mode):
            run.mode = mode  # a full request while an incremental one waits: do the full one
        db.session.commit()
        return run, False
    run = SyncRun(company_id=company_id, mode=mode, trigger=trigger, status=SYNC_QUEUED)
    db.session.add(run)
    db.session.commit()
    if enqueue_job and _redis_available():
        enqueue(run_sync, run.id, job_id=job_id(run), queue="default", timeout=JOB_TIMEOUT)
    return run, True


def _rank(mode: str) -> int:
    return {MODE_CHANGES: 0, MODE_INCREMENTAL: 1, MODE_FULL: 2}[mode]


def _is_stale(run: SyncRun) -> bool:
    since = _aware(run.started_at or run.queued_at)
    age = datetime.now(UTC) - since
    if _job_alive(run):
        return age > timedelta(seconds=JOB_TIMEOUT) + STALE_AFTER
    # No job behind it (crashed worker, flushed Redis, or an inline run): give up later,
    # never at once — the trigger that created it may still be about to enqueue its job.
    return age > INLINE_STALE_AFTER


def record_webhook(company_id: int, data_type: str, tripletex_id: int, event: str) -> None:
    """Store a delivery and make sure a run will refresh it."""
    lock_company(company_id)
    db.session.add(
        SyncPendingChange(
            company_id=company_id, data_type=data_type, tripletex_id=tripletex_id, event=event
        )
    )
    db.session.flush()
    if active_run(company_id) is not None:
        # The active run checks pending changes under the same lock before it finishes.
        db.session.commit()
        return
    db.session.commit()
    request_sync(company_id, mode=MODE_CHANGES, trigger="webhook")


def run_sync(run_id: int) -> str:
    """RQ job: run one queued SyncRun."""
    run = execute_run(
        db.session,
        run_id,
        lambda company: build_client(db.session, company, settings()),
        lock_company=lock_company,
    )
    return run.status if run is not None else "missing"


def run_inline(company_id: int, *, full: bool = False, trigger: str = "cli") -> SyncRun:
    """Run a sync in this process (CLI without Redis, `tipro demo`)."""
    run, created = request_sync(company_id, full=full, trigger=trigger, enqueue_job=False)
    if not created and _redis_available():
        return run  # someone else's run is on its way
    execute_run(
        db.session,
        run.id,
        lambda company: build_client(db.session, company, settings()),
        lock_company=lock_company,
    )
    return db.session.get(SyncRun, run.id)


def wait_for(run_id: int, timeout: float = 600, poll: float = 0.5) -> SyncRun:
    """Poll the run row until it is done or failed (for `tipro sync --wait`)."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        run = db.session.get(SyncRun, run_id)
        db.session.commit()
        if run.status not in SYNC_ACTIVE or time.monotonic() > deadline:
            return run
        time.sleep(poll)


# ----- schedule ------------------------------------------------------------------------------


def interval_minutes() -> int:
    """Minutes between incremental syncs of a company."""
    value = current_app.config.get("SYNC_INTERVAL_MINUTES") or os.environ.get(
        "TIPRO_SYNC_INTERVAL_MINUTES", "15"
    )
    return max(1, int(value))


def nightly_hour() -> int:
    """Oslo hour after which the nightly full reconciliation runs."""
    return int(
        current_app.config.get("SYNC_NIGHTLY_HOUR")
        or os.environ.get("TIPRO_SYNC_NIGHTLY_HOUR", "2")
    )


def due_syncs(now: datetime | None = None) -> list[tuple[int, str]]:
    """(company id, mode) of the syncs the schedule should request now."""
    now = now or datetime.now(UTC)
    oslo_now = now.astimezone(OSLO)
    out = []
    companies = db.session.scalars(
        select(Company).where(Company.tripletex_status == TRIPLETEX_CONNECTED)
    ).all()
    for company in companies:
        last_full = db.session.scalar(
            select(SyncRun.queued_at)
            .where(SyncRun.company_id == company.id, SyncRun.mode == MODE_FULL)
            .order_by(SyncRun.id.desc())
            .limit(1)
        )
        last_any = db.session.scalar(
            select(SyncRun.queued_at)
            .where(SyncRun.company_id == company.id, SyncRun.mode != MODE_CHANGES)
            .order_by(SyncRun.id.desc())
            .limit(1)
        )
        if oslo_now.hour >= nightly_hour() and (
            last_full is None or _aware(last_full).astimezone(OSLO).date() < oslo_now.date()
        ):
            out.append((company.id, MODE_FULL))
        elif last_any is None or now - _aware(last_any) >= timedelta(minutes=interval_minutes()):
            out.append((company.id, MODE_INCREMENTAL))
    db.session.commit()
    return out


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def sync_tick() -> int:
    """RQ job: request the due syncs, then schedule the next tick."""
    try:
        due = due_syncs()
        for company_id, mode in due:
            request_sync(company_id, mode=mode, trigger="schedule")
        return len(due)
    finally:
        schedule_next_tick()


def _tick_id(when: datetime) -> str:
    return f"{_prefix()}-sync-tick-{when.strftime('%Y%m%d%H%M')}"


def schedule_next_tick(delay: timedelta = timedelta(minutes=1)) -> None:
    """Schedule the next tick once (the id is per minute, so chains merge)."""
    when = (datetime.now(UTC) + delay).replace(second=0, microsecond=0)
    tick = _tick_id(when)
    conn = redis_connection()
    if conn.exists(Job.key_for(tick)):
        return
    get_queue("low").enqueue_at(
        when, sync_tick, job_id=tick, job_timeout=300, result_ttl=600, failure_ttl=24 * 3600
    )


def ensure_schedule() -> None:
    """Start the tick chain now (called by the launcher; harmless when already running)."""
    tick = _tick_id(datetime.now(UTC).replace(second=0, microsecond=0))
    enqueue(sync_tick, job_id=tick, queue="low", timeout=300)

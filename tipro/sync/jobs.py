"""Sync job functions (run by the RQ worker, or inline without Redis) and the schedule.

`run_sync(company_id, run_id)` runs one queued SyncRun inside the company's scope. A webhook
delivery becomes a targeted refresh: services.record_webhook queues a "changes" run, which
`run_sync` executes like any other.

The schedule is a self-rescheduling tick (`sync_tick`, one per minute, deterministic id per
minute so several starters merge into one chain) that requests an incremental sync for each
connected company every SYNC_INTERVAL_MINUTES (default 15) and a full reconciliation each
night after NIGHTLY_HOUR (Oslo time, default 2).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from tipro import clock, jobs
from tipro.extensions import db
from tipro.models import Company
from tipro.models.people import TRIPLETEX_CONNECTED
from tipro.models.sync import MODE_CHANGES, MODE_FULL, MODE_INCREMENTAL, SyncRun
from tipro.sync import services
from tipro.sync.connection import build_client
from tipro.sync.runs import execute_run
from tipro.tenancy import company_scope

TICK_TIMEOUT = 300


@jobs.company_job
def run_sync(company_id: int, run_id: int) -> str:
    """Job: run one queued SyncRun of the company (a run no longer queued is left alone)."""
    # The trigger queues this job before it commits the run, holding the company lock: take
    # it first, so the run is there to read.
    services.lock_company(company_id)
    run = execute_run(
        db.session,
        run_id,
        lambda company: build_client(db.session, company, services.settings()),
        lock_company=services.lock_company,
    )
    return run.status if run is not None else "missing"


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


def _last_queued(*conditions) -> datetime | None:
    return db.session.scalar(
        select(SyncRun.queued_at).where(*conditions).order_by(SyncRun.id.desc()).limit(1)
    )


def due_syncs(now: datetime | None = None) -> list[tuple[int, str]]:
    """(company id, mode) of the syncs the schedule should request now."""
    now = now or clock.now()
    today = clock.oslo_date(now)
    out = []
    company_ids = db.session.scalars(
        select(Company.id).where(Company.tripletex_status == TRIPLETEX_CONNECTED)
    ).all()
    for company_id in company_ids:
        with company_scope(company_id):
            last_full = _last_queued(SyncRun.mode == MODE_FULL)
            last_any = _last_queued(SyncRun.mode != MODE_CHANGES)
        if now.astimezone(clock.OSLO).hour >= nightly_hour() and (
            last_full is None or clock.oslo_date(last_full) < today
        ):
            out.append((company_id, MODE_FULL))
        elif last_any is None or now - clock.aware(last_any) >= timedelta(
            minutes=interval_minutes()
        ):
            out.append((company_id, MODE_INCREMENTAL))
    db.session.commit()
    return out


def sync_tick() -> int:
    """Job: request the due syncs (each in its company's scope), then schedule the next tick."""
    try:
        due = due_syncs()
        for company_id, mode in due:
            with company_scope(company_id):
                services.request_sync(company_id, mode=mode, trigger="schedule")
        return len(due)
    finally:
        schedule_next_tick()


def _tick_id(when: datetime) -> str:
    return jobs.job_id("sync-tick", when.strftime("%Y%m%d%H%M"))


def schedule_next_tick(delay: timedelta = timedelta(minutes=1)) -> None:
    """Schedule the next tick once (the id is per minute, so chains merge)."""
    when = (clock.now() + delay).replace(second=0, microsecond=0)
    jobs.enqueue_at(
        when,
        sync_tick,
        job_id=_tick_id(when),
        queue="low",
        timeout=TICK_TIMEOUT,
        retry=jobs.DEFAULT_RETRY,
    )


def ensure_schedule() -> None:
    """Start the tick chain now (called by the launcher; harmless when already running)."""
    tick = _tick_id(clock.now().replace(second=0, microsecond=0))
    jobs.enqueue(
        sync_tick, job_id=tick, queue="low", timeout=TICK_TIMEOUT, retry=jobs.DEFAULT_RETRY
    )

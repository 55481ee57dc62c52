"""The sync rules: one run per company, webhook deliveries, what the pages show, invites.

A SyncRun row is the guard: while a company has a run queued or running, a new trigger
does nothing (a queued incremental run is upgraded to full if a full one is asked for).
Each run has its own deterministic job id `sync-<company>-<run>`, so a finished job never
blocks the next run. Webhooks add SyncPendingChange rows that the active run picks up before
it finishes (both sides take the company row lock, so no delivery falls between).

Everything here runs inside a company scope entered by the caller's boundary (the request,
the job, the CLI command), so queries need no company filter.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from tipro import clock, jobs
from tipro.auth.services import create_user
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import (
    Activity,
    Company,
    Customer,
    Department,
    Employee,
    Product,
    Project,
    SalaryType,
    User,
    VatType,
)
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
    SyncStep,
)
from tipro.sync.engine import DATA_TYPES
from tipro.tenancy import company_scope
from tipro.writes import serialise

log = logging.getLogger(__name__)

JOB_TIMEOUT = 3600
# A queued run with no job behind it: its trigger runs it itself (enqueue_job=False); after
# this long it is not coming.
UNCLAIMED_AFTER = timedelta(minutes=1)
# Without Redis nothing tells whether another process still runs an inline run: only time.
INLINE_STALE_AFTER = timedelta(minutes=30)
DEAD_MESSAGE = (
    "Synkroniseringen ble avbrutt fordi bakgrunnsarbeideren stoppet. Start en ny synkronisering."
)


def settings() -> dict:
    """The settings the Tripletex connection needs, from the app config."""
    config = current_app.config
    return {
        "TRIPLETEX_API_URL": config["TRIPLETEX_API_URL"],
        "TRIPLETEX_CONSUMER_TOKEN": config.get("TRIPLETEX_CONSUMER_TOKEN") or "",
        "ENCRYPTION_KEY": config["ENCRYPTION_KEY"],
        "PUBLIC_URL": config.get("PUBLIC_URL") or "",
        "TRIPLETEX_CLIENT_OPTIONS": config.get("TRIPLETEX_CLIENT_OPTIONS") or {},
    }


def job_id(run: SyncRun) -> str:
    """RQ job id of a run (letters, digits and '-' only)."""
    return jobs.job_id("sync", run.company_id, run.id)


def lock_company(company_id: int) -> None:
    """Serialise sync triggers, runs and webhook deliveries of one company (tipro.writes)."""
    serialise(Company, company_id)


def active_run(company_id: int) -> SyncRun | None:
    """The company's queued or running sync, if any."""
    return db.session.scalar(
        select(SyncRun).where(SyncRun.status.in_(SYNC_ACTIVE)).order_by(SyncRun.id.desc())
    )


def request_sync(
    company_id: int,
    *,
    full: bool = False,
    trigger: str = "manual",
    mode: str | None = None,
    enqueue_job: bool = True,
) -> tuple[SyncRun, bool]:
    """Start a sync unless one is queued or running; returns (run, created).

    The new run goes to the worker, or runs here when there is no Redis (tipro.jobs decides);
    `enqueue_job=False` leaves it queued for the caller to run. A run is never stored without
    its job: the job is queued before the run is committed (still under the company lock, which
    the job takes first, so it waits for the commit), and a queue that does not answer rolls
    the run back and raises jobs.QueueUnavailable.
    """
    from tipro.sync.jobs import run_sync

    mode = mode or (MODE_FULL if full else MODE_INCREMENTAL)
    try:
        run, created = _claim_run(company_id, mode, trigger, enqueue_job and jobs.has_queue())
    except jobs.QueueUnavailable:
        db.session.rollback()
        raise
    if created and enqueue_job and not jobs.has_queue():
        run_id = run.id
        run_sync(company_id, run_id)
        run = db.session.get(SyncRun, run_id)
    return run, created


def _claim_run(company_id: int, mode: str, trigger: str, enqueue: bool) -> tuple[SyncRun, bool]:
    from tipro.sync.jobs import run_sync

    lock_company(company_id)
    run = active_run(company_id)
    if run is not None and is_dead(run):
        give_up(run)
        run = None
    if run is not None:
        if run.status == SYNC_QUEUED and _rank(mode) > _rank(run.mode):
            run.mode = mode  # a full request while an incremental one waits: do the full one
        db.session.commit()
        return run, False
    run = SyncRun(company_id=company_id, mode=mode, trigger=trigger, status=SYNC_QUEUED)
    db.session.add(run)
    db.session.flush()
    if enqueue:
        jobs.enqueue(run_sync, company_id, run.id, job_id=job_id(run), timeout=JOB_TIMEOUT)
    db.session.commit()
    return run, True


def _rank(mode: str) -> int:
    return {MODE_CHANGES: 0, MODE_INCREMENTAL: 1, MODE_FULL: 2}[mode]


def is_dead(run: SyncRun) -> bool:
    """Whether a queued or running run can no longer finish (its job or worker is gone)."""
    age = clock.now() - clock.aware(run.started_at or run.queued_at)
    if not jobs.has_queue():
        return age > INLINE_STALE_AFTER
    alive = jobs.is_alive(job_id(run))
    if alive is None:
        # No job and no lease: queued for its trigger to run here, or lost with Redis.
        return run.status == SYNC_RUNNING or age > UNCLAIMED_AFTER
    return not alive


def give_up(run: SyncRun) -> None:
    """Mark a dead run failed, so the next trigger starts a new one."""
    run.status = SYNC_FAILED
    run.finished_at = clock.now()
    run.current_step = None
    run.error_message = DEAD_MESSAGE


def record_webhook(company_id: int, data_type: str, tripletex_id: int, event: str) -> None:
    """Store a delivery and make sure a run will refresh it (a targeted "changes" run)."""
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
    try:
        request_sync(company_id, mode=MODE_CHANGES, trigger="webhook")
    except jobs.QueueUnavailable:
        # The change is stored: the next run (schedule or button) refreshes it.
        log.warning("webhook for company %s stored; the queue does not answer", company_id)


def run_inline(company_id: int, *, full: bool = False, trigger: str = "cli") -> SyncRun:
    """Run a sync in this process now (demo, tests), whether or not a worker exists.

    This is the job's boundary run inline, so it enters the company scope like the job does.
    """
    from tipro.sync.jobs import run_sync

    with company_scope(company_id):
        run, created = request_sync(company_id, full=full, trigger=trigger, enqueue_job=False)
        if not created and jobs.has_queue():
            return run  # someone else's run is on its way
        run_id = run.id
        with jobs.lease(job_id(run)):
            run_sync(company_id, run_id)
        return db.session.get(SyncRun, run_id)


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


# ----- what the pages and the CLI show --------------------------------------------------------


def latest_runs(limit: int = 5) -> list[SyncRun]:
    """The company's most recent sync runs, newest first."""
    return list(db.session.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)))


def last_steps() -> list[tuple[str, SyncStep | None]]:
    """The last finished step of each data type (when, counts, calls, error)."""
    out = []
    for data_type in DATA_TYPES:
        step = db.session.scalar(
            select(SyncStep)
            .where(SyncStep.data_type == data_type, SyncStep.status.in_(("done", "failed")))
            .order_by(SyncStep.id.desc())
            .limit(1)
        )
        out.append((data_type, step))
    return out


def worker_state() -> str | None:
    """For the sync page: "ok", "none" (no worker beats), "queue_down", or None (no queue)."""
    if not jobs.has_queue():
        return None  # syncs run in the process that asks for them
    alive = jobs.workers_alive()
    if alive is None:
        return "queue_down"
    return "ok" if alive else "none"


def run_is_active(run: SyncRun | None) -> bool:
    return run is not None and run.status in SYNC_ACTIVE


def counts_by_type() -> dict[str, int]:
    """How many synced rows of each type the company has (for status output)."""
    models = (
        ("employees", Employee),
        ("departments", Department),
        ("customers", Customer),
        ("projects", Project),
        ("activities", Activity),
        ("salary_types", SalaryType),
        ("vat_types", VatType),
        ("products", Product),
    )
    return {
        name: db.session.scalar(select(func.count()).select_from(model)) for name, model in models
    }


def uninvited_employees() -> list[Employee]:
    """Active synced employees with an e-mail and no TiPro user yet."""
    taken = select(User.employee_id).where(User.employee_id.is_not(None))
    emails = select(func.lower(User.email))
    return list(
        db.session.scalars(
            select(Employee)
            .where(
                Employee.is_active.is_(True),
                Employee.email.is_not(None),
                Employee.id.not_in(taken),
                func.lower(Employee.email).not_in(emails),
            )
            .order_by(Employee.first_name, Employee.last_name)
        )
    )


def invite_employees(company: Company, employee_ids: list[int], actor: User | None) -> list[User]:
    """Create employee users for synced employees (linked to them); skips taken addresses."""
    wanted = set(employee_ids)
    created = []
    for employee in uninvited_employees():
        if employee.id not in wanted:
            continue
        try:
            user = create_user(company, employee.email, "employee", name=employee.name, actor=actor)
        except UserError:
            continue  # e.g. an invalid address in Tripletex; the admin can add it by hand
        user.employee_id = employee.id
        db.session.commit()
        created.append(user)
    return created

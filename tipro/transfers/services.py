"""The transfer rules: start (plan recorded before any request), retry, take over / leave, reads.

One transfer per company and kind at a time: `start` takes the company lock
(writes.serialise(Company, id)) and refuses while a batch of that kind is queued or running
and alive; its job has the deterministic id «transfer-<batch id>» and takes the batch id.
A dry run records the plan as a batch of «planned» items and sends nothing.

Everything here runs inside a company scope entered by the caller's boundary.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tipro import clock, jobs
from tipro.auth.services import record_audit
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import Company, User
from tipro.models.transfer import (
    BATCH_ACTIVE,
    BATCH_PARTIAL,
    BATCH_PLANNED,
    BATCH_QUEUED,
    BATCH_RUNNING,
    ITEM_CONFIRMED,
    ITEM_FAILED,
    ITEM_LEFT,
    ITEM_NEEDS_CHECK,
    ITEM_PENDING,
    ITEM_PLANNED,
    ITEM_UNCHANGED,
    KIND_ORDERS,
    KIND_PAYROLL,
    MODE_ORDERS,
    MODE_SALARY,
    MODE_TIMESHEET,
    OP_ADOPT,
    OP_CREATE,
    OP_NONE,
    OP_UPDATE,
    TRANSFER_KINDS,
    TransferBatch,
    TransferItem,
    TransferItemEntry,
)
from tipro.tenancy import current_company_id
from tipro.transfers import plan as planning
from tipro.transfers import texts
from tipro.writes import serialise

JOB_TIMEOUT = 6 * 3600
# A queued batch with no job behind it (its trigger runs it itself): after this, not coming.
UNCLAIMED_AFTER = timedelta(minutes=1)
INLINE_STALE_AFTER = timedelta(minutes=30)
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class TransferRefused(UserError):
    """A transfer of that kind is running, or the request does not fit the state (409)."""

    status = 409


class BadInput(UserError):
    """A month, kind or id that cannot be read (400)."""

    status = 400


class TransferNotFound(UserError):
    """No such batch or item in this company (404)."""

    status = 404


@dataclass(frozen=True)
class Summary:
    """What the batch list shows."""

    batch: TransferBatch
    sent: int
    pending: int


def parse_month(text: str | None) -> date:
    """«2026-11» → 2026-11-01; BadInput otherwise."""
    match = MONTH_RE.match((text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise BadInput(_("Skriv måneden som ÅÅÅÅ-MM, for eksempel 2026-11."))
    return date(int(match.group(1)), int(match.group(2)), 1)


def job_id(batch: TransferBatch) -> str:
    """The batch's RQ job id."""
    return jobs.job_id("transfer", batch.id)


def mode_for(company: Company, kind: str) -> str:
    """The mode a transfer of `kind` uses for this company (its settings)."""
    if kind == KIND_ORDERS:
        return MODE_ORDERS
    return MODE_SALARY if company.payroll_mode == "salary" else MODE_TIMESHEET


def active_batch(kind: str) -> TransferBatch | None:
    """The company's queued or running batch of this kind, if any."""
    return db.session.scalar(
        select(TransferBatch)
        .where(TransferBatch.kind == kind, TransferBatch.state.in_(BATCH_ACTIVE))
        .order_by(TransferBatch.id.desc())
        .limit(1)
    )


def is_dead(batch: TransferBatch) -> bool:
    """Whether a queued or running batch can no longer finish (its job or worker is gone)."""
    age = clock.now() - clock.aware(batch.started_at or batch.created_at)
    if not jobs.has_queue():
        return age > INLINE_STALE_AFTER
    alive = jobs.is_alive(batch.job_id or job_id(batch))
    if alive is None:
        return batch.state == BATCH_RUNNING or age > UNCLAIMED_AFTER
    return not alive


def _check_actor(actor: User | None) -> None:
    if actor is not None and (
        not actor.has_role("admin") or actor.company_id != current_company_id()
    ):
        raise TransferNotFound(_("Fant ikke overføringen."))


def start(
    actor: User | None,
    kind: str,
    month: date,
    *,
    dry_run: bool = False,
    enqueue_job: bool = True,
) -> TransferBatch:
    """Record the batch and all its items (committed) before any request, then run it.

    enqueue_job=False leaves the batch queued for the caller to run (tests, `run_inline`).
    """
    _check_actor(actor)
    if kind not in TRANSFER_KINDS:
        raise BadInput(_("Ukjent overføring: velg lønnsgrunnlag eller ordre."))
    company_id = current_company_id()
    month = month.replace(day=1)
    _refuse_salary_without_hours_type(db.session.get(Company, company_id), kind)
    # Rates and wages only Tripletex knows are read first, with no transaction open.
    fresh = _fresh_inputs(mode_for(db.session.get(Company, company_id), kind), month)
    serialise(Company, company_id)
    company = db.session.get(Company, company_id)
    mode = mode_for(company, kind)
    if not dry_run:
        running = active_batch(kind)
        if running is not None and is_dead(running):
            running.state = BATCH_PARTIAL
            running.finished_at = clock.now()
            running.error_message = _(
                "Overføringen ble avbrutt fordi bakgrunnsarbeideren stoppet. En ny overføring "
                "sjekker i Tripletex hva som kom fram før noe sendes på nytt."
            )
        elif running is not None:
            db.session.rollback()
            raise TransferRefused(_("En overføring av samme slag pågår allerede."))
    items = planning.plan(mode, month, grouping=company.order_grouping, **fresh)
    batch = TransferBatch(
        company_id=company_id,
        kind=kind,
        mode=mode,
        month=month,
        state=BATCH_PLANNED if dry_run else BATCH_QUEUED,
        dry_run=dry_run,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(batch)
    db.session.flush()
    _record_items(batch, items)
    if not dry_run:
        batch.job_id = job_id(batch)
    record_audit(
        company_id,
        actor,
        "transfer",
        batch.id,
        "dry_run" if dry_run else "start",
        {"kind": [None, kind], "month": [None, batch.month_key], "items": [None, len(items)]},
    )
    db.session.commit()
    if not dry_run and enqueue_job:
        _launch(batch)
        batch = db.session.get(TransferBatch, batch.id)
    return batch


def _refuse_salary_without_hours_type(company: Company, kind: str) -> None:
    """Lønnsbilag carries the ordinary hours on «Lønnsart for timer»: none, no transfer."""
    if mode_for(company, kind) != MODE_SALARY:
        return
    from tipro.approvals.preflight import hours_salary_type_problem

    problem = hours_salary_type_problem(company)
    if problem is not None:
        db.session.rollback()
        raise TransferRefused(f"{problem.message} {problem.hint}")


def _fresh_inputs(mode: str, month: date) -> dict:
    """What the plan needs from Tripletex: the employees' own hourly rates (orders whose
    hours no project or activity rate prices) or their wages (lønnsbilag). Commits first;
    a failed read leaves the value out (the line is priced 0 and fails its pre-flight)."""
    if mode == MODE_ORDERS:
        needed = planning.employees_needing_rates(month)
    elif mode == MODE_SALARY:
        needed = planning.employees_in_salary(month)
    else:
        return {}
    if not needed:
        db.session.commit()
        return {"employee_rates": {}} if mode == MODE_ORDERS else {"wages": {}}
    from tipro.sync.connection import build_client
    from tipro.sync.services import settings
    from tipro.tripletex.errors import TripletexError

    company = db.session.get(Company, current_company_id())
    db.session.commit()
    rates: dict = {}
    try:
        client = build_client(db.session, company, settings())
    except TripletexError:
        db.session.commit()
        return {"employee_rates": rates} if mode == MODE_ORDERS else {"wages": rates}
    db.session.commit()
    try:
        if mode == MODE_SALARY:
            # One read per 100 employees: their employments with the wage details.
            try:
                for employee in client.list_employees(ids=needed, fields=WAGE_FIELDS):
                    rates[employee["id"]] = [
                        d
                        for employment in employee.get("employments") or []
                        for d in employment.get("employmentDetails") or []
                    ]
            except TripletexError:
                pass
        for emp in needed if mode == MODE_ORDERS else []:
            try:
                rates[emp] = [
                    (
                        date.fromisoformat(r["date"]) if r.get("date") else date.min,
                        Decimal(str(r.get("rate") or 0)),
                    )
                    for r in client.list_hourly_cost_and_rates(emp)
                ]
            except TripletexError:
                continue
    finally:
        client.close()
    return {"employee_rates": rates} if mode == MODE_ORDERS else {"wages": rates}


WAGE_FIELDS = (
    "id,employments(id,startDate,endDate,"
    "employmentDetails(date,remunerationType,hourlyWage,annualSalary))"
)


def _record_items(batch: TransferBatch, items: list[planning.PlannedItem]) -> None:
    rows = []
    for planned in items:
        if batch.dry_run:
            state = ITEM_PLANNED
        elif planned.operation == OP_NONE:
            state = ITEM_UNCHANGED
        elif planned.unresolved:
            state = ITEM_NEEDS_CHECK
        else:
            state = ITEM_PENDING
        item = TransferItem(
            company_id=batch.company_id,
            batch=batch,
            item_kind=planned.item_kind,
            key=planned.key,
            operation=planned.operation,
            change=planned.change,
            payload=planned.payload,
            payload_hash=planned.payload_hash,
            user_id=planned.user_id,
            tripletex_employee_id=planned.employee_tx,
            date=planned.day,
            quantity=planned.quantity,
            amount=planned.amount,
            state=state,
            tripletex_id=planned.tripletex_id,
            tripletex_version=planned.tripletex_version,
        )
        item.entries = [
            TransferItemEntry(company_id=batch.company_id, entry_id=e, hours=q, amount=a)
            for e, q, a in planned.entries
        ]
        rows.append(item)
    db.session.add_all(rows)
    batch.total_items = len(rows)
    batch.unchanged_count = sum(1 for r in rows if r.state == ITEM_UNCHANGED)


def _launch(batch: TransferBatch) -> None:
    from tipro.transfers.jobs import run_batch

    jid = batch.job_id or job_id(batch)
    if jobs.has_queue() and jobs.is_alive(jid) is False:
        # The same id's earlier job died with its worker (still «started» in RQ): drop it, so
        # the batch's deterministic id can be queued again.
        from rq.job import Job

        Job.fetch(jid, connection=jobs.redis_connection()).delete()
    jobs.run_or_enqueue(
        run_batch,
        batch.company_id,
        batch.id,
        job_id=jid,
        timeout=JOB_TIMEOUT,
        retry=jobs.Retry(max=3, interval=[5, 30, 120]),
    )


def run_inline(batch_id: int) -> TransferBatch:
    """Run a queued batch in this process now (tests, the CLI without a worker)."""
    from tipro.transfers.jobs import run_batch

    batch = get_batch(batch_id)
    with jobs.lease(batch.job_id or job_id(batch)):
        run_batch(batch.company_id, batch_id)
    return db.session.get(TransferBatch, batch_id, populate_existing=True)


def resume(actor: User | None, batch_id: int) -> TransferBatch:
    """Run a batch again whose job died (or that stopped): settled items are skipped."""
    _check_actor(actor)
    serialise(Company, current_company_id())
    batch = get_batch(batch_id)
    if batch.dry_run:
        raise TransferRefused(_("En prøvekjøring sendes ikke. Start en ekte overføring."))
    other = active_batch(batch.kind)
    if other is not None and not is_dead(other):
        db.session.rollback()
        raise TransferRefused(_("En overføring av samme slag pågår allerede."))
    batch.state = BATCH_QUEUED
    batch.job_id = job_id(batch)
    db.session.commit()
    _launch(batch)
    return db.session.get(TransferBatch, batch_id, populate_existing=True)


def retry_failed(actor: User | None, batch_id: int, *, enqueue_job: bool = True) -> TransferBatch:
    """«Prøv igjen»: failed items (not foreign entries) go back to pending; the job runs a
    fresh pre-flight and sends only them."""
    _check_actor(actor)
    serialise(Company, current_company_id())
    batch = get_batch(batch_id)
    if batch.dry_run or batch.is_active:
        db.session.rollback()
        raise TransferRefused(_("Overføringen kan ikke prøves igjen nå."))
    other = active_batch(batch.kind)
    if other is not None and not is_dead(other):
        db.session.rollback()
        raise TransferRefused(_("En overføring av samme slag pågår allerede."))
    count = 0
    for item in batch.items:
        if item.state == ITEM_FAILED and not (item.error_code or "").startswith(
            texts.FOREIGN_ENTRY
        ):
            item.state = ITEM_PENDING
            item.attempts = 0
            count += 1
    if count == 0 and batch.needs_check_count == 0:
        db.session.rollback()
        raise TransferRefused(_("Ingen feilede linjer å prøve igjen."))
    batch.state = BATCH_QUEUED
    batch.job_id = job_id(batch)
    record_audit(batch.company_id, actor, "transfer", batch.id, "retry", {"items": [None, count]})
    db.session.commit()
    if enqueue_job:
        _launch(batch)
    return db.session.get(TransferBatch, batch_id, populate_existing=True)


def take_over(actor: User | None, item_id: int, *, enqueue_job: bool = True) -> TransferItem:
    """The admin takes over a foreign Tripletex entry: TiPro's total is PUT onto it."""
    item = _foreign_item(actor, item_id)
    item.operation = OP_ADOPT
    item.state = ITEM_PENDING
    item.attempts = 0
    batch = item.batch
    batch.state = BATCH_QUEUED
    batch.job_id = job_id(batch)
    record_audit(item.company_id, actor, "transfer_item", item.id, "take_over", {})
    db.session.commit()
    if enqueue_job:
        _launch(batch)
    return db.session.get(TransferItem, item_id, populate_existing=True)


def leave(actor: User | None, item_id: int) -> TransferItem:
    """The admin leaves a foreign Tripletex entry alone; later plans skip it while unchanged."""
    item = _foreign_item(actor, item_id)
    item.state = ITEM_LEFT
    record_audit(item.company_id, actor, "transfer_item", item.id, "leave", {})
    from tipro.transfers.runner import Runner

    Runner(item.batch_id).finish()
    return db.session.get(TransferItem, item_id, populate_existing=True)


def _foreign_item(actor: User | None, item_id: int) -> TransferItem:
    _check_actor(actor)
    serialise(Company, current_company_id())
    item = db.session.get(TransferItem, item_id, populate_existing=True)
    if item is None:
        raise TransferNotFound(_("Fant ikke linjen."))
    if item.state != ITEM_FAILED or not (item.error_code or "").startswith(texts.FOREIGN_ENTRY):
        db.session.rollback()
        raise TransferRefused(_("Bare timer som er ført direkte i Tripletex kan overtas."))
    if item.batch.is_active:
        db.session.rollback()
        raise TransferRefused(_("Overføringen pågår. Vent til den er ferdig."))
    return item


def wait_for(batch_id: int, timeout: float = 600, poll: float = 0.5) -> TransferBatch:
    """Poll the batch row until it is no longer queued or running (for `--wait`)."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        batch = db.session.get(TransferBatch, batch_id)
        db.session.commit()
        if batch.state not in BATCH_ACTIVE or time.monotonic() > deadline:
            return batch
        time.sleep(poll)


# ----- reads for the page, the CLI and downloads ------------------------------------------


def get_batch(batch_id: int) -> TransferBatch:
    """A batch of the current company, or TransferNotFound (404)."""
    batch = db.session.get(TransferBatch, batch_id, populate_existing=True)
    if batch is None:
        raise TransferNotFound(_("Fant ikke overføringen."))
    return batch


def batches(limit: int = 50, kind: str | None = None) -> list[TransferBatch]:
    """The company's batches, newest first (with creator; counts are columns)."""
    query = (
        select(TransferBatch)
        .options(selectinload(TransferBatch.created_by))
        .order_by(TransferBatch.id.desc())
        .limit(limit)
    )
    if kind is not None:
        query = query.where(TransferBatch.kind == kind)
    return list(db.session.scalars(query))


def items_of(batch_id: int, states: tuple[str, ...] | None = None) -> list[TransferItem]:
    """A batch's items with their log and entries (two extra statements)."""
    query = (
        select(TransferItem)
        .where(TransferItem.batch_id == batch_id)
        .options(selectinload(TransferItem.log), selectinload(TransferItem.entries))
        .order_by(TransferItem.id)
    )
    if states:
        query = query.where(TransferItem.state.in_(states))
    return list(db.session.scalars(query))


def state_counts(batch_id: int) -> dict[str, int]:
    """Items per state (live, for progress while running)."""
    return dict(
        db.session.execute(
            select(TransferItem.state, func.count())
            .where(TransferItem.batch_id == batch_id)
            .group_by(TransferItem.state)
        ).all()
    )


EXPORT_COLUMNS = (
    "batch",
    "month",
    "kind",
    "key",
    "operation",
    "change",
    "state",
    "employee_tripletex_id",
    "date",
    "quantity",
    "tripletex_id",
    "tripletex_version",
    "error_code",
    "error_message",
    "hint",
    "request_id",
)


def export_rows(batch_id: int, *, sent_only: bool = True) -> list[dict]:
    """Exactly what was sent (confirmed items with Tripletex ids), for CSV/JSON downloads."""
    batch = get_batch(batch_id)
    states = (ITEM_CONFIRMED,) if sent_only else None
    out = []
    for item in items_of(batch_id, states):
        out.append(
            {
                "batch": batch.id,
                "month": batch.month_key,
                "kind": item.item_kind,
                "key": item.key,
                "operation": item.operation,
                "change": item.change,
                "state": item.state,
                "employee_tripletex_id": item.tripletex_employee_id,
                "date": item.date.isoformat() if item.date else None,
                "quantity": str(item.quantity) if item.quantity is not None else None,
                "tripletex_id": item.tripletex_id,
                "tripletex_version": item.tripletex_version,
                "error_code": item.error_code,
                "error_message": item.error_message,
                "hint": item.hint,
                "request_id": item.error_request_id,
                # What was sent: TiPro's own bookkeeping keys («_lines») stay out.
                "payload": {k: v for k, v in item.payload.items() if not k.startswith("_")},
            }
        )
    return out


def transferred_at(user_id: int, first: date, last: date):
    """When the person's hours first..last were last confirmed in Tripletex's payroll basis
    (None: never). Orders do not count: they are the customer's, not the employee's."""
    from tipro.models import TimeEntry

    return db.session.scalar(
        select(func.max(TransferItem.confirmed_at))
        .join(TransferBatch, TransferBatch.id == TransferItem.batch_id)
        .join(TransferItemEntry, TransferItemEntry.item_id == TransferItem.id)
        .join(TimeEntry, TimeEntry.id == TransferItemEntry.entry_id)
        .where(
            TimeEntry.user_id == user_id,
            TimeEntry.date >= first,
            TimeEntry.date <= last,
            TransferItem.state == ITEM_CONFIRMED,
            TransferBatch.kind == KIND_PAYROLL,
        )
    )


__all__ = [
    "ITEM_NEEDS_CHECK",
    "KIND_PAYROLL",
    "BadInput",
    "TransferNotFound",
    "TransferRefused",
    "batches",
    "export_rows",
    "items_of",
    "parse_month",
    "resume",
    "retry_failed",
    "start",
    "take_over",
    "leave",
    "transferred_at",
]


def record_correction(
    actor: User | None,
    kind: str,
    month: date,
    originals: list[TransferItem],
    gone: dict[int, bool],
) -> TransferBatch:
    """A correction batch (reconciliation's «Rett opp»): copies of confirmed items whose
    objects drifted in Tripletex, each «needs_check», so `resume` runs them through the
    runner — which reads Tripletex first, PUTs TiPro's value onto our object, or creates it
    again when `gone[item.id]` says it was deleted. Flushed, not committed: the caller audits
    and commits, then resumes."""
    company_id = current_company_id()
    batch = TransferBatch(
        company_id=company_id,
        kind=kind,
        mode=MODE_ORDERS if kind == KIND_ORDERS else MODE_TIMESHEET,
        month=month,
        state=BATCH_PARTIAL,  # stopped with items to check: transfers.services.resume runs it
        dry_run=False,
        created_by_id=actor.id if actor else None,
        finished_at=clock.now(),
    )
    db.session.add(batch)
    db.session.flush()
    entries = defaultdict(list)
    for link in db.session.scalars(
        select(TransferItemEntry).where(TransferItemEntry.item_id.in_([i.id for i in originals]))
    ):
        entries[link.item_id].append(link)
    for original in originals:
        gone_now = gone[original.id]
        copy = TransferItem(
            company_id=company_id,
            batch_id=batch.id,
            item_kind=original.item_kind,
            key=original.key,
            # Gone: created again once the runner's read says the key is empty; changed: the
            # runner reads our object and PUTs TiPro's value onto it.
            operation=OP_CREATE if gone_now else OP_UPDATE,
            change=planning.CHANGE_CORRECTION,
            payload=dict(original.payload or {}),
            payload_hash=original.payload_hash,
            user_id=original.user_id,
            tripletex_employee_id=original.tripletex_employee_id,
            date=original.date,
            quantity=original.quantity,
            amount=original.amount,
            state=ITEM_NEEDS_CHECK,
            tripletex_id=None if gone_now else original.tripletex_id,
            tripletex_version=None if gone_now else original.tripletex_version,
        )
        copy.entries = [
            TransferItemEntry(
                company_id=company_id, entry_id=link.entry_id, hours=link.hours, amount=link.amount
            )
            for link in entries[original.id]
        ]
        db.session.add(copy)
    batch.total_items = batch.needs_check_count = len(originals)
    return batch

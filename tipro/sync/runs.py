"""One sync run from start to end: its steps, counts, errors and the webhook changes it covers.

`execute_run` drives the engine (tipro.sync.engine) through the data types in order and keeps
the SyncRun/SyncStep rows current, so the status page can poll them. It runs inside the
company scope the job entered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from tipro.models import Company, utcnow
from tipro.models.people import TRIPLETEX_CONNECTED, TRIPLETEX_NEEDS_RECONNECT
from tipro.models.sync import (
    MODE_CHANGES,
    MODE_FULL,
    SYNC_DONE,
    SYNC_FAILED,
    SYNC_QUEUED,
    SYNC_RUNNING,
    SyncRun,
    SyncStep,
    TripletexConnection,
)
from tipro.sync.engine import DATA_TYPES, MasterDataSync
from tipro.tenancy import current_company_id
from tipro.tripletex.client import TripletexClient
from tipro.tripletex.errors import NeedsReconnect, PermissionDenied, TripletexError
from tipro.tripletex.redact import redact

log = logging.getLogger(__name__)

# Norwegian names for the run's error text (stored on the row, read by pages and the CLI).
DENIED_LABELS = {
    "divisions": "virksomheter",
    "departments": "avdelinger",
    "employees": "ansatte",
    "customers": "kunder",
    "activities": "aktiviteter",
    "projects": "prosjekter",
    "salary_types": "lønnsarter",
    "vat_types": "mva-koder",
    "products": "produkter",
    "hourly_rates": "timepriser",
    "vacation": "feriesaldo",
}


def _fail_text(error: TripletexError) -> str:
    """The Norwegian explanation plus Tripletex's own message (never a network library's)."""
    text = error.user_message
    # Without an HTTP status the "message" is the HTTP library's text (URLs, hosts), not
    # Tripletex's: leave it out.
    detail = (error.message or "") if error.status is not None else ""
    if detail and detail not in text:
        text = f"{text} (Tripletex: {detail})"
    return redact(text)[:2000]


def execute_run(
    session: Session,
    run_id: int,
    client_factory: Callable[[Company], TripletexClient],
    *,
    today: date | None = None,
    lock_company: Callable[[int], None] | None = None,
) -> SyncRun:
    """Run a queued SyncRun to the end; a run that is not queued is left alone."""
    run = session.get(SyncRun, run_id)
    if run is None or run.status != SYNC_QUEUED:
        return run
    company_id = run.company_id
    if current_company_id() != company_id:
        # The engine's queries rely on the scope: a run outside it would see every company.
        raise RuntimeError("execute_run needs its company's scope (tipro.jobs.company_job)")
    company = session.get(Company, company_id)
    run.status = SYNC_RUNNING
    run.started_at = utcnow()
    session.commit()
    client = client_factory(company)
    engine = MasterDataSync(session, company_id, client, today=today)
    mode = run.mode
    start_calls = client.calls
    try:
        top, _ = engine.pending_changes()
        denied: list[str] = []
        if mode != MODE_CHANGES:
            for data_type in DATA_TYPES:
                try:
                    _run_step(
                        session,
                        run,
                        engine,
                        data_type,
                        lambda dt=data_type: engine.sync_type(dt, mode == MODE_FULL),
                    )
                except PermissionDenied:
                    # The token lacks this area (e.g. no salary module): the step shows
                    # Tripletex's message; the other data types are still worth fetching.
                    denied.append(data_type)
                    run = session.get(SyncRun, run_id)
            if mode == MODE_FULL:
                engine.drop_pending(top)  # a full run saw everything those webhooks named
                session.commit()
                top_done = top
            else:
                top_done = 0
        else:
            top_done = 0
        # Webhook changes, including ones that arrive while this run works; the last check
        # and the "done" mark happen under the company lock the webhook endpoint also takes.
        while True:
            if lock_company:
                lock_company(company_id)
            new_top, by_type = engine.pending_changes(top_done)
            if not by_type:
                _finish_run(session, run, client.calls - start_calls)
                if denied:
                    run.error_message = (
                        "Nøkkelen mangler tilgang i Tripletex, så dette ble ikke hentet: "
                        + ", ".join(DENIED_LABELS.get(d, d) for d in denied)
                        + ". Se feilen i tabellen nedenfor."
                    )
                session.commit()
                break
            session.commit()
            for data_type in DATA_TYPES:
                if data_type in by_type:
                    ids = by_type[data_type]
                    _run_step(
                        session,
                        run,
                        engine,
                        data_type,
                        lambda dt=data_type, i=ids: engine.refresh(dt, i),
                        label=f"{data_type}",
                    )
            engine.drop_pending(new_top)
            session.commit()
            top_done = new_top
        company = session.get(Company, company_id)
        if company.tripletex_status == TRIPLETEX_NEEDS_RECONNECT:
            company.tripletex_status = TRIPLETEX_CONNECTED
        session.commit()
    except TripletexError as error:
        session.rollback()
        run = session.get(SyncRun, run_id)
        run.status = SYNC_FAILED
        run.finished_at = utcnow()
        run.api_calls = client.calls - start_calls
        run.error_message = _fail_text(error)
        run.error_request_id = error.request_id
        if isinstance(error, NeedsReconnect):
            mark_needs_reconnect(session, run.company_id, error)
        session.commit()
        log.warning("sync run %s failed: %s", run_id, redact(str(error)))
    except BaseException:
        session.rollback()
        run = session.get(SyncRun, run_id)
        run.status = SYNC_FAILED
        run.finished_at = utcnow()
        run.error_message = "Synkroniseringen stoppet på grunn av en intern feil."
        session.commit()
        raise
    finally:
        client.close()
    return run


def _run_step(session, run, engine, data_type, work, label=None) -> None:
    step = SyncStep(
        company_id=run.company_id,
        run_id=run.id,
        data_type=label or data_type,
        status=SYNC_RUNNING,
        started_at=utcnow(),
    )
    session.add(step)
    run.current_step = data_type
    session.commit()
    before = engine.client.calls
    try:
        counts = work()
    except TripletexError as error:
        session.rollback()
        step = session.get(SyncStep, step.id)
        step.status = SYNC_FAILED
        step.finished_at = utcnow()
        step.api_calls = engine.client.calls - before
        step.error_message = _fail_text(error)
        step.error_request_id = error.request_id
        session.commit()
        raise
    step.created = counts.created
    step.updated = counts.updated
    step.deactivated = counts.deactivated
    step.not_modified = counts.not_modified
    step.api_calls = engine.client.calls - before
    step.status = SYNC_DONE
    step.finished_at = utcnow()
    run.created += counts.created
    run.updated += counts.updated
    run.deactivated += counts.deactivated
    run.api_calls += step.api_calls
    session.commit()


def _finish_run(session: Session, run: SyncRun, calls: int) -> None:
    run.status = SYNC_DONE
    run.finished_at = utcnow()
    run.current_step = None
    run.api_calls = calls


def mark_needs_reconnect(session: Session, company_id: int, error: TripletexError) -> None:
    """The employee token stopped working: show it, keep everything else."""
    company = session.get(Company, company_id)
    company.tripletex_status = TRIPLETEX_NEEDS_RECONNECT
    conn = session.scalar(select(TripletexConnection))
    if conn is not None:
        conn.last_error = _fail_text(error)
        conn.last_error_request_id = error.request_id
        conn.session_token_encrypted = None
        conn.session_expires = None

"""Acceptance points of the connect + sync work that the other files do not cover."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.statements import counted
from tipro.cli import cli
from tipro.clock import OSLO
from tipro.extensions import db as _db
from tipro.jobs import get_queue, make_worker
from tipro.models import Activity, Company, Employee, Project, SalaryType, User
from tipro.models.sync import SyncPendingChange, SyncRun, TripletexConnection
from tipro.sync.connection import build_client
from tipro.sync.jobs import due_syncs, sync_tick
from tipro.sync.runs import execute_run
from tipro.sync.services import active_run, request_sync, run_inline, settings
from tipro.tenancy import company_scope

# Tables a run may write when nothing changed in Tripletex: its own bookkeeping only.
BOOKKEEPING = ("sync_runs", "sync_steps", "sync_cursors", "tripletex_connections")


def _writes(statements: list[str]) -> list[str]:
    out = []
    for sql in statements:
        verb = sql.lstrip().split(None, 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE") and not any(t in sql for t in BOOKKEEPING):
            out.append(sql.split("\n", 1)[0])
    return out


def test_second_sync_without_changes_writes_no_master_data_row(connected, db, sandbox):
    assert run_inline(connected.id, full=True).status == "done"
    with counted() as seen:
        run = run_inline(connected.id)
    assert run.status == "done", run.error_message
    assert seen, "the run executed no SQL at all"
    assert _writes(seen) == []


def test_no_transaction_is_open_while_tripletex_is_called(connected, db, sandbox):
    """STYLE.md: never hold a database transaction open across a Tripletex request."""
    open_during: list[str] = []

    def note(entry):
        if _db.session().in_transaction():
            open_during.append(f"{entry.method} {entry.path}")

    def factory(company):
        return build_client(_db.session, company, settings(), on_request=note)

    for mode in ("full", "incremental", "changes"):
        if mode == "changes":
            project = next(p for p in sandbox.state.all("project") if p["number"] == "1001")
            db.session.add(
                SyncPendingChange(
                    company_id=connected.id,
                    data_type="projects",
                    tripletex_id=project["id"],
                    event="project.update",
                )
            )
            db.session.commit()
        run, _ = request_sync(connected.id, mode=mode, enqueue_job=False)
        with company_scope(connected.id):  # the boundary the job enters
            assert execute_run(_db.session, run.id, factory).status == "done"
    assert open_during == []
    # The check itself can see an open transaction.
    db.session.scalar(select(func.count()).select_from(Company))
    assert _db.session().in_transaction()


def test_a_row_hours_refer_to_is_kept_inactive_and_leaves_the_pickers(connected, db, sandbox):
    from tipro.entries.pickers import activities_for, projects_for
    from tipro.entries.services import EntryInput, save_entry
    from tipro.models.work import TimeEntry

    assert run_inline(connected.id, full=True).status == "done"
    cid = connected.id
    ola = db.session.scalars(
        select(Employee).where(Employee.company_id == cid, Employee.first_name == "Ola")
    ).one()
    user = User(
        company_id=cid,
        email="ola@fjellheimbygg.no",
        role="employee",
        name="Ola",
        employee_id=ola.id,
    )
    db.session.add(user)
    db.session.commit()
    day = date.today() - timedelta(days=1)
    with company_scope(cid):
        project = next(p for p in projects_for(ola.id, day) if p.number == "1005")
        activity = next(a for a in activities_for(project.id, day) if a.name == "Garantiarbeid")
        entry = save_entry(
            user,
            EntryInput(date=day, project_id=project.id, activity_id=activity.id, hours="2"),
        )
    project_id, activity_id, entry_id = project.id, activity.id, entry.id

    st = sandbox.state
    st.delete("project", project.tripletex_id)
    st.delete("activity", activity.tripletex_id)
    run = run_inline(cid, full=True)
    assert run.status == "done", run.error_message

    db.session.expire_all()
    kept_project = db.session.get(Project, project_id)
    kept_activity = db.session.get(Activity, activity_id)
    assert kept_project is not None and kept_project.is_active is False
    assert kept_activity is not None and kept_activity.is_active is False
    assert db.session.get(TimeEntry, entry_id).project_id == project_id
    with company_scope(cid):
        assert project_id not in {p.id for p in projects_for(ola.id, day)}
        other = next(p for p in projects_for(ola.id, day) if p.number == "1001")
        assert activity_id not in {a.id for a in activities_for(other.id, day)}
        assert activity_id not in {a.id for a in activities_for(None, day)}


def test_no_route_edits_synced_master_data(app):
    """Tripletex is the master: no write route takes a synced object's id or names one."""
    synced_args = {
        "employee_id",
        "department_id",
        "division_id",
        "customer_id",
        "project_id",
        "activity_id",
        "salary_type_id",
        "vat_type_id",
        "product_id",
        "hourly_rate_id",
    }
    synced_words = ("ansatt", "avdeling", "kunde", "prosjekt", "aktivitet", "produkt", "lonnsart")
    # Customer sign-off writes TiPro's own rows (the signature, the per-project sign-off
    # setting that sync never touches), not the Tripletex customer.
    not_master_data = {
        "approvals.customer_page",
        "approvals.signoff_send",
        "approvals.signoff_settings",
        # Which synced salary type pays ordinary hours is a TiPro transfer setting.
        "transfers.hours_salary_type_save",
    }
    offenders = []
    for rule in app.url_map.iter_rules():
        if not (rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}:
            continue
        if rule.endpoint in not_master_data:
            continue
        if rule.arguments & synced_args or any(w in rule.rule.lower() for w in synced_words):
            offenders.append(rule.rule)
    assert offenders == []


def test_missing_salary_access_still_syncs_the_rest_and_shows_tripletex_message(
    tx_app, sandbox, db, make_company, make_user, login
):
    from tipro.sync.connection import connect

    company = make_company("Uten lønn AS")
    admin = make_user(company=company, role="admin")
    connect(db.session, company, sandbox.state.employee_token, settings())
    sandbox.state.set_module("salary", False)
    run = run_inline(company.id, full=True)
    assert run.status == "done"
    assert "lønnsarter" in run.error_message
    steps = {s.data_type: s for s in run.steps}
    assert steps["salary_types"].status == "failed"
    assert steps["salary_types"].error_request_id
    assert steps["products"].status == "done" and steps["hourly_rates"].status == "done"
    assert db.session.scalar(
        select(func.count()).select_from(Project).where(Project.company_id == company.id)
    )
    assert (
        db.session.scalar(
            select(func.count()).select_from(SalaryType).where(SalaryType.company_id == company.id)
        )
        == 0
    )
    page = login(admin).get("/admin/synkronisering").get_data(as_text=True)
    assert "Forespørsels-ID: " + steps["salary_types"].error_request_id in page
    assert "(Tripletex: " in page  # Tripletex's own message, not only ours


def test_unreachable_tripletex_never_puts_a_token_in_errors_pages_or_logs(
    tx_app, connected, db, sandbox, make_user, login, caplog
):
    token = sandbox.state.employee_token
    consumer = sandbox.state.consumer_token
    admin = make_user(company=connected, role="admin")
    # Nothing listens on port 9; a dropped cached session makes the client create a new one.
    row = db.session.scalars(
        select(TripletexConnection).where(TripletexConnection.company_id == connected.id)
    ).one()
    assert row.session_token_encrypted and "sandbox-session" not in row.session_token_encrypted
    row.session_token_encrypted = None
    db.session.commit()
    tx_app.config["TRIPLETEX_API_URL"] = "http://127.0.0.1:9/v2"  # restored by tx_app
    with caplog.at_level(logging.DEBUG):
        run = run_inline(connected.id)
    assert run.status == "failed"
    assert "Kunne ikke snakke med Tripletex" in run.error_message
    for text in (run.error_message, caplog.text):
        assert token not in text and consumer not in text
    step_errors = " ".join(s.error_message or "" for s in run.steps)
    assert token not in step_errors and consumer not in step_errors
    page = login(admin).get("/admin/synkronisering").get_data(as_text=True)
    assert "Kunne ikke snakke med Tripletex" in page
    assert token not in page and consumer not in page


def test_invite_synced_employees_creates_linked_employee_users(connected, db, make_user, login):
    assert run_inline(connected.id, full=True).status == "done"
    admin = make_user(company=connected, role="admin", email="admin@tipro.test")
    client = login(admin)
    page = client.get("/admin/synkronisering").get_data(as_text=True)
    kari = db.session.scalars(
        select(Employee).where(Employee.company_id == connected.id, Employee.first_name == "Kari")
    ).one()
    assert "Inviter ansatte" in page and kari.email in page
    response = client.post("/admin/synkronisering/inviter", data={"employee_id": [str(kari.id)]})
    assert response.status_code == 302
    assert "1 bruker er opprettet." in client.get("/admin/synkronisering").get_data(as_text=True)
    user = db.session.scalars(select(User).where(User.email == kari.email)).one()
    assert (user.role, user.employee_id, user.company_id) == ("employee", kari.id, connected.id)
    # Only the chosen employee got a user, and Kari is no longer offered.
    assert (
        db.session.scalar(
            select(func.count()).select_from(User).where(User.company_id == connected.id)
        )
        == 2
    )
    assert kari.email not in client.get("/admin/synkronisering").get_data(as_text=True)


def test_status_fragment_polls_while_a_run_is_active_and_stops_when_done(
    connected, db, make_user, login
):
    admin = make_user(company=connected, role="admin")
    client = login(admin)
    # «Synkroniser nå» is a form under hx-boost: htmx sends HX-Request and HX-Boosted, and
    # swaps the whole body with the page it lands on.
    boosted = {"HX-Request": "true", "HX-Boosted": "true"}
    response = client.post("/admin/synkronisering", data={"full": "y"}, headers=boosted)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/synkronisering")
    page = client.get("/admin/synkronisering", headers=boosted).get_data(as_text=True)
    assert "<nav" in page and "<h1>Synkronisering</h1>" in page  # a whole page, not a card
    assert 'hx-get="/admin/synkronisering/status"' in page and "load delay:1s" in page
    assert "Venter på tur" in page
    # The card's own polling request is plain htmx (not boosted): it gets the card alone.
    fragment = client.get("/admin/synkronisering/status", headers={"HX-Request": "true"})
    assert "<nav" not in fragment.get_data(as_text=True)
    assert "load delay:1s" in fragment.get_data(as_text=True)
    run = active_run(connected.id)  # what the worker would do with the queued job
    with company_scope(connected.id):  # the boundary the job enters
        execute_run(_db.session, run.id, lambda c: build_client(_db.session, c, settings()))
    done = client.get("/admin/synkronisering/status").get_data(as_text=True)
    assert "hx-get" not in done and "hx-trigger" not in done
    assert "Ferdig" in done and "API-kall" in done


# ----- schedule and the one-sync guard -----------------------------------------------------


def _oslo(hour: int, minute: int = 0, days: int = 0) -> datetime:
    day = date.today() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=OSLO).astimezone(UTC)


def test_schedule_asks_incremental_every_15_minutes_and_full_each_night(connected, db):
    cid = connected.id
    mine = lambda due: [mode for company_id, mode in due if company_id == cid]  # noqa: E731
    # Never synced, after the nightly hour: the nightly full reconciliation.
    assert mine(due_syncs(_oslo(3))) == ["full"]
    db.session.add(
        SyncRun(company_id=cid, mode="full", status="done", queued_at=_oslo(3), trigger="schedule")
    )
    db.session.commit()
    assert mine(due_syncs(_oslo(3, 10))) == []  # 10 minutes later: nothing
    assert mine(due_syncs(_oslo(3, 15))) == ["incremental"]  # 15 minutes: incremental
    db.session.add(SyncRun(company_id=cid, mode="incremental", status="done", queued_at=_oslo(9)))
    db.session.commit()
    assert mine(due_syncs(_oslo(9, 14))) == []
    # Next night after 02:00 Oslo time: full again.
    assert mine(due_syncs(_oslo(1, 59, days=1))) == ["incremental"]
    assert mine(due_syncs(_oslo(2, 0, days=1))) == ["full"]


def _stuck_run(cid: int, status: str, age: timedelta) -> SyncRun:
    from tipro.extensions import db

    when = datetime.now(UTC) - age
    run = SyncRun(
        company_id=cid,
        mode="incremental",
        status=status,
        queued_at=when,
        started_at=when if status == "running" else None,
    )
    db.session.add(run)
    db.session.commit()
    return run


def _replaced(db, cid: int, old: SyncRun) -> SyncRun:
    """The next request starts a new run and marks `old` failed."""
    run, created = request_sync(cid, enqueue_job=False)
    assert created and run.id != old.id
    db.session.refresh(old)
    assert old.status == "failed"
    return run


def test_a_run_without_a_live_job_is_replaced_at_once(connected, db):
    """With a queue, a run's job tells whether it can finish (no 30-minute wait)."""
    from tipro import jobs
    from tipro.sync.services import job_id

    cid = connected.id
    # Queued a moment ago without a job: its trigger is about to run it (enqueue_job=False).
    fresh = _stuck_run(cid, "queued", timedelta(seconds=5))
    assert request_sync(cid, enqueue_job=False) == (fresh, False)
    # Queued long ago and no job behind it (Redis flushed): replaced.
    fresh.queued_at = datetime.now(UTC) - timedelta(minutes=2)
    db.session.commit()
    run = _replaced(db, cid, fresh)
    assert "arbeideren stoppet" in fresh.error_message
    run.status = "done"
    db.session.commit()

    # Running inline in some process: held by its lease; the lease gone, it is dead.
    held = _stuck_run(cid, "running", timedelta(minutes=10))
    with jobs.lease(job_id(held)):
        assert request_sync(cid, enqueue_job=False) == (held, False)
    _replaced(db, cid, held)


def test_without_a_queue_only_time_tells_a_run_is_dead(connected, db, app):
    cid = connected.id
    saved = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = None
    try:
        recent = _stuck_run(cid, "running", timedelta(minutes=10))
        assert request_sync(cid, enqueue_job=False) == (recent, False)  # not started twice
        recent.started_at = datetime.now(UTC) - timedelta(minutes=31)
        db.session.commit()
        _replaced(db, cid, recent)
        assert "avbrutt" in recent.error_message
    finally:
        app.config["REDIS_URL"] = saved


def test_sync_tick_requests_due_syncs_once_and_schedules_the_next_tick(
    tx_app, committed_db, sandbox
):
    from rq.registry import ScheduledJobRegistry

    from tipro.sync.connection import connect

    company = Company(name="Fjellheim tick AS")
    committed_db.session.add(company)
    committed_db.session.commit()
    connect(committed_db.session, company, sandbox.state.employee_token, settings())
    queue = get_queue("default")
    low = get_queue("low")
    queue.empty()
    try:
        sync_tick()
        sync_tick()  # a second tick while the first run waits: still one run
        runs = committed_db.session.scalars(
            select(SyncRun).where(SyncRun.company_id == company.id)
        ).all()
        assert len(runs) == 1 and runs[0].trigger == "schedule"
        assert queue.count == 1
        scheduled = ScheduledJobRegistry(queue=low).get_job_ids()
        assert any("-sync-tick-" in job_id for job_id in scheduled)
    finally:
        queue.empty()
        low.empty()
        for job_id in ScheduledJobRegistry(queue=low).get_job_ids():
            ScheduledJobRegistry(queue=low).remove(job_id, delete_job=True)


def test_cli_sync_wait_returns_when_the_worker_is_done(tx_app, committed_db, sandbox, runner, app):
    from tipro.sync.connection import connect

    company = Company(name="Fjellheim vent AS")
    committed_db.session.add(company)
    committed_db.session.commit()
    connect(committed_db.session, company, sandbox.state.employee_token, settings())

    name = company.name
    results = []

    def invoke():
        results.append(runner.invoke(cli, args=["sync", "--company", name, "--full", "--wait"]))

    waiting = threading.Thread(target=invoke)
    waiting.start()
    try:
        deadline = time.monotonic() + 10
        while get_queue("default").count == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        make_worker(app).work(burst=True)  # the main thread: RQ installs signal handlers
        waiting.join(30)
    finally:
        get_queue("default").empty()
    assert not waiting.is_alive() and results
    result = results[0]
    assert result.exit_code == 0, result.output
    assert "lagt i kø" in result.output and ": done," in result.output
    assert "API-kall" in result.output


@pytest.mark.parametrize("revoked", [True])
def test_revoked_or_expired_token_is_refused_on_connect_and_nothing_is_stored(
    tx_app, sandbox, db, make_company, make_user, login, revoked
):
    company = make_company("Utløpt AS")
    client = login(make_user(company=company, role="admin"))
    sandbox.state.revoke_employee_token()
    response = client.post(
        "/admin/innstillinger/tripletex",
        data={"employee_token": sandbox.state.employee_token},
    )
    assert response.status_code == 422
    assert "Tripletex godtok ikke nøkkelen" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Company, company.id).tripletex_employee_token_encrypted is None
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(TripletexConnection)
            .where(TripletexConnection.company_id == company.id)
        )
        == 0
    )
    assert active_run(company.id) is None

"""Webhooks over real HTTP into the app, and the one-sync-per-company guard with a real worker."""

from __future__ import annotations

import threading

import pytest
import requests
from sqlalchemy import func, select

from tipro.jobs import get_queue, make_worker
from tipro.models import Company, Customer, Employee, Project
from tipro.models.sync import SyncRun, TripletexConnection
from tipro.sync.connection import WEBHOOK_HEADER, connect
from tipro.sync.jobs import run_sync
from tipro.sync.services import request_sync, settings


@pytest.fixture
def committed_company(tx_app, committed_db, sandbox, live_server):
    """A committed company connected to the sandbox, webhooks pointing at the live app."""
    tx_app.config["PUBLIC_URL"] = live_server.url
    company = Company(name="Fjellheim Bygg AS (webhooks)")
    committed_db.session.add(company)
    committed_db.session.commit()
    result = connect(committed_db.session, company, sandbox.state.employee_token, settings())
    assert result.webhooks == "active"
    run, _ = request_sync(company.id, full=True, enqueue_job=False)
    assert run_sync(run.company_id, run.id) == "done"
    yield committed_db.session.get(Company, company.id)
    get_queue("default").empty()
    get_queue("low").empty()


def test_webhook_delivery_refreshes_without_polling(tx_app, committed_company, sandbox, app):
    db_session = __import__("tipro.extensions", fromlist=["db"]).db.session
    st = sandbox.state
    cid = committed_company.id
    project = next(p for p in st.all("project") if p["number"] == "1003")
    customer = next(c for c in st.all("customer") if c["name"] == "Drammen Næringsbygg AS")
    employee = next(e for e in st.all("employee") if e.get("email") == "sofie@fjellheimbygg.no")
    runs_before = db_session.scalar(select(func.count()).select_from(SyncRun))
    st.update("project", project["id"], {"isClosed": True})
    st.update("employee", employee["id"], {"email": "sofie.olsen@fjellheimbygg.no"})
    st.delete("customer", customer["id"])
    assert st.webhooks.wait_idle(10)
    deliveries = [d for d in st.webhooks.deliveries if d["event"] != "x"]
    assert {d["event"] for d in deliveries} >= {"project.update", "customer.delete"}
    assert all(d["status"] == 200 for d in deliveries), deliveries

    # No polling: only the targeted refresh the deliveries queued runs.
    make_worker(app).work(burst=True)
    db_session.expire_all()
    runs = db_session.scalars(select(SyncRun).where(SyncRun.id > 0).order_by(SyncRun.id)).all()
    assert len(runs) == runs_before + 1
    assert runs[-1].mode == "changes" and runs[-1].status == "done", runs[-1].error_message
    assert (
        db_session.scalars(
            select(Project).where(Project.company_id == cid, Project.tripletex_id == project["id"])
        )
        .one()
        .is_closed
    )
    assert (
        not db_session.scalars(
            select(Customer).where(
                Customer.company_id == cid, Customer.tripletex_id == customer["id"]
            )
        )
        .one()
        .is_active
    )
    assert (
        db_session.scalars(
            select(Employee).where(
                Employee.company_id == cid, Employee.tripletex_id == employee["id"]
            )
        )
        .one()
        .email
        == "sofie.olsen@fjellheimbygg.no"
    )
    # A targeted refresh asks for those objects by id, not for whole lists.
    assert runs[-1].api_calls <= 4


def test_webhook_endpoint_rejects_unknown_key_and_wrong_secret(
    tx_app, committed_company, live_server
):
    from tipro.extensions import db

    row = db.session.scalars(
        select(TripletexConnection).where(TripletexConnection.company_id == committed_company.id)
    ).one()
    body = {"subscriptionId": 1, "event": "project.update", "id": 1, "value": None}
    url = f"{live_server.url}/webhooks/tripletex/{row.webhook_key}"
    assert requests.post(url, json=body, timeout=5).status_code == 401
    wrong = {WEBHOOK_HEADER: "not-the-secret"}
    assert requests.post(url, json=body, headers=wrong, timeout=5).status_code == 401
    unknown = f"{live_server.url}/webhooks/tripletex/no-such-key"
    response = requests.post(unknown, json=body, headers=wrong, timeout=5)
    assert response.status_code == 404 and "project" not in response.text


def test_two_triggers_at_once_run_one_sync_with_a_real_worker(
    tx_app, committed_company, sandbox, app
):
    from tipro.extensions import db

    cid = committed_company.id
    barrier = threading.Barrier(2)
    results = []

    def trigger():
        with app.app_context():
            barrier.wait()
            run, created = request_sync(cid, trigger="manual")
            results.append((run.id, created))
            db.session.remove()

    threads = [threading.Thread(target=trigger) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(results) == 2
    assert {run_id for run_id, _ in results} == {results[0][0]}  # the same run for both
    assert sorted(created for _, created in results) == [False, True]
    assert get_queue("default").count == 1

    make_worker(app).work(burst=True)
    db.session.expire_all()
    run = db.session.get(SyncRun, results[0][0])
    assert run.status == "done", run.error_message
    active = db.session.scalar(
        select(func.count())
        .select_from(SyncRun)
        .where(SyncRun.company_id == cid, SyncRun.status.in_(("queued", "running")))
    )
    assert active == 0

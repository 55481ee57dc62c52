"""Reconciliation with Tripletex (issue #13): after a transfer, hours changed, added and deleted
directly in the sandbox show as drift; «Rett opp» restores TiPro's values through the transfer
machinery and leaves hours typed in Tripletex alone — against the sandbox over real HTTP."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import new_company, new_user
from tests.transfers.conftest import (  # noqa: F401 (fixtures, reused)
    MONTH,
    connected,
    month_world,
    tipro_hours,
    tx_app,
    tx_entries,
    tx_world,
)
from tests.transfers.test_orders import orders_world, tx_orders  # noqa: F401 (a fixture)
from tests.transfers.test_salary import salary_world, tx_payslips  # noqa: F401 (a fixture)
from tipro.extensions import db as _db
from tipro.models import AuditEvent, TransferBatch
from tipro.reports import reconcile
from tipro.tenancy import company_scope
from tipro.transfers import services as transfers

BASE = "/rapporter/avstemming"
PAGE = f"{BASE}/payroll/2026-11"


@pytest.fixture
def no_queue(app):
    """No Redis: the check and the correction run inside the request."""
    saved = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = None
    yield
    app.config["REDIS_URL"] = saved


@pytest.fixture
def transferred(month_world):  # noqa: F811 (the imported fixture)
    """The November scene transferred as timesheet payroll basis."""
    world, totals = month_world
    batch = transfers.start(world.admin, "payroll", MONTH, enqueue_job=False)
    batch = transfers.run_inline(batch.id)
    assert batch.state == "done", [(i.key, i.state, i.error_message) for i in batch.items]
    return world, totals


@pytest.fixture
def admin(transferred, client, login, no_queue):
    world, _totals = transferred
    login(world.admin)
    return client


def _text(response) -> str:
    return response.get_data(as_text=True)


def _entry(world, user, day: str, project="1001") -> dict:
    tx_emp = user.employee.tripletex_id
    tx_proj = world.projects[project].tripletex_id if project else None
    [found] = [
        e
        for e in tx_entries(world)
        if e["employee"]["id"] == tx_emp
        and e["date"] == day
        and (e.get("project") or {}).get("id") == tx_proj
    ]
    return found


def _drift(world) -> dict:
    """Change one entry, delete one and type one on a key TiPro never sent."""
    kari, ola = world.employee, world.colleague
    changed = _entry(world, kari, "2026-11-02")
    world.tripletex_update("timesheetEntry", changed["id"], hours=5.0)
    deleted = _entry(world, ola, "2026-11-03")
    world.tripletex_delete("timesheetEntry", deleted["id"])
    added = world._control(
        "POST",
        "/data/timesheetEntry",
        {
            "employee": {"id": kari.employee.tripletex_id},
            "project": {"id": world.projects["1001"].tripletex_id},
            "activity": {"id": world.activities["Snekring"].tripletex_id},
            "date": "2026-11-13",
            "hours": 2.0,
            "comment": "ført i Tripletex",
        },
    )["value"]
    return {"changed": changed, "deleted": deleted, "added": added}


def _keys(world) -> Counter:
    return Counter(
        (e["employee"]["id"], e["date"], (e.get("project") or {}).get("id"), e["activity"]["id"])
        for e in tx_entries(world)
    )


def _latest_result() -> dict:
    return reconcile.state("payroll", MONTH).result


# ---------------------------------------------------------------- the check


def test_no_drift_shows_ingen_avvik(admin, transferred):
    world, _totals = transferred
    listing = _text(admin.get(BASE))
    assert "<h1>Avstemming mot Tripletex</h1>" in listing
    assert PAGE in listing and "aldri" in listing
    page = _text(admin.get(PAGE))
    assert "Måneden er ikke sjekket ennå." in page and "Sjekk mot Tripletex" in page
    response = admin.post(f"{PAGE}/sjekk")
    assert response.status_code == 303
    page = _text(admin.get(PAGE))
    assert "Ingen avvik" in page
    assert "Sist sjekket" in page and "Ingrid" in page
    assert "Rett opp" not in page
    # The totals side by side: TiPro's and Tripletex's hours per employee agree.
    result = _latest_result()
    assert result["rows"] == [] and result["error"] is None
    hours = [
        t for t in result["totals"] if t["item_kind"] == "timesheet_entry" and Decimal(t["diff"])
    ]
    assert hours == []
    assert sum(
        Decimal(t["tipro"]) for t in result["totals"] if t["item_kind"] == "timesheet_entry"
    ) == tipro_hours(world)
    # Who checked is audited.
    actions = _db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity == "reconcile").order_by(AuditEvent.id)
    ).all()
    assert actions == ["check", "checked"]
    assert world.sandbox.state.violations == []


def test_the_check_reports_exactly_the_changed_added_and_deleted_entries(admin, transferred):
    world, _totals = transferred
    drift = _drift(world)
    assert admin.post(f"{PAGE}/sjekk").status_code == 303
    rows = _latest_result()["rows"]
    found = sorted(
        (r["status"], r["tripletex_id"] if r["status"] != "deleted" else None) for r in rows
    )
    assert found == sorted(
        [
            ("changed", drift["changed"]["id"]),
            ("added", drift["added"]["id"]),
            ("deleted", None),
        ]
    )
    by_status = {r["status"]: r for r in rows}
    assert (by_status["changed"]["tipro"], by_status["changed"]["tripletex"]) == ("7.50", "5.00")
    assert by_status["changed"]["diff"] == "-2.50"
    assert (by_status["deleted"]["tipro"], by_status["deleted"]["tripletex"]) == ("7.25", "0.00")
    assert by_status["deleted"]["date"] == "2026-11-03"
    assert (by_status["added"]["tipro"], by_status["added"]["tripletex"]) == ("0.00", "2.00")
    assert by_status["added"]["correctable"] is False
    assert by_status["changed"]["correctable"] and by_status["deleted"]["correctable"]
    page = _text(admin.get(PAGE))
    assert "endret i Tripletex" in page
    assert "slettet i Tripletex" in page
    assert "lagt til i Tripletex" in page
    assert "Ikke ført av TiPro: rettes ikke automatisk." in page
    assert "Kari" in page and "Ola" in page
    assert "Rett opp" in page
    assert world.sandbox.state.violations == []


def test_rett_opp_restores_changed_and_deleted_and_leaves_the_added(admin, transferred):
    world, _totals = transferred
    drift = _drift(world)
    admin.post(f"{PAGE}/sjekk")
    response = admin.post(f"{PAGE}/rett-opp")
    assert response.status_code == 303
    page = _text(admin.get(PAGE))
    assert "Rettingen er startet som overføring" in page
    assert "Sjekk på nytt for å se om Tripletex nå stemmer." in page
    batch = _db.session.scalar(
        select(TransferBatch)
        .order_by(TransferBatch.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )
    assert batch.state == "done", [(i.key, i.state, i.error_message) for i in batch.items]
    assert batch.created_by_id == world.admin.id and batch.total_items == 2
    # Read back the sandbox: TiPro's totals again, no duplicates, the typed entry untouched.
    assert max(_keys(world).values()) == 1
    kari, ola = world.employee, world.colleague
    assert _entry(world, kari, "2026-11-02")["hours"] == 7.5
    assert _entry(world, kari, "2026-11-02")["id"] == drift["changed"]["id"]
    assert _entry(world, ola, "2026-11-03")["hours"] == 7.25
    assert world.sandbox.state.get("timesheetEntry", drift["added"]["id"])["hours"] == 2.0
    total = sum((Decimal(str(e["hours"])) for e in tx_entries(world)), Decimal("0"))
    assert total == tipro_hours(world) + 2
    # Who started it is audited.
    correct = _db.session.scalar(
        select(AuditEvent).where(AuditEvent.entity == "reconcile", AuditEvent.action == "correct")
    )
    assert correct.user_id == world.admin.id and correct.changes["batch"][1] == batch.id
    # Checked again: only the typed entry is left, still not corrected.
    admin.post(f"{PAGE}/sjekk")
    rows = _latest_result()["rows"]
    assert [(r["status"], r["tripletex_id"]) for r in rows] == [("added", drift["added"]["id"])]
    page = _text(admin.get(PAGE))
    assert "Rett opp</button>" not in page
    # A new transfer finds nothing to send: the ledger holds what Tripletex holds.
    again = transfers.start(world.admin, "payroll", MONTH, enqueue_job=False)
    again = transfers.run_inline(again.id)
    assert again.unchanged_count == again.total_items
    assert world.sandbox.state.violations == []


def test_a_tripletex_error_is_shown_with_the_check(admin, transferred):
    world, _totals = transferred
    world.tripletex_faults(
        {
            "rules": [
                {
                    "kind": "error",
                    "status": 403,
                    "methods": ["GET"],
                    "path_prefix": "/timesheet/entry",
                }
            ]
        }
    )
    assert admin.post(f"{PAGE}/sjekk").status_code == 303
    result = _latest_result()
    assert result["error"] and result["rows"] == []
    page = _text(admin.get(PAGE))
    assert result["error"] in page.replace("&#39;", "'")
    assert "Ingen avvik" not in page and "Sjekk mot Tripletex</button>" in page


def test_rett_opp_needs_a_check_first(admin, transferred):
    response = admin.post(f"{PAGE}/rett-opp")
    assert response.status_code == 303
    assert "Sjekk mot Tripletex først." in _text(admin.get(PAGE))
    assert _db.session.scalar(select(AuditEvent).where(AuditEvent.action == "correct")) is None


def test_no_transaction_is_open_while_tripletex_is_read(transferred):
    """STYLE.md: never hold a database transaction open across a Tripletex request."""
    from tipro.sync.connection import build_client
    from tipro.sync.services import settings

    world, _totals = transferred
    _drift(world)
    open_during: list[str] = []

    def factory(company):
        def on_request(entry):
            if _db.session().in_transaction():
                open_during.append(f"{entry.method} {entry.path}")

        return build_client(_db.session, company, settings(), on_request=on_request)

    result = reconcile.compare("payroll", MONTH, factory)
    assert result["counts"] == {"changed": 1, "deleted": 1, "added": 1}
    assert result["api_calls"] >= 1
    assert open_during == []


@pytest.mark.parametrize(
    ("kind", "month"),
    [("payroll", "2026-13"), ("lonn", "2026-11"), ("payroll", "nov")],
)
def test_bad_input_is_a_clear_400(admin, kind, month):
    response = admin.get(f"{BASE}/{kind}/{month}")
    assert response.status_code == 400
    assert "Ugyldig forespørsel" in _text(response)


def test_a_month_without_a_transfer_is_404(admin):
    assert admin.get(f"{BASE}/payroll/2026-10").status_code == 404
    assert admin.post(f"{BASE}/orders/2026-11/sjekk").status_code == 404


def test_a_changed_overtime_specification_is_drift_and_rett_opp_restores_it(admin, transferred):
    world, totals = transferred
    [spec] = [
        s
        for s in world.sandbox.state.all("salaryProjectTypeSpecification")
        if s["date"].startswith("2026-11")
    ]
    world.tripletex_update("salaryProjectTypeSpecification", spec["id"], count=3.0)
    admin.post(f"{PAGE}/sjekk")
    rows = _latest_result()["rows"]
    assert [(r["status"], r["item_kind"], r["tipro"], r["tripletex"]) for r in rows] == [
        ("changed", "salary_project_spec", "1.50", "3.00")
    ]
    assert "Lønnsart på prosjekt" in _text(admin.get(PAGE))
    admin.post(f"{PAGE}/rett-opp")
    assert world.sandbox.state.get("salaryProjectTypeSpecification", spec["id"])["count"] == 1.5
    admin.post(f"{PAGE}/sjekk")
    assert _latest_result()["rows"] == []
    assert "Ingen avvik" in _text(admin.get(PAGE))


def test_lonnsbilag_payslips_are_checked_but_not_corrected(salary_world, client, login, no_queue):  # noqa: F811
    world, _amounts = salary_world
    batch = transfers.start(world.admin, "payroll", MONTH, enqueue_job=False)
    batch = transfers.run_inline(batch.id)
    assert batch.state == "done", [(i.key, i.state, i.error_message) for i in batch.items]
    login(world.admin)
    client.post(f"{PAGE}/sjekk")
    assert _latest_result()["rows"] == []
    kari_tx = world.employee.employee.tripletex_id
    [slip] = [p for p in tx_payslips(world) if p["employee"]["id"] == kari_tx]
    spec = slip["specs"][0]
    world.tripletex_update("salarySpecification", spec["id"], count=spec["count"] + 1)
    client.post(f"{PAGE}/sjekk")
    rows = _latest_result()["rows"]
    assert [(r["status"], r["item_kind"], r["employee"], r["correctable"]) for r in rows] == [
        ("changed", "salary_transaction", kari_tx, False)
    ]
    assert Decimal(rows[0]["diff"]) == 1
    page = _text(client.get(PAGE))
    assert "Lønnsslippen er bokført: neste overføring sender en korreksjon." in page
    assert "Rett opp</button>" not in page
    assert client.post(f"{PAGE}/rett-opp").status_code == 303
    assert "Ingen avvik som TiPro kan rette opp." in _text(client.get(PAGE))


# ---------------------------------------------------------------- orders


@pytest.fixture
def orders_transferred(orders_world, client, login, no_queue):  # noqa: F811
    world, expected = orders_world
    batch = transfers.start(world.admin, "orders", MONTH, enqueue_job=False)
    batch = transfers.run_inline(batch.id)
    assert batch.state == "done", [(i.key, i.state, i.error_message) for i in batch.items]
    login(world.admin)
    return world, expected, client


def _order_of(world, number: str) -> dict:
    [order] = [
        o for o in tx_orders(world) if o["project"]["id"] == world.projects[number].tripletex_id
    ]
    return order


def test_orders_drift_per_line_and_rett_opp(orders_transferred):
    from tipro.sync.connection import build_client
    from tipro.sync.services import settings
    from tipro.tripletex.types import NewOrderLine

    world, expected, admin = orders_transferred
    page = f"{BASE}/orders/2026-11"
    # 1002: a line's hours changed; 1005: the whole order deleted; 1001: a line added.
    [line_1002] = _order_of(world, "1002")["lines"]
    world.tripletex_update("orderLine", line_1002["id"], count=3.0)
    world.tripletex_delete("order", _order_of(world, "1005")["id"])
    order_1001 = _order_of(world, "1001")
    client = build_client(_db.session, world.company, settings())
    try:
        client.create_order_line(
            order_1001["id"],
            NewOrderLine(
                count=1, unit_price_excluding_vat=500, description="Ekstra", vat_type_id=3
            ),
        )
    finally:
        client.close()
    _db.session.commit()
    assert admin.post(f"{page}/sjekk").status_code == 303
    rows = reconcile.state("orders", MONTH).result["rows"]
    summary = sorted(
        (r["status"], r["line"], r["tipro"], r["tripletex"], r["correctable"]) for r in rows
    )
    assert summary == [
        ("added", "Ekstra", "0.00", "1.00", False),
        ("changed", line_1002["description"], "4.00", "3.00", True),
        ("deleted", summary[2][1], "5.00", "0.00", True),
    ]
    text = _text(admin.get(page))
    assert "Ekstra" in text and "Rett opp" in text
    assert admin.post(f"{page}/rett-opp").status_code == 303
    from tests.transfers.test_orders import tx_amount

    for number in ("1002", "1005"):
        assert tx_amount(world, world.projects[number].tripletex_id) == expected[number], number
    assert (
        len(
            [
                o
                for o in tx_orders(world)
                if o["project"]["id"] == world.projects["1005"].tripletex_id
            ]
        )
        == 1
    )
    lines_1001 = _order_of(world, "1001")["lines"]
    assert any(ln["description"] == "Ekstra" for ln in lines_1001)
    admin.post(f"{page}/sjekk")
    rows = reconcile.state("orders", MONTH).result["rows"]
    assert [(r["status"], r["line"]) for r in rows] == [("added", "Ekstra")]
    assert world.sandbox.state.violations == []


# ---------------------------------------------------------------- who may


ROUTES = {
    "reports.reconcile_index": ("GET", BASE),
    "reports.reconcile_month": ("GET", PAGE),
    "reports.reconcile_status": ("GET", f"{PAGE}/status"),
    "reports.reconcile_check": ("POST", f"{PAGE}/sjekk"),
    "reports.reconcile_correct": ("POST", f"{PAGE}/rett-opp"),
}


def test_every_reconcile_view_is_in_the_role_list(app):
    views = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if view.__module__ == "tipro.reports.reconcile_routes"
    }
    assert views == set(ROUTES)


def _call(client, endpoint):
    method, path = ROUTES[endpoint]
    headers = {"HX-Request": "true"} if endpoint == "reports.reconcile_status" else {}
    return client.open(path, method=method, headers=headers)


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
@pytest.mark.parametrize("role", ["employee", "approver"])
def test_employees_and_approvers_get_403(transferred, client, login, no_queue, endpoint, role):
    world, _totals = transferred
    login(world.employee if role == "employee" else world.approver)
    assert _call(client, endpoint).status_code == 403
    assert _db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "reconcile")) is None


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_another_companys_admin_finds_nothing(transferred, client, login, no_queue, endpoint):
    other = new_company("Annet Firma AS")
    stranger = new_user(other, "admin", name="Fremmed")
    with company_scope(other.id):  # the test itself runs in the demo company's scope
        login(stranger)
        response = _call(client, endpoint)
    if endpoint == "reports.reconcile_index":
        assert response.status_code == 200
        assert PAGE not in _text(response)
        assert "Ingenting er overført til Tripletex ennå." in _text(response)
    else:
        assert response.status_code == 404
    assert _db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "reconcile")) is None


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_logged_out_is_sent_to_log_in(transferred, client, endpoint):
    response = _call(client, endpoint)
    assert response.status_code in (302, 401)


def test_the_status_card_polls_while_a_check_runs(transferred, client, login, no_queue):
    world, _totals = transferred
    from tipro.auth.services import record_audit

    record_audit(world.company.id, world.admin, "reconcile", "payroll:2026-11", "check", {})
    _db.session.commit()
    login(world.admin)
    page = _text(client.get(PAGE))
    assert "Leser fra Tripletex" in page
    assert f'hx-get="{PAGE}/status"' in page
    polled = _text(client.get(f"{PAGE}/status", headers={"HX-Request": "true"}))
    assert (
        polled.lstrip().startswith('<div id="reconcile-result"')
        and 'hx-trigger="load delay:1s"' in polled
    )
    refused = client.post(f"{PAGE}/sjekk")
    assert refused.status_code == 303
    assert "En sjekk av måneden pågår allerede." in _text(client.get(PAGE))
    # The job answers; the next poll brings the result and stops polling.
    from tipro.reports.reconcile_jobs import run_check

    asked = _db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "check"))
    assert run_check(world.company.id, asked) == "done"
    polled = _text(client.get(f"{PAGE}/status", headers={"HX-Request": "true"}))
    assert "Ingen avvik" in polled and "hx-trigger" not in polled


def test_with_redis_the_check_is_queued_and_the_page_polls_until_it_ran(transferred, client, login):
    from rq.job import Job

    from tipro import jobs

    world, _totals = transferred
    login(world.admin)
    assert client.post(f"{PAGE}/sjekk").status_code == 303
    asked = _db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "check"))
    page = _text(client.get(PAGE))
    assert "Leser fra Tripletex" in page and "Ingen avvik" not in page
    # The queued job carries ids only; run it here, as the worker would.
    job = Job.fetch(reconcile.check_job_id(asked), connection=jobs.redis_connection())
    try:
        assert job.args == (world.company.id, asked)
        assert job.perform() == "done"
    finally:
        job.delete()
    polled = _text(client.get(f"{PAGE}/status", headers={"HX-Request": "true"}))
    assert "Ingen avvik" in polled and "hx-trigger" not in polled


def test_the_check_job_twice_records_one_result(transferred):
    world, _totals = transferred
    from tipro.auth.services import record_audit
    from tipro.reports.reconcile_jobs import run_check

    record_audit(world.company.id, world.admin, "reconcile", "payroll:2026-11", "check", {})
    _db.session.commit()
    asked = _db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "check"))
    assert run_check(world.company.id, asked) == "done"
    assert run_check(world.company.id, asked) == "skipped"
    answers = _db.session.scalars(select(AuditEvent).where(AuditEvent.action == "checked")).all()
    assert len(answers) == 1 and answers[0].user_id == world.admin.id


def test_an_unexpected_error_inline_answers_the_check(admin, transferred, monkeypatch):
    """Without Redis the check runs in the request: an error that is not Tripletex's still
    answers the request (with an error and no rows), so the month is not «running» for
    30 minutes and the next check is allowed."""

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(reconcile, "compare", broken)
    assert admin.post(f"{PAGE}/sjekk").status_code == 303
    check = reconcile.state("payroll", MONTH)
    assert not check.running and check.result["rows"] == []
    assert check.result["error"] == "Sjekken stoppet på en uventet feil. Prøv igjen om litt."
    page = _text(admin.get(PAGE))
    assert "Sjekken stoppet på en uventet feil" in page and "Ingen avvik" not in page
    monkeypatch.undo()
    assert admin.post(f"{PAGE}/sjekk").status_code == 303
    assert "En sjekk av måneden pågår allerede." not in _text(admin.get(PAGE))
    assert _latest_result()["error"] is None

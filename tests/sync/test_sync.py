"""Master-data sync against the sandbox over real HTTP (every request spec-checked)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs

from sqlalchemy import func, select

from tipro.models import (
    Activity,
    Customer,
    Department,
    Employee,
    HourlyRate,
    Product,
    Project,
    SalaryType,
    User,
    VatType,
)
from tipro.sync.services import run_inline


def _count(db, model, company_id, **where):
    query = select(func.count()).select_from(model).where(model.company_id == company_id)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.session.scalar(query)


def _one(db, model, **where):
    query = select(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.session.scalars(query).one()


def snapshot(db, company_id):
    """Everything a sync wrote, as comparable tuples."""
    out = {}
    for model, cols in (
        (Employee, ("first_name", "email", "employee_number", "department_id", "is_active")),
        (Department, ("name", "number", "manager_id", "is_active")),
        (Customer, ("name", "number", "is_active")),
        (Project, ("name", "customer_id", "project_manager_id", "is_closed", "is_active")),
        (Activity, ("name", "is_general", "is_chargeable", "rate", "is_active")),
        (SalaryType, ("number", "name")),
        (VatType, ("number", "percentage")),
        (Product, ("number", "price_excluding_vat", "vat_type_id", "is_active")),
    ):
        rows = db.session.scalars(select(model).where(model.company_id == company_id))
        out[model.__name__] = sorted(
            (r.tripletex_id, *(getattr(r, c) for c in cols), r.tripletex_version) for r in rows
        )
    rates = db.session.scalars(select(HourlyRate).where(HourlyRate.company_id == company_id))
    out["HourlyRate"] = sorted((r.tripletex_id, r.project_id, r.rate) for r in rates)
    projects = db.session.scalars(select(Project).where(Project.company_id == company_id))
    out["children"] = sorted(
        (
            p.tripletex_id,
            sorted(x.employee_id for x in p.participants),
            sorted(x.activity_id for x in p.project_activities),
        )
        for p in projects
    )
    return out


def test_full_sync_imports_the_demo_seed_exactly(connected, db, sandbox):
    run = run_inline(connected.id, full=True)
    assert run.status == "done", run.error_message
    cid = connected.id
    # Counts per type (the demo seed: 12 employees + 1 contact that is not an employee, …).
    assert _count(db, Employee, cid) == 12
    assert _count(db, Employee, cid, is_active=True) == 11  # Maja Berg's employment ended
    assert _count(db, Department, cid) == 4
    assert _count(db, Department, cid, is_active=False) == 1
    assert _count(db, Customer, cid) == 8
    assert _count(db, Customer, cid, is_active=False) == 1
    assert _count(db, Project, cid) == 10
    assert _count(db, Project, cid, is_closed=True) == 1
    assert _count(db, Activity, cid) == 9
    assert _count(db, SalaryType, cid) == 7
    assert _count(db, VatType, cid) == 7
    assert _count(db, Product, cid) == 6
    assert _count(db, Product, cid, is_active=False) == 1
    assert _count(db, HourlyRate, cid) == 3  # 2 project-specific + 1 fixed
    # Key fields.
    ola = _one(db, Employee, company_id=cid, email="ola@fjellheimbygg.no")
    assert (ola.first_name, ola.last_name, ola.employee_number) == ("Ola", "Nordmann", "102")
    assert ola.department.name == "Bygg" and ola.division is not None
    assert _one(db, Employee, company_id=cid, last_name="Berg").is_active is False
    bygg = _one(db, Department, company_id=cid, name="Bygg")
    assert bygg.manager.last_name == "Kristiansen"
    skoyen = _one(db, Project, company_id=cid, number="1001")
    assert skoyen.customer.name == "Skøyen Eiendom AS"
    assert skoyen.project_manager.first_name == "Jonas"
    assert len(skoyen.participants) == 5  # manager + 4
    assert {pa.activity.name for pa in skoyen.project_activities} == {
        "Snekring",
        "Prosjektledelse",
        "Reisetid",
        "Befaring Skøyen",
    }
    assert skoyen.start_date.isoformat() == "2024-01-08"
    secret = _one(db, Project, company_id=cid, number="1008")
    assert secret.for_participants_only is True
    internal = _one(db, Project, company_id=cid, number="1009")
    assert internal.is_internal is True and internal.customer_id is None
    snekring = _one(db, Activity, company_id=cid, name="Snekring")
    assert snekring.is_chargeable and snekring.rate == Decimal("850.00") and snekring.is_general
    befaring = _one(db, Activity, company_id=cid, name="Befaring Skøyen")
    assert befaring.is_project_activity and not befaring.is_general
    product = _one(db, Product, company_id=cid, number="T-100")
    assert product.price_excluding_vat == Decimal("850") and product.vat_type.number == "3"
    assert _one(db, SalaryType, company_id=cid, number="2001").show_in_timesheet is True
    fixed = _one(db, HourlyRate, company_id=cid, rate_model="TYPE_FIXED_HOURLY_RATE")
    assert fixed.rate == Decimal("995.00")
    # Every step recorded its counts and calls.
    assert {s.data_type: s.status for s in run.steps}["projects"] == "done"
    assert run.created == sum(s.created for s in run.steps) > 0
    # Zero spec violations: asserted by the `sandbox` fixture after the test.


def test_second_sync_without_changes_makes_only_304_and_changed_since_calls(connected, db, sandbox):
    assert run_inline(connected.id, full=True).status == "done"
    before = snapshot(db, connected.id)
    mark = len(sandbox.state.requests_snapshot())
    run = run_inline(connected.id)
    assert run.status == "done"
    calls = sandbox.state.requests_snapshot()[mark:]
    assert calls, "the incremental sync asked nothing"
    for call in calls:
        query = parse_qs(call["query"])
        assert call["method"] == "GET"
        assert call["status"] == 304 or "changedSince" in query, call
    assert run.created == run.updated == run.deactivated == 0
    assert all(step.not_modified for step in run.steps)
    assert snapshot(db, connected.id) == before


def test_incremental_sync_sees_change_closed_project_and_deleted_customer(connected, db, sandbox):
    run_inline(connected.id, full=True)
    st = sandbox.state
    project = next(p for p in st.all("project") if p["number"] == "1001")
    customer = next(c for c in st.all("customer") if c["name"] == "Tønsberg Hytteutleie AS")
    employee = next(e for e in st.all("employee") if e.get("email") == "ola@fjellheimbygg.no")
    st.update("employee", employee["id"], {"lastName": "Nordmann-Berg"})
    st.update("project", project["id"], {"isClosed": True})
    hytte = next(p for p in st.all("project") if p["number"] == "1007")
    st.update("project", hytte["id"], {"customer": None})
    st.delete("customer", customer["id"])

    run = run_inline(connected.id)
    assert run.status == "done", run.error_message
    cid = connected.id
    assert _one(db, Employee, company_id=cid, tripletex_id=employee["id"]).last_name == (
        "Nordmann-Berg"
    )
    assert _one(db, Project, company_id=cid, number="1001").is_closed is True
    gone = _one(db, Customer, company_id=cid, tripletex_id=customer["id"])
    assert gone.is_active is False  # kept (hours may refer to it), out of the pickers
    assert _count(db, Customer, cid) == 8
    steps = {s.data_type: s for s in run.steps}
    assert steps["customers"].deactivated == 1
    assert steps["departments"].not_modified


def test_full_sync_matches_a_clean_run_despite_faults(connected, db, sandbox):
    faults = sandbox.state.faults
    faults.inject_429(times=3, reset_seconds=0)
    faults.inject_5xx(times=2, status=503, path_prefix="/project")
    faults.inject_5xx(times=1, status=500, path_prefix="/customer")
    faults.inject_slow(times=1, seconds=0.3, path_prefix="/employee")
    run = run_inline(connected.id, full=True)
    assert run.status == "done", run.error_message
    assert faults.pending() == 0  # every fault fired
    faulty = snapshot(db, connected.id)
    assert len(faulty["Employee"]) == 12 and len(faulty["Project"]) == 10

    # A clean full run over the same data finds nothing to correct.
    clean = run_inline(connected.id, full=True)
    assert clean.status == "done"
    assert clean.created == clean.updated == clean.deactivated == 0
    assert snapshot(db, connected.id) == faulty
    # The faulty run needed more HTTP attempts, but the same number of successful lists.
    assert run.api_calls > clean.api_calls


def test_synced_employees_are_linked_to_users_by_email(connected, db, sandbox, make_user):
    user = make_user(company=connected, email="Kari@FjellheimBygg.no".lower())
    run_inline(connected.id, full=True)
    db.session.expire_all()
    linked = db.session.get(User, user.id)
    assert linked.employee is not None and linked.employee.first_name == "Kari"


def test_incremental_sync_asks_customers_changed_since_and_never_the_whole_list(
    connected, db, sandbox
):
    """Only changes come back: a re-fetch of every customer would fail this (rule 23)."""
    st = sandbox.state
    customers = st.all("customer")
    sleeping, awake = customers[0], customers[1]
    st.update("customer", sleeping["id"], {"isInactive": True})
    assert run_inline(connected.id, full=True).status == "done"
    # One change an inactive customer (only changedSince sees those), one an active one.
    st.update("customer", sleeping["id"], {"name": "Sovende Kunde AS"})
    st.update("customer", awake["id"], {"name": "Våken Kunde AS"})
    mark = len(st.requests_snapshot())

    run = run_inline(connected.id)
    assert run.status == "done", run.error_message
    calls = [c for c in st.requests_snapshot()[mark:] if c["path"] == "/customer"]
    queries = [parse_qs(c["query"]) for c in calls]
    since = [q for q in queries if "changedSince" in q]
    whole = [q for q in queries if "changedSince" not in q]
    assert since, "the incremental sync did not ask for changes only"
    # Without changedSince only the active list's digest check (no inactive list re-read).
    assert all(q.get("isInactive") == ["false"] for q in whole), whole
    assert len(calls) == 3, queries  # changed active, changed inactive, active-list check
    step = {s.data_type: s for s in run.steps}["customers"]
    assert step.updated == 2
    names = {c.tripletex_id: c.name for c in db.session.scalars(select(Customer))}
    assert names[sleeping["id"]] == "Sovende Kunde AS"
    assert names[awake["id"]] == "Våken Kunde AS"

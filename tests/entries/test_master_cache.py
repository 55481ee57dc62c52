"""The pickers' master data cached per company across requests, never stale (issue #9).

The cache lives in each process (the app's extensions) and is keyed by
`companies.master_data_version`, which every write of master data raises in its own
transaction (tipro.entries.master). «Another process» is simulated in-process by giving the
app a second cache (`as_process`), and for real by the race servers: gunicorn with two worker
processes on PostgreSQL, and the embedded server on SQLite.
"""

from __future__ import annotations

import re
import secrets
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD
from tests.factories import (
    DAY,
    NOON,
    in_company,
    new_absence_type,
    new_activity,
    new_custom_field,
    new_project,
    new_supplement_type,
    new_user,
)
from tests.race import Browser, in_db
from tests.statements import counted
from tipro.entries import master
from tipro.extensions import db as _db
from tipro.models import Company, Project, SupplementType

# The tables only master data comes from; the start page reads none of them once cached.
MASTER_TABLES = (
    "projects",
    "project_participants",
    "project_activities",
    "activities",
    "custom_fields",
    "supplement_types",
    "absence_types",
    "products",
)


def master_reads(statements: list[str]) -> list[str]:
    """The SELECTs among `statements` that read a list of master data: their first FROM names
    a master-data table. Hours joined to their project and activity are not such a read, nor
    is the save's rule check (its one project and activity, with the day total)."""
    found = []
    for statement in statements:
        text = " ".join(statement.split())
        first = re.search(r" FROM (\w+)", text)
        if "sum(time_entries.hours)" in text:
            continue
        if text.startswith("SELECT") and first and first.group(1) in MASTER_TABLES:
            found.append(text[:120])
    return found


@contextmanager
def as_process(app, cache: dict):
    """Serve the block's requests with `cache` as the process's master-data cache."""
    key = master._EXTENSION
    saved = app.extensions.get(key)
    app.extensions[key] = cache
    try:
        yield
    finally:
        if saved is None:
            app.extensions.pop(key, None)
        else:
            app.extensions[key] = saved


def version(company_id: int) -> int:
    return _db.session.scalar(
        select(Company.master_data_version)
        .where(Company.id == company_id)
        .execution_options(populate_existing=True)
    )


@pytest.fixture
def scene(app, db, build_hours_world, frozen_clock):
    """The hours world with extras, a logged-in employee and an admin (each a test client)."""
    frozen_clock(NOON)
    world = build_hours_world(DAY)
    with in_company(world.company):
        new_custom_field(world.company, "maskin", "Maskin")
        world.overtime = new_supplement_type(world.company, "Overtid 50 %", "hours")
        new_absence_type(world.company, "Ferie", new_activity(world.company, "Ferie"))
        _db.session.commit()
    employee, admin = app.test_client(), app.test_client()
    for browser, user in ((employee, world.user), (admin, world.admin)):
        response = browser.post("/logg-inn", data={"email": user.email, "password": TEST_PASSWORD})
        assert response.status_code == 302
    return world, employee, admin


def test_a_second_request_reads_no_master_data(app, scene):
    world, employee, _admin = scene
    with as_process(app, {}):
        with counted() as first:
            page = employee.get("/")
        assert page.status_code == 200
        assert master_reads(first)  # the cold cache loads the lists
        with counted() as second:
            page = employee.get("/")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "101 Nybygg Lia" in html and "Overtid 50 %" in html and "Maskin" in html
        assert master_reads(second) == []
        # Loading the lists costs a bounded number of statements, whatever the company's size.
        assert len(first) - len(second) <= 8, first
        # The save reads none of them either (the project and activity it checks come with
        # the day total in one statement, tipro.entries.rules).
        posted = {
            "date": DAY.isoformat(),
            "project_id": str(world.project.id),
            "activity_id": str(world.project_activity.id),
            "hours": "2",
            "x_extras": "1",
            "x_cf_maskin": "Gravemaskin",
            f"x_sup_{world.overtime.id}": "1",
        }
        with counted() as save:
            response = employee.post("/registreringer", data=posted)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert master_reads(save) == [], save


def test_an_admin_edit_is_seen_by_the_next_request_of_every_process(app, scene):
    world, employee, admin = scene
    first, second = {}, {}
    for cache in (first, second):
        with as_process(app, cache):
            assert "Overtid 50 %" in employee.get("/").get_data(as_text=True)
    before = version(world.company.id)
    with as_process(app, second):  # the admin's request lands on the other process
        response = admin.post(
            f"/admin/tillegg/{world.overtime.id}",
            data={"name": "Overtid 100 %", "unit": "hours", "per": "entry", "is_active": "y"},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
    assert version(world.company.id) == before + 1
    for cache in (first, second):
        with as_process(app, cache):
            html = employee.get("/").get_data(as_text=True)
            assert "Overtid 100 %" in html and "Overtid 50 %" not in html
    # Deactivated: gone from the form in both processes, and refused by the save.
    with as_process(app, first):
        response = admin.post(
            f"/admin/tillegg/{world.overtime.id}",
            data={"name": "Overtid 100 %", "unit": "hours", "per": "entry"},
        )
        assert response.status_code == 302
    for cache in (first, second):
        with as_process(app, cache):
            assert "Overtid 100 %" not in employee.get("/").get_data(as_text=True)


def test_a_project_change_is_seen_by_the_next_request_of_every_process(app, scene):
    """What a sync does to a project (a write through the ORM in the worker's transaction)."""
    world, employee, _admin = scene
    first, second = {}, {}
    for cache in (first, second):
        with as_process(app, cache):
            assert "101 Nybygg Lia" in employee.get("/").get_data(as_text=True)
    before = version(world.company.id)
    with in_company(world.company):
        project = _db.session.get(Project, world.project.id)
        project.name = "Nybygg Lia trinn 2"
        added = new_project(world.company, "105", "Tilbygg")
        _db.session.commit()
    assert version(world.company.id) == before + 1  # once per transaction
    for cache in (first, second):
        with as_process(app, cache):
            html = employee.get("/").get_data(as_text=True)
            assert "101 Nybygg Lia trinn 2" in html and "105 Tilbygg" in html
    with in_company(world.company):
        _db.session.get(Project, added.id).is_closed = True
        _db.session.commit()
    for cache in (first, second):
        with as_process(app, cache):
            assert "105 Tilbygg" not in employee.get("/").get_data(as_text=True)


def test_the_version_moves_only_with_committed_master_data(app, scene):
    world, employee, _admin = scene
    company_id = world.company.id
    before = version(company_id)
    with in_company(world.company):
        kind = _db.session.get(SupplementType, world.overtime.id)
        kind.name = "Rollback"
        _db.session.flush()
        _db.session.rollback()
        assert version(company_id) == before
        # Hours are not master data: saving them leaves the version alone.
    response = employee.post(
        "/registreringer",
        data={
            "date": DAY.isoformat(),
            "project_id": str(world.project.id),
            "activity_id": str(world.project_activity.id),
            "hours": "1",
        },
    )
    assert response.status_code == 302
    assert version(company_id) == before


def test_another_company_never_gets_this_companys_lists(app, db, build_hours_world, frozen_clock):
    frozen_clock(NOON)
    world = build_hours_world(DAY)
    with in_company(world.company):
        new_supplement_type(world.company, "Bare hos oss", "hours")
        _db.session.commit()
    other = world.other_company_project.company_id
    stranger = new_user(_db.session.get(Company, other), "employee", name="Fremmed")
    _db.session.commit()
    ours, theirs = app.test_client(), app.test_client()
    for browser, user in ((ours, world.user), (theirs, stranger)):
        response = browser.post("/logg-inn", data={"email": user.email, "password": TEST_PASSWORD})
        assert response.status_code == 302
    with as_process(app, {}):
        assert "Bare hos oss" in ours.get("/").get_data(as_text=True)
        html = theirs.get("/").get_data(as_text=True)
        assert "Bare hos oss" not in html and "Nybygg Lia" not in html
        assert "Fremmed prosjekt" in html


# ---------------------------------------------------------------- real processes


@pytest.mark.slow
def test_every_server_process_sees_a_change_by_its_next_request(race_server):
    """gunicorn's two worker processes (and the embedded server): each caches the lists; an
    admin's edit (served by one of them) and a write by another process (as the sync worker
    writes projects) are seen by the next request of every process."""
    from tipro.models import Activity

    tag = secrets.token_hex(3)

    def seed(db):
        company = Company(name=f"Hurtig {tag} AS")
        db.session.add(company)
        db.session.flush()
        db.session.add(
            Activity(company_id=company.id, tripletex_id=1, name="Arbeid", is_general=True)
        )
        project = Project(company_id=company.id, tripletex_id=2, number="7", name="Kai")
        kind = SupplementType(company_id=company.id, name="Kveld", unit="hours")
        db.session.add_all([project, kind])
        db.session.flush()
        employee = new_user(company, email=f"ansatt-{tag}@race.no", name="Ansatt")
        admin = new_user(company, "admin", email=f"admin-{tag}@race.no", name="Admin")
        db.session.commit()
        return company.id, project.id, kind.id, employee.email, admin.email

    app = race_server.app()
    company_id, project_id, kind_id, employee_email, admin_email = in_db(app, seed)
    employee = Browser(race_server.base_url).login(employee_email, TEST_PASSWORD)
    admin = Browser(race_server.base_url).login(admin_email, TEST_PASSWORD)

    def pages(n: int = 12) -> list[str]:
        # Sequential requests spread over the server's processes and threads.
        return [employee.get("/").text for _ in range(n)]

    assert all("7 Kai" in html and "Kveld" in html for html in pages())
    response = admin.post(
        f"/admin/tillegg/{kind_id}",
        {"name": "Natt", "unit": "hours", "per": "entry", "is_active": "y"},
        boosted=False,
    )
    assert response.status_code == 302, response.text
    assert all("Natt" in html and "Kveld" not in html for html in pages())

    def rename(db):
        from tipro.tenancy import company_scope

        with company_scope(company_id):
            db.session.get(Project, project_id).name = "Kai nord"
            db.session.commit()

    in_db(app, rename)
    assert all("7 Kai nord" in html for html in pages())

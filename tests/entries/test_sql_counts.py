"""SQL statements per request on the hours pages (issue #9), for a realistic user.

Each request is made as the browser makes it (a no-JS form post, the htmx quick entry that
swaps #today, the boosted week page, the week cell's htmx post) and its statements are
counted with SQLAlchemy's `before_cursor_execute`. The counts must stay within the limits and
must not grow with the number of entries, projects or users: a small and a large scene give
equal counts.

The test database runs every request's transaction as a SAVEPOINT inside the test's own
transaction; those SAVEPOINT/RELEASE statements are the harness's (in production the request
begins and commits its transaction without them) and are not counted.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine

from tests.conftest import TEST_PASSWORD, require_postgres
from tests.factories import (
    DAY,
    NOON,
    in_company,
    new_absence_type,
    new_activity,
    new_custom_field,
    new_entry,
    new_project,
    new_project_activity,
    new_supplement_type,
    new_user,
)
from tests.statements import counted
from tipro.entries.parsing import iso_week
from tipro.extensions import db as _db
from tipro.models import AuditEvent, Company, TimeEntry

# The limits (no-JS save ≤ 10, htmx save ≤ 16, start page ≤ 12, week view ≤ 10,
# week-cell edit ≤ 12).
LIMITS = {
    "save_nojs": 10,
    "save_htmx": 16,
    "save_boosted": 10,
    "start_page": 12,
    "week_view": 10,
    "week_cell": 12,
}


def build_scene(world, *, projects: int, weeks: int, per_day: int, users: int):
    """`world` plus master data and history: projects with activities, custom fields,
    supplements and an absence type, `weeks` of entries before DAY, and more users."""
    company = world.company
    activities = [new_activity(company, f"Aktivitet {i}", general=False) for i in range(3)]
    lines = [(world.project, world.project_activity)]
    for i in range(projects):
        project = new_project(company, f"{500 + i}", f"Prosjekt {i}")
        for activity in activities:
            new_project_activity(project, activity)
        lines.append((project, activities[i % 3]))
    new_custom_field(company, "maskin", "Maskin")
    new_custom_field(company, "ordre", "Ordrenummer", "number")
    new_custom_field(company, "sted", "Sted", project_id=world.project.id)
    new_supplement_type(company, "Overtid 50 %", "hours", position=1)
    new_supplement_type(company, "Kjøring", "km", position=2)
    new_absence_type(company, "Ferie", new_activity(company, "Ferie"))
    for n in range(users):
        new_user(company, "employee", name=f"Ansatt {n}")
    for back in range(weeks * 7, 0, -1):
        day = DAY - timedelta(days=back)
        if day.weekday() < 5:
            for project, activity in lines[:per_day]:  # one entry per line and day
                new_entry(world.user, day, "1.5", project_id=project.id, activity_id=activity.id)
    # Earlier today and this week, as in the middle of a working day.
    new_entry(
        world.user, DAY, "2", project_id=world.project.id, activity_id=world.project_activity.id
    )
    _db.session.commit()


def form_post(world, hours="1,5", **extra) -> dict:
    """The start page's quick entry form as the browser posts it (the extras block included)."""
    data = {
        "uuid": str(uuid.uuid4()),
        "from": "today",
        "next": "",
        "date": DAY.isoformat(),
        "hours": hours,
        "project_id": str(world.project.id),
        "activity_id": str(world.project_activity.id),
        "start_time": "",
        "end_time": "",
        "break_minutes": "",
        "comment": "Montering",
        "x_extras": "1",
        "x_cf_maskin": "",
        "x_cf_ordre": "",
        "x_cf_sted": "",
    }
    data.update(extra)
    return data


def htmx_headers(target: str, *, boosted: bool = False) -> dict:
    headers = {"HX-Request": "true", "HX-Current-URL": "http://localhost/"}
    if boosted:
        headers["HX-Boosted"] = "true"
    else:
        headers["HX-Target"] = target
    return headers


def measure(client, world) -> dict[str, tuple[int, list[str]]]:
    """Statements per request kind, each made as the browser makes it."""
    week = iso_week(DAY)
    cell_key = f"work-{world.project.id}-{world.project_activity.id}"
    results = {}

    def run(name, call, expected):
        with counted() as statements:
            response = call()
        assert response.status_code == expected, (name, response.get_data(as_text=True))
        results[name] = (len(statements), statements)
        return response

    run("save_nojs", lambda: client.post("/registreringer", data=form_post(world)), 302)
    response = run(
        "save_htmx",
        lambda: client.post(
            "/registreringer", data=form_post(world), headers=htmx_headers("today")
        ),
        200,
    )
    assert 'id="today-totals" hx-swap-oob="true"' in response.get_data(as_text=True)
    run(
        "save_boosted",
        lambda: client.post(
            "/registreringer", data=form_post(world), headers=htmx_headers("", boosted=True)
        ),
        302,
    )
    run("start_page", lambda: client.get("/"), 200)
    run(
        "week_view",
        lambda: client.get(f"/uke?uke={week}", headers=htmx_headers("", boosted=True)),
        200,
    )
    # Tuesday's cell of the line that has hours: the grid's htmx post, answered with the grid.
    response = run(
        "week_cell",
        lambda: client.post(
            "/uke/celle",
            data={"uke": week, "linje": cell_key, "dag": "1", "hours": "6"},
            headers=htmx_headers("week-grid"),
        ),
        200,
    )
    assert 'id="week-grid"' in response.get_data(as_text=True)
    return results


def _report(label: str, results) -> None:
    print(f"\nSQL statements per request ({label}):")
    for name, (count, statements) in results.items():
        print(f"  {name:<13} {count:>3}  (limit {LIMITS[name]})")
        if os.environ.get("TIPRO_SQL_DUMP"):
            for statement in statements:
                print(
                    "      "
                    + " ".join(statement.split())[
                        : int(os.environ.get("TIPRO_SQL_DUMP_WIDTH", "150"))
                    ]
                )


@pytest.fixture
def scene(app, db, build_hours_world):
    """A scene of the given size and a browser logged in as its user."""

    def make(**sizes):
        world = build_hours_world(DAY)
        with in_company(world.company):
            build_scene(world, **sizes)
        browser = app.test_client()
        response = browser.post(
            "/logg-inn", data={"email": world.user.email, "password": TEST_PASSWORD}
        )
        assert response.status_code == 302
        # As a browser does: the log-in redirects to the start page, which reads the
        # company's master data into the process's cache (tipro.entries.master); the counts
        # below are of a user at work, not of the first request after a master-data change
        # (that one is bounded in tests/entries/test_master_cache.py).
        assert browser.get("/").status_code == 200
        return world, browser

    return make


def test_statements_per_request_stay_within_the_limits(scene, frozen_clock):
    frozen_clock(NOON)
    world, browser = scene(projects=40, weeks=2, per_day=1, users=3)
    results = measure(browser, world)
    _report("40 projects, two weeks", results)
    for name, (count, statements) in results.items():
        assert count <= LIMITS[name], (name, count, statements)


def test_statements_do_not_grow_with_the_data(scene, frozen_clock):
    frozen_clock(NOON)
    small = measure(*reversed(scene(projects=2, weeks=1, per_day=1, users=0)))
    large = measure(*reversed(scene(projects=120, weeks=6, per_day=3, users=25)))
    _report("small", small)
    _report("large", large)
    assert {k: c for k, (c, _s) in small.items()} == {k: c for k, (c, _s) in large.items()}


def test_definitions_are_read_once_per_request_and_never_stale(app, build_hours_world):
    """Without a logged-in user (no version to key the shared cache) the pickers' definitions
    are read once per request's transaction, and read again when a definition is written
    (an admin edit, a sync) or the transaction ends."""
    from tipro.entries.extras import definitions

    world = build_hours_world(DAY)
    project_id = world.project.id

    def ids(rows):
        return [row.id for row in rows]

    with app.test_request_context("/"), in_company(world.company):
        with counted() as statements:
            assert definitions.active_fields(None) == []
            assert definitions.has_project_fields() is False
            assert definitions.active_fields(project_id) == []
        assert len(statements) == 1
        added = new_custom_field(world.company, "maskin", "Maskin")  # flushed: forgotten
        assert ids(definitions.active_fields(None)) == [added.id]
        sted = new_custom_field(world.company, "sted", "Sted", project_id=world.project.id)
        assert ids(definitions.active_fields(world.project.id)) == [added.id, sted.id]
        assert definitions.has_project_fields() is True
        _db.session.commit()
        with counted() as statements:
            definitions.active_supplement_types()
            definitions.active_supplement_types()
        assert len(statements) == 1
        kind = new_supplement_type(world.company, "Overtid", "hours")
        assert ids(definitions.active_supplement_types()) == [kind.id]
        kind.is_active = False
        _db.session.flush()
        assert definitions.active_supplement_types() == ()


def test_pages_read_the_running_clock_with_the_user(scene, frozen_clock):
    """The badge's clock comes with the user's one statement on a page (GET); after a write
    it is read as it is now, and a fragment without the badge reads no clock at all."""
    frozen_clock(NOON)
    world, browser = scene(projects=2, weeks=1, per_day=1, users=0)
    week = iso_week(DAY)

    def timers_read(call) -> int:
        with counted() as statements:
            response = call()
        assert response.status_code in (200, 303), response.status_code
        return sum(1 for s in statements if "FROM timers" in s and "JOIN" not in s)

    page = browser.get("/").get_data(as_text=True)
    assert "Klokka går siden" not in page and "Start klokke" in page
    started = {
        "project_id": str(world.project.id),
        "activity_id": str(world.project_activity.id),
        "comment": "Tak",
    }
    assert browser.post("/klokke/start", data=started).status_code == 303
    with counted() as statements:
        page = browser.get("/").get_data(as_text=True)
    assert "Klokka går siden 12:00" in page and "Start klokke" not in page
    assert not [s for s in statements if "FROM timers" in s and "JOIN" not in s]
    assert any("LEFT OUTER JOIN timers" in s for s in statements)  # with the user
    assert timers_read(lambda: browser.get(f"/uke?uke={week}")) == 0
    # The stop reads the clock it stops; the page after it shows none.
    assert timers_read(lambda: browser.post("/klokke/stopp")) >= 1
    page = browser.get("/").get_data(as_text=True)
    assert "Klokka går siden" not in page and "Start klokke" in page
    # A week cell's answer (the grid fragment) has no badge: no clock is read.
    cell = f"work-{world.project.id}-{world.project_activity.id}"
    assert (
        timers_read(
            lambda: browser.post(
                "/uke/celle",
                data={"uke": week, "linje": cell, "dag": "1", "hours": "3"},
                headers=htmx_headers("week-grid"),
            )
        )
        == 0
    )


def test_a_save_takes_the_user_lock_in_the_user_statement(scene, frozen_clock, db):
    """PostgreSQL: the user's row lock (the 24-hour day under concurrency) rides on load_user's
    statement for a save of one's own hours; no second statement locks the same row. SQLite has
    no row locks (its writers begin IMMEDIATE): there no statement may ask for one."""
    postgres = db.engine.dialect.name == "postgresql"
    frozen_clock(NOON)
    world, browser = scene(projects=2, weeks=1, per_day=1, users=0)
    week = iso_week(DAY)
    cell_key = f"work-{world.project.id}-{world.project_activity.id}"
    for call in (
        lambda: browser.post("/registreringer", data=form_post(world)),
        lambda: browser.post(
            "/uke/celle",
            data={"uke": week, "linje": cell_key, "dag": "1", "hours": "6"},
            headers=htmx_headers("week-grid"),
        ),
    ):
        with counted() as statements:
            assert call().status_code in (200, 302)
        locks = [s for s in statements if "FOR UPDATE" in s]
        if not postgres:
            assert locks == []
            continue
        assert len(locks) == 1, locks
        assert "JOIN companies" in locks[0] and "FOR UPDATE OF users" in locks[0]
        assert statements.index(locks[0]) == 0  # first, as the lock order requires
    with counted() as statements:
        assert browser.get("/").status_code == 200
    assert not [s for s in statements if "FOR UPDATE" in s]  # a page locks nothing


def test_a_new_entry_and_its_audit_event_are_one_statement(scene, frozen_clock, db):
    """PostgreSQL: the save's one write is a single INSERT of the entry with its audit event's
    INSERT in a WITH clause (one round trip, no unit of work at the commit); SQLite, which has
    no INSERT inside WITH and no round trip to save, sends the two from the unit of work.
    Either way both rows are stored, and the entry's row holds what was saved."""
    frozen_clock(NOON)
    world, browser = scene(projects=2, weeks=1, per_day=1, users=0)
    posted = form_post(world, hours="2,25")
    with counted() as statements:
        assert browser.post("/registreringer", data=posted).status_code == 302
    writes = [s for s in statements if not s.lstrip().upper().startswith("SELECT")]
    if db.engine.dialect.name == "postgresql":
        assert len(writes) == 1, writes
        assert "INSERT INTO audit_events" in writes[0] and "INSERT INTO time_entries" in writes[0]
        assert len(statements) == 3, statements  # the user's lock, the checks, the write
    else:
        assert sorted(w.split("(")[0].strip() for w in writes) == [
            "INSERT INTO audit_events",
            "INSERT INTO time_entries",
        ], writes
    entry = db.session.scalar(select(TimeEntry).where(TimeEntry.uuid == posted["uuid"]))
    assert entry is not None and entry.hours == Decimal("2.25") and entry.created_at is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_id == posted["uuid"]))
    assert event.action == "create" and event.changes["hours"] == [None, "2.25"]
    assert event.user_id == world.user.id and event.at == entry.created_at


@contextmanager
def with_parameters() -> Iterator[list[tuple[str, object]]]:
    """Like tests.statements.counted, with each statement's parameters."""
    sent: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        sent.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def test_the_hours_pages_find_entries_by_an_index_among_many(scene, frozen_clock, db):
    """With 50,000 entries of another company in the table, no read of time_entries by a save,
    the start page, the week view or a cell edit scans the table (PostgreSQL's plans, the
    table analysed). The writer's uuid probe once did: 33 ms per save at 300,000 entries,
    0.04 ms by the index."""
    require_postgres()  # the plans are PostgreSQL's: fail, never skip, when it is down
    assert db.engine.dialect.name == "postgresql"
    frozen_clock(NOON)
    world, browser = scene(projects=2, weeks=1, per_day=1, users=0)
    other = world.other_company_project.company_id
    stranger = new_user(_db.session.get(Company, other), "employee", name="Fremmed")
    connection = _db.session.connection()
    connection.execute(
        text(
            "INSERT INTO time_entries (company_id, uuid, user_id, date, hours, break_minutes,"
            " comment, state, kind, source, created_at, updated_at)"
            " SELECT :company, gen_random_uuid()::text, :user, DATE '2020-01-01' + n % 2000, 1,"
            " 0, '', 'open', 'work', 'web', now(), now() FROM generate_series(1, 50000) n"
        ),
        {"company": other, "user": stranger.id},
    )
    connection.exec_driver_sql("ANALYZE time_entries")
    with with_parameters() as sent:
        measure(browser, world)
    reads = [(s, p) for s, p in sent if "time_entries" in s and s.lstrip().startswith("SELECT")]
    assert len(reads) >= 5
    for statement, parameters in reads:
        plan = "\n".join(connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars())
        assert "Seq Scan on time_entries" not in plan, (" ".join(statement.split())[:400], plan)

"""Rules that span rows hold under parallel requests over real HTTP, on SQLite and PostgreSQL.

Each test runs against both deployments (tests/race.py): the embedded default as a user
starts it (`tipro run`, SQLite) and gunicorn on PostgreSQL. Several phones post at the same
moment; the database afterwards must look as if the posts had come one after another.
"""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import PG_ADMIN_URL, TEST_PASSWORD, _postgres_available
from tests.race import Browser, embedded_server, fire, gunicorn_server

pytestmark = pytest.mark.slow

# A fixed Wednesday long past: the server runs on the real clock, and past days are open.
DAY = date(2026, 6, 10)
WEEK = "2026-W24"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def target(request, tmp_path_factory, redis_url):
    instance = tmp_path_factory.mktemp(f"race-{request.param}")
    if request.param == "sqlite":
        server = embedded_server(instance)
    else:
        if not _postgres_available():
            pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432 (it does on CI machines)")
        server = gunicorn_server(instance, PG_ADMIN_URL, redis_url)
    with server as running:
        yield running


@pytest.fixture
def scene(target):
    """A fresh company with two employees, one project and one activity (committed)."""
    from tests.conftest import password_hash
    from tipro.extensions import db
    from tipro.models import Activity, Company, Employee, Project, User

    app = target.app()
    tag = secrets.token_hex(3)
    with app.app_context():
        company = Company(name=f"Kappløp {tag} AS")
        db.session.add(company)
        db.session.flush()
        employees = [
            Employee(company_id=company.id, tripletex_id=900 + i, first_name=n, last_name="Løp")
            for i, n in enumerate(("Kari", "Ola"))
        ]
        db.session.add_all(employees)
        activity = Activity(company_id=company.id, tripletex_id=1, name="Arbeid", is_general=True)
        project = Project(company_id=company.id, tripletex_id=2, number="1", name="Bygg")
        db.session.add_all([activity, project])
        db.session.flush()
        users = [
            User(
                company_id=company.id,
                email=f"{e.first_name.lower()}-{tag}@race.no",
                role="employee",
                name=e.first_name,
                employee_id=e.id,
                password_hash=password_hash(),
            )
            for e in employees
        ]
        db.session.add_all(users)
        db.session.commit()
        ids = {
            "company": company.id,
            "user": users[0].id,
            "email": users[0].email,
            "project": project.id,
            "activity": activity.id,
        }
        db.session.remove()
        db.engine.dispose()
    ids["app"] = app
    return ids


def _entry(scene, hours: str, day: date = DAY) -> dict:
    return {
        "date": day.isoformat(),
        "project_id": str(scene["project"]),
        "activity_id": str(scene["activity"]),
        "hours": hours,
    }


def _stored_hours(scene, day: date = DAY) -> Decimal:
    from tipro.extensions import db
    from tipro.models import TimeEntry

    with scene["app"].app_context():
        total = db.session.scalar(
            select(func.coalesce(func.sum(TimeEntry.hours), 0)).where(
                TimeEntry.user_id == scene["user"], TimeEntry.date == day
            )
        )
        db.session.remove()
        db.engine.dispose()
        return Decimal(total)


def _states(scene) -> list[str]:
    from tipro.extensions import db
    from tipro.models import TimeEntry

    with scene["app"].app_context():
        states = list(
            db.session.scalars(select(TimeEntry.state).where(TimeEntry.user_id == scene["user"]))
        )
        db.session.remove()
        db.engine.dispose()
        return states


def _phones(target, scene, n: int) -> list[Browser]:
    return [Browser(target.base_url).login(scene["email"], TEST_PASSWORD) for _ in range(n)]


def test_two_phones_posting_13_hours_each_store_at_most_24(target, scene):
    phones = _phones(target, scene, 2)
    for attempt in range(3):
        day = date(2026, 6, 8 + attempt)
        answers = fire(
            2, lambda i, d=day: phones[i].post("/registreringer", _entry(scene, "13", d))
        )
        codes = sorted(a.status_code for a in answers)
        assert _stored_hours(scene, day) == Decimal("13"), (attempt, codes)
        # One was saved, the other refused with a message (never a 500).
        assert all(code < 500 for code in codes), codes


def test_eight_parallel_six_hour_posts_store_exactly_24(target, scene):
    phones = _phones(target, scene, 8)
    answers = fire(8, lambda i: phones[i].post("/registreringer", _entry(scene, "6")))
    assert all(a.status_code < 500 for a in answers), [a.status_code for a in answers]
    assert _stored_hours(scene) == Decimal("24")


def test_submitting_a_week_while_entries_arrive_leaves_none_open(target, scene):
    phones = _phones(target, scene, 6)

    def act(i: int):
        if i == 0:
            return phones[i].post("/uke/send-inn", {"uke": WEEK})
        return phones[i].post("/registreringer", _entry(scene, "1", date(2026, 6, 8 + i % 5)))

    answers = fire(6, act)
    assert all(a.status_code < 500 for a in answers), [a.status_code for a in answers]
    states = _states(scene)
    # Either an entry came in before the submission (and is submitted with the week) or it
    # was refused after it: never an open entry inside a submitted week.
    assert "open" not in states or "submitted" not in states, states

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

from tests.conftest import TEST_PASSWORD
from tests.factories import new_company, new_user
from tests.race import Browser, fire, in_db

pytestmark = pytest.mark.slow

# A fixed Wednesday long past: the server runs on the real clock, and past days are open.
DAY = date(2026, 6, 10)
WEEK = "2026-W24"


@pytest.fixture
def scene(race_server):
    """A fresh company with two employees, one project and one activity (committed)."""
    from tipro.models import Activity, Employee, Project

    tag = secrets.token_hex(3)

    def seed(db):
        company = new_company(f"Kappløp {tag} AS")
        employees = [
            Employee(company_id=company.id, tripletex_id=900 + i, first_name=n, last_name="Løp")
            for i, n in enumerate(("Kari", "Ola"))
        ]
        activity = Activity(  # PROJECT_GENERAL_ACTIVITY: allowed on any project
            company_id=company.id,
            tripletex_id=1,
            name="Arbeid",
            is_general=True,
            is_project_activity=True,
        )
        project = Project(company_id=company.id, tripletex_id=2, number="1", name="Bygg")
        db.session.add_all([*employees, activity, project])
        db.session.flush()
        users = [
            new_user(
                company,
                email=f"{e.first_name.lower()}-{tag}@race.no",
                name=e.first_name,
                employee_id=e.id,
            )
            for e in employees
        ]
        return {
            "company": company.id,
            "user": users[0].id,
            "email": users[0].email,
            "project": project.id,
            "activity": activity.id,
        }

    app = race_server.app()
    return {**in_db(app, seed), "app": app}


def _entry(scene, hours: str, day: date = DAY) -> dict:
    return {
        "date": day.isoformat(),
        "project_id": str(scene["project"]),
        "activity_id": str(scene["activity"]),
        "hours": hours,
    }


def _stored_hours(scene, day: date = DAY) -> Decimal:
    from tipro.models import TimeEntry

    query = select(func.coalesce(func.sum(TimeEntry.hours), 0)).where(
        TimeEntry.user_id == scene["user"], TimeEntry.date == day
    )
    return Decimal(in_db(scene["app"], lambda db: db.session.scalar(query)))


def _states(scene) -> list[str]:
    from tipro.models import TimeEntry

    query = select(TimeEntry.state).where(TimeEntry.user_id == scene["user"])
    return in_db(scene["app"], lambda db: list(db.session.scalars(query)))


def _phones(race_server, scene, n: int) -> list[Browser]:
    return [Browser(race_server.base_url).login(scene["email"], TEST_PASSWORD) for _ in range(n)]


def test_two_phones_posting_13_hours_each_store_at_most_24(race_server, scene):
    phones = _phones(race_server, scene, 2)
    for attempt in range(3):
        day = date(2026, 6, 8 + attempt)
        answers = fire(
            2, lambda i, d=day: phones[i].post("/registreringer", _entry(scene, "13", d))
        )
        codes = sorted(a.status_code for a in answers)
        assert _stored_hours(scene, day) == Decimal("13"), (attempt, codes)
        # One was saved, the other refused with a message (never a 500).
        assert all(code < 500 for code in codes), codes


def test_eight_parallel_six_hour_posts_store_exactly_24(race_server, scene):
    phones = _phones(race_server, scene, 8)
    answers = fire(8, lambda i: phones[i].post("/registreringer", _entry(scene, "6")))
    assert all(a.status_code < 500 for a in answers), [a.status_code for a in answers]
    assert _stored_hours(scene) == Decimal("24")


def test_submitting_a_week_while_entries_arrive_leaves_none_open(race_server, scene):
    phones = _phones(race_server, scene, 6)

    def act(i: int):
        if i == 0:
            return phones[i].post(f"/perioder/{WEEK}/send-inn", {})
        return phones[i].post("/registreringer", _entry(scene, "1", date(2026, 6, 8 + i % 5)))

    answers = fire(6, act)
    assert all(a.status_code < 500 for a in answers), [a.status_code for a in answers]
    states = _states(scene)
    # Either an entry came in before the submission (and is submitted with the week) or it
    # was refused after it: never an open entry inside a submitted week.
    assert "open" not in states or "submitted" not in states, states


# ---------------------------------------------------------------- double submits (item 4)


def _count(scene, model, *where) -> int:
    query = select(func.count()).select_from(model).where(*where)
    return in_db(scene["app"], lambda db: db.session.scalar(query))


def _timers(scene) -> int:
    from tipro.models import Timer

    return _count(scene, Timer, Timer.user_id == scene["user"])


def _entries(scene, *where) -> int:
    from tipro.models import TimeEntry

    return _count(scene, TimeEntry, TimeEntry.user_id == scene["user"], *where)


def _clock(scene) -> dict:
    return {"project_id": str(scene["project"]), "activity_id": str(scene["activity"])}


def _codes(answers) -> list:
    return [getattr(a, "status_code", a) for a in answers]


def test_a_double_start_answers_like_one_start(race_server, scene):
    phones = _phones(race_server, scene, 1) * 2  # one phone, the button pressed twice
    answers = fire(2, lambda i: phones[i].post("/klokke/start", _clock(scene)))
    assert _codes(answers) == [303, 303]
    assert _timers(scene) == 1
    # Both end on the start page, which says the clock is running.
    page = phones[0].get("/")
    assert page.status_code == 200 and "/klokke/stopp" in page.text


@pytest.mark.parametrize("button,entries", [("stopp", 1), ("forkast", 0)])
def test_a_double_stop_or_discard_ends_one_clock_politely(race_server, scene, button, entries):
    from tipro.models import TimeEntry

    phone = _phones(race_server, scene, 1)[0]
    assert phone.post("/klokke/start", _clock(scene)).status_code == 303
    answers = fire(2, lambda i: phone.post(f"/klokke/{button}", {}))
    # The second finds no clock and says so on the start page; no second entry.
    assert _codes(answers) == [303, 303]
    assert _timers(scene) == 0
    assert _entries(scene, TimeEntry.source == "timer") == entries
    assert phone.get("/").status_code == 200


@pytest.fixture
def absence_type(scene):
    """An active absence type on its own activity, in the scene's company."""
    from tipro.models import AbsenceType, Activity

    def seed(db):
        activity = Activity(
            company_id=scene["company"], tripletex_id=3, name="Ferie", is_general=True
        )
        db.session.add(activity)
        db.session.flush()
        kind = AbsenceType(company_id=scene["company"], name="Ferie", activity_id=activity.id)
        db.session.add(kind)
        db.session.commit()
        return kind.id

    return in_db(scene["app"], seed)


def test_the_same_absence_days_twice_are_stored_once(race_server, scene, absence_type):
    phones = _phones(race_server, scene, 3)
    form = {
        "absence_type_id": str(absence_type),
        "date": "2026-06-08",
        "end_date": "2026-06-12",
        "hours": "7,5",
    }
    answers = fire(3, lambda i: phones[i].post("/fravaer", form))
    assert _codes(answers) == [303, 303, 303]
    assert _entries(scene) == 5
    assert _stored_hours(scene, date(2026, 6, 8)) == Decimal("7.5")


def test_a_double_delete_deletes_once_without_an_error(race_server, scene):
    from tipro.models import TimeEntry

    phone = _phones(race_server, scene, 1)[0]
    query = select(TimeEntry.id).where(TimeEntry.user_id == scene["user"])
    for attempt in range(3):
        day = date(2026, 6, 8 + attempt)
        assert phone.post("/registreringer", _entry(scene, "2", day)).status_code < 400
        entry_id = in_db(scene["app"], lambda db: db.session.scalar(query))
        answers = fire(2, lambda i, e=entry_id: phone.post(f"/registreringer/{e}/slett", {}))
        # The second finds it deleted (303 as the first, or 404 when the route already
        # cannot find it): never a 500 from deleting a row twice.
        assert set(_codes(answers)) <= {303, 404} and 303 in _codes(answers), _codes(answers)
        assert _entries(scene) == 0


def test_copying_a_week_while_hours_arrive_keeps_24_per_day(race_server, scene):
    phones = _phones(race_server, scene, 6)
    last_week = [date(2026, 6, 1 + i) for i in range(5)]
    for day in last_week:
        assert phones[0].post("/registreringer", _entry(scene, "14", day)).status_code < 400

    def act(i: int):
        if i == 0:
            return phones[i].post("/uke/kopier", {"uke": WEEK})
        return phones[i].post("/registreringer", _entry(scene, "14", date(2026, 6, 7 + i)))

    answers = fire(6, act)
    assert all(a.status_code < 500 for a in answers), _codes(answers)
    for i in range(5):
        assert _stored_hours(scene, date(2026, 6, 8 + i)) == Decimal("14")

"""The clock and absence through the sync API: a clock started online and stopped offline is
one entry and the clock is gone (never lost, never two); absence items keep the absence form's
rules (working days only, a normal day's hours when none are given), and the offline data
carries what the offline clock and absence form need."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.factories import NOON, in_company, lock_period, new_absence_type, new_activity
from tipro.entries import timer as timers
from tipro.extensions import db
from tipro.models import AuditEvent, TimeEntry, Timer

STARTED = NOON - timedelta(hours=2, minutes=7)  # 09:53 Oslo, stopped at 12:00 → 2 h


def _rows(user) -> list[TimeEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(TimeEntry).where(TimeEntry.user_id == user.id).order_by(TimeEntry.id)
        )
    )


def _timers() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Timer.id)))


@pytest.fixture
def running(scene):
    """A clock Kari started online at 09:53 on 101 Nybygg Lia / Montering."""
    with in_company(scene.company, STARTED):
        timers.start_timer(scene.user, scene.project.id, scene.project_activity.id, "Mur")
    return scene


def _stop_item(data: dict, **fields) -> dict:
    """The item js/outbox_more.js queues when the server's clock is stopped offline."""
    clock = data["timer"]
    values = {
        "uuid": clock["uuid"],
        "date": clock["date"],
        "project_id": clock["project_id"],
        "activity_id": clock["activity_id"],
        "hours": "2",
        "comment": clock["comment"],
        "kind": "work",
        "stops_timer": True,
        "client_modified_at": "2026-11-18T11:00:00Z",
    }
    values.update(fields)
    return values


def test_the_offline_data_names_the_running_clock_and_its_entry(running, client):
    clock = client.get("/api/v1/offline").get_json()["timer"]
    assert clock["date"] == "2026-11-18" and clock["since"] == "09:53"
    assert clock["project_id"] == running.project.id and clock["comment"] == "Mur"
    # The id the server's own stop gives the entry: the same entry either way.
    with in_company(running.company):
        entry = timers.stop_timer(running.user)
    assert entry.uuid == clock["uuid"]


def test_a_clock_stopped_offline_is_one_entry_and_the_clock_is_gone(running, client, send):
    data = client.get("/api/v1/offline").get_json()
    answer = send([_stop_item(data)])
    assert answer.status_code == 200
    assert answer.get_json()["results"][0]["status"] == "accepted"
    assert _timers() == 0
    rows = _rows(running.user)
    assert [(r.uuid, r.hours, r.comment) for r in rows] == [
        (data["timer"]["uuid"], Decimal("2.00"), "Mur")
    ]
    assert db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.entity == "timer", AuditEvent.action == "stop"
        )
    )
    # Sent again (no answer came the first time): still one entry, nothing else stopped.
    assert send([_stop_item(data)]).get_json()["results"][0]["status"] == "accepted"
    assert len(_rows(running.user)) == 1
    assert client.get("/api/v1/offline").get_json()["timer"] is None


def test_a_clock_stopped_online_meanwhile_is_not_doubled(running, client, send):
    data = client.get("/api/v1/offline").get_json()
    with in_company(running.company):
        timers.stop_timer(running.user)  # on another device, online
    assert send([_stop_item(data, hours="2.25")]).status_code == 200
    rows = _rows(running.user)
    assert len(rows) == 1 and rows[0].uuid == data["timer"]["uuid"]


def test_a_newer_clock_runs_on(running, client, send):
    """The stop of an older clock does not stop one started since (another id)."""
    data = client.get("/api/v1/offline").get_json()
    older = _stop_item(data, uuid=str(uuid.uuid4()))
    assert send([older]).get_json()["results"][0]["status"] == "accepted"
    assert _timers() == 1


def test_a_refused_stop_leaves_the_clock_running(running, client, send):
    data = client.get("/api/v1/offline").get_json()
    lock_period(running.user, running.day, "approved")
    result = send([_stop_item(data)]).get_json()["results"][0]
    assert result["status"] == "rejected"
    assert _timers() == 1 and _rows(running.user) == []


@pytest.mark.parametrize(
    "fields",
    [{"stops_timer": "ja"}, {"stops_timer": 1}, {"stops_timer": None}, {"deleted": True}],
)
def test_a_malformed_stops_timer_is_refused_whole(running, client, send, fields):
    data = client.get("/api/v1/offline").get_json()
    answer = send([_stop_item(data, **fields)])
    assert answer.status_code == 400
    assert "stops_timer" in answer.get_json()["error"]
    assert _timers() == 1 and _rows(running.user) == []


# ---------------------------------------------------------------- absence


@pytest.fixture
def holiday(scene):
    """An absence type «Ferie» on its own activity."""
    with in_company(scene.company):
        activity = new_activity(scene.company, "Ferie", is_project_activity=False)
        kind = new_absence_type(scene.company, "Ferie", activity)
        db.session.commit()
    return kind


def _absence(kind, day: date, **fields) -> dict:
    values = {
        "uuid": str(uuid.uuid4()),
        "date": day.isoformat(),
        "activity_id": kind.activity_id,
        "hours": "7.5",
        "kind": "absence",
        "x_absence_type": str(kind.id),
        "client_modified_at": "2026-11-18T11:00:00Z",
    }
    values.update(fields)
    return values


def test_absence_items_keep_the_forms_working_day_rule(scene, holiday, send):
    christmas, saturday, monday = date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 28)
    batch = [_absence(holiday, d) for d in (christmas, saturday, monday)]
    results = send(batch).get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "accepted"]
    assert "ikke en arbeidsdag" in results[0]["errors"]["date"]
    assert [(r.date, r.kind) for r in _rows(scene.user)] == [(monday, "absence")]


def test_absence_without_hours_gets_a_normal_day(scene, holiday, send):
    result = send([_absence(holiday, date(2026, 12, 28), hours="")]).get_json()["results"][0]
    assert result["status"] == "accepted"
    assert _rows(scene.user)[0].hours == Decimal("7.50")


def test_the_offline_data_has_the_working_days_with_normal_hours(scene, client):
    days = client.get("/api/v1/offline").get_json()["absence_days"]
    assert days["2026-11-18"] == "7.50"
    assert "2026-11-21" not in days  # a Saturday
    assert "2026-12-25" not in days and "2026-12-24" in days  # Christmas Day, a public holiday
    assert min(days) >= "2026-10-14" and max(days) <= "2027-03-18"

"""The sync API against both deployments (tests/race.py): the embedded SQLite server and
gunicorn on PostgreSQL. Replays, parallel replays and a replay cut off half-way end with
exactly one row per entry; another user's or company's UUID and every malformed request are
refused whole, with a 4xx and a Norwegian message, over a real socket.

The day is fixed and in the past (any past day may be registered), so the servers' own
clock — another process — does not matter.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.conftest import TEST_PASSWORD
from tests.factories import (
    new_activity,
    new_company,
    new_employee,
    new_entry,
    new_project,
    new_project_activity,
    new_user,
)
from tests.race import Browser, fire, in_db
from tipro.models import TimeEntry

pytestmark = pytest.mark.slow

DAY = date(2024, 3, 4)
URL = "/api/v1/entries/sync"


@pytest.fixture
def scene(race_server):
    tag = secrets.token_hex(3)

    def seed(db):
        company = new_company(f"Synk {tag} AS")
        employee = new_employee(company)
        activity = new_activity(company, "Montering", general=False)
        project = new_project(company, "101", "Nybygg Lia")
        new_project_activity(project, activity)
        user = new_user(company, "employee", email=f"kari-{tag}@synk.no", employee_id=employee.id)
        colleague = new_user(company, "employee", email=f"ola-{tag}@synk.no")
        theirs = new_entry(colleague, DAY, "3")
        db.session.commit()
        return {
            "user": user.id,
            "email": user.email,
            "project": project.id,
            "activity": activity.id,
            "theirs": theirs.uuid,
        }

    app = race_server.app()
    return {**in_db(app, seed), "app": app}


def _phone(race_server, scene) -> Browser:
    return Browser(race_server.base_url).login(scene["email"], TEST_PASSWORD)


def _send(phone: Browser, entries: list[dict]):
    return phone.http.post(
        phone.base_url + URL,
        json={"entries": entries},
        headers={"X-CSRFToken": phone.csrf},
        timeout=60,
        allow_redirects=False,
    )


def _batch(scene, n: int) -> list[dict]:
    return [
        {
            "uuid": str(uuid.uuid4()),
            "date": DAY.isoformat(),
            "project_id": scene["project"],
            "activity_id": scene["activity"],
            "hours": "0,5",
            "comment": f"nr {i}",
            "client_modified_at": f"2024-03-04T10:{i:02d}:00Z",
        }
        for i in range(n)
    ]


def _rows(scene) -> list[tuple[str, str]]:
    query = (
        select(TimeEntry.uuid, TimeEntry.comment)
        .where(TimeEntry.user_id == scene["user"])
        .order_by(TimeEntry.id)
    )
    return in_db(scene["app"], lambda db: [tuple(r) for r in db.session.execute(query)])


def test_batch_in_order_and_a_replay_adds_nothing(race_server, scene):
    phone = _phone(race_server, scene)
    batch = _batch(scene, 20)
    for _attempt in range(2):
        answer = _send(phone, batch)
        assert answer.status_code == 200, answer.text
        results = answer.json()["results"]
        assert [r["uuid"] for r in results] == [e["uuid"] for e in batch]
        assert {r["status"] for r in results} == {"accepted"}
    assert _rows(scene) == [(e["uuid"], e["comment"]) for e in batch]


def test_a_replay_cut_off_half_way_ends_with_one_row_each(race_server, scene):
    phone = _phone(race_server, scene)
    batch = _batch(scene, 20)
    assert _send(phone, batch[:9]).status_code == 200  # stored, but the answer was lost
    answer = _send(phone, batch)
    assert answer.status_code == 200
    assert {r["status"] for r in answer.json()["results"]} == {"accepted"}
    assert _rows(scene) == [(e["uuid"], e["comment"]) for e in batch]


def test_parallel_replays_of_one_queue_store_each_entry_once(race_server, scene):
    """Two tabs (or a retry racing the first attempt) send the same queue at the same moment."""
    phones = [_phone(race_server, scene) for _ in range(4)]
    batch = _batch(scene, 12)
    answers = fire(4, lambda i: _send(phones[i], batch))
    codes = [a.status_code if hasattr(a, "status_code") else repr(a) for a in answers]
    assert codes == [200] * 4, codes
    for answer in answers:
        assert {r["status"] for r in answer.json()["results"]} == {"accepted"}
    assert _rows(scene) == [(e["uuid"], e["comment"]) for e in batch]


def test_another_users_uuid_refuses_the_batch(race_server, scene):
    phone = _phone(race_server, scene)
    batch = _batch(scene, 3)
    batch[2]["uuid"] = scene["theirs"]
    answer = _send(phone, batch)
    assert answer.status_code == 403
    assert answer.json()["error"] == "Registrering nr. 3: Registreringen tilhører en annen bruker."
    assert _rows(scene) == []
    count = select(func.count(TimeEntry.id)).where(TimeEntry.uuid == scene["theirs"])
    assert in_db(scene["app"], lambda db: db.session.scalar(count)) == 1


@pytest.fixture
def foreign_uuid(scene):
    """An entry of another company (its UUID must be as unknown as a colleague's is refused)."""
    tag = secrets.token_hex(3)

    def seed(db):
        company = new_company(f"Annet {tag} AS")
        stranger = new_user(company, "employee", email=f"per-{tag}@annet.no")
        entry = new_entry(stranger, DAY, "2")
        db.session.commit()
        return entry.uuid

    return in_db(scene["app"], seed)


def _raw(phone: Browser, body: bytes, content_type="application/json", csrf=True):
    headers = {"Content-Type": content_type}
    if csrf:
        headers["X-CSRFToken"] = phone.csrf
    return phone.http.post(
        phone.base_url + URL, data=body, headers=headers, timeout=60, allow_redirects=False
    )


@pytest.mark.parametrize(
    "name,body,content_type,csrf,status,message",
    [
        ("broken JSON", b'{"entries": [', "application/json", True, 400, "Ugyldig JSON."),
        ("NaN", b'{"entries": [], "x": NaN}', "application/json", True, 400, "Ugyldig JSON."),
        ("not JSON", b"entries=1", "application/x-www-form-urlencoded", True, 415, "JSON"),
        ("no list", b'{"entries": {}}', "application/json", True, 400, "entries"),
        ("a list", b"[]", "application/json", True, 400, "entries"),
        ("item not object", b'{"entries": [1]}', "application/json", True, 400, "objekt"),
        (
            "hours a list",
            b'{"entries": [{"uuid": "0b6c5d2e-8f44-4bb1-9a37-2d7e0f3c1a55", "hours": [1]}]}',
            "application/json",
            True,
            400,
            "tall",
        ),
        ("bad uuid", b'{"entries": [{"uuid": "x"}]}', "application/json", True, 400, "uuid"),
        ("no CSRF", b'{"entries": []}', "application/json", False, 400, None),
    ],
)
def test_bad_requests_are_refused_whole_over_http(
    race_server, scene, name, body, content_type, csrf, status, message
):
    phone = _phone(race_server, scene)
    answer = _raw(phone, body, content_type, csrf)
    assert answer.status_code == status, (name, answer.status_code, answer.text[:200])
    if message is not None:
        assert message in answer.json()["error"], (name, answer.text)
    assert _rows(scene) == []


def test_too_many_items_are_refused_whole_over_http(race_server, scene):
    phone = _phone(race_server, scene)
    answer = _send(phone, _batch(scene, 501))
    assert answer.status_code == 413, answer.status_code
    assert "høyst 500" in answer.json()["error"]
    assert _rows(scene) == []


def test_another_companys_uuid_refuses_the_batch_over_http(race_server, scene, foreign_uuid):
    phone = _phone(race_server, scene)
    batch = _batch(scene, 2)
    batch[1]["uuid"] = foreign_uuid
    answer = _send(phone, batch)
    assert 400 <= answer.status_code < 500, answer.status_code
    assert answer.json()["error"].startswith("Registrering nr. 2:")
    assert _rows(scene) == []

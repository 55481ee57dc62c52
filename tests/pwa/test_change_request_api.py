"""POST /api/v1/change-requests (and the sync API's `code` that leads there) over HTTP: an
entry refused because its period was handed in or approved meanwhile becomes a change request
for the approver; bad input is a 4xx with a Norwegian message, never a 500."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.factories import lock_period, new_company, new_entry, new_user
from tipro.extensions import db
from tipro.models import AuditEvent, ChangeRequest, TimeEntry

URL = "/api/v1/change-requests"


def _requests(user) -> list[ChangeRequest]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(ChangeRequest).where(ChangeRequest.user_id == user.id).order_by(ChangeRequest.id)
        )
    )


def test_the_sync_api_marks_a_locked_period_with_a_code(scene, item, send):
    lock_period(scene.user, scene.day, "approved")
    results = send([item(), item(date="2026-12-01")]).get_json()["results"]
    assert results[0]["status"] == "rejected"
    assert results[0]["code"] == "period_locked"
    assert "code" not in results[1]


def test_other_rejections_carry_no_code(scene, item, send):
    results = send([item(project_id=scene.closed_project.id)]).get_json()["results"]
    assert results[0]["status"] == "rejected"
    assert "code" not in results[0]


def test_a_change_request_is_stored_for_the_approver_and_audited(scene, item, client):
    period = lock_period(scene.user, scene.day, "approved")
    entry = item(hours="3", comment="glemt")
    response = client.post(URL, json={"entry": entry, "message": "Glemte fredagen"})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()["change_request"]
    assert body["state"] == "pending"
    assert body["uuid"] == entry["uuid"]
    assert body["hours"] == "3"
    assert body["project"] == "101 Nybygg Lia"
    [found] = _requests(scene.user)
    assert found.period_id == period.id
    assert found.approver_id == scene.approver.id  # Berit leads project 101
    assert found.message == "Glemte fredagen"
    assert found.proposed["comment"] == "glemt"
    # Nothing is written to the locked period itself.
    assert (
        db.session.scalars(select(TimeEntry).where(TimeEntry.user_id == scene.user.id)).all() == []
    )
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "change_request")
    ).all()
    assert [a.action for a in audit] == ["create"]
    # Sending the same entry again replaces the waiting request: no second one.
    again = client.post(URL, json={"entry": {**entry, "hours": "4"}})
    assert again.status_code == 201
    [found] = _requests(scene.user)
    assert found.proposed["hours"] == "4"
    # The person sees it waiting.
    mine = client.get(URL).get_json()["change_requests"]
    assert [(m["uuid"], m["state"]) for m in mine] == [(entry["uuid"], "pending")]


def test_an_open_period_is_refused(scene, item, client):
    response = client.post(URL, json={"entry": item()})
    assert response.status_code == 409
    assert "ikke låst" in response.get_json()["error"]
    assert _requests(scene.user) == []


@pytest.mark.parametrize(
    "body,status",
    [
        ("ikke json", 400),
        ({"no": "entry"}, 400),
        ({"entry": "tekst"}, 400),
        ({"entry": {"uuid": "ikke-en-uuid"}}, 400),
        ({"entry": {"uuid": "6f1c0d0e-8f0a-4a55-9e0c-2f1f5c5a0c01", "hours": [1]}}, 400),
        ({"entry": {"uuid": "6f1c0d0e-8f0a-4a55-9e0c-2f1f5c5a0c01", "date": "i går"}}, 422),
        ({"entry": None, "message": 5}, 400),
    ],
)
def test_bad_input_is_a_4xx_with_a_message(scene, client, body, status):
    lock_period(scene.user, scene.day, "approved")
    data = body if isinstance(body, str) else json.dumps(body)
    response = client.post(URL, data=data, content_type="application/json")
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json()["error"]
    assert _requests(scene.user) == []


def test_not_json_is_415(scene, client):
    response = client.post(URL, data={"entry": "x"})
    assert response.status_code == 415


def test_a_message_too_long_is_refused(scene, item, client):
    lock_period(scene.user, scene.day, "approved")
    response = client.post(URL, json={"entry": item(), "message": "x" * 2001})
    assert response.status_code == 400
    assert "2000" in response.get_json()["error"]


def test_another_users_entry_is_refused(scene, item, client):
    theirs = new_entry(scene.colleague, scene.day, hours="2")
    lock_period(scene.user, scene.day, "approved")
    response = client.post(URL, json={"entry": item(uuid=theirs.uuid)})
    assert response.status_code == 403
    assert "annen bruker" in response.get_json()["error"]
    assert _requests(scene.user) == []


def test_another_companys_entry_is_refused(scene, item, client):
    other = new_company()
    stranger = new_user(other, "employee")
    theirs = new_entry(stranger, scene.day, hours="2")
    lock_period(scene.user, scene.day, "approved")
    response = client.post(URL, json={"entry": item(uuid=theirs.uuid)})
    assert response.status_code == 403
    assert _requests(scene.user) == []


def test_csrf_is_required(scene, item, client):
    lock_period(scene.user, scene.day, "approved")
    response = client.post(URL, json={"entry": item()}, csrf=False)
    assert response.status_code == 400
    assert _requests(scene.user) == []


def test_seen_is_only_for_ones_own_request(scene, item, client, login):
    lock_period(scene.user, scene.day, "approved")
    made = client.post(URL, json={"entry": item()}).get_json()["change_request"]
    client.post("/logg-ut")
    login(scene.colleague)
    assert client.post(f"{URL}/{made['id']}/sett").status_code == 404
    assert client.get(URL).get_json()["change_requests"] == []

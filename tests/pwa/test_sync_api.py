"""POST /api/v1/entries/sync over HTTP: per-item answers in order, upsert by UUID, and every
malformed batch refused whole with a Norwegian message (nothing stored, never a 500)."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.factories import lock_period, new_company, new_entry, new_user
from tipro.extensions import db
from tipro.models import TimeEntry

URL = "/api/v1/entries/sync"


def _rows(user) -> list[TimeEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(TimeEntry).where(TimeEntry.user_id == user.id).order_by(TimeEntry.id)
        )
    )


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(TimeEntry.id)))


# ---------------------------------------------------------------- accepted, in order


def test_batch_is_stored_in_order_with_one_answer_per_item(scene, item, send):
    batch = [item(hours=str(h), comment=f"nr {h}") for h in (1, 2, 3)]
    response = send(batch)
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["uuid"] for r in results] == [i["uuid"] for i in batch]
    assert [r["status"] for r in results] == ["accepted"] * 3
    rows = _rows(scene.user)
    assert [(r.uuid, r.hours, r.comment) for r in rows] == [
        (i["uuid"], Decimal(i["hours"]), i["comment"]) for i in batch
    ]
    assert {r.source for r in rows} == {"api"}


def test_replay_never_duplicates(scene, item, send):
    batch = [item(hours="1"), item(hours="2")]
    assert send(batch).status_code == 200
    again = send(batch)
    assert again.status_code == 200
    assert [r["status"] for r in again.get_json()["results"]] == ["accepted", "accepted"]
    assert len(_rows(scene.user)) == 2


def test_later_items_see_earlier_ones_day_total(scene, item, send):
    """Items are saved in order: the third pushes the day over 24 hours and alone is refused."""
    batch = [item(hours="10"), item(hours="10"), item(hours="10"), item(hours="1")]
    results = send(batch).get_json()["results"]
    assert [r["status"] for r in results] == ["accepted", "accepted", "rejected", "accepted"]
    assert results[2]["errors"]
    assert all(isinstance(m, str) and m for m in results[2]["errors"].values())
    assert sorted(r.hours for r in _rows(scene.user)) == [1, 10, 10]


def test_an_edit_after_the_create_in_one_batch_upserts(scene, item, send):
    first = item(hours="1", client_modified_at="2026-11-18T09:00:00Z")
    second = {**first, "hours": "4", "client_modified_at": "2026-11-18T09:05:00Z"}
    results = send([first, second]).get_json()["results"]
    assert [r["status"] for r in results] == ["accepted", "accepted"]
    rows = _rows(scene.user)
    assert [(r.uuid, r.hours) for r in rows] == [(first["uuid"], Decimal("4"))]


def test_an_older_change_does_not_overwrite_a_newer_one(scene, item, send):
    newer = item(hours="5", client_modified_at="2026-11-18T11:00:00Z")
    assert send([newer]).status_code == 200
    older = {**newer, "hours": "1", "client_modified_at": "2026-11-18T10:00:00Z"}
    results = send([older]).get_json()["results"]
    assert results[0]["status"] == "accepted"
    assert [r.hours for r in _rows(scene.user)] == [Decimal("5")]
    # A newer one still does.
    newest = {**newer, "hours": "6", "client_modified_at": "2026-11-18T12:00:00Z"}
    send([newest])
    assert [r.hours for r in _rows(scene.user)] == [Decimal("6")]


def test_delete_by_uuid_and_its_replay(scene, item, send):
    kept, gone = item(hours="1"), item(hours="2")
    send([kept, gone])
    delete = {"uuid": gone["uuid"], "deleted": True, "client_modified_at": "2026-11-18T11:00:00Z"}
    for _attempt in range(2):  # a replay of the delete: already gone counts as done
        results = send([delete]).get_json()["results"]
        assert results == [{"uuid": gone["uuid"], "status": "accepted", "errors": {}}]
    assert [r.uuid for r in _rows(scene.user)] == [kept["uuid"]]


def test_an_older_delete_leaves_a_newer_edit(scene, item, send):
    entry = item(hours="3", client_modified_at="2026-11-18T11:00:00Z")
    send([entry])
    stale = {"uuid": entry["uuid"], "deleted": True, "client_modified_at": "2026-11-18T10:00:00Z"}
    assert send([stale]).get_json()["results"][0]["status"] == "accepted"
    assert len(_rows(scene.user)) == 1


def test_deletes_and_saves_keep_their_order(scene, item, send):
    a = item(hours="1")
    results = send(
        [a, {"uuid": a["uuid"], "deleted": True}, item(hours="2"), {**a, "hours": "7"}]
    ).get_json()["results"]
    assert [r["status"] for r in results] == ["accepted"] * 4
    assert sorted((r.uuid == a["uuid"], r.hours) for r in _rows(scene.user)) == [
        (False, Decimal("2")),
        (True, Decimal("7")),
    ]


# ---------------------------------------------------------------- rejected per item


def test_rule_breaks_are_answered_per_item_and_the_rest_stand(scene, item, send):
    batch = [
        item(project_id=scene.closed_project.id),
        item(hours="2"),
        item(date="2026-13-45"),
        item(project_id=scene.other_company_project.id),
    ]
    results = send(batch).get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "accepted", "rejected", "rejected"]
    assert "project_id" in results[0]["errors"]
    assert "date" in results[2]["errors"]
    assert [r.uuid for r in _rows(scene.user)] == [batch[1]["uuid"]]


def test_a_week_handed_in_meanwhile_rejects_with_its_reason(scene, item, send):
    lock_period(scene.user, scene.day, "approved")
    results = send([item()]).get_json()["results"]
    assert results[0]["status"] == "rejected"
    assert any("sendt inn" in m or "godkjent" in m for m in results[0]["errors"].values())
    assert _rows(scene.user) == []


def test_extras_are_checked_like_the_form(scene, item, send):
    results = send([item(x_unknown_thing="1")]).get_json()["results"]
    # Unknown extra fields are the extras validation's business: answered, never a 500.
    assert results[0]["status"] in ("accepted", "rejected")


# ---------------------------------------------------------------- refused whole


BAD_ITEMS = {
    "not an object": "tekst",
    "no uuid": {"date": "2026-11-18", "hours": "2"},
    "bad uuid": {"uuid": "ikke-en-uuid", "date": "2026-11-18"},
    "uuid a number": {"uuid": 42},
    "date a number": {"date": 20261118},
    "hours a list": {"hours": [2]},
    "hours true": {"hours": True},
    "project an object": {"project_id": {"id": 1}},
    "comment a number": {"comment": 5},
    "deleted a string": {"deleted": "ja"},
    "client time not a time": {"client_modified_at": "i går"},
    "client time without zone": {"client_modified_at": "2026-11-18T10:00:00"},
    "extras a list": {"extras": ["x"]},
    "extra not x_": {"extras": {"hemmelig": "1"}},
    "extra an object": {"x_felt": {"a": 1}},
    "comment huge": {"comment": "x" * 5000},
}


@pytest.mark.parametrize("bad", BAD_ITEMS.values(), ids=BAD_ITEMS.keys())
def test_a_malformed_item_refuses_the_whole_batch(scene, item, send, bad):
    good = item(hours="1")
    broken = bad if not isinstance(bad, dict) else {**item(), **bad}
    if isinstance(bad, dict) and "uuid" not in bad and bad.get("date") is not None:
        broken.pop("uuid")
    response = send([good, broken])
    assert 400 <= response.status_code < 500, response.status_code
    message = response.get_json()["error"]
    assert message.startswith("Registrering nr. 2")
    assert _rows(scene.user) == []


BAD_BODIES = {
    "list at top": [],
    "no entries": {"poster": []},
    "entries an object": {"entries": {"a": 1}},
    "entries null": {"entries": None},
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_a_malformed_body_is_refused(scene, client, body):
    response = client.post(URL, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]


@pytest.mark.parametrize(
    "raw", [b"{", b"", b"\xff\xfe", b'{"entries": [NaN]}', b"[" * 100000], ids=str
)
def test_broken_json_is_refused(scene, client, raw):
    response = client.post(URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json() == {"error": "Ugyldig JSON."}


def test_json_is_required(scene, client):
    response = client.post(URL, data={"entries": "[]"})
    assert response.status_code == 415
    assert "JSON" in response.get_json()["error"]


def test_more_than_500_items_are_refused(scene, item, send):
    response = send([item(hours="0,01") for _ in range(501)])
    assert response.status_code == 413
    assert "høyst 500" in response.get_json()["error"]
    assert _rows(scene.user) == []


def test_500_items_are_accepted(scene, item, send):
    batch = [item(hours="0,01", date=scene.day.isoformat()) for _ in range(500)]
    response = send(batch)
    assert response.status_code == 200
    assert len(response.get_json()["results"]) == 500
    assert len(_rows(scene.user)) == 500


def test_an_empty_batch_answers_nothing(scene, send):
    response = send([])
    assert response.status_code == 200
    assert response.get_json() == {"results": []}


# ---------------------------------------------------------------- other people's UUIDs


def test_a_colleagues_uuid_refuses_the_batch(scene, item, send):
    theirs = new_entry(scene.colleague, scene.day, "3", project_id=scene.project.id)
    response = send([item(hours="1"), item(uuid=theirs.uuid, hours="9")])
    assert response.status_code == 403
    assert response.get_json()["error"] == (
        "Registrering nr. 2: Registreringen tilhører en annen bruker."
    )
    assert _rows(scene.user) == []
    assert [r.hours for r in _rows(scene.colleague)] == [Decimal("3")]


def test_a_colleagues_uuid_cannot_be_deleted(scene, send):
    theirs = new_entry(scene.colleague, scene.day, "3")
    response = send([{"uuid": theirs.uuid, "deleted": True}])
    assert response.status_code == 403
    assert len(_rows(scene.colleague)) == 1


def test_an_admin_cannot_sync_someone_elses_uuid(scene, client, item, send, login):
    theirs = new_entry(scene.user, scene.day, "3")
    client.post("/logg-ut")
    login(scene.admin)
    response = send([item(uuid=theirs.uuid, hours="1")])
    assert response.status_code == 403
    assert [r.hours for r in _rows(scene.user)] == [Decimal("3")]


def test_another_companys_uuid_refuses_the_batch(scene, item, send):
    other = new_company()
    stranger = new_user(other, "employee")
    theirs = new_entry(stranger, scene.day, "4")
    before = _count()
    response = send([item(uuid=theirs.uuid, hours="1")])
    assert response.status_code == 403
    assert "annen bruker" in response.get_json()["error"]
    assert _count() == before


# ---------------------------------------------------------------- the door


def test_without_csrf_token_nothing_is_stored(scene, item, client):
    response = client.post(URL, json={"entries": [item()]}, csrf=False)
    assert response.status_code == 400
    assert _rows(scene.user) == []


def test_without_login_the_api_sends_to_log_in(client, db):
    response = client.post(URL, json={"entries": []})
    assert response.status_code == 302
    assert "/logg-inn" in response.headers["Location"]


def test_the_answer_is_never_stored_by_caches(scene, send):
    response = send([])
    assert "no-store" in response.headers["Cache-Control"]
    assert response.mimetype == "application/json"


def test_a_uuid_in_other_spelling_is_the_same_entry(scene, item, send):
    key = str(uuid.uuid4())
    send([item(uuid=key.upper(), hours="1")])
    send([item(uuid="  " + key + " ", hours="2")])
    assert [(r.uuid, r.hours) for r in _rows(scene.user)] == [(key, Decimal("2"))]


ODD_VALUES = {
    "huge project id": {"project_id": 10**30},
    "negative project id": {"project_id": -1},
    "project id text": {"project_id": "101 Nybygg"},
    "huge hours": {"hours": 1e308},
    "tiny hours": {"hours": 1e-300},
    "hours text": {"hours": "sju og en halv"},
    "negative hours": {"hours": -3},
    "date text": {"date": "i morgen"},
    "date far ahead": {"date": "9999-12-31"},
    "time text": {"start_time": "25:99", "end_time": "ab"},
    "break huge": {"break_minutes": 10**12},
    "kind unknown": {"kind": "ferie"},
    "comment control chars": {"comment": "a\x00b"},
    "extra huge number": {"x_unknown": 10**40},
    "nulls": {"project_id": None, "activity_id": None, "hours": None, "date": None},
}


@pytest.mark.parametrize("odd", ODD_VALUES.values(), ids=ODD_VALUES.keys())
def test_odd_values_are_answered_per_item_never_500(scene, item, send, odd):
    response = send([item(**odd), item(hours="1")])
    assert response.status_code < 500
    if response.status_code == 200:
        results = response.get_json()["results"]
        assert results[1]["status"] == "accepted"
        if results[0]["status"] == "rejected":
            assert all(isinstance(m, str) and m for m in results[0]["errors"].values())
    else:
        assert response.get_json()["error"]
        assert _rows(scene.user) == []

"""A queue names its user: a batch sent under another person's session (someone else logged in
on the device since; the service worker or an old page sends) is refused whole, nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tipro.extensions import db
from tipro.models import TimeEntry


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(TimeEntry.id)))


def test_another_users_queue_is_refused_whole(scene, item, send):
    response = send({"entries": [item()], "user": scene.colleague.id})
    assert response.status_code == 409
    assert "annen bruker" in response.get_json()["error"]
    assert _count() == 0


@pytest.mark.parametrize("owner", ["own", "own-text", None])
def test_ones_own_queue_is_saved(scene, item, send, owner):
    body = {"entries": [item()]}
    if owner is not None:
        body["user"] = scene.user.id if owner == "own" else str(scene.user.id)
    response = send(body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert [r["status"] for r in response.get_json()["results"]] == ["accepted"]
    assert _count() == 1


@pytest.mark.parametrize("owner", [True, [1], {"id": 1}, 1.5])
def test_a_malformed_user_is_refused(scene, item, send, owner):
    response = send({"entries": [item()], "user": owner})
    assert response.status_code == 400
    assert _count() == 0

"""The hours scene logged in on the test client, and a helper to post sync batches."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import NOON


@pytest.fixture
def scene(build_hours_world, frozen_clock, client, login):
    """The hours world around a pinned Wednesday, its employee logged in."""
    frozen_clock(NOON)
    world = build_hours_world(NOON.date())
    login(world.user)
    return world


@pytest.fixture
def item(scene):
    """One valid queued entry for the scene's user: `item(hours="2", …)`."""

    def make(**fields) -> dict:
        values = {
            "uuid": str(uuid.uuid4()),
            "date": scene.day.isoformat(),
            "project_id": scene.project.id,
            "activity_id": scene.project_activity.id,
            "hours": "2",
            "comment": "",
            "client_modified_at": "2026-11-18T10:00:00Z",
            "deleted": False,
        }
        values.update(fields)
        return values

    return make


@pytest.fixture
def send(client):
    """POST a batch (or any body) to the sync API; returns the response."""

    def post(body, **kwargs):
        if isinstance(body, list):
            body = {"entries": body}
        return client.post("/api/v1/entries/sync", json=body, **kwargs)

    return post

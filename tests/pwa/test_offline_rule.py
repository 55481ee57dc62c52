"""The offline data carries what the strict activity rule needs, so the offline form offers the
same activities as the online one (tipro.entries.pickers): Tripletex' activity types, the
project links with their dates, and the activity last used per project."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import add_hours, in_company, new_project_activity
from tipro.entries import pickers


def allowed_offline(data: dict, project_id: int | None, day: str) -> set[int]:
    """The rule as js/outbox.js applies it to the offline data (its Python twin)."""
    project = next((p for p in data["projects"] if p["id"] == project_id), None)
    linked = {
        link["activity_id"]
        for link in (project["links"] if project else [])
        if (link["from"] is None or link["from"] <= day)
        and (link["to"] is None or link["to"] >= day)
    }
    return {
        a["id"]
        for a in data["activities"]
        if not a["absence"]
        and (
            a["without_project"] if project_id is None else a["on_any_project"] or a["id"] in linked
        )
    }


def test_activity_types_and_links_give_the_online_choices(scene, client):
    # A link that ends before the scene's day: not offered that day, but the day before.
    new_project_activity(
        scene.project, scene.other_activity, end_date=scene.day - timedelta(days=1)
    )
    data = client.get("/api/v1/offline").get_json()
    kinds = {a["name"]: (a["without_project"], a["on_any_project"]) for a in data["activities"]}
    assert kinds["Intern tid"] == (True, False)
    assert kinds["Reisetid"] == (False, True)
    assert kinds["Montering"] == (False, False)
    for day in (scene.day, scene.day - timedelta(days=1)):
        for project_id in (None, scene.project.id):
            with in_company(scene.company):
                online = {a.id for a in pickers.activities_for(project_id, day)}
            assert allowed_offline(data, project_id, day.isoformat()) == online, (day, project_id)
    project = next(p for p in data["projects"] if p["id"] == scene.project.id)
    assert project["activity_ids"] == [scene.project_activity.id]  # open today (older clients)


def test_the_activity_last_used_per_project(scene, client):
    with in_company(scene.company):
        add_hours(scene, scene.day - timedelta(days=2), "2", activity=scene.project_general)
        add_hours(scene, scene.day - timedelta(days=1), "2")  # Montering, the latest on 101
        add_hours(scene, scene.day - timedelta(days=1), "1", project=None)
    data = client.get("/api/v1/offline").get_json()
    project = next(p for p in data["projects"] if p["id"] == scene.project.id)
    assert project["last_activity_id"] == scene.project_activity.id
    assert data["last_activity_without_project"] == scene.general.id

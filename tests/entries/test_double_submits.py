"""A button pressed twice answers as one press did (issue #14, item 4), one request at a time.

The parallel versions over real HTTP are in test_races.py; these pin what the services
answer to the second press.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tipro.entries import timer as timers
from tipro.entries.inputs import EntryValidationError
from tipro.models import AuditEvent, Timer


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_starting_the_running_clock_again_answers_with_it(db, world):
    first = timers.start_timer(world.user, world.project.id, world.project_activity.id, "Tak")
    first_id = first.id
    audits = _count(db, AuditEvent)
    again = timers.start_timer(
        world.user, str(world.project.id), str(world.project_activity.id), " Tak "
    )
    assert again.id == first_id
    assert _count(db, Timer) == 1 and _count(db, AuditEvent) == audits


@pytest.mark.parametrize(
    "change", [{"activity": "general"}, {"comment": "Vegg"}], ids=["activity", "comment"]
)
def test_starting_another_clock_while_one_runs_is_refused(db, world, change):
    timers.start_timer(world.user, world.project.id, world.project_activity.id, "Tak")
    activity = world.project_general if "activity" in change else world.project_activity
    with pytest.raises(EntryValidationError) as info:
        timers.start_timer(world.user, world.project.id, activity.id, change.get("comment", "Tak"))
    assert info.value.status == 409 and "allerede" in info.value.errors["form"]
    assert _count(db, Timer) == 1


@pytest.mark.parametrize("stop", [timers.stop_timer, timers.discard_timer])
def test_stopping_a_stopped_clock_says_so(db, world, stop):
    timers.start_timer(world.user, world.project.id, world.project_activity.id)
    stop(world.user)
    with pytest.raises(EntryValidationError) as info:
        stop(world.user)
    assert info.value.errors["form"] == "Ingen klokke går."

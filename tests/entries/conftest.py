"""The hours scene for the entries tests, built from tests/factories.py.

`world` acts as a request would: the company's scope is entered and the clock pinned to
`world.day` (a Wednesday), so services can be called directly and no test depends on today.
"""

from __future__ import annotations

import pytest

from tests.factories import DAY, in_company


@pytest.fixture
def world(build_hours_world):
    scene = build_hours_world(DAY)
    with in_company(scene.company):
        yield scene


@pytest.fixture
def entry_input(world):
    """An EntryInput factory with valid defaults for `world`."""
    from tipro.entries.inputs import EntryInput

    def make(**fields) -> EntryInput:
        values = {
            "date": world.day,
            "project_id": world.project.id,
            "activity_id": world.project_activity.id,
            "hours": "7,5",
        }
        values.update(fields)
        return EntryInput(**values)

    return make

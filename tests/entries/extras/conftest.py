"""The extras scene (people, project, activities, salary types, product) from tests/factories.py.

`world` acts as a request would: the company's scope is entered and the clock pinned.
"""

from __future__ import annotations

import pytest

from tests.factories import in_company


@pytest.fixture
def make_world(make_extras_world):
    return make_extras_world


@pytest.fixture
def world(make_extras_world):
    scene = make_extras_world()
    with in_company(scene.company):
        yield scene

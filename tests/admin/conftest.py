"""Scenes for the admin tests (tests/factories.py); the admin pages are reached as requests."""

from __future__ import annotations

import pytest


@pytest.fixture
def make_world(make_extras_world):
    return make_extras_world


@pytest.fixture
def world(make_extras_world):
    return make_extras_world()

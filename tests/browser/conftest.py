"""Playwright in Debian's Chromium against the app on a real loopback server."""

import pytest


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # `playwright install` cannot download browsers here; Debian's Chromium is used instead.
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium"}


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server.url


@pytest.fixture
def seeded(committed_db):
    """Committed data a browser (another thread) can see; truncated after the test."""
    return committed_db

"""A repeat visit asks the server for no static file: versioned URLs are cached as immutable."""

from __future__ import annotations

import pytest
from flask import request, request_started

pytestmark = pytest.mark.browser


@pytest.fixture
def static_hits(app):
    """Paths of the static files the live server was asked for, from now on."""
    hits: list[str] = []

    def record(sender, **_extra):
        if request.path.startswith("/static/"):
            hits.append(request.path)

    request_started.connect(record, app)
    yield hits
    request_started.disconnect(record, app)


def test_repeat_load_requests_no_static_file(static_hits, logged_in, base_url):
    page = logged_in
    assert any(path.endswith(".css") for path in static_hits)  # the first load fetched them
    assert any(path.endswith(".js") for path in static_hits)

    page.goto(f"{base_url}/")
    page.wait_for_load_state("networkidle")
    static_hits.clear()

    page.goto(f"{base_url}/")
    page.wait_for_load_state("networkidle")  # the favicon, too, is fetched (or not) by now
    page.wait_for_function("() => window.htmx !== undefined")

    assert static_hits == []

"""The offline clock rounds as the server's clock does: js/outbox_more.js' rule run in Chromium
against tipro.entries.timer.timer_hours, over every boundary of the quarter hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tipro.entries.timer import timer_hours

pytestmark = pytest.mark.browser

SCRIPT = Path(__file__).parents[2] / "tipro" / "static" / "js" / "outbox_more.js"
START = datetime(2026, 11, 18, 9, 53, 17)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium"}


@pytest.fixture(scope="session")
def base_url():
    return None  # no server: the script runs on a page of its own


def _durations_ms() -> list[int]:
    """Around every half quarter (the rounding edge) and quarter up to a day and a bit, plus
    fractions of a second, zero and a clock that went backwards."""
    found = {0, -1000, -600_000, 1, 999}
    for quarter in range(0, 24 * 4 + 3):
        for edge in (quarter * 900, quarter * 900 + 450):
            for delta_ms in (-1001, -1000, -999, -1, 0, 1, 999, 1000):
                found.add(edge * 1000 + delta_ms)
    return sorted(found)


def test_the_offline_clock_rounds_like_the_server(page):
    page.set_content("<!doctype html><title>t</title>")
    page.add_script_tag(content=SCRIPT.read_text(encoding="utf-8"))
    durations = _durations_ms()
    start_ms = 1_795_000_000_123  # not on a whole second: the browser's Date.now() is not
    offline = page.evaluate(
        "([start, ds]) => ds.map((d) => window.TiproClock.hours(start, start + d))",
        [start_ms, durations],
    )
    for duration, hours in zip(durations, offline, strict=True):
        # The server truncates to whole seconds of the difference, as the script does.
        server = timer_hours(START, START + timedelta(milliseconds=duration))
        assert Decimal(str(hours)) == server, (duration, hours, server)

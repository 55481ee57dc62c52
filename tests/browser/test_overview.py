"""«Min oversikt» and the month close on a 360 px phone: the server-drawn day chart renders (no
script, strict CSP), fits the screen, and its numbers are there as a table."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_entries import log_in, no_horizontal_scroll
from tests.factories import in_company
from tests.reports.close_fixtures import close_world
from tipro import clock

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")


@pytest.fixture
def world(seeded):
    with clock.pinned(datetime(2026, 10, 1, 9, 0)):
        scene = close_world()
    with in_company(scene.company):
        yield scene


def test_my_overview_chart_at_360_px(page: Page, base_url, world):
    errors = log_in(page, base_url, world.per)
    page.goto(f"{base_url}/min-oversikt")
    expect(page.get_by_role("heading", name="Min oversikt")).to_be_visible()
    chart = page.get_by_role("img", name="Timer per dag i november 2026 mot normaltid")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] <= 360 and box["height"] > 100
    # Five bars of work (2–6 November), a normal mark on each of the 21 working days.
    expect(page.locator("svg .chart-work")).to_have_count(5)
    expect(page.locator("svg .chart-normal")).to_have_count(21)
    # The bars are drawn by the stylesheet's classes (the strict CSP allows no inline style).
    fill = page.locator("svg .chart-work").first.evaluate("el => getComputedStyle(el).fill")
    assert fill not in ("", "none", "rgb(0, 0, 0)")
    expect(page.get_by_text("80 % stilling av 37,5 t i uken")).to_be_visible()
    assert no_horizontal_scroll(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "overview-360.png"), full_page=True)
    page.get_by_text("Tallene per dag").click()
    expect(page.locator(".day-table tbody tr")).to_have_count(30)
    assert errors == []


def test_month_close_at_360_px(page: Page, base_url, world):
    errors = log_in(page, base_url, world.berit)
    page.goto(f"{base_url}/rapporter/manedsavslutning?maned=2026-11")
    expect(page.get_by_role("heading", name="Månedsavslutning")).to_be_visible()
    expect(page.locator(".close-totals")).to_contain_text("Sum (4 personer)")
    assert no_horizontal_scroll(page)  # the wide table scrolls inside its box
    page.screenshot(path=str(SHOTS / "close-360.png"), full_page=True)
    assert errors == []

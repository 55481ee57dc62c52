"""«Rapporter» in a real browser at 360 px: the charts render as SVG, the page does not scroll
sideways, and the strict CSP reports nothing (no inline style or script in the charts)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import TEST_PASSWORD
from tests.reports.conftest import NOW, WHOLE, report_world

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")


@pytest.fixture
def scene(seeded, frozen_clock):
    frozen_clock(NOW)
    return report_world()


def test_report_with_charts_at_360_px(page: Page, base_url, scene):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{base_url}/logg-inn")
    page.get_by_label("E-post").fill(scene.admin.email)
    page.get_by_label("Passord").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    expect(page.get_by_role("navigation").first).to_be_visible()
    page.goto(f"{base_url}/rapporter?{urlencode({**WHOLE, 'gruppe': 'prosjekt'})}")
    expect(page.get_by_role("heading", name="Rapporter", exact=True)).to_be_visible()

    charts = page.locator("svg.chart-svg")
    expect(charts).to_have_count(2)
    for index in range(2):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box is not None and 250 < box["width"] <= 360 and box["height"] > 50
    # The bars are filled by the stylesheet (a blocked style would leave them black or none).
    fill = page.locator("svg.chart-svg rect.seg-0").first.evaluate(
        "el => getComputedStyle(el).fill"
    )
    assert fill == "rgb(11, 92, 173)"
    expect(page.get_by_role("img", name="Timer per prosjekt")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "reports-360.png"), full_page=True)

    # Drill down from a total, then back with the filters kept (boosted links).
    page.get_by_role("link", name="101 Nybygg Lia").click()
    expect(page.get_by_role("heading", name="Føringer: 101 Nybygg Lia")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name="← Tilbake til rapporten").click()
    expect(page.locator("svg.chart-svg")).to_have_count(2)
    # The filter form as a user sends it (a boosted GET form): grouped by person now.
    with page.expect_request(lambda r: "gruppe=ansatt" in r.url and r.headers.get("hx-boosted")):
        page.get_by_label("Grupper etter").select_option("ansatt")
        page.get_by_role("button", name="Vis rapport").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Ansatt, "))).to_be_visible()
    expect(page.locator("table.report-table")).to_contain_text("Kari Nordmann")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert errors == []

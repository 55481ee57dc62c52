"""Absence registered offline is the same entry as the absence form's (Debian Chromium, 360 px):
each day gets the id the server's form derives (user, type, day), so pressing «Registrer
fravær» twice offline, or registering the same days online afterwards, never doubles a day."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser import test_pwa
from tests.browser.test_pwa import go_offline, go_online, log_in, ready, rows_of
from tests.factories import new_absence_type, new_activity
from tipro.entries.parsing import derived_uuid
from tipro.extensions import db

pytestmark = pytest.mark.browser
world = test_pwa.world  # the fixture of tests/browser/test_pwa.py

DAYS = (date(2026, 12, 21), date(2026, 12, 22))


def _register(page: Page) -> None:
    page.get_by_label("Type fravær").select_option(label="Ferie")
    page.get_by_label("Fra dato").fill(DAYS[0].isoformat())
    page.get_by_label("Til dato").fill(DAYS[-1].isoformat())
    page.get_by_role("button", name="Registrer fravær").click()


def test_absence_registered_twice_offline_then_online_is_one_entry_a_day(
    world, page: Page, context: BrowserContext, base_url
):
    activity = new_activity(world.company, "Ferie", is_project_activity=False)
    holiday = new_absence_type(world.company, "Ferie", activity)
    db.session.commit()
    page.set_viewport_size({"width": 360, "height": 780})
    log_in(page, base_url, world.user)
    page.goto(f"{base_url}/fravaer")
    ready(page)
    go_offline(page, context)
    page.reload()
    _register(page)
    expect(page.locator("#page-message")).to_contain_text("for 2 dager")
    _register(page)  # pressed again: the same two days, not four
    expect(page.locator("#pwa-pending")).to_have_text("2 venter på synk")

    go_online(page, context)
    expect(page.locator("#pwa-pending")).to_have_count(0, timeout=30000)
    expected = [derived_uuid("absence", world.user.id, holiday.id, day) for day in DAYS]
    assert [(r.date, r.uuid) for r in rows_of(world)] == list(zip(DAYS, expected, strict=True))

    # The same days through the form online: updated, not added.
    page.goto(f"{base_url}/fravaer")
    ready(page)
    _register(page)
    page.wait_for_load_state("networkidle")
    assert [r.date for r in rows_of(world)] == list(DAYS)

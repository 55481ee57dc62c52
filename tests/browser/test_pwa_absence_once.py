"""Absence registered offline is the same entry as the absence form's (Debian Chromium, 360 px):
each day gets the id the server's form derives (user, type, day), so pressing «Registrer
fravær» twice offline, or registering the same days online afterwards, never doubles a day."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser import test_pwa
from tests.browser.test_pwa import go_offline, go_online, log_in, ready, rows_of
from tests.factories import lock_period, new_absence_type, new_activity
from tipro.entries.parsing import derived_uuid
from tipro.extensions import db

pytestmark = pytest.mark.browser
world = test_pwa.world  # the fixture of tests/browser/test_pwa.py

DAYS = (date(2026, 12, 21), date(2026, 12, 22))


def _register(page: Page, days=DAYS) -> None:
    page.get_by_label("Type fravær").select_option(label="Ferie")
    page.get_by_label("Fra dato").fill(days[0].isoformat())
    page.get_by_label("Til dato").fill(days[-1].isoformat())
    page.get_by_role("button", name="Registrer fravær").click()


def _register_offline(world, page: Page, context: BrowserContext, base_url):
    """«Ferie» for DAYS registered on the absence page with no network; the absence type."""
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
    return holiday


def test_absence_registered_twice_offline_then_online_is_one_entry_a_day(
    world, page: Page, context: BrowserContext, base_url
):
    holiday = _register_offline(world, page, context, base_url)
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


MOVED = date(2026, 12, 28)  # the Monday after: another week, open


def test_an_absence_day_moved_with_rett_takes_that_days_id(
    world, page: Page, context: BrowserContext, base_url
):
    """Absence queued offline for a week approved meanwhile is refused, and the absence page
    lists the refused days; «Rett» moves a day to an open week, and the entry gets the id the
    absence form gives that day, so registering the day online afterwards updates it instead
    of adding a second one (and registering the old day again would not move it back)."""
    holiday = _register_offline(world, page, context, base_url)
    expect(page.locator("#pwa-pending")).to_have_text("2 venter på synk")
    # The absence page lists what it queued (the start page and the week do too).
    expect(page.locator("#pwa-outbox .is-pending")).to_have_count(2)
    lock_period(world.user, DAYS[0], "approved")
    go_online(page, context)
    expect(page.locator("#pwa-outbox .is-rejected")).to_have_count(2, timeout=30000)
    page.screenshot(path="/tmp/shots-lead/absence-rejected.png", full_page=True)

    page.locator("#pwa-outbox li").first.get_by_role("button", name="Rett").click()
    form = page.get_by_role("form", name="Rett")
    form.get_by_label("Dato").fill(MOVED.isoformat())
    form.get_by_role("button", name="Lagre").click()
    expect(page.locator("#pwa-outbox li")).to_have_count(1, timeout=30000)
    moved_id = derived_uuid("absence", world.user.id, holiday.id, MOVED)
    assert [(r.date, r.uuid) for r in rows_of(world)] == [(MOVED, moved_id)]

    page.goto(f"{base_url}/fravaer")
    ready(page)
    _register(page, (MOVED,))
    expect(page.locator(".flashes")).to_contain_text("Fravær lagret for 1 dag.")
    assert [(r.date, r.uuid) for r in rows_of(world)] == [(MOVED, moved_id)]

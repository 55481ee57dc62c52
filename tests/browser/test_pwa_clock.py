"""The stamp clock without network (js/outbox_more.js): started offline it runs on the device
and shows like the server's clock; stopped, it is one queued entry rounded like the server's;
a clock started online and stopped offline is one entry and the server's clock is gone.

The browser's clock is Playwright's (page.clock, Oslo time zone), the server's is pinned."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import func, select

from tests.browser import test_pwa
from tests.browser.test_pwa import (
    go_offline,
    go_online,
    log_in,
    ready,
    rows_of,
)
from tests.factories import DAY

pytestmark = pytest.mark.browser
world = test_pwa.world  # the fixture of tests/browser/test_pwa.py

OSLO = ZoneInfo("Europe/Oslo")
SHOTS = "/tmp/shots-h2"


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "timezone_id": "Europe/Oslo"}


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=OSLO)


def timers() -> int:
    from tipro.extensions import db
    from tipro.models import Timer

    db.session.expire_all()
    return db.session.scalar(select(func.count(Timer.id)))


def offline_timer(page: Page):
    """The running clock as the stored offline data has it (None: none)."""
    user = page.locator("form[data-tipro-user]").first.get_attribute("data-tipro-user")
    return page.evaluate(
        """(user) => new Promise((resolve) => {
            const open = indexedDB.open('tipro');
            open.onsuccess = () => {
              const get = open.result.transaction('data').objectStore('data').get(user);
              get.onsuccess = () => {
                open.result.close();
                resolve(get.result && get.result.data.timer);
              };
            };
        })""",
        user,
    )


def choose_work(page: Page) -> None:
    page.get_by_label("Prosjekt", exact=True).select_option(label="101 Nybygg Lia")
    expect(page.locator("#activity_id option", has_text="Montering")).to_have_count(1)
    page.get_by_label("Aktivitet", exact=True).select_option(label="Montering")


def test_a_clock_started_offline_runs_on_the_device_and_stops_into_one_entry(
    world, page: Page, context: BrowserContext, base_url
):
    page.clock.install(time=at(9, 2))
    log_in(page, base_url, world.user)
    go_offline(page, context)
    choose_work(page)
    page.get_by_label("Kommentar").fill("Mur")
    page.get_by_role("button", name="Start klokke").click()
    badge = page.locator("#timer-badge .timer-badge")
    expect(badge).to_contain_text("Klokka går siden 09:02: 101 Nybygg Lia · Montering")
    expect(page.get_by_role("button", name="Start klokke")).to_be_hidden()
    # It survives a reload without network (kept on the device, not in the page).
    page.reload()
    expect(badge).to_contain_text("Klokka går siden 09:02")
    page.screenshot(path=f"{SHOTS}/clock-offline-running.png", full_page=True)
    assert timers() == 0 and rows_of(world) == []

    page.clock.fast_forward("02:08:00")  # 11:10: 2 h 8 min → 2,25 t
    badge.get_by_role("button", name="Stopp").click()
    expect(page.locator("#page-message")).to_contain_text("Klokka er stoppet: 2,25 t")
    expect(page.locator("#pwa-pending")).to_have_text("1 venter på synk")
    expect(page.locator("#timer-badge .timer-badge")).to_have_count(0)
    expect(page.get_by_role("button", name="Start klokke")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/clock-offline-stopped.png", full_page=True)

    go_online(page, context)
    expect(page.locator("#pwa-pending")).to_have_count(0, timeout=30000)
    rows = rows_of(world)
    assert [(r.date, r.hours, r.comment, r.project_id) for r in rows] == [
        (DAY, Decimal("2.25"), "Mur", world.project.id)
    ]
    assert (str(rows[0].start_time)[:5], str(rows[0].end_time)[:5]) == ("09:02", "11:17")
    assert timers() == 0


def test_a_clock_started_online_and_stopped_offline_is_one_entry_and_stops(
    world, page: Page, context: BrowserContext, base_url
):
    page.clock.install(time=at(12, 0))  # the server's pinned clock says 12:00 too
    log_in(page, base_url, world.user)
    choose_work(page)
    page.get_by_role("button", name="Start klokke").click()
    expect(page.locator("#timer-badge")).to_contain_text("Klokka går siden 12:00")
    assert timers() == 1
    page.goto(f"{base_url}/")  # kept with the clock; the offline data names it
    ready(page)
    for _attempt in range(100):
        if offline_timer(page):
            break
        page.wait_for_timeout(100)
    assert offline_timer(page)["since"] == "12:00"

    go_offline(page, context)
    page.clock.fast_forward("01:20:00")  # 13:20 → 1,25 t
    page.reload()
    badge = page.locator("#timer-badge .timer-badge")
    expect(badge).to_contain_text("Klokka går siden 12:00")
    badge.get_by_role("button", name="Stopp").click()
    expect(page.locator("#pwa-pending")).to_have_text("1 venter på synk")
    expect(page.locator("#timer-badge .timer-badge")).to_have_count(0)
    expect(page.get_by_role("button", name="Start klokke")).to_be_visible()
    # Opened again without network: the stopped clock does not come back.
    page.reload()
    expect(page.get_by_role("heading", name="Før timer")).to_be_visible()
    expect(page.locator("#timer-badge .timer-badge")).to_have_count(0)
    assert timers() == 1  # still running on the server until the entry arrives

    go_online(page, context)
    expect(page.locator("#pwa-pending")).to_have_count(0, timeout=30000)
    rows = rows_of(world)
    assert [(r.date, r.hours) for r in rows] == [(DAY, Decimal("1.25"))]
    assert timers() == 0
    page.reload()
    expect(page.get_by_role("heading", name="Før timer")).to_be_visible()
    expect(page.locator("#timer-badge .timer-badge")).to_have_count(0)
    assert len(rows_of(world)) == 1

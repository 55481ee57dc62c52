"""An entry the service worker's Background Sync sends into a period approved meanwhile keeps
the server's «period_locked» code, so the page offers «Send som endringsønske» for it as it
does for one the page sent itself (Debian Chromium, 360 px)."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser import test_pwa
from tests.browser.test_pwa import enter_three_offline, log_in, queue_rows, ready
from tests.browser.test_pwa_background_sync import fire_sync
from tests.factories import DAY, lock_period

pytestmark = pytest.mark.browser
world = test_pwa.world


def test_a_locked_period_refusal_from_the_worker_offers_a_change_request(
    world, page: Page, context: BrowserContext, base_url
):
    log_in(page, base_url, world.user)
    enter_three_offline(page, context, world)
    lock_period(world.user, DAY, "approved")
    page.close()

    context.set_offline(False)
    blank = context.new_page()  # not a page of the app: the worker sends on its own
    fire_sync(context, blank, base_url)
    blank.goto(f"{base_url}/uten-nett")
    for _attempt in range(150):
        rows = queue_rows(blank)
        if rows and all(r["status"] == "rejected" for r in rows):
            break
        blank.wait_for_timeout(100)
    assert [r.get("code") for r in queue_rows(blank)] == ["period_locked"] * 3

    page = context.new_page()
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(f"{base_url}/")
    ready(page)
    expect(page.locator("#pwa-outbox .is-rejected")).to_have_count(3, timeout=30000)
    expect(
        page.locator("#pwa-outbox li").first.get_by_role("button", name="Send som endringsønske")
    ).to_be_visible()

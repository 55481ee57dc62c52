"""The outbox retries a failed sync later, waiting longer each time (1 s, 2 s, 4 s … at most
60 s: outbox.js retryLater), and once the server answers, every entry arrives exactly once."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.browser.test_pwa import enter_three_offline, go_online, log_in, rows_of, world  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_failing_sync_is_retried_with_growing_waits_then_sent_once(
    world,  # noqa: F811
    page: Page,
    context: BrowserContext,
    base_url,
):
    log_in(page, base_url, world.user)
    enter_three_offline(page, context, world)
    attempts: list[float] = []

    def server_down(route: Route) -> None:
        attempts.append(time.monotonic())
        if len(attempts) <= 3:  # the server is away (a deploy, a proxy): 503 three times
            route.fulfill(status=503, body="Service Unavailable")
        else:
            route.continue_()

    # context.route also sees what the service worker sends (Background Sync).
    context.route("**/api/v1/entries/sync", server_down)
    go_online(page, context)
    expect(page.locator("#pwa-pending")).to_have_count(0, timeout=40000)
    assert len(attempts) >= 4, attempts
    waits = [later - earlier for earlier, later in zip(attempts, attempts[1:4], strict=False)]
    # Nobody pressed anything: the retries came by themselves, and spaced out (a fixed
    # 1-second retry would reach the fourth attempt after ~3 s; backoff takes 1 + 2 + 4 s).
    assert attempts[3] - attempts[0] >= 5, waits
    assert max(waits) >= 3, waits
    rows = rows_of(world)
    assert [r.comment for r in rows] == ["offline 1", "offline 2", "offline 3"]

"""Background Sync (js/outbox_more.js, sw.js): something queued asks for the "tipro-outbox"
sync; when it fires with no page of the app open, the service worker sends the queue itself,
once; with a page open, the page sends it. The event is fired through CDP
(ServiceWorker.dispatchSyncEvent), as the browser would when the network is back."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser import test_pwa
from tests.browser.test_pwa import (
    enter_three_offline,
    log_in,
    queue_rows,
    ready,
    rows_of,
)

pytestmark = pytest.mark.browser
world = test_pwa.world  # the fixture of tests/browser/test_pwa.py
synced = test_pwa.synced  # the fixture of tests/browser/test_pwa.py


def sync_tags(page: Page) -> list[str]:
    return page.evaluate("() => navigator.serviceWorker.ready.then((r) => r.sync.getTags())")


def fire_sync(context: BrowserContext, page: Page, base_url: str) -> None:
    """Dispatch the sync event to the app's service worker over CDP."""
    cdp = context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    for _attempt in range(50):
        if any(r["scopeURL"].startswith(base_url) for r in registrations):
            break
        page.wait_for_timeout(100)
    registration = next(r for r in registrations if r["scopeURL"].startswith(base_url))
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": base_url,
            "registrationId": registration["registrationId"],
            "tag": "tipro-outbox",
            "lastChance": False,
        },
    )


def wait_rows(world, n: int, page: Page) -> list:
    for _attempt in range(150):
        rows = rows_of(world)
        if len(rows) >= n:
            return rows
        page.wait_for_timeout(100)
    return rows_of(world)


def test_with_no_page_open_the_worker_sends_the_queue_once(
    world, synced, page: Page, context: BrowserContext, base_url
):
    log_in(page, base_url, world.user)
    enter_three_offline(page, context, world)
    assert "tipro-outbox" in sync_tags(page)  # asked for as soon as something waited
    page.close()

    context.set_offline(False)
    blank = context.new_page()  # not a page of the app: the worker is on its own
    fire_sync(context, blank, base_url)
    rows = wait_rows(world, 3, blank)
    assert [(r.comment, str(r.hours)) for r in rows] == [
        ("offline 1", "1.50"),
        ("offline 2", "2.50"),
        ("offline 3", "3.50"),
    ]
    # Each sent whole and in order (a retry of the same batch is absorbed by the upsert).
    comments = [comment for _uuid, comment, _hours in synced]
    assert comments == ["offline 1", "offline 2", "offline 3"] * (len(comments) // 3)
    assert len({uuid for uuid, _c, _h in synced}) == 3
    # The worker took the accepted rows out of the queue, as a page does (the offline page
    # has no outbox of its own: it only reads the queue here).
    blank.goto(f"{base_url}/uten-nett")
    for _attempt in range(50):
        if not queue_rows(blank):
            break
        blank.wait_for_timeout(100)
    assert queue_rows(blank) == []
    page = context.new_page()
    page.goto(f"{base_url}/")
    ready(page)
    expect(page.locator("#pwa-pending")).to_have_count(0)
    blank.wait_for_timeout(500)
    assert len(rows_of(world)) == 3


def test_with_a_page_open_the_page_sends_the_queue(
    world, synced, page: Page, context: BrowserContext, base_url
):
    log_in(page, base_url, world.user)
    user = page.locator("form[data-tipro-user]").first.get_attribute("data-tipro-user")
    page.evaluate(
        """([user, project, activity]) => TiproOutbox.enqueue(user, {
            uuid: TiproOutbox.newUuid(), deleted: false, date: '2026-11-18',
            project_id: project, activity_id: activity, hours: '2', comment: 'i bakgrunnen',
            client_modified_at: new Date().toISOString()
        }, {project: '101 Nybygg Lia'})""",
        [user, world.project.id, world.project_activity.id],
    )
    assert rows_of(world) == []
    fire_sync(context, page, base_url)
    expect(page.locator("#page-message")).to_contain_text("Timene som ventet, er sendt.")
    assert [r.comment for r in wait_rows(world, 1, page)] == ["i bakgrunnen"]
    assert [comment for _u, comment, _h in synced] == ["i bakgrunnen"]


def test_the_worker_never_sends_a_queue_under_another_persons_session(
    world, synced, page: Page, context: BrowserContext, base_url
):
    """Kari's queue waits; Ola logs in on the same phone without opening a page of the app
    (so the worker still counts Kari as its user): the worker asks whose session it is first,
    and sends nothing."""
    import re

    from tests.conftest import TEST_PASSWORD

    log_in(page, base_url, world.user)
    enter_three_offline(page, context, world)
    page.close()
    context.set_offline(False)
    context.clear_cookies()
    form = context.request.get(f"{base_url}/logg-inn").text()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    answer = context.request.post(
        f"{base_url}/logg-inn",
        form={"csrf_token": token, "email": world.colleague.email, "password": TEST_PASSWORD},
    )
    assert answer.ok

    blank = context.new_page()
    fire_sync(context, blank, base_url)
    blank.wait_for_timeout(3000)
    assert synced == []
    assert rows_of(world) == [] and rows_of(world, world.colleague) == []
    blank.goto(f"{base_url}/uten-nett")
    assert len(queue_rows(blank)) == 3  # still Kari's, for her next log-in

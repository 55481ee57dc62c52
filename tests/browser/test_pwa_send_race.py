"""A change made while a send is out is never lost (Debian Chromium, 360 px): the queue's row of
an entry changed during the request keeps the newer version, which goes with the next send;
a batch made under one user's page is refused whole when the session is someone else's."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser import test_pwa as pwa
from tests.browser.test_pwa import enter_three_offline, go_online, log_in, queue_rows, rows_of

pytestmark = pytest.mark.browser
world = pwa.world
synced = pwa.synced

# The first send waits until the first entry has been changed again (as a person typing while
# the request is out would), then goes as it was built.
CHANGE_DURING_SEND = """(user) => {
  const O = window.TiproOutbox;
  const original = window.fetch;
  let once = false;
  window.fetch = function (url, options) {
    if (once || String(url).indexOf('/api/v1/entries/sync') < 0) {
      return original.apply(this, arguments);
    }
    once = true;
    return O.queued(user).then((rows) => {
      const first = rows[0];
      const entry = Object.assign({}, first.entry, {
        hours: '4,5', comment: 'endret under sending', client_modified_at: new Date().toISOString()
      });
      return O.enqueue(user, entry, first.label);
    }).then(() => original.call(this, url, options));
  };
}"""


def _wait(page: Page, check, tries: int = 150):
    for _attempt in range(tries):
        found = check()
        if found:
            return found
        page.wait_for_timeout(100)
    return check()


def test_a_change_made_while_sending_is_sent_next_not_dropped(
    world, synced, page: Page, context: BrowserContext, base_url
):
    page.set_viewport_size({"width": 360, "height": 780})
    log_in(page, base_url, world.user)
    enter_three_offline(page, context, world)
    first_uuid = sorted(queue_rows(page), key=lambda r: r["seq"])[0]["entry"]["uuid"]
    page.evaluate(CHANGE_DURING_SEND, str(world.user.id))
    go_online(page, context)
    assert len(_wait(page, lambda: rows_of(world) if len(rows_of(world)) == 3 else None)) == 3

    # The newer version of the first entry still waits (it was not what the server answered).
    # The rows are in the database before the page has read the answer: wait until the queue
    # has let go of what was sent (with the bug, nothing would be left at all).
    def pending():
        return [r for r in queue_rows(page) if r["status"] == "pending"]

    left = _wait(page, lambda: pending() if len(pending()) == 1 else None) or pending()
    assert [(r["entry"]["uuid"], r["entry"]["comment"]) for r in left] == [
        (first_uuid, "endret under sending")
    ]
    page.evaluate("() => window.TiproOutbox.syncNow()")
    expect(page.locator("#pwa-outbox li")).to_have_count(0, timeout=30000)
    changed = next(r for r in rows_of(world) if r.uuid == first_uuid)
    assert (changed.comment, str(changed.hours)) == ("endret under sending", "4.50")
    assert len(rows_of(world)) == 3

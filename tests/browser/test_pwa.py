"""The offline app in Debian's Chromium: installable, opens without network, queues hours made
offline per user and sends each exactly once, in order, when the network is back.

Offline is `context.set_offline(True)`: the one switch that also cuts the service worker off
(tests/../shared/STACK.md); routing or CDP emulation would let the worker reach the server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import request, request_started
from playwright.sync_api import BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD
from tests.factories import DAY, hours_world, in_company, lock_period
from tipro import __version__

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")


@pytest.fixture
def world(seeded):
    """The hours scene, committed for the live server, with the clock pinned to its day."""
    scene = hours_world(DAY)
    with in_company(scene.company):
        yield scene


@pytest.fixture
def synced(app):
    """The items the sync API was sent, in the order they arrived (uuid, comment, hours)."""
    items: list[tuple] = []

    def record(sender, **_extra):
        if request.path == "/api/v1/entries/sync" and request.method == "POST":
            body = json.loads(request.get_data() or b"{}")
            items.extend((e.get("uuid"), e.get("comment"), e.get("hours")) for e in body["entries"])

    request_started.connect(record, app)
    yield items
    request_started.disconnect(record, app)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"pwa-{name}.png"), full_page=True)


def log_in(page: Page, base_url: str, user) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{base_url}/logg-inn")
    page.get_by_label("E-post").fill(user.email)
    page.get_by_label("Passord").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    expect(page.get_by_role("heading", name="Før timer")).to_be_visible()
    ready(page)


def ready(page: Page) -> None:
    """htmx wired, the service worker controlling the page, the offline data stored."""
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => window.htmx !== undefined && document.body.hasAttribute('hx-boost')"
    )
    # A busy machine (a pytest worker per core) starts the worker late, and once in a while
    # (seen in CI under load) not at all on that load: opened again, as a person would open
    # the app again, the page registers it anew.
    controlled = "() => navigator.serviceWorker.controller !== null"
    try:
        page.wait_for_function(controlled, timeout=20000)
    except PlaywrightTimeoutError:
        page.reload(wait_until="load")
        page.wait_for_function(controlled, timeout=30000)
    user = page.locator("form[data-tipro-user]").first.get_attribute("data-tipro-user")
    # page.evaluate awaits the promise (wait_for_function would take the promise as truthy).
    for _attempt in range(100):
        if page.evaluate(HAS_DATA, user):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the offline data was not stored")


# Opening a database that is not there would create it empty (and the app's own open would then
# find no stores): such an upgrade is aborted.
HAS_DATA = """(user) => new Promise((resolve) => {
    const open = indexedDB.open('tipro');
    open.onupgradeneeded = () => open.transaction.abort();
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains('data')) { db.close(); resolve(false); return; }
      const get = db.transaction('data').objectStore('data').get(user);
      get.onsuccess = () => { db.close(); resolve(!!get.result); };
      get.onerror = () => { db.close(); resolve(false); };
    };
    open.onerror = () => resolve(false);
})"""


def queue_rows(page: Page) -> list[dict]:
    """Every row of the outbox in IndexedDB (all users)."""
    return page.evaluate(
        """() => new Promise((resolve) => {
            const open = indexedDB.open('tipro');
            open.onupgradeneeded = () => open.transaction.abort();
            open.onerror = () => resolve([]);
            open.onsuccess = () => {
              const db = open.result;
              if (!db.objectStoreNames.contains('outbox')) { db.close(); resolve([]); return; }
              const all = db.transaction('outbox').objectStore('outbox').getAll();
              all.onsuccess = () => { db.close(); resolve(all.result); };
            };
        })"""
    )


def rows_of(world, user=None):
    from tipro.extensions import db
    from tipro.models import TimeEntry

    db.session.expire_all()
    return list(
        db.session.scalars(
            select(TimeEntry)
            .where(TimeEntry.user_id == (user or world.user).id)
            .order_by(TimeEntry.id)
        )
    )


def quick_entry(page: Page, hours: str, comment: str) -> None:
    page.get_by_label("Timer", exact=True).fill(hours)
    page.get_by_label("Kommentar").fill(comment)
    page.get_by_role("button", name="Lagre", exact=True).click()


def go_offline(page: Page, context: BrowserContext) -> None:
    context.set_offline(True)
    page.wait_for_function("() => !navigator.onLine")


def go_online(page: Page, context: BrowserContext) -> None:
    context.set_offline(False)
    page.wait_for_function("() => navigator.onLine")


def enter_three_offline(page: Page, context: BrowserContext, world) -> None:
    go_offline(page, context)
    # The activity list follows the project from the offline data (no server to ask).
    page.get_by_label("Prosjekt", exact=True).select_option(label="101 Nybygg Lia")
    expect(page.locator("#activity_id option", has_text="Montering")).to_have_count(1)
    page.get_by_label("Aktivitet", exact=True).select_option(label="Montering")
    for n in (1, 2, 3):
        quick_entry(page, f"{n},5", f"offline {n}")
        expect(page.locator("#pwa-outbox li")).to_have_count(n)
        page.get_by_label("Prosjekt", exact=True).select_option(label="101 Nybygg Lia")
        page.get_by_label("Aktivitet", exact=True).select_option(label="Montering")
    expect(page.locator("#pwa-pending")).to_have_text("3 venter på synk")
    expect(page.locator("#pwa-outbox")).to_contain_text("Venter på synk")
    # Each change is kept with its own id and the time it was made on the phone.
    entries = [row["entry"] for row in queue_rows(page)]
    assert len({e["uuid"] for e in entries}) == 3
    assert all(e["client_modified_at"].endswith("Z") for e in entries), entries


# ---------------------------------------------------------------- install


def test_installable_with_no_errors(world, browser_type, base_url, tmp_path):
    """Chromium's own check (CDP) in a persistent context: no installability errors."""
    context = browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path="/usr/bin/chromium"
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        log_in(page, base_url, world.user)
        cdp = context.new_cdp_session(page)
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == []
        assert manifest["url"].endswith("/manifest.webmanifest")
        # Every icon and the screenshot the manifest names are there, as PNGs of their size.
        data = json.loads(manifest["data"])
        for image in data["icons"] + data["screenshots"]:
            answer = page.request.get(base_url + image["src"])
            assert answer.ok and answer.headers["content-type"] == "image/png", image["src"]
            assert answer.body()[:8] == b"\x89PNG\r\n\x1a\n"
        assert page.locator("meta[name=theme-color]").get_attribute("content") == "#0b5cad"
    finally:
        context.close()


# ---------------------------------------------------------------- offline pages


def test_offline_reload_shows_start_page_and_week_with_the_users_projects(
    world, page: Page, context: BrowserContext, base_url
):
    from tests.factories import new_entry
    from tipro.extensions import db

    new_entry(  # a recent entry: the offline pages list it as last seen
        world.user,
        world.day,
        "3",
        project_id=world.project.id,
        activity_id=world.project_activity.id,
        comment="Forskaling sør",
    )
    db.session.commit()
    log_in(page, base_url, world.user)
    page.goto(f"{base_url}/uke")
    expect(page.get_by_role("heading", name="Uke 47")).to_be_visible()
    page.goto(f"{base_url}/")
    ready(page)

    go_offline(page, context)
    page.reload()
    expect(page.get_by_role("heading", name="Hei, Kari Nordmann")).to_be_visible()
    expect(page.locator("#project_id option", has_text="101 Nybygg Lia")).to_have_count(1)
    expect(page.locator("#today-list")).to_contain_text("Forskaling sør")
    shot(page, "offline-start")
    page.get_by_role("link", name="Uke", exact=True).click()
    expect(page.get_by_role("heading", name="Uke 47")).to_be_visible()
    page.goto(f"{base_url}/uke")  # a real navigation, not only htmx's boosted one
    expect(page.get_by_role("heading", name="Uke 47")).to_be_visible()
    shot(page, "offline-week")
    # A page the app does not keep (admin pages, the periods page) says so instead.
    page.goto(f"{base_url}/perioder")
    expect(page.get_by_role("heading", name="Ingen forbindelse")).to_be_visible()
    expect(page.get_by_text("kan ikke vises uten nett")).to_be_visible()


def test_my_overview_and_its_chart_open_without_network(
    world, page: Page, context: BrowserContext, base_url
):
    """«Min oversikt» is kept like the start page: offline it shows the numbers and the chart
    as last seen, styled from the cached report stylesheet (bars not painted black)."""
    log_in(page, base_url, world.user)
    page.goto(f"{base_url}/min-oversikt")
    ready(page)
    expect(page.locator("svg.day-chart-svg")).to_be_visible()

    go_offline(page, context)
    page.goto(f"{base_url}/min-oversikt")
    expect(page.get_by_role("heading", name="Min oversikt", exact=True)).to_be_visible()
    chart = page.locator("svg.day-chart-svg")
    expect(chart).to_be_visible()
    fill = page.evaluate("() => getComputedStyle(document.querySelector('.chart-offday')).fill")
    assert fill not in ("rgb(0, 0, 0)", "", "none"), fill
    shot(page, "offline-overview")


# ---------------------------------------------------------------- the queue


def test_three_entries_made_offline_reach_the_server_once_each_in_order(
    world, synced, page: Page, context: BrowserContext, base_url
):
    log_in(page, base_url, world.user)
    enter_three_offline(page, context, world)
    shot(page, "pending")
    assert rows_of(world) == []

    # Closing the page loses nothing: a new page (still offline) shows the same queue.
    page.close()
    page = context.new_page()
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{base_url}/")
    expect(page.locator("#pwa-outbox li")).to_have_count(3)
    expect(page.locator("#pwa-pending")).to_have_text("3 venter på synk")

    go_online(page, context)
    expect(page.locator("#pwa-pending")).to_have_count(0, timeout=30000)
    expect(page.locator("#pwa-outbox")).to_have_count(0)
    rows = rows_of(world)
    assert [(r.comment, str(r.hours)) for r in rows] == [
        ("offline 1", "1.50"),
        ("offline 2", "2.50"),
        ("offline 3", "3.50"),
    ]
    assert [r.project_id for r in rows] == [world.project.id] * 3
    # Sent in the order made, as one batch. A client that gets no answer in time (a loaded
    # machine: SEND_TIMEOUT in outbox.js) sends the same batch again, which the server's
    # upsert by UUID absorbs (one row each, above); nothing else is ever sent twice.
    comments = [comment for _uuid, comment, _hours in synced]
    assert comments[:3] == ["offline 1", "offline 2", "offline 3"]
    assert comments == comments[:3] * (len(comments) // 3), comments
    assert len({u for u, _c, _h in synced}) == 3
    # The start page now lists them (refreshed from the server).
    expect(page.locator("#today")).to_contain_text("offline 3")
    shot(page, "synced")


def test_a_week_cell_changed_offline_is_sent(world, page: Page, context: BrowserContext, base_url):
    from tests.factories import add_hours

    add_hours(world, DAY, "7,5")
    log_in(page, base_url, world.user)
    page.goto(f"{base_url}/uke")
    ready(page)
    go_offline(page, context)
    page.get_by_role("link", name="Endre 101 Nybygg Lia onsdag 18.11.").click()
    page.get_by_label("Timer", exact=False).fill("6")
    page.get_by_role("button", name="Lagre").click()
    expect(page.locator("#pwa-pending")).to_have_text("1 venter på synk")
    expect(page.locator(".pwa-cell-pending")).to_have_text("6")
    shot(page, "week-cell-pending")
    go_online(page, context)
    expect(page.locator("#pwa-pending")).to_have_count(0, timeout=30000)
    rows = rows_of(world)
    assert [str(r.hours) for r in rows] == ["6.00"]  # the same entry, changed: no second row


def test_a_rejected_entry_stays_with_its_reason(
    world, page: Page, context: BrowserContext, base_url
):
    log_in(page, base_url, world.user)
    enter_three_offline(page, context, world)
    lock_period(world.user, DAY, "approved")  # approved meanwhile, by someone else
    go_online(page, context)
    expect(page.locator("#pwa-outbox .is-rejected")).to_have_count(3, timeout=30000)
    expect(page.locator("#pwa-outbox")).to_contain_text("Avvist")
    expect(page.locator("#pwa-outbox .pwa-reason").first).to_contain_text("sendt inn")
    expect(page.locator("#pwa-pending")).to_have_text("3 venter på synk")
    shot(page, "rejected")
    assert rows_of(world) == []
    # The user may drop one; the others stay.
    page.once("dialog", lambda dialog: dialog.accept())  # «Slette registreringen …?»
    page.locator("#pwa-outbox li").first.get_by_role("button", name="Slett").click()
    expect(page.locator("#pwa-outbox li")).to_have_count(2)


def test_a_second_user_never_sends_the_first_users_queue_and_logout_clears_it(
    world, synced, page: Page, context: BrowserContext, base_url
):
    log_in(page, base_url, world.user)
    kari = page.locator("form[data-tipro-user]").first.get_attribute("data-tipro-user")
    enter_three_offline(page, context, world)
    page.close()

    # Kari's session ends while the phone is offline; then the network returns and Ola logs in
    # on the same phone. (Ended after the network's return, the service worker could still
    # rightly send Kari's queue with her own session: seen once in CI.)
    context.clear_cookies()
    context.set_offline(False)
    page = context.new_page()
    log_in(page, base_url, world.colleague)
    page.goto(f"{base_url}/")
    ready(page)
    expect(page.locator("#pwa-pending")).to_have_count(0)
    page.wait_for_timeout(500)
    assert synced == []
    assert rows_of(world) == []
    assert len(queue_rows(page)) == 3  # kept for Kari, not sent, not shown

    # Ola logs out: Kari's queue is not his to clear.
    page.get_by_role("button", name="Logg ut", exact=True).click()
    expect(page.get_by_role("button", name="Logg inn")).to_be_visible()
    assert len(queue_rows(page)) == 3

    # Kari again: her entries go, once each.
    log_in(page, base_url, world.user)
    expect(page.locator("#pwa-pending")).to_have_count(0, timeout=30000)
    assert [r.comment for r in rows_of(world)] == ["offline 1", "offline 2", "offline 3"]
    assert queue_rows(page) == []
    assert kari


def test_logout_warns_about_unsent_entries_and_clears_queue_and_pages(
    world, page: Page, context: BrowserContext, base_url
):
    log_in(page, base_url, world.user)
    user_id = page.locator("form[data-tipro-user]").first.get_attribute("data-tipro-user")
    enter_three_offline(page, context, world)
    lock_period(world.user, DAY, "approved")
    go_online(page, context)
    expect(page.locator("#pwa-outbox .is-rejected")).to_have_count(3, timeout=30000)

    messages: list[str] = []

    def answer(dialog):
        messages.append(dialog.message)
        if len(messages) == 1:
            dialog.dismiss()  # «no»: stays logged in, nothing cleared
        else:
            dialog.accept()

    page.on("dialog", answer)
    page.get_by_role("button", name="Logg ut", exact=True).click()
    expect(page.get_by_role("heading", name="Før timer")).to_be_visible()
    assert len(queue_rows(page)) == 3
    page.get_by_role("button", name="Logg ut", exact=True).click()
    expect(page.get_by_role("button", name="Logg inn")).to_be_visible()
    assert "3 registreringer som ikke er sendt" in messages[0]
    assert queue_rows(page) == []
    caches = page.evaluate("() => caches.keys()")
    assert not [name for name in caches if name.endswith(f"-u{user_id}")]
    # Offline now, the start page is not shown from the cache: nobody's data stays behind.
    go_offline(page, context)
    page.goto(f"{base_url}/")
    expect(page.get_by_role("heading", name="Ingen forbindelse")).to_be_visible()


# ---------------------------------------------------------------- a new version


def test_a_new_version_is_announced_not_swapped(world, app, page: Page, base_url):
    from tipro.pwa import shell

    log_in(page, base_url, world.user)
    old = page.evaluate("() => caches.keys()")
    old_shell = [name for name in old if name.startswith("tipro-shell-")]
    assert old_shell == [f"tipro-shell-{_version(app, shell)}"]
    before = app.extensions["tipro_static_hash"]
    app.extensions["tipro_static_hash"] = "0123456789ab"  # as if a static file changed
    try:
        page.get_by_label("Kommentar").fill("skrevet før oppdateringen")
        page.evaluate("() => navigator.serviceWorker.getRegistration().then((r) => r.update())")
        button = page.get_by_role("button", name="Ny versjon — last inn på nytt")
        expect(button).to_be_visible(timeout=10000)
        # Announced, not swapped: the page and what the user typed are still there.
        expect(page.get_by_label("Kommentar")).to_have_value("skrevet før oppdateringen")
        shot(page, "update")
        button.click()
        expect(page.get_by_role("heading", name="Før timer")).to_be_visible()
        expect(button).to_have_count(0)
        new_shell = f"tipro-shell-{__version__}-0123456789ab"
        # The old version's caches go when the new worker takes over.
        assert _eventually(page, lambda names: new_shell in names and old_shell[0] not in names)
    finally:
        app.extensions["tipro_static_hash"] = before


def _eventually(page: Page, check, seconds: float = 10) -> bool:
    for _attempt in range(int(seconds * 10)):
        if check(page.evaluate("() => caches.keys()")):
            return True
        page.wait_for_timeout(100)
    return False


def _version(app, shell) -> str:
    with app.test_request_context():
        return shell.cache_version()


def test_repeat_works_offline(world, page: Page, context: BrowserContext, base_url):
    from datetime import timedelta

    from tests.factories import add_hours

    add_hours(world, DAY - timedelta(days=1), "6,5", comment="forskaling")
    log_in(page, base_url, world.user)
    go_offline(page, context)
    page.get_by_role("link", name="Gjenta 6,5 timer på 101 Nybygg Lia").click()
    expect(page.get_by_label("Timer", exact=True)).to_have_value("6,5")
    expect(page.get_by_label("Prosjekt", exact=True)).to_have_value(str(world.project.id))
    expect(page.get_by_label("Aktivitet", exact=True)).to_have_value(str(world.project_activity.id))
    expect(page.get_by_label("Kommentar")).to_have_value("forskaling")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.locator("#pwa-pending")).to_have_text("1 venter på synk")
    go_online(page, context)
    expect(page.locator("#pwa-pending")).to_have_count(0, timeout=30000)
    assert [(r.date, str(r.hours)) for r in rows_of(world)] == [
        (DAY - timedelta(days=1), "6.50"),
        (DAY, "6.50"),
    ]

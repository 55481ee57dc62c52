"""Launching the installed app again (the same Chromium profile, the browser closed in between):
the static files come from the service worker, not the server, and with no network at all the
start page still becomes usable without a single request reaching the server. And installing:
«Installer» where the browser offers it, the «Legg til på Hjem-skjerm» hint on an iPhone.

«Usable»: the quick entry form is shown and htmx has wired the page. bench/offline_launch.py
measures the same launches (bytes, timings) against gunicorn.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask import request, request_started
from playwright.sync_api import expect

from tests.browser.test_pwa import ready, world  # noqa: F401 (world: the fixture)
from tests.conftest import TEST_PASSWORD, LiveServer

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-h3")
PHONE = {"width": 360, "height": 740}
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
USABLE = """() => {
  const form = document.getElementById('entry-form');
  return !!(form && form.checkVisibility() && window.htmx !== undefined
    && document.body.hasAttribute('hx-boost'));
}"""


@pytest.fixture
def server_hits(app):
    """Paths the live server was asked for, from now on, in order."""
    hits: list[str] = []

    def record(sender, **_extra):
        hits.append(request.path)

    request_started.connect(record, app)
    yield hits
    request_started.disconnect(record, app)


@pytest.fixture
def timed_hits(app):
    """(path, wall-clock ms) of every request the live server starts on, from now on."""
    hits: list[tuple[str, float]] = []

    def record(sender, **_extra):
        hits.append((request.path, time.time() * 1000))

    request_started.connect(record, app)
    yield hits
    request_started.disconnect(record, app)


# Installed before the page's own scripts: the moment (wall-clock ms) the page became usable,
# seen from inside the page every animation frame (a poll from the test would come late).
MARK_USABLE = (
    "(() => { const check = " + USABLE + "; const poll = () => { if (check()) "
    "{ window.__usableAt = Date.now(); } else { requestAnimationFrame(poll); } }; "
    "requestAnimationFrame(poll); })();"
)


def launch(browser_type, profile: Path, offline: bool = False):
    context = browser_type.launch_persistent_context(
        str(profile), executable_path="/usr/bin/chromium", viewport=PHONE, offline=offline
    )
    page = context.pages[0] if context.pages else context.new_page()
    return context, page


def first_launch(browser_type, profile: Path, base_url: str, user) -> None:
    """Log in («Husk meg», as on a phone that keeps the app) and let the service worker settle."""
    context, page = launch(browser_type, profile)
    try:
        page.goto(f"{base_url}/logg-inn")
        page.get_by_label("E-post").fill(user.email)
        page.get_by_label("Passord").fill(TEST_PASSWORD)
        page.get_by_label("Husk meg på denne enheten").check()
        page.get_by_role("button", name="Logg inn").click()
        expect(page.get_by_role("heading", name="Før timer")).to_be_visible()
        ready(page)  # the worker controls the page, the offline data is stored
        page.wait_for_load_state("networkidle")
    finally:
        context.close()


def test_a_repeat_launch_asks_the_server_for_no_static_file_before_it_is_usable(
    world,  # noqa: F811
    server_hits,
    browser_type,
    base_url,
    tmp_path,
):
    profile = tmp_path / "profile"
    first_launch(browser_type, profile, base_url, world.user)
    assert any(path.startswith("/static/") for path in server_hits)  # the first launch did
    server_hits.clear()

    context, page = launch(browser_type, profile)
    try:
        static: list[tuple[str, bool]] = []
        context.on(
            "response",
            lambda r: (
                static.append((r.url, r.from_service_worker)) if "/static/" in r.url else None
            ),
        )
        page.goto(f"{base_url}/")
        page.wait_for_function(USABLE, polling="raf")
        by_then = list(server_hits)
        expect(page.get_by_role("heading", name="Hei, Kari Nordmann")).to_be_visible()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "repeat-launch-online.png"))
    finally:
        context.close()

    assert [path for path in by_then if path.startswith("/static/")] == []
    # The page's static files were there, and each was answered by the service worker.
    urls = [url for url, _worker in static]
    assert any("/static/js/htmx-" in url for url in urls), urls
    assert any("/static/css/tipro.css" in url for url in urls), urls
    assert [url for url, worker in static if not worker] == []


def test_launching_the_installed_app_is_usable_before_any_request_then_shows_fresh_hours(
    world,  # noqa: F811
    timed_hits,
    browser_type,
    base_url,
    tmp_path,
):
    """The manifest's start_url (a launch from the home screen): the kept copy of the start
    page is usable before a single request reaches the server; right after, the page fetches
    its fresh parts, so hours registered elsewhere meanwhile (here: on the server) show up."""
    from tests.factories import new_entry
    from tipro.extensions import db

    profile = tmp_path / "profile"
    first_launch(browser_type, profile, base_url, world.user)
    new_entry(  # registered elsewhere (on a PC) since the phone last saw the start page
        world.user,
        world.day,
        "2",
        project_id=world.project.id,
        activity_id=world.project_activity.id,
        comment="Ført på PC-en",
    )
    db.session.commit()

    context, page = launch(browser_type, profile)
    try:
        start_url = page.request.get(f"{base_url}/manifest.webmanifest").json()["start_url"]
        page.add_init_script(MARK_USABLE)
        timed_hits.clear()  # (the manifest read above is the test's, not the launch's)
        page.goto(f"{base_url}{start_url}")
        page.wait_for_function("() => window.__usableAt !== undefined")
        usable_at = page.evaluate("window.__usableAt")
        expect(page.locator("#today-list")).to_contain_text("Ført på PC-en", timeout=10000)
        assert page.evaluate("location.pathname + location.search") == "/"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "launch-fresh.png"))
    finally:
        context.close()

    before = [path for path, at in timed_hits if at <= usable_at]
    assert before == [], (before, timed_hits, usable_at)
    assert "/" in [path for path, _at in timed_hits]  # the fresh parts came after


def test_a_repeat_launch_with_no_network_is_usable_and_reaches_no_server(
    world,  # noqa: F811
    server_hits,
    browser_type,
    base_url,
    tmp_path,
):
    profile = tmp_path / "profile"
    first_launch(browser_type, profile, base_url, world.user)
    server_hits.clear()

    context, page = launch(browser_type, profile, offline=True)
    try:
        answers: list[tuple[str, bool]] = []
        context.on("response", lambda r: answers.append((r.url, r.from_service_worker)))
        page.goto(f"{base_url}/")
        page.wait_for_function(USABLE, polling="raf")
        expect(page.get_by_role("heading", name="Hei, Kari Nordmann")).to_be_visible()
        expect(page.locator("#project_id option", has_text="101 Nybygg Lia")).to_have_count(1)
        page.wait_for_timeout(1000)  # the outbox's own attempts (offline data, sync) have run
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "repeat-launch-offline.png"))
    finally:
        context.close()

    assert server_hits == []
    assert answers and [url for url, worker in answers if not worker] == []


def test_the_browser_offers_installer_once_the_app_is_installable(
    world,  # noqa: F811
    browser_type,
    tmp_path,
    base_url,
):
    """Chromium fires `beforeinstallprompt` for an installable app (persistent profile only):
    the top bar offers «Installer», which hands over to the browser's own prompt."""
    context, page = launch(browser_type, tmp_path / "profile")
    try:
        page.goto(f"{base_url}/logg-inn")
        page.get_by_label("E-post").fill(world.user.email)
        page.get_by_label("Passord").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Logg inn").click()
        install = page.locator(".topbar").get_by_role("button", name="Installer")
        expect(install).to_be_visible(timeout=15000)
        expect(install).to_be_in_viewport()
        # (The click hands over to the browser's own prompt, which a headless browser does not
        # show; Chromium may offer the install again right after, so the button's fate after the
        # click is not asserted.)
    finally:
        context.close()


def test_safari_on_an_iphone_is_told_how_to_add_the_app_to_the_home_screen(browser, base_url):
    """iOS has no install prompt: the page explains «Legg til på Hjem-skjerm» instead."""
    context = browser.new_context(user_agent=IPHONE, viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(f"{base_url}/logg-inn")
        hint = page.locator("#pwa-ios")
        expect(hint).to_contain_text("Legg til på Hjem-skjerm")
        expect(hint).to_be_in_viewport()
        expect(page.get_by_role("button", name="Installer")).to_have_count(0)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "ios-hint.png"))
    finally:
        context.close()


def test_launching_offline_after_logging_out_shows_the_offline_page_then_log_in(
    world,  # noqa: F811
    app,
    browser_type,
    tmp_path,
):
    """Logged out, the installed app keeps nobody's start page: launched with no network it
    shows TiPro's own «Ingen forbindelse» page (not the browser's error page), and launched
    online it goes to the log-in page.

    «No network» is a server of its own that is then shut: the browser's offline emulation
    does not reach the service worker's own requests in every launch of a kept profile."""
    server = LiveServer(app)
    base_url = server.url
    profile = tmp_path / "profile"
    try:
        first_launch(browser_type, profile, base_url, world.user)
        context, page = launch(browser_type, profile)
        try:
            page.goto(f"{base_url}/")
            # The worker must see the log-out's answer (a slow machine starts it late).
            page.wait_for_function(
                "() => navigator.serviceWorker.controller !== null", timeout=30000
            )
            page.get_by_role("button", name="Logg ut", exact=True).click()
            expect(page.get_by_role("button", name="Logg inn")).to_be_visible()
            page.wait_for_load_state("networkidle")
        finally:
            context.close()

        context, page = launch(browser_type, profile)
        try:
            page.goto(f"{base_url}/?kilde=app")
            expect(page.get_by_role("button", name="Logg inn")).to_be_visible()
        finally:
            context.close()
    finally:
        server.stop()
        server.server.server_close()  # refused from now on, as with no network

    context, page = launch(browser_type, profile)
    try:
        page.goto(f"{base_url}/?kilde=app")
        expect(page.get_by_role("heading", name="Ingen forbindelse")).to_be_visible()
        expect(page.get_by_text("Kari Nordmann")).to_have_count(0)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "launch-offline-logged-out.png"))
    finally:
        context.close()

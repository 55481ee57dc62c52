"""Conflicts are never silent, sessions end without losing hours (Debian Chromium, 360 px).

A rejected entry can be fixed or moved («Rett») and is sent again under its own UUID, online
or offline; one refused because its period was approved meanwhile goes to the approver as a
change request, whose outcome the person then sees. A session that ended asks for log-in and,
once the same user is back, the queue is sent exactly once. «Registrer for» someone else says
offline that it needs the network, keeping what was typed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from tests.browser import test_pwa as pwa
from tests.browser.test_pwa import (
    enter_three_offline,
    go_offline,
    go_online,
    log_in,
    queue_rows,
    ready,
    rows_of,
)
from tests.conftest import TEST_PASSWORD
from tests.factories import DAY, lock_period

pytestmark = pytest.mark.browser

# The offline app's fixtures (tests/browser/test_pwa.py), used here under the same names.
world = pwa.world
synced = pwa.synced

SHOTS = Path("/tmp/shots-h1")
MOVED = date(2026, 11, 24)  # the Tuesday after: another week, open


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, width


def test_a_rejected_entry_is_fixed_online_and_moved_offline(
    world, page: Page, context: BrowserContext, base_url
):
    log_in(page, base_url, world.user)
    enter_three_offline(page, context, world)
    lock_period(world.user, DAY, "approved")
    go_online(page, context)
    expect(page.locator("#pwa-outbox .is-rejected")).to_have_count(3, timeout=30000)
    uuids = [row["entry"]["uuid"] for row in sorted(queue_rows(page), key=lambda r: r["seq"])]

    # Online: «Rett» opens the entry's fields, prefilled; moved to an open week it goes.
    first = page.locator("#pwa-outbox li").first
    first.get_by_role("button", name="Rett").click()
    form = page.get_by_role("form", name="Rett")
    expect(form.get_by_label("Dato")).to_have_value(DAY.isoformat())
    expect(form.get_by_label("Prosjekt")).to_have_value(str(world.project.id))
    expect(form.get_by_label("Aktivitet")).to_have_value(str(world.project_activity.id))
    expect(form.get_by_label("Timer")).to_have_value("1,5")
    expect(form.get_by_label("Kommentar")).to_have_value("offline 1")
    no_horizontal_scroll(page)
    shot(page, "fix-form")
    form.get_by_label("Dato").fill(MOVED.isoformat())
    form.get_by_label("Timer").fill("2")
    form.get_by_role("button", name="Lagre").click()
    expect(page.locator("#pwa-outbox li")).to_have_count(2, timeout=30000)
    [moved] = rows_of(world)
    assert (moved.uuid, moved.date, str(moved.hours), moved.comment) == (
        uuids[0],
        MOVED,
        "2.00",
        "offline 1",
    )

    # Offline: the fix waits as pending (not refused any more), and goes once online.
    go_offline(page, context)
    second = page.locator("#pwa-outbox li").first
    second.get_by_role("button", name="Rett").click()
    form = page.get_by_role("form", name="Rett")
    form.get_by_label("Dato").fill(MOVED.isoformat())
    form.get_by_label("Kommentar").fill("flyttet uten nett")
    form.get_by_role("button", name="Lagre").click()
    expect(page.locator("#pwa-outbox .is-pending")).to_have_count(1)
    expect(page.locator("#pwa-outbox .is-rejected")).to_have_count(1)
    go_online(page, context)
    expect(page.locator("#pwa-outbox li")).to_have_count(1, timeout=30000)
    rows = rows_of(world)
    assert [(r.uuid, r.date, r.comment) for r in rows] == [
        (uuids[0], MOVED, "offline 1"),
        (uuids[1], MOVED, "flyttet uten nett"),
    ]
    # The third still waits, with its reason; nothing was lost.
    expect(page.locator("#pwa-outbox .is-rejected .pwa-reason")).to_contain_text("sendt inn")


def test_a_rejected_entry_goes_to_the_approver_as_a_change_request(
    world, page: Page, context: BrowserContext, base_url
):
    from tipro.approvals import change_requests
    from tipro.extensions import db
    from tipro.models import ChangeRequest

    log_in(page, base_url, world.user)
    enter_three_offline(page, context, world)
    lock_period(world.user, DAY, "approved")
    go_online(page, context)
    expect(page.locator("#pwa-outbox .is-rejected")).to_have_count(3, timeout=30000)
    first = page.locator("#pwa-outbox li").first
    first.get_by_role("button", name="Send som endringsønske").click()
    form = page.get_by_role("form", name="Send som endringsønske")
    form.get_by_label("Melding til godkjenneren (valgfritt)").fill("Glemte å føre dette")
    no_horizontal_scroll(page)
    shot(page, "change-request-form")
    form.get_by_role("button", name="Send endringsønske").click()
    expect(page.locator("#page-message")).to_contain_text("sendt til godkjenneren")
    expect(page.locator("#pwa-outbox li")).to_have_count(2)
    requests = page.locator("#pwa-requests")
    expect(requests).to_contain_text("Venter på godkjenner")
    expect(requests).to_contain_text("101 Nybygg Lia")
    shot(page, "change-request-sent")

    db.session.expire_all()
    [found] = db.session.scalars(select(ChangeRequest)).all()
    assert found.message == "Glemte å føre dette"
    assert found.approver_id == world.approver.id
    assert rows_of(world) == []  # nothing written into the approved week

    # Berit declines it; Kari sees why on her start page until she dismisses it.
    change_requests.decline(world.approver, found.id, "Den dagen var du på kurs.")
    page.goto(f"{base_url}/")
    ready(page)
    expect(requests).to_contain_text("Avslått")
    expect(requests).to_contain_text("Den dagen var du på kurs.")
    shot(page, "change-request-declined")
    requests.get_by_role("button", name="OK").click()
    expect(requests).to_have_count(0)
    page.goto(f"{base_url}/")
    ready(page)
    page.wait_for_timeout(500)
    expect(page.locator("#pwa-requests")).to_have_count(0)


def _end_sessions(world) -> None:
    """Kari's sessions end on the server (as «Logg ut overalt» or a password change does)."""
    from tipro.auth.services import end_sessions
    from tipro.extensions import db
    from tipro.models import User

    user = db.session.scalar(select(User).where(User.id == world.user.id))
    end_sessions(user)
    db.session.commit()


@pytest.mark.parametrize("how", ["ended on the server", "cookies gone"])
def test_an_ended_session_asks_for_log_in_then_sends_the_queue_once(
    world,
    synced,
    page: Page,
    context: BrowserContext,
    base_url,
    how,
):
    log_in(page, base_url, world.user)
    enter_three_offline(page, context, world)
    if how == "cookies gone":
        context.clear_cookies()
    else:
        _end_sessions(world)
    go_online(page, context)
    message = page.locator("#page-message")
    expect(message).to_contain_text("Logg inn igjen", timeout=30000)
    link = message.get_by_role("link", name="Logg inn")
    assert link.get_attribute("href") == "/logg-inn?next=%2F"
    shot(page, f"log-in-asked-{how.split()[0]}")
    # Nothing lost, nothing sent.
    assert len(queue_rows(page)) == 3
    assert rows_of(world) == []
    expect(page.locator("#pwa-pending")).to_have_text("3 venter på synk")

    link.click()
    page.get_by_label("E-post").fill(world.user.email)
    page.get_by_label("Passord").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    expect(page.get_by_role("heading", name="Før timer")).to_be_visible()
    # The page right after log-in has no counter until the outbox has drawn it: wait for the
    # queue itself to empty (the outbox sends it on this page load).
    for _attempt in range(300):
        if not queue_rows(page):
            break
        page.wait_for_timeout(100)
    expect(page.locator("#pwa-pending")).to_have_count(0)
    rows = rows_of(world)
    assert [r.comment for r in rows] == ["offline 1", "offline 2", "offline 3"]
    assert queue_rows(page) == []
    # Accepted once each (a resend after a lost answer is absorbed by the UUID upsert).
    assert len({uuid for uuid, _c, _h in synced}) == 3


def test_registering_for_someone_else_offline_says_it_needs_the_network(
    world, page: Page, context: BrowserContext, base_url
):
    log_in(page, base_url, world.admin)
    page.get_by_text("Registrer for").first.click()
    page.get_by_label("Registrer for").select_option(label="Kari Nordmann")
    page.get_by_label("Prosjekt", exact=True).select_option(label="101 Nybygg Lia")
    expect(page.locator("#activity_id option", has_text="Montering")).to_have_count(1)
    page.get_by_label("Aktivitet", exact=True).select_option(label="Montering")
    page.get_by_label("Timer", exact=True).fill("4")
    page.get_by_label("Kommentar").fill("for Kari")
    go_offline(page, context)
    page.get_by_role("button", name="Lagre", exact=True).click()
    message = page.locator("#page-message")
    expect(message).to_contain_text("Å registrere for andre krever nett")
    expect(message).to_be_in_viewport()
    # What was typed stays; nothing is queued, nothing stored.
    expect(page.get_by_label("Timer", exact=True)).to_have_value("4")
    expect(page.get_by_label("Kommentar")).to_have_value("for Kari")
    expect(page.get_by_label("Registrer for")).to_have_value(str(world.user.id))
    shot(page, "for-others-offline")
    assert queue_rows(page) == []
    assert rows_of(world) == []
    expect(page.locator("#pwa-pending")).to_have_count(0)

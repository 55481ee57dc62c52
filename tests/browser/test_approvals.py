"""The approver's day on a 360 px phone: submit with confirmation, return with a comment, fix,
resubmit, approve — the employee and the approver each in their own browser."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.test_entries import log_in, no_horizontal_scroll
from tests.factories import DAY, add_hours, hours_world, in_company

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")


@pytest.fixture
def world(seeded, monkeypatch):
    """The hours scene, committed for the live server; pre-flight finds nothing."""
    from tipro.approvals import preflight

    monkeypatch.setattr(preflight, "check", lambda *a, **k: [])
    scene = hours_world(DAY)
    with in_company(scene.company):
        yield scene


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"approvals-{name}.png"), full_page=True)


def test_approvers_day_on_a_phone(page: Page, browser, base_url, world, seeded):
    from tipro.models import Period

    add_hours(world)
    errors = log_in(page, base_url, world.user)

    # The employee hands in the week: a confirmation that names the period and its total.
    page.get_by_role("link", name="Uke", exact=True).click()
    page.get_by_role("link", name="Send inn uke 47 (16.11.–22.11.2026)").click()
    expect(page.get_by_text("Send inn uke 47 (16.11.–22.11.2026) med 7,5 timer?")).to_be_visible()
    assert no_horizontal_scroll(page)
    shot(page, "1-confirm")
    page.get_by_role("button", name="Ja, send inn").click()
    expect(page.get_by_text("er sendt inn med 7,5 timer")).to_be_visible()
    expect(page.locator(".period-state")).to_contain_text("venter på godkjenning")
    assert no_horizontal_scroll(page)
    shot(page, "2-submitted")

    # The approver, on her own phone, sees one waiting period and returns it with a comment.
    boss = browser.new_page()
    boss_errors = log_in(boss, base_url, world.approver)
    expect(boss.locator(".nav-count")).to_have_text("1 venter")
    boss.get_by_role("link", name="Godkjenning").click()
    card = boss.locator(".period-card")
    expect(card).to_contain_text("Kari Nordmann")
    expect(card).to_contain_text("Sum 7,5 t")
    assert no_horizontal_scroll(boss)
    shot(boss, "3-waiting")
    boss.evaluate("window.__still_here = true")
    card.get_by_text("Send tilbake …").click()
    card.get_by_label("Hva må rettes?").fill("Mangler tirsdag")
    shot(boss, "4-return-form")
    card.get_by_role("button", name="Send tilbake", exact=True).click()
    expect(boss.locator(".period-card")).to_contain_text("Sendt tilbake til Kari Nordmann")
    assert boss.evaluate("window.__still_here") is True  # htmx swapped the card only
    expect(boss.locator(".nav-count")).to_have_count(0)  # the menu's count, out of band

    # The employee sees the comment, fixes Tuesday in the week grid and hands in again.
    page.reload()
    expect(page.locator(".period-state")).to_contain_text("«Mangler tirsdag»")
    shot(page, "5-returned")
    page.get_by_role("link", name="Endre timer i uke 47").click()
    line = f"work-{world.project.id}-{world.project_activity.id}"
    page.locator(f"#cell-{line}-1 a").click()
    page.locator("#cell-hours").fill("2")
    page.locator(".cell-form").get_by_role("button", name="Lagre").click()
    expect(page.locator("#week-grid .week-total")).to_have_text("9,5")
    page.get_by_role("link", name="Send inn uke 47 (16.11.–22.11.2026)").click()
    expect(page.get_by_text("med 9,5 timer?")).to_be_visible()
    page.get_by_role("button", name="Ja, send inn").click()
    expect(page.get_by_text("er sendt inn med 9,5 timer")).to_be_visible()

    # The approver approves.
    boss.reload()
    expect(boss.locator(".nav-count")).to_have_text("1 venter")
    card = boss.locator(".period-card")
    expect(card).to_contain_text("Sum 9,5 t")
    card.get_by_role("button", name="Godkjenn", exact=True).click()
    expect(boss.locator(".period-card")).to_contain_text("Godkjent: Kari Nordmann, uke 47")
    expect(boss.locator(".nav-count")).to_have_count(0)
    assert no_horizontal_scroll(boss)
    shot(boss, "6-approved")

    page.reload()
    expect(page.locator(".period-state")).to_contain_text("Godkjent")
    shot(page, "7-employee-approved")
    page.get_by_role("link", name="Alle perioder").click()
    expect(page.locator(".span-row").first).to_contain_text("Godkjent")
    assert no_horizontal_scroll(page)
    shot(page, "8-periods")

    seeded.session.expire_all()
    period = seeded.session.scalar(select(Period))
    assert period.state == "approved" and period.total_hours == 9.5
    assert errors == [] and boss_errors == [], (errors, boss_errors)
    boss.close()


def test_week_and_approval_pages_fit_360_px(page: Page, base_url, world):
    from tests.factories import submit_week

    add_hours(world)
    add_hours(world, DAY - timedelta(days=1), "9", project=None)
    submit_week(world.user, DAY)
    errors = log_in(page, base_url, world.admin)
    for path in ("/godkjenning", "/godkjenning?vis=behandlet", "/perioder", "/perioder/2026-W47"):
        page.goto(f"{base_url}{path}")
        assert no_horizontal_scroll(page), path
    page.goto(f"{base_url}/perioder/2026-W47?bruker={world.user.id}")
    expect(page.locator(".day-list")).to_contain_text("9")
    assert no_horizontal_scroll(page)
    shot(page, "9-admin-period")
    assert errors == [], errors

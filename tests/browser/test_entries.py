"""Time registration in a real browser: repeat in ≤ 3 taps, week cell edit, timer, 360 px."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD, password_hash
from tests.entries.conftest import build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def world(seeded):
    from tipro.models import Company, User
    from tipro.ui import today_in_oslo

    session = seeded.session

    def make_company():
        company = Company(name=f"Fjellheim {secrets.token_hex(3)} AS")
        session.add(company)
        session.commit()
        return company

    def make_user(company, role="employee", **fields):
        user = User(
            company_id=company.id,
            email=f"{role}-{secrets.token_hex(3)}@fjellheim.no",
            role=role,
            password_hash=password_hash(),
            **fields,
        )
        session.add(user)
        session.commit()
        return user

    return build_world(session, make_company, make_user, today_in_oslo())


class Taps:
    """Counts the user's clicks (taps) on the page."""

    def __init__(self, page: Page) -> None:
        self.page, self.count = page, 0

    def tap(self, locator) -> None:
        self.count += 1
        locator.click()


def log_in(page: Page, base_url: str, user) -> list[str]:
    errors: list[str] = []

    def on_console(msg) -> None:
        # A 422 is the expected answer to bad input; the browser logs it as a failed load.
        if msg.type == "error" and "status of 422" not in msg.text:
            errors.append(msg.text)

    page.on("console", on_console)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{base_url}/logg-inn")
    page.get_by_label("E-post").fill(user.email)
    page.get_by_label("Passord").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    expect(page.get_by_role("heading", name="Før timer")).to_be_visible()
    return errors


def no_horizontal_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def test_repeat_yesterday_in_at_most_three_taps(page: Page, base_url, world, seeded):
    from tipro.entries import services
    from tipro.models import TimeEntry

    yesterday = world.day - timedelta(days=1)
    services.save_entry(
        world.user,
        services.EntryInput(
            date=yesterday,
            project_id=world.project.id,
            activity_id=world.project_activity.id,
            hours="7,5",
            comment="Forskaling",
        ),
    )
    errors = log_in(page, base_url, world.user)
    assert no_horizontal_scroll(page)

    taps = Taps(page)
    taps.tap(page.get_by_role("link", name="Gjenta 7,5 timer på 101 Nybygg Lia"))
    expect(page.get_by_label("Timer", exact=True)).to_have_value("7,5")
    taps.tap(page.get_by_role("button", name="Lagre", exact=True))
    expect(page.get_by_text("Lagret 7,5 t")).to_be_visible()
    expect(page.locator(".entry-list")).to_contain_text("Forskaling")
    assert taps.count <= 3

    seeded.session.expire_all()
    today = seeded.session.scalars(select(TimeEntry).where(TimeEntry.date == world.day)).all()
    assert [(e.hours, e.comment) for e in today] == [(Decimal("7.50"), "Forskaling")]
    assert no_horizontal_scroll(page)
    assert errors == [], errors


def test_quick_entry_error_shows_beside_field_without_reload(page: Page, base_url, world):
    errors = log_in(page, base_url, world.user)
    page.evaluate("window.__still_here = true")
    page.get_by_label("Timer", exact=True).fill("25")
    page.get_by_label("Prosjekt", exact=True).select_option(label="101 Nybygg Lia")
    expect(page.get_by_label("Aktivitet")).to_contain_text("Montering")
    page.get_by_label("Aktivitet").select_option(label="Montering")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.locator("#err-hours")).to_have_text("Høyst 24 timer per registrering.")
    expect(page.get_by_label("Timer", exact=True)).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("window.__still_here") is True  # htmx swapped a fragment
    assert errors == [], errors


def test_week_cell_edit_in_place(page: Page, base_url, world, seeded):
    from tipro.entries import services

    services.save_entry(
        world.user,
        services.EntryInput(
            date=world.day,
            project_id=world.project.id,
            activity_id=world.project_activity.id,
            hours="2",
        ),
    )
    errors = log_in(page, base_url, world.user)
    page.get_by_role("link", name="Uke", exact=True).click()
    expect(page.locator("#week-grid")).to_be_visible()
    assert no_horizontal_scroll(page)
    page.evaluate("window.__still_here = true")
    line = f"work-{world.project.id}-{world.project_activity.id}"
    page.locator(f"#cell-{line}-{world.day.weekday()} a").click()
    cell_input = page.locator("#cell-hours")
    expect(cell_input).to_have_value("2")
    cell_input.fill("7:30")
    page.locator(".cell-form").get_by_role("button", name="Lagre").click()
    expect(page.locator("#week-grid .week-total")).to_have_text("7,5")
    assert page.evaluate("window.__still_here") is True
    assert errors == [], errors


def test_timer_start_survives_reload_and_stop_makes_entry(page: Page, base_url, world, seeded):
    from tipro.models import TimeEntry

    errors = log_in(page, base_url, world.user)
    page.get_by_label("Prosjekt", exact=True).select_option(label="101 Nybygg Lia")
    expect(page.get_by_label("Aktivitet")).to_contain_text("Montering")
    page.get_by_label("Aktivitet").select_option(label="Montering")
    page.get_by_role("button", name="Start klokke").click()
    badge = page.locator(".timer-badge")
    expect(badge).to_contain_text("Klokka går siden")
    expect(badge).to_contain_text("101 Nybygg Lia")
    page.reload()
    expect(badge).to_be_visible()
    page.get_by_role("link", name="Uke", exact=True).click()
    expect(page.locator(".timer-badge")).to_contain_text("Montering")
    assert no_horizontal_scroll(page)
    page.get_by_role("button", name="Stopp").click()
    expect(page.get_by_text("Klokka er stoppet: 0,25 t")).to_be_visible()
    expect(page.locator(".timer-badge")).to_have_count(0)
    seeded.session.expire_all()
    entry = seeded.session.scalar(select(TimeEntry))
    assert entry.source == "timer" and entry.hours == Decimal("0.25")
    assert errors == [], errors


def test_pages_fit_360_px(page: Page, base_url, world):
    errors = log_in(page, base_url, world.admin)
    for path in ("/", "/uke", "/registreringer/ny"):
        page.goto(f"{base_url}{path}")
        assert no_horizontal_scroll(page), path
    assert errors == [], errors

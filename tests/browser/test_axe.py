"""axe-core over every page the menu reaches, as each role, at phone width: no serious or
critical accessibility violations (axe-playwright-python, Debian's Chromium)."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser.test_phone import (
    PHONE,
    deeper_pages,
    log_in,
    menu_pages,
    wired,
    world,  # noqa: F401 (the fixture)
)

pytestmark = pytest.mark.browser

AXE = Axe()
SERIOUS = ("serious", "critical")


def serious_violations(page: Page) -> list[str]:
    """`rule: where` for each serious or critical violation on the page as it stands."""
    results = AXE.run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in SERIOUS:
            targets = [" ".join(map(str, n["target"])) for n in violation["nodes"]][:3]
            found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found


@pytest.mark.parametrize("role", ("user", "approver", "admin"))
def test_no_serious_violations_on_any_page(role, world, page: Page, base_url):  # noqa: F811
    log_in(page, base_url, getattr(world, role))
    pages = menu_pages(page, base_url)
    if role == "user":
        pages += deeper_pages(world)
    found = {}
    for path in pages:
        page.goto(base_url + path)
        wired(page)
        if violations := serious_violations(page):
            found[path] = violations
    assert found == {}


def test_no_serious_violations_before_log_in(page: Page, base_url, seeded):
    page.set_viewport_size(PHONE)
    found = {}
    for path in ("/logg-inn", "/uten-nett"):
        page.goto(base_url + path)
        if violations := serious_violations(page):
            found[path] = violations
    assert found == {}


def test_no_serious_violations_in_the_states_the_pages_go_through(
    world,  # noqa: F811
    page: Page,
    base_url,
):
    """The project list open, a refused save, a saved one, the clock running, a cell open."""
    from playwright.sync_api import expect

    log_in(page, base_url, world.user)
    found = {}
    box = page.get_by_role("combobox", name="Prosjekt – søk eller velg")
    box.click()
    page.get_by_role("listbox").wait_for()
    found["list open"] = serious_violations(page)
    page.get_by_role("option", name="101 Nybygg Lia").click()
    # The project's activities come from the server: save once they are there, as a user
    # (who picks one) would.
    expect(page.locator("#activity_id")).to_have_value(str(world.project_activity.id))
    page.get_by_label("Timer", exact=True).fill("25")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.locator("#err-hours")).to_be_visible()
    found["refused"] = serious_violations(page)
    page.get_by_label("Timer", exact=True).fill("2")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.get_by_text("Lagret 2,0 t")).to_be_visible()
    # The fresh form's project box is built once htmx has settled the swap.
    expect(page.locator("#project_id")).to_have_attribute("data-combobox-ready", "")
    found["saved"] = serious_violations(page)
    box.click()
    page.get_by_role("option", name="101 Nybygg Lia").click()
    expect(page.locator("#activity_id")).to_have_value(str(world.project_activity.id))
    page.get_by_role("button", name="Start klokke").click()
    expect(page.locator(".timer-badge")).to_be_visible()
    found["clock"] = serious_violations(page)
    page.goto(f"{base_url}/uke")
    wired(page)
    page.get_by_role("link", name="Endre 101 Nybygg Lia mandag 16.11.").click()
    expect(page.locator("#cell-hours")).to_be_visible()
    found["cell"] = serious_violations(page)
    assert {state: v for state, v in found.items() if v} == {}


def test_no_serious_violations_for_an_approver_with_a_period_waiting(
    world,  # noqa: F811
    page: Page,
    base_url,
):
    from tests.factories import submit_week
    from tipro.approvals import periods

    submit_week(world.user, world.day)
    log_in(page, base_url, world.approver)
    key = periods.span_of("week", world.day).key
    found = {}
    for path in ("/godkjenning", f"/perioder/{key}?bruker={world.user.id}"):
        page.goto(base_url + path)
        wired(page)
        if violations := serious_violations(page):
            found[path] = violations
    assert found == {}

"""Admin → Synkronisering in a real browser: «Synkroniser nå» keeps the page (issue #8)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import TEST_PASSWORD, password_hash

pytestmark = pytest.mark.browser


@pytest.fixture
def sync_admin(app, seeded, sandbox):
    """An admin of a company connected to the sandbox (committed, so the server thread sees it)."""
    from tipro.jobs import get_queue
    from tipro.models import Company, User
    from tipro.sync.connection import connect
    from tipro.sync.services import settings

    keys = ("TRIPLETEX_API_URL", "TRIPLETEX_CONSUMER_TOKEN", "PUBLIC_URL")
    saved = {k: app.config.get(k) for k in keys}
    app.config.update(
        TRIPLETEX_API_URL=sandbox.base_url,
        TRIPLETEX_CONSUMER_TOKEN=sandbox.state.consumer_token,
        PUBLIC_URL="http://tipro.invalid",
    )
    session = seeded.session
    company = Company(name="Fjellheim Bygg AS (nettleser)")
    session.add(company)
    session.commit()
    connect(session, company, sandbox.state.employee_token, settings())
    admin = User(
        company_id=company.id,
        email="admin-sync@fjellheim.no",
        role="admin",
        password_hash=password_hash(),
    )
    session.add(admin)
    session.commit()
    yield admin
    get_queue("default").empty()
    app.config.update(saved)


def test_sync_now_keeps_navigation_heading_and_button(page: Page, base_url, sync_admin):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{base_url}/logg-inn")
    page.get_by_label("E-post").fill(sync_admin.email)
    page.get_by_label("Passord").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_url(lambda url: "/logg-inn" not in url)

    page.goto(f"{base_url}/admin/synkronisering")
    page.wait_for_function(
        "() => window.htmx !== undefined && document.body.hasAttribute('hx-boost')"
    )
    expect(page.locator("#sync-status")).to_contain_text("Ingen synkronisering er kjørt ennå")
    button = page.get_by_role("button", name="Synkroniser nå")

    # The boosted form: htmx sends HX-Request and HX-Boosted and swaps in the whole page.
    with page.expect_response(lambda r: r.url.endswith("/admin/synkronisering")):
        button.click()

    expect(page.locator("#sync-status")).to_contain_text("Siste synkronisering: I kø")
    expect(page.locator("#sync-status")).to_contain_text("Venter på tur")
    expect(page.get_by_role("heading", level=1, name="Synkronisering")).to_be_visible()
    expect(page.get_by_role("button", name="Synkroniser nå")).to_be_visible()
    expect(page.locator("nav").first).to_be_visible()
    expect(page.get_by_role("link", name="Innstillinger").first).to_be_visible()
    page.screenshot(path="/tmp/sync-page.png", full_page=True)

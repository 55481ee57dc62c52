"""Log in, see the start page, switch to English and back — in a real browser."""

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import TEST_PASSWORD, password_hash

pytestmark = pytest.mark.browser


def test_login_start_page_and_language_switch(page: Page, base_url, seeded):
    from tipro.models import Company, User

    company = Company(name="Fjellheim Bygg AS")
    seeded.session.add(company)
    seeded.session.flush()
    seeded.session.add(
        User(
            company_id=company.id,
            email="kari@fjellheim.no",
            name="Kari Nordmann",
            role="employee",
            password_hash=password_hash(),
        )
    )
    seeded.session.commit()

    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{base_url}/")
    expect(page).to_have_url(f"{base_url}/logg-inn?next=/")
    page.get_by_label("E-post").fill("kari@fjellheim.no")
    page.get_by_label("Passord").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    expect(page.get_by_role("heading", name="Hei, Kari Nordmann")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page.get_by_text("Fjellheim Bygg AS")).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Hello, Kari Nordmann")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()

    page.get_by_role("button", name="Norsk (bokmål)").click()
    expect(page.get_by_role("heading", name="Hei, Kari Nordmann")).to_be_visible()
    # No horizontal scrolling at 360 px, and no CSP or script errors in the console.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert errors == [], errors

"""Time registration in a real browser: repeat in ≤ 3 taps, week cell edit, timer, 360 px."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD
from tests.factories import DAY, hours_world, in_company

pytestmark = pytest.mark.browser


@pytest.fixture
def world(seeded):
    """The hours scene, committed for the live server, with the clock pinned to its day."""
    scene = hours_world(DAY)
    with in_company(scene.company):
        yield scene


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
    # htmx is a deferred script: under load the page can be visible before htmx has wired the
    # form, and a change made in that gap would never reach the server.
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => window.htmx !== undefined && document.body.hasAttribute('hx-boost')"
    )
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


def test_refused_save_brings_the_bad_field_into_view(page: Page, base_url, world):
    errors = log_in(page, base_url, world.user)
    page.get_by_label("Timer", exact=True).fill("7:75")
    page.get_by_label("Prosjekt", exact=True).select_option(label="101 Nybygg Lia")
    expect(page.get_by_label("Aktivitet")).to_contain_text("Montering")
    page.get_by_label("Aktivitet").select_option(label="Montering")
    save = page.get_by_role("button", name="Lagre", exact=True)
    save.scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # thumb at «Lagre»
    save.click()
    expect(page.locator("#err-hours")).to_be_in_viewport()
    expect(page.get_by_label("Timer", exact=True)).to_be_focused()
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
    # The grid itself fits too: all seven days and the sum, no sideways scrolling inside it.
    assert page.evaluate(
        "(() => { const g = document.getElementById('week-grid');"
        " return g.scrollWidth <= g.clientWidth; })()"
    )
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
    page.get_by_label("Prosjekt", exact=True).select_option(label="101 Nybygg Lia")
    expect(page.get_by_label("Aktivitet")).to_contain_text("Montering")
    page.get_by_label("Aktivitet").select_option(label="Montering")
    page.get_by_role("button", name="Start klokke").click()  # the badge must fit too
    expect(page.locator(".timer-badge")).to_be_visible()
    paths = (
        "/",
        "/uke",
        "/registreringer/ny",
        "/fravaer",
        "/admin/tillegg",
        "/admin/fravaerstyper",
        "/admin/egne-felt",
    )
    for path in paths:
        page.goto(f"{base_url}{path}")
        expect(page.locator(".timer-badge")).to_be_visible()
        assert no_horizontal_scroll(page), path
    assert errors == [], errors


def test_register_and_edit_week_cell_without_javascript(browser, base_url, world, seeded):
    from tipro.models import TimeEntry

    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{base_url}/logg-inn")
    page.get_by_label("E-post").fill(world.user.email)
    page.get_by_label("Passord").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    # Type to search without JS: the «Søk» button reloads the form with the one hit picked.
    page.get_by_label("Søk prosjekt").fill("lia")
    page.get_by_role("button", name="Søk", exact=True).click()
    expect(page.get_by_label("Prosjekt", exact=True)).to_have_value(str(world.project.id))
    page.get_by_label("Aktivitet").select_option(label="Montering")
    page.get_by_label("Timer", exact=True).fill("7:30")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.get_by_text("Lagret 7,5 t")).to_be_visible()
    assert no_horizontal_scroll(page)

    page.get_by_role("link", name="Uke", exact=True).click()
    line = f"work-{world.project.id}-{world.project_activity.id}"
    page.locator(f"#cell-{line}-{world.day.weekday()} a").click()
    page.get_by_label("Timer", exact=False).fill("6,25")
    page.get_by_role("button", name="Lagre").click()
    expect(page.locator("#week-grid .week-total")).to_have_text("6,25")
    seeded.session.expire_all()
    entry = seeded.session.scalar(select(TimeEntry))
    assert entry.hours == Decimal("6.25") and entry.source == "web"
    context.close()


def test_extras_follow_the_project_and_are_saved(page: Page, base_url, world, seeded):
    from tipro.models import CustomField, EntrySupplement, SupplementType, TimeEntry

    session = seeded.session
    session.add_all(
        [
            CustomField(
                company_id=world.company.id,
                key="rom",
                label="Rom",
                field_type="text",
                required=True,
                project_id=world.project.id,
            ),
            SupplementType(company_id=world.company.id, name="Overtid 50 %", unit="hours"),
        ]
    )
    session.commit()
    errors = log_in(page, base_url, world.user)
    expect(page.get_by_label("Rom (påkrevd)")).to_have_count(0)  # only on its project
    page.get_by_label("Prosjekt", exact=True).select_option(label="101 Nybygg Lia")
    expect(page.get_by_label("Aktivitet")).to_contain_text("Montering")
    expect(page.get_by_label("Rom (påkrevd)")).to_be_visible()
    expect(page.get_by_role("heading", name="Før timer")).to_be_visible()  # page still whole
    page.get_by_label("Aktivitet").select_option(label="Montering")
    page.get_by_label("Timer", exact=True).fill("8")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.locator("#err-x_cf_rom")).to_have_text("«Rom» må fylles ut.")
    page.get_by_label("Rom (påkrevd)").fill("Bad 2. etg")
    page.get_by_text("Tillegg", exact=True).click()
    page.get_by_label("Overtid 50 %").fill("1,5")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.locator(".entry-list")).to_contain_text("Rom: Bad 2. etg")
    expect(page.locator(".entry-list")).to_contain_text("Overtid 50 %: 1,5 t")
    seeded.session.expire_all()
    entry = seeded.session.scalar(select(TimeEntry))
    supplement = seeded.session.scalar(select(EntrySupplement))
    assert entry.hours == Decimal("8.00") and supplement.quantity == Decimal("1.50")
    assert errors == [], errors


def test_extras_follow_a_project_picked_after_a_search(page: Page, base_url, world, seeded):
    from tipro.models import CustomField

    seeded.session.add(
        CustomField(
            company_id=world.company.id,
            key="rom",
            label="Rom",
            field_type="text",
            required=True,
            project_id=world.project.id,
        )
    )
    seeded.session.commit()
    errors = log_in(page, base_url, world.user)
    # One control lists and searches (combobox.js over the page's own options).
    box = page.get_by_role("combobox", name="Prosjekt – søk eller velg")
    box.click()
    box.fill("Lia")
    page.get_by_role("option", name="101 Nybygg Lia").click()
    expect(page.get_by_label("Rom (påkrevd)")).to_be_visible()
    assert errors == [], errors


def test_two_quick_entries_in_a_row_keep_the_form_and_store_two(
    page: Page, base_url, world, seeded
):
    """The htmx save answers only what changed: the confirmation shows where the user is, the
    totals and today's list follow, the form keeps project and activity but is emptied of the
    hours and comment, and the next «Lagre» is a second entry (a new id), never an overwrite."""
    from tipro.models import TimeEntry

    errors = log_in(page, base_url, world.user)
    page.evaluate("window.__still_here = true")
    page.get_by_label("Prosjekt", exact=True).select_option(label="101 Nybygg Lia")
    expect(page.get_by_label("Aktivitet")).to_contain_text("Montering")
    page.get_by_label("Aktivitet").select_option(label="Montering")
    page.get_by_label("Timer", exact=True).fill("25")  # refused first: the form gets its marks
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.locator("#err-hours")).to_be_visible()
    page.get_by_label("Timer", exact=True).fill("4")
    page.get_by_label("Kommentar").fill("Formiddag")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.locator("#quick-result")).to_contain_text("Lagret 4,0 t")
    expect(page.locator("#err-hours")).to_have_count(0)  # a save after a refusal: marks gone
    page.get_by_label("Timer", exact=True).fill("3,5")
    page.get_by_label("Kommentar").fill("Ettermiddag")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.locator("#quick-result")).to_contain_text("Lagret 3,5 t")
    result = page.locator("#quick-result .flashes")
    box = result.bounding_box()
    assert box and 0 <= box["y"] and box["y"] + box["height"] <= 740  # where the user looks
    expect(page.get_by_label("Timer", exact=True)).to_have_value("")
    expect(page.get_by_label("Kommentar")).to_have_value("")
    expect(page.get_by_label("Aktivitet")).to_have_value(str(world.project_activity.id))
    expect(page.locator("#today-totals")).to_contain_text("7,5 /")
    expect(page.locator("#today-list")).to_contain_text("Ettermiddag")
    expect(page.locator("#today-list")).to_contain_text("Formiddag")
    assert page.evaluate("window.__still_here") is True  # no page load
    seeded.session.expire_all()
    stored = seeded.session.scalars(select(TimeEntry).order_by(TimeEntry.id)).all()
    assert [(e.hours, e.comment) for e in stored] == [
        (Decimal("4.00"), "Formiddag"),
        (Decimal("3.50"), "Ettermiddag"),
    ]
    assert no_horizontal_scroll(page)
    page.screenshot(path="/tmp/shots-lead/two-quick-entries.png", full_page=False)
    # The form outlived two answers; a later swap of #today (as the offline app's refresh does)
    # settles its fields without touching `style` (the strict CSP would report it).
    page.evaluate("htmx.ajax('GET', '/', {target: '#today', swap: 'outerHTML'})")
    expect(page.locator("#today-list")).to_contain_text("Ettermiddag")
    page.wait_for_timeout(300)
    assert errors == [], errors


def test_quick_entries_for_an_earlier_week_leave_the_start_page_as_it_is(
    page: Page, base_url, world, seeded
):
    """Catching up on an earlier week from the quick entry: the answer is the confirmation and
    a new form id only (nothing on the start page changed); the form empties as usual, today's
    totals and list stay, and the next «Lagre» is a second entry."""
    from tipro.models import TimeEntry

    errors = log_in(page, base_url, world.user)
    today_totals = page.locator("#today-totals").inner_text()
    earlier = (world.day - timedelta(days=30)).isoformat()
    page.get_by_label("Dato").fill(earlier)
    page.get_by_label("Prosjekt", exact=True).select_option(label="101 Nybygg Lia")
    expect(page.get_by_label("Aktivitet")).to_contain_text("Montering")
    page.get_by_label("Aktivitet").select_option(label="Montering")
    for hours, shown, comment in (("6", "6,0", "Etterslep"), ("1,5", "1,5", "Rydding")):
        page.get_by_label("Timer", exact=True).fill(hours)
        page.get_by_label("Kommentar").fill(comment)
        page.get_by_role("button", name="Lagre", exact=True).click()
        expect(page.locator("#quick-result")).to_contain_text(f"Lagret {shown} t")
        expect(page.get_by_label("Timer", exact=True)).to_have_value("")
    expect(page.get_by_label("Dato")).to_have_value(earlier)
    assert page.locator("#today-totals").inner_text() == today_totals
    expect(page.locator("#today-list")).not_to_contain_text("Etterslep")
    seeded.session.expire_all()
    stored = seeded.session.scalars(select(TimeEntry).order_by(TimeEntry.id)).all()
    assert [(e.date.isoformat(), e.comment) for e in stored] == [
        (earlier, "Etterslep"),
        (earlier, "Rydding"),
    ]
    page.wait_for_timeout(300)
    assert errors == [], errors


def test_a_late_answer_for_an_earlier_choice_never_overwrites_the_activities(
    page: Page, base_url, world, seeded
):
    """Changing the date and then the project asks for the activities twice. On a slow
    network the date's answer (no project yet) can still be out when the project is picked:
    it must not win, and the project's answer must not land on a list it already replaced.
    The later question waits for the earlier one, then asks (hx-sync), so the project's
    activities are shown."""
    errors = log_in(page, base_url, world.user)
    held = []
    page.route("**/registreringer/aktiviteter?*", lambda route: held.append(route))

    page.get_by_label("Dato").fill((world.day - timedelta(days=30)).isoformat())
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "changing the date asked for no activities"
    page.get_by_label("Prosjekt", exact=True).select_option(label="101 Nybygg Lia")
    page.wait_for_timeout(500)  # a second question, if the page sends it at once
    answered = 0
    for _ in range(20):  # answer what was asked, oldest first, until nothing more is asked
        if answered == len(held):
            page.wait_for_timeout(300)
            if answered == len(held):
                break
            continue
        held[answered].continue_()
        answered += 1
        page.wait_for_timeout(300)
    assert answered == 2, answered
    expect(page.get_by_label("Aktivitet")).to_contain_text("Montering")
    page.unroute("**/registreringer/aktiviteter?*")
    assert errors == [], errors

"""The phone UI at 360 × 740 in Debian's Chromium: nothing sticks out sideways on any page the
menu reaches (each role), quick entry fits above the fold with one project control, the
confirmation shows where the user is, the week grid fits, deleting asks first, English units.

Screenshots land in /tmp/shots/phone-*.png (looked at when the layout changes).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import TEST_PASSWORD
from tests.factories import (
    DAY,
    add_hours,
    hours_world,
    in_company,
    new_project,
    new_project_activity,
)

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
PHONE = {"width": 360, "height": 740}
# Built by others while this was written; the lead adds them to the tour.
# Downloads, not pages.
NOT_TOURED = ("/rapporter/eksport", "/rapporter/timer.")


@pytest.fixture
def world(seeded):
    """The hours scene with a week of hours on a project whose name has long words."""
    scene = hours_world(DAY)
    with in_company(scene.company):
        long_one = new_project(scene.company, "205", "Rehabilitering Sentrumsgården kvartal 4")
        new_project_activity(long_one, scene.project_activity)
        seeded.session.commit()
        scene.long_project = long_one
        monday = DAY - timedelta(days=DAY.weekday())
        for offset in range(3):
            add_hours(scene, monday + timedelta(days=offset), "7,5", comment="Forskaling")
            add_hours(scene, monday + timedelta(days=offset), "1,25", project=long_one)
        add_hours(scene, DAY, "0,5", project=None)
        yield scene


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"phone-{name}.png"), full_page=True)


def log_in(page: Page, base_url: str, user) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{base_url}/logg-inn")
    page.get_by_label("E-post").fill(user.email)
    page.get_by_label("Passord").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    expect(page.get_by_role("heading", name="Før timer")).to_be_visible()
    wired(page)


def wired(page: Page) -> None:
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => window.htmx !== undefined && document.body.hasAttribute('hx-boost')"
    )


# Everything drawn wider than the screen. `html, body { overflow-x: hidden }` would hide such
# overflow from scrollWidth (cut off instead of scrollable), so each element is measured; what
# sits in its own sideways-scrolling box counts by that box.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.overflowX !== 'visible' && s.overflowX !== 'clip') { return true; }
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || clipped(el)) { continue; }
    const s = getComputedStyle(el);
    if (s.position === 'absolute' && s.clip !== 'auto') { continue; }  // .sr-only
    if (r.right <= 0) { continue; }  // moved out of sight on purpose (the skip link)
    if (r.right > width + 0.5 || r.left < -0.5) {
      out.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className}: ${r.left}–${r.right}`);
    }
  }
  return out;
}"""


def overflow(page: Page) -> list[str]:
    return page.evaluate(OVERFLOW)


def menu_pages(page: Page, base_url: str) -> list[str]:
    """Every page the menus reach from the start page (the admin row included), in order."""
    seen: list[str] = []

    def collect() -> list[str]:
        return page.eval_on_selector_all(
            "nav.mainnav a, nav.subnav a", "links => links.map(a => a.pathname + a.search)"
        )

    todo = collect()
    while todo:
        path = todo.pop(0)
        if path in seen or path.startswith(NOT_TOURED):
            continue
        seen.append(path)
        page.goto(base_url + path)
        todo.extend(p for p in collect() if p not in seen)
    return seen


def deeper_pages(world) -> list[str]:
    """Pages one step further than the menu: forms, a period, its confirmation step."""
    from tipro.approvals import periods
    from tipro.extensions import db
    from tipro.models import TimeEntry

    entry = db.session.query(TimeEntry).filter_by(user_id=world.user.id).first()
    key = periods.span_of("week", DAY).key
    year, number, _weekday = DAY.isocalendar()
    week = f"{year}-W{number:02d}"
    return [
        "/registreringer/ny",
        f"/registreringer/{entry.id}",
        f"/uke/celle?uke={week}&linje=work-{world.project.id}-{world.project_activity.id}&dag=0",
        "/perioder",
        f"/perioder/{key}",
        f"/perioder/{key}/send-inn",
    ]


ROLES = ("user", "approver", "admin")


@pytest.mark.parametrize("role", ROLES)
def test_no_page_is_wider_than_a_phone(role, world, page: Page, base_url):
    log_in(page, base_url, getattr(world, role))
    pages = menu_pages(page, base_url)
    if role == "user":
        pages += deeper_pages(world)
    assert len(pages) >= 3
    wide = {}
    for path in pages:
        page.goto(base_url + path)
        wired(page)
        name = f"{role}{path}".replace("/", "-").replace("?", "-").replace("&", "-")[:80]
        shot(page, name)
        if found := overflow(page):
            wide[path] = found[:5]
    assert wide == {}


# ---------------------------------------------------------------- quick entry


def combobox(page: Page):
    return page.get_by_role("combobox", name="Prosjekt – søk eller velg")


def choose_project(page: Page, typed: str, name: str) -> None:
    """Search in the one project control and take the hit, as a user would."""
    box = combobox(page)
    box.click()
    box.fill(typed)
    page.get_by_role("option", name=name, exact=True).click()
    expect(box).to_have_value(name)


def activity_names(page: Page) -> list[str]:
    return page.eval_on_selector_all(
        "#activity_id option", "options => options.filter(o => o.value).map(o => o.text)"
    )


@pytest.mark.parametrize("role", ROLES)
def test_save_and_start_clock_are_on_the_first_screen(role, world, page: Page, base_url):
    log_in(page, base_url, getattr(world, role))
    shot(page, f"first-screen-{role}")
    expect(page.get_by_role("button", name="Lagre", exact=True)).to_be_in_viewport(ratio=1)
    expect(page.get_by_role("button", name="Start klokke")).to_be_in_viewport(ratio=1)
    # One project control: no separate search box or button, and no project chosen for you.
    expect(page.get_by_label("Søk prosjekt")).to_have_count(0)
    expect(page.get_by_role("button", name="Søk", exact=True)).to_have_count(0)
    expect(combobox(page)).to_have_value("")
    expect(combobox(page)).to_have_attribute("placeholder", "Søk eller velg prosjekt")


def test_one_project_control_lists_recent_and_searches(world, page: Page, base_url):
    log_in(page, base_url, world.user)
    box = combobox(page)
    box.click()
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    recent = page.get_by_role("group", name="Sist brukt")
    expect(recent.get_by_role("option")).to_have_count(2)
    expect(recent.get_by_role("option", name="101 Nybygg Lia")).to_have_count(1)
    expect(page.get_by_role("option", name="Uten prosjekt")).to_have_count(1)
    shot(page, "project-list")
    # Typing filters (accents and case aside); Enter takes the first hit.
    box.fill("sentrumsgarden")
    expect(listbox.get_by_role("option")).to_have_text(
        ["205 Rehabilitering Sentrumsgården kvartal 4"]
    )
    shot(page, "project-search")
    box.press("Enter")
    expect(page.locator("#project_id")).to_have_value(str(world.long_project.id))
    expect(listbox).to_be_hidden()
    box.fill("finnes ikke")
    expect(page.get_by_text("Ingen prosjekter passer")).to_be_visible()
    box.press("Escape")
    expect(box).to_have_value("205 Rehabilitering Sentrumsgården kvartal 4")


def test_activity_follows_the_strict_rule_and_is_preselected(world, page: Page, base_url):
    log_in(page, base_url, world.user)
    # Without a project: the general activities only; one choice is chosen for you.
    choose_project(page, "uten", "Uten prosjekt")
    expect(page.locator("#activity_id")).to_have_value(str(world.general.id))
    assert activity_names(page) == ["Intern tid"]
    # With a project: project-general and linked ones; the one last used there is chosen.
    choose_project(page, "101", "101 Nybygg Lia")
    expect(page.locator("#activity_id")).to_have_value(str(world.project_activity.id))
    assert sorted(activity_names(page)) == ["Montering", "Reisetid"]


def test_a_project_must_be_chosen(world, page: Page, base_url, seeded):
    from tipro.models import TimeEntry

    log_in(page, base_url, world.user)
    before = seeded.session.query(TimeEntry).count()
    page.get_by_label("Timer", exact=True).fill("2")
    page.get_by_role("button", name="Lagre", exact=True).click()
    message = combobox(page).evaluate("el => el.validationMessage")
    assert message == "Velg et prosjekt, eller «Uten prosjekt»."
    seeded.session.rollback()
    assert seeded.session.query(TimeEntry).count() == before


def edit_page(page: Page, base_url: str, world, seeded) -> int:
    """The edit form of a week entry on «101 Nybygg Lia»; its id."""
    from tipro.models import TimeEntry

    entry_id = (
        seeded.session.query(TimeEntry.id)
        .filter_by(user_id=world.user.id, project_id=world.project.id)
        .first()[0]
    )
    log_in(page, base_url, world.user)
    page.goto(f"{base_url}/registreringer/{entry_id}")
    wired(page)
    expect(combobox(page)).to_have_value("101 Nybygg Lia")
    return entry_id


def saved_project(seeded, entry_id: int) -> int | None:
    from tipro.models import TimeEntry

    seeded.session.rollback()  # a fresh read
    return seeded.session.get(TimeEntry, entry_id).project_id


def test_a_typed_project_is_taken_or_refused_never_silently_reverted(
    world, page: Page, base_url, seeded
):
    entry_id = edit_page(page, base_url, world, seeded)
    box = combobox(page)
    save = page.get_by_role("button", name="Lagre endringen")
    # Text that fits no single project: «Lagre» is refused with a message, the text stays.
    box.click()
    box.fill("prosjekt som ikke finnes")
    save.click()
    page.wait_for_timeout(300)
    assert box.evaluate("el => el.validationMessage") == "Velg et prosjekt, eller «Uten prosjekt»."
    expect(box).to_have_value("prosjekt som ikke finnes")
    assert saved_project(seeded, entry_id) == world.project.id
    # Escape goes back to what was chosen, and the form may be sent again.
    box.focus()
    box.press("Escape")
    expect(box).to_have_value("101 Nybygg Lia")
    assert box.evaluate("el => el.validationMessage") == ""
    # Text that fits exactly one project: leaving the box takes it, and it is what is saved.
    box.click()
    box.fill("sentrumsg")
    save.click()
    expect(page.get_by_text("Endringen er lagret", exact=False)).to_have_count(1)
    assert saved_project(seeded, entry_id) == world.long_project.id


def test_enter_on_an_open_list_without_a_highlight_does_not_send(world, page: Page, base_url):
    log_in(page, base_url, world.user)
    page.get_by_label("Timer", exact=True).fill("2")
    box = combobox(page)
    box.click()  # nothing chosen yet: the list opens with nothing highlighted
    expect(page.get_by_role("listbox")).to_be_visible()
    box.evaluate("el => { window.refused = 0; el.addEventListener('invalid', () => refused++); }")
    box.press("Enter")
    page.wait_for_timeout(200)
    assert page.evaluate("window.refused") == 0  # no attempt to send the form
    expect(page.get_by_role("listbox")).to_be_visible()


def test_the_project_list_marks_the_chosen_one_and_moves_a_highlight(
    world, page: Page, base_url, seeded
):
    edit_page(page, base_url, world, seeded)
    box = combobox(page)
    box.focus()
    box.press("Alt+ArrowDown")
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    selected = listbox.locator("[role='option'][aria-selected='true']")
    active = "el => document.getElementById(el.getAttribute('aria-activedescendant')).textContent"
    # aria-selected is the chosen project; the keyboard moves a highlight (activedescendant).
    expect(selected).to_have_text(["101 Nybygg Lia"])
    box.press("End")
    assert box.evaluate(active) == "Uten prosjekt"
    box.press("Home")
    first = listbox.get_by_role("option").first.text_content()
    assert box.evaluate(active) == first
    box.press("ArrowDown")
    assert box.evaluate(active) != first
    expect(selected).to_have_text(["101 Nybygg Lia"])
    expect(listbox.locator(".combo-option.is-active")).to_have_count(1)
    # The «▾» is drawn, not read out: no CSS text content, an aria-hidden mark instead.
    combo = page.locator(".combo")
    assert combo.evaluate("el => getComputedStyle(el, '::after').content") in ("none", "normal")
    expect(combo.locator("[aria-hidden='true']", has_text="▾")).to_have_count(1)
    # The server's error marks on the hidden <select> follow onto the box, also when they change.
    page.locator("#project_id").evaluate(
        "el => { el.setAttribute('aria-invalid', 'true');"
        " el.setAttribute('aria-describedby', 'err-project_id'); }"
    )
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_attribute("aria-describedby", "err-project_id")
    page.locator("#project_id").evaluate("el => el.removeAttribute('aria-invalid')")
    expect(box).not_to_have_attribute("aria-invalid", "true")


def test_the_confirmation_shows_where_the_user_is(world, page: Page, base_url):
    log_in(page, base_url, world.user)
    choose_project(page, "lia", "101 Nybygg Lia")
    expect(page.locator("#activity_id")).to_have_value(str(world.project_activity.id))
    page.get_by_label("Timer", exact=True).fill("1,5")
    page.get_by_label("Kommentar").fill("Befaring")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # thumb at «Lagre»
    page.get_by_role("button", name="Lagre", exact=True).click()
    flash = page.locator(".flashes", has_text="Lagret 1,5 t")
    expect(flash).to_be_in_viewport(ratio=1)
    # The fresh form has one project control again (the swap must not leave the plain select).
    page.wait_for_timeout(300)  # past htmx's settle, which puts the select's attributes back
    expect(page.locator(".combo")).to_have_count(1)
    expect(page.locator("#project_id")).to_have_class("combo-native")  # visually hidden
    shot(page, "saved")
    # Starting the clock: its confirmation (the running clock) is on screen too.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    choose_project(page, "lia", "101 Nybygg Lia")
    expect(page.locator("#activity_id")).to_have_value(str(world.project_activity.id))
    page.get_by_role("button", name="Start klokke").click()
    expect(page.locator(".flashes", has_text="Klokka går")).to_be_in_viewport(ratio=1)
    expect(page.locator(".timer-badge")).to_be_visible()
    shot(page, "clock-started")


# ---------------------------------------------------------------- week, delete, English


def test_the_week_fits_a_phone_with_whole_words(world, page: Page, base_url):
    log_in(page, base_url, world.user)
    page.goto(f"{base_url}/uke")
    wired(page)
    shot(page, "week")
    grid = page.locator("#week-grid")
    # Nothing to scroll sideways: every day and both sums are on screen.
    assert grid.evaluate("el => el.scrollWidth <= el.clientWidth")
    expect(page.locator(".week-total")).to_be_in_viewport()
    for cell in page.locator("#week-grid tr:not(.line-head) > *").all():
        box = cell.bounding_box()
        if box and box["width"] > 2:
            assert box["x"] + box["width"] <= 360, cell.inner_text()
    # No project name broken inside a word: each word of each name lies on one line.
    broken = page.evaluate(
        """() => {
          const out = [];
          for (const name of document.querySelectorAll('#week-grid .line-head td')) {
            const walker = document.createTreeWalker(name, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              const re = /\\S+/g;
              let m;
              while ((m = re.exec(node.data))) {
                const range = document.createRange();
                range.setStart(node, m.index);
                range.setEnd(node, m.index + m[0].length);
                const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                if (lines.size > 1) { out.push(m[0]); }
              }
            }
          }
          return out;
        }"""
    )
    assert broken == []
    expect(page.locator("#week-grid .line-head").first).to_be_visible()
    assert overflow(page) == []


def test_deleting_an_entry_asks_first(world, page: Page, base_url, seeded):
    from tipro.models import TimeEntry

    entry_id = seeded.session.query(TimeEntry.id).filter_by(user_id=world.user.id).first()[0]
    log_in(page, base_url, world.user)
    page.goto(f"{base_url}/registreringer/{entry_id}")
    wired(page)
    asked: list[str] = []

    def answer(dialog, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.get_by_role("button", name="Slett registreringen").click()
    page.wait_for_timeout(300)
    assert asked == ["Slette registreringen? Det kan ikke angres."]
    seeded.session.rollback()  # a fresh read (SQLite keeps the old snapshot otherwise)
    assert seeded.session.query(TimeEntry).filter_by(id=entry_id).count() == 1  # kept

    page.once("dialog", lambda d: answer(d, True))
    page.get_by_role("button", name="Slett registreringen").click()
    expect(page.get_by_text("Registreringen er slettet.")).to_be_visible()
    seeded.session.rollback()
    assert seeded.session.query(TimeEntry).filter_by(id=entry_id).count() == 0


def test_english_pages_use_english_units(world, page: Page, base_url):
    log_in(page, base_url, world.user)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Hello, Kari Nordmann")).to_be_visible()
    totals = page.locator(".totals")
    expect(totals).to_contain_text("9.25 / 7.5 h")
    expect(totals).to_contain_text("26.75 / 37.5 h")
    expect(page.locator(".entry-list .entry-hours").first).to_have_text("7.5 h")
    page.goto(f"{base_url}/uke")
    expect(page.locator("#week-grid")).to_contain_text("1.25")
    expect(page.locator(".week-normal")).to_contain_text("37.5 h")
    shot(page, "week-english")


def test_offline_the_form_offers_the_same_activities(world, page: Page, context, base_url):
    from tests.browser.test_pwa import go_offline, ready

    log_in(page, base_url, world.user)
    ready(page)  # the service worker and the offline data are in place
    chosen = {"Uten prosjekt": world.general.id, "101 Nybygg Lia": world.project_activity.id}
    online = {}
    for typed, name in (("uten", "Uten prosjekt"), ("lia", "101 Nybygg Lia")):
        choose_project(page, typed, name)
        expect(page.locator("#activity_id")).to_have_value(str(chosen[name]))
        online[name] = (activity_names(page), str(chosen[name]))
    assert online["Uten prosjekt"][0] == ["Intern tid"]

    go_offline(page, context)
    page.reload()
    wired(page)
    for typed, name in (("uten", "Uten prosjekt"), ("lia", "101 Nybygg Lia")):
        choose_project(page, typed, name)
        expect(page.locator("#activity_id")).to_have_value(online[name][1])
        assert activity_names(page) == online[name][0], name
    shot(page, "offline-activities")


def test_offline_the_activities_follow_the_date_too(world, page: Page, context, base_url, seeded):
    """A link that ended last week: offline, moving the date back brings its activity back."""
    from datetime import date

    from tests.browser.test_pwa import go_offline, ready

    with in_company(world.company):
        new_project_activity(world.project, world.other_activity, end_date=DAY - timedelta(days=7))
        seeded.session.commit()
    log_in(page, base_url, world.user)
    ready(page)
    go_offline(page, context)
    page.reload()
    wired(page)
    choose_project(page, "lia", "101 Nybygg Lia")
    expect(page.locator("#activity_id option", has_text="Montering")).to_have_count(1)
    today = date.fromisoformat(page.locator("#date").input_value())
    assert "Prosjektering" not in activity_names(page)
    page.locator("#date").fill((today - timedelta(days=10)).isoformat())
    expect(page.locator("#activity_id option", has_text="Prosjektering")).to_have_count(1)
    page.locator("#date").fill(today.isoformat())
    expect(page.locator("#activity_id option", has_text="Prosjektering")).to_have_count(0)


def test_submitting_a_period_has_a_confirmation_step(world, page: Page, base_url, seeded):
    from tipro.models import Period

    log_in(page, base_url, world.user)
    page.goto(f"{base_url}/uke")
    wired(page)
    page.get_by_role("link", name="Send inn uke 47").click()
    expect(page.get_by_text("Send inn uke 47")).to_be_visible()
    expect(page.get_by_role("button", name="Ja, send inn")).to_be_in_viewport()
    seeded.session.rollback()
    assert seeded.session.query(Period).filter_by(user_id=world.user.id).count() == 0
    shot(page, "submit-confirm")

"""Absence and the quick entry's extras without network (js/outbox_more.js, js/outbox.js):
/fravaer opens from the cache and queues the range as one entry per working day (weekends and
public holidays skipped, a normal day's hours), and the supplements and custom fields of an
entry made offline are stored when it syncs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser import test_pwa
from tests.browser.test_pwa import (
    go_offline,
    go_online,
    log_in,
    ready,
    rows_of,
)
from tests.factories import new_absence_type, new_activity, new_custom_field, new_supplement_type
from tipro.extensions import db

pytestmark = pytest.mark.browser
world = test_pwa.world  # the fixture of tests/browser/test_pwa.py

SHOTS = "/tmp/shots-h2"


def test_absence_over_christmas_is_queued_per_working_day_and_sent_once(
    world, page: Page, context: BrowserContext, base_url
):
    activity = new_activity(world.company, "Ferie", is_project_activity=False)
    holiday = new_absence_type(world.company, "Ferie", activity)
    db.session.commit()
    log_in(page, base_url, world.user)
    page.goto(f"{base_url}/fravaer")
    ready(page)

    go_offline(page, context)
    page.reload()  # opened without network: kept like the start page
    expect(page.get_by_role("heading", name="Fravær", exact=True)).to_be_visible()
    page.get_by_label("Type fravær").select_option(label="Ferie")
    page.get_by_label("Fra dato").fill("2026-12-21")
    page.get_by_label("Til dato").fill("2026-12-28")
    page.get_by_label("Kommentar").fill("Juleferie")
    page.get_by_role("button", name="Registrer fravær").click()
    # Monday–Thursday and the Monday after: Christmas Day (Friday) and the weekend are not.
    expect(page.locator("#page-message")).to_contain_text("Fravær lagret på enheten for 5 dager")
    expect(page.locator("#pwa-pending")).to_have_text("5 venter på synk")
    page.screenshot(path=f"{SHOTS}/absence-offline.png", full_page=True)
    assert rows_of(world) == []

    go_online(page, context)
    expect(page.locator("#pwa-pending")).to_have_count(0, timeout=30000)
    rows = rows_of(world)
    assert [(r.date, r.kind, r.hours, r.comment) for r in rows] == [
        (date(2026, 12, day), "absence", Decimal("7.50"), "Juleferie")
        for day in (21, 22, 23, 24, 28)
    ]
    assert {r.activity_id for r in rows} == {holiday.activity_id}
    assert {r.project_id for r in rows} == {None}


def test_supplements_and_custom_fields_of_an_offline_entry_are_stored(
    world, page: Page, context: BrowserContext, base_url
):
    from tipro.entries.extras.display import stored

    new_custom_field(world.company, "maskin", "Maskin")
    overtime = new_supplement_type(world.company, "Overtid 50 %")
    db.session.commit()
    log_in(page, base_url, world.user)
    go_offline(page, context)
    page.get_by_label("Prosjekt", exact=True).select_option(label="101 Nybygg Lia")
    page.get_by_label("Aktivitet", exact=True).select_option(label="Montering")
    page.get_by_label("Timer", exact=True).fill("8")
    page.get_by_label("Maskin").fill("Gravemaskin 3")
    page.locator("details.extras-fields summary").click()
    page.get_by_label("Overtid 50 %").fill("1,5")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.locator("#pwa-pending")).to_have_text("1 venter på synk")

    go_online(page, context)
    expect(page.locator("#pwa-pending")).to_have_count(0, timeout=30000)
    (entry,) = rows_of(world)
    values, supplements, _link = stored(entry.id)
    assert [(v.field.key, v.value) for v in values] == [("maskin", "Gravemaskin 3")]
    assert [(s.supplement_type_id, s.quantity) for s in supplements] == [
        (overtime.id, Decimal("1.50"))
    ]

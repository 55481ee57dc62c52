"""The outcome of a change request on the person's start page (Debian Chromium, 360 px): one
accepted whose entry could not be saved says so and asks the person to enter it, never «Timene
er lagt inn»; one accepted and saved says the hours are in."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import test_pwa as pwa
from tests.browser.test_pwa import log_in, ready
from tests.factories import DAY, lock_period

pytestmark = pytest.mark.browser
world = pwa.world

SHOTS = Path("/tmp/shots-r1")


def _accepted(world, project) -> None:
    from tipro.approvals import change_requests

    lock_period(world.user, DAY, "approved")
    proposal = {
        "uuid": str(uuid.uuid4()),
        "date": DAY.isoformat(),
        "project_id": project.id,
        "activity_id": world.project_activity.id,
        "hours": "3",
        "comment": "glemt",
        "deleted": False,
    }
    found = change_requests.create(world.user, proposal, "Glemte fredagen")
    change_requests.accept(world.admin, found.id)


@pytest.mark.parametrize("saved", [False, True])
def test_an_accepted_request_tells_whether_the_hours_are_in(world, page: Page, base_url, saved):
    _accepted(world, world.project if saved else world.closed_project)
    page.set_viewport_size({"width": 360, "height": 780})
    log_in(page, base_url, world.user)
    ready(page)
    requests = page.locator("#pwa-requests")
    expect(requests).to_contain_text("Godtatt", timeout=15000)
    if saved:
        expect(requests).to_contain_text("Timene er lagt inn")
    else:
        expect(requests).to_contain_text("ble ikke lagret")
        expect(requests).to_contain_text("Før timene selv")
        expect(requests).not_to_contain_text("Timene er lagt inn")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "accepted-not-saved.png"), full_page=True)

"""Admin › Overføringer in a real browser (issue #11), on a 360 px phone and on a desktop: the
preview first, «Bekreft og overfør», live progress, a failed item with its hint, the cause
fixed in Tripletex, «Prøv igjen» sends just that item."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.approvals.conftest import SANDBOX_NOW, TxWorld
from tests.browser.test_entries import log_in
from tests.factories import in_company, new_user
from tests.sync.conftest import tx_app  # noqa: F401 (the app pointed at the sandbox)
from tests.transfers.conftest import scene, tx_totals, writes
from tests.transfers.test_routes import _bad_magnus

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
VIEWPORTS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture
def transfer_world(tx_app, seeded, sandbox, monkeypatch):  # noqa: F811 (the imported fixture)
    """The synced demo company with November's approved hours, committed for the live server.

    A thread stands in for the worker (it runs each queued batch as the worker would), so the
    page is told a worker is there.
    """
    from tipro import jobs
    from tipro.models import Company
    from tipro.sync import services as sync_services
    from tipro.sync.connection import connect
    from tipro.sync.services import settings

    monkeypatch.setattr(sync_services, "worker_state", lambda: "ok")
    sandbox.state.set_now(SANDBOX_NOW)
    session = seeded.session
    company = Company(name=f"Fjellheim Bygg AS ({secrets.token_hex(3)})")
    session.add(company)
    session.commit()
    connect(session, company, sandbox.state.employee_token, settings())
    # As tests/approvals' tx_world, but committed: the sync links users by these e-mails.
    people = {
        role: new_user(company, kind, email=f"{name.lower()}@fjellheimbygg.no", name=name)
        for role, kind, name in (
            ("employee", "employee", "Kari"),
            ("colleague", "employee", "Ola"),
            ("approver", "approver", "Jonas"),
            ("admin", "admin", "Ingrid"),
        )
    }
    with in_company(company):
        scene_world = TxWorld(company=company, sandbox=sandbox, **people)
        scene_world.sync()
        scene_world.overtime = scene_world.supplement_type(
            "Overtid 50 %", unit="hours", salary_type_id=scene_world.salary_types["2005"].id
        )
        scene_world.holiday = scene_world.absence_type(
            "Ferie", code="ferie", activity_id=scene_world.activities["Ferie"].id
        )
        session.commit()
        totals = scene(scene_world)
        runner = BatchRunner(tx_app, company.id)
        runner.start()
        try:
            yield scene_world, totals
        finally:
            runner.stop()
            for name in jobs.QUEUES:
                jobs.get_queue(name).empty()
    sandbox.state.set_now(None)


class BatchRunner(threading.Thread):
    """Runs every queued real batch of the company, as the RQ worker would (in-process)."""

    def __init__(self, app, company_id: int) -> None:
        super().__init__(daemon=True, name="transfer-runner")
        self.app, self.company_id = app, company_id
        self.halt = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        from tipro.extensions import db
        from tipro.models import TransferBatch
        from tipro.tenancy import company_scope
        from tipro.transfers import services

        try:
            with self.app.app_context(), company_scope(self.company_id):
                while not self.halt.wait(0.2):
                    queued = db.session.scalar(
                        select(TransferBatch.id).where(
                            TransferBatch.state == "queued", TransferBatch.dry_run.is_(False)
                        )
                    )
                    db.session.commit()
                    if queued is not None:
                        services.run_inline(queued)
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported by stop()
            self.error = exc

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=30)
        assert self.error is None, self.error


def shot(page: Page, viewport: str, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"transfers-{viewport}-{name}.png"), full_page=True)


def fits(page: Page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_admin_transfers_from_the_preview_watches_progress_and_retries(
    page: Page, base_url, transfer_world, viewport
):
    world, totals = transfer_world
    employment = _bad_magnus(world)  # Magnus's employment ended in October
    # Each Tripletex request takes a moment, so the progress can be watched.
    world.tripletex_faults({"latency": 0.15})

    errors = log_in(page, base_url, world.admin)
    page.set_viewport_size(VIEWPORTS[viewport])
    page.get_by_role("link", name="Admin", exact=True).click()
    page.locator(".subnav").get_by_role("link", name="Overføringer").click()
    expect(page.get_by_role("heading", level=1, name="Overføringer")).to_be_visible()
    expect(page.get_by_label("Måned")).to_have_value("2026-11")
    expect(page.get_by_label("Lønnsgrunnlag")).to_be_checked()
    assert fits(page)
    shot(page, viewport, "1-start")

    # The preview first: per employee, each line new; nothing sent.
    page.get_by_role("button", name="Forhåndsvis").click()
    expect(page.get_by_text("Forhåndsvisning — ingenting er sendt")).to_be_visible()
    groups = page.locator(".preview-group")
    expect(groups).to_have_count(3)
    expect(groups.filter(has_text="Kari")).to_contain_text("man. 2. nov. · 1001")
    expect(groups.filter(has_text="Magnus")).to_contain_text("6,0 t")
    expect(page.locator(".preview-summary")).to_contain_text("Timeføring")
    assert writes(world) == 0
    assert fits(page)
    shot(page, viewport, "2-preview")

    # Confirm: the status card polls while the batch runs.
    page.get_by_role("button", name="Bekreft og overfør").first.click()
    expect(page.get_by_text("Overføringen er startet.")).to_be_visible()
    status = page.locator("#transfer-status")
    expect(status.locator(".transfer-state")).to_have_text("Overfører", timeout=15_000)
    expect(status).to_contain_text("oppdateres automatisk")
    assert fits(page)
    shot(page, viewport, "3-running")

    # Done, with Magnus's line failed alone and the hint beside it; the polling stopped.
    expect(status.locator(".transfer-state")).to_have_text("Ferdig med feil", timeout=30_000)
    expect(status).not_to_have_attribute("hx-trigger", "load delay:1s")
    problem = page.locator(".transfer-item.state-failed")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("Magnus")
    expect(problem.locator(".transfer-hint")).to_contain_text("Arbeidsforhold")
    expect(page.get_by_role("heading", name="Må rettes (1)")).to_be_visible()
    assert tx_totals(world)[:2] == (totals["hours"], 0)  # everyone else went through
    assert fits(page)
    shot(page, viewport, "4-failed")

    # The admin fixes the employment in Tripletex, then «Prøv igjen»: just that line goes.
    world.tripletex_update("employment", employment["id"], endDate=None)
    before = writes(world)
    page.get_by_role("button", name="Prøv igjen").click()
    expect(page.get_by_text("De feilede linjene sendes på nytt")).to_be_visible()
    expect(status.locator(".transfer-state")).to_have_text("Ferdig", timeout=30_000)
    expect(page.locator(".transfer-item.state-failed")).to_have_count(0)
    expect(page.get_by_role("heading", name="Må rettes (1)")).to_have_count(0)
    expect(page.get_by_role("button", name="Prøv igjen")).to_have_count(0)
    assert writes(world) == before + 1
    assert tx_totals(world)[:2] == (totals["hours"] + 6, 0)
    assert fits(page)
    shot(page, viewport, "5-done")

    # The list shows the batch and the preview, marked.
    page.get_by_role("link", name="Alle overføringer").click()
    rows = page.locator(".batch-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Ferdig")
    expect(rows.nth(1)).to_contain_text("Prøvekjøring")
    assert fits(page)
    shot(page, viewport, "6-list")
    assert errors == [], errors

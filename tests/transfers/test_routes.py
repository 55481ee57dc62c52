"""The admin page «Overføringer» (issue #11): list, preview first, confirm, a batch's items with
errors and hints, retry, take over / leave, resume, downloads, polling, settings, and the
employee's period page — against the sandbox over real HTTP."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.approvals.conftest import SANDBOX_NOW
from tests.factories import new_user
from tests.transfers.conftest import MONTH, approve_month, tx_entries, tx_totals, writes
from tests.transfers.test_failures import _typed_in_tripletex
from tipro import clock, jobs
from tipro.extensions import db as _db
from tipro.i18n import hours
from tipro.models import AuditEvent, Company, Employee, TransferBatch, TransferItem
from tipro.tenancy import company_scope
from tipro.transfers import services

BASE = "/admin/overforinger"


@pytest.fixture
def no_queue(app):
    """No Redis: a confirmed transfer runs inside the request (as `tipro run` without a worker)."""
    saved = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = None
    yield
    app.config["REDIS_URL"] = saved


@pytest.fixture
def admin(month_world, client, login):
    world, _totals = month_world
    login(world.admin)
    return client


def _text(response) -> str:
    return response.get_data(as_text=True)


def _batch_id(response) -> int:
    assert response.status_code == 303, (response.status_code, _text(response)[:2000])
    return int(re.search(rf"{BASE}/(\d+)$", response.headers["Location"]).group(1))


def _preview(client, kind="payroll", month="2026-11") -> int:
    return _batch_id(client.post(f"{BASE}/forhandsvis", data={"kind": kind, "month": month}))


def _batch(batch_id: int) -> TransferBatch:
    return _db.session.scalar(
        select(TransferBatch)
        .where(TransferBatch.id == batch_id)
        .execution_options(populate_existing=True)
    )


def _items(batch_id: int, **match) -> list[TransferItem]:
    rows = _db.session.scalars(
        select(TransferItem)
        .where(TransferItem.batch_id == batch_id)
        .order_by(TransferItem.id)
        .execution_options(populate_existing=True)
    ).all()
    return [i for i in rows if all(getattr(i, k) == v for k, v in match.items())]


def _bad_magnus(world):
    """Magnus, with approved hours, whose employment in Tripletex ended before November."""
    magnus = _db.session.scalar(select(Employee).where(Employee.first_name == "Magnus"))
    user = new_user(world.company, "employee", name="Magnus", employee_id=magnus.id)
    world.entry(user, date(2026, 11, 4), "6", state="approved")
    _db.session.commit()
    approve_month(world, user)
    employment = next(
        e
        for e in world.sandbox.state.all("employment")
        if e["employee"]["id"] == magnus.tripletex_id
    )
    world.tripletex_update("employment", employment["id"], endDate="2026-10-31")
    return employment


# ---------------------------------------------------------------- the list and the preview


def test_the_page_offers_a_preview_of_the_month_with_approved_hours(admin, month_world):
    page = _text(admin.get(BASE))
    assert "<h1>Overføringer</h1>" in page
    assert 'value="2026-11"' in page  # the earliest month with approved hours not yet sent
    assert "Forhåndsvis" in page and "Ingen overføringer ennå" in page
    assert 'aria-current="page">Overføringer<' in page  # the admin row of links


def test_preview_shows_the_plan_per_employee_and_sends_nothing(app, admin, month_world):
    world, totals = month_world
    batch_id = _preview(admin)
    assert writes(world) == 0
    batch = _batch(batch_id)
    assert batch.dry_run and batch.state == "planned"
    page = _text(admin.get(f"{BASE}/{batch_id}"))
    assert "ingenting er sendt" in page
    # Per employee, with each line's change and the totals per kind.
    assert "Kari" in page and "Ola" in page
    assert "1001" in page and "Snekring" in page
    assert "Timeføring" in page and "Lønnsart" in page
    assert "man. 2. nov." in page
    with app.test_request_context():
        assert f"{hours(totals['hours'])} t" in page
    assert re.search(r"state-count-n\">\d+</span> ny", page)
    assert "Bekreft og overfør" in page
    assert writes(world) == 0
    # The list marks it as a dry run.
    listing = _text(admin.get(BASE))
    assert "Prøvekjøring" in listing and "ingenting sendt" in listing


def test_confirm_starts_the_batch_that_sends_exactly_the_preview(admin, month_world, no_queue):
    world, totals = month_world
    preview_id = _preview(admin)
    planned = {(i.key, i.operation, i.payload_hash) for i in _items(preview_id)}
    response = admin.post(f"{BASE}/{preview_id}/bekreft")
    real_id = _batch_id(response)
    assert real_id != preview_id
    real = _batch(real_id)
    assert not real.dry_run and real.state == "done"
    assert {(i.key, i.operation, i.payload_hash) for i in _items(real_id)} == planned
    hours, duplicates, overtime = tx_totals(world)
    assert (hours, duplicates, overtime) == (totals["hours"], 0, totals["overtime"])
    page = _text(admin.get(f"{BASE}/{real_id}"))
    assert "Overføringen er startet." in page
    assert 'Status: <span class="transfer-state">Ferdig</span>' in page
    assert "Tripletex-ID" in page and str(_items(real_id)[0].tripletex_id) in page
    assert "POST /timesheet/entry/list" in page  # the request log per item
    assert "Ingrid" in page  # who started it
    # The list: counts, who and when.
    listing = _text(admin.get(BASE))
    n = real.confirmed_count
    assert f"{n} sendt · {n} bekreftet · 0 feilet · 0 må sjekkes" in listing
    # The same preview cannot be confirmed twice.
    again = admin.post(f"{BASE}/{preview_id}/bekreft")
    assert again.headers["Location"].endswith(f"{BASE}/{real_id}")
    assert "allerede overført" in _text(admin.get(f"{BASE}/{real_id}"))
    # A new preview now says there is nothing to send, and offers no confirmation.
    page = _text(admin.get(f"{BASE}/{_preview(admin)}"))
    assert "Alt er allerede overført" in page and "Bekreft og overfør" not in page


def test_refusals_are_clear_norwegian_messages(admin, month_world, no_queue):
    world, _totals = month_world
    bad = admin.post(f"{BASE}/forhandsvis", data={"kind": "payroll", "month": "2026-13"})
    assert bad.status_code == 422 and "ÅÅÅÅ-MM" in _text(bad)
    empty = admin.post(f"{BASE}/forhandsvis", data={"kind": "payroll", "month": "2026-09"})
    assert empty.status_code == 422
    assert "Ingen godkjente timer i september 2026" in _text(empty)
    unknown = admin.post(f"{BASE}/forhandsvis", data={"kind": "lønn", "month": "2026-11"})
    assert unknown.status_code == 400

    # Not connected.
    company = _db.session.get(Company, world.company.id)
    company.tripletex_status = "not_connected"
    _db.session.commit()
    blocked = admin.post(f"{BASE}/forhandsvis", data={"kind": "payroll", "month": "2026-11"})
    assert blocked.status_code == 409
    assert "ikke koblet til Tripletex" in _text(blocked)
    assert writes(world) == 0


def test_a_running_transfer_refuses_the_confirmation(admin, month_world, no_queue):
    world, _totals = month_world
    preview_id = _preview(admin)
    # One payroll transfer at a time: October's, started elsewhere, is still queued.
    other = services.start(None, "payroll", date(2026, 10, 1), enqueue_job=False)
    assert other.is_active
    page = _text(admin.get(f"{BASE}/{preview_id}"))
    assert "En overføring av samme slag pågår" in page and "Bekreft og overfør" not in page
    response = admin.post(f"{BASE}/{preview_id}/bekreft")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{BASE}/{preview_id}")
    page = _text(admin.get(response.headers["Location"]))
    assert "En overføring av samme slag pågår allerede." in page
    assert writes(world) == 0


# ---------------------------------------------------------------- a failed item, retry


def test_a_failed_item_shows_its_hint_and_retry_resends_only_it(admin, month_world, no_queue):
    world, totals = month_world
    employment = _bad_magnus(world)
    real_id = _batch_id(admin.post(f"{BASE}/{_preview(admin)}/bekreft"))
    assert _batch(real_id).state == "partial"
    [failed] = _items(real_id, state="failed")
    page = _text(admin.get(f"{BASE}/{real_id}"))
    assert "Ferdig med feil" in page and ">Må rettes (1)</h2>" in page
    assert "Magnus" in page
    assert failed.hint in page.replace("&#34;", '"').replace("&#39;", "'")
    assert "Arbeidsforhold" in page and "preflight:no_employment" in page
    assert ">Prøv igjen</button>" in page

    world.tripletex_update("employment", employment["id"], endDate=None)
    before = world.sandbox.state.count_calls("POST", "/timesheet/entry")
    writes_before, entries_before = writes(world), len(tx_entries(world))
    response = admin.post(f"{BASE}/{real_id}/prov-igjen")
    assert response.headers["Location"].endswith(f"{BASE}/{real_id}")
    assert _batch(real_id).state == "done"
    assert world.sandbox.state.count_calls("POST", "/timesheet/entry") == before + 1
    # One write, holding Magnus's one entry: nothing confirmed was sent again.
    assert writes(world) == writes_before + 1
    assert len(tx_entries(world)) == entries_before + 1
    assert tx_totals(world)[:2] == (totals["hours"] + 6, 0)
    page = _text(admin.get(f"{BASE}/{real_id}"))
    assert ">Må rettes" not in page and ">Prøv igjen</button>" not in page
    # Nothing left to retry: a clear refusal, not an error.
    refused = admin.post(f"{BASE}/{real_id}/prov-igjen")
    assert refused.status_code == 303
    assert "Ingen feilede linjer å prøve igjen." in _text(admin.get(refused.headers["Location"]))


def test_a_foreign_entry_can_be_taken_over_or_left(admin, month_world, no_queue):
    world, _totals = month_world
    typed = _typed_in_tripletex(world)
    real_id = _batch_id(admin.post(f"{BASE}/{_preview(admin)}/bekreft"))
    [foreign] = _items(real_id, state="failed")
    page = _text(admin.get(f"{BASE}/{real_id}"))
    assert "Ta over" in page and "La stå" in page
    assert f"/overforinger/linje/{foreign.id}/ta-over" in page

    response = admin.post(f"{BASE}/linje/{foreign.id}/ta-over")
    assert response.headers["Location"].endswith(f"{BASE}/{real_id}")
    assert _batch(real_id).state == "done"
    assert world.sandbox.state.get("timesheetEntry", typed["id"])["hours"] == 7.5
    # Taking over twice is refused with a message (the item is no longer foreign).
    again = admin.post(f"{BASE}/linje/{foreign.id}/la-sta")
    assert again.status_code == 303
    assert "Bare timer som er ført direkte i Tripletex" in _text(
        admin.get(again.headers["Location"])
    )


def test_leaving_a_foreign_entry_keeps_it(admin, month_world, no_queue):
    world, _totals = month_world
    typed = _typed_in_tripletex(world)
    real_id = _batch_id(admin.post(f"{BASE}/{_preview(admin)}/bekreft"))
    [foreign] = _items(real_id, state="failed")
    admin.post(f"{BASE}/linje/{foreign.id}/la-sta")
    assert _items(real_id, id=foreign.id)[0].state == "left"
    assert _batch(real_id).state == "done"
    assert world.sandbox.state.get("timesheetEntry", typed["id"])["hours"] == 2.0
    assert "Latt stå" in _text(admin.get(f"{BASE}/{real_id}"))


def test_a_dead_batch_is_resumed(admin, month_world, no_queue):
    world, totals = month_world
    batch = services.start(world.admin, "payroll", MONTH, enqueue_job=False)
    # Nobody ran it (no worker, no inline run) for longer than a run may take.
    with clock.pinned(SANDBOX_NOW + timedelta(hours=1)):
        page = _text(admin.get(f"{BASE}/{batch.id}"))
        assert "Overføringen har stoppet" in page and "Gjenoppta" in page
        assert "hx-trigger" not in page.split('id="transfer-status"')[1].split(">")[0]
        response = admin.post(f"{BASE}/{batch.id}/gjenoppta")
    assert response.status_code == 303
    assert _batch(batch.id).state == "done"
    assert tx_totals(world)[:2] == (totals["hours"], 0)
    refused = admin.post(f"{BASE}/{batch.id}/gjenoppta")
    assert "kan ikke gjenopptas" in _text(admin.get(refused.headers["Location"]))


# ---------------------------------------------------------------- downloads


def test_downloads_hold_exactly_what_was_sent_with_tripletex_ids(admin, month_world, no_queue):
    world, _totals = month_world
    real_id = _batch_id(admin.post(f"{BASE}/{_preview(admin)}/bekreft"))
    confirmed = _items(real_id, state="confirmed")
    by_id = {e["id"]: e for e in tx_entries(world)}

    raw = admin.get(f"{BASE}/{real_id}/eksport.json")
    assert raw.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(raw.get_data(as_text=True))
    assert data["batch"] == real_id and data["month"] == "2026-11"
    assert [r["key"] for r in data["items"]] == [i.key for i in confirmed]
    for row in data["items"]:
        assert row["tripletex_id"] is not None
        assert not any(k.startswith("_") for k in row["payload"])
        if row["kind"] == "timesheet_entry":
            sent = by_id[row["tripletex_id"]]
            assert sent["hours"] == row["payload"]["hours"]
            assert sent["employee"]["id"] == row["payload"]["employee"]["id"]

    csv_response = admin.get(f"{BASE}/{real_id}/eksport.csv")
    assert csv_response.mimetype == "text/csv"
    text = csv_response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [r["key"] for r in rows] == [i.key for i in confirmed]
    assert {int(r["tripletex_id"]) for r in rows} == {i.tripletex_id for i in confirmed}
    assert json.loads(rows[0]["payload"]) == data["items"][0]["payload"]


# ---------------------------------------------------------------- polling


@pytest.fixture
def queued(app):
    """With Redis (a worker would run the batch); the queues are emptied afterwards."""
    yield
    for name in jobs.QUEUES:
        jobs.get_queue(name).empty()


def test_the_status_card_polls_while_running_and_stops_when_done(admin, month_world, queued):
    world, totals = month_world
    real_id = _batch_id(admin.post(f"{BASE}/{_preview(admin)}/bekreft"))
    assert _batch(real_id).state == "queued"
    page = _text(admin.get(f"{BASE}/{real_id}"))
    assert f'hx-get="{BASE}/{real_id}/status" hx-trigger="load delay:1s"' in page
    assert 'hx-trigger="transfer-finished from:body"' in page  # the items reload at the end
    poll = admin.get(f"{BASE}/{real_id}/status", headers={"HX-Request": "true"})
    assert "hx-trigger" in _text(poll) and "I kø" in _text(poll)
    assert "HX-Trigger" not in poll.headers

    services.run_inline(real_id)  # the worker's part
    assert tx_totals(world)[0] == totals["hours"]
    last = admin.get(f"{BASE}/{real_id}/status", headers={"HX-Request": "true"})
    body = _text(last)
    assert body.lstrip().startswith("<section") and "Ferdig" in body
    assert "hx-trigger" not in body and "hx-get" not in body
    assert last.headers["HX-Trigger"] == "transfer-finished"
    items = admin.get(f"{BASE}/{real_id}/linjer", headers={"HX-Request": "true"})
    assert _text(items).lstrip().startswith('<div id="transfer-items"')
    assert "Bekreftet" in _text(items)


# ---------------------------------------------------------------- access


def test_employee_and_approver_are_refused(month_world, client, login):
    world, _totals = month_world
    batch = services.start(world.admin, "payroll", MONTH, dry_run=True)
    for user in (world.employee, world.approver):
        login(user)
        for url in (BASE, f"{BASE}/{batch.id}", f"{BASE}/{batch.id}/eksport.csv"):
            assert client.get(url).status_code == 403, (user.role, url)
        assert client.post(f"{BASE}/{batch.id}/bekreft").status_code == 403
        client.post("/logg-ut")
    assert writes(world) == 0


def test_another_companys_batch_and_item_do_not_exist(month_world, client, login, make_user):
    world, _totals = month_world
    batch = services.start(world.admin, "payroll", MONTH, dry_run=True)
    item = _items(batch.id)[0]
    stranger = make_user(role="admin")
    # The stranger's requests run in their own company, as a request boundary enters it.
    with company_scope(stranger.company_id):
        _as_stranger(client, login, stranger, batch, item)


def _as_stranger(client, login, stranger, batch, item):
    login(stranger)
    for url in ("", "/status", "/linjer", "/eksport.csv", "/eksport.json"):
        assert client.get(f"{BASE}/{batch.id}{url}").status_code == 404, url
    for url in ("/bekreft", "/prov-igjen", "/gjenoppta"):
        assert client.post(f"{BASE}/{batch.id}{url}").status_code == 404, url
    for url in ("ta-over", "la-sta"):
        assert client.post(f"{BASE}/linje/{item.id}/{url}").status_code == 404, url
    assert str(batch.id) not in re.sub(r"\s", "", _text(client.get(BASE)).split("list-heading")[1])


def test_forms_need_the_csrf_token(admin, month_world):
    preview_id = _preview(admin)
    response = admin.post(f"{BASE}/{preview_id}/bekreft", csrf=False)
    assert response.status_code == 400
    assert _db.session.scalar(select(TransferBatch).where(TransferBatch.dry_run.is_(False))) is None


# ---------------------------------------------------------------- settings and periods


def test_transfer_settings_are_saved_explained_and_audited(admin, month_world):
    world, _totals = month_world
    page = _text(admin.get("/admin/innstillinger"))
    assert 'id="overforing"' in page
    assert "Ingenting bokføres" in page and "Lønnsbilag bokfører" in page
    response = admin.post(
        "/admin/innstillinger/overforing",
        data={
            "payroll_mode": "salary",
            "transfer_approves_month": "y",
            "order_grouping": "project_employee",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("#overforing")
    company = _db.session.get(Company, world.company.id, populate_existing=True)
    assert (company.payroll_mode, company.transfer_approves_month, company.order_grouping) == (
        "salary",
        True,
        "project_employee",
    )
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.action == "transfer_settings"))
    assert event.changes["payroll_mode"] == ["timesheet", "salary"]
    assert event.user_id == world.admin.id
    bad = admin.post(
        "/admin/innstillinger/overforing",
        data={"payroll_mode": "alt", "order_grouping": "project"},
    )
    assert bad.status_code == 400 and 'id="overforing"' in _text(bad)


def test_the_payroll_mode_cannot_change_while_a_payroll_transfer_runs(admin, month_world):
    world, _totals = month_world
    batch = services.start(world.admin, "payroll", MONTH, enqueue_job=False)
    with jobs.lease(services.job_id(batch)):
        response = admin.post(
            "/admin/innstillinger/overforing",
            data={"payroll_mode": "salary", "order_grouping": "project"},
        )
    assert response.status_code == 422
    assert "En overføring av lønnsgrunnlag pågår" in _text(response)
    company = _db.session.get(Company, world.company.id, populate_existing=True)
    assert company.payroll_mode == "timesheet"


def test_the_employee_sees_that_the_period_is_transferred(month_world, client, login, no_queue):
    world, _totals = month_world
    login(world.employee)
    before = _text(client.get("/perioder/2026-11"))
    assert "Godkjent" in before and "Overført til Tripletex" not in before
    batch = services.start(world.admin, "payroll", MONTH)
    assert batch.state == "done"
    page = _text(client.get("/perioder/2026-11"))
    assert "Overført til Tripletex 18.11.2026, 12:00." in page


def test_the_admin_menu_links_the_page(admin):
    page = _text(admin.get("/admin/"))
    assert f'href="{BASE}"' in page and "Lønnsgrunnlag og ordre til Tripletex" in page


def test_the_salary_type_for_hours_is_chosen_on_the_page_and_audited(admin, month_world, make_user):
    world, _totals = month_world
    page = _text(admin.get(BASE))
    assert 'id="lonnsart"' in page and "Lønnsart for timer" in page
    assert "Standard: 2001 Timelønn" in page
    bonus = world.salary_types["2002"]
    response = admin.post(f"{BASE}/lonnsart", data={"hours_salary_type_id": str(bonus.id)})
    assert response.status_code == 303 and response.headers["Location"].endswith("#lonnsart")
    company = _db.session.get(Company, world.company.id, populate_existing=True)
    assert company.hours_salary_type_id == bonus.id
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.action == "transfer_settings"))
    assert event.changes == {"hours_salary_type_id": [None, bonus.id]}
    assert f'<option selected value="{bonus.id}">' in _text(admin.get(BASE))
    # Bad input: not one of the company's active salary types → 400, nothing saved.
    for bad in ("abc", "999999"):
        response = admin.post(f"{BASE}/lonnsart", data={"hours_salary_type_id": bad})
        assert response.status_code == 400, bad
        assert 'id="lonnsart"' in _text(response)
    # Another company's salary type does not exist here.
    stranger = make_user(role="admin")
    with company_scope(stranger.company_id):
        from tipro.models import SalaryType

        theirs = SalaryType(company_id=stranger.company_id, tripletex_id=1, number="2001", name="X")
        _db.session.add(theirs)
        _db.session.commit()
        their_id = theirs.id
    response = admin.post(f"{BASE}/lonnsart", data={"hours_salary_type_id": str(their_id)})
    assert response.status_code == 400
    # Back to the default.
    response = admin.post(f"{BASE}/lonnsart", data={"hours_salary_type_id": ""})
    assert response.status_code == 303
    company = _db.session.get(Company, world.company.id, populate_existing=True)
    assert company.hours_salary_type_id is None
    assert admin.post(f"{BASE}/lonnsart", data={}, csrf=False).status_code == 400
    assert writes(world) == 0


def test_employees_may_not_choose_the_salary_type_for_hours(month_world, client, login):
    world, _totals = month_world
    login(world.employee)
    bonus = world.salary_types["2002"]
    response = client.post(f"{BASE}/lonnsart", data={"hours_salary_type_id": str(bonus.id)})
    assert response.status_code == 403
    company = _db.session.get(Company, world.company.id, populate_existing=True)
    assert company.hours_salary_type_id is None

"""Remaining vacation from Tripletex: the sandbox's month status answers vacationSummary, the
master-data sync stores each active employee's outgoing balance with the day it was read
(over real HTTP, every request and answer spec-checked), and «Min oversikt» shows it.

The demo seed gives everyone 25 days a year; Kari takes 3 days in February, 10 in July and
2 in October, Ola 15 in July.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.tripletex.conftest import make_client, rec  # noqa: F401
from tipro import clock
from tipro.models import Employee
from tipro.sync import engine
from tipro.sync.services import run_inline

D = Decimal
OCTOBER = datetime(2026, 10, 15, 9, 0)


def _tx_id(sandbox, first: str) -> int:
    return next(e["id"] for e in sandbox.state.all("employee") if e.get("firstName") == first)


def _employee(db, first: str) -> Employee:
    db.session.expire_all()
    return db.session.scalars(select(Employee).where(Employee.first_name == first)).one()


def _vacation_calls(sandbox) -> int:
    return sandbox.state.count_calls(path_prefix="/timesheet/month")


def test_sandbox_month_status_has_the_vacation_summary(sandbox, rec):  # noqa: F811
    client = make_client(sandbox, rec)
    try:
        kari, ola, ingrid = (_tx_id(sandbox, n) for n in ("Kari", "Ola", "Ingrid"))
        result = client.month_status(
            [kari, ola, ingrid], "2026-10", fields="employee(id),vacationSummary(*)"
        )
    finally:
        client.close()
    summaries = {s["employee"]["id"]: s["vacationSummary"] for s in result.values}
    assert summaries[kari] == {
        "incomingVacationBalance": 12.0,  # 25 − 3 (February) − 10 (July)
        "outgoingVacationBalance": 10.0,
        "vacationTakenInPeriod": 2.0,
        "vacationTakenThisYear": 15.0,
    }
    assert summaries[ola]["outgoingVacationBalance"] == 10.0
    assert summaries[ingrid] == {
        "incomingVacationBalance": 25.0,
        "outgoingVacationBalance": 25.0,
        "vacationTakenInPeriod": 0.0,
        "vacationTakenThisYear": 0.0,
    }
    # Answers are checked against the spec by the `sandbox` fixture, queries by `rec`.


def test_sync_stores_the_balance_and_reads_once_a_day(connected, db, sandbox, monkeypatch):
    monkeypatch.setattr(engine, "VACATION_CHUNK", 5)  # 11 active employees → 3 requests
    before = _vacation_calls(sandbox)
    with clock.pinned(OCTOBER):
        run = run_inline(connected.id, full=True)
    assert run.status == "done", run.error_message
    assert _vacation_calls(sandbox) - before == 3
    kari = _employee(db, "Kari")
    assert (kari.vacation_balance, kari.vacation_read_on) == (D("10"), date(2026, 10, 15))
    assert _employee(db, "Ingrid").vacation_balance == D("25")
    maja = _employee(db, "Maja")  # employment ended: not asked
    assert (maja.vacation_balance, maja.vacation_read_on) == (None, None)
    step = next(s for s in run.steps if s.data_type == "vacation")
    assert step.status == "done" and step.updated == 11

    # The quarter-hourly runs of the same day ask nothing more.
    before = _vacation_calls(sandbox)
    with clock.pinned(OCTOBER.replace(hour=15)):
        run = run_inline(connected.id)
    assert run.status == "done" and _vacation_calls(sandbox) == before
    # The next month's first run reads again: Kari took nothing in November.
    with clock.pinned(datetime(2026, 11, 2, 9, 0)):
        run = run_inline(connected.id)
    assert run.status == "done" and _vacation_calls(sandbox) - before == 3
    kari = _employee(db, "Kari")
    assert (kari.vacation_balance, kari.vacation_read_on) == (D("10"), date(2026, 11, 2))


def test_a_tripletex_error_skips_only_the_vacation_step(connected, db, sandbox):
    with clock.pinned(OCTOBER):
        assert run_inline(connected.id, full=True).status == "done"
    sandbox.state.faults.inject_5xx(times=20, status=500, path_prefix="/timesheet/month")
    with clock.pinned(datetime(2026, 10, 16, 9, 0)):
        run = run_inline(connected.id, full=True)
    assert run.status == "done", run.error_message
    assert {s.data_type: s.status for s in run.steps}["hourly_rates"] == "done"
    # The last balance stays, with the day it was read.
    kari = _employee(db, "Kari")
    assert (kari.vacation_balance, kari.vacation_read_on) == (D("10"), date(2026, 10, 15))


@pytest.mark.parametrize("first, shown", [("Kari", "10 dager"), ("Ingrid", "25 dager")])
def test_my_overview_shows_the_synced_balance(
    connected, db, sandbox, make_user, login, first, shown
):
    user = make_user(company=connected, email=f"{first.lower()}@fjellheimbygg.no")
    with clock.pinned(OCTOBER):
        assert run_inline(connected.id, full=True).status == "done"
        html = login(user).get("/min-oversikt").get_data(as_text=True)
    assert f"{shown} igjen" in html
    assert "per 15. oktober 2026, fra Tripletex." in html
    assert "hentes ikke fra Tripletex" not in html

"""Faults, a bad item, corrections and hours typed in Tripletex: still exactly once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import new_user
from tests.transfers.conftest import (
    MONTH,
    approve_month,
    tipro_hours,
    tx_entries,
    tx_totals,
    writes,
)
from tipro.extensions import db as _db
from tipro.models import Employee, TimeEntry, TransferItem, TransferLog
from tipro.transfers import services


def _run(world):
    batch = services.start(world.admin, "payroll", MONTH, enqueue_job=False)
    return services.run_inline(batch.id)


def _items(batch, **match):
    rows = _db.session.scalars(
        select(TransferItem)
        .where(TransferItem.batch_id == batch.id)
        .execution_options(populate_existing=True)
    ).all()
    return [i for i in rows if all(getattr(i, k) == v for k, v in match.items())]


FAULTS = {
    "429 burst with Reset": {"rules": [{"kind": "429", "times": 3, "reset_seconds": 0}]},
    "429 burst without Reset": {
        "rules": [{"kind": "429", "times": 3, "reset_header": False, "methods": ["POST"]}]
    },
    "5xx on writes": {
        "rules": [{"kind": "5xx", "times": 2, "status": 503, "methods": ["POST", "PUT"]}]
    },
    "lost responses on writes": {
        "rules": [{"kind": "lost", "times": 2, "methods": ["POST"], "path_prefix": "/timesheet"}]
    },
    "lost 504 on the list": {
        "rules": [
            {"kind": "lost", "times": 1, "mode": "504", "path_prefix": "/timesheet/entry/list"}
        ]
    },
}


@pytest.mark.parametrize("fault", list(FAULTS), ids=list(FAULTS))
def test_faults_still_end_exactly_once(month_world, fault):
    world, totals = month_world
    world.tripletex_faults(FAULTS[fault])
    batch = _run(world)
    assert batch.state == "done", [(i.key, i.state, i.error_message) for i in _items(batch)]
    hours, duplicates, overtime = tx_totals(world)
    assert (hours, duplicates, overtime) == (totals["hours"], 0, totals["overtime"])
    assert world.sandbox.state.faults.pending() == 0, "the faults fired"
    # What was lost was found again by reading, never posted twice.
    assert len(tx_entries(world)) == len(_items(batch, item_kind="timesheet_entry"))


def test_an_unknown_outcome_is_reconciled_before_anything_is_sent_again(month_world):
    world, _totals = month_world
    world.tripletex_faults(
        {"rules": [{"kind": "lost", "times": 1, "path_prefix": "/timesheet/entry/list"}]}
    )
    batch = _run(world)
    assert batch.state == "done"
    # One POST /list (stored, answer lost), then a read, and no second POST of the chunk.
    assert world.sandbox.state.count_calls("POST", "/timesheet/entry/list") == 1
    assert world.sandbox.state.count_calls("GET", "/timesheet/entry") >= 1
    logged = _db.session.scalars(select(TransferLog.method)).all()
    assert "POST" in logged and "GET" in logged


def _magnus(world):
    magnus = _db.session.scalar(select(Employee).where(Employee.first_name == "Magnus"))
    user = new_user(world.company, "employee", name="Magnus", employee_id=magnus.id)
    return user, magnus


def test_one_bad_item_fails_alone_with_its_hint_and_retry_sends_just_it(month_world):
    world, totals = month_world
    user, magnus = _magnus(world)
    world.entry(user, date(2026, 11, 4), "6", state="approved")
    _db.session.commit()
    approve_month(world, user)
    employment = next(
        e
        for e in world.sandbox.state.all("employment")
        if e["employee"]["id"] == magnus.tripletex_id
    )
    world.tripletex_update("employment", employment["id"], endDate="2026-10-31")

    batch = _run(world)
    assert batch.state == "partial"
    failed = _items(batch, state="failed")
    assert [i.user_id for i in failed] == [user.id]
    assert failed[0].error_code == "preflight:no_employment"
    assert "Arbeidsforhold" in failed[0].hint
    assert tx_totals(world)[0] == totals["hours"]  # everyone else went through

    world.tripletex_update("employment", employment["id"], endDate=None)
    before = world.sandbox.state.count_calls("POST", "/timesheet/entry")
    again = services.retry_failed(world.admin, batch.id, enqueue_job=False)
    again = services.run_inline(again.id)
    assert again.state == "done"
    assert world.sandbox.state.count_calls("POST", "/timesheet/entry") == before + 1
    assert tx_totals(world)[0] == totals["hours"] + 6
    assert tx_totals(world)[1] == 0


def test_a_correction_after_transfer_updates_and_deletes_without_duplicates(month_world):
    world, _totals = month_world
    _run(world)
    kari = world.employee
    # Reopened and approved again: one day changed, one day's hours gone.
    entries = _db.session.scalars(
        select(TimeEntry).where(TimeEntry.user_id == kari.id).order_by(TimeEntry.date)
    ).all()
    day2 = [e for e in entries if e.date == date(2026, 11, 2)]
    day3 = [e for e in entries if e.date == date(2026, 11, 3)]
    day2[0].hours = Decimal("6")
    for entry in entries:
        entry.state = "approved"
    for entry in day3:
        _db.session.delete(entry)
    _db.session.commit()
    before_posts = world.sandbox.state.count_calls("POST")

    batch = _run(world)
    assert batch.state == "done"
    changes = sorted((i.change, i.operation) for i in _items(batch) if i.change != "unchanged")
    assert changes == [("changed", "update"), ("correction", "delete")]
    assert world.sandbox.state.count_calls("POST") == before_posts  # never a new entry
    hours, duplicates, _ = tx_totals(world)
    assert hours == tipro_hours(world)
    assert duplicates == 0
    kari_tx = kari.employee.tripletex_id
    on_day2 = [
        e for e in tx_entries(world) if e["employee"]["id"] == kari_tx and e["date"] == "2026-11-02"
    ]
    assert [e["hours"] for e in on_day2] == [float(sum(e.hours for e in day2))]
    assert not [
        e for e in tx_entries(world) if e["employee"]["id"] == kari_tx and e["date"] == "2026-11-03"
    ]


def _typed_in_tripletex(world, hours=2.0):
    kari = world.employee
    return world._control(
        "POST",
        "/data/timesheetEntry",
        {
            "employee": {"id": kari.employee.tripletex_id},
            "project": {"id": world.projects["1001"].tripletex_id},
            "activity": {"id": world.activities["Snekring"].tripletex_id},
            "date": "2026-11-05",
            "hours": hours,
            "comment": "ført i Tripletex",
        },
    )["value"]


def test_hours_typed_in_tripletex_are_not_overwritten(month_world):
    world, _totals = month_world
    typed = _typed_in_tripletex(world)
    batch = _run(world)
    assert batch.state == "partial"
    [foreign] = _items(batch, state="failed")
    assert foreign.error_code.startswith("foreign_entry")
    assert "«Ta over»" in foreign.hint and "«La stå»" in foreign.hint
    assert foreign.tripletex_id == typed["id"]
    assert world.sandbox.state.get("timesheetEntry", typed["id"])["hours"] == 2.0
    assert tx_totals(world)[1] == 0
    # A second run does not overwrite them either.
    _run(world)
    assert world.sandbox.state.get("timesheetEntry", typed["id"])["hours"] == 2.0

    # The admin takes over: TiPro's total replaces them (PUT), still one entry on the key.
    services.take_over(world.admin, foreign.id, enqueue_job=False)
    done = services.run_inline(batch.id)
    assert done.state == "done"
    assert world.sandbox.state.get("timesheetEntry", typed["id"])["hours"] == 7.5
    assert tx_totals(world)[:2] == (tipro_hours(world), 0)


def test_leaving_a_foreign_entry_keeps_it_and_later_plans_skip_it(month_world):
    world, _totals = month_world
    typed = _typed_in_tripletex(world)
    batch = _run(world)
    [foreign] = _items(batch, state="failed")
    services.leave(world.admin, foreign.id)
    assert services.get_batch(batch.id).state == "done"
    before = writes(world)
    again = _run(world)
    assert again.state == "done"
    assert writes(world) == before
    assert world.sandbox.state.get("timesheetEntry", typed["id"])["hours"] == 2.0


def test_a_second_transfer_while_one_runs_is_refused(month_world):
    world, _totals = month_world
    services.start(world.admin, "payroll", MONTH, enqueue_job=False)
    from tipro import jobs

    with pytest.raises(services.TransferRefused):
        with jobs.lease(services.job_id(services.active_batch("payroll"))):
            services.start(world.admin, "payroll", MONTH, enqueue_job=False)


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "5xx", "status": 503},
        {"kind": "429", "reset_seconds": 0},
    ],
    ids=["5xx", "429"],
)
def test_a_failed_read_in_the_pre_flight_retries_the_job_instead_of_failing_everybody(
    month_world, rule
):
    """The pre-flight's batched GET keeps failing (more than the client's retries): the run
    raises for RQ to retry it, every item still pending; the retry then sends them all."""
    from tipro.tripletex.errors import RateLimited, ServerError

    world, totals = month_world
    batch = services.start(world.admin, "payroll", MONTH, enqueue_job=False)
    world.tripletex_faults(
        {"rules": [{**rule, "times": 50, "methods": ["GET"], "path_prefix": "/employee"}]}
    )
    with pytest.raises((ServerError, RateLimited)):
        services.run_inline(batch.id)
    states = {i.state for i in _items(batch)}
    assert states == {"pending"}, [(i.key, i.state, i.error_code) for i in _items(batch)]
    assert writes(world) == 0
    world.tripletex_faults({"clear": True})
    done = services.run_inline(batch.id)
    assert done.state == "done", [(i.key, i.state, i.error_message) for i in _items(done)]
    assert tx_totals(world) == (totals["hours"], 0, totals["overtime"])

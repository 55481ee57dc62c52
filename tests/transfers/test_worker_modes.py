"""Orders and lønnsbilag with a real worker SIGKILLed while its write is in flight, then
restarted: still exactly once (read back from the sandbox)."""

from __future__ import annotations

import signal
from decimal import Decimal

import pytest

from tests.procs import alive, children, wait_for
from tests.transfers.conftest import MONTH
from tests.transfers.test_salary import KARI_WAGE, OLA_WAGE, pay_by_the_hour
from tests.transfers.test_worker import (  # noqa: F401 (fixtures)
    BEAT,
    _batch,
    _sending,
    _slow_write_arrived,
    committed_world,
    workers,
)
from tipro import jobs
from tipro.extensions import db as _db
from tipro.transfers import services

pytestmark = pytest.mark.slow


def _order_lines(world) -> list[dict]:
    state = world.sandbox.state
    return [
        state.get("orderLine", ref["id"]) for o in state.all("order") for ref in o["orderLines"]
    ]


CASES = {
    "orders": ("orders", "/order/list"),
    "salary": ("payroll", "/salary/transaction"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_worker_killed_mid_write_and_restarted_writes_once(committed_world, workers, case):  # noqa: F811
    world, totals = committed_world
    kind, path = CASES[case]
    if case == "salary":
        world.company.payroll_mode = "salary"
        world.holiday.salary_type_id = world.salary_types["2001"].id
        _db.session.commit()
        # Paid by the hour: ordinary hours go on the payslip (a monthly wage gets none).
        pay_by_the_hour(world, world.employee, KARI_WAGE)
        pay_by_the_hour(world, world.colleague, OLA_WAGE)
    first = workers()
    assert wait_for(jobs.workers_alive, 20), "the worker beats"
    world.tripletex_faults(
        {
            "rules": [
                {"kind": "slow", "times": 1, "seconds": 4, "methods": ["POST"], "path_prefix": path}
            ]
        }
    )
    batch = services.start(world.admin, kind, MONTH)
    assert wait_for(lambda: _sending(batch.id) or None, 30), "the worker sends"
    assert wait_for(lambda: _slow_write_arrived(world), 30), "the write reached the sandbox"
    horses = children(first.pid)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert wait_for(lambda: not any(alive(pid) for pid in horses), 10)
    stored = "order" if case == "orders" else "salaryTransaction"
    assert wait_for(lambda: len(world.sandbox.state.all(stored)) > 0, 10)

    workers()
    assert wait_for(lambda: services.is_dead(_batch(batch.id)), 10 * BEAT), "seen dead"
    services.resume(world.admin, batch.id)
    assert wait_for(lambda: _batch(batch.id).state in ("done", "partial"), 60)
    finished = _batch(batch.id)
    assert finished.state == "done", (finished.state, finished.error_message)
    assert world.sandbox.state.count_calls("POST", path) == 1  # reconciled, never re-posted
    if case == "orders":
        assert len(world.sandbox.state.all("order")) == 1  # all hours are on project 1001
        hours = sum((Decimal(str(ln["count"])) for ln in _order_lines(world)), Decimal("0"))
        assert hours == totals["hours"] - Decimal("7.5")  # the holiday is not billable
    else:
        [transaction] = world.sandbox.state.all("salaryTransaction")
        # Kari (hours, overtime and holiday) and Ola (hours): one payslip each, once.
        slips = [world.sandbox.state.get("payslip", ref["id"]) for ref in transaction["payslips"]]
        assert sorted(s["employee"]["id"] for s in slips) == sorted(
            u.employee.tripletex_id for u in (world.employee, world.colleague)
        )
    assert world.sandbox.state.violations == []

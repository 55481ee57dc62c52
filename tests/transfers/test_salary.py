"""Lønnsbilag (Company.payroll_mode = "salary"): one salary transaction per month with a
payslip per employee; found again through /salary/payslip after an unknown outcome, never
posted twice; corrections as a correcting transaction for the difference."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import new_user
from tests.transfers.conftest import MONTH, approve_month, writes
from tipro.extensions import db as _db
from tipro.models import Employee, EntrySupplement, TimeEntry, TransferItem
from tipro.transfers import services

CENT = Decimal("0.01")
# The sandbox's wages (seed_data): annual salary / 1950 hours.
KARI_WAGE = (Decimal("560000") / 1950).quantize(CENT)
OLA_WAGE = (Decimal("590000") / 1950).quantize(CENT)


def _run(world, **kw):
    batch = services.start(world.admin, "payroll", MONTH, enqueue_job=False, **kw)
    if batch.dry_run:
        return batch
    return services.run_inline(batch.id)


def _items(batch):
    return _db.session.scalars(
        select(TransferItem)
        .where(TransferItem.batch_id == batch.id)
        .execution_options(populate_existing=True)
    ).all()


def tx_payslips(world) -> list[dict]:
    """The sandbox's payslips for November 2026, with their specifications."""
    state = world.sandbox.state
    out = []
    for slip in state.all("payslip"):
        if (slip["year"], slip["month"]) != (2026, 11):
            continue
        specs = [state.get("salarySpecification", r["id"]) for r in slip["specifications"]]
        out.append({**slip, "specs": [s for s in specs if s]})
    return out


def tx_amount(world) -> Decimal:
    return sum(
        (Decimal(str(s["amount"])).quantize(CENT) for p in tx_payslips(world) for s in p["specs"]),
        Decimal("0"),
    )


@pytest.fixture
def salary_world(month_world):
    """The scene in lønnsbilag mode: Kari's overtime (on 1001) and holiday, Ola's overtime.

    Returns (world, TiPro's amount per person).
    """
    world, _totals = month_world
    world.company.payroll_mode = "salary"
    # Holiday pay goes on a salary type in lønnsbilag mode (the pre-flight requires one).
    world.holiday.salary_type_id = world.salary_types["2001"].id
    ola_entry = _db.session.scalars(
        select(TimeEntry).where(
            TimeEntry.user_id == world.colleague.id, TimeEntry.date == date(2026, 11, 3)
        )
    ).one()
    world.supplement(ola_entry, world.overtime, "2")
    _db.session.commit()
    return world, {
        "kari": ((Decimal("1.5") + Decimal("7.5")) * KARI_WAGE).quantize(CENT),
        "ola": (2 * OLA_WAGE).quantize(CENT),
    }


def test_one_salary_transaction_with_a_payslip_per_employee(salary_world):
    world, expected = salary_world
    batch = _run(world)
    assert batch.state == "done", [(i.key, i.state, i.error_message) for i in _items(batch)]
    assert batch.mode == "salary_transaction"
    assert world.sandbox.state.count_calls("POST", "/salary/transaction") == 1
    slips = tx_payslips(world)
    assert len(slips) == 2 and len({s["transaction"]["id"] for s in slips}) == 1
    assert tx_amount(world) == sum(expected.values())
    kari_tx = world.employee.employee.tripletex_id
    [kari] = [s for s in slips if s["employee"]["id"] == kari_tx]
    overtime = next(
        s for s in kari["specs"] if s["salaryType"]["id"] == world.salary_types["2005"].tripletex_id
    )
    assert overtime["project"]["id"] == world.projects["1001"].tripletex_id
    assert overtime["rate"] == float(KARI_WAGE) and overtime["count"] == 1.5
    assert all(s["description"].startswith(f"TiPro sal:2026-11:{kari_tx}") for s in kari["specs"])
    assert all(s.get("department") for s in kari["specs"])
    assert world.sandbox.state.violations == []
    # Again: nothing is posted.
    before = writes(world)
    assert _run(world).state == "done"
    assert writes(world) == before


def test_a_lost_answer_is_found_in_the_payslips_and_never_posted_again(salary_world):
    world, expected = salary_world
    world.tripletex_faults(
        {"rules": [{"kind": "lost", "times": 1, "path_prefix": "/salary/transaction"}]}
    )
    batch = _run(world)
    assert batch.state == "done", [(i.key, i.state, i.error_message) for i in _items(batch)]
    assert world.sandbox.state.faults.pending() == 0
    assert world.sandbox.state.count_calls("POST", "/salary/transaction") == 1
    assert world.sandbox.state.count_calls("GET", "/salary/payslip") >= 1
    assert len(world.sandbox.state.all("salaryTransaction")) == 1
    assert tx_amount(world) == sum(expected.values())
    assert all(i.tripletex_id for i in _items(batch))


@pytest.mark.parametrize("mode", ["504", "500"])
def test_lost_answers_of_other_kinds_are_reconciled_too(salary_world, mode):
    world, expected = salary_world
    world.tripletex_faults(
        {
            "rules": [
                {"kind": "lost", "times": 1, "mode": mode, "path_prefix": "/salary/transaction"}
            ]
        }
    )
    assert _run(world).state == "done"
    assert len(world.sandbox.state.all("salaryTransaction")) == 1
    assert tx_amount(world) == sum(expected.values())


def test_a_post_that_never_arrived_is_posted_after_the_read_says_so(salary_world):
    world, expected = salary_world
    world.tripletex_faults(
        {
            "rules": [
                {
                    "kind": "5xx",
                    "times": 1,
                    "status": 503,
                    "methods": ["POST"],
                    "path_prefix": "/salary/transaction",
                }
            ]
        }
    )
    assert _run(world).state == "done"
    assert world.sandbox.state.faults.pending() == 0
    assert len(world.sandbox.state.all("salaryTransaction")) == 1
    assert tx_amount(world) == sum(expected.values())


def test_a_change_after_transfer_is_a_correcting_transaction_for_the_difference(salary_world):
    world, expected = salary_world
    _run(world)
    supplement = _db.session.scalars(
        select(EntrySupplement).where(EntrySupplement.quantity == Decimal("1.5"))
    ).one()
    supplement.quantity = Decimal("2.5")
    _db.session.commit()
    batch = _run(world)
    assert batch.state == "done"
    [correction] = [i for i in _items(batch) if i.change == "correction"]
    assert correction.key.endswith(":k1")
    assert world.sandbox.state.count_calls("POST", "/salary/transaction") == 2
    assert len(world.sandbox.state.all("salaryTransaction")) == 2
    assert tx_amount(world) == sum(expected.values()) + KARI_WAGE
    counts = [
        s["count"] for p in tx_payslips(world) for s in p["specs"] if ":k1" in s["description"]
    ]
    assert counts == [1.0]


def test_a_locked_salary_period_fails_clearly_and_posts_nothing(salary_world):
    world, _expected = salary_world
    world._control("POST", "/switches", {"lockedSalaryPeriods": ["2026-11"]})
    batch = _run(world)
    assert batch.state == "partial"
    failed = [i for i in _items(batch) if i.state == "failed"]
    assert failed and all(i.error_code.startswith("locked") for i in failed)
    assert "Lønnsperioden er låst" in failed[0].hint
    assert world.sandbox.state.all("salaryTransaction") == []


def test_an_employee_without_employment_fails_alone(salary_world):
    world, expected = salary_world
    magnus = _db.session.scalar(select(Employee).where(Employee.first_name == "Magnus"))
    user = new_user(world.company, "employee", name="Magnus", employee_id=magnus.id)
    entry = world.entry(user, date(2026, 11, 4), "9", state="approved")
    world.supplement(entry, world.overtime, "1")
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
    [failed] = [i for i in _items(batch) if i.state == "failed"]
    assert failed.user_id == user.id
    assert tx_amount(world) == sum(expected.values())
    assert len(world.sandbox.state.all("salaryTransaction")) == 1


def test_a_rejected_transaction_is_resent_payslip_by_payslip(salary_world):
    world, expected = salary_world
    world.tripletex_faults(
        {
            "rules": [
                {
                    "kind": "error",
                    "times": 1,
                    "status": 422,
                    "code": 18000,
                    "methods": ["POST"],
                    "path_prefix": "/salary/transaction",
                }
            ]
        }
    )
    batch = _run(world)
    assert batch.state == "done"
    # Rejected whole (nothing stored), then one transaction per payslip: none twice.
    assert world.sandbox.state.count_calls("POST", "/salary/transaction") == 3
    assert len(tx_payslips(world)) == 2
    assert tx_amount(world) == sum(expected.values())


def test_a_person_without_a_wage_in_tripletex_is_never_booked_at_zero(salary_world):
    world, expected = salary_world
    kari_tx = world.employee.employee.tripletex_id
    employment = next(
        e for e in world.sandbox.state.all("employment") if e["employee"]["id"] == kari_tx
    )
    for ref in employment["employmentDetails"]:
        world.tripletex_update("employmentDetails", ref["id"], annualSalary=0.0, hourlyWage=0.0)
    batch = _run(world)
    assert batch.state == "partial"
    [failed] = [i for i in _items(batch) if i.state == "failed"]
    assert failed.error_code == "preflight:wage_missing"
    assert "start en ny overføring" in failed.hint
    assert [p["employee"]["id"] for p in tx_payslips(world)] == [
        world.colleague.employee.tripletex_id
    ]
    assert tx_amount(world) == expected["ola"]


def test_dry_run_posts_nothing_and_matches_the_real_run(salary_world):
    world, expected = salary_world
    dry = _run(world, dry_run=True)
    assert dry.state == "planned" and dry.total_items == 2
    assert world.sandbox.state.all("salaryTransaction") == []
    real = _run(world)

    def plan_of(batch):
        return sorted((i.key, i.operation, i.payload_hash) for i in _items(batch))

    assert plan_of(dry) == plan_of(real)
    assert tx_amount(world) == sum(expected.values())

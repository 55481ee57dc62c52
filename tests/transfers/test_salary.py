"""Lønnsbilag (Company.payroll_mode = "salary"): one salary transaction per month with a
payslip per employee carrying the approved ordinary hours (on «Lønnsart for timer»),
supplements and absence; found again through /salary/payslip after an unknown outcome, never
posted twice; corrections as a correcting transaction for the difference."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.factories import new_user
from tests.transfers.conftest import MONTH, approve_month, writes
from tipro.extensions import db as _db
from tipro.models import AuditEvent, Employee, EntrySupplement, Period, TimeEntry, TransferItem
from tipro.transfers import services
from tipro.transfers import settings as transfer_settings

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


def tx_hours(world, salary_type_tx: int) -> dict[int, Decimal]:
    """Counts on one salary type with a project (the holiday has none) in the sandbox's
    payslips, per Tripletex employee."""
    out: dict[int, Decimal] = {}
    for slip in tx_payslips(world):
        for spec in slip["specs"]:
            if spec["salaryType"]["id"] == salary_type_tx and spec.get("project"):
                emp = slip["employee"]["id"]
                out[emp] = out.get(emp, Decimal("0")) + Decimal(str(spec["count"]))
    return out


def work_hours(user) -> Decimal:
    """TiPro's approved (or transferred) ordinary hours of the user in the month."""
    return _db.session.scalar(
        select(func.sum(TimeEntry.hours)).where(
            TimeEntry.user_id == user.id,
            TimeEntry.kind == "work",
            TimeEntry.state.in_(("approved", "transferred")),
            TimeEntry.date >= MONTH,
            TimeEntry.date < date(2026, 12, 1),
        )
    ) or Decimal("0")


def hours_by_employee(world) -> dict[int, Decimal]:
    return {
        world.employee.employee.tripletex_id: work_hours(world.employee),
        world.colleague.employee.tripletex_id: work_hours(world.colleague),
    }


def pay_by_the_hour(world, user, wage: Decimal) -> None:
    """Make the user's Tripletex employment an hourly one (the seed pays them monthly)."""
    state = world.sandbox.state
    tx_id = user.employee.tripletex_id
    for employment in state.all("employment"):
        if employment["employee"]["id"] != tx_id:
            continue
        for ref in employment["employmentDetails"]:
            details = state.get("employmentDetails", ref["id"])
            details["remunerationType"] = "HOURLY_WAGE"
            details["hourlyWage"] = float(wage)
            details["annualSalary"] = 0.0


@pytest.fixture
def salary_world(month_world):
    """The scene in lønnsbilag mode: ordinary hours of both (on 1001, on «Lønnsart for
    timer»: no choice made, so the default by number, 2001 Timelønn), Kari's overtime (on
    1001) and holiday (2001, no project), Ola's overtime.

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
    # Both paid by the hour in Tripletex (a monthly wage pays no ordinary hours).
    pay_by_the_hour(world, world.employee, KARI_WAGE)
    pay_by_the_hour(world, world.colleague, OLA_WAGE)
    kari_hours, ola_hours = work_hours(world.employee), work_hours(world.colleague)
    assert (kari_hours, ola_hours) == (Decimal("61.5"), Decimal("50.75"))
    return world, {
        "kari": ((kari_hours + Decimal("1.5") + Decimal("7.5")) * KARI_WAGE).quantize(CENT),
        "ola": ((ola_hours + 2) * OLA_WAGE).quantize(CENT),
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
    # The ordinary hours: on «Lønnsart for timer» (the default by number: 2001 Timelønn),
    # hours × the hourly wage, with project and department, TiPro's key in the description.
    timelonn = world.salary_types["2001"].tripletex_id
    assert tx_hours(world, timelonn) == hours_by_employee(world)
    [hours] = [s for s in kari["specs"] if s["salaryType"]["id"] == timelonn and s.get("project")]
    assert hours["count"] == 61.5 and hours["rate"] == float(KARI_WAGE)
    assert Decimal(str(hours["amount"])) == (Decimal("61.5") * KARI_WAGE).quantize(CENT)
    assert hours["project"]["id"] == world.projects["1001"].tripletex_id
    assert hours["department"]["id"] and hours["description"].startswith(
        f"TiPro sal:2026-11:{kari_tx} · Timelønn"
    )
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


def _reopen_change_and_approve(world, user, day: date, hours: str) -> None:
    """Admin reopens the user's month, an entry of `day` changes, the month is approved again
    (rows, as the approval flow leaves them)."""
    period = _db.session.scalars(select(Period).where(Period.user_id == user.id)).one()
    period.state = "open"
    entry = _db.session.scalars(
        select(TimeEntry)
        .where(TimeEntry.user_id == user.id, TimeEntry.date == day, TimeEntry.kind == "work")
        .order_by(TimeEntry.id)
        .limit(1)
    ).one()
    entry.state = "open"
    entry.hours = Decimal(hours)
    _db.session.commit()


def test_hours_changed_after_reopen_are_corrected_without_a_duplicate(salary_world):
    world, expected = salary_world
    _run(world)
    kari_tx = world.employee.employee.tripletex_id
    timelonn = world.salary_types["2001"].tripletex_id
    # Reopened: nothing is sent while the month is open again.
    _reopen_change_and_approve(world, world.employee, date(2026, 11, 2), "6")  # 4 → 6
    before = writes(world)
    assert _run(world).state == "done"
    assert writes(world) == before
    # Approved again: a correcting payslip for the difference, +2 h × the wage.
    for entry in _db.session.scalars(select(TimeEntry).where(TimeEntry.state == "open")):
        entry.state = "approved"
    _db.session.scalars(
        select(Period).where(Period.user_id == world.employee.id)
    ).one().state = "approved"
    _db.session.commit()
    batch = _run(world)
    assert batch.state == "done"
    [correction] = [i for i in _items(batch) if i.change == "correction"]
    assert correction.key == f"sal:2026-11:{kari_tx}:k1"
    assert len(world.sandbox.state.all("salaryTransaction")) == 2
    assert tx_hours(world, timelonn) == hours_by_employee(world)
    assert tx_hours(world, timelonn)[kari_tx] == Decimal("63.5")
    assert tx_amount(world) == sum(expected.values()) + 2 * KARI_WAGE
    # No duplicate: every TiPro key is in exactly one payslip.
    keys = [
        planning_key(s["description"])
        for p in tx_payslips(world)
        for s in p["specs"]
        if s["salaryType"]["id"] == timelonn and s.get("project")
    ]
    assert sorted(keys) == sorted(set(keys)) and len(keys) == 3
    # And again: nothing.
    before = writes(world)
    assert _run(world).state == "done"
    assert writes(world) == before


def planning_key(description: str) -> str:
    from tipro.transfers.plan import key_in_description

    return key_in_description(description)


def test_without_a_salary_type_for_hours_the_transfer_is_refused(salary_world):
    world, _expected = salary_world
    world.salary_types["2001"].is_active = False  # no default by number, nothing chosen
    _db.session.commit()
    for dry_run in (True, False):
        with pytest.raises(services.TransferRefused) as refused:
            services.start(world.admin, "payroll", MONTH, dry_run=dry_run, enqueue_job=False)
        assert "hvilken lønnsart vanlige timer" in refused.value.message
        assert "Lønnsart for timer" in refused.value.message
    assert _db.session.scalar(select(func.count()).select_from(TransferItem)) == 0
    assert world.sandbox.state.all("salaryTransaction") == []
    # The approval pre-flight says so too.
    from tipro.approvals import preflight

    problems = preflight.check(
        world.employee, MONTH, date(2026, 11, 30), fresh=False, payroll_mode="salary"
    )
    assert "hours_salary_type_missing" in [p.code for p in problems if p.blocking]
    # The timesheet mode does not need one.
    world.company.payroll_mode = "timesheet"
    _db.session.commit()
    assert services.start(world.admin, "payroll", MONTH, dry_run=True).total_items > 0


def test_the_chosen_salary_type_for_hours_is_used_and_audited(salary_world):
    world, expected = salary_world
    bonus = world.salary_types["2002"]
    changes = transfer_settings.save_hours_salary_type(world.admin, bonus.id)
    assert changes == {"hours_salary_type_id": [None, bonus.id]}
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.action == "transfer_settings"))
    assert event.changes == {"hours_salary_type_id": [None, bonus.id]}
    assert _run(world).state == "done"
    assert tx_hours(world, bonus.tripletex_id) == hours_by_employee(world)
    assert tx_amount(world) == sum(expected.values())
    # An inactive one is refused with a clear problem, not sent.
    bonus.is_active = False
    _db.session.commit()
    with pytest.raises(services.TransferRefused) as refused:
        services.start(world.admin, "payroll", MONTH, dry_run=True)
    assert "2002 Bonus" in refused.value.message
    with pytest.raises(transfer_settings.UserError):
        transfer_settings.save_hours_salary_type(world.admin, bonus.id)


def test_a_monthly_wage_gets_no_ordinary_hours_only_supplements_and_absence(month_world):
    """Tripletex pays a monthly wage whatever the hours: only supplements and absence go on
    the payslip of someone paid monthly (the seed pays Kari and Ola monthly)."""
    world, _totals = month_world
    world.company.payroll_mode = "salary"
    world.holiday.salary_type_id = world.salary_types["2001"].id
    _db.session.commit()
    batch = _run(world)
    assert batch.state == "done", [(i.key, i.state, i.error_message) for i in _items(batch)]
    timelonn = world.salary_types["2001"].tripletex_id
    assert tx_hours(world, timelonn) == {}
    kari_tx = world.employee.employee.tripletex_id
    [kari] = [s for s in tx_payslips(world) if s["employee"]["id"] == kari_tx]
    assert sorted(s["count"] for s in kari["specs"]) == [1.5, 7.5]  # overtime, holiday


# ----- review findings: hours never vanish from lønnsbilag, nothing marked that was not sent


def test_not_chosen_with_an_hourly_wage_is_paid_by_the_hour(salary_world):
    """remunerationType NOT_CHOSEN with hourlyWage > 0: hourly, its hours are sent."""
    world, expected = salary_world
    state = world.sandbox.state
    kari_tx = world.employee.employee.tripletex_id
    for employment in state.all("employment"):
        if employment["employee"]["id"] == kari_tx:
            for ref in employment["employmentDetails"]:
                state.get("employmentDetails", ref["id"])["remunerationType"] = "NOT_CHOSEN"
    batch = _run(world)
    assert batch.state == "done", [(i.key, i.state, i.error_message) for i in _items(batch)]
    timelonn = world.salary_types["2001"].tripletex_id
    assert tx_hours(world, timelonn) == hours_by_employee(world)
    assert tx_amount(world) == sum(expected.values())


def test_wages_that_could_not_be_read_fail_the_payslip_instead_of_dropping_the_hours(
    month_world,
):
    """The wage read fails (a 400 on the one GET /employee of the plan): nobody is taken for
    monthly-paid; Ola (ordinary hours only) gets a failed payslip with a clear message."""
    world, _totals = month_world
    world.company.payroll_mode = "salary"
    world.holiday.salary_type_id = world.salary_types["2001"].id
    _db.session.commit()
    pay_by_the_hour(world, world.employee, KARI_WAGE)
    pay_by_the_hour(world, world.colleague, OLA_WAGE)
    world.tripletex_faults(
        {
            "rules": [
                {
                    "kind": "error",
                    "times": 1,
                    "status": 400,
                    "code": 1000,
                    "message": "Bad request",
                    "methods": ["GET"],
                    "path_prefix": "/employee",
                }
            ]
        }
    )
    batch = _run(world)
    assert world.sandbox.state.faults.pending() == 0
    assert batch.state == "partial"
    failed = {i.tripletex_employee_id: i for i in _items(batch) if i.state == "failed"}
    ola_tx = world.colleague.employee.tripletex_id
    assert set(failed) == {world.employee.employee.tripletex_id, ola_tx}
    assert failed[ola_tx].error_code == "preflight:wage_unread"
    assert "fikk ikke lest lønnsopplysningene" in failed[ola_tx].error_message
    assert "start en ny overføring" in failed[ola_tx].hint
    assert world.sandbox.state.all("salaryTransaction") == []
    # Nothing of theirs is «transferred».
    assert not _db.session.scalars(select(TimeEntry).where(TimeEntry.state == "transferred")).all()
    # A new transfer reads the wages again and sends everybody's hours.
    again = _run(world)
    assert again.state == "done"
    assert tx_hours(world, world.salary_types["2001"].tripletex_id) == hours_by_employee(world)


def test_the_wage_read_covers_the_employee_an_entry_was_recorded_for(salary_world):
    """desired_salary uses the entry's own employee (else the user's): so does the read."""
    from tipro.transfers.plan import employees_in_salary

    world, _expected = salary_world
    magnus = _db.session.scalar(select(Employee).where(Employee.first_name == "Magnus"))
    entry = world.entry(world.colleague, date(2026, 11, 13), "5", state="approved")
    entry.employee_id = magnus.id  # recorded while Ola's user was linked to Magnus
    _db.session.commit()
    assert magnus.tripletex_id in employees_in_salary(MONTH)


def test_hourly_or_monthly_is_judged_on_each_entrys_date(salary_world):
    """Monthly until 8 November, hourly from the 9th: only the hours from the 9th are sent;
    without details for the person, the hours are planned at 0 kr (the pre-flight fails)."""
    from tipro.models.transfer import MODE_SALARY
    from tipro.transfers.plan import plan

    world, _expected = salary_world
    kari_tx = world.employee.employee.tripletex_id
    ola_tx = world.colleague.employee.tripletex_id
    wages = {
        kari_tx: [
            {"date": "2020-01-01", "remunerationType": "MONTHLY_WAGE", "annualSalary": 560000},
            {"date": "2026-11-09", "remunerationType": "HOURLY_WAGE", "hourlyWage": 300},
        ]
    }
    items = {i.employee_tx: i for i in plan(MODE_SALARY, MONTH, wages=wages)}
    timelonn = world.salary_types["2001"].tripletex_id
    [hours] = [
        s
        for s in items[kari_tx].payload["specifications"]
        if s["salaryType"]["id"] == timelonn and s.get("project")
    ]
    # 9, 10 (7.5 each) and 11 November (9); not the 2nd–6th.
    assert (hours["count"], hours["rate"]) == (24, 300.0)
    ola_specs = items[ola_tx].payload["specifications"]
    assert ola_specs and all(s["rate"] == 0 for s in ola_specs)
    assert items[ola_tx].payload["_wage_unknown"] is True


def test_approved_hours_held_back_by_a_reopened_entry_are_not_marked_transferred(salary_world):
    """A line with a reopened entry keeps what was sent: an approved entry added on that line
    was not sent, so it is neither linked to the payslip nor «transferred»."""
    world, _expected = salary_world
    assert _run(world).state == "done"
    _reopen_change_and_approve(world, world.employee, date(2026, 11, 2), "6")
    new = world.entry(world.employee, date(2026, 11, 13), "3", state="approved")
    _db.session.commit()
    batch = _run(world)
    assert batch.state == "done"
    linked = {link.entry_id for item in _items(batch) for link in item.entries}
    assert new.id not in linked
    assert _db.session.get(TimeEntry, new.id, populate_existing=True).state == "approved"
    # Approved again: the correction carries both, and both become «transferred».
    for entry in _db.session.scalars(select(TimeEntry).where(TimeEntry.state == "open")):
        entry.state = "approved"
    _db.session.commit()
    batch = _run(world)
    [correction] = [i for i in _items(batch) if i.change == "correction"]
    assert new.id in {link.entry_id for link in correction.entries}
    assert _db.session.get(TimeEntry, new.id, populate_existing=True).state == "transferred"
    assert tx_hours(world, world.salary_types["2001"].tripletex_id) == hours_by_employee(world)

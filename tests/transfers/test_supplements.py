"""Project-bound supplements and the optional Tripletex month approval (issue #11)."""

from __future__ import annotations

from datetime import date

from tests.transfers.conftest import MONTH, approve_month, tx_specs, writes
from tipro.extensions import db as _db
from tipro.transfers import services


def _run(world):
    batch = services.start(world.admin, "payroll", MONTH, enqueue_job=False)
    return services.run_inline(batch.id)


def _supplements(world):
    """Overtime on a project entry (twice the same key) and on an entry without project."""
    kari = world.employee
    on_project = world.entry(kari, date(2026, 11, 16), "9", state="approved")
    world.supplement(on_project, world.overtime, "1")
    again = world.entry(kari, date(2026, 11, 16), "1", state="approved")
    world.supplement(again, world.overtime, "0.5")
    internal = world.entry(
        kari, date(2026, 11, 17), "9", project=None, activity="Intern tid", state="approved"
    )
    world.supplement(internal, world.overtime, "1.25")
    _db.session.commit()
    approve_month(world, kari)


def test_supplements_with_a_project_carry_it_and_without_are_aggregated(tx_world):
    world = tx_world
    _supplements(world)
    batch = _run(world)
    assert batch.state == "done", [(i.key, i.state, i.error_message) for i in batch.items]
    kari_tx = world.employee.employee.tripletex_id
    project_tx = world.projects["1001"].tripletex_id
    [with_project] = tx_specs(world, "salaryProjectTypeSpecification")
    assert with_project["employee"]["id"] == kari_tx
    assert with_project["project"]["id"] == project_tx
    assert with_project["activity"]["id"] == world.activities["Snekring"].tripletex_id
    assert with_project["count"] == 1.5  # both entries of the key, one record
    assert with_project["description"].startswith("TiPro spts:")
    [plain] = tx_specs(world, "salaryTypeSpecification")
    assert plain["count"] == 1.25 and plain["date"] == "2026-11-17"
    assert "project" not in plain or not plain.get("project")
    assert world.sandbox.state.violations == []
    # Again: nothing to send.
    before = writes(world)
    assert _run(world).unchanged_count > 0
    assert writes(world) == before


def test_a_lost_project_specification_is_found_by_its_key_not_posted_twice(tx_world):
    world = tx_world
    _supplements(world)
    world.tripletex_faults(
        {
            "rules": [
                {
                    "kind": "lost",
                    "times": 1,
                    "methods": ["POST"],
                    "path_prefix": "/timesheet/salaryProjectTypeSpecification",
                }
            ]
        }
    )
    batch = _run(world)
    assert batch.state == "done"
    assert world.sandbox.state.faults.pending() == 0
    assert len(tx_specs(world, "salaryProjectTypeSpecification")) == 1
    assert world.sandbox.state.count_calls("POST", "/timesheet/salaryProjectTypeSpecification") == 1


def test_a_changed_project_supplement_is_updated_in_place(tx_world):
    world = tx_world
    _supplements(world)
    _run(world)
    from sqlalchemy import select

    from tipro.models import EntrySupplement, TimeEntry

    row = _db.session.scalars(
        select(EntrySupplement)
        .join(TimeEntry, TimeEntry.id == EntrySupplement.entry_id)
        .where(TimeEntry.date == date(2026, 11, 16), EntrySupplement.quantity == 1)
    ).one()
    row.quantity = 2
    _db.session.commit()
    batch = _run(world)
    assert batch.state == "done"
    [spec] = tx_specs(world, "salaryProjectTypeSpecification")
    assert spec["count"] == 2.5
    assert world.sandbox.state.count_calls("POST", "/timesheet/salaryProjectTypeSpecification") == 1


def test_the_company_setting_approves_the_tripletex_month_for_those_sent(month_world):
    world, _totals = month_world
    world.company.transfer_approves_month = True
    _db.session.commit()
    batch = _run(world)
    assert batch.state == "done"
    sent = {world.employee.employee.tripletex_id, world.colleague.employee.tripletex_id}
    statuses = [
        m for m in world.sandbox.state.all("monthlyStatus") if m.get("monthYear") == "2026-11"
    ]
    assert {m["employee"]["id"] for m in statuses if m.get("approved")} == sent
    assert world.sandbox.state.count_calls("PUT", "/timesheet/month/:approve") == 1
    # Approved in Tripletex: the hours are locked there now.
    assert all(e.get("locked") for e in world.sandbox.state.all("timesheetEntry"))


def test_without_the_setting_the_month_is_left_for_the_payroll_officer(month_world):
    world, _totals = month_world
    _run(world)
    assert world.sandbox.state.count_calls("PUT", "/timesheet/month/:approve") == 0

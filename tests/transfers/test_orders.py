"""Orders mode end to end against the sandbox over HTTP: exactly once, priced by the rate
model, corrections in place while open and as correction orders once invoiced."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.transfers.conftest import MONTH, writes
from tipro.extensions import db as _db
from tipro.models import TimeEntry, TransferItem
from tipro.transfers import services

CENT = Decimal("0.01")


def _run(world, **kw):
    batch = services.start(world.admin, "orders", MONTH, enqueue_job=False, **kw)
    if batch.dry_run:
        return batch
    return services.run_inline(batch.id)


def _items(batch):
    return _db.session.scalars(
        select(TransferItem)
        .where(TransferItem.batch_id == batch.id)
        .execution_options(populate_existing=True)
    ).all()


def tx_orders(world) -> list[dict]:
    """The sandbox's orders of the month, each with its lines as stored."""
    state = world.sandbox.state
    out = []
    for order in state.all("order"):
        if not order["orderDate"].startswith("2026-11"):
            continue
        lines = [state.get("orderLine", ref["id"]) for ref in order.get("orderLines") or []]
        out.append({**order, "lines": [ln for ln in lines if ln]})
    return out


def tx_amount(world, project_tx: int | None = None) -> Decimal:
    """Σ amountExcludingVat of the month's order lines (optionally one project's)."""
    return sum(
        (
            Decimal(str(ln["amountExcludingVatCurrency"])).quantize(CENT)
            for o in tx_orders(world)
            if project_tx is None or o["project"]["id"] == project_tx
            for ln in o["lines"]
        ),
        Decimal("0"),
    )


@pytest.fixture
def orders_world(month_world):
    """The November scene plus billable work priced three ways and a billable supplement.

    Returns (world, {project number: TiPro's approved billable amount}).
    """
    world, _totals = month_world
    kari = world.employee
    world.tripletex_switches = lambda **kw: world._control("POST", "/switches", kw)
    # 1002 has a fixed hourly rate (995); 1005 uses the activity's rate (Snekring 850).
    world.entry(kari, date(2026, 11, 13), "4", project="1002", state="approved")
    world.entry(kari, date(2026, 11, 16), "5", project="1005", state="approved")
    # Not billable: an internal project, and a non-chargeable activity.
    world.entry(
        kari, date(2026, 11, 17), "2", project="1009", activity="Reisetid", state="approved"
    )
    world.entry(
        kari, date(2026, 11, 17), "1", project="1001", activity="Reisetid", state="approved"
    )
    # Kilometres on 1001, billed by the product KM-1 (4.50 per km).
    km = world.supplement_type(
        "Kjøring", unit="km", billable=True, product_id=world.products["KM-1"].id
    )
    driving = world.entry(kari, date(2026, 11, 18), "2", project="1001", state="approved")
    world.supplement(driving, km, "30")
    _db.session.commit()  # Kari's November is approved already (the scene)
    hours_1001 = Decimal("7.5") * 7 + Decimal("7.25") * 7 + 9 + 2
    expected = {
        "1001": hours_1001 * 890 + 30 * Decimal("4.5"),  # project-specific rate for Snekring
        "1002": 4 * Decimal("995"),
        "1005": 5 * Decimal("850"),
    }
    return world, expected


def test_a_month_of_orders_matches_tipros_billable_totals_to_the_ore(orders_world):
    world, expected = orders_world
    world.tripletex_switches(orderCreateOmitsLines=True)  # read back, not the answer
    batch = _run(world)
    assert batch.state == "done", [(i.key, i.state, i.error_message) for i in _items(batch)]
    orders = tx_orders(world)
    assert sorted(o["project"]["id"] for o in orders) == sorted(
        world.projects[n].tripletex_id for n in expected
    )
    for number, amount in expected.items():
        assert tx_amount(world, world.projects[number].tripletex_id) == amount, number
    # The customer is the project's; every line has a VAT type, the key is findable.
    for order in orders:
        project = next(
            p for p in world.projects.values() if p.tripletex_id == order["project"]["id"]
        )
        assert order["customer"]["id"] == project.customer.tripletex_id
        assert order["deliveryComment"].startswith("TiPro ord:2026-11:")
        assert all(ln["vatType"]["id"] == 3 for ln in order["lines"])
    kari_lines = [ln for o in orders for ln in o["lines"] if "Kari" in ln["description"]]
    assert any("02.11.2026" in ln["description"] for ln in kari_lines)
    assert world.sandbox.state.count_calls("POST", "/order/list") == 1
    assert world.sandbox.state.violations == []
    # Orders do not mark the employees' hours as transferred (that is the payroll's word).
    assert "transferred" not in set(_db.session.scalars(select(TimeEntry.state).distinct()))


def test_running_orders_again_sends_no_write(orders_world):
    world, _expected = orders_world
    _run(world)
    before = writes(world)
    again = _run(world)
    assert again.state == "done"
    assert again.unchanged_count == again.total_items > 0
    assert writes(world) == before


def test_dry_run_of_orders_sends_nothing_and_matches_the_real_run(orders_world):
    world, expected = orders_world
    before = writes(world)
    dry = _run(world, dry_run=True)
    assert writes(world) == before and not tx_orders(world)
    real = _run(world)

    def plan_of(batch):
        return sorted((i.key, i.operation, i.payload_hash) for i in _items(batch))

    assert plan_of(dry) == plan_of(real)
    assert tx_amount(world) == sum(expected.values())


def test_grouping_per_project_and_employee(orders_world):
    world, expected = orders_world
    world.company.order_grouping = "project_employee"
    _db.session.commit()
    batch = _run(world)
    assert batch.state == "done"
    p1001 = world.projects["1001"].tripletex_id
    on_1001 = [o for o in tx_orders(world) if o["project"]["id"] == p1001]
    assert len(on_1001) == 2  # Kari and Ola
    assert tx_amount(world) == sum(expected.values())


def test_a_lost_order_list_response_is_reconciled_one_order_per_key(orders_world):
    world, expected = orders_world
    world.tripletex_faults({"rules": [{"kind": "lost", "times": 1, "path_prefix": "/order/list"}]})
    batch = _run(world)
    assert batch.state == "done", [(i.key, i.state, i.error_message) for i in _items(batch)]
    assert world.sandbox.state.faults.pending() == 0
    assert world.sandbox.state.count_calls("POST", "/order/list") == 1
    keys = [o["deliveryComment"] for o in tx_orders(world)]
    assert len(keys) == len(set(keys)) == len(expected)
    assert tx_amount(world) == sum(expected.values())


def test_an_order_list_that_never_arrived_is_sent_again_after_the_read(orders_world):
    world, expected = orders_world
    world.tripletex_faults(
        {
            "rules": [
                {
                    "kind": "5xx",
                    "times": 1,
                    "status": 503,
                    "methods": ["POST"],
                    "path_prefix": "/order/list",
                }
            ]
        }
    )
    batch = _run(world)
    assert batch.state == "done"
    assert world.sandbox.state.faults.pending() == 0
    # Nothing was stored; the read said so; then it was sent (by the client or by TiPro).
    assert tx_amount(world) == sum(expected.values())
    assert len(tx_orders(world)) == len(expected)


def _change_hours(world, day: date, hours: str) -> None:
    entry = _db.session.scalars(
        select(TimeEntry).where(TimeEntry.user_id == world.colleague.id, TimeEntry.date == day)
    ).one()
    entry.hours = Decimal(hours)
    _db.session.commit()


def test_a_correction_on_an_open_order_updates_its_lines_in_place(orders_world):
    world, expected = orders_world
    _run(world)
    posts = world.sandbox.state.count_calls("POST")
    _change_hours(world, date(2026, 11, 2), "5")  # Ola: 7.25 → 5 on 1001
    batch = _run(world)
    assert batch.state == "done"
    changed = [i for i in _items(batch) if i.change == "changed"]
    assert [i.operation for i in changed] == ["update"]
    assert world.sandbox.state.count_calls("PUT", "/order/") >= 1
    assert world.sandbox.state.count_calls("POST") == posts  # no new order
    assert len(tx_orders(world)) == len(expected)
    want = sum(expected.values()) - Decimal("2.25") * 890
    assert tx_amount(world) == want
    assert world.sandbox.state.violations == []


def test_a_correction_on_an_invoiced_order_is_a_correction_order_for_the_difference(
    orders_world,
):
    world, expected = orders_world
    first = _run(world)
    p1001 = world.projects["1001"].tripletex_id
    [invoiced] = [o for o in tx_orders(world) if o["project"]["id"] == p1001]
    world.tripletex_update("order", invoiced["id"], isClosed=True)
    before_lines = [dict(ln) for ln in invoiced["lines"]]
    _change_hours(world, date(2026, 11, 2), "5")  # −2.25 h
    _change_hours(world, date(2026, 11, 3), "8")  # +0.75 h

    batch = _run(world)
    assert batch.state == "done", [(i.key, i.state, i.error_message) for i in _items(batch)]
    on_1001 = [o for o in tx_orders(world) if o["project"]["id"] == p1001]
    assert len(on_1001) == 2
    correction = next(o for o in on_1001 if o["id"] != invoiced["id"])
    assert correction["deliveryComment"].endswith(":k1")
    assert sorted(ln["count"] for ln in correction["lines"]) == [-2.25, 0.75]
    untouched = next(o for o in on_1001 if o["id"] == invoiced["id"])
    assert [ln["count"] for ln in untouched["lines"]] == [ln["count"] for ln in before_lines]
    want_1001 = expected["1001"] - Decimal("1.5") * 890
    assert tx_amount(world, p1001) == want_1001
    assert tx_amount(world) == sum(expected.values()) - Decimal("1.5") * 890
    assert world.sandbox.state.violations == []
    # And again: nothing more to send; the next change goes into the open correction order.
    before = writes(world)
    assert _run(world).state == "done"
    assert writes(world) == before
    _change_hours(world, date(2026, 11, 4), "7")
    again = _run(world)
    assert again.state == "done"
    assert len([o for o in tx_orders(world) if o["project"]["id"] == p1001]) == 2
    assert tx_amount(world, p1001) == want_1001 - Decimal("0.25") * 890
    assert first.id != again.id


def test_an_order_line_without_a_price_fails_alone_with_its_hint(orders_world):
    world, expected = orders_world
    snekring = world.activities["Snekring"]
    snekring.rate = None  # 1005 has no rate model: only the employee's own rate is left
    _db.session.commit()
    world.tripletex_update(
        "hourlyCostAndRate",
        world.tx_id("hourlyCostAndRate", employee={"id": world.employee.employee.tripletex_id}),
        rate=0.0,
    )
    batch = _run(world)
    assert batch.state == "partial"
    [failed] = [i for i in _items(batch) if i.state == "failed"]
    assert failed.error_code == "preflight:price_missing"
    assert failed.hint
    p1005 = world.projects["1005"].tripletex_id
    assert not [o for o in tx_orders(world) if o["project"]["id"] == p1005]
    assert tx_amount(world) == expected["1001"] + expected["1002"]


def test_the_employees_own_rate_valid_on_the_date_prices_the_line(orders_world):
    world, expected = orders_world
    world.activities["Snekring"].rate = None
    _db.session.commit()
    world._control(
        "POST",
        "/data/hourlyCostAndRate",
        {
            "employee": {"id": world.employee.employee.tripletex_id},
            "date": "2026-11-16",
            "rate": 910.0,
            "budgetRate": 910.0,
            "hourCostRate": 400.0,
        },
    )
    batch = _run(world)
    assert batch.state == "done"
    p1005 = world.projects["1005"].tripletex_id
    assert tx_amount(world, p1005) == 5 * Decimal("910")


def test_orders_go_in_chunks_through_the_list_endpoint(orders_world, monkeypatch):
    from tipro.transfers import runner

    world, expected = orders_world
    monkeypatch.setattr(runner, "CHUNK", 2)  # 3 orders: 2 + 1
    batch = _run(world)
    assert batch.state == "done"
    assert world.sandbox.state.count_calls("POST", "/order/list") == 2
    assert tx_amount(world) == sum(expected.values())
    rows = services.export_rows(batch.id)
    assert len(rows) == 3 and all(r["tripletex_id"] for r in rows)
    assert all("_lines" not in r["payload"] for r in rows)
    assert sum(Decimal(str(r["quantity"])) for r in rows) > 0


def test_a_lost_answer_to_an_order_update_is_confirmed_by_reading(orders_world):
    world, expected = orders_world
    _run(world)
    _change_hours(world, date(2026, 11, 2), "5")
    world.tripletex_faults(
        {"rules": [{"kind": "lost", "times": 1, "methods": ["PUT"], "path_prefix": "/order/"}]}
    )
    batch = _run(world)
    assert batch.state == "done", [(i.key, i.state, i.error_message) for i in _items(batch)]
    assert world.sandbox.state.faults.pending() == 0
    assert world.sandbox.state.count_calls("PUT", "/order/") == 1  # not sent again
    assert len(tx_orders(world)) == len(expected)
    assert tx_amount(world) == sum(expected.values()) - Decimal("2.25") * 890


def test_reopened_hours_keep_their_order_lines_until_approved_again(orders_world):
    world, expected = orders_world
    _run(world)
    entry = _db.session.scalars(
        select(TimeEntry).where(
            TimeEntry.user_id == world.colleague.id, TimeEntry.date == date(2026, 11, 2)
        )
    ).one()
    entry.state = "open"
    entry.hours = Decimal("1")
    _db.session.commit()
    before = writes(world)
    again = _run(world)
    assert again.state == "done"
    assert writes(world) == before
    assert tx_amount(world) == sum(expected.values())


def test_one_reopened_entry_of_a_shared_line_keeps_the_line_as_sent(orders_world):
    """Kari has two entries per day on the same line (4 h + 3.5 h): one reopened must not add
    the other's hours on top of what was sent."""
    world, expected = orders_world
    _run(world)
    entry = _db.session.scalars(
        select(TimeEntry).where(
            TimeEntry.user_id == world.employee.id,
            TimeEntry.date == date(2026, 11, 2),
            TimeEntry.hours == Decimal("4"),
        )
    ).one()
    entry.state = "open"
    entry.hours = Decimal("1")
    _db.session.commit()
    before = writes(world)
    batch = _run(world)
    assert batch.state == "done"
    assert writes(world) == before
    assert tx_amount(world) == sum(expected.values())
    # The approved 3.5 h on the held line went nowhere: not linked to the order's item.
    partner = _db.session.scalars(
        select(TimeEntry).where(
            TimeEntry.user_id == world.employee.id,
            TimeEntry.date == date(2026, 11, 2),
            TimeEntry.hours == Decimal("3.5"),
        )
    ).one()
    linked = {link.entry_id for item in _items(batch) for link in item.entries}
    assert partner.id not in linked and linked

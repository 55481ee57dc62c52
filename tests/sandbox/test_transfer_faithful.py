"""The sandbox behaves as the real Tripletex does where the transfer (issue #11) meets it.

Driven over HTTP through tipro.tripletex.api's typed calls (so our requests are spec-checked too:
by the sandbox, and by the `rec` fixture's query check) and the /_sandbox control API.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import requests

from tests.tripletex.conftest import make_client
from tipro.tripletex.errors import (
    Conflict,
    OutcomeUnknown,
    PermissionDenied,
    ValidationFailed,
)
from tipro.tripletex.types import (
    NewOrder,
    NewOrderLine,
    NewPayslip,
    NewSalaryProjectTypeSpecification,
    NewSalarySpecification,
    NewSalaryTransaction,
    NewSalaryTypeSpecification,
    NewTimesheetEntry,
)

MARCH, APRIL, MAY = date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1)


def control(sandbox: Any, path: str, body: Any = None) -> Any:
    """POST to the sandbox's control API; returns the JSON answer."""
    resp = requests.post(f"{sandbox.root_url}/_sandbox{path}", json=body or {}, timeout=10)
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


@pytest.fixture
def ids(tx):
    """Demo ids looked up through the typed calls."""
    people = {e["firstName"]: e["id"] for e in tx.list_employees()}
    projects = {p["number"]: p for p in tx.list_projects()}
    activities = {a["name"]: a["id"] for a in tx.list_activities()}
    salary_types = {s["number"]: s["id"] for s in tx.list_salary_types()}
    products = {p["number"]: p["id"] for p in tx.list_products()}
    return {
        **people,
        "p1001": projects["1001"]["id"],
        "p1002": projects["1002"]["id"],
        "p1004": projects["1004"]["id"],
        "skoyen": projects["1001"]["customer"]["id"],
        "lysaker": projects["1002"]["customer"]["id"],
        **activities,
        "overtid50": salary_types["2005"],
        "timelonn": salary_types["2001"],
        "bonus": salary_types["2002"],  # not shown in the time sheet
        "product": products["T-100"],
    }


def entry(ids, day: date, hours: float = 7.5, *, who: str = "Kari", project: str = "p1001"):
    return NewTimesheetEntry(
        employee_id=ids[who], activity_id=ids["Snekring"], project_id=ids[project], date=day,
        hours=hours,
    )  # fmt: skip


def order(ids, key: str, *lines: NewOrderLine, customer="skoyen", project="p1001", day=None):
    day = day or date(2025, 3, 31)
    return NewOrder(
        customer_id=ids[customer],
        project_id=ids[project],
        order_date=day,
        delivery_date=day,
        delivery_comment=key,
        lines=list(lines),
    )


def line(count: float, price: float = 890.0, **kw) -> NewOrderLine:
    return NewOrderLine(count=count, unit_price_excluding_vat=price, **kw)


# ----- /timesheet/salaryProjectTypeSpecification -------------------------------------------


def test_salary_project_type_specification_crud_filters_and_no_uniqueness(sandbox, tx, ids):
    def spec(day, count=2.0, activity="Snekring", key="tipro:1"):
        return NewSalaryProjectTypeSpecification(
            employee_id=ids["Kari"],
            salary_type_id=ids["overtid50"],
            date=day,
            count=count,
            project_id=ids["p1001"],
            activity_id=ids[activity] if activity else None,
            description=key,
        )

    first = tx.create_salary_project_type_specification(spec(date(2025, 3, 3)))
    # No uniqueness rule: the same key again is a second row (the transfer must search first).
    again = tx.create_salary_project_type_specification(spec(date(2025, 3, 3)))
    no_activity = tx.create_salary_project_type_specification(
        spec(date(2025, 3, 4), activity=None, key="tipro:2")
    )
    tx.create_salary_project_type_specification(spec(date(2025, 4, 1), key="tipro:3"))
    assert first["id"] != again["id"] and first["description"] == again["description"]

    def listed(**kw):
        found = tx.list_salary_project_type_specifications(MARCH, APRIL, **kw)
        return sorted(s["id"] for s in found)

    assert listed() == sorted([first["id"], again["id"], no_activity["id"]])  # To exclusive
    assert listed(employee_id=ids["Ola"]) == []
    assert listed(project_id=ids["p1002"]) == []
    assert listed(activity_id=ids["Snekring"]) == sorted([first["id"], again["id"]])
    assert listed(activity_id=ids["Snekring"], include_not_connected_to_activities=True) == sorted(
        [first["id"], again["id"], no_activity["id"]]
    )
    got = tx.get_salary_project_type_specification(first["id"])
    assert (got["project"]["id"], got["activity"]["id"], got["count"]) == (
        ids["p1001"],
        ids["Snekring"],
        2.0,
    )
    updated = tx.update_salary_project_type_specification(
        first["id"], spec(date(2025, 3, 3), count=3.5), version=0
    )
    assert (updated["count"], updated["version"]) == (3.5, 1)
    with pytest.raises(Conflict) as stale:
        tx.update_salary_project_type_specification(first["id"], spec(MARCH), version=0)
    assert stale.value.is_stale
    tx.delete_salary_project_type_specification(again["id"])
    assert again["id"] not in listed()

    bonus = NewSalaryProjectTypeSpecification(
        employee_id=ids["Kari"], salary_type_id=ids["bonus"], date=MARCH, count=1.0
    )
    with pytest.raises(ValidationFailed) as hidden:
        tx.create_salary_project_type_specification(bonus)
    assert hidden.value.validation_messages[0].field == "salaryType"
    sandbox.state.set_module("salary", False)
    with pytest.raises(PermissionDenied):
        tx.list_salary_project_type_specifications(MARCH, APRIL)


# ----- order lines, order update, filters --------------------------------------------------


def test_order_line_crud_and_list(sandbox, tx, ids):
    made = tx.create_order(order(ids, "tipro:o1", line(7.5)))
    (initial,) = tx.get_order_detail(made["id"])["orderLines"]
    other = tx.create_order(order(ids, "tipro:o2", line(1.0), customer="lysaker", project="p1002"))
    added = tx.create_order_line(made["id"], line(2.0, 100.0, vat_type_id=3, description="Km"))
    assert added["amountExcludingVatCurrency"] == 200.0
    assert added["amountIncludingVatCurrency"] == 250.0
    pair = tx.create_order_lines(
        [(made["id"], line(1.0, 50.0, vat_type_id=3)), (other["id"], line(3.0, vat_type_id=3))]
    )
    assert [ln["order"]["id"] for ln in pair] == [made["id"], other["id"]]
    assert sandbox.state.count_calls("POST", "/order/orderline/list") == 1

    got = tx.get_order_line(added["id"])
    assert (got["order"]["id"], got["count"], got["description"]) == (made["id"], 2.0, "Km")
    changed = tx.update_order_line(
        added["id"], made["id"], line(4.0, 100.0, vat_type_id=3, description="Km"), version=0
    )
    assert (changed["count"], changed["amountExcludingVatCurrency"], changed["version"]) == (
        4.0,
        400.0,
        1,
    )
    tx.delete_order_line(pair[0]["id"])
    lines = tx.get_order_detail(made["id"])["orderLines"]
    assert [ln["id"] for ln in lines] == [initial["id"], added["id"]]
    assert sum(ln["amountExcludingVatCurrency"] for ln in lines) == 6675.0 + 400.0


def test_update_order_with_lines_updates_in_place_creates_and_removes(tx, ids):
    made = tx.create_order(order(ids, "tipro:o1", line(7.5), line(2.0)))
    first, second = (ln["id"] for ln in tx.get_order_detail(made["id"])["orderLines"])
    new = order(ids, "tipro:o1", line(8.0), line(1.0, 500.0, vat_type_id=3))
    tx.update_order(made["id"], new, version=made["version"], line_ids=[first, None])
    lines = tx.get_order_detail(made["id"])["orderLines"]
    assert lines[0]["id"] == first and lines[0]["count"] == 8.0  # kept, changed in place
    assert second not in [ln["id"] for ln in lines]  # left out: removed
    assert lines[1]["amountExcludingVatCurrency"] == 500.0  # created
    assert len(lines) == 2
    with pytest.raises(Conflict) as stale:
        tx.update_order(made["id"], new, version=made["version"])
    assert stale.value.is_stale


def test_order_filters_and_read_back_with_lines(sandbox, tx, ids):
    a = tx.create_order(order(ids, "tipro:2025-03:p1001", line(7.5)))
    b = tx.create_order(
        order(ids, "tipro:2025-03:p1002", line(1.0), customer="lysaker", project="p1002")
    )
    c = tx.create_order(order(ids, "tipro:2025-04:p1001", line(1.0), day=APRIL))

    def found(frm=MARCH, to=APRIL, **kw):
        return sorted(o["id"] for o in tx.find_orders(frm, to, **kw))

    assert found() == sorted([a["id"], b["id"]])  # orderDateTo is exclusive
    assert found(to=MAY) == sorted([a["id"], b["id"], c["id"]])
    assert found(to=MAY, delivery_comment="2025-03") == sorted([a["id"], b["id"]])  # containing
    assert found(delivery_comment="tipro:2025-03:p1002") == [b["id"]]
    assert found(number=a["number"]) == [a["id"]]
    assert found(ids=[b["id"]]) == [b["id"]]
    assert found(customer_id=ids["lysaker"]) == [b["id"]]
    assert found(is_closed=True) == []
    assert found(is_closed=False) == sorted([a["id"], b["id"]])
    api = requests.get(
        f"{sandbox.base_url}/order",
        params={
            "orderDateFrom": "2025-03-01",
            "orderDateTo": "2025-04-01",
            "id": str(a["id"]),
            "fields": "*,orderLines(*)",
        },
        auth=("0", tx.session_token()),
        timeout=10,
    ).json()
    assert api["values"][0]["orderLines"][0]["count"] == 7.5
    assert api["values"][0]["orderLines"][0]["vatType"]["id"] == 3


@pytest.mark.sandbox_violations_expected  # the missing parameter is recorded, as it should be
def test_order_list_needs_the_date_window(sandbox, tx):
    resp = requests.get(
        f"{sandbox.base_url}/order",
        params={"orderDateFrom": "2025-03-01"},
        auth=("0", tx.session_token()),
        timeout=10,
    )
    assert resp.status_code == 422


@pytest.mark.parametrize("batch", [False, True])
def test_create_may_answer_without_lines(sandbox, tx, ids, batch):
    assert control(sandbox, "/switches", {"orderCreateOmitsLines": True})["orderCreateOmitsLines"]
    new = order(ids, "tipro:o1", line(7.5), line(1.0))
    made = tx.create_orders([new])[0] if batch else tx.create_order(new)
    assert made["orderLines"] == []  # as answered…
    assert len(tx.get_order_detail(made["id"])["orderLines"]) == 2  # …but created


def test_invoiced_order_is_closed_and_refuses_lines_and_changes(sandbox, tx, ids):
    made = tx.create_order(order(ids, "tipro:o1", line(7.5)))
    line_id = tx.get_order_detail(made["id"])["orderLines"][0]["id"]
    control(sandbox, "/switches", {"bankAccountRegistered": False})
    with pytest.raises(ValidationFailed):
        tx.invoice_order(made["id"], date(2025, 4, 2))
    control(sandbox, "/switches", {"bankAccountRegistered": True})
    invoice = tx.invoice_order(made["id"], date(2025, 4, 2))
    assert invoice["orders"][0]["id"] == made["id"] and invoice["amountExcludingVat"] == 6675.0
    detail = tx.get_order_detail(made["id"])
    assert detail["isClosed"] is True and detail["orderLines"][0]["isCharged"] is True
    assert [o["id"] for o in tx.find_orders(MARCH, APRIL, is_closed=True)] == [made["id"]]
    refused = [
        lambda: tx.create_order_line(made["id"], line(1.0, vat_type_id=3)),
        lambda: tx.create_order_lines([(made["id"], line(1.0, vat_type_id=3))]),
        lambda: tx.update_order_line(line_id, made["id"], line(9.0)),
        lambda: tx.delete_order_line(line_id),
        lambda: tx.update_order(made["id"], order(ids, "tipro:o1", line(9.0))),
        lambda: tx.delete_order(made["id"]),
        lambda: tx.invoice_order(made["id"], date(2025, 4, 3)),
    ]
    for call in refused:
        with pytest.raises(Conflict) as info:
            call()
        assert info.value.is_locked and info.value.status == 409
    after = tx.get_order_detail(made["id"])
    assert [(ln["id"], ln["count"]) for ln in after["orderLines"]] == [(line_id, 7.5)]


def test_lines_without_vat_type_get_the_company_default(sandbox, tx, ids):
    free = line(2.0, 100.0, description="Fritekst")  # no product, no vatType
    with_product = line(1.0, 100.0, product_id=ids["product"])
    made = tx.create_order(order(ids, "tipro:o1", free, with_product))
    first, second = tx.get_order_detail(made["id"])["orderLines"]
    assert first["vatType"]["id"] == 3 and first["amountIncludingVatCurrency"] == 250.0
    assert second["vatType"]["id"] == 3  # the product's
    assert control(sandbox, "/switches", {"defaultVatTypeId": 5})["defaultVatTypeId"] == 5
    zero = tx.create_order(order(ids, "tipro:o2", free))
    (zero_line,) = tx.get_order_detail(zero["id"])["orderLines"]
    assert zero_line["vatType"]["id"] == 5
    assert zero_line["amountIncludingVatCurrency"] == zero_line["amountExcludingVatCurrency"]
    bad = requests.post(
        f"{sandbox.root_url}/_sandbox/switches", json={"defaultVatTypeId": 999}, timeout=10
    )
    assert bad.status_code == 422


# ----- locked timesheet entries ------------------------------------------------------------


def test_month_approval_locks_up_to_approved_until_date(tx, ids):
    early = tx.create_timesheet_entry(entry(ids, date(2025, 3, 10)))
    late = tx.create_timesheet_entry(entry(ids, date(2025, 3, 20)))
    tx.approve_month([ids["Kari"]], "2025-03", approved_until_date=date(2025, 3, 15))
    assert tx.get_timesheet_entry(early["id"])["locked"] is True
    assert tx.get_timesheet_entry(late["id"])["locked"] is False
    for call in (
        lambda: tx.update_timesheet_entry(early["id"], entry(ids, date(2025, 3, 10), 1)),
        lambda: tx.delete_timesheet_entry(early["id"]),
        lambda: tx.create_timesheet_entry(entry(ids, date(2025, 3, 15), who="Kari")),
    ):
        with pytest.raises(Conflict) as info:
            call()
        assert (info.value.status, info.value.code) == (409, 10000)
    tx.update_timesheet_entry(late["id"], entry(ids, date(2025, 3, 20), 6.0))
    tx.create_timesheet_entry(entry(ids, date(2025, 3, 16)))
    other = tx.create_timesheet_entry(entry(ids, date(2025, 3, 10), who="Ola"))
    assert other["locked"] is False  # another employee's month
    tx.unapprove_month([ids["Kari"]], "2025-03")
    assert tx.get_timesheet_entry(early["id"])["locked"] is False


def test_invoiced_hours_are_locked(sandbox, tx, ids):
    billed = tx.create_timesheet_entry(entry(ids, date(2025, 3, 10)))
    open_ = tx.create_timesheet_entry(entry(ids, date(2025, 3, 11)))
    answer = control(sandbox, "/timesheet/invoice", {"entryIds": [billed["id"]]})
    assert answer["entryIds"] == [billed["id"]] and answer["invoiceId"]
    got = tx.get_timesheet_entry(billed["id"])
    assert got["locked"] is True
    for call in (
        lambda: tx.update_timesheet_entry(billed["id"], entry(ids, date(2025, 3, 10), 1)),
        lambda: tx.delete_timesheet_entry(billed["id"]),
    ):
        with pytest.raises(Conflict) as info:
            call()
        assert info.value.is_locked and "fakturert" in info.value.message
    assert tx.get_timesheet_entry(open_["id"])["locked"] is False
    # By selection: the month's remaining hours of Kari on the project.
    more = control(
        sandbox,
        "/timesheet/invoice",
        {"employeeIds": [ids["Kari"]], "monthYear": "2025-03", "projectId": ids["p1001"]},
    )
    assert more["entryIds"] == [open_["id"]]


def test_payroll_run_locks_hours_and_specifications(sandbox, tx, ids):
    hours = tx.create_timesheet_entry(entry(ids, date(2025, 3, 10)))
    spec = tx.create_salary_type_specification(
        NewSalaryTypeSpecification(ids["Kari"], ids["overtid50"], date(2025, 3, 10), 2.0)
    )
    pspec = tx.create_salary_project_type_specification(
        NewSalaryProjectTypeSpecification(
            ids["Kari"], ids["overtid50"], date(2025, 3, 10), 2.0, project_id=ids["p1001"]
        )
    )
    april = tx.create_timesheet_entry(entry(ids, date(2025, 4, 1)))
    paid = control(
        sandbox, "/timesheet/payroll", {"employeeIds": [ids["Kari"]], "monthYear": "2025-03"}
    )
    assert paid["entryIds"] == [hours["id"]]
    assert paid["salaryTypeSpecificationIds"] == [spec["id"]]
    assert paid["salaryProjectTypeSpecificationIds"] == [pspec["id"]]
    assert tx.get_timesheet_entry(hours["id"])["locked"] is True
    for call in (
        lambda: tx.update_timesheet_entry(hours["id"], entry(ids, date(2025, 3, 10), 1)),
        lambda: tx.delete_salary_type_specification(spec["id"]),
        lambda: tx.delete_salary_project_type_specification(pspec["id"]),
    ):
        with pytest.raises(Conflict) as info:
            call()
        assert info.value.is_locked and "utbetalt" in info.value.message
    assert tx.get_timesheet_entry(april["id"])["locked"] is False
    # New hours in a paid month are still accepted (the next run pays them).
    tx.create_timesheet_entry(entry(ids, date(2025, 3, 11)))


def test_second_entry_on_the_same_key_is_409_7000(tx, ids):
    tx.create_timesheet_entry(entry(ids, date(2025, 3, 10)))
    for call in (
        lambda: tx.create_timesheet_entry(entry(ids, date(2025, 3, 10), 2.0)),
        lambda: tx.create_timesheet_entries([entry(ids, date(2025, 3, 10), 2.0)]),
    ):
        with pytest.raises(Conflict) as info:
            call()
        assert (info.value.status, info.value.code) == (409, 7000) and info.value.is_duplicate
    # Another project, activity or day is another key.
    tx.create_timesheet_entry(entry(ids, date(2025, 3, 10), project="p1002"))
    assert len(tx.list_timesheet_entries(MARCH, APRIL, ids["Kari"])) == 2


# ----- rates --------------------------------------------------------------------------------


def test_rates_follow_their_start_dates(sandbox, tx, ids):
    ola = ids["Ola"]
    (seeded,) = tx.list_hourly_cost_and_rates(ola)  # valid from the employment start
    old_rate = seeded["rate"]
    assert seeded["date"] < "2025-03-07" and old_rate != 999.0
    # Without an activity rate, 1004 (predefined rates) falls back to the employee's rate.
    snekring = ids["Snekring"]
    resp = requests.patch(
        f"{sandbox.root_url}/_sandbox/data/activity/{snekring}", json={"rate": None}, timeout=10
    )
    assert resp.status_code == 200
    requests.post(
        f"{sandbox.root_url}/_sandbox/data/hourlyCostAndRate",
        json={"employee": {"id": ola}, "date": "2025-03-10", "rate": 999.0, "hourCostRate": 500.0},
        timeout=10,
    ).raise_for_status()
    rates = tx.list_hourly_cost_and_rates(ola)
    assert sorted((r["date"], r["rate"]) for r in rates) == [
        (seeded["date"], old_rate),
        ("2025-03-10", 999.0),
    ]

    def rate(day: date, project: str = "p1004") -> float:
        return tx.create_timesheet_entry(entry(ids, day, who="Ola", project=project))["hourlyRate"]

    assert rate(date(2025, 3, 12)) == 999.0
    assert rate(date(2025, 3, 7)) == old_rate  # created later, valid on its own date

    # A project rate model from a start date; the older model stays for earlier dates.
    control(
        sandbox,
        "/project/hourly-rate",
        {
            "projectId": ids["p1002"],
            "startDate": "2025-04-01",
            "hourlyRateModel": "TYPE_FIXED_HOURLY_RATE",
            "fixedRate": 1100.0,
        },
    )
    models = tx.list_hourly_rates([ids["p1002"]])
    assert sorted((m["startDate"], m.get("fixedRate")) for m in models) == [
        ("2024-09-01", 995.0),
        ("2025-04-01", 1100.0),
    ]
    assert rate(date(2025, 3, 31), "p1002") == 995.0
    assert rate(date(2025, 4, 1), "p1002") == 1100.0


# ----- salary transactions and payslips ------------------------------------------------------


def transaction(ids, who: str, year: int, month: int, count: float = 10.0):
    return NewSalaryTransaction(
        date=date(year, month, 28),
        year=year,
        month=month,
        payslips=[
            NewPayslip(
                employee_id=ids[who],
                specifications=[
                    NewSalarySpecification(
                        ids["timelonn"], rate=300.0, count=count, description=f"tipro:{who}"
                    )
                ],
            )
        ],
    )


def test_salary_transaction_delete_refused_once_the_period_is_locked(sandbox, tx, ids):
    made = tx.create_salary_transaction(transaction(ids, "Magnus", 2025, 3))
    control(sandbox, "/switches", {"lockedSalaryPeriods": ["2025-03"]})
    with pytest.raises(Conflict) as info:
        tx.delete_salary_transaction(made["id"])
    assert (info.value.status, info.value.code) == (409, 10000)
    with pytest.raises(Conflict):
        tx.create_salary_transaction(transaction(ids, "Magnus", 2025, 3, 1.0))
    assert len(tx.list_payslips(wage_transaction_id=made["id"])) == 1
    control(sandbox, "/switches", {"lockedSalaryPeriods": []})
    tx.delete_salary_transaction(made["id"])
    assert len(tx.list_payslips(wage_transaction_id=made["id"])) == 0


def test_payslip_filters(tx, ids):
    feb = tx.create_salary_transaction(transaction(ids, "Magnus", 2025, 2))
    mar = tx.create_salary_transaction(transaction(ids, "Magnus", 2025, 3))
    kari = tx.create_salary_transaction(transaction(ids, "Kari", 2025, 3))
    old = tx.create_salary_transaction(transaction(ids, "Magnus", 2024, 3))

    def slips(**kw):
        return sorted(p["transaction"]["id"] for p in tx.list_payslips(**kw))

    assert slips(employee_id=ids["Magnus"]) == sorted([feb["id"], mar["id"], old["id"]])
    assert slips(employee_id=[ids["Magnus"], ids["Kari"]], year_from=2025) == sorted(
        [feb["id"], mar["id"], kari["id"]]
    )
    assert slips(wage_transaction_id=[mar["id"], kari["id"]]) == sorted([mar["id"], kari["id"]])
    assert slips(year_from=2025, year_to=2026, month_from=3, month_to=4) == sorted(
        [mar["id"], kari["id"]]
    )
    assert slips(year_to=2025) == [old["id"]]  # To exclusive
    assert slips(month_from=2, month_to=3) == [feb["id"]]
    found = tx.list_payslips(employee_id=ids["Kari"], year_from=2025, month_from=3)
    assert found.values[0]["specifications"][0]["description"] == "tipro:Kari"


# ----- week approval -------------------------------------------------------------------------


def test_week_approval_can_answer_403(sandbox, tx, ids):
    hours = tx.create_timesheet_entry(entry(ids, date(2025, 3, 10)))  # ISO week 2025-11
    control(sandbox, "/switches", {"weekApprovalForbidden": True})
    with pytest.raises(PermissionDenied) as info:
        tx.approve_week(ids["Kari"], "2025-11")
    assert (info.value.status, info.value.code) == (403, 9000)
    assert tx.get_timesheet_entry(hours["id"])["locked"] is False
    control(sandbox, "/switches", {"weekApprovalForbidden": False})
    week = tx.approve_week(ids["Kari"], "2025-11")
    assert (week["week"], week["approved"]) == (11, True)
    assert tx.get_timesheet_entry(hours["id"])["locked"] is True


# ----- faults the transfer tests need --------------------------------------------------------


def stored_entries(sandbox) -> list[dict[str, Any]]:
    return sandbox.state.all("timesheetEntry")


def test_5xx_on_the_nth_write_stores_nothing(sandbox, tx, ids):
    tx.who_am_i()  # the session exists; it is a PUT too
    plan = {"kind": "5xx", "times": 1, "after": 2, "status": 503, "methods": ["POST", "PUT"]}
    control(sandbox, "/faults", {"rules": [plan]})
    tx.create_timesheet_entry(entry(ids, date(2025, 3, 10)))
    tx.list_timesheet_entries(MARCH, APRIL)  # reads do not count
    tx.create_timesheet_entry(entry(ids, date(2025, 3, 11)))
    with pytest.raises(OutcomeUnknown) as info:
        tx.create_timesheet_entry(entry(ids, date(2025, 3, 12)))
    assert info.value.status == 503
    tx.create_timesheet_entry(entry(ids, date(2025, 3, 13)))
    assert sorted(e["date"][-2:] for e in stored_entries(sandbox)) == ["10", "11", "13"]
    assert sandbox.state.faults.pending() == 0


@pytest.mark.parametrize("mode", ["drop", "504", "500", "hang"])
def test_lost_response_applies_the_write(sandbox, rec, ids, mode):
    tx = make_client(sandbox, rec, timeout=(2, 0.5))
    tx.who_am_i()
    rule = {"kind": "lost", "times": 1, "mode": mode, "seconds": 1.5, "path_prefix": "/order"}
    control(sandbox, "/faults", {"rules": [rule]})
    with pytest.raises(OutcomeUnknown):
        tx.create_order(order(ids, "tipro:lost", line(7.5)))
    # The order is there: the transfer must find it by its key before sending again.
    found = tx.find_orders(MARCH, APRIL, delivery_comment="tipro:lost")
    assert len(found) == 1 and found.values[0]["orderLines"][0]["count"] == 7.5
    assert sandbox.state.faults.pending() == 0
    tx.close()


def test_429_bursts_with_and_without_reset(sandbox, tx, rec, ids):
    tx.who_am_i()
    rules = [
        {"kind": "429", "times": 2, "reset_seconds": 4, "methods": ["POST"]},
        {"kind": "429", "times": 2, "reset_header": False, "methods": ["POST"]},
    ]
    control(sandbox, "/faults", {"rules": rules})
    tx.create_timesheet_entry(entry(ids, date(2025, 3, 10)))
    assert rec.statuses("POST", "/timesheet/entry") == [429, 429, 429, 429, 201]
    assert rec.sleeps[:2] == [4.5, 4.5]  # Reset honoured
    assert all(s >= 5 for s in rec.sleeps[2:4])  # no Reset: back off
    assert len(stored_entries(sandbox)) == 1


def test_error_fault_latency_and_reset_clears_everything(sandbox, tx):
    tx.who_am_i()
    plan = {
        "latency": 0.02,
        "rules": [
            {"kind": "error", "times": 1, "status": 403, "code": 9000, "path_prefix": "/order"}
        ],
    }
    assert control(sandbox, "/faults", plan)["latency"] == 0.02
    with pytest.raises(PermissionDenied):
        tx.find_orders(MARCH, APRIL)
    control(sandbox, "/switches", {"defaultVatTypeId": 5, "weekApprovalForbidden": True})
    control(sandbox, "/reset")
    faults = requests.get(f"{sandbox.root_url}/_sandbox/faults", timeout=10).json()
    assert faults == {"latency": 0.0, "rules": []}
    switches = requests.get(f"{sandbox.root_url}/_sandbox/switches", timeout=10).json()
    assert switches["defaultVatTypeId"] == 3 and switches["weekApprovalForbidden"] is False
    bad = requests.post(
        f"{sandbox.root_url}/_sandbox/faults", json={"rules": [{"kind": "nope"}]}, timeout=10
    )
    assert bad.status_code == 422

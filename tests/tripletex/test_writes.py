"""Timesheet, salary, order, month approval and webhook writes over real HTTP."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tipro.tripletex.errors import Conflict, PermissionDenied, ValidationFailed
from tipro.tripletex.types import (
    NewOrder,
    NewOrderLine,
    NewPayslip,
    NewSalarySpecification,
    NewSalaryTransaction,
    NewSalaryTypeSpecification,
    NewTimesheetEntry,
)

JAN = date(2025, 1, 1)
FEB = date(2025, 2, 1)


@pytest.fixture
def demo(client):
    """Ids from the demo company, looked up through the client itself."""
    people = {e.get("email"): e for e in client.list_employees()}
    projects = {p["number"]: p for p in client.list_projects()}
    activities = {a["name"]: a for a in client.list_activities()}
    salary_types = {s["number"]: s for s in client.list_salary_types()}
    products = {p["number"]: p for p in client.list_products()}
    return {
        "kari": people["kari@fjellheimbygg.no"]["id"],
        "ola": people["ola@fjellheimbygg.no"]["id"],
        "sindre": people["sindre@fjellheimbygg.no"]["id"],
        "skoyen": projects["1001"],
        "snekring": activities["Snekring"]["id"],
        "intern": activities["Intern tid"]["id"],
        "overtid50": salary_types["2005"]["id"],
        "timelonn": salary_types["2001"]["id"],
        "product": products["T-100"]["id"],
    }


def _entry(demo, day: date, hours: float = 7.5, **kw) -> NewTimesheetEntry:
    return NewTimesheetEntry(
        employee_id=kw.get("employee_id", demo["kari"]),
        activity_id=kw.get("activity_id", demo["snekring"]),
        project_id=kw.get("project_id", demo["skoyen"]["id"]),
        date=day,
        hours=hours,
        comment=kw.get("comment"),
    )


def test_timesheet_entry_lifecycle(client, demo):
    created = client.create_timesheet_entry(_entry(demo, date(2025, 1, 15), comment="Vegger"))
    assert created["id"] and created["hours"] == 7.5 and created["version"] == 0
    listed = client.list_timesheet_entries(JAN, FEB, demo["kari"])
    assert [e["id"] for e in listed] == [created["id"]]
    assert listed.values[0]["comment"] == "Vegger"
    assert client.get_timesheet_entry(created["id"])["date"] == "2025-01-15"
    updated = client.update_timesheet_entry(
        created["id"], _entry(demo, date(2025, 1, 15), hours=6.0), version=created["version"]
    )
    assert updated["hours"] == 6.0 and updated["version"] == 1
    with pytest.raises(Conflict) as stale:
        client.delete_timesheet_entry(created["id"], version=0)
    assert stale.value.is_stale and stale.value.code == 8000
    client.delete_timesheet_entry(created["id"], version=updated["version"])
    assert len(client.list_timesheet_entries(JAN, FEB, demo["kari"])) == 0


def test_duplicate_entry_is_a_conflict(client, demo):
    client.create_timesheet_entry(_entry(demo, date(2025, 1, 16)))
    with pytest.raises(Conflict) as info:
        client.create_timesheet_entry(_entry(demo, date(2025, 1, 16), hours=1))
    assert info.value.is_duplicate and info.value.status == 409
    assert "finnes allerede" in info.value.user_message


def test_422_surfaces_field_and_text(client, demo):
    with pytest.raises(ValidationFailed) as info:
        client.create_timesheet_entry(_entry(demo, date(2025, 1, 17), hours=25))
    err = info.value
    assert err.status == 422 and err.code
    assert err.validation_messages and err.validation_messages[0].field
    assert err.validation_messages[0].message
    assert err.validation_messages[0].message in err.user_message
    assert err.request_id


def test_batch_entries_are_chunked_at_100(sandbox, client, demo, rec):
    start = date(2024, 2, 1)
    entries = [
        _entry(demo, start + timedelta(days=i), hours=1, employee_id=e)
        for i in range(75)
        for e in (demo["kari"], demo["ola"])
    ]
    created = client.create_timesheet_entries(entries)
    assert len(created) == 150
    assert [c["date"] for c in created[:2]] == ["2024-02-01", "2024-02-01"]
    assert sandbox.state.count_calls("POST", "/timesheet/entry/list") == 2
    listed = client.list_timesheet_entries(
        start, start + timedelta(days=75), [demo["kari"], demo["ola"]]
    )
    assert len(listed) == 150


def test_month_complete_approve_lock_unapprove_reopen(client, demo):
    entry = client.create_timesheet_entry(_entry(demo, date(2025, 1, 20)))
    completed = client.complete_month([demo["kari"]], "2025-01")
    assert completed[0]["completed"] is True
    approved = client.approve_month([demo["kari"]], date(2025, 1, 1))
    assert approved[0]["approved"] is True
    status = client.month_status([demo["kari"]], "2025-01")
    assert status.values[0]["approved"] is True
    assert client.get_timesheet_entry(entry["id"])["locked"] is True
    with pytest.raises(Conflict) as locked:
        client.update_timesheet_entry(entry["id"], _entry(demo, date(2025, 1, 20), hours=2))
    assert locked.value.is_locked and "låst" in locked.value.user_message
    assert client.unapprove_month([demo["kari"]], "2025-01")[0]["approved"] is False
    assert client.reopen_month([demo["kari"]], "2025-01")[0]["completed"] is False
    assert client.get_timesheet_entry(entry["id"])["locked"] is False


def test_salary_type_specifications(client, demo):
    spec = NewSalaryTypeSpecification(
        employee_id=demo["kari"],
        salary_type_id=demo["overtid50"],
        date=date(2025, 1, 10),
        count=2.5,
        description="Overtid",
    )
    created = client.create_salary_type_specification(spec)
    assert created["count"] == 2.5
    with pytest.raises(Conflict):
        client.create_salary_type_specification(spec)
    listed = client.list_salary_type_specifications(JAN, FEB, demo["kari"])
    assert [s["id"] for s in listed] == [created["id"]]
    changed = NewSalaryTypeSpecification(
        employee_id=demo["kari"],
        salary_type_id=demo["overtid50"],
        date=date(2025, 1, 10),
        count=3.0,
    )
    updated = client.update_salary_type_specification(created["id"], changed, version=0)
    assert updated["count"] == 3.0
    client.delete_salary_type_specification(created["id"])
    assert len(client.list_salary_type_specifications(JAN, FEB, demo["kari"])) == 0


def _transaction(demo, employee_id) -> NewSalaryTransaction:
    return NewSalaryTransaction(
        date=date(2025, 1, 31),
        year=2025,
        month=1,
        payslips=[
            NewPayslip(
                employee_id=employee_id,
                specifications=[
                    NewSalarySpecification(
                        salary_type_id=demo["timelonn"],
                        rate=420.0,
                        count=37.5,
                        amount=15750.0,
                        description="Timer januar",
                    )
                ],
            )
        ],
    )


def test_salary_transaction_and_payslips(client, demo):
    created = client.create_salary_transaction(_transaction(demo, demo["kari"]))
    assert created["id"]
    fetched = client.get_salary_transaction(created["id"])
    assert fetched["year"] == 2025 and fetched["month"] == 1
    slips = client.list_payslips(wage_transaction_id=created["id"])
    assert len(slips) == 1 and slips.values[0]["employee"]["id"] == demo["kari"]
    by_employee = client.list_payslips(employee_id=demo["kari"], year_from=2025, year_to=2026)
    assert created["id"] in {s["transaction"]["id"] for s in by_employee}
    client.delete_salary_transaction(created["id"])
    assert len(client.list_payslips(wage_transaction_id=created["id"])) == 0


def test_salary_without_division_is_rejected_with_field(client, demo):
    with pytest.raises(ValidationFailed) as info:
        client.create_salary_transaction(_transaction(demo, demo["sindre"]))
    err = info.value
    assert (err.status, err.code) == (422, 18000)
    assert [(m.field, m.path) for m in err.validation_messages] == [
        ("employments.division.name", "employments[0].division.name")
    ]
    assert err.validation_messages[0].message == "Feltet kan ikke være tomt."
    assert "employments.division.name: Feltet kan ikke være tomt." in err.user_message
    assert err.request_id and err.developer_message == "VALIDATION_ERROR"


def test_salary_module_missing_is_403_with_komplett_explanation(sandbox, client, demo):
    sandbox.state.set_module("salary", False)
    with pytest.raises(PermissionDenied) as info:
        client.create_salary_transaction(_transaction(demo, demo["kari"]))
    assert info.value.status == 403 and info.value.code == 9000
    assert "Tripletex Komplett" in info.value.user_message
    with pytest.raises(PermissionDenied):
        client.list_salary_types()


def _order(demo, i: int = 0, customer_id=None) -> NewOrder:
    return NewOrder(
        customer_id=customer_id or demo["skoyen"]["customer"]["id"],
        project_id=demo["skoyen"]["id"],
        order_date=date(2025, 1, 31),
        delivery_date=date(2025, 1, 31),
        reference=f"tipro:2025-01:{i}",
        invoice_comment="Timer januar",
        lines=[
            NewOrderLine(
                count=7.5,
                unit_price_excluding_vat=850.0,
                product_id=demo["product"],
                description="2025-01-15 – Kari Hansen – 7,5 t",
            ),
            NewOrderLine(
                count=2, unit_price_excluding_vat=100.0, vat_type_id=3, description="Kjøring"
            ),
        ],
    )


def test_order_create_get_list(client, demo):
    created = client.create_order(_order(demo))
    order = client.get_order(created["id"])
    assert order["reference"] == "tipro:2025-01:0"
    assert len(order["orderLines"]) == 2
    assert order["orderLines"][0]["amountExcludingVatCurrency"] == pytest.approx(6375.0)
    listed = client.list_orders(JAN, FEB, demo["skoyen"]["customer"]["id"])
    assert [o["id"] for o in listed] == [created["id"]]
    assert len(client.list_orders(FEB, date(2025, 3, 1))) == 0


def test_orders_list_is_chunked_at_100(sandbox, client, demo):
    created = client.create_orders([_order(demo, i) for i in range(150)])
    assert len(created) == 150
    assert [o["reference"] for o in created[:3]] == [f"tipro:2025-01:{i}" for i in range(3)]
    assert sandbox.state.count_calls("POST", "/order/list") == 2
    assert len(client.list_orders(JAN, FEB)) == 150


def test_event_subscriptions(client):
    created = client.create_event_subscription(
        "project.update",
        "https://tipro.example.no/webhooks/tripletex",
        fields="id,version,name",
        auth_header_name="X-TiPro-Key",
        auth_header_value="s3cret",
    )
    assert created["status"] == "ACTIVE" and "authHeaderValue" not in created
    listed = client.list_event_subscriptions()
    assert [s["event"] for s in listed] == ["project.update"]
    updated = client.update_event_subscription(
        created["id"],
        event="project.update",
        target_url="https://tipro.example.no/webhooks/tripletex2",
        status="ACTIVE",
    )
    assert updated["targetUrl"].endswith("tripletex2")
    client.delete_event_subscription(created["id"])
    assert len(client.list_event_subscriptions()) == 0


def test_batch_update_entries_with_put_list(sandbox, client, demo, rec):
    days = [date(2025, 1, 6), date(2025, 1, 7)]
    created = client.create_timesheet_entries([_entry(demo, d, hours=7.5) for d in days])
    updated = client.update_timesheet_entries(
        [
            (c["id"], _entry(demo, d, hours=4.0), c["version"])
            for c, d in zip(created, days, strict=True)
        ]
    )
    assert [u["id"] for u in updated] == [c["id"] for c in created]
    assert [u["hours"] for u in updated] == [4.0, 4.0]
    assert [u["version"] for u in updated] == [1, 1]
    assert rec.statuses("PUT", "/timesheet/entry/list") == [200]
    # One stale version fails the whole batch: the other row is left as it was.
    with pytest.raises(Conflict) as info:
        client.update_timesheet_entries(
            [
                (updated[0]["id"], _entry(demo, days[0], hours=1.0), updated[0]["version"]),
                (updated[1]["id"], _entry(demo, days[1], hours=1.0), 0),
            ]
        )
    assert info.value.is_stale
    stored = client.list_timesheet_entries(JAN, FEB, demo["kari"])
    assert sorted(e["hours"] for e in stored) == [4.0, 4.0]

"""Every body the client builds is checked against the official spec (fields, types, required)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.tripletex import spec_check
from tipro.tripletex.types import (
    NewOrder,
    NewOrderLine,
    NewPayslip,
    NewSalarySpecification,
    NewSalaryTransaction,
    NewSalaryTypeSpecification,
    NewTimesheetEntry,
)

ENTRY = NewTimesheetEntry(
    employee_id=1, activity_id=2, date=date(2025, 1, 15), hours=7.5, project_id=3, comment="x"
)
SPEC = NewSalaryTypeSpecification(
    employee_id=1, salary_type_id=2, date=date(2025, 1, 15), count=2.0, description="Overtid"
)
TRANSACTION = NewSalaryTransaction(
    date=date(2025, 1, 31),
    year=2025,
    month=1,
    pay_slips_available_date=date(2025, 2, 5),
    payslips=[
        NewPayslip(
            employee_id=1,
            department_id=7,
            specifications=[
                NewSalarySpecification(
                    salary_type_id=55,
                    rate=420.0,
                    count=37.5,
                    amount=15750.0,
                    project_id=9,
                    department_id=7,
                    description="Timer januar",
                )
            ],
        )
    ],
)
ORDER = NewOrder(
    customer_id=1,
    order_date=date(2025, 1, 31),
    delivery_date=date(2025, 1, 31),
    project_id=2,
    department_id=3,
    reference="tipro:2025-01:2",
    invoice_comment="Timer januar",
    lines=[
        NewOrderLine(count=7.5, unit_price_excluding_vat=1150.0, product_id=5, description="d"),
        NewOrderLine(count=1, unit_price_excluding_vat=100.0, vat_type_id=3, discount=10.0),
    ],
)

CASES = [
    ("POST", "/timesheet/entry", ENTRY.to_json()),
    ("PUT", "/timesheet/entry/5", ENTRY.to_json(entry_id=5, version=2)),
    ("POST", "/timesheet/entry/list", [ENTRY.to_json(), ENTRY.to_json()]),
    ("POST", "/timesheet/salaryTypeSpecification", SPEC.to_json()),
    ("PUT", "/timesheet/salaryTypeSpecification/5", SPEC.to_json(spec_id=5, version=1)),
    ("POST", "/salary/transaction", TRANSACTION.to_json()),
    ("POST", "/order", ORDER.to_json()),
    ("POST", "/order/list", [ORDER.to_json()]),
]


@pytest.mark.parametrize(("method", "path", "body"), CASES, ids=[f"{m} {p}" for m, p, _ in CASES])
def test_body_matches_spec(method, path, body):
    assert spec_check.body_problems(method, path, body) == []


def test_checker_catches_unknown_readonly_and_missing_fields():
    body = ENTRY.to_json() | {"chargeableHours": 1.0, "bogus": 1}
    del body["hours"]
    problems = spec_check.body_problems("POST", "/timesheet/entry", body)
    assert any("chargeableHours: read-only" in p for p in problems)
    assert any("bogus: not a field" in p for p in problems)
    assert any("missing required TimesheetEntry.hours" in p for p in problems)


def test_unset_optional_fields_are_left_out():
    # Tripletex nulls fields that are present but unset on PUT /timesheet/entry.
    body = NewTimesheetEntry(employee_id=1, activity_id=2, date=date(2025, 1, 1), hours=1).to_json()
    assert set(body) == {"employee", "activity", "date", "hours"}


def test_query_checker_flags_wrong_names_and_types():
    problems = spec_check.query_problems(
        "GET", "/timesheet/entry", {"dateFrom": "2025-01-01", "employee": "1", "count": "x"}
    )
    assert any("unknown query parameter 'employee'" in p for p in problems)
    assert any("missing required query parameter 'dateTo'" in p for p in problems)
    assert any("count='x' is not an integer" in p for p in problems)


def test_empty_id_lists_are_refused_not_sent_as_no_filter():
    from tipro.tripletex.client import TripletexClient

    client = TripletexClient("http://127.0.0.1:9/v2", "c", "e")
    with pytest.raises(ValueError):
        client.approve_month([], "2025-01")
    with pytest.raises(ValueError):
        client.list_timesheet_entries(date(2025, 1, 1), date(2025, 2, 1), [])
    assert client.list_hourly_rates([]).values == []
    assert client.calls == 0

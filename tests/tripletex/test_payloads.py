"""Every body the client builds is checked against the official spec (fields, types, required)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.tripletex import spec_check
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


def test_backoff_has_jitter_and_never_waits_zero():
    from tipro.tripletex.client import TripletexClient

    waits = [TripletexClient._backoff(1, 10.0) for _ in range(200)]
    # Equal jitter: at least half the delay, at most all of it, and not the same every time
    # (a fixed wait would make every client hit Tripletex again at the same instant).
    assert all(5.0 <= w <= 10.0 for w in waits)
    assert len({round(w, 6) for w in waits}) > 100
    assert all(20.0 <= TripletexClient._backoff(3, 10.0) <= 40.0 for _ in range(50))
    assert all(TripletexClient._backoff(10, 10.0, cap=60.0) <= 60.0 for _ in range(50))


def test_a_client_without_timeout_is_refused():
    from tipro.tripletex.client import TripletexClient

    with pytest.raises(ValueError):
        TripletexClient("http://127.0.0.1:9/v2", "c", "e", timeout=None)


class _RecordingApi:
    """The typed calls with a transport that records what would be sent (no HTTP)."""

    TRANSPORT = frozenset({"get", "get_list", "post", "put", "delete", "sent", "called"})

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, str], object]] = []
        self.called: set[str] = set()

    def __getattribute__(self, name):
        if not name.startswith("_") and name not in _RecordingApi.TRANSPORT:
            object.__getattribute__(self, "called").add(name)
        return object.__getattribute__(self, name)

    def _record(self, method, path, params, body=None, extra=None):
        from tipro.tripletex.client import format_param

        query = {k: format_param(v) for k, v in {**(params or {}), **(extra or {})}.items()}
        self.sent.append((method, path, {k: v for k, v in query.items() if v is not None}, body))

    def get(self, path, params=None):
        self._record("GET", path, {k: v for k, v in (params or {}).items() if v is not None})
        return {"value": {}}

    def get_list(self, path, params=None, *, fields=None, count=1000, if_none_match=None):
        from tipro.tripletex.types import ListResult

        params = {k: v for k, v in (params or {}).items() if v is not None}
        self._record("GET", path, params, extra={"from": 0, "count": count + 1, "fields": fields})
        return ListResult([], None, False, 1)

    def post(self, path, json=None, params=None):
        self._record("POST", path, {k: v for k, v in (params or {}).items() if v is not None}, json)
        return {"value": {}, "values": []}

    def put(self, path, json=None, params=None):
        self._record("PUT", path, {k: v for k, v in (params or {}).items() if v is not None}, json)
        return {"value": {}, "values": []}

    def delete(self, path, params=None):
        self._record("DELETE", path, {k: v for k, v in (params or {}).items() if v is not None})


def test_every_typed_call_sends_what_the_spec_allows():
    """Each typed call with every optional argument set: query and body checked against the spec."""
    from datetime import datetime

    from tipro.tripletex.api import TripletexApi

    rec = type("Rec", (_RecordingApi, TripletexApi), {})()
    day, later = date(2025, 1, 1), date(2025, 2, 1)
    rec.who_am_i()
    rec.list_employees(include_contacts=True, if_none_match="x")
    rec.list_employments(1)
    rec.list_departments(if_none_match="x")
    rec.list_customers(changed_since=datetime(2025, 1, 1, 12, 0), include_inactive=True)
    rec.list_projects(is_closed=False, if_none_match="x")
    rec.projects_for_timesheet(1, day)
    rec.list_activities(is_inactive=False)
    rec.activities_for_timesheet(1, 2, day)
    rec.list_salary_types(show_in_timesheet=True)
    rec.list_products(is_inactive=False)
    rec.list_vat_types(vat_date=day)
    rec.list_divisions()
    rec.list_hourly_rates([1, 2])
    rec.list_hourly_cost_and_rates(1)
    rec.list_timesheet_entries(day, later, [1, 2], project_id=3, activity_id=[4])
    rec.get_timesheet_entry(1)
    rec.create_timesheet_entry(ENTRY)
    rec.create_timesheet_entries([ENTRY, ENTRY])
    rec.update_timesheet_entry(5, ENTRY, version=2)
    rec.update_timesheet_entries([(5, ENTRY, 2), (6, ENTRY, None)])
    rec.delete_timesheet_entry(5, version=2)
    rec.list_salary_type_specifications(day, later, 1)
    rec.create_salary_type_specification(SPEC)
    rec.update_salary_type_specification(5, SPEC, version=1)
    rec.delete_salary_type_specification(5)
    rec.create_salary_transaction(TRANSACTION, generate_tax_deduction=True)
    rec.get_salary_transaction(5)
    rec.delete_salary_transaction(5)
    rec.list_payslips(
        wage_transaction_id=5,
        employee_id=[1],
        year_from=2025,
        year_to=2026,
        month_from=1,
        month_to=2,
    )
    rec.create_order(ORDER)
    rec.create_orders([ORDER])
    rec.get_order(5)
    rec.list_orders(day, later, [1, 2])
    rec.complete_month([1, 2], "2025-01")
    rec.approve_month([1], day, approved_until_date=date(2025, 1, 31))
    rec.unapprove_month([1], "2025-01")
    rec.reopen_month([1], "2025-01")
    rec.month_status([1], "2025-01")
    rec.list_event_types()
    rec.list_event_subscriptions()
    rec.create_event_subscription(
        "project.update",
        "https://tipro.example.no/h",
        fields="id,name",
        auth_header_name="X-Key",
        auth_header_value="v",
        hmac_shared_secret="s",
    )
    rec.update_event_subscription(
        5,
        event="project.update",
        target_url="https://tipro.example.no/h",
        status="ACTIVE",
        fields="id",
        auth_header_name="X-Key",
        auth_header_value="v",
        hmac_shared_secret="s",
        version=1,
    )
    rec.delete_event_subscription(5)
    # Transfer calls (helper transfer-sandbox).
    project_spec = NewSalaryProjectTypeSpecification(
        employee_id=1, salary_type_id=2, date=day, count=2.0, project_id=3, activity_id=4,
        description="tipro:k",
    )  # fmt: skip
    keyed = NewOrder(
        customer_id=1, order_date=day, delivery_date=day, delivery_comment="tipro:k",
        lines=ORDER.lines,
    )  # fmt: skip
    rec.list_salary_project_type_specifications(
        day, later, 1, project_id=3, activity_id=4, include_not_connected_to_activities=True
    )
    rec.get_salary_project_type_specification(5)
    rec.create_salary_project_type_specification(project_spec)
    rec.update_salary_project_type_specification(5, project_spec, version=1)
    rec.delete_salary_project_type_specification(5)
    rec.get_order_detail(5)
    rec.find_orders(
        day, later, ids=[1, 2], number="7", customer_id=[1], is_closed=False,
        delivery_comment="tipro:k",
    )  # fmt: skip
    rec.update_order(5, keyed, version=2, line_ids=[8, None])
    rec.delete_order(5)
    rec.invoice_order(5, later, send_to_customer=False)
    rec.create_order_line(5, ORDER.lines[1])
    rec.create_order_lines([(5, ORDER.lines[0]), (6, ORDER.lines[1])])
    rec.get_order_line(8)
    rec.update_order_line(8, 5, ORDER.lines[1], version=1)
    rec.delete_order_line(8)
    rec.approve_week(1, "2025-10")
    public = {
        name
        for name, member in vars(TripletexApi).items()
        if callable(member) and not name.startswith("_") and name not in _RecordingApi.TRANSPORT
    }
    assert public - rec.called == set()  # a new typed call must be added here
    assert len(rec.sent) == 61
    problems = []
    for method, path, query, body in rec.sent:
        problems += spec_check.query_problems(method, path, query)
        if method in ("POST", "PUT"):
            problems += spec_check.body_problems(method, path, body)
    assert problems == []

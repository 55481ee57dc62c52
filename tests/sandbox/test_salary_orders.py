"""Payroll and order rules."""

from __future__ import annotations

import pytest

from .conftest import Api, employee_id, project_id


def _salary_type(api: Api, number: str) -> int:
    return next(s["id"] for s in api.values("/salary/type", number=number) if s["number"] == number)


def _spec(api: Api, **over) -> dict:
    body = {
        "employee": {"id": employee_id(api, "Kari")},
        "salaryType": {"id": _salary_type(api, "2005")},
        "date": "2025-03-03",
        "count": 2.0,
        "description": "Overtid",
    }
    body.update(over)
    return body


def test_salary_type_specification_one_per_employee_date_type(api: Api):
    first = api.post("/timesheet/salaryTypeSpecification", _spec(api))
    assert first.status_code == 201
    dup = api.post("/timesheet/salaryTypeSpecification", _spec(api, count=3.0))
    assert (dup.status_code, dup.json()["code"]) == (409, 7000)
    other_type = api.post(
        "/timesheet/salaryTypeSpecification",
        _spec(api, salaryType={"id": _salary_type(api, "2006")}),
    )
    assert other_type.status_code == 201
    spec_id = first.json()["value"]["id"]
    upd = api.put(f"/timesheet/salaryTypeSpecification/{spec_id}", {"count": 3.5, "version": 0})
    assert upd.status_code == 200 and upd.json()["value"]["count"] == 3.5
    stale = api.put(f"/timesheet/salaryTypeSpecification/{spec_id}", {"count": 4.0, "version": 0})
    assert stale.status_code == 409
    listed = api.values(
        "/timesheet/salaryTypeSpecification", dateFrom="2025-03-01", dateTo="2025-04-01"
    )
    assert len(listed) == 2
    assert api.delete(f"/timesheet/salaryTypeSpecification/{spec_id}").status_code == 204


def test_salary_module_switch(api: Api):
    api.server.state.set_module("salary", False)
    for resp in (
        api.get("/salary/type"),
        api.post("/timesheet/salaryTypeSpecification", {"date": "2025-03-03", "count": 1.0}),
        api.get("/salary/payslip"),
    ):
        assert (resp.status_code, resp.json()["code"]) == (403, 9000)
    api.server.state.set_module("salary", True)
    assert api.get("/salary/type").status_code == 200


def _transaction(api: Api, first: str) -> dict:
    return {
        "date": "2025-03-31",
        "year": 2025,
        "month": 3,
        "payslips": [
            {
                "employee": {"id": employee_id(api, first)},
                "specifications": [
                    {"salaryType": {"id": _salary_type(api, "2001")}, "rate": 300.0, "count": 37.5}
                ],
            }
        ],
    }


def test_salary_transaction_books_payslips(api: Api):
    resp = api.post("/salary/transaction", _transaction(api, "Magnus"))
    assert resp.status_code == 201, resp.text
    tx_id = resp.json()["value"]["id"]
    slips = api.values(
        "/salary/payslip", wageTransactionId=str(tx_id), fields="*,specifications(*)"
    )
    assert len(slips) == 1
    assert slips[0]["grossAmount"] == 11250.0
    assert slips[0]["specifications"][0]["amount"] == 11250.0
    assert api.delete(f"/salary/transaction/{tx_id}").status_code == 204
    assert api.values("/salary/payslip", wageTransactionId=str(tx_id)) == []


def test_salary_transaction_needs_employment_with_division(api: Api):
    resp = api.post("/salary/transaction", _transaction(api, "Sindre"))
    assert (resp.status_code, resp.json()["code"]) == (422, 18000)
    assert resp.json()["validationMessages"][0]["field"] == "employments.division.name"
    ended = api.post("/salary/transaction", _transaction(api, "Maja"))
    assert ended.status_code == 422
    assert ended.json()["validationMessages"][0]["field"] == "employments"
    assert api.values("/salary/payslip") == []


def _customer(api: Api, name: str = "Skøyen Eiendom AS") -> int:
    return api.one("/customer", customerName=name, fields="id")["id"]


def _order(api: Api, **over) -> dict:
    product = api.one("/product", productNumber="T-100", fields="id")["id"]
    body = {
        "customer": {"id": _customer(api)},
        "project": {"id": project_id(api, "1001")},
        "orderDate": "2025-03-31",
        "deliveryDate": "2025-03-31",
        "reference": "tipro:2025-03:1001",
        "orderLines": [
            {
                "product": {"id": product},
                "description": "2025-03-03 – Kari Hansen – 7,5 t",
                "count": 7.5,
                "unitPriceExcludingVatCurrency": 890.0,
            },
        ],
    }
    body.update(over)
    return body


def test_order_with_lines(api: Api):
    resp = api.post("/order", _order(api))
    assert resp.status_code == 201, resp.text
    order_id = resp.json()["value"]["id"]
    got = api.get(f"/order/{order_id}", fields="*,orderLines(*)").json()["value"]
    line = got["orderLines"][0]
    assert line["vatType"]["id"] == 3  # from the product
    assert line["amountExcludingVatCurrency"] == 6675.0
    assert line["unitPriceIncludingVatCurrency"] == pytest.approx(1112.5)
    listed = api.values("/order", orderDateFrom="2025-03-01", orderDateTo="2025-04-01")
    assert [o["id"] for o in listed] == [order_id]
    assert api.values("/order", orderDateFrom="2025-03-01", orderDateTo="2025-03-31") == []
    line_resp = api.post(
        "/order/orderline",
        {
            "order": {"id": order_id},
            "description": "Km",
            "count": 10.0,
            "unitPriceExcludingVatCurrency": 4.5,
            "vatType": {"id": 3},
        },
    )
    assert line_resp.status_code == 201
    assert len(api.get(f"/order/{order_id}").json()["value"]["orderLines"]) == 2
    stale = api.put(f"/order/{order_id}", {"invoiceComment": "x", "version": 5})
    assert (stale.status_code, stale.json()["code"]) == (409, 8000)


def test_order_required_fields_and_free_text_lines_get_the_default_vat(api: Api):
    body = _order(api)
    del body["deliveryDate"]
    resp = api.post("/order", body)
    assert (resp.status_code, resp.json()["code"]) == (422, 18000)
    assert resp.json()["validationMessages"][0]["field"] == "deliveryDate"
    free = _order(
        api,
        orderLines=[
            {"description": "Fritekst", "count": 1.0, "unitPriceExcludingVatCurrency": 100.0}
        ],
    )
    resp = api.post("/order", free)
    assert resp.status_code == 201, resp.text
    order_id = resp.json()["value"]["id"]
    line = api.get(f"/order/{order_id}", fields="orderLines(vatType(id))").json()["value"]
    assert line["orderLines"][0]["vatType"]["id"] == 3  # the company default VAT type


def test_order_list_cap_and_all_or_nothing(api: Api):
    template = _order(api)
    too_many = api.post("/order/list", [template] * 101)
    assert too_many.status_code == 422
    bad = _order(api)
    del bad["customer"]
    resp = api.post("/order/list", [_order(api), bad])
    assert resp.status_code == 422
    assert resp.json()["validationMessages"][0]["field"] == "[1].customer"
    assert api.values("/order", orderDateFrom="2025-01-01", orderDateTo="2026-01-01") == []
    ok = api.post("/order/list", [template] * 100)
    assert ok.status_code == 201
    assert len(ok.json()["values"]) == 100

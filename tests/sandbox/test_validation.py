"""The sandbox refuses what the official spec forbids, and records it.

A sandbox that accepted everything would fail every test here.
"""

from __future__ import annotations

import pytest

from tipro.sandbox import create_sandbox_app

from .conftest import Api, activity_id, employee_id, project_id

pytestmark = pytest.mark.sandbox_violations_expected


def _recorded(api: Api, path: str, field: str | None = None) -> list[dict]:
    return [
        v
        for v in api.server.state.violations
        if v["path"] == path and (field is None or v.get("field") == field)
    ]


def test_wrong_parameter_type(api: Api):
    resp = api.get("/employee", count="abc")
    assert resp.status_code == 422
    assert resp.json()["validationMessages"][0]["field"] == "count"
    assert _recorded(api, "/employee", "count")


def test_wrong_path_parameter_type(api: Api):
    resp = api.get("/employee/abc")
    assert resp.status_code == 400
    assert resp.json()["code"] == 12000
    assert _recorded(api, "/employee/abc", "id")


def test_missing_required_parameter(api: Api):
    resp = api.get("/timesheet/entry", dateTo="2025-02-01")
    assert resp.status_code == 422
    assert resp.json()["validationMessages"][0]["field"] == "dateFrom"
    assert _recorded(api, "/timesheet/entry", "dateFrom")
    orders = api.get("/order", orderDateFrom="2025-01-01")
    assert orders.status_code == 422
    assert _recorded(api, "/order", "orderDateTo")


def test_unknown_body_field(api: Api):
    body = {
        "employee": {"id": employee_id(api, "Kari")},
        "project": {"id": project_id(api, "1001")},
        "activity": {"id": activity_id(api, "Snekring")},
        "date": "2025-03-03",
        "hours": 7.5,
        "minutes": 30,
    }
    resp = api.post("/timesheet/entry", body)
    assert resp.status_code == 422
    assert (resp.json()["code"], resp.json()["message"]) == (16000, "Request mapping failed")
    assert resp.json()["validationMessages"][0]["field"] == "minutes"
    assert _recorded(api, "/timesheet/entry", "minutes")
    # Nothing was stored.
    assert (
        api.get("/timesheet/entry", dateFrom="2025-03-03", dateTo="2025-03-04").json()["values"]
        == []
    )


def test_unknown_nested_body_field(api: Api):
    resp = api.post("/customer", {"name": "X AS", "accountManager": {"id": 1, "nickname": "y"}})
    assert resp.status_code == 422
    assert resp.json()["validationMessages"][0]["field"] == "accountManager.nickname"


def test_wrong_body_type(api: Api):
    resp = api.post("/timesheet/entry", {"employee": {"id": 1}, "hours": "mange"})
    assert resp.status_code == 422
    assert resp.json()["code"] == 16000
    assert _recorded(api, "/timesheet/entry", "hours")


def test_read_only_field_in_body(api: Api):
    resp = api.post("/customer", {"name": "Ny Kunde AS", "isCustomer": True})
    assert resp.status_code == 422
    assert _recorded(api, "/customer")


def test_invalid_json(api: Api):
    resp = api.http.post(
        f"{api.base}/customer",
        data="{not json",
        timeout=10,
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 422


def test_unsupported_method_is_400_405(api: Api):
    for path in ("/order/orderline", "/project/projectActivity"):
        resp = api.get(path)
        assert resp.status_code == 400, path
        assert (resp.json()["code"], resp.json()["message"]) == (
            4000,
            "HTTP 405 Method Not Allowed",
        )
    assert api.http.patch(f"{api.base}/employee/1", json={}, timeout=10).status_code == 400


def test_unknown_path(api: Api):
    resp = api.get("/nonexistent/thing")
    assert resp.status_code == 404
    assert _recorded(api, "/nonexistent/thing")


def test_violations_endpoint_and_clear(api: Api):
    api.get("/employee", count="abc")
    import requests

    listed = requests.get(f"{api.server.root_url}/_sandbox/violations", timeout=10).json()
    assert any(v["field"] == "count" for v in listed)
    requests.delete(f"{api.server.root_url}/_sandbox/violations", timeout=10)
    assert api.server.state.violations == []


def test_response_validation_catches_emulation_bugs(api: Api):
    st = api.server.state
    cid = api.values("/customer", fields="id")[0]["id"]
    st.store.get("customer", cid)["customerNumber"] = "not-a-number"  # a deliberate emulation bug
    assert api.get(f"/customer/{cid}").status_code == 200
    kinds = [v["kind"] for v in st.violations]
    assert "response" in kinds


def test_runs_without_spec(monkeypatch):
    monkeypatch.delenv("TIPRO_TRIPLETEX_SPEC", raising=False)
    app = create_sandbox_app(spec_path=None)
    client = app.test_client()
    st = app.extensions["tripletex_sandbox"]
    resp = client.put(
        "/v2/token/session/:create",
        query_string={
            "consumerToken": st.consumer_token,
            "employeeToken": st.employee_token,
            "expirationDate": "2099-01-01",
        },
    )
    token = resp.get_json()["value"]["token"]
    import base64

    auth = {"Authorization": "Basic " + base64.b64encode(f"0:{token}".encode()).decode()}
    assert client.get("/v2/employee", headers=auth).status_code == 200
    # Tripletex's own required-parameter rule still applies, but nothing is recorded.
    assert client.get("/v2/timesheet/entry", headers=auth).status_code == 422
    assert st.violations == []


def test_error_bodies_are_checked_against_api_error(api: Api, monkeypatch):
    from tipro.sandbox import app as sandbox_app

    st = api.server.state
    # Real error bodies of several kinds: no response violations.
    api.get("/employee/999999")
    api.get("/timesheet/entry", dateTo="2025-02-01")
    api.get("/employee", sorting="nonsense")
    assert [v for v in st.violations if v["kind"] == "response"] == []
    real = sandbox_app.api_error

    def broken(problem):
        resp = real(problem)
        resp.set_data(b'{"status": "404", "shoeSize": 1}')  # a deliberate emulation bug
        return resp

    monkeypatch.setattr(sandbox_app, "api_error", broken)
    assert api.get("/employee/999999").status_code == 404
    messages = [v["message"] for v in st.violations if v["kind"] == "response"]
    assert any(".status" in m for m in messages) and any(".shoeSize" in m for m in messages)

"""Fault injection: 429 bursts, 5xx, slow and lost responses, via Python and over HTTP."""

from __future__ import annotations

import time

import pytest
import requests

from .conftest import Api


def test_429_burst_with_and_without_reset_header(api: Api):
    api.server.state.faults.inject_429(2, reset_header=True, reset_seconds=3)
    first = api.get("/employee")
    assert first.status_code == 429
    assert first.headers["X-Rate-Limit-Reset"] == "3"
    assert first.headers["X-Rate-Limit-Remaining"] == "0"
    assert api.get("/employee").status_code == 429
    assert api.get("/employee").status_code == 200
    api.server.state.faults.inject_429(1, reset_header=False)
    bare = api.get("/employee")
    assert bare.status_code == 429
    assert "X-Rate-Limit-Reset" not in bare.headers


def test_5xx_is_not_stored(api: Api):
    api.server.state.faults.inject_5xx(1, status=503, methods=["POST"])
    assert api.get("/customer").status_code == 200  # GET not affected
    resp = api.post("/customer", {"name": "Feil AS"})
    assert (resp.status_code, resp.json()["code"]) == (503, 1000)
    assert api.values("/customer", customerName="Feil AS") == []


def test_slow_and_latency(api: Api):
    api.server.state.faults.inject_slow(1, 0.3)
    t0 = time.monotonic()
    assert api.get("/department").status_code == 200
    assert time.monotonic() - t0 >= 0.3
    with pytest.raises(requests.Timeout):
        api.server.state.faults.inject_slow(1, 1.0)
        api.http.get(f"{api.base}/department", timeout=0.2)
    api.server.state.faults.inject_latency(0.05)
    t0 = time.monotonic()
    api.get("/department")
    assert time.monotonic() - t0 >= 0.05
    api.server.state.faults.inject_latency(0)


def test_lost_response_drop_stores_the_write(api: Api):
    api.server.state.faults.inject_lost_response(1)
    with pytest.raises(requests.ConnectionError):
        api.post("/customer", {"name": "Kanskje AS"})
    # The write happened: callers must reconcile, not blindly retry.
    assert [c["name"] for c in api.values("/customer", customerName="Kanskje AS")] == ["Kanskje AS"]


def test_lost_response_504_mode(api: Api):
    api.server.state.faults.inject_lost_response(1, methods=("POST",), mode="504")
    resp = api.post("/customer", {"name": "Timeout AS"})
    assert resp.status_code == 504 and resp.content == b""
    assert len(api.values("/customer", customerName="Timeout AS")) == 1


def test_control_endpoints_over_http(api: Api):
    root = api.server.root_url
    plan = {"rules": [{"kind": "5xx", "times": 1, "status": 502, "path_prefix": "/employee"}]}
    assert requests.post(f"{root}/_sandbox/faults", json=plan, timeout=10).status_code == 200
    assert api.get("/department").status_code == 200
    assert api.get("/employee").status_code == 502
    requests.post(f"{root}/_sandbox/modules", json={"salary": False}, timeout=10)
    assert api.get("/salary/type").status_code == 403
    requests.post(f"{root}/_sandbox/expire-sessions", timeout=10)
    assert api.get("/department").status_code == 401
    log = requests.get(f"{root}/_sandbox/requests", timeout=10).json()
    assert {"method": "GET", "path": "/employee", "status": 502} in [
        {k: r[k] for k in ("method", "path", "status")} for r in log
    ]
    assert api.server.state.count_calls("GET", "/employee") == 1
    reset = requests.post(f"{root}/_sandbox/reset", json={"seed": "demo"}, timeout=10).json()
    assert reset["employeeToken"] == api.server.state.employee_token
    requests.post(f"{root}/_sandbox/revoke-employee-token", timeout=10)
    assert api.server.state.employee_token in api.server.state.revoked_tokens

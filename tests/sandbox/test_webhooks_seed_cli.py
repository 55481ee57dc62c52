"""Webhook delivery, seeds and the `tipro sandbox` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tipro.sandbox import SandboxServer
from tipro.sandbox.state import SandboxState

from .conftest import Api

REPO = Path(__file__).resolve().parents[2]


class Receiver:
    """A loopback HTTP endpoint that records webhook deliveries."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict, dict]] = []
        self.event = threading.Event()

        @Request.application
        def app(request: Request) -> Response:
            self.calls.append((dict(request.headers), json.loads(request.get_data())))
            self.event.set()
            return Response("ok")

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def test_webhooks_for_customer_changes(api: Api, receiver: Receiver):
    subs = {}
    for verb in ("create", "update", "delete"):
        resp = api.post(
            "/event/subscription",
            {
                "event": f"customer.{verb}",
                "targetUrl": receiver.url,
                "fields": "id,name,version",
                "authHeaderName": "X-Tipro-Hook",
                "authHeaderValue": "hemmelig",
            },
        )
        assert resp.status_code == 201, resp.text
        assert "authHeaderValue" not in resp.json()["value"]  # write-only
        subs[verb] = resp.json()["value"]["id"]
    st = api.server.state
    root = api.server.root_url
    created = requests.post(
        f"{root}/_sandbox/data/customer", json={"name": "Webhook AS"}, timeout=10
    )
    cid = created.json()["value"]["id"]
    requests.patch(
        f"{root}/_sandbox/data/customer/{cid}", json={"name": "Webhook 2 AS"}, timeout=10
    )
    requests.delete(f"{root}/_sandbox/data/customer/{cid}", timeout=10)
    assert st.webhooks.wait_idle(5)
    payloads = [body for _, body in receiver.calls]
    assert payloads == [
        {
            "subscriptionId": subs["create"],
            "event": "customer.create",
            "id": cid,
            "value": {"id": cid, "name": "Webhook AS", "version": 0},
        },
        {
            "subscriptionId": subs["update"],
            "event": "customer.update",
            "id": cid,
            "value": {"id": cid, "name": "Webhook 2 AS", "version": 1},
        },
        {"subscriptionId": subs["delete"], "event": "customer.delete", "id": cid, "value": None},
    ]
    assert all(headers.get("X-Tipro-Hook") == "hemmelig" for headers, _ in receiver.calls)
    # An API write fires too, and a disabled subscription does not.
    api.put(f"/event/subscription/{subs['update']}", {"status": "DISABLED"})
    emp = api.values("/employee", fields="id")[0]["id"]
    api.post("/event/subscription", {"event": "employee.update", "targetUrl": receiver.url})
    api.put(f"/employee/{emp}", {"phoneNumberMobile": "41234567"})
    st.update("customer", api.values("/customer", fields="id")[0]["id"], {"email": "x@y.no"})
    assert st.webhooks.wait_idle(5)
    events = [body["event"] for _, body in receiver.calls[3:]]
    assert events == ["employee.update"]


def test_webhooks_for_project_and_product(api: Api, receiver: Receiver):
    subs = {}
    for subject in ("project", "product"):
        for verb in ("create", "update", "delete"):
            resp = api.post(
                "/event/subscription",
                {
                    "event": f"{subject}.{verb}",
                    "targetUrl": receiver.url,
                    "fields": "id,name",
                    "authHeaderName": "Authorization",
                    "authHeaderValue": "Bearer tipro-hook",
                },
            )
            assert resp.status_code == 201, resp.text
            subs[f"{subject}.{verb}"] = resp.json()["value"]["id"]
    root = api.server.root_url
    expected = []
    for subject, body in (
        ("project", {"name": "Hook-prosjekt", "startDate": "2025-01-01", "isInternal": True}),
        ("product", {"name": "Hook-vare"}),
    ):
        made = requests.post(f"{root}/_sandbox/data/{subject}", json=body, timeout=10)
        oid = made.json()["value"]["id"]
        # The update goes through the public API, as TiPro or a user in Tripletex would do it.
        assert api.put(f"/{subject}/{oid}", {"name": "Endret"}).status_code == 200
        requests.delete(f"{root}/_sandbox/data/{subject}/{oid}", timeout=10)
        expected += [
            (f"{subject}.create", oid, {"id": oid, "name": body["name"]}),
            (f"{subject}.update", oid, {"id": oid, "name": "Endret"}),
            (f"{subject}.delete", oid, None),
        ]
    assert api.server.state.webhooks.wait_idle(5)
    got = [(b["event"], b["id"], b["value"]) for _, b in receiver.calls]
    assert got == expected
    assert [b["subscriptionId"] for _, b in receiver.calls] == [subs[e] for e, _, _ in expected]
    assert all(h.get("Authorization") == "Bearer tipro-hook" for h, _ in receiver.calls)


def test_subscription_rules(api: Api):
    bad_event = api.post(
        "/event/subscription", {"event": "timesheet.create", "targetUrl": "https://x.no/h"}
    )
    assert bad_event.status_code == 422
    not_https = api.post(
        "/event/subscription", {"event": "customer.create", "targetUrl": "http://example.no/h"}
    )
    assert not_https.status_code == 422
    missing = api.post("/event/subscription", {"event": "customer.create"})
    assert missing.status_code == 422


def test_demo_seed_is_deterministic_and_realistic(tripletex_spec_path: str):
    from tipro.sandbox.spec import load_spec

    spec = load_spec(tripletex_spec_path)
    a = SandboxState(spec=spec, seed="demo")
    b = SandboxState(spec=spec, seed="demo")
    for kind in sorted(a.store.data):
        assert _public(a.all(kind)) == _public(b.all(kind)), kind
    assert (a.company_id, a.token_owner_id) == (b.company_id, b.token_owner_id)
    employees = [e for e in a.all("employee") if not e.get("isContact")]
    assert len(employees) == 12
    assert len(a.all("customer")) == 8 and len(a.all("project")) == 10
    assert {s["number"] for s in a.all("salaryType")} >= {"2000", "2001", "2005", "2006"}
    a.webhooks.stop()
    b.webhooks.stop()


def _public(objs: list[dict]) -> list[dict]:
    return [{k: v for k, v in o.items() if not k.startswith("_")} for o in objs]


def test_large_seed_is_big_quick_deterministic_and_served(tripletex_spec_path: str):
    with SandboxServer(spec_path=tripletex_spec_path, seed="large") as srv:
        t0 = time.monotonic()
        again = SandboxState(spec=None, seed="large")
        elapsed = time.monotonic() - t0
        try:
            assert len(again.all("employee")) == 1000
            assert len(again.all("customer")) == 10000
            assert len(again.all("project")) == 5000
            assert elapsed < 5, elapsed
            # Deterministic: a second build is identical, ids and all, kind by kind.
            for kind in sorted(srv.state.store.data):
                assert _public(srv.state.all(kind)) == _public(again.all(kind)), kind
            assert (srv.state.company_id, srv.state.token_owner_id) == (
                again.company_id,
                again.token_owner_id,
            )
        finally:
            again.webhooks.stop()
        api = Api(srv)
        page = api.get("/customer", count=1000, fields="id,name")
        assert page.status_code == 200
        assert page.json()["count"] == 1000
        assert srv.state.violations == []


@pytest.mark.parametrize(
    ("command", "flag", "env_name"),
    [
        # `python -m tipro.sandbox`: consumer token by flag, employee token by env var.
        ([sys.executable, "-m", "tipro.sandbox"], "--consumer-token", "EMPLOYEE"),
        # The installed `tipro sandbox`: employee token by flag, consumer token by env var.
        ([str(Path(sys.executable).parent / "tipro"), "sandbox"], "--employee-token", "CONSUMER"),
    ],
    ids=["python-m", "tipro-sandbox"],
)
def test_cli_prints_url_and_tokens(tripletex_spec_path: str, command, flag, env_name):
    given = {"--consumer-token": "min-consumer", "--employee-token": "min-ansatt-token"}
    from_env = "--employee-token" if flag == "--consumer-token" else "--consumer-token"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIPRO_SANDBOX_")}
    env[f"TIPRO_SANDBOX_{env_name}_TOKEN"] = given[from_env]
    proc = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", "0", flag, given[flag]]
        + ["--spec", tripletex_spec_path],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        base = lines[0].split(": ", 1)[1].strip()
        assert base.startswith("http://127.0.0.1:") and base.endswith("/v2")
        assert "min-consumer" in lines[1] and "min-ansatt-token" in lines[2]
        resp = requests.put(
            f"{base}/token/session/:create",
            params={
                "consumerToken": "min-consumer",
                "employeeToken": "min-ansatt-token",
                "expirationDate": "2099-01-01",
            },
            timeout=10,
        )
        assert resp.status_code == 200
        # The fixed tokens replaced the defaults: the default employee token is refused.
        default = requests.put(
            f"{base}/token/session/:create",
            params={
                "consumerToken": "min-consumer",
                "employeeToken": "sandbox-employee-token",
                "expirationDate": "2099-01-01",
            },
            timeout=10,
        )
        assert default.status_code == 422
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()

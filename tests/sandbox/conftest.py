"""Helpers for the sandbox tests: an authenticated requests session against the sandbox."""

from __future__ import annotations

from typing import Any

import pytest
import requests

# The spec-checking recorder of the client tests; with it, `tx` below drives the typed calls.
from tests.tripletex.conftest import make_client, rec  # noqa: F401


class Api:
    """A tiny Tripletex caller for tests (the real client lives in tipro/tripletex)."""

    def __init__(self, server: Any):
        self.server = server
        self.base = server.base_url
        self.http = requests.Session()
        self.token = self.new_session()
        self.http.auth = ("0", self.token)

    def new_session(self, expiration: str = "2099-12-31") -> str:
        st = self.server.state
        resp = requests.put(
            f"{self.base}/token/session/:create",
            params={
                "consumerToken": st.consumer_token,
                "employeeToken": st.employee_token,
                "expirationDate": expiration,
            },
            timeout=10,
        )
        assert resp.status_code == 200, resp.text
        return resp.json()["value"]["token"]

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.http.get(self.base + path, params=params, timeout=10)

    def post(self, path: str, body: Any, **params: Any) -> requests.Response:
        return self.http.post(self.base + path, json=body, params=params, timeout=10)

    def put(self, path: str, body: Any = None, **params: Any) -> requests.Response:
        return self.http.put(self.base + path, json=body, params=params, timeout=10)

    def delete(self, path: str, **params: Any) -> requests.Response:
        return self.http.delete(self.base + path, params=params, timeout=10)

    def values(self, path: str, **params: Any) -> list[dict[str, Any]]:
        resp = self.get(path, **params)
        assert resp.status_code == 200, resp.text
        return resp.json()["values"]

    def one(self, path: str, **params: Any) -> dict[str, Any]:
        values = self.values(path, **params)
        assert len(values) == 1, values
        return values[0]


@pytest.fixture
def api(sandbox) -> Api:
    """An authenticated session on the freshly reset demo sandbox."""
    return Api(sandbox)


@pytest.fixture
def tx(sandbox, rec):  # noqa: F811
    """tipro.tripletex's client against the sandbox; `rec` checks each query against the spec."""
    c = make_client(sandbox, rec)
    yield c
    c.close()


def employee_id(api: Api, first: str) -> int:
    """Id of a demo employee by first name."""
    return api.one("/employee", firstName=first, fields="id")["id"]


def project_id(api: Api, number: str) -> int:
    """Id of a demo project by number."""
    return api.one("/project", number=number, fields="id")["id"]


def activity_id(api: Api, name: str) -> int:
    """Id of an activity by exact name."""
    return next(a["id"] for a in api.values("/activity", name=name) if a["name"] == name)

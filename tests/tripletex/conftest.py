"""Fixtures for the Tripletex client tests: a client wired to the sandbox over real HTTP.

`sandbox` and `sandbox_server` come from tests/tripletex_fixtures.py (a pytest plugin).
"""

from __future__ import annotations

import time

import pytest

from tests.tripletex import spec_check
from tipro.tripletex.client import RequestLogEntry, TripletexClient


class Recorder:
    """Collects the client's request log and the sleeps it asked for."""

    def __init__(self) -> None:
        self.entries: list[RequestLogEntry] = []
        self.sleeps: list[float] = []

    def log(self, entry: RequestLogEntry) -> None:
        """on_request hook."""
        self.entries.append(entry)

    def sleep(self, seconds: float) -> None:
        """Injected sleep: record instead of waiting, the HTTP stays real."""
        self.sleeps.append(seconds)

    def statuses(self, method: str | None = None, path: str | None = None) -> list[int | None]:
        """Statuses of logged attempts, optionally for one method/path."""
        return [
            e.status
            for e in self.entries
            if (method is None or e.method == method) and (path is None or e.path == path)
        ]


@pytest.fixture
def rec():
    """A fresh recorder per test; afterwards every logged request is checked against the spec."""
    recorder = Recorder()
    yield recorder
    problems = [
        p for e in recorder.entries for p in spec_check.query_problems(e.method, e.path, e.query)
    ]
    assert problems == []


def make_client(sandbox, rec: Recorder, **kwargs) -> TripletexClient:
    """A client for the sandbox company, logging into rec and never really sleeping."""
    options = {"on_request": rec.log, "sleep": rec.sleep, "timeout": (2, 5)}
    options.update(kwargs)
    return TripletexClient(
        sandbox.base_url, sandbox.state.consumer_token, sandbox.state.employee_token, **options
    )


@pytest.fixture
def client(sandbox, rec):
    """A TripletexClient against the per-test sandbox (its requests are spec-checked by rec)."""
    c = make_client(sandbox, rec)
    yield c
    c.close()


def wait_for_server(sandbox, method: str, path: str, calls: int, seconds: float = 5.0) -> None:
    """Wait until the sandbox has finished `calls` requests, so a slow one cannot leak into
    the next test's fresh state."""
    deadline = time.monotonic() + seconds
    while sandbox.state.count_calls(method, path) < calls and time.monotonic() < deadline:
        time.sleep(0.05)

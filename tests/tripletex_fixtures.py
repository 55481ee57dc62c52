"""Pytest fixtures for the Tripletex sandbox (registered via pytest_plugins in conftest)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tipro.sandbox import SandboxServer, SandboxState

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = REPO.parent / "shared" / "tripletex" / "openapi.json"


@dataclass(frozen=True)
class SandboxTokens:
    """Tokens of the sandbox's seeded demo company."""

    consumer_token: str
    employee_token: str


@pytest.fixture(scope="session")
def tripletex_spec_path() -> str:
    """Path of the official Tripletex spec; the suite fails (not skips) without it."""
    path = Path(os.environ.get("TIPRO_TRIPLETEX_SPEC") or DEFAULT_SPEC)
    if not path.is_file():
        pytest.fail(
            f"Tripletex OpenAPI spec not found at {path}. Put openapi.json (v2.72.00) there or "
            "set TIPRO_TRIPLETEX_SPEC; the sandbox tests validate every request against it."
        )
    return str(path)


@pytest.fixture(scope="session")
def sandbox_server(tripletex_spec_path: str) -> Iterator[SandboxServer]:
    """One sandbox for the session, validating requests and its own responses."""
    server = SandboxServer(spec_path=tripletex_spec_path, validate_responses=True)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sandbox(
    request: pytest.FixtureRequest, sandbox_server: SandboxServer
) -> Iterator[SandboxServer]:
    """The session sandbox reset to the demo seed; fails the test if spec violations occurred.

    Yields the SandboxServer (`.base_url`, `.root_url`, `.state`). Mark a test with
    `@pytest.mark.sandbox_violations_expected` when it provokes violations on purpose.
    """
    state: SandboxState = sandbox_server.state
    state.reset("demo")
    yield sandbox_server
    state.webhooks.wait_idle(5.0)
    violations = state.violations
    state.faults.clear()
    if request.node.get_closest_marker("sandbox_violations_expected") is None and violations:
        lines = "\n".join(
            f"  [{v['kind']}] {v['method']} {v['path']}: {v['message']}" for v in violations
        )
        pytest.fail(f"Tripletex spec violations recorded by the sandbox:\n{lines}", pytrace=False)


@pytest.fixture
def sandbox_tokens(sandbox: SandboxServer) -> SandboxTokens:
    """Consumer and employee token of the demo company."""
    return SandboxTokens(sandbox.state.consumer_token, sandbox.state.employee_token)

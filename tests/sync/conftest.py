"""Fixtures for the sync tests: the app pointed at the per-test sandbox over real HTTP."""

from __future__ import annotations

import pytest

from tipro.extensions import db as _db
from tipro.models import Company

KEYS = (
    "TRIPLETEX_API_URL",
    "TRIPLETEX_CONSUMER_TOKEN",
    "TRIPLETEX_CLIENT_OPTIONS",
    "PUBLIC_URL",
)
# Real HTTP, real retries; only the waits between retries are shortened.
FAST = {"backoff_base": 0.01, "rate_backoff_base": 0.01, "timeout": (2, 5)}


@pytest.fixture
def tx_app(app, sandbox):
    """The app configured for the sandbox (restored afterwards)."""
    saved = {k: app.config.get(k) for k in KEYS}
    app.config.update(
        TRIPLETEX_API_URL=sandbox.base_url,
        TRIPLETEX_CONSUMER_TOKEN=sandbox.state.consumer_token,
        TRIPLETEX_CLIENT_OPTIONS=dict(FAST),
        # No reachable TiPro here: webhooks are off unless a test serves the app.
        PUBLIC_URL="http://tipro.invalid",
    )
    yield app
    app.config.update(saved)


@pytest.fixture
def connected(tx_app, db, sandbox):
    """A company connected to the sandbox (no sync yet)."""
    from tipro.sync.connection import connect
    from tipro.sync.services import settings

    company = Company(name="Fjellheim Bygg AS (test)")
    db.session.add(company)
    db.session.commit()
    connect(db.session, company, sandbox.state.employee_token, settings())
    return _db.session.get(Company, company.id)

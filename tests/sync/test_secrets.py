"""Tripletex tokens never rest in clear: the session token is encrypted in the database, and
a token inside a logged URL path is redacted."""

from __future__ import annotations

import logging

from sqlalchemy import text

from tipro.crypto import decrypt
from tipro.models.sync import TripletexConnection
from tipro.sync.connection import connect, disconnect
from tipro.sync.services import settings


def _raw_rows(db, table: str) -> str:
    rows = db.session.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608 (fixed names)
    return repr(rows)


def test_the_session_token_is_stored_encrypted(tx_app, db, sandbox, make_company):
    company = make_company()
    connect(db.session, company, sandbox.state.employee_token, settings())
    sessions = list(sandbox.state.sessions)
    assert sessions, "connecting made no Tripletex session"
    row = db.session.query(TripletexConnection).filter_by(company_id=company.id).one()
    assert row.session_token_encrypted
    # It is the session token, encrypted with the deployment's key (not hashed, not lost) …
    assert decrypt(row.session_token_encrypted, tx_app.config["ENCRYPTION_KEY"]) in sessions
    # … and no session token appears anywhere in the stored rows, in any column.
    stored = _raw_rows(db, "tripletex_connections") + _raw_rows(db, "companies")
    for token in sessions:
        assert token not in stored


def test_a_token_in_a_logged_url_path_is_redacted(tx_app, db, sandbox, make_company, caplog):
    company = make_company()
    connect(db.session, company, sandbox.state.employee_token, settings())
    token = next(iter(sandbox.state.sessions))
    caplog.set_level(logging.DEBUG, logger="urllib3.connectionpool")
    disconnect(db.session, company, settings())  # DELETE /token/session/<token>
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/token/session/***" in logged, logged
    assert token not in logged


def test_a_lost_answer_while_subscribing_webhooks_leaves_no_untracked_subscription(
    tx_app, db, sandbox, make_company
):
    """Tripletex stored the subscription but the answer was lost: read back, then track it."""
    tx_app.config["PUBLIC_URL"] = "http://127.0.0.1:9"  # loopback: webhooks allowed, none sent
    company = make_company()
    st = sandbox.state
    st.faults.inject_lost_response(1, ("POST",), path_prefix="/event/subscription")
    result = connect(db.session, company, st.employee_token, settings())
    assert st.faults.rules[0].fired == 1
    row = db.session.query(TripletexConnection).filter_by(company_id=company.id).one()
    in_tripletex = {s["id"] for s in st.all("subscription")}
    assert result.webhooks == "active", result.webhook_error
    assert set(row.webhook_subscription_ids) == in_tripletex  # every one known, none twice
    assert len({s["event"] for s in st.all("subscription")}) == len(in_tripletex)

    disconnect(db.session, company, settings())
    assert st.all("subscription") == []  # so disconnecting removes them all

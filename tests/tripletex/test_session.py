"""Sessions: creation, caching, renewal ahead of Oslo expiry, re-auth on 401, reconnect errors."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.tripletex.conftest import make_client
from tipro.tripletex.client import (
    SESSION_PATH,
    MemorySessionCache,
    TripletexClient,
    encode_path,
    oslo_today,
)
from tipro.tripletex.errors import AuthenticationError, NeedsReconnect


def test_who_am_i_creates_one_session_and_reuses_it(sandbox, client, rec):
    me = client.who_am_i()
    assert me["companyId"] == sandbox.state.company_id
    assert me["employeeId"] == sandbox.state.token_owner_id
    assert me["employee"]["firstName"] and me["company"]["name"]
    client.who_am_i()
    assert sandbox.state.count_calls("PUT", SESSION_PATH) == 1
    assert sandbox.state.count_calls("GET", "/token/session/") == 2
    assert rec.statuses("PUT", SESSION_PATH) == [200]


def test_session_expiry_is_oslo_today_plus_seven(sandbox, client):
    client.who_am_i()
    token, expires = client.session_cache.get()
    assert expires == oslo_today() + timedelta(days=7)
    assert token in sandbox.state.sessions
    assert sandbox.state.sessions[token]["expiration"] == expires


def test_session_survives_oslo_midnight_and_is_renewed_a_day_early(sandbox, rec):
    day = date(2025, 3, 10)
    today = {"value": day}
    client = make_client(sandbox, rec, today=lambda: today["value"])
    # 23:59 in Oslo (22:59 UTC): a UTC host would still say the 10th either way.
    sandbox.state.set_now(datetime(2025, 3, 10, 22, 59, tzinfo=UTC))
    client.who_am_i()
    # Oslo midnight passes: the session must still work, no new session, no 401.
    sandbox.state.set_now(datetime(2025, 3, 10, 23, 1, tzinfo=UTC))
    today["value"] = date(2025, 3, 11)
    client.who_am_i()
    assert sandbox.state.count_calls("PUT", SESSION_PATH) == 1
    # Five days later: still the same session.
    sandbox.state.set_now(datetime(2025, 3, 15, 12, 0, tzinfo=UTC))
    today["value"] = date(2025, 3, 15)
    client.who_am_i()
    assert sandbox.state.count_calls("PUT", SESSION_PATH) == 1
    # The day before expiry (17th): renewed ahead, before any 401 could happen.
    sandbox.state.set_now(datetime(2025, 3, 16, 12, 0, tzinfo=UTC))
    today["value"] = date(2025, 3, 16)
    client.who_am_i()
    assert sandbox.state.count_calls("PUT", SESSION_PATH) == 2
    assert 401 not in rec.statuses()
    assert client.session_cache.get()[1] == date(2025, 3, 23)


def test_cached_session_is_shared_between_clients(sandbox, rec):
    cache = MemorySessionCache()
    make_client(sandbox, rec, session_cache=cache).who_am_i()
    make_client(sandbox, rec, session_cache=cache).who_am_i()
    assert sandbox.state.count_calls("PUT", SESSION_PATH) == 1


def test_401_creates_one_new_session_and_retries_once(sandbox, client, rec):
    client.who_am_i()
    first = client.session_cache.get()[0]
    sandbox.state.expire_sessions()
    me = client.who_am_i()
    assert me["companyId"] == sandbox.state.company_id
    assert client.session_cache.get()[0] != first
    # Exactly one new session (two in all, counting the first) and one retry.
    assert sandbox.state.count_calls("PUT", SESSION_PATH) == 2
    assert [(e.method, e.status) for e in rec.entries] == [
        ("PUT", 200),
        ("GET", 200),
        ("GET", 401),
        ("PUT", 200),
        ("GET", 200),
    ]


def test_401_that_persists_after_reauth_raises_authentication_error(sandbox, rec):
    # A company id the token cannot reach gives 401 even with a fresh session.
    client = make_client(sandbox, rec, company_id=987654321)
    with pytest.raises(AuthenticationError) as info:
        client.list_departments()
    assert info.value.status == 401
    assert sandbox.state.count_calls("PUT", SESSION_PATH) == 2
    assert rec.statuses("GET") == [401, 401]


def test_revoked_employee_token_raises_needs_reconnect(sandbox, client, rec):
    client.who_am_i()
    sandbox.state.revoke_employee_token()
    with pytest.raises(NeedsReconnect) as info:
        client.list_departments()
    assert info.value.status in (401, 403, 422)
    assert "ny nøkkel" in info.value.user_message
    # One 401 on the call, one refused session creation, and no loop.
    assert sandbox.state.count_calls("PUT", SESSION_PATH) == 2


def test_wrong_employee_token_from_the_start_raises_needs_reconnect(sandbox, rec):
    client = TripletexClient(
        sandbox.base_url,
        sandbox.state.consumer_token,
        "test-not-a-real-token",
        on_request=rec.log,
        sleep=rec.sleep,
    )
    with pytest.raises(NeedsReconnect):
        client.who_am_i()
    assert sandbox.state.count_calls("PUT", SESSION_PATH) == 1


@pytest.mark.parametrize(
    ("base_url", "token", "expected"),
    [
        ("https://tripletex.no/v2", "test-abc", "test"),
        ("https://api-test.tripletex.tech/v2", "abc", "production"),
        ("https://tripletex.no/v2", "abc", None),
        ("https://api-test.tripletex.tech/v2", "test-abc", None),
    ],
)
def test_wrong_environment_is_detected_from_the_token_prefix(base_url, token, expected):
    client = TripletexClient(base_url, "consumer", token)
    assert client._wrong_environment() == expected


def test_basic_auth_and_tokens_never_logged(sandbox, client, rec):
    client.who_am_i()
    session = client.session_cache.get()[0]
    assert (
        client._auth_header(session)
        == "Basic " + base64.b64encode(f"0:{session}".encode()).decode()
    )
    secrets = [sandbox.state.consumer_token, sandbox.state.employee_token, session]
    for entry in rec.entries:
        for secret in secrets:
            assert secret not in repr(entry)
    create = next(e for e in rec.entries if e.path == SESSION_PATH)
    assert create.query["consumerToken"] == "***" and create.query["employeeToken"] == "***"
    assert create.query["expirationDate"] == (oslo_today() + timedelta(days=7)).isoformat()


def test_paths_with_colon_and_gt_are_encoded():
    assert encode_path("/token/session/>whoAmI") == "/token/session/%3EwhoAmI"
    assert encode_path("/timesheet/month/:approve") == "/timesheet/month/:approve"
    assert encode_path("/activity/>forTimeSheet") == "/activity/%3EforTimeSheet"

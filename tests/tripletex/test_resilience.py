"""Rate limits, 5xx, timeouts and lost responses: GETs retried, writes never blindly replayed."""

from __future__ import annotations

import time
from datetime import date

import pytest

from tests.tripletex.conftest import make_client, wait_for_server
from tipro.tripletex.client import MemorySessionCache, TripletexClient
from tipro.tripletex.errors import (
    NetworkError,
    OutcomeUnknown,
    RateLimited,
    ServerError,
)
from tipro.tripletex.types import NewTimesheetEntry


@pytest.fixture
def entry(client):
    """A valid new timesheet entry for Kari on Skøyen."""
    kari = next(e for e in client.list_employees() if e.get("email") == "kari@fjellheimbygg.no")
    skoyen = next(p for p in client.list_projects() if p["number"] == "1001")
    snekring = next(a for a in client.list_activities() if a["name"] == "Snekring")
    return NewTimesheetEntry(
        employee_id=kari["id"],
        activity_id=snekring["id"],
        project_id=skoyen["id"],
        date=date(2025, 1, 21),
        hours=7.5,
    )


def _stored(client, entry):
    return client.list_timesheet_entries(entry.date, date(2025, 2, 1), entry.employee_id).values


def test_429_with_reset_waits_reset_seconds_and_retries(sandbox, client, rec):
    client.who_am_i()
    sandbox.state.faults.inject_429(2, reset_header=True, reset_seconds=3)
    assert len(client.list_departments()) == 4
    assert rec.statuses("GET", "/department") == [429, 429, 200]
    assert rec.sleeps == [3.5, 3.5]


def test_429_without_reset_backs_off_with_jitter(sandbox, client, rec):
    client.who_am_i()
    sandbox.state.faults.inject_429(3, reset_header=False)
    client.list_departments()
    assert rec.statuses("GET", "/department") == [429, 429, 429, 200]
    first, second, third = rec.sleeps
    assert 5 <= first <= 10 and 10 <= second <= 20 and 20 <= third <= 40


def test_429_on_post_is_retried_and_stored_once(sandbox, client, rec, entry):
    sandbox.state.faults.inject_429(1, methods=["POST"])
    created = client.create_timesheet_entry(entry)
    assert rec.statuses("POST", "/timesheet/entry") == [429, 201]
    assert [e["id"] for e in _stored(client, entry)] == [created["id"]]


def test_429_that_persists_raises_rate_limited(sandbox, client, rec):
    client.who_am_i()
    sandbox.state.faults.inject_429(10, reset_header=True, reset_seconds=1)
    with pytest.raises(RateLimited) as info:
        client.list_departments()
    assert info.value.status == 429
    assert len(rec.statuses("GET", "/department")) == 1 + client.max_retries


def test_429_with_reset_beyond_max_wait_gives_up_at_once(sandbox, rec):
    client = make_client(sandbox, rec, max_rate_wait=30)
    client.who_am_i()
    sandbox.state.faults.inject_429(1, reset_header=True, reset_seconds=3600)
    with pytest.raises(RateLimited):
        client.list_departments()
    assert rec.sleeps == []


def test_paces_ahead_of_the_limit_from_headers(sandbox, rec):
    # A real limit of 10 per rolling second; pacing must really wait, so sleep for real.
    def sleep(seconds):
        rec.sleep(seconds)
        time.sleep(seconds)

    client = make_client(sandbox, rec, sleep=sleep)
    client.who_am_i()
    sandbox.state.set_rate_limit(10, window_seconds=1)
    for _ in range(15):
        client.list_departments()
    # Remaining fell to the reserve (limit/10), so the client waited for the reset
    # instead of running into 429s.
    assert 429 not in rec.statuses()
    assert client.rate_waits and all(0 < w <= 2 for w in client.rate_waits)


def test_5xx_on_get_is_retried(sandbox, client, rec):
    client.who_am_i()
    sandbox.state.faults.inject_5xx(2, status=503, methods=["GET"])
    assert len(client.list_departments()) == 4
    assert rec.statuses("GET", "/department") == [503, 503, 200]
    assert len(rec.sleeps) == 2 and all(0 < s <= 2 for s in rec.sleeps)


def test_5xx_on_get_that_persists_raises_server_error(sandbox, client, rec):
    client.who_am_i()
    sandbox.state.faults.inject_5xx(10, methods=["GET"])
    with pytest.raises(ServerError) as info:
        client.list_departments()
    assert info.value.status == 500 and "utilgjengelig" in info.value.user_message
    assert len(rec.statuses("GET", "/department")) == 1 + client.max_retries


def test_5xx_on_post_is_outcome_unknown_and_not_replayed(sandbox, client, rec, entry):
    sandbox.state.faults.inject_5xx(1, methods=["POST"])
    with pytest.raises(OutcomeUnknown) as info:
        client.create_timesheet_entry(entry)
    err = info.value
    assert err.status == 500 and err.method == "POST" and err.path == "/timesheet/entry"
    assert err.payload == entry.to_json()
    assert sandbox.state.count_calls("POST", "/timesheet/entry") == 1
    # The caller reconciles by reading: here the 5xx stored nothing.
    assert _stored(client, entry) == []


def test_lost_response_on_post_is_outcome_unknown_and_reconcilable(sandbox, client, rec, entry):
    sandbox.state.faults.inject_lost_response(1, methods=["POST"])
    with pytest.raises(OutcomeUnknown) as info:
        client.create_timesheet_entry(entry)
    assert info.value.status is None
    assert sandbox.state.count_calls("POST", "/timesheet/entry") == 1
    # It was stored: reading back finds exactly one, so the caller records it, not re-posts.
    assert len(_stored(client, entry)) == 1


def test_lost_response_as_504_on_delete_is_outcome_unknown(sandbox, client, entry):
    created = client.create_timesheet_entry(entry)
    sandbox.state.faults.inject_lost_response(1, methods=["DELETE"], mode="504")
    with pytest.raises(OutcomeUnknown) as info:
        client.delete_timesheet_entry(created["id"], created["version"])
    assert info.value.status == 504
    assert sandbox.state.count_calls("DELETE", "/timesheet/entry") == 1
    assert _stored(client, entry) == []


def test_timeout_on_get_is_retried(sandbox, rec):
    client = make_client(sandbox, rec, timeout=(2, 0.5))
    client.who_am_i()
    sandbox.state.faults.inject_slow(1, 1.5, methods=["GET"], path_prefix="/department")
    assert len(client.list_departments()) == 4
    statuses = rec.statuses("GET", "/department")
    assert statuses == [None, 200]
    wait_for_server(sandbox, "GET", "/department", 2)
    assert [e.error for e in rec.entries if e.path == "/department"] == ["timeout", None]


def test_timeout_on_get_that_persists_raises_network_error(sandbox, rec):
    client = make_client(sandbox, rec, timeout=(2, 0.3), max_retries=1)
    client.who_am_i()
    sandbox.state.faults.inject_slow(2, 1.0, methods=["GET"], path_prefix="/department")
    with pytest.raises(NetworkError):
        client.list_departments()
    assert rec.statuses("GET", "/department") == [None, None]
    wait_for_server(sandbox, "GET", "/department", 2)


def test_timeout_on_post_is_outcome_unknown_and_not_replayed(sandbox, rec, entry):
    client = make_client(sandbox, rec, timeout=(2, 0.5))
    sandbox.state.faults.inject_slow(1, 1.5, methods=["POST"], path_prefix="/timesheet/entry")
    with pytest.raises(OutcomeUnknown) as info:
        client.create_timesheet_entry(entry)
    assert info.value.payload == entry.to_json()
    assert [e.error for e in rec.entries if e.method == "POST"] == ["timeout"]
    # The server finished the one POST late; reading back finds it: reconcile, don't re-post.
    wait_for_server(sandbox, "POST", "/timesheet/entry", 1)
    assert sandbox.state.count_calls("POST", "/timesheet/entry") == 1
    assert len(_stored(client, entry)) == 1


def test_connection_refused_is_retried_even_for_writes(rec):
    # Nothing listens on port 9 of loopback: the request cannot have arrived, so a retry is safe.
    cache = MemorySessionCache()
    cache.set("irrelevant", date(2999, 1, 1))
    client = TripletexClient(
        "http://127.0.0.1:9/v2",
        "c",
        "e",
        session_cache=cache,
        on_request=rec.log,
        sleep=rec.sleep,
        timeout=(1, 1),
        max_retries=2,
    )
    with pytest.raises(NetworkError) as info:
        client.post("/timesheet/entry", {"x": 1})
    assert not isinstance(info.value, OutcomeUnknown)
    assert [e.error for e in rec.entries] == ["connection"] * 3


def test_request_log_fields(sandbox, client, rec):
    client.list_departments()
    entry = rec.entries[-1]
    assert entry.method == "GET" and entry.path == "/department" and entry.status == 200
    assert entry.duration_ms >= 0 and entry.request_id and entry.attempt == 1
    assert entry.query["fields"] and entry.query["from"] == "0" and entry.query["count"] == "1001"


def test_network_error_text_never_carries_tokens():
    """A refused connection on session creation names the URL; the tokens must not leak."""
    import socket

    from tipro.tripletex.client import TripletexClient
    from tipro.tripletex.errors import TripletexError

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    client = TripletexClient(
        f"http://127.0.0.1:{port}/v2",
        "consumer-secret-123",
        "employee-secret-456",
        max_retries=0,
        sleep=lambda _s: None,
    )
    with pytest.raises(TripletexError) as caught:
        client.who_am_i()
    text = str(caught.value) + repr(caught.value) + str(caught.value.__cause__)
    assert "consumer-secret-123" not in text and "employee-secret-456" not in text
    assert caught.value.__cause__ is None

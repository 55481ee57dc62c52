"""User messages and classification of Tripletex errors (pure, no HTTP)."""

from __future__ import annotations

import pytest

from tipro.tripletex.errors import (
    Conflict,
    NeedsReconnect,
    OutcomeUnknown,
    PermissionDenied,
    TripletexError,
    ValidationFailed,
    ValidationMessage,
    error_class_for,
)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, "AuthenticationError"),
        (403, "PermissionDenied"),
        (404, "NotFound"),
        (409, "Conflict"),
        (422, "ValidationFailed"),
        (400, "ValidationFailed"),
        (429, "RateLimited"),
        (500, "ServerError"),
        (503, "ServerError"),
        (418, "TripletexError"),
    ],
)
def test_status_maps_to_class(status, cls):
    assert error_class_for(status).__name__ == cls


@pytest.mark.parametrize(
    ("status", "needle"),
    [
        (None, "Kunne ikke snakke"),
        (401, "Innloggingen"),
        (404, "Fant ikke"),
        (429, "begrenser"),
        (500, "utilgjengelig"),
        (400, "avviste"),
    ],
)
def test_user_message_per_status(status, needle):
    assert needle in TripletexError("x", status=status).user_message


def test_403_on_salary_explains_komplett():
    err = PermissionDenied("nope", status=403, code=9000, path="/salary/transaction")
    assert "Tripletex Komplett" in err.user_message
    assert "lønn" in err.user_message
    other = PermissionDenied("nope", status=403, code=9000, path="/project")
    assert "Komplett" not in other.user_message
    assert "rettigheter" in other.user_message


@pytest.mark.parametrize(
    ("code", "dup", "stale", "locked", "needle"),
    [
        (7000, True, False, False, "finnes allerede"),
        (14000, True, False, False, "finnes allerede"),
        (8000, False, True, False, "endret"),
        (10000, False, False, True, "låst"),
    ],
)
def test_conflict_flags(code, dup, stale, locked, needle):
    err = Conflict("c", status=409, code=code)
    assert (err.is_duplicate, err.is_stale, err.is_locked) == (dup, stale, locked)
    assert needle in err.user_message


def test_422_lists_field_messages_and_str_has_details():
    err = ValidationFailed(
        "Validering feilet.",
        status=422,
        code=18000,
        request_id="r-1",
        validation_messages=[
            ValidationMessage("employments.division.name", "Feltet kan ikke være tomt.", "p"),
        ],
    )
    assert "employments.division.name: Feltet kan ikke være tomt." in err.user_message
    assert "r-1" in str(err) and "18000" in str(err)


@pytest.mark.parametrize(
    ("env", "needle"),
    [(None, "ny nøkkel"), ("test", "testnøkkel"), ("production", "produksjonsnøkkel")],
)
def test_needs_reconnect_messages(env, needle):
    assert needle in NeedsReconnect("x", status=401, wrong_environment=env).user_message


def test_outcome_unknown_keeps_payload():
    err = OutcomeUnknown("timeout", method="POST", path="/order", payload={"a": 1})
    assert err.payload == {"a": 1} and err.method == "POST" and err.path == "/order"
    assert "Vi vet ikke" in err.user_message

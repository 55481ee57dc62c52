"""Error answers: a whole page without JavaScript, the message region for any htmx request."""

from __future__ import annotations

import secrets

import pytest

from tipro.errors import CSRF_TOKEN_HEADER, MESSAGE_REGION

# What the browser sends for a form inside <body hx-boost="true">, and for a plain hx-post.
BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}
HX_POST = {"HX-Request": "true", "HX-Target": "today"}


def expired_token(client) -> str:
    """The token of a page opened before the session's CSRF secret changed.

    Tokens have no time limit (WTF_CSRF_TIME_LIMIT is None); what makes a form go stale in real
    use is a new session secret, e.g. after logging out and in again in another tab.
    """
    stale = client.csrf_token()
    with client.session_transaction() as session:
        session["csrf_token"] = secrets.token_hex(20)
    return stale


@pytest.mark.parametrize("headers", [BOOSTED, HX_POST], ids=["boosted", "hx-post"])
def test_expired_form_over_htmx_keeps_the_page_and_renews_the_token(
    client, make_user, login, headers
):
    login(make_user())
    client.get("/")
    stale = expired_token(client)
    form = {"csrf_token": stale, "hours": "7,5", "comment": "Forskaling"}
    response = client.post(
        "/registreringer", data=form, headers={**headers, "X-CSRFToken": stale}, csrf=False
    )
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == MESSAGE_REGION
    assert response.headers["HX-Reswap"] == "innerHTML"
    body = response.get_data(as_text=True)
    assert "Skjemaet er utløpt" in body and "Send det på nytt" in body
    assert "<nav" not in body and "<html" not in body  # only the message, never a page
    fresh = response.headers[CSRF_TOKEN_HEADER]
    again = client.post(
        "/registreringer",
        data={**form, "csrf_token": fresh},
        headers={**headers, "X-CSRFToken": fresh},
        csrf=False,
    )
    # Past the CSRF check: the entry rules answer (no project chosen), not the expired form.
    assert again.status_code == 422
    assert "Skjemaet er utløpt" not in again.get_data(as_text=True)


def test_expired_form_without_javascript_gets_the_whole_error_page(client, make_user, login):
    login(make_user())
    client.get("/")
    stale = expired_token(client)
    response = client.post("/registreringer", data={"csrf_token": stale}, csrf=False)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "<html" in body and "Last siden på nytt" in body
    assert "HX-Retarget" not in response.headers
    assert CSRF_TOKEN_HEADER not in response.headers


def test_htmx_error_goes_to_the_message_region(client, make_user, login):
    login(make_user())
    response = client.get("/finnes-ikke", headers=BOOSTED)
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == MESSAGE_REGION
    assert "Fant ikke siden" in response.get_data(as_text=True)


def test_base_page_has_the_message_region_and_network_status(client, make_user, login):
    login(make_user())
    body = client.get("/").get_data(as_text=True)
    assert f'id="{MESSAGE_REGION[1:]}"' in body and 'role="alert"' in body
    assert 'id="network-status"' in body and "Ingen forbindelse" in body

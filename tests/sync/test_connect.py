"""Connecting on the settings page, bad tokens, revoked tokens and reconnecting."""

from __future__ import annotations

import pytest

from tipro.models import Company
from tipro.models.sync import TripletexConnection
from tipro.sync.connection import ConnectError, connect
from tipro.sync.jobs import run_sync
from tipro.sync.services import active_run, run_inline, settings


@pytest.fixture
def admin(db, make_company, make_user):
    company = make_company("Fjellheim Bygg AS (side)")
    return make_user(company=company, role="admin")


def _post_token(client, token):
    return client.post("/admin/innstillinger/tripletex", data={"employee_token": token})


def test_connect_on_settings_page_shows_company_user_and_never_the_token(
    tx_app, sandbox, admin, login, db
):
    client = login(admin)
    token = sandbox.state.employee_token
    response = _post_token(client, f"  {token}\n")
    assert response.status_code == 302, response.get_data(as_text=True)
    company = db.session.get(Company, admin.company_id)
    assert company.tripletex_status == "connected"
    assert company.tripletex_company_name == "Fjellheim Bygg AS"
    assert company.tripletex_employee_token_encrypted and token not in (
        company.tripletex_employee_token_encrypted
    )
    assert company.tripletex_token_last4 == token[-4:]
    page = client.get("/admin/innstillinger").get_data(as_text=True)
    assert "Fjellheim Bygg AS" in page and "Ingrid Fjellheim" in page
    assert token not in page and f"•••• {token[-4:]}" in page
    assert "Nøkkelen har tilgang til ansatte, prosjekter, lønn og ordre." in page
    # A full sync was queued by connecting.
    sync_page = client.get("/admin/synkronisering").get_data(as_text=True)
    assert "Siste synkronisering" in sync_page


def test_missing_salary_access_is_listed_in_norwegian(tx_app, sandbox, admin, login, db):
    sandbox.state.set_module("salary", False)
    client = login(admin)
    assert _post_token(client, sandbox.state.employee_token).status_code == 302
    page = client.get("/admin/innstillinger").get_data(as_text=True)
    assert "Nøkkelen mangler tilgang til: lønn." in page


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "Lim inn API-nøkkelen fra Tripletex før du lagrer."),
        ("   ", "Lim inn API-nøkkelen fra Tripletex før du lagrer."),
        ("Min profil → API-tilgang", "Dette ser ikke ut som en API-nøkkel fra Tripletex."),
        ("eyJ0b2tlbklkIjoxMjM0NTY3ODl9-feil", "Tripletex godtok ikke nøkkelen."),
    ],
)
def test_bad_tokens_get_their_own_message_and_store_nothing(
    tx_app, sandbox, admin, login, db, token, message
):
    client = login(admin)
    response = _post_token(client, token)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    company = db.session.get(Company, admin.company_id)
    assert company.tripletex_status == "not_connected"
    assert company.tripletex_employee_token_encrypted is None


def test_token_of_another_environment_is_named(tx_app, admin, login, db):
    tx_app.config["TRIPLETEX_API_URL"] = "https://tripletex.no/v2"
    client = login(admin)
    response = _post_token(client, "test-eyJ0b2tlbklkIjoxMjM0NTY3fQ==")
    assert response.status_code == 422
    assert "Nøkkelen er fra Tripletex sitt testmiljø" in response.get_data(as_text=True)
    assert db.session.get(Company, admin.company_id).tripletex_employee_token_encrypted is None


def test_revoked_token_marks_needs_reconnect_and_a_new_token_recovers(
    tx_app, sandbox, admin, login, db
):
    client = login(admin)
    assert _post_token(client, sandbox.state.employee_token).status_code == 302
    company_id = admin.company_id
    queued = active_run(company_id)  # connecting queued a full sync; run it as the worker would
    assert queued.mode == "full"
    assert run_sync(queued.company_id, queued.id) == "done"

    sandbox.state.revoke_employee_token()
    run = run_inline(company_id)
    assert run.status == "failed"
    company = db.session.get(Company, company_id)
    assert company.tripletex_status == "needs_reconnect"
    for url in ("/admin/synkronisering", "/admin/innstillinger"):
        page = client.get(url).get_data(as_text=True)
        assert "Tilkoblingen må fornyes." in page, url

    sandbox.state.restore_employee_token("sandbox-new-token-2")
    assert _post_token(client, "sandbox-new-token-2").status_code == 302
    db.session.expire_all()
    assert db.session.get(Company, company_id).tripletex_status == "connected"
    assert db.session.get(Company, company_id).tripletex_token_last4 == "en-2"
    assert (
        run_sync(company_id, active_run(company_id).id) == "done"
    )  # the full sync reconnecting queued
    page = client.get("/admin/synkronisering").get_data(as_text=True)
    assert "Tilkoblingen må fornyes." not in page


def test_connect_service_refuses_a_token_for_another_tripletex_company(connected, db, sandbox):
    run_inline(connected.id, full=True)
    connected.tripletex_company_id = 999999  # as if connected to another company before
    db.session.commit()
    with pytest.raises(ConnectError) as caught:
        connect(db.session, connected, sandbox.state.employee_token, settings())
    assert caught.value.code == "other_company"


def test_settings_and_sync_pages_are_for_admins_only(tx_app, db, make_user, login):
    client = login(make_user(role="approver"))
    for url in ("/admin/innstillinger", "/admin/synkronisering", "/admin/synkronisering/status"):
        assert client.get(url).status_code == 403
    assert client.post("/admin/synkronisering").status_code == 403


def test_disconnect_forgets_the_token(tx_app, sandbox, admin, login, db):
    client = login(admin)
    _post_token(client, sandbox.state.employee_token)
    response = client.post("/admin/innstillinger/tripletex/koble-fra")
    assert response.status_code == 302
    company = db.session.get(Company, admin.company_id)
    assert company.tripletex_status == "not_connected"
    assert company.tripletex_employee_token_encrypted is None
    row = db.session.query(TripletexConnection).filter_by(company_id=company.id).one()
    assert row.session_token_encrypted is None

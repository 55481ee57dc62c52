"""Log-in, log-out, throttling, CSRF and safe redirects."""

from sqlalchemy import select

from tipro.models import LoginFailure


def test_login_page_is_norwegian(client):
    response = client.get("/logg-inn")
    assert response.status_code == 200
    assert "Logg inn" in response.get_data(as_text=True)


def test_login_success_and_logout(client, make_user):
    user = make_user(role="employee", name="Kari Nordmann")
    response = client.post(
        "/logg-inn", data={"email": user.email.upper(), "password": "riktig-hest-batteri"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Hei, Kari Nordmann" in page
    # Log-out is a POST (a GET cannot log anyone out via a link or image).
    assert client.get("/logg-ut").status_code == 405
    assert client.post("/logg-ut").status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_with_message(client, make_user, db):
    user = make_user()
    response = client.post("/logg-inn", data={"email": user.email, "password": "feil"})
    assert response.status_code == 401
    assert "Feil e-post eller passord." in response.get_data(as_text=True)
    assert db.session.scalars(select(LoginFailure).where(LoginFailure.email == user.email)).all()


def test_unknown_user_gets_same_message(client):
    response = client.post("/logg-inn", data={"email": "ingen@example.no", "password": "x"})
    assert response.status_code == 401
    assert "Feil e-post eller passord." in response.get_data(as_text=True)


def test_disabled_user_cannot_log_in(client, make_user):
    user = make_user(is_enabled=False)
    response = client.post(
        "/logg-inn", data={"email": user.email, "password": "riktig-hest-batteri"}
    )
    assert response.status_code == 401


def test_empty_form_gets_field_messages(client):
    response = client.post("/logg-inn", data={"email": "", "password": ""})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Skriv inn e-postadressen din." in body
    assert "Skriv inn passordet ditt." in body


def test_throttled_per_account_even_with_right_password(client, make_user, app):
    user = make_user()
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        assert (
            client.post("/logg-inn", data={"email": user.email, "password": "feil"}).status_code
            == 401
        )
    response = client.post(
        "/logg-inn", data={"email": user.email, "password": "riktig-hest-batteri"}
    )
    assert response.status_code == 429
    assert "For mange mislykkede innlogginger for denne kontoen" in response.get_data(as_text=True)
    # Another account from the same address is not locked by this one.
    other = make_user()
    assert (
        client.post(
            "/logg-inn", data={"email": other.email, "password": "riktig-hest-batteri"}
        ).status_code
        == 302
    )


def test_throttled_per_address(client, make_user, app):
    user = make_user()
    for n in range(app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        client.post("/logg-inn", data={"email": f"gjett{n}@example.no", "password": "x"})
    response = client.post(
        "/logg-inn", data={"email": user.email, "password": "riktig-hest-batteri"}
    )
    assert response.status_code == 429
    assert "fra denne adressen" in response.get_data(as_text=True)


def test_successful_login_clears_account_failures(client, make_user, db):
    user = make_user()
    client.post("/logg-inn", data={"email": user.email, "password": "feil"})
    client.post("/logg-inn", data={"email": user.email, "password": "riktig-hest-batteri"})
    assert not db.session.scalars(
        select(LoginFailure).where(LoginFailure.email == user.email)
    ).all()


def test_post_without_csrf_token_is_rejected(client, make_user):
    user = make_user()
    response = client.post(
        "/logg-inn", data={"email": user.email, "password": "riktig-hest-batteri"}, csrf=False
    )
    assert response.status_code == 400
    assert "Skjemaet er utløpt" in response.get_data(as_text=True)


def test_htmx_post_without_csrf_header_is_rejected(client, make_user, login):
    login(make_user())
    response = client.post("/logg-ut", headers={"HX-Request": "true"}, csrf=False)
    assert response.status_code == 400


def test_safe_next_redirect_only(client, make_user):
    user = make_user()
    ok = client.post(
        "/logg-inn",
        data={"email": user.email, "password": "riktig-hest-batteri", "next": "/admin/brukere"},
    )
    assert ok.headers["Location"] == "/admin/brukere"
    client.post("/logg-ut")
    for evil in (
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
    ):
        response = client.post(
            "/logg-inn", data={"email": user.email, "password": "riktig-hest-batteri", "next": evil}
        )
        assert response.headers["Location"] == "/", evil
        client.post("/logg-ut")


def test_passwords_are_stored_with_scrypt(db, make_company):
    from tipro.auth.services import create_user

    user = create_user(make_company(), "ny@example.no", "employee", password="et-langt-passord")
    assert user.password_hash.startswith("scrypt:")
    assert "et-langt-passord" not in user.password_hash


def test_session_cookie_flags(client, make_user):
    user = make_user()
    response = client.post(
        "/logg-inn", data={"email": user.email, "password": "riktig-hest-batteri"}
    )
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_secure_cookies_when_served_over_https(tmp_path):
    from tipro.config import load_config

    config = load_config(tmp_path, {"TIPRO_PUBLIC_URL": "https://tipro.example.no"})
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]

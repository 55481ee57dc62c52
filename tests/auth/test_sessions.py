"""Issue #14 item 5: logging out, a new password and disabling end every session of the user.

Each test copies the cookies a browser holds (the session cookie, the 365-day remember-me
cookie) into a second client, as someone who got hold of them would, and checks that they
stop opening pages once the user's sessions are ended.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD
from tipro.models import AuditEvent

SESSION, REMEMBER = "session", "remember_token"


def _log_in(app, user, remember: bool = False):
    device = app.test_client()
    data = {"email": user.email, "password": TEST_PASSWORD}
    if remember:
        data["remember"] = "y"
    response = device.post("/logg-inn", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return device


def _copy(app, device, *names: str):
    """A new client holding only copies of `device`'s cookies `names`."""
    thief = app.test_client()
    for name in names:
        cookie = device.get_cookie(name)
        assert cookie is not None, f"no {name} cookie"
        thief.set_cookie(name, cookie.value)
    return thief


def _opens_pages(client) -> bool:
    response = client.get("/")
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


@pytest.fixture
def worker(make_user):
    return make_user(name="Kari Nordmann")


def test_a_session_cookie_copied_before_logout_no_longer_opens_a_page(app, worker):
    device = _log_in(app, worker)
    copy = _copy(app, device, SESSION)
    assert _opens_pages(copy)
    assert device.post("/logg-ut").status_code == 302
    assert not _opens_pages(device)
    assert not _opens_pages(copy)


def test_a_remember_me_cookie_stops_working_after_logout(app, worker):
    device = _log_in(app, worker, remember=True)
    copy = _copy(app, device, REMEMBER)  # the remember-me cookie alone logs in
    assert _opens_pages(copy)
    fresh_copy = _copy(app, device, REMEMBER)
    device.post("/logg-ut")
    assert not _opens_pages(copy)
    assert not _opens_pages(fresh_copy)


def test_an_admin_password_reset_ends_every_session_and_remember_me(app, make_user, worker):
    phone = _log_in(app, worker, remember=True)
    laptop = _log_in(app, worker)
    remembered = _copy(app, phone, REMEMBER)
    admin = _log_in(app, make_user(worker.company, role="admin"))
    assert admin.post(f"/admin/brukere/{worker.id}/passord").status_code == 200
    for device in (phone, laptop, remembered):
        assert not _opens_pages(device)
    assert _opens_pages(admin)


def test_remember_me_does_not_survive_two_password_resets(app, make_user, worker):
    """Two bumps must not bring an old version back (the version only grows)."""
    remembered = _copy(app, _log_in(app, worker, remember=True), REMEMBER)
    admin = _log_in(app, make_user(worker.company, role="admin"))
    for _ in range(2):
        admin.post(f"/admin/brukere/{worker.id}/passord")
        assert not _opens_pages(remembered)


def test_a_password_change_ends_the_sessions(app, db, worker):
    from tipro.auth.services import set_password

    device = _log_in(app, worker, remember=True)
    remembered = _copy(app, device, REMEMBER)
    set_password(worker, "et-helt-nytt-passord")  # the CLI's `tipro user set-password`
    assert not _opens_pages(device)
    assert not _opens_pages(remembered)


def test_disabling_a_user_ends_their_sessions(app, make_user, worker):
    device = _log_in(app, worker, remember=True)
    remembered = _copy(app, device, REMEMBER)
    admin = _log_in(app, make_user(worker.company, role="admin"))
    response = admin.post(
        f"/admin/brukere/{worker.id}", data={"name": worker.name, "role": "employee"}
    )
    assert response.status_code == 302
    assert not _opens_pages(device)
    assert not _opens_pages(remembered)


def test_a_disabled_user_is_refused_even_with_a_current_identity(app, db, worker):
    """Disabled by other means than the admin page (e.g. directly in the database)."""
    device = _log_in(app, worker, remember=True)
    worker.is_enabled = False
    db.session.commit()
    assert not _opens_pages(device)
    assert not _opens_pages(_copy(app, device, REMEMBER))


def test_log_out_everywhere_ends_the_other_devices(app, worker):
    phone = _log_in(app, worker, remember=True)
    laptop = _log_in(app, worker)
    page = laptop.get("/").get_data(as_text=True)
    assert "Logg ut overalt" in page
    response = laptop.post("/logg-ut-overalt", follow_redirects=True)
    assert "Du er logget ut på alle enheter." in response.get_data(as_text=True)
    assert not _opens_pages(laptop)
    assert not _opens_pages(phone)
    # Logging in again works (a fresh identity with the new version).
    assert _opens_pages(_log_in(app, worker))


def test_an_admin_ends_a_users_sessions(app, db, make_user, worker):
    phone = _log_in(app, worker, remember=True)
    remembered = _copy(app, phone, REMEMBER)
    admin_user = make_user(worker.company, role="admin")
    admin = _log_in(app, admin_user)
    page = admin.get(f"/admin/brukere/{worker.id}").get_data(as_text=True)
    assert f'action="/admin/brukere/{worker.id}/okter"' in page
    response = admin.post(f"/admin/brukere/{worker.id}/okter", follow_redirects=True)
    assert "Kari Nordmann er logget ut på alle enheter." in response.get_data(as_text=True)
    assert not _opens_pages(phone)
    assert not _opens_pages(remembered)
    assert _opens_pages(admin)  # the admin's own session is untouched
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "end_sessions"))
    assert event.entity_id == str(worker.id) and event.user_id == admin_user.id


def test_an_admin_cannot_end_sessions_in_another_company(app, make_user, worker):
    phone = _log_in(app, worker)
    stranger = _log_in(app, make_user(role="admin"))  # another company's admin
    assert stranger.post(f"/admin/brukere/{worker.id}/okter").status_code == 404
    assert _opens_pages(phone)


def test_an_identity_without_a_session_version_is_refused(app, worker):
    """Sessions from before session versions (`_user_id` = "5") must log in again."""
    from tipro.auth.services import load_user

    with app.test_request_context():
        assert load_user(str(worker.id)) is None
        assert load_user(f"{worker.id}:{worker.session_version}") is not None
        assert load_user(f"{worker.id}:{worker.session_version + 1}") is None
        assert load_user("x:1") is None and load_user("") is None

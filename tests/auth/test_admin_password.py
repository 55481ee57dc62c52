"""An admin gives a user (e.g. one invited from Tripletex) a new password in the browser."""

import re

from sqlalchemy import select

from tipro.models import AuditEvent


def test_admin_makes_a_new_password_the_user_can_log_in_with(client, make_user, login, db):
    admin = make_user(role="admin")
    invited = make_user(admin.company)
    invited.password_hash = None  # as «Inviter ansatte» leaves them
    db.session.commit()
    login(admin)
    page = client.get(f"/admin/brukere/{invited.id}").get_data(as_text=True)
    assert "Lag nytt passord" in page
    answer = client.post(f"/admin/brukere/{invited.id}/passord")
    assert answer.status_code == 200
    password = re.search(r'<strong class="secret">([^<]+)</strong>', answer.get_data(as_text=True))
    assert password is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "reset_password"))
    assert event.entity_id == str(invited.id) and password.group(1) not in str(event.changes)
    # Shown once: the page does not show it again.
    assert password.group(1) not in client.get(f"/admin/brukere/{invited.id}").get_data(
        as_text=True
    )
    client.post("/logg-ut")
    login(invited, password.group(1))


def test_only_an_admin_with_a_form_token_can_make_a_password(client, make_user, login, db):
    admin = make_user(role="admin")
    employee = make_user(admin.company)
    before = employee.password_hash
    login(employee)
    assert client.post(f"/admin/brukere/{employee.id}/passord").status_code == 403
    client.post("/logg-ut")
    login(admin)
    assert client.post(f"/admin/brukere/{employee.id}/passord", csrf=False).status_code == 400
    db.session.refresh(employee)
    assert employee.password_hash == before

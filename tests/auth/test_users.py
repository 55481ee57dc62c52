"""User administration: one company's users, e-mail addresses unique across companies."""

from sqlalchemy import func, select

from tipro.models import User


def test_admin_cannot_take_an_email_used_in_another_company(client, make_user, login, db):
    other = make_user(email="opptatt@annet.no")
    admin = make_user(role="admin")
    login(admin)
    response = client.post(
        "/admin/brukere", data={"name": "Per", "email": other.email, "role": "employee"}
    )
    assert response.status_code == 422
    assert "allerede i bruk" in response.get_data(as_text=True)
    db.session.expire_all()
    count = db.session.scalar(select(func.count(User.id)).where(User.email == other.email))
    assert count == 1

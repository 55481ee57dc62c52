"""User administration: one company's users, e-mail addresses unique across companies."""

import re

from sqlalchemy import func, select

from tipro.models import User

NEUTRAL = "Denne e-postadressen kan ikke brukes for en ny bruker. Bruk en annen adresse."


def _create(client, email: str):
    return client.post("/admin/brukere", data={"name": "Per", "email": email, "role": "employee"})


def test_a_taken_email_gets_one_neutral_answer_wherever_it_is_used(
    client, make_company, make_user, login, db
):
    """Issue #14 item 10: no 500, and nothing tells one company about another's users."""
    elsewhere = make_company("Hemmelig Konkurrent AS")
    other = make_user(company=elsewhere, email="opptatt@annet.no", name="Skjult Person")
    admin = make_user(role="admin")
    colleague = make_user(company=admin.company, email="kollega@her.no")
    login(admin)
    answers = [_create(client, other.email.upper()), _create(client, colleague.email)]
    for response in answers:
        body = response.get_data(as_text=True)
        assert response.status_code == 422
        assert NEUTRAL in body
        assert "Hemmelig Konkurrent" not in body and "Skjult Person" not in body
    # The same words whichever company holds the address.
    assert [_error_of(a) for a in answers] == [NEUTRAL, NEUTRAL]
    db.session.expire_all()
    count = db.session.scalar(select(func.count(User.id)).where(User.email == other.email))
    assert count == 1


def _error_of(response) -> str:
    found = re.search(
        r'<p class="error" id="email-error">([^<]*)</p>', response.get_data(as_text=True)
    )
    return found.group(1) if found else ""


def test_an_insert_that_loses_a_race_for_the_address_is_the_same_answer(
    app, db, make_company, make_user, monkeypatch
):
    """Taken between the check and the insert: the unique index answers, not a 500."""
    from tipro.auth import services
    from tipro.errors import UserError

    make_user(email="kappløp@annet.no")
    company = make_company()
    real_scalar = db.session.scalar
    monkeypatch.setattr(
        db.session,
        "scalar",
        lambda stmt, *a, **k: None if "users" in str(stmt) else real_scalar(stmt, *a, **k),
    )
    with app.test_request_context():
        try:
            services.create_user(company, "kappløp@annet.no")
        except UserError as error:
            assert error.message == NEUTRAL and error.field == "email"
        else:
            raise AssertionError("the duplicate address was accepted")


def test_inviting_an_employee_whose_address_is_used_elsewhere(
    client, make_company, make_user, login, db
):
    from tipro.models import Employee

    elsewhere = make_company("Annen Bedrift AS")
    make_user(company=elsewhere, email="delt@adresse.no")
    admin = make_user(role="admin")
    employee = Employee(
        company_id=admin.company_id,
        tripletex_id=4242,
        first_name="Delt",
        last_name="Adresse",
        email="Delt@Adresse.no",
    )
    db.session.add(employee)
    db.session.commit()
    login(admin)
    response = client.post(
        "/admin/synkronisering/inviter",
        data={"employee_id": str(employee.id)},
        follow_redirects=True,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Annen Bedrift" not in body and "allerede i bruk" not in body
    db.session.expire_all()
    users = db.session.scalars(select(User).where(func.lower(User.email) == "delt@adresse.no"))
    assert [u.company_id for u in users] == [elsewhere.id]

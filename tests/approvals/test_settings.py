"""The company's approval settings on «Innstillinger»: week/month and the weekly reminder."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.factories import DAY, in_company, new_entry, submit_week
from tipro.approvals import preflight, services
from tipro.extensions import db
from tipro.models import AuditEvent, Company, Period

URL = "/admin/innstillinger/godkjenning"


@pytest.fixture
def world(build_hours_world, monkeypatch):
    monkeypatch.setattr(preflight, "check", lambda *a, **k: [])
    scene = build_hours_world(DAY)
    with in_company(scene.company):
        yield scene


def _company(world) -> Company:
    db.session.expire_all()
    return db.session.get(Company, world.company.id)


def test_page_shows_the_settings(world, login, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", "")
    page = login(world.admin).get("/admin/innstillinger").get_data(as_text=True)
    assert "Godkjenning og påminnelser" in page
    assert (
        '<input checked id="approval_period-0" name="approval_period" type="radio" value="week">'
        in page
    )
    assert '<option selected value="">Av</option>' in page
    assert '<option selected value="8">08:00</option>' in page
    assert "E-post er ikke satt opp (TIPRO_SMTP_URL mangler)" in page
    assert "nye innsendinger bruker det nye valget" in page


def test_save_and_audit(world, login):
    client = login(world.admin)
    response = client.post(
        URL, data={"approval_period": "month", "reminder_weekday": "1", "reminder_hour": "7"}
    )
    assert response.status_code == 302
    company = _company(world)
    assert (company.approval_period, company.reminder_weekday, company.reminder_hour) == (
        "month",
        1,
        7,
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "approval_settings"))
    assert event.user_id == world.admin.id and event.entity == "company"
    assert event.changes == {
        "approval_period": ["week", "month"],
        "reminder_weekday": [None, 1],
        "reminder_hour": [8, 7],
    }
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Innstillingene er lagret." in page
    assert '<option selected value="1">mandag</option>' in page

    # Turning the reminder off again.
    client.post(
        URL, data={"approval_period": "month", "reminder_weekday": "", "reminder_hour": "7"}
    )
    assert _company(world).reminder_weekday is None


@pytest.mark.parametrize(
    "data",
    [
        {"approval_period": "year", "reminder_weekday": "1", "reminder_hour": "7"},
        {"approval_period": "week", "reminder_weekday": "8", "reminder_hour": "7"},
        {"approval_period": "week", "reminder_weekday": "1", "reminder_hour": "24"},
        {"approval_period": "week", "reminder_weekday": "x", "reminder_hour": "-1"},
        {"reminder_hour": "7"},
        {},
    ],
)
def test_bad_input_is_refused_with_a_message(world, login, data):
    response = login(world.admin).post(URL, data=data)
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    company = _company(world)
    assert (company.approval_period, company.reminder_weekday, company.reminder_hour) == (
        "week",
        None,
        8,
    )


def test_only_admins_with_csrf(world, login, client):
    data = {"approval_period": "month", "reminder_weekday": "1", "reminder_hour": "7"}
    for user in (world.user, world.approver):
        login(user)
        assert client.post(URL, data=data).status_code == 403
        client.post("/logg-ut")
    login(world.admin)
    assert client.post(URL, data=data, csrf=False).status_code == 400
    assert _company(world).approval_period == "week"


def test_switching_kind_with_submitted_periods(world, login):
    new_entry(world.user, date(2026, 11, 10), "7.5", project_id=world.project.id)
    waiting = submit_week(world.user, date(2026, 11, 10))
    client = login(world.admin)
    page = client.get("/admin/innstillinger").get_data(as_text=True)
    assert "Nå venter 1 innsendt periode på godkjenning." in page
    client.post(
        URL, data={"approval_period": "month", "reminder_weekday": "", "reminder_hour": "8"}
    )
    # The week handed in stays a week; new submissions are months.
    db.session.expire_all()
    assert db.session.get(Period, waiting.id).kind == "week"
    user = db.session.get(type(world.user), world.user.id)
    assert services.span_for(user, DAY).kind == "month"

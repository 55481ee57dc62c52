"""Change requests on «Godkjenning»: the approver asked sees them (nobody else outside the
admins), «Avslå» with a reason the person then sees, «Godta» (admins: it opens the period)
reopens the period through the period writer and saves the proposed entry under its uuid."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from tests.factories import NOON, add_hours, in_company, lock_period, new_company, new_user
from tipro.extensions import db
from tipro.models import AuditEvent, ChangeRequest, Period, TimeEntry

API = "/api/v1/change-requests"


@pytest.fixture
def scene(build_hours_world, frozen_clock):
    frozen_clock(NOON)
    return build_hours_world(NOON.date())


def _switch(client, login, user):
    client.post("/logg-ut")
    login(user)


def _proposal(scene, **fields) -> dict:
    values = {
        "uuid": str(uuid.uuid4()),
        "date": scene.day.isoformat(),
        "project_id": scene.project.id,
        "activity_id": scene.project_activity.id,
        "hours": "3",
        "comment": "glemt",
        "client_modified_at": "2026-11-18T10:00:00Z",
        "deleted": False,
    }
    values.update(fields)
    return values


@pytest.fixture
def requested(scene, client, login):
    """Kari's week approved; she asks to add 3 hours to it. Returns (request, proposal)."""
    with in_company(scene.company):
        add_hours(scene, scene.day, "7,5")
    from tipro.models.work import ENTRY_APPROVED

    for entry in db.session.scalars(select(TimeEntry).where(TimeEntry.user_id == scene.user.id)):
        entry.state = ENTRY_APPROVED
    period = lock_period(scene.user, scene.day, "approved")
    login(scene.user)
    proposal = _proposal(scene)
    response = client.post(API, json={"entry": proposal, "message": "Glemte fredagen"})
    assert response.status_code == 201, response.get_data(as_text=True)
    found = db.session.scalar(select(ChangeRequest).where(ChangeRequest.user_id == scene.user.id))
    return found, proposal, period


def _state(request_id: int) -> ChangeRequest:
    db.session.expire_all()
    return db.session.scalar(select(ChangeRequest).where(ChangeRequest.id == request_id))


def test_the_approver_asked_sees_it_others_do_not(scene, requested, client, login):
    found, _proposal_, _period = requested
    _switch(client, login, scene.approver)
    page = client.get("/godkjenning").get_data(as_text=True)
    assert "Endringsønsker" in page
    assert "Kari Nordmann" in page and "Glemte fredagen" in page
    assert f'action="/godkjenning/endringer/{found.id}/avsla"' in page
    # An approver may decline but not open the period: that is an admin's.
    assert f"/godkjenning/endringer/{found.id}/godta" not in page
    # Another company's admin does not see it, and cannot act on it.
    stranger = new_user(new_company(), "admin")
    _switch(client, login, stranger)
    assert "Endringsønsker" not in client.get("/godkjenning").get_data(as_text=True)
    assert client.post(f"/godkjenning/endringer/{found.id}/avsla").status_code == 404
    assert client.post(f"/godkjenning/endringer/{found.id}/godta").status_code == 404
    # A colleague approver who is not asked does not see it either.
    other = new_user(scene.company, "approver", name="Per Annen")
    _switch(client, login, other)
    assert "Endringsønsker" not in client.get("/godkjenning").get_data(as_text=True)
    assert client.post(f"/godkjenning/endringer/{found.id}/avsla").status_code == 404
    assert _state(found.id).state == "pending"


def test_decline_with_a_reason_the_person_sees(scene, requested, client, login):
    found, proposal, period = requested
    _switch(client, login, scene.approver)
    response = client.post(
        f"/godkjenning/endringer/{found.id}/avsla", data={"begrunnelse": "Fredag var fri."}
    )
    assert response.status_code == 303
    after = _state(found.id)
    assert (after.state, after.reason, after.decided_by_id) == (
        "declined",
        "Fredag var fri.",
        scene.approver.id,
    )
    db.session.expire_all()
    assert db.session.get(Period, period.id).state == "approved"  # untouched
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity == "change_request")
    ).all()
    assert sorted(actions) == ["create", "decline"]
    # Deciding twice is refused.
    again = client.post(f"/godkjenning/endringer/{found.id}/avsla", follow_redirects=True)
    assert "allerede behandlet" in again.get_data(as_text=True)
    # Kari sees the outcome until she dismisses it.
    _switch(client, login, scene.user)
    mine = client.get(API).get_json()["change_requests"]
    assert [(m["state"], m["reason"]) for m in mine] == [("declined", "Fredag var fri.")]
    assert client.post(f"{API}/{found.id}/sett").status_code == 200
    assert client.get(API).get_json()["change_requests"] == []


def test_an_approver_cannot_accept(scene, requested, client, login):
    found, _p, period = requested
    _switch(client, login, scene.approver)
    response = client.post(f"/godkjenning/endringer/{found.id}/godta", follow_redirects=True)
    assert "administrator" in response.get_data(as_text=True)
    assert _state(found.id).state == "pending"
    assert db.session.get(Period, period.id).state == "approved"


def test_accept_reopens_the_period_and_saves_the_entry_under_its_uuid(
    scene, requested, client, login
):
    found, proposal, period = requested
    _switch(client, login, scene.admin)
    response = client.post(f"/godkjenning/endringer/{found.id}/godta", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "sende inn perioden på nytt" in text
    after = _state(found.id)
    assert (after.state, after.decided_by_id, after.reason) == ("accepted", scene.admin.id, "")
    assert db.session.get(Period, period.id).state == "reopened"
    rows = db.session.scalars(
        select(TimeEntry).where(TimeEntry.user_id == scene.user.id).order_by(TimeEntry.id)
    ).all()
    assert [(str(r.hours), r.state) for r in rows] == [("7.50", "open"), ("3.00", "open")]
    added = rows[1]
    assert (added.uuid, added.comment, added.project_id) == (
        proposal["uuid"],
        "glemt",
        scene.project.id,
    )
    actions = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.entity.in_(("change_request", "period")),
        )
    ).all()
    assert "accept" in actions and "reopen" in actions
    # Accepting again is refused and changes nothing.
    again = client.post(f"/godkjenning/endringer/{found.id}/godta", follow_redirects=True)
    assert "allerede behandlet" in again.get_data(as_text=True)
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(db.func.count(TimeEntry.id)).where(TimeEntry.user_id == scene.user.id)
        )
        == 2
    )
    # Kari sees it accepted.
    _switch(client, login, scene.user)
    [mine] = client.get(API).get_json()["change_requests"]
    assert mine["state"] == "accepted"


def test_accept_tells_when_the_entry_itself_breaks_a_rule(scene, client, login):
    lock_period(scene.user, scene.day, "approved")
    login(scene.user)
    proposal = _proposal(scene, project_id=scene.closed_project.id)
    assert client.post(API, json={"entry": proposal}).status_code == 201
    found = db.session.scalar(select(ChangeRequest).where(ChangeRequest.user_id == scene.user.id))
    _switch(client, login, scene.admin)
    text = client.post(f"/godkjenning/endringer/{found.id}/godta", follow_redirects=True).get_data(
        as_text=True
    )
    assert "ble ikke lagret" in text and "avsluttet" in text
    after = _state(found.id)
    assert after.state == "accepted" and "avsluttet" in after.reason
    assert (
        db.session.scalars(select(TimeEntry).where(TimeEntry.user_id == scene.user.id)).all() == []
    )


def test_decide_forms_need_csrf(scene, requested, client, login):
    found, _p, _period = requested
    _switch(client, login, scene.admin)
    assert client.post(f"/godkjenning/endringer/{found.id}/godta", csrf=False).status_code == 400
    assert client.post(f"/godkjenning/endringer/{found.id}/avsla", csrf=False).status_code == 400
    assert _state(found.id).state == "pending"


def test_an_employee_cannot_decide(scene, requested, client, login):
    found, _p, _period = requested
    _switch(client, login, scene.colleague)
    assert client.post(f"/godkjenning/endringer/{found.id}/avsla").status_code == 403
    assert _state(found.id).state == "pending"


def test_accept_works_with_a_message_of_the_longest_length(scene, client, login):
    """The period writer's reason has the same limit as the message: the person's name in
    front must not make «Godta» impossible for a long message."""
    lock_period(scene.user, scene.day, "approved")
    login(scene.user)
    proposal = _proposal(scene)
    long_message = "x" * 2000
    assert client.post(API, json={"entry": proposal, "message": long_message}).status_code == 201
    found = db.session.scalar(select(ChangeRequest).where(ChangeRequest.user_id == scene.user.id))
    _switch(client, login, scene.admin)
    text = client.post(f"/godkjenning/endringer/{found.id}/godta", follow_redirects=True).get_data(
        as_text=True
    )
    assert "sende inn perioden på nytt" in text, text
    assert _state(found.id).state == "accepted"
    db.session.expire_all()
    period = db.session.scalar(select(Period).where(Period.user_id == scene.user.id))
    assert period.state == "reopened" and len(period.comment) <= 2000


@pytest.mark.parametrize("hours", ["sNaN", "1e400", "NaN", "Infinity"])
def test_odd_hours_in_a_proposal_do_not_break_the_approvers_page(scene, client, login, hours):
    """The sync API leaves hours to the rules; a proposal's hours that are no amount must not
    make «Godkjenning» fail for every approver and admin."""
    lock_period(scene.user, scene.day, "approved")
    login(scene.user)
    proposal = _proposal(scene, hours=hours)
    assert client.post(API, json={"entry": proposal}).status_code == 201
    assert client.get(API).status_code == 200
    _switch(client, login, scene.admin)
    page = client.get("/godkjenning")
    assert page.status_code == 200
    assert "Kari Nordmann" in page.get_data(as_text=True)


@pytest.mark.slow
def test_two_admins_accepting_at_the_same_moment_accept_once(race_server):
    """Four tabs of two admins press «Godta» at once on a real server: one decision, the
    period opened once, the entry saved once (the person's write lock, then the state)."""
    from datetime import timedelta

    from tests.conftest import TEST_PASSWORD
    from tests.factories import new_activity
    from tests.race import Browser, fire, in_db
    from tipro import clock
    from tipro.approvals.periods import span_of

    day = clock.today() - timedelta(days=150)  # the server runs on the real clock
    entry_uuid = str(uuid.uuid4())

    def seed(db):
        company = new_company()
        person = new_user(company, "employee", name="Kari Kappløp")
        admins = [new_user(company, "admin", name=f"Admin {n}") for n in (1, 2)]
        general = new_activity(company, "Intern tid", is_project_activity=False)
        span = span_of("week", day)
        period = Period(
            company_id=company.id,
            user_id=person.id,
            kind="week",
            first_day=span.first,
            last_day=span.last,
            state="approved",
        )
        db.session.add(period)
        db.session.flush()
        found = ChangeRequest(
            company_id=company.id,
            user_id=person.id,
            entry_uuid=entry_uuid,
            proposed={
                "uuid": entry_uuid,
                "date": day.isoformat(),
                "activity_id": general.id,
                "hours": "2",
                "comment": "glemt",
                "deleted": False,
            },
            message="",
            reason="",
            period_id=period.id,
            state="pending",
        )
        db.session.add(found)
        db.session.commit()
        return {"id": found.id, "period": period.id, "admins": [a.email for a in admins]}

    app = race_server.app()
    seeded = in_db(app, seed)
    tabs = [
        Browser(race_server.base_url).login(seeded["admins"][i % 2], TEST_PASSWORD)
        for i in range(4)
    ]
    path = f"/godkjenning/endringer/{seeded['id']}/godta"
    answers = fire(4, lambda i: tabs[i].post(path, {"csrf_token": tabs[i].csrf}, boosted=False))
    assert sorted(a.status_code for a in answers) == [303] * 4, answers

    def outcome(db):
        found = db.session.get(ChangeRequest, seeded["id"])
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity.in_(("change_request", "period")))
        ).all()
        entries = db.session.scalar(
            select(db.func.count(TimeEntry.id)).where(TimeEntry.uuid == entry_uuid)
        )
        return found.state, db.session.get(Period, seeded["period"]).state, actions, entries

    state, period_state, actions, entries = in_db(app, outcome)
    assert (state, period_state) == ("accepted", "reopened")
    assert actions.count("accept") == 1 and actions.count("reopen") == 1, actions
    assert entries == 1

"""Nobody sees or changes a period outside their reach: every approval route (GET and POST),
for an approver of another department, and an approver and an admin of another company.

A period out of reach does not exist for the actor (404) and nothing changes; an admin-only
action asked by a non-admin is refused by role first (403), also with nothing changed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import TEST_PASSWORD
from tests.factories import (
    DAY,
    add_hours,
    hours_world,
    in_company,
    new_department,
    new_employee,
    new_user,
    submit_week,
)
from tipro.approvals import preflight, services
from tipro.extensions import db as _db
from tipro.models import AuditEvent, Period, PeriodLine, TimeEntry

# (endpoint, method, URL template, form): {user} the person, {waiting} a submitted period's id,
# {approved} an approved one's; keys: W47 submitted, W46 approved, W45 hours not handed in.
ROUTES = [
    ("approvals.periods_page", "GET", "/perioder?bruker={user}", {}),
    ("approvals.period", "GET", "/perioder/2026-W47?bruker={user}", {}),
    ("approvals.period", "GET", "/perioder/2026-W46?bruker={user}", {}),
    ("approvals.submit", "GET", "/perioder/2026-W45/send-inn?bruker={user}", {}),
    ("approvals.submit", "POST", "/perioder/2026-W45/send-inn?bruker={user}", {}),
    ("approvals.take_back", "POST", "/perioder/2026-W47/ta-tilbake?bruker={user}", {}),
    ("approvals.approve", "POST", "/godkjenning/{waiting}/godkjenn", {}),
    ("approvals.approve", "POST", "/godkjenning/{waiting}/godkjenn", {"prosjekt": "0"}),
    ("approvals.send_back", "POST", "/godkjenning/{waiting}/send-tilbake", {"kommentar": "Nei"}),
    ("approvals.recheck", "POST", "/godkjenning/{waiting}/sjekk", {}),
    ("approvals.override", "POST", "/godkjenning/{waiting}/godkjenn-likevel", {"begrunnelse": "x"}),
    ("approvals.reopen", "POST", "/godkjenning/{approved}/apne-igjen", {"begrunnelse": "x"}),
]
ADMIN_ONLY = {"approvals.override", "approvals.reopen"}
OUTSIDERS = ["other_department_approver", "other_company_approver", "other_company_admin"]


@pytest.fixture
def scene(db, monkeypatch):
    """Kari's periods (W45 open, W46 approved, W47 submitted) and the outsiders."""
    monkeypatch.setattr(preflight, "check", lambda *a, **k: [])
    world = hours_world(DAY)
    elsewhere = hours_world(DAY)
    with in_company(world.company):
        for days_back in (14, 7, 0):
            add_hours(world, DAY - timedelta(days=days_back))
        add_hours(world, DAY - timedelta(days=1), "2", project=None)
        submit_week(world.user, DAY - timedelta(days=7))
        approved = _db.session.scalar(
            select(Period).where(Period.first_day == DAY - timedelta(days=9))
        )
        services.approve(world.approver, approved.id)
        waiting = submit_week(world.user, DAY)
        sales = new_department(world.company, "Salg")
        siri = new_employee(world.company, "Siri", department_id=sales.id)
        sales.manager_id = siri.id
        _db.session.commit()
        people = {
            "other_department_approver": new_user(
                world.company, "approver", name="Siri Salg", employee_id=siri.id
            ),
            "other_company_approver": elsewhere.approver,
            "other_company_admin": elsewhere.admin,
        }
        ids = {"user": world.user.id, "waiting": waiting.id, "approved": approved.id}
        assert _db.session.get(Period, approved.id).state == "approved"
    return world, people, ids


def snapshot(world) -> tuple:
    """Everything an approval route could change about the company's periods and hours."""
    _db.session.expire_all()
    with in_company(world.company):
        periods = _db.session.execute(
            select(
                Period.id,
                Period.state,
                Period.preflight_at,
                Period.comment,
                Period.override_reason,
                Period.decided_at,
            ).order_by(Period.id)
        ).all()
        lines = _db.session.execute(
            select(PeriodLine.id, PeriodLine.state, PeriodLine.decided_by_id).order_by(
                PeriodLine.id
            )
        ).all()
        entries = _db.session.execute(
            select(TimeEntry.id, TimeEntry.state, TimeEntry.hours).order_by(TimeEntry.id)
        ).all()
    audit = _db.session.scalar(select(func.count(AuditEvent.id)))
    return periods, lines, entries, audit


def log_in(app, user):
    client = app.test_client()
    response = client.post("/logg-inn", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize(
    ("endpoint", "method", "url", "form"), ROUTES, ids=[f"{r[1]} {r[2]}" for r in ROUTES]
)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_period_out_of_reach_is_not_found_and_nothing_changes(
    app, scene, who, endpoint, method, url, form, htmx
):
    world, people, ids = scene
    actor = people[who]
    client = log_in(app, actor)
    before = snapshot(world)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.open(url.format(**ids), method=method, data=form, headers=headers)
    expected = 403 if endpoint in ADMIN_ONLY and not actor.has_role("admin") else 404
    assert response.status_code == expected
    body = response.get_data(as_text=True)
    assert "Kari Nordmann" not in body and "Nybygg Lia" not in body
    assert snapshot(world) == before


@pytest.mark.parametrize("who", OUTSIDERS)
def test_the_lists_show_nothing_out_of_reach_and_approve_all_touches_nothing(app, scene, who):
    world, people, ids = scene
    client = log_in(app, people[who])
    before = snapshot(world)
    for url in ("/godkjenning", "/godkjenning?vis=behandlet"):
        body = client.get(url).get_data(as_text=True)
        assert "Kari Nordmann" not in body and 'class="card period-card' not in body, url
        assert 'class="badge nav-count"' not in body
    response = client.post("/godkjenning/alle")
    assert response.status_code == 303
    assert "Ingen perioder venter" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert snapshot(world) == before


def test_the_right_people_do_reach_the_same_periods(app, scene):
    """The counter-check: the routes above work for the person, her approver and the admin."""
    world, _people, ids = scene
    person, approver, admin = (log_in(app, u) for u in (world.user, world.approver, world.admin))
    assert person.get("/perioder/2026-W47").status_code == 200
    assert approver.get(f"/perioder/2026-W47?bruker={ids['user']}").status_code == 200
    assert admin.get(f"/perioder/2026-W45?bruker={ids['user']}").status_code == 200
    assert "Kari Nordmann" in approver.get("/godkjenning").get_data(as_text=True)
    assert approver.post(f"/godkjenning/{ids['waiting']}/sjekk").status_code == 303
    assert (
        admin.post(
            f"/godkjenning/{ids['approved']}/apne-igjen", data={"begrunnelse": "x"}
        ).status_code
        == 303
    )
    with in_company(world.company):
        _db.session.expire_all()
        assert _db.session.get(Period, ids["approved"]).state == "reopened"


def test_every_approval_page_route_is_in_the_walk(app):
    """A new route in tipro/approvals/routes.py must be added to ROUTES above."""
    mine = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if app.view_functions[rule.endpoint].__module__ == "tipro.approvals.routes"
    }
    walked = {r[0] for r in ROUTES} | {"approvals.index", "approvals.approve_all"}
    assert mine == walked, mine ^ walked

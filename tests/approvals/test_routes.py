"""The approval pages: the person's period (submit with confirmation, take back), «Godkjenning»
(approve, per line, return with comment, re-check, approve all clean, override, reopen).

Pre-flight is replaced by a stand-in (`clean`): its real checks are tested in test_preflight.py.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.factories import (
    DAY,
    add_hours,
    hours_world,
    in_company,
    new_employee,
    new_project,
    new_project_activity,
    new_user,
)
from tests.statements import counted
from tipro.approvals import preflight
from tipro.extensions import db as _db
from tipro.models import AuditEvent, Period, TimeEntry

WEEK = "2026-W47"  # DAY's week (Monday 16 – Sunday 22 November 2026)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def world(build_hours_world):
    scene = build_hours_world(DAY)
    with in_company(scene.company):
        yield scene


@pytest.fixture
def act(app, db):
    """A logged-in browser per person (same person, same client): act(user) → client."""
    from tests.conftest import TEST_PASSWORD

    clients = {}

    def client_of(user):
        if user.id not in clients:
            client = clients[user.id] = app.test_client()
            response = client.post(
                "/logg-inn", data={"email": user.email, "password": TEST_PASSWORD}
            )
            assert response.status_code == 302
        return clients[user.id]

    return client_of


@pytest.fixture
def clean(monkeypatch):
    """Pre-flight finds nothing unless a test adds problems: {user id: [Problem]}."""
    found: dict[int, list] = {}
    monkeypatch.setattr(preflight, "check", lambda user, *a, **k: list(found.get(user.id, [])))
    return found


def blocking(code: str = "project_closed") -> preflight.Problem:
    return preflight.Problem(code, True, {"project": "101 Nybygg Lia", "date": DAY.isoformat()})


def period_of(user, key: str = WEEK) -> Period | None:
    _db.session.expire_all()
    return next(
        (p for p in _db.session.scalars(select(Period)) if p.user_id == user.id and p.key == key),
        None,
    )


def states(user) -> list[str]:
    _db.session.expire_all()
    return sorted(_db.session.scalars(select(TimeEntry.state).where(TimeEntry.user_id == user.id)))


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def follow(client, response) -> str:
    """The page a 303 leads to (with its flashes)."""
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return page(client, response.headers["Location"])


def entry_form(world, day=None, hours="2"):
    return {
        "date": (day or world.day).isoformat(),
        "project_id": str(world.project.id),
        "activity_id": str(world.project_activity.id),
        "hours": hours,
        "comment": "",
    }


# ---------------------------------------------------------------- the whole round


def test_submit_return_fix_resubmit_approve(act, world, clean):
    add_hours(world)
    client = act(world.user)
    confirm = page(client, f"/perioder/{WEEK}/send-inn")
    assert "Send inn uke 47 (16.11.–22.11.2026) med 7,5 timer?" in confirm
    assert 'action="/perioder/2026-W47/send-inn"' in confirm
    assert period_of(world.user) is None, "the GET only asks"

    shown = follow(client, client.post(f"/perioder/{WEEK}/send-inn"))
    assert "Uke 47 (16.11.–22.11.2026) er sendt inn med 7,5 timer." in shown
    assert "venter på godkjenning" in shown and "Berit Sjef" in shown
    assert period_of(world.user).state == "submitted" and states(world.user) == ["submitted"]
    refused = client.post("/registreringer", data=entry_form(world, DAY - timedelta(days=1)))
    assert refused.status_code == 422

    client = act(world.approver)
    listing = page(client, "/godkjenning")
    assert "Kari Nordmann" in listing and "Uke 47" in listing
    period_id = period_of(world.user).id
    empty = follow(client, client.post(f"/godkjenning/{period_id}/send-tilbake", data={}))
    assert "Skriv hva som må rettes." in empty and "flash-error" in empty
    assert period_of(world.user).state == "submitted"
    back = client.post(
        f"/godkjenning/{period_id}/send-tilbake", data={"kommentar": "Mangler tirsdag"}
    )
    assert "Sendt tilbake til Kari Nordmann" in follow(client, back)
    assert period_of(world.user).state == "returned" and states(world.user) == ["open"]

    client = act(world.user)
    mine = page(client, f"/perioder/{WEEK}")
    assert "Sendt tilbake av Berit Sjef: «Mangler tirsdag»" in mine
    assert "«Mangler tirsdag»" in page(client, "/uke?uke=2026-W47")
    fixed = client.post("/registreringer", data=entry_form(world, DAY - timedelta(days=1)))
    assert fixed.status_code == 302, "returned hours are editable again"
    assert "med 9,5 timer?" in page(client, f"/perioder/{WEEK}/send-inn")
    follow(client, client.post(f"/perioder/{WEEK}/send-inn"))
    assert period_of(world.user).state == "submitted"

    client = act(world.approver)
    approved = follow(client, client.post(f"/godkjenning/{period_id}/godkjenn"))
    assert "Godkjent: Kari Nordmann, uke 47" in approved
    assert period_of(world.user).state == "approved"
    assert states(world.user) == ["approved", "approved"]
    client = act(world.user)
    assert "Godkjent" in page(client, f"/perioder/{WEEK}")
    actions = [
        e.action
        for e in _db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "period"))
    ]
    assert actions.count("submit") == 2 and "return" in actions and "approve" in actions


def test_take_back_while_nobody_acted(act, world, clean):
    add_hours(world)
    client = act(world.user)
    client.post(f"/perioder/{WEEK}/send-inn")
    assert "Ta tilbake" in page(client, f"/perioder/{WEEK}")
    shown = follow(client, client.post(f"/perioder/{WEEK}/ta-tilbake"))
    assert "Perioden er tatt tilbake" in shown and "Ta tilbake" not in shown
    assert period_of(world.user).state == "taken_back" and states(world.user) == ["open"]
    # Again, and once the approver acted: refused with the reason, nothing changed.
    again = follow(client, client.post(f"/perioder/{WEEK}/ta-tilbake"))
    assert "Bare en innsendt periode kan tas tilbake." in again
    client.post(f"/perioder/{WEEK}/send-inn")
    client = act(world.approver)
    client.post(f"/godkjenning/{period_of(world.user).id}/godkjenn")
    client = act(world.user)
    late = follow(client, client.post(f"/perioder/{WEEK}/ta-tilbake"))
    assert "Bare en innsendt periode kan tas tilbake." in late
    assert period_of(world.user).state == "approved"


def test_empty_and_future_periods_are_refused_with_the_reason(act, world, clean):
    client = act(world.user)
    empty = page(client, f"/perioder/{WEEK}/send-inn")
    assert "En tom periode kan ikke sendes inn." in empty and "Ja, send inn" not in empty
    shown = follow(client, client.post(f"/perioder/{WEEK}/send-inn"))
    assert "En tom periode kan ikke sendes inn." in shown
    future = follow(client, client.post("/perioder/2026-W48/send-inn"))
    assert "Perioden har ikke begynt ennå" in future
    assert "har ikke begynt" in page(client, "/perioder/2026-W48/send-inn")
    assert _db.session.scalar(select(func.count(Period.id))) == 0
    # Absence later in the future week is still possible (nothing was locked).
    assert (
        client.post("/registreringer", data=entry_form(world, DAY + timedelta(days=7))).status_code
        == 302
    )


def test_approved_hours_are_locked_for_employee_approver_and_admin(act, world, clean):
    entry = add_hours(world)
    client = act(world.user)
    client.post(f"/perioder/{WEEK}/send-inn")
    client = act(world.approver)
    client.post(f"/godkjenning/{period_of(world.user).id}/godkjenn")
    assert period_of(world.user).state == "approved"
    for who in (world.user, world.admin):
        client = act(who)
        edit = client.post(f"/registreringer/{entry.id}", data=entry_form(world, hours="1"))
        assert edit.status_code == 409, who.role
        new = {**entry_form(world, DAY - timedelta(days=1)), "user_id": str(world.user.id)}
        assert client.post("/registreringer", data=new).status_code == 422, who.role
        deleted = follow(client, client.post(f"/registreringer/{entry.id}/slett"))
        assert "kan ikke endres" in deleted and "Registreringen er slettet" not in deleted, who.role
    client = act(world.approver)
    # The approver cannot change anybody's hours at all (404), approved or not.
    assert client.post(f"/registreringer/{entry.id}", data=entry_form(world)).status_code == 404
    _db.session.expire_all()
    assert [e.hours for e in _db.session.scalars(select(TimeEntry))] == [Decimal("7.50")]


def test_admin_reopens_with_a_reason_that_is_recorded(act, world, clean):
    entry = add_hours(world)
    client = act(world.user)
    client.post(f"/perioder/{WEEK}/send-inn")
    client = act(world.approver)
    period_id = period_of(world.user).id
    client.post(f"/godkjenning/{period_id}/godkjenn")
    assert (
        client.post(f"/godkjenning/{period_id}/apne-igjen", data={"begrunnelse": "x"}).status_code
        == 403
    )

    client = act(world.admin)
    recent = page(client, "/godkjenning?vis=behandlet")
    assert "Kari Nordmann" in recent and "Åpne igjen" in recent
    assert "Åpne igjen" in page(client, f"/perioder/{WEEK}?bruker={world.user.id}")
    empty = follow(client, client.post(f"/godkjenning/{period_id}/apne-igjen", data={}))
    assert "Skriv hvorfor perioden åpnes igjen." in empty
    assert period_of(world.user).state == "approved"
    done = client.post(
        f"/godkjenning/{period_id}/apne-igjen",
        data={"begrunnelse": "Feil prosjekt", "next": f"/perioder/{WEEK}?bruker={world.user.id}"},
    )
    shown = follow(client, done)
    assert "er åpnet igjen" in shown and "Åpnet igjen av Anne Admin: «Feil prosjekt»" in shown
    assert period_of(world.user).state == "reopened" and states(world.user) == ["open"]
    event = _db.session.scalar(
        select(AuditEvent).where(AuditEvent.entity == "period", AuditEvent.action == "reopen")
    )
    assert event.user_id == world.admin.id and event.changes["reason"] == [None, "Feil prosjekt"]
    client = act(world.user)
    assert (
        client.post(f"/registreringer/{entry.id}", data=entry_form(world, hours="1")).status_code
        == 302
    )


def test_month_mode(act, world, clean):
    world.company.approval_period = "month"
    _db.session.commit()
    add_hours(world)
    add_hours(world, DAY - timedelta(days=14), "4")
    client = act(world.user)
    week = page(client, "/uke?uke=2026-W47")
    assert "Send inn november 2026" in week and "/perioder/2026-11/send-inn" in week
    assert client.get(f"/perioder/{WEEK}").status_code == 404, "a week in a month company"
    assert "Send inn november 2026 med 11,5 timer?" in page(client, "/perioder/2026-11/send-inn")
    follow(client, client.post("/perioder/2026-11/send-inn"))
    period = period_of(world.user, "2026-11")
    assert period.kind == "month" and period.state == "submitted"
    assert "November 2026" in page(client, "/perioder")
    client = act(world.approver)
    assert "November 2026" in page(client, "/godkjenning")
    follow(client, client.post(f"/godkjenning/{period.id}/godkjenn"))
    assert period_of(world.user, "2026-11").state == "approved"
    assert states(world.user) == ["approved", "approved"]


def test_line_wise_approval_across_two_approvers(act, world, clean):
    other = new_employee(world.company, "Per")
    manager = new_user(world.company, "approver", name="Per Prosjektleder", employee_id=other.id)
    second = new_project(world.company, "105", "Brygga", project_manager_id=other.id)
    new_project_activity(second, world.project_activity)
    _db.session.commit()
    add_hours(world)
    add_hours(world, DAY - timedelta(days=1), "5", project=second)
    client = act(world.user)
    client.post(f"/perioder/{WEEK}/send-inn")
    period_id = period_of(world.user).id

    client = act(world.approver)
    card = page(client, "/godkjenning")
    assert "Brygga" in card and "Per Prosjektleder" in card and "Godkjenn linjen" in card
    shown = follow(client, client.post(f"/godkjenning/{period_id}/godkjenn"))
    assert "Godkjent for din del" in shown
    assert period_of(world.user).state == "submitted"
    assert states(world.user) == ["approved", "submitted"]
    assert 'class="card period-card' not in page(client, "/godkjenning"), "nothing left for her"

    client = act(manager)
    badge = page(client, "/godkjenning").split('class="badge nav-count"')[1]
    assert badge.split(">", 1)[1].startswith("1<span"), "the menu counts his waiting period"
    follow(client, client.post(f"/godkjenning/{period_id}/godkjenn"))
    assert period_of(world.user).state == "approved"
    assert states(world.user) == ["approved", "approved"]


def test_admin_approves_one_line_with_the_line_button(act, world, clean):
    add_hours(world)
    add_hours(world, DAY - timedelta(days=1), "3", project=None)
    client = act(world.user)
    client.post(f"/perioder/{WEEK}/send-inn")
    period_id = period_of(world.user).id
    client = act(world.admin)
    response = client.post(f"/godkjenning/{period_id}/godkjenn", data={"prosjekt": "0"})
    follow(client, response)
    period = period_of(world.user)
    assert {line.project_id: line.state for line in period.lines} == {
        world.project.id: "waiting",
        None: "approved",
    }
    bad = client.post(f"/godkjenning/{period_id}/godkjenn", data={"prosjekt": "x1"})
    assert bad.status_code == 400


def test_approve_all_clean_skips_the_blocked_and_says_why(act, world, clean):
    add_hours(world)
    add_hours(world, user=world.colleague, project=None)
    clean[world.colleague.id] = [blocking()]
    for person in (world.user, world.colleague):
        client = act(person)
        follow(client, client.post(f"/perioder/{WEEK}/send-inn"))
    client = act(world.admin)
    listing = page(client, "/godkjenning")
    assert "Prosjektet 101 Nybygg Lia er avsluttet" in listing or "Feil:" in listing
    assert "Godkjenn likevel" in listing
    shown = follow(client, client.post("/godkjenning/alle"))
    assert "Godkjente 1 periode." in shown
    assert "Hoppet over Ola Nordmann, uke 47" in shown and blocking().message in shown
    assert period_of(world.user).state == "approved"
    blocked = period_of(world.colleague)
    assert blocked.state == "submitted"

    # The admin overrides, with a reason (required, recorded).
    refused = follow(client, client.post(f"/godkjenning/{blocked.id}/godkjenn-likevel", data={}))
    assert "Skriv hvorfor du godkjenner tross feilene." in refused
    assert period_of(world.colleague).state == "submitted"
    follow(
        client,
        client.post(f"/godkjenning/{blocked.id}/godkjenn-likevel", data={"begrunnelse": "Avklart"}),
    )
    blocked = period_of(world.colleague)
    assert blocked.state == "approved" and blocked.override_reason == "Avklart"
    assert _db.session.scalar(select(AuditEvent).where(AuditEvent.action == "override"))


def test_an_approver_cannot_override(act, world, clean):
    add_hours(world)
    clean[world.user.id] = [blocking()]
    client = act(world.user)
    client.post(f"/perioder/{WEEK}/send-inn")
    client = act(world.approver)
    period_id = period_of(world.user).id
    listing = page(client, "/godkjenning")
    assert "Godkjenn likevel" not in listing and blocking().hint in listing
    refused = follow(client, client.post(f"/godkjenning/{period_id}/godkjenn"))
    assert "feil som må rettes" in refused
    response = client.post(f"/godkjenning/{period_id}/godkjenn-likevel", data={"begrunnelse": "x"})
    assert response.status_code == 403
    assert period_of(world.user).state == "submitted"


def test_recheck_runs_the_fresh_preflight_and_shows_its_hints(act, world, clean, monkeypatch):
    add_hours(world)
    client = act(world.user)
    client.post(f"/perioder/{WEEK}/send-inn")
    calls = []
    warning = preflight.Problem("project_closed", False, {"project": "101 Nybygg Lia"})

    def check(user, first, last, *, fresh=True):
        calls.append(fresh)
        return [warning]

    monkeypatch.setattr(preflight, "check", check)
    client = act(world.approver)
    period_id = period_of(world.user).id
    response = client.post(f"/godkjenning/{period_id}/sjekk", headers=HTMX)
    assert response.status_code == 200 and calls == [True]
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith("{#") or body.lstrip().startswith("<article")
    assert "<html" not in body and "Advarsel:" in body and warning.hint in body
    assert "Sjekket på nytt: ingen feil som hindrer godkjenning." in body
    assert period_of(world.user).preflight == [warning.as_dict()]


def test_htmx_actions_answer_the_card(act, world, clean):
    add_hours(world)
    client = act(world.user)
    client.post(f"/perioder/{WEEK}/send-inn")
    client = act(world.approver)
    period_id = period_of(world.user).id
    empty = client.post(f"/godkjenning/{period_id}/send-tilbake", data={}, headers=HTMX)
    assert empty.status_code == 422
    assert f'id="period-{period_id}"' in empty.get_data(as_text=True)
    assert "Skriv hva som må rettes." in empty.get_data(as_text=True)
    done = client.post(f"/godkjenning/{period_id}/godkjenn", headers=HTMX)
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and "<html" not in body
    assert f'id="period-{period_id}"' in body and "Godkjent: Kari Nordmann" in body
    assert done.headers["HX-Trigger"] == "periods-changed"
    again = client.post(f"/godkjenning/{period_id}/godkjenn", headers=HTMX)
    assert again.status_code == 409 and "Perioden venter ikke på godkjenning." in again.get_data(
        as_text=True
    )


def test_bad_keys_give_400_and_bad_people_404(act, world, clean):
    client = act(world.user)
    for key in ("2026-W54", "2026-13", "2026-00", "uke47", "2026-W4", "1999-01", "٢٠٢٦-11"):
        assert client.get(f"/perioder/{key}").status_code == 400, key
        assert client.get(f"/perioder/{key}/send-inn").status_code == 400, key
        assert client.post(f"/perioder/{key}/send-inn").status_code == 400, key
        assert client.post(f"/perioder/{key}/ta-tilbake").status_code == 400, key
    for who in ("x", "0", "99999999999", str(world.colleague.id)):
        assert client.get(f"/perioder/{WEEK}?bruker={who}").status_code == 404, who
    assert "Ugyldig periode" in client.get("/perioder/2026-13").get_data(as_text=True)
    client = act(world.admin)
    for action in ("godkjenn", "send-tilbake", "sjekk", "godkjenn-likevel", "apne-igjen"):
        for period_id in ("0", "2147483648", "99999999999999999999"):
            url = f"/godkjenning/{period_id}/{action}"
            assert client.post(url, data={"kommentar": "x"}).status_code == 404, url


def test_periods_overview_lists_the_last_twelve_with_state(act, world, clean):
    add_hours(world, DAY - timedelta(days=7))
    add_hours(world)
    client = act(world.user)
    client.post("/perioder/2026-W46/send-inn")
    body = page(client, "/perioder")
    assert body.count('class="span-row') == 12
    assert "Uke 47 (16.11.–22.11.2026)" in body and "Uke 36" in body
    assert "Sendt inn – venter på godkjenning" in body
    assert "/perioder" in page(client, "/uke")


def _waiting_periods(world, n: int) -> None:
    """n submitted weeks of different people, each with hours on two days and two lines."""
    for i in range(n):
        employee = new_employee(
            world.company, f"Ansatt{i}", department_id=world.employee.department_id
        )
        person = new_user(world.company, "employee", name=f"Ansatt {i}", employee_id=employee.id)
        add_hours(world, user=person)
        add_hours(world, DAY - timedelta(days=1), "3", user=person, project=None)
        from tests.factories import submit_week

        submit_week(person, DAY)


def test_the_approver_list_costs_the_same_statements_for_1_or_5_periods(act, clean):
    counts = []
    for n in (1, 5):
        world = hours_world(DAY)
        with in_company(world.company):
            _waiting_periods(world, n)
            client = act(world.approver)
            with counted() as statements:
                body = page(client, "/godkjenning")
            assert body.count('class="card period-card') == n
            counts.append(len(statements))
    assert counts[0] == counts[1], counts

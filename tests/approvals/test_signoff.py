"""Customer sign-off: a project's hours also wait for the hiring customer, who answers by link.

The scene: Kari has hours in week 47 on «Nybygg Lia» (the customer must sign off) and on
«Lagerbygg Sør» (no sign-off), and hours the week before on «Nybygg Lia». Berit approves both
lines; the first then waits for the customer. Pre-flight is replaced by «nothing found» (its
checks are tested in test_preflight.py). The clock is pinned to DAY noon.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from tests.factories import (
    DAY,
    NOON,
    hours_world,
    new_department,
    new_employee,
    new_entry,
    new_project,
    new_project_activity,
    new_user,
    submit_week,
    tx_id,
)
from tipro import clock
from tipro.approvals import preflight, services, signoff
from tipro.extensions import db as _db
from tipro.models import AuditEvent, Customer, Period, PeriodLine, Project, TimeEntry
from tipro.models.approval import CustomerSignoff
from tipro.tenancy import company_scope

LINK_RE = re.compile(r"https?://[^/\"\s]+(/kunde/[A-Za-z0-9._\-]+)")
OTHER_PROJECT = "Lagerbygg Sør"
OTHER_COMMENT = "internt-lager-notat"
LAST_WEEK_COMMENT = "forrige-uke-hemmelig"


@dataclass
class Scene:
    w: object
    customer: Customer
    project: Project  # needs the customer's sign-off
    other: Project
    period: Period
    line: PeriodLine  # the sign-off project's line
    other_line: PeriodLine


@pytest.fixture
def clean(monkeypatch):
    monkeypatch.setattr(preflight, "check", lambda *a, **k: [])


@pytest.fixture
def scene(db, clean, frozen_clock) -> Scene:
    """Week 47 handed in and approved by Berit: the «Nybygg Lia» line waits for the customer."""
    frozen_clock(NOON)
    w = hours_world(DAY)
    with company_scope(w.company.id):
        customer = Customer(
            company_id=w.company.id, tripletex_id=tx_id(), name="Kunde AS", email="post@kunde.no"
        )
        _db.session.add(customer)
        _db.session.flush()
        project = w.project
        project.customer_id = customer.id
        project.customer_signoff = True
        project.customer_signoff_email = "leder@kunde.no"
        other = new_project(w.company, "105", OTHER_PROJECT)
        new_project_activity(other, w.project_activity)
        _db.session.commit()
        work = {"activity_id": w.project_activity.id}
        new_entry(w.user, DAY, "7.5", project_id=project.id, comment="Montering hos kunden", **work)
        new_entry(w.user, DAY - timedelta(days=1), "6", project_id=project.id, **work)
        new_entry(w.user, DAY, "3.25", project_id=other.id, comment=OTHER_COMMENT, **work)
        new_entry(
            w.user,
            DAY - timedelta(days=7),
            "4.75",
            project_id=project.id,
            comment=LAST_WEEK_COMMENT,
            **work,
        )
        period = submit_week(w.user, DAY)
        services.approve(w.approver, period.id, problems=[])
        lines = {line.project_id: line for line in period.lines}
    return Scene(w, customer, project, other, period, lines[project.id], lines[other.id])


def _send(scene: Scene, email: str = "leder@kunde.no") -> signoff.Sent:
    with company_scope(scene.w.company.id):
        return signoff.send(scene.w.approver, scene.line.id, email)


def _path(sent: signoff.Sent) -> str:
    return LINK_RE.match(sent.url).group(1)


def _fresh(model, ident):
    _db.session.expire_all()
    with company_scope(None):
        return _db.session.get(model, ident)


def _entry_states(scene: Scene, project: Project) -> set[str]:
    _db.session.expire_all()
    span = (scene.period.first_day, scene.period.last_day)
    return set(
        _db.session.scalars(
            select(TimeEntry.state).where(
                TimeEntry.user_id == scene.w.user.id,
                TimeEntry.project_id == project.id,
                TimeEntry.date.between(*span),
            )
        )
    )


def _count(model) -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(func.count()).select_from(model))


# ---------------------------------------------------------------- the flag


def test_project_flag_makes_an_approved_line_wait_for_the_customer(scene):
    assert _fresh(PeriodLine, scene.line.id).state == "customer"
    assert _fresh(PeriodLine, scene.other_line.id).state == "approved"
    assert _fresh(Period, scene.period.id).state == "submitted"
    assert _entry_states(scene, scene.project) == {"submitted"}
    assert _entry_states(scene, scene.other) == {"approved"}


def test_without_the_flag_the_line_is_approved_at_once(db, clean, frozen_clock):
    frozen_clock(NOON)
    w = hours_world(DAY)
    with company_scope(w.company.id):
        new_entry(w.user, DAY, "5", project_id=w.project.id, activity_id=w.project_activity.id)
        period = submit_week(w.user, DAY)
        services.approve(w.approver, period.id, problems=[])
    assert _fresh(Period, period.id).state == "approved"


# ---------------------------------------------------------------- the approver sends


def test_approver_sends_the_link_and_sees_it(scene, client, login):
    login(scene.w.approver)
    response = client.post(
        f"/godkjenning/kunde/{scene.line.id}/send", data={"email": "leder@kunde.no"}
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sendt til leder@kunde.no" in page
    assert "Kopier lenken" in page  # no e-mail configured: the link is there to copy
    link = LINK_RE.search(page)
    assert link, page
    row = _db.session.scalar(
        select(CustomerSignoff).where(CustomerSignoff.line_id == scene.line.id)
    )
    assert row.email == "leder@kunde.no" and row.sent_by_id == scene.w.approver.id
    assert clock.aware(row.expires_at) == clock.aware(row.sent_at) + timedelta(days=14)
    assert signoff.load(link.group(1).rsplit("/", 1)[1]).id == row.id
    audit = _db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "customer_signoff_sent")
    )
    assert audit.user_id == scene.w.approver.id and audit.changes["email"][1] == "leder@kunde.no"


def test_htmx_send_answers_the_fragment_and_refuses_a_bad_address(scene, client, login):
    login(scene.w.approver)
    url = f"/godkjenning/kunde/{scene.line.id}/send"
    bad = client.post(url, data={"email": "ikke en adresse"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422
    assert "gyldig e-postadresse" in bad.get_data(as_text=True)
    assert _count(CustomerSignoff) == 0
    good = client.post(url, data={"email": "leder@kunde.no"}, headers={"HX-Request": "true"})
    body = good.get_data(as_text=True)
    assert good.status_code == 200 and f'id="signoff-{scene.line.id}"' in body
    assert LINK_RE.search(body) and "<html" not in body


def test_only_a_line_waiting_for_the_customer_can_be_sent(scene, client, login):
    login(scene.w.approver)
    response = client.post(
        f"/godkjenning/kunde/{scene.other_line.id}/send", data={"email": "leder@kunde.no"}
    )
    assert response.status_code == 409
    assert _count(CustomerSignoff) == 0


def test_approver_of_another_department_cannot_send_or_see(scene, client, login):
    w = scene.w
    with company_scope(w.company.id):
        sales = new_department(w.company, "Salg")
        boss = new_employee(w.company, "Per", department_id=sales.id)
        sales.manager_id = boss.id
        _db.session.commit()
        stranger = new_user(w.company, "approver", name="Per Salg", employee_id=boss.id)
    login(stranger)
    url = f"/godkjenning/kunde/{scene.line.id}"
    assert client.post(f"{url}/send", data={"email": "x@kunde.no"}).status_code == 404
    assert client.get(url).status_code == 404
    assert _count(CustomerSignoff) == 0


def test_another_companys_admin_and_an_employee_cannot_send(scene, client, login):
    other = hours_world(DAY)
    login(other.admin)
    url = f"/godkjenning/kunde/{scene.line.id}"
    assert client.post(f"{url}/send", data={"email": "x@kunde.no"}).status_code == 404
    assert client.get(url).status_code == 404
    client.post("/logg-ut")
    login(scene.w.user)  # the person: an employee
    assert client.post(f"{url}/send", data={"email": "x@kunde.no"}).status_code == 403
    assert _count(CustomerSignoff) == 0


# ---------------------------------------------------------------- the customer answers


def test_the_customer_page_shows_only_the_lines_hours(scene, app):
    path = _path(_send(scene))
    anonymous = app.test_client()
    response = anonymous.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    for shown in (scene.w.company.name, "Kari Nordmann", "Nybygg Lia", "Kunde AS", "13,5"):
        assert shown in page
    assert "Montering hos kunden" in page and "Godkjenn timene" in page
    for hidden in (OTHER_PROJECT, OTHER_COMMENT, "3,25", LAST_WEEK_COMMENT, "4,75"):
        assert hidden not in page


def test_the_link_works_once(scene, app):
    path = _path(_send(scene))
    customer = app.test_client()
    customer.get(path)
    response = customer.post(path, data={"decision": "approve", "name": "Liv Kunde"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Du godkjente timene" in response.get_data(as_text=True)
    assert _fresh(PeriodLine, scene.line.id).state == "approved"
    assert _fresh(Period, scene.period.id).state == "approved"
    assert _entry_states(scene, scene.project) == {"approved"}
    row = _fresh(CustomerSignoff, _db.session.scalar(select(CustomerSignoff.id)))
    assert (row.decision, row.signer_name, row.signer_address) == (
        "approved",
        "Liv Kunde",
        "127.0.0.1",
    )
    assert clock.aware(row.signed_at) == clock.now()
    audits = _count(AuditEvent)

    again = customer.post(path, data={"decision": "dispute", "name": "Noen", "comment": "Nei"})
    text = again.get_data(as_text=True)
    assert again.status_code == 410
    assert "allerede behandlet" in text and "Godkjent av Liv Kunde" in text
    assert customer.get(path).status_code == 410
    assert _fresh(Period, scene.period.id).state == "approved"
    assert _fresh(CustomerSignoff, row.id).signer_name == "Liv Kunde"
    assert _count(AuditEvent) == audits


def test_the_signature_is_on_the_period_and_for_the_export(scene, app, client, login):
    path = _path(_send(scene))
    app.test_client().post(path, data={"decision": "approve", "name": "Liv Kunde"})
    with company_scope(scene.w.company.id):
        period = _fresh(Period, scene.period.id)
        [signature] = signoff.signatures_for(period)
    assert signature.approved and signature.signer_name == "Liv Kunde"
    assert signature.project_id == scene.project.id and "Nybygg Lia" in signature.project
    assert signature.signer_address == "127.0.0.1" and signature.email == "leder@kunde.no"
    login(scene.w.approver)
    page = client.get(f"/godkjenning/kunde/{scene.line.id}").get_data(as_text=True)
    assert "Kunden godkjente timene: Liv Kunde" in page and "127.0.0.1" in page


def test_dispute_returns_the_period_with_the_customers_comment(scene, app):
    path = _path(_send(scene))
    customer = app.test_client()
    customer.get(path)
    missing = customer.post(path, data={"decision": "dispute", "name": "Liv Kunde"})
    assert missing.status_code == 422
    assert "Skriv hvorfor du ikke godkjenner timene" in missing.get_data(as_text=True)
    assert _fresh(PeriodLine, scene.line.id).state == "customer"
    nameless = customer.post(path, data={"decision": "approve", "name": "  "})
    assert nameless.status_code == 422 and "Skriv navnet ditt" in nameless.get_data(as_text=True)

    response = customer.post(
        path,
        data={"decision": "dispute", "name": "Liv Kunde", "comment": "Var ikke her tirsdag"},
    )
    assert response.status_code == 200
    period = _fresh(Period, scene.period.id)
    assert period.state == "returned"
    assert "Liv Kunde" in period.comment and "Var ikke her tirsdag" in period.comment
    assert _fresh(PeriodLine, scene.line.id).state == "returned"
    assert _entry_states(scene, scene.project) == {"open"}
    row = _fresh(CustomerSignoff, _db.session.scalar(select(CustomerSignoff.id)))
    assert (row.decision, row.comment) == ("disputed", "Var ikke her tirsdag")


def test_expired_link_shows_a_clear_page_and_changes_nothing(scene, app, frozen_clock):
    path = _path(_send(scene))
    frozen_clock(NOON + timedelta(days=14, minutes=1))
    customer = app.test_client()
    response = customer.get(path)
    assert response.status_code == 410
    assert "Lenken er utløpt" in response.get_data(as_text=True)
    assert "Nybygg Lia" not in response.get_data(as_text=True)
    assert customer.post(path, data={"decision": "approve", "name": "Liv"}).status_code == 410
    assert _fresh(PeriodLine, scene.line.id).state == "customer"
    assert _fresh(CustomerSignoff, _db.session.scalar(select(CustomerSignoff.id))).decision is None


def test_a_newer_link_supersedes_the_older(scene, app):
    first = _path(_send(scene))
    second = _path(_send(scene, "annen@kunde.no"))
    customer = app.test_client()
    old = customer.get(first)
    assert old.status_code == 410
    assert "Lenken er erstattet av en nyere" in old.get_data(as_text=True)
    assert customer.post(first, data={"decision": "approve", "name": "Liv"}).status_code == 410
    assert _fresh(PeriodLine, scene.line.id).state == "customer"
    assert customer.get(second).status_code == 200


def test_a_link_sent_before_the_hours_changed_no_longer_works(scene, app, frozen_clock):
    path = _path(_send(scene))
    w = scene.w
    frozen_clock(NOON + timedelta(hours=1))
    with company_scope(w.company.id):
        services.return_period(
            w.approver, scene.period.id, "Rett tirsdag", project_ids=[0, scene.project.id]
        )
    assert app.test_client().get(path).status_code == 410  # returned: closed
    frozen_clock(NOON + timedelta(hours=2))
    with company_scope(w.company.id):
        period = submit_week(w.user, DAY)
        services.approve(w.approver, period.id, problems=[])
    response = app.test_client().get(path)
    assert response.status_code == 410
    assert "endret etter at lenken ble sendt" in response.get_data(as_text=True)


def _other_signoff(scene: Scene) -> CustomerSignoff:
    """A link of another company: Nils's hours on its own sign-off project."""
    other = hours_world(DAY)
    with company_scope(other.company.id):
        other.project.customer_signoff = True
        other.project.name = "Fremmed byggeplass"
        _db.session.commit()
        new_entry(
            other.user,
            DAY,
            "9.75",
            project_id=other.project.id,
            activity_id=other.project_activity.id,
            comment="fremmed-kommentar",
        )
        period = submit_week(other.user, DAY)
        services.approve(other.approver, period.id, problems=[])
        line = period.lines[0]
        return signoff.send(other.approver, line.id, "x@fremmed.no").signoff


def test_forged_or_edited_links_show_nothing(scene, app):
    sent = _send(scene)
    path = _path(sent)
    token = path.rsplit("/", 1)[1]
    foreign = _other_signoff(scene)
    serializer = URLSafeTimedSerializer(app.secret_key, salt=signoff.SALT)
    forged = [
        token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),  # tampered signature
        token + "x",
        token[:20],
        # Signed with the real secret: another row's id with this nonce, and the reverse.
        serializer.dumps({"s": foreign.id, "n": sent.signoff.nonce}),
        serializer.dumps({"s": sent.signoff.id, "n": foreign.nonce}),
        serializer.dumps({"s": sent.signoff.id}),
        serializer.dumps([sent.signoff.id, sent.signoff.nonce]),
        serializer.dumps({"s": "1", "n": sent.signoff.nonce}),
        # Another salt (the CSRF token's) with the same payload.
        URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(
            {"s": sent.signoff.id, "n": sent.signoff.nonce}
        ),
        # The right salt, another secret.
        URLSafeTimedSerializer("guessed", salt=signoff.SALT).dumps(
            {"s": sent.signoff.id, "n": sent.signoff.nonce}
        ),
        "a" * 600,
    ]
    customer = app.test_client()
    for bad in forged:
        for response in (
            customer.get(f"/kunde/{bad}"),
            customer.post(f"/kunde/{bad}", data={"decision": "approve", "name": "Liv"}),
        ):
            page = response.get_data(as_text=True)
            assert response.status_code in (400, 404), (bad, response.status_code)
            for secret in ("Nybygg Lia", "Fremmed byggeplass", "fremmed-kommentar", "9,75", "Kari"):
                assert secret not in page, (bad, secret)
    assert customer.get(f"/kunde/{token}/../{foreign.id}").status_code == 404
    assert customer.get(f"{path}?linje={scene.other_line.id}").status_code == 200
    widened = customer.get(f"{path}?linje={scene.other_line.id}").get_data(as_text=True)
    assert OTHER_PROJECT not in widened and OTHER_COMMENT not in widened
    assert _fresh(PeriodLine, scene.line.id).state == "customer"
    assert _fresh(CustomerSignoff, foreign.id).decision is None


def test_the_customer_form_needs_the_csrf_token(scene, app):
    path = _path(_send(scene))
    response = app.test_client().post(path, data={"decision": "approve", "name": "Liv"}, csrf=False)
    assert response.status_code == 400
    assert _fresh(PeriodLine, scene.line.id).state == "customer"


def test_two_answers_decide_once(scene):
    token = _path(_send(scene)).rsplit("/", 1)[1]
    signoff.decide(token, approved=True, name="Liv", comment="", address="10.0.0.1")
    with pytest.raises(signoff.LinkRefused) as refused:
        signoff.decide(token, approved=False, name="Ola", comment="Nei", address="10.0.0.2")
    assert refused.value.reason == signoff.USED
    row = _fresh(CustomerSignoff, refused.value.signoff.id)
    assert (row.decision, row.signer_name) == ("approved", "Liv")
    assert _fresh(Period, scene.period.id).state == "approved"


# ---------------------------------------------------------------- public and private


def test_only_the_customer_page_is_public(scene, app):
    path = _path(_send(scene))
    anonymous = app.test_client()
    assert anonymous.get(path).status_code == 200
    for url in (
        f"/godkjenning/kunde/{scene.line.id}",
        "/admin/kundegodkjenning",
    ):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/logg-inn" in response.headers["Location"], url
    response = anonymous.post(
        f"/godkjenning/kunde/{scene.line.id}/send", data={"email": "x@kunde.no"}
    )
    assert response.status_code == 302 and "/logg-inn" in response.headers["Location"]
    public = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint.startswith("approvals.") and getattr(view, "tipro_public", False)
    }
    assert public == {"approvals.customer_page"}
    assert _count(CustomerSignoff) == 1


# ---------------------------------------------------------------- admin: which projects


def test_admin_setting_is_saved_and_audited(db, client, login, frozen_clock):
    frozen_clock(NOON)
    w = hours_world(DAY)
    with company_scope(w.company.id):
        customer = Customer(
            company_id=w.company.id, tripletex_id=tx_id(), name="Kunde AS", email="post@kunde.no"
        )
        _db.session.add(customer)
        _db.session.flush()
        w.project.customer_id = customer.id
        _db.session.commit()
    login(w.admin)
    page = client.get("/admin/kundegodkjenning")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Nybygg Lia" in text and "post@kunde.no" in text and "Kunde AS" in text
    assert "Gammel jobb" not in text  # closed projects are not listed
    assert "Fremmed prosjekt" not in text  # another company's

    bad = client.post(
        "/admin/kundegodkjenning",
        data={
            "project": [w.project.id],
            f"signoff-{w.project.id}": "y",
            f"email-{w.project.id}": "nei",
        },
    )
    assert bad.status_code == 422 and "gyldig e-postadresse" in bad.get_data(as_text=True)
    assert _fresh(Project, w.project.id).customer_signoff is False

    response = client.post(
        "/admin/kundegodkjenning",
        data={
            "project": [w.project.id, w.members_project.id, w.other_company_project.id],
            f"signoff-{w.project.id}": "y",
            f"email-{w.project.id}": " leder@kunde.no ",
            f"signoff-{w.other_company_project.id}": "y",
        },
    )
    assert response.status_code == 303
    project = _fresh(Project, w.project.id)
    assert project.customer_signoff and project.customer_signoff_email == "leder@kunde.no"
    assert _fresh(Project, w.members_project.id).customer_signoff is False
    assert _fresh(Project, w.other_company_project.id).customer_signoff is False
    [audit] = _db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "customer_signoff")
    ).all()
    assert audit.entity == "project" and audit.entity_id == str(w.project.id)
    assert audit.user_id == w.admin.id
    assert audit.changes == {
        "customer_signoff": [False, True],
        "customer_signoff_email": [None, "leder@kunde.no"],
    }

    client.post("/logg-ut")
    login(w.approver)
    assert client.get("/admin/kundegodkjenning").status_code == 403
    assert (
        client.post("/admin/kundegodkjenning", data={"project": [w.project.id]}).status_code == 403
    )
    assert _fresh(Project, w.project.id).customer_signoff is True


def test_send_refuses_another_departments_line_in_the_service(scene):
    w = scene.w
    with company_scope(w.company.id):
        with pytest.raises(services.PeriodNotFound):
            signoff.send(w.colleague, scene.line.id, "x@kunde.no")
        with pytest.raises(services.ApprovalRefused):
            signoff.send(w.admin, scene.other_line.id, "x@kunde.no")
        sent = signoff.send(w.admin, scene.line.id, "x@kunde.no")
    assert sent.mailed is False and sent.url.startswith("http")
    assert _count(CustomerSignoff) == 1


@pytest.fixture
def smtp_inbox(app, monkeypatch):
    """A real SMTP server on loopback (aiosmtpd); the app sends to it. Yields what arrived."""
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    from tests.race import free_port

    arrived: list = []

    class Inbox:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            message = message_from_bytes(envelope.content, policy=policy.default)
            arrived.append((list(envelope.rcpt_tos), message))
            return "250 OK"

    port = free_port()
    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setitem(app.config, "MAIL_SENDER", "tipro@firma.no")
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://timer.firma.no")
    yield arrived
    controller.stop()


def test_the_link_is_mailed_when_smtp_is_set_up(scene, client, login, smtp_inbox):
    login(scene.w.approver)
    response = client.post(
        f"/godkjenning/kunde/{scene.line.id}/send", data={"email": "leder@kunde.no"}
    )
    assert response.status_code == 303
    [(recipients, message)] = smtp_inbox
    assert recipients == ["leder@kunde.no"]
    assert "Kari Nordmann" in message["Subject"] and "Nybygg Lia" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    link = re.search(r"https://timer\.firma\.no(/kunde/\S+)", body)
    assert link and "13,5" in body
    assert OTHER_PROJECT not in body
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lenken er sendt til leder@kunde.no" in page
    assert client.application.test_client().get(link.group(1)).status_code == 200


def test_the_link_expiry_follows_the_setting(scene, app, monkeypatch):
    monkeypatch.setitem(app.config, "CUSTOMER_SIGNOFF_DAYS", 3)
    sent = _send(scene)
    assert clock.aware(sent.signoff.expires_at) == clock.aware(sent.signoff.sent_at) + timedelta(
        days=3
    )
    assert isinstance(sent.signoff.sent_at, datetime)


# ---------------------------------------------------------------- two clicks at once


@pytest.mark.slow
def test_answers_at_the_same_moment_decide_once(race_server):
    """Six tabs answer one link at once (half approve, half dispute) on a real server."""
    from tests.factories import new_company
    from tests.race import Browser, fire, in_db
    from tipro.approvals.periods import span_of
    from tipro.models import Activity

    day = DAY - timedelta(days=150)  # the server runs on the real clock: a day long past

    def seed(db):
        company = new_company()
        person = new_user(company, "employee", name="Kari Kappløp")
        approver = new_user(company, "approver")
        activity = Activity(company_id=company.id, tripletex_id=tx_id(), name="Arbeid")
        project = Project(
            company_id=company.id,
            tripletex_id=tx_id(),
            number="1",
            name="Bygg",
            customer_signoff=True,
        )
        db.session.add_all([activity, project])
        db.session.flush()
        entry = new_entry(
            person, day, "7.5", project_id=project.id, activity_id=activity.id, state="submitted"
        )
        span = span_of("week", day)
        now = clock.now()
        period = Period(
            company_id=company.id,
            user_id=person.id,
            kind="week",
            first_day=span.first,
            last_day=span.last,
            state="submitted",
            total_hours=entry.hours,
        )
        line = PeriodLine(
            company_id=company.id,
            project_id=project.id,
            approver_id=approver.id,
            state="customer",
            hours=entry.hours,
            decided_by_id=approver.id,
            decided_at=now - timedelta(hours=1),
        )
        period.lines.append(line)
        db.session.add(period)
        db.session.flush()
        row = CustomerSignoff(
            company_id=company.id,
            line_id=line.id,
            nonce="race-" + str(tx_id()),
            email="k@kunde.no",
            sent_at=now,
            expires_at=now + timedelta(days=1),
        )
        db.session.add(row)
        db.session.commit()
        return {"period": period.id, "row": row.id, "path": "/kunde/" + signoff.token_for(row)}

    app = race_server.app()
    seeded = in_db(app, seed)
    tabs = [Browser(race_server.base_url) for _ in range(6)]
    for tab in tabs:
        assert tab.get(seeded["path"]).status_code == 200
    answers = fire(
        6,
        lambda i: tabs[i].post(
            seeded["path"],
            {
                "decision": "approve" if i % 2 else "dispute",
                "name": f"Kunde {i}",
                "comment": "Nei",
                "csrf_token": tabs[i].csrf,
            },
            boosted=False,
        ),
    )
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [200, 410, 410, 410, 410, 410], codes

    def outcome(db):
        row = db.session.get(CustomerSignoff, seeded["row"])
        period = db.session.get(Period, seeded["period"])
        events = db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.entity == "period", AuditEvent.entity_id == str(seeded["period"])
            )
        ).all()
        return row.decision, row.signer_name, period.state, sorted(events)

    decision, signer, state, events = in_db(app, outcome)
    winner = int(signer.split()[-1])
    assert decision == ("approved" if winner % 2 else "disputed")
    assert state == ("approved" if winner % 2 else "returned")
    decided = "customer_approve" if winner % 2 else "customer_dispute"
    assert events.count("customer_signed") == 1 and events.count(decided) == 1

"""Reminders: who is due, the start page, e-mail over a real local SMTP server (aiosmtpd), at
most once per person per period, the weekly schedule and the admin's «Påminn» page.

The scene (week mode, today Wednesday 18 November 2026, week 47; everybody created in week 44):
- Kari: week 44 no hours, week 45 approved, week 46 hours not handed in;
- Ola: week 45 handed in (waiting for Berit, the project manager), weeks 44 and 46 no hours;
- Berit (approver, linked to an employee): no hours at all; Ola's week 45 waits for her;
- Anne (admin, no employee link): keeps no hours; nothing waits for her alone.
"""

from __future__ import annotations

import email
import socket
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from tests.factories import DAY, in_company, lock_period, new_entry, submit_week
from tipro import clock, jobs
from tipro.approvals import preflight, reminder_jobs, reminders
from tipro.models import ReminderSent

CREATED = datetime(2026, 10, 28, 9, 0)  # Wednesday, week 44


# ---------------------------------------------------------------- a real SMTP server


class Inbox:
    """What the local SMTP server received: one parsed message per DATA."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.envelopes.append(envelope)
        return "250 OK"

    @property
    def messages(self) -> list:
        return [
            email.message_from_bytes(e.original_content, policy=policy.default)
            for e in self.envelopes
        ]

    def to(self, address: str):
        found = [m for m in self.messages if address in m["To"]]
        assert len(found) == 1, [m["To"] for m in self.messages]
        return found[0]

    @staticmethod
    def text(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def html(message) -> str:
        return message.get_body(preferencelist=("html",)).get_content()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server on a free local port; the app sends to it while the test runs."""
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setitem(app.config, "MAIL_SENDER", "TiPro <tipro@example.no>")
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://timer.example.no")
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def no_smtp(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", "")
    monkeypatch.setitem(app.config, "MAIL_SENDER", "")


# ---------------------------------------------------------------- the scene


@pytest.fixture
def world(build_hours_world, monkeypatch):
    monkeypatch.setattr(preflight, "check", lambda *a, **k: [])
    with clock.pinned(CREATED):
        scene = build_hours_world(DAY)
    with in_company(scene.company):
        kari, ola = scene.user, scene.colleague
        new_entry(kari, date(2026, 11, 3), "7.5", project_id=scene.project.id)
        lock_period(kari, date(2026, 11, 3), "approved")
        new_entry(kari, date(2026, 11, 10), "7.5", project_id=scene.project.id)
        new_entry(kari, date(2026, 11, 11), "4", project_id=scene.project.id)
        new_entry(ola, date(2026, 11, 4), "6", project_id=scene.project.id)
        submit_week(ola, date(2026, 11, 4))
        yield scene


def _keys(overdue) -> list[tuple[str, str]]:
    return [(o.key, o.status) for o in overdue]


def test_who_is_due(world):
    dues = {d.email: d for d in reminders.who_is_due(world.company)}
    assert set(dues) == {world.user.email, world.colleague.email, world.approver.email}
    kari = dues[world.user.email]
    assert _keys(kari.overdue) == [("2026-W44", "missing"), ("2026-W46", "open")]
    assert kari.overdue[1].hours == Decimal("11.5")
    assert kari.waiting == []
    ola = dues[world.colleague.email]
    assert _keys(ola.overdue) == [("2026-W44", "missing"), ("2026-W46", "missing")]
    berit = dues[world.approver.email]
    assert [o.key for o in berit.overdue] == ["2026-W44", "2026-W45", "2026-W46"]
    assert [(w.key, w.people) for w in berit.waiting] == [("2026-W45", ("Ola Nordmann",))]


def test_returned_period_and_lookback_and_start(world):
    kari = world.user
    lock_period(kari, date(2026, 11, 11), "returned")
    assert _keys(reminders.overdue_for(kari)) == [
        ("2026-W44", "missing"),
        ("2026-W46", "returned"),
    ]
    # Ten weeks on, only about eight weeks back count; a period not yet ended never does.
    later = date(2027, 1, 27)
    keys = [o.key for o in reminders.overdue_for(kari, later)]
    assert keys[0] == "2026-W49" and keys[-1] == "2027-W03" and "2027-W04" not in keys
    # A user created later is not reminded of the time before.
    with clock.pinned(datetime(2026, 11, 12, 9)):
        from tests.factories import new_user

        newcomer = new_user(world.company, "employee", name="Ny")
    assert [o.key for o in reminders.overdue_for(newcomer)] == ["2026-W46"]


def test_month_mode(world):
    world.company.approval_period = "month"
    from tipro.extensions import db

    db.session.commit()
    with clock.pinned(datetime(2026, 12, 2, 9)):
        overdue = reminders.overdue_for(world.user)
    # October: created on the 28th, no hours; November: hours, not handed in.
    assert _keys(overdue) == [("2026-10", "missing"), ("2026-11", "open")]


def test_admin_is_reminded_only_of_lines_nobody_else_decides(world):
    from tipro.extensions import db

    dues = {d.email: d for d in reminders.who_is_due(world.company)}
    assert world.admin.email not in dues
    # Berit can no longer approve: her waiting line falls to the admins.
    world.approver.role = "employee"
    db.session.commit()
    dues = {d.email: d for d in reminders.who_is_due(world.company)}
    assert [w.key for w in dues[world.admin.email].waiting] == ["2026-W45"]
    assert dues[world.approver.email].waiting == []


# ---------------------------------------------------------------- e-mail


def test_reminders_arrive_once_over_smtp(world, smtp):
    outcome = reminders.send_reminders(world.company)
    assert (outcome.sent, outcome.already, outcome.failed) == (3, 0, 0)
    assert sorted(a for e in smtp.envelopes for a in e.rcpt_tos) == sorted(
        [world.user.email, world.colleague.email, world.approver.email]
    )
    kari = smtp.to(world.user.email)
    assert kari["Subject"].strip() == "TiPro: du har timer som ikke er sendt inn"
    assert kari["From"] == "TiPro <tipro@example.no>"
    text = smtp.text(kari)
    assert "Hei, Kari Nordmann" in text
    assert "Uke 44 (26.10.–1.11.2026): ingen timer ført" in text
    assert "Uke 46 (9.11.–15.11.2026): 11,5 t er ikke sendt inn" in text
    assert "https://timer.example.no/perioder/2026-W46" in text
    assert "Uke 45" not in text
    assert 'href="https://timer.example.no/perioder/2026-W44"' in smtp.html(kari)
    berit = smtp.to(world.approver.email)
    assert berit["Subject"].strip() == "TiPro: timer å sende inn og perioder å godkjenne"
    assert "Uke 45 (2.11.–8.11.2026): Ola Nordmann" in smtp.text(berit)
    assert "https://timer.example.no/godkjenning" in smtp.text(berit)

    # The same run again: everybody has been reminded of everything; no mail goes out.
    again = reminders.send_reminders(world.company)
    assert (again.sent, again.already) == (0, 3)
    assert len(smtp.envelopes) == 3
    assert _reminder_rows() == 3 + 2 + 2 + 1  # Berit: 3 employee periods + 1 waiting

    # A week later week 47 is over too: one new mail each, naming only week 47.
    with clock.pinned(datetime(2026, 11, 25, 8)):
        later = reminders.send_reminders(world.company)
    assert later.sent == 3
    text = smtp.text(smtp.messages[3])
    assert "Uke 47" in text and "Uke 44" not in text and "Uke 46" not in text


def test_recipient_language(world, smtp):
    from tipro.extensions import db

    world.colleague.language = "en"
    db.session.commit()
    reminders.send_reminders(world.company)
    assert '<html lang="en">' in smtp.html(smtp.to(world.colleague.email))
    assert '<html lang="nb">' in smtp.html(smtp.to(world.user.email))


def test_a_reminder_claimed_by_another_run_is_not_sent(world, smtp):
    from tipro.extensions import db

    # Another run has recorded Kari's week 46 (and only that): she gets week 44 alone.
    db.session.add(
        ReminderSent(
            company_id=world.company.id,
            user_id=world.user.id,
            kind="employee",
            period_key="2026-W46",
        )
    )
    db.session.commit()
    reminders.send_reminders(world.company)
    text = smtp.text(smtp.to(world.user.email))
    assert "Uke 44" in text and "Uke 46" not in text


def test_the_unique_row_stops_a_run_that_read_before_another_committed(world, smtp, monkeypatch):
    reminders.send_reminders(world.company)
    assert len(smtp.envelopes) == 3
    # A run that read the sent reminders before the first committed: its inserts fail on the
    # unique key, so it sends nothing.
    monkeypatch.setattr(reminders, "sent_keys", lambda ids: defaultdict(set))
    late = reminders.send_reminders(world.company)
    assert (late.sent, late.already) == (0, 3)
    assert len(smtp.envelopes) == 3
    assert _reminder_rows() == 8


def test_mail_server_down_is_reported_and_nothing_recorded(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{_free_port()}")
    monkeypatch.setitem(app.config, "MAIL_SENDER", "tipro@example.no")
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 2)
    outcome = reminders.send_reminders(world.company)
    assert outcome.sent == 0 and outcome.server_error
    assert "E-posttjeneren svarte ikke" in outcome.summary()
    assert _reminder_rows() == 0
    with pytest.raises(reminder_jobs.MailServerFailed):
        reminder_jobs.send_company_reminders(world.company.id)


def test_without_smtp_nothing_is_sent_and_it_says_why(world, no_smtp):
    outcome = reminders.send_reminders(world.company)
    assert outcome.sent == 0
    assert outcome.summary().startswith("E-post er ikke satt opp (TIPRO_SMTP_URL mangler)")
    assert _reminder_rows() == 0
    assert "ikke satt opp" in reminder_jobs.send_company_reminders(world.company.id)


def test_sender_missing_is_a_clear_note(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", "smtp://127.0.0.1:2525")
    monkeypatch.setitem(app.config, "MAIL_SENDER", "")
    assert "TIPRO_MAIL_SENDER" in reminders.send_reminders(world.company).summary()
    monkeypatch.setitem(app.config, "SMTP_URL", "http://mail.example.no")
    assert "TIPRO_SMTP_URL kan ikke leses" in reminders.send_reminders(world.company).summary()


def test_smtp_url_forms():
    from tipro.mail import parse_smtp_url

    plain = parse_smtp_url("smtp://mail.example.no")
    assert (plain.host, plain.port, plain.use_tls, plain.use_ssl) == (
        "mail.example.no",
        25,
        False,
        False,
    )
    tls = parse_smtp_url("smtp+tls://kari%40firma.no:hemmelig%2F1@mail.example.no")
    assert (tls.port, tls.username, tls.password, tls.use_tls) == (
        587,
        "kari@firma.no",
        "hemmelig/1",
        True,
    )
    assert parse_smtp_url("smtp://h:2525?starttls=1").use_tls is True
    ssl = parse_smtp_url("smtps://u:p@h")
    assert (ssl.port, ssl.use_ssl, ssl.use_tls) == (465, True, False)
    for bad in ("http://h", "smtp://", "smtp://h:99999"):
        with pytest.raises(ValueError):
            parse_smtp_url(bad)


def _reminder_rows() -> int:
    from tipro.extensions import db

    return db.session.scalar(select(func.count(ReminderSent.id)))


# ---------------------------------------------------------------- the schedule


def test_due_at_the_company_day_and_hour_only(world, frozen_clock):
    from tipro.extensions import db

    world.company.reminder_weekday = 3  # Wednesday
    world.company.reminder_hour = 8
    db.session.commit()
    due = {
        datetime(2026, 11, 18, 8, 0): True,
        datetime(2026, 11, 18, 8, 59): True,
        datetime(2026, 11, 18, 7, 59): False,
        datetime(2026, 11, 18, 9, 0): False,
        datetime(2026, 11, 19, 8, 0): False,
        datetime(2026, 11, 25, 8, 30): True,
    }
    for when, expected in due.items():
        frozen_clock(when)
        assert (world.company.id in reminder_jobs.due_companies()) is expected, when
    # Summer time: 08:00 in Oslo is 06:00 UTC.
    frozen_clock(datetime(2026, 6, 17, 8, 0))
    assert world.company.id in reminder_jobs.due_companies()
    world.company.reminder_weekday = None
    db.session.commit()
    frozen_clock(datetime(2026, 11, 18, 8, 0))
    assert world.company.id not in reminder_jobs.due_companies()


def test_tick_queues_the_job_at_the_hour_and_schedules_the_next(world, frozen_clock):
    from tipro.extensions import db

    world.company.reminder_weekday = 3
    world.company.reminder_hour = 8
    db.session.commit()
    cid = world.company.id

    frozen_clock(datetime(2026, 11, 18, 7, 0))
    reminder_jobs.reminder_tick()
    assert not jobs.is_pending(reminder_jobs.job_id_for(cid))
    next_tick = datetime(2026, 11, 18, 8, 0, tzinfo=clock.OSLO)
    assert jobs.is_pending(reminder_jobs._tick_id(next_tick))

    frozen_clock(datetime(2026, 11, 18, 8, 0))
    assert reminder_jobs.reminder_tick() >= 1
    job = reminder_jobs.job_id_for(cid)
    assert job.endswith(f"-reminders-{cid}-2026111808")
    assert jobs.is_pending(job)
    queued = jobs.get_queue("low").fetch_job(job)
    assert queued.func_name.endswith("send_company_reminders") and queued.args == (cid,)
    # A second tick in the same hour (another starter) does not queue it twice.
    assert jobs.enqueue(reminder_jobs.send_company_reminders, cid, job_id=job, queue="low") is None


def test_the_job_sends_once(world, smtp):
    reminder_jobs.send_company_reminders(world.company.id)
    reminder_jobs.send_company_reminders(world.company.id)
    assert len(smtp.envelopes) == 3


# ---------------------------------------------------------------- pages


def test_start_page_shows_unsubmitted_past_periods(world, login):
    client = login(world.user)
    page = client.get("/").get_data(as_text=True)
    assert "2 perioder er ikke sendt inn" in page
    assert 'href="/perioder/2026-W44"' in page and 'href="/perioder/2026-W46"' in page
    assert "/perioder/2026-W45" not in page
    client.post("/logg-ut")
    admin_page = login(world.admin).get("/").get_data(as_text=True)
    assert "Hei, Anne Admin" in admin_page
    assert "er ikke sendt inn" not in admin_page


def test_admin_page_lists_and_sends(world, smtp, login):
    client = login(world.admin)
    page = client.get("/admin/paminnelser").get_data(as_text=True)
    assert page.count("Nei, får påminnelse") == 3
    assert "Kari Nordmann" in page and "Ola Nordmann" in page and "Berit Sjef" in page
    assert "Uke 46 (9.11.–15.11.2026): 11,5 t er ikke sendt inn" in page
    assert "Den ukentlige påminnelsen er slått av." in page

    response = client.post("/admin/paminnelser", follow_redirects=True)
    assert "Sendte 3 påminnelser. 0 var påminnet om alt fra før." in response.get_data(as_text=True)
    assert len(smtp.envelopes) == 3
    response = client.post("/admin/paminnelser", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Sendte 0 påminnelser. 3 var påminnet om alt fra før." in page
    assert page.count("Ja, om alt") == 3
    assert len(smtp.envelopes) == 3


def test_admin_page_without_smtp(world, no_smtp, login):
    client = login(world.admin)
    page = client.get("/admin/paminnelser").get_data(as_text=True)
    assert "E-post er ikke satt opp (TIPRO_SMTP_URL mangler)" in page
    assert "disabled" in page
    response = client.post("/admin/paminnelser", follow_redirects=True)
    assert response.status_code == 200
    assert "E-post er ikke satt opp" in response.get_data(as_text=True)
    assert _reminder_rows() == 0


def test_admin_page_is_for_admins(world, login, client):
    assert client.get("/admin/paminnelser").status_code == 302  # to the log-in page
    for user in (world.user, world.approver):
        login(user)
        assert client.get("/admin/paminnelser").status_code == 403
        assert client.post("/admin/paminnelser").status_code == 403
        client.post("/logg-ut")
    login(world.admin)
    assert client.get("/admin/paminnelser").status_code == 200
    assert client.post("/admin/paminnelser", csrf=False).status_code == 400

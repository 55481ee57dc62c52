"""Month close: every total of the November 2026 scene (tests/reports/close_fixtures.py), Easter
and closure days, who sees whom, the reminder, closure day admin, and the statement count."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.approvals.test_reminders import smtp  # noqa: F401 (a real local SMTP server)
from tests.conftest import TEST_PASSWORD
from tests.factories import in_company, new_user
from tests.reports.close_fixtures import MONTH, close_world, person, weekdays
from tests.statements import counted
from tipro import clock
from tipro.approvals import periods
from tipro.models import AuditEvent, ClosureDay, ReminderSent
from tipro.reports import close, close_routes

D = Decimal
CREATED = datetime(2026, 10, 1, 9, 0)  # everybody was created before the month


@pytest.fixture
def world(db):
    with clock.pinned(CREATED):
        scene = close_world()
    with in_company(scene.company):
        yield scene


def rows_of(actor, month: str = MONTH, **kwargs):
    data = close.month_close(actor, close.month_span(month), **kwargs)
    return data, {row.user.display_name: row for row in data.rows}


# ---------------------------------------------------------------- totals


def test_every_total_of_the_month(world):
    data, rows = rows_of(world.berit)
    assert list(rows) == ["Eva Uten", "Kari Nordmann", "Nina Nordmann", "Per Nordmann"]
    kari, per, nina, eva = (
        rows[n] for n in ("Kari Nordmann", "Per Nordmann", "Nina Nordmann", "Eva Uten")
    )
    assert (kari.normal, kari.worked, kari.absence, kari.overtime) == (
        D("157.5"),
        D("75"),
        D("15"),
        D("2"),
    )
    # Flex is against the normal time so far (the clock: 18 November, 13 working days).
    assert kari.missing_days == [] and (kari.normal_to_date, kari.flex) == (D("97.5"), D("-7.5"))
    assert [s.key for s in kari.waiting] == ["2026-W46"] and kari.not_submitted == []
    assert (per.normal, per.registered, per.flex) == (D("126"), D("30"), D("-48"))
    assert [d.day for d in per.missing_days] == [9, 10, 11, 12, 13, 16, 17]
    assert [s.key for s in per.not_submitted] == ["2026-W45", "2026-W46"]
    assert (nina.normal, nina.registered, nina.missing_days) == (D("82.5"), D("15"), [])
    assert nina.not_submitted == [] and nina.waiting == []
    assert (eva.normal, eva.registered, len(eva.missing_days)) == (D("157.5"), D("0"), 12)
    assert [s.key for s in eva.not_submitted] == ["2026-W45", "2026-W46"]
    assert data.workdays == 21
    assert data.total("normal") == D("523.5")
    assert data.total("registered") == D("135")
    assert data.total("absence") == D("15")
    assert data.total("overtime") == D("2")
    assert data.total("flex") == D("-160.5")
    assert data.missing_count == 19
    assert (data.not_submitted_count, data.waiting_count) == (4, 1)


def test_the_page_shows_the_totals_row(world, login):
    client = login(world.berit)
    html = client.get(f"/rapporter/manedsavslutning?maned={MONTH}").get_data(as_text=True)
    assert "Sum (4 personer)" in html
    assert "523,5" in html and "160,5" in html
    assert "Per Nordmann" in html and "Ola Nordmann" not in html
    assert "Påminn alle som mangler timer" in html


def test_a_past_month_is_whole_and_today_never_missing(world):
    # Seen from 1 December, every November working day without hours is missing.
    _data, rows = rows_of(world.berit, today=date(2026, 12, 1))
    assert len(rows["Eva Uten"].missing_days) == 21
    assert [s.key for s in rows["Kari Nordmann"].not_submitted] == ["2026-W47", "2026-W48"]
    # On the 18th the 18th itself is not missing yet.
    _data, rows = rows_of(world.berit, today=date(2026, 11, 18))
    assert date(2026, 11, 18) not in rows["Eva Uten"].missing_days


def test_easter_and_an_absence_range_over_it(world):
    """April 2026: Easter takes 2, 3 and 6 April. Holiday registered over Easter on the working
    days only (as an absence range must) leaves no missing day and no flex."""
    kari = world.kari
    for day in weekdays(date(2026, 3, 30), date(2026, 4, 10)):
        if day not in (date(2026, 4, 2), date(2026, 4, 3), date(2026, 4, 6)):
            world.absence_day(kari, day)
    for day in weekdays(date(2026, 4, 13), date(2026, 4, 30)):
        world.work_day(kari, day)
    _data, rows = rows_of(world.berit, "2026-04", today=date(2026, 5, 4))
    row = rows["Kari Nordmann"]
    assert row.normal == D("142.5")  # 19 working days
    assert row.absence == D("37.5") and row.worked == D("105")
    assert row.missing_days == [] and row.flex == 0


def test_closure_days_and_part_time_in_december(world):
    world.close_company(date(2026, 12, 28), date(2026, 12, 31), "Romjul")
    data, rows = rows_of(world.berit, "2026-12", today=date(2027, 1, 4))
    assert data.workdays == 18
    assert rows["Kari Nordmann"].normal == D("135")
    assert rows["Per Nordmann"].normal == D("108")  # 18 × 6
    assert [d.name for d in data.holidays] == [
        "Første juledag",
        "Andre juledag",  # a Saturday, named all the same
        "Romjul",
        "Romjul",
        "Romjul",
        "Romjul",
    ]


# ---------------------------------------------------------------- who sees whom


def test_each_approver_sees_their_people_and_the_admin_everyone(world):
    _data, berit = rows_of(world.berit)
    _data, jonas = rows_of(world.jonas)
    _data, admin = rows_of(world.admin)
    assert set(jonas) == {"Ola Nordmann"}
    assert "Berit Sjef" not in berit  # never oneself
    assert set(admin) == {
        "Berit Sjef",
        "Eva Uten",
        "Jonas Sjef",
        "Kari Nordmann",
        "Nina Nordmann",
        "Ola Nordmann",
        "Per Nordmann",
    }
    assert jonas["Ola Nordmann"].registered == D("92")
    assert jonas["Ola Nordmann"].not_submitted == []


def test_another_company_never_shows(world, login):
    with in_company(world.other):  # the test's own scope would hide the other company's user
        client = login(world.other_admin)
        html = client.get(f"/rapporter/manedsavslutning?maned={MONTH}").get_data(as_text=True)
    assert "Fremmed Person" in html
    for name in ("Kari Nordmann", "Per Nordmann", "Ola Nordmann", "Eva Uten"):
        assert name not in html


# Every view of tipro/reports/close_routes.py: (method, endpoint, path, whom it serves).
ROUTES = [
    ("GET", "my_overview", "/min-oversikt", "employee"),
    ("GET", "month_close", f"/rapporter/manedsavslutning?maned={MONTH}", "approver"),
    ("POST", "month_close_remind", "/rapporter/manedsavslutning/paminn", "approver"),
    ("GET", "closure_days", "/admin/stengte-dager?ar=2026", "admin"),
    ("POST", "closure_days_add", "/admin/stengte-dager", "admin"),
    ("POST", "closure_day_delete", "/admin/stengte-dager/{closure}/slett", "admin"),
]
RANK = {"employee": 0, "approver": 1, "admin": 2}


def test_every_view_of_close_routes_is_in_the_list(app):
    views = {
        endpoint.split(".", 1)[1]
        for endpoint, view in app.view_functions.items()
        if view.__module__ == close_routes.__name__
    }
    assert views == {name for _method, name, _path, _role in ROUTES}


def _closure(company_id: int) -> int:
    from tipro.extensions import db as _db

    row = ClosureDay(company_id=company_id, date=date(2026, 12, 29), name="Romjul")
    _db.session.add(row)
    _db.session.commit()
    return row.id


def _data(name: str) -> dict:
    return {
        "month_close_remind": {"maned": MONTH},
        "closure_days_add": {"start": "2026-12-28", "name": "Romjul"},
    }.get(name, {})


@pytest.mark.parametrize(("method", "name", "path", "role"), ROUTES, ids=[r[1] for r in ROUTES])
@pytest.mark.parametrize("who", ["anonymous", "kari", "berit", "admin", "other_admin"])
def test_route_roles_and_tenancy(world, client, login, no_smtp, method, name, path, role, who):
    closure = _closure(world.company.id)
    url = path.format(closure=closure)
    actor = getattr(world, who, None)
    with in_company(actor.company if actor else world.company):
        if actor:
            login(actor)
        response = client.open(url, method=method, data=_data(name))
        refused = client.open(url, method=method, data=_data(name), csrf=False)
    if who == "anonymous":
        assert response.status_code == 302 and "/logg-inn" in response.headers["Location"]
        return
    if RANK[actor.role] < RANK[role]:
        assert response.status_code == 403
        return
    if name == "closure_day_delete" and who == "other_admin":
        assert response.status_code == 404  # another company's row does not exist
        return
    assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]
    if method == "POST":
        assert refused.status_code in (400, 404)  # CSRF on every POST (the row may be gone)


@pytest.fixture
def no_smtp(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", "")
    monkeypatch.setitem(app.config, "MAIL_SENDER", "")


def test_bad_input_is_a_clear_400(world, login):
    client = login(world.admin)
    for url in (
        "/rapporter/manedsavslutning?maned=2026-13",
        "/rapporter/manedsavslutning?maned=2026-W47",
        "/rapporter/manedsavslutning?maned=%00",
        "/admin/stengte-dager?ar=tjue",
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "Ugyldig" in response.get_data(as_text=True)
    assert client.post("/rapporter/manedsavslutning/paminn", data={"maned": "x"}).status_code == 400
    bad = client.post("/admin/stengte-dager", data={"start": "28.12.2026", "name": "Romjul"})
    assert bad.status_code == 422 and "ÅÅÅÅ-MM-DD" in bad.get_data(as_text=True)


# ---------------------------------------------------------------- the reminder


def test_remind_everyone_missing_hours(world, login, smtp):  # noqa: F811 (the fixture)
    client = login(world.berit)
    response = client.post("/rapporter/manedsavslutning/paminn", data={"maned": MONTH})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    # Per and Eva miss days; each is reminded of weeks 45 and 46 (and Eva of week 44 too).
    assert "2 personer mangler timer." in page
    assert "Sendte 2 påminnelser." in page
    assert sorted(m["To"] for m in smtp.messages) == sorted([world.per.email, world.eva.email])
    sent = select(func.count()).select_from(ReminderSent)
    from tipro.extensions import db as _db

    before = _db.session.scalar(sent)
    # Again: nothing new to say, nobody mailed twice.
    again = client.post("/rapporter/manedsavslutning/paminn", data={"maned": MONTH})
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Sendte 0 påminnelser. 2 var påminnet om alt fra før." in page
    assert len(smtp.messages) == 2 and _db.session.scalar(sent) == before
    # Jonas's people miss nothing.
    jonas = client.application.test_client()
    jonas.post("/logg-inn", data={"email": world.jonas.email, "password": TEST_PASSWORD})
    quiet = jonas.post("/rapporter/manedsavslutning/paminn", data={"maned": MONTH})
    assert "Ingen mangler timer" in jonas.get(quiet.headers["Location"]).get_data(as_text=True)


def test_remind_without_mail_says_so(world, login, no_smtp):
    client = login(world.admin)
    response = client.post("/rapporter/manedsavslutning/paminn", data={"maned": MONTH})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "E-post er ikke satt opp" in page


# ---------------------------------------------------------------- closure days


def test_admin_adds_and_removes_closure_days_audited(world, login):
    from tipro.extensions import db as _db

    client = login(world.admin)
    response = client.post(
        "/admin/stengte-dager",
        data={"start": "2026-12-24", "end": "2027-01-01", "name": " Romjul "},
    )
    assert response.status_code == 302
    days = _db.session.scalars(select(ClosureDay).order_by(ClosureDay.date)).all()
    # Weekends, Christmas Day and New Year's Day are skipped.
    assert [d.date for d in days] == [
        date(2026, 12, 24),
        date(2026, 12, 28),
        date(2026, 12, 29),
        date(2026, 12, 30),
        date(2026, 12, 31),
    ]
    assert {d.name for d in days} == {"Romjul"}
    page = client.get("/admin/stengte-dager?ar=2026").get_data(as_text=True)
    assert "Romjul" in page and "La til 5 stengte dager." in page
    again = client.post("/admin/stengte-dager", data={"start": "2026-12-28", "name": "Romjul"})
    assert again.status_code == 422 and "Ingen nye arbeidsdager" in again.get_data(as_text=True)
    nameless = client.post("/admin/stengte-dager", data={"start": "2027-07-01", "name": ""})
    assert nameless.status_code == 422 and "Romjul" in nameless.get_data(as_text=True)
    client.post(f"/admin/stengte-dager/{days[0].id}/slett")
    assert _db.session.scalar(select(func.count()).select_from(ClosureDay)) == 4
    events = _db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity == "closure_day")
    ).all()
    assert sorted(events) == ["create"] * 5 + ["delete"]
    # The month close reads them.
    data, _rows = rows_of(world.admin, "2026-12", today=date(2027, 1, 4))
    assert data.workdays == 18


# ---------------------------------------------------------------- statements


def _statements(client, url: str) -> int:
    with counted() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


def test_statement_count_does_not_grow_with_people_or_entries(world, login):
    client = login(world.admin)
    url = f"/rapporter/manedsavslutning?maned={MONTH}"
    small = _statements(client, url)
    bygg = world.kari.employee.department
    for n in range(6):
        someone = person(world.company, bygg, f"Ekstra{n}", employment_percentage=D("60"))
        for day in weekdays(date(2026, 11, 2), date(2026, 11, 13)):
            world.work_day(someone, day, "4.5")
        from tests.factories import lock_period

        lock_period(someone, date(2026, 11, 4), "submitted")
    large = _statements(client, url)
    assert large == small, (small, large)
    assert small <= 12


def test_remind_is_constant_too(world, login, no_smtp):
    client = login(world.admin)
    with counted() as few:
        client.post("/rapporter/manedsavslutning/paminn", data={"maned": MONTH})
    for n in range(5):
        new_user(world.company, "employee", name=f"Tom{n}")
    with counted() as more:
        client.post("/rapporter/manedsavslutning/paminn", data={"maned": MONTH})
    assert len(few) == len(more)


def test_month_span_reads_only_months():
    assert close.month_span("2026-11") == periods.span_of("month", date(2026, 11, 5))


def test_part_time_normal_is_summed_from_exact_days(world):
    """62.5 % of 37.5 h: 21 working days × 4.6875 = 98.4375 → 98.44 (days rounded to 4.69
    would give 98.49), and the flex follows the same sum."""
    from tests.reports.close_fixtures import details

    employee = world.per.employee
    employee.employment_percentage = Decimal("62.5")
    employee.employment_details = details(("2015-01-01", "62.50"))
    from tipro.extensions import db

    db.session.commit()
    _data, rows = rows_of(world.berit)
    per = rows["Per Nordmann"]
    assert per.normal == D("98.44")
    # 13 working days to 18 November × 4.6875 = 60.9375 → 60.94 so far.
    assert per.flex == D("30") - D("60.94")


def test_the_report_link_opens_the_same_month(world, login):
    """«Se timene i rapportene» passes fra/til with periode=egen (else the report ignores
    them and shows this month)."""
    import html as html_lib
    import re

    client = login(world.berit)
    page = client.get("/rapporter/manedsavslutning?maned=2026-10").get_data(as_text=True)
    [href] = re.findall(r'<a href="(/rapporter\?[^"]*)">Se timene i rapportene</a>', page)
    report = client.get(html_lib.unescape(href)).get_data(as_text=True)
    assert 'name="fra" value="2026-10-01"' in report
    assert 'name="til" value="2026-10-31"' in report

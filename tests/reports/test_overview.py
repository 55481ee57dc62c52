"""«Min oversikt»: the user's week and month against normal time, the flex balance, the day
chart (server-side SVG with its numbers as a table), own data only, constant statements.

Scene: tests/reports/close_fixtures.py, today Wednesday 18 November 2026."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from tests.factories import in_company
from tests.reports.close_fixtures import close_world, weekdays
from tests.statements import counted
from tipro import clock
from tipro.reports import close

D = Decimal


@pytest.fixture
def world(db):
    with clock.pinned(datetime(2026, 10, 1, 9, 0)):
        scene = close_world()
    with in_company(scene.company):
        yield scene


def test_week_month_and_flex(world):
    kari = close.overview(world.kari)
    assert (kari.week.first, kari.week.last) == (date(2026, 11, 16), date(2026, 11, 22))
    assert (kari.week.registered, kari.week.normal, kari.week.normal_to_date) == (
        D("15"),
        D("37.5"),
        D("22.5"),
    )
    assert kari.week.difference == D("-7.5")
    assert (kari.month.worked, kari.month.absence, kari.month.normal) == (
        D("75"),
        D("15"),
        D("157.5"),
    )
    assert kari.month.normal_to_date == D("97.5") and kari.month.percent == 57
    # From her first day with hours this year (2 Nov) to yesterday: 90 registered, 90 normal.
    assert (kari.flex_from, kari.flex) == (date(2026, 11, 2), D("0"))

    per = close.overview(world.per)
    assert per.percentage == D("80.00") and per.month.normal == D("126")
    assert per.flex == D("30") - 12 * D("6")

    nina = close.overview(world.nina)  # employed from 16 November
    assert nina.flex_from == date(2026, 11, 16) and nina.flex == 0
    assert nina.month.normal == D("82.5")


def test_today_counts_once_it_has_hours(world):
    world.work_day(world.kari, date(2026, 11, 18), "9")
    kari = close.overview(world.kari)
    assert kari.flex == D("1.5")
    assert kari.week.difference == D("1.5")


def test_flex_starts_on_1_january_for_a_whole_year(world):
    for day in weekdays(date(2025, 12, 29), date(2026, 1, 9)):
        world.work_day(world.per, day, "6")
    per = close.overview(world.per)
    assert per.flex_from == date(2026, 1, 1)
    # 6 h on 1 Jan, a holiday: all of it flex. 2 and 5–9 Jan worked as normal. 12 Jan–17 Nov
    # has 222 weekdays, 6 of them holidays (2, 3, 6 April; 1, 14, 25 May): 216 × 6 h normal
    # against 30 h worked (2–6 Nov). December 2025 is last year's.
    assert per.flex == D("6") + D("30") - 216 * D("6") == D("-1260")


def test_the_day_chart_and_its_table(world, login):
    html = login(world.kari).get("/min-oversikt").get_data(as_text=True)
    assert 'role="img"' in html
    assert (
        '<title id="month-chart-title">Timer per dag i november 2026 mot normaltid</title>' in html
    )
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert svg.count('<g class="bar') == 30
    assert svg.count('class="chart-work"') == 10  # 2–13 November
    assert svg.count('class="chart-absence"') == 2  # 16–17 November
    assert svg.count('class="chart-normal"') == 21  # every working day
    assert "style=" not in html and "<script>" not in svg
    table = html[html.index('class="table day-table"') :]
    assert table.count('<tr class="day-') == 30
    assert "Min oversikt" in html and "Fleksitid" in html
    assert "Gjenstående feriedager hentes ikke fra Tripletex" in html


def test_part_time_is_named(world, login):
    html = login(world.per).get("/min-oversikt").get_data(as_text=True)
    assert "80 % stilling av 37,5 t i uken" in html


def test_only_own_data(world, login):
    html = login(world.berit).get("/min-oversikt").get_data(as_text=True)
    assert re.search(r'<span class="total-value">0,0</span>', html)
    assert "Kari" not in html.split("<main")[1].split("</main>")[0]


def test_statements_do_not_grow_with_entries(world, login):
    client = login(world.kari)
    with counted() as few:
        assert client.get("/min-oversikt").status_code == 200
    day = date(2026, 1, 2)
    while day < date(2026, 10, 30):
        if day.weekday() < 5:
            world.work_day(world.kari, day, "4")
            world.work_day(world.kari, day, "3.5")
        day += timedelta(days=1)
    with counted() as many:
        assert client.get("/min-oversikt").status_code == 200
    assert len(few) == len(many), (len(few), len(many))
    assert len(few) <= 8


def test_the_report_link_opens_this_month(world, login):
    """«Mine timer» passes fra/til with periode=egen, so the report shows the overview's month."""
    import html as html_lib

    client = login(world.kari)
    page = client.get("/min-oversikt").get_data(as_text=True)
    [href] = re.findall(r'<a class="button" href="(/rapporter\?[^"]*)">Mine timer</a>', page)
    assert "periode=egen" in html_lib.unescape(href)
    report = client.get(html_lib.unescape(href)).get_data(as_text=True)
    assert 'name="fra" value="2026-11-01"' in report
    assert 'name="til" value="2026-11-30"' in report


def test_part_time_month_is_summed_from_exact_days(world):
    """62.5 %: November 2026's 21 working days × 4.6875 h = 98.4375 → 98.44, not 98.49."""
    from tests.reports.close_fixtures import details
    from tipro.extensions import db

    employee = world.per.employee
    employee.employment_percentage = Decimal("62.5")
    employee.employment_details = details(("2015-01-01", "62.50"))
    db.session.commit()
    assert close.overview(world.per).month.normal == D("98.44")


def test_vacation_from_tripletex(world, login):
    """The balance the sync read (days, as Tripletex gives it) with the day it was read."""
    from tipro.extensions import db

    employee = world.kari.employee
    employee.vacation_balance = Decimal("12.5")
    employee.vacation_read_on = date(2026, 11, 2)
    db.session.commit()
    html = login(world.kari).get("/min-oversikt").get_data(as_text=True)
    assert "12,5 dager igjen" in html
    assert "per 2. november 2026, fra Tripletex." in html
    assert "hentes ikke fra Tripletex" not in html

    employee.vacation_balance = Decimal("1")
    db.session.commit()
    assert close.overview(world.kari).vacation_days_text == "1"
    html = login(world.kari).get("/min-oversikt").get_data(as_text=True)
    assert ">1 dag igjen" in html


def test_vacation_unknown_keeps_the_honest_text(world, login):
    """Never read (or Tripletex gave no summary): the old text, no number."""
    assert close.overview(world.per).vacation_days is None
    html = login(world.per).get("/min-oversikt").get_data(as_text=True)
    assert "Gjenstående feriedager hentes ikke fra Tripletex ennå" in html
    assert "dager igjen" not in html

"""Normal working time: the standard from the employment, minus Norwegian public holidays
(moving ones 2025–2027 included), company closure days, and nothing outside the employment;
the employment percentage synced from Tripletex."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.approvals.conftest import tx_world  # noqa: F401 (the synced demo company)
from tests.factories import in_company, new_company, new_employee
from tests.sync.conftest import connected, tx_app  # noqa: F401 (what tx_world needs)
from tipro import worktime
from tipro.models import ClosureDay
from tipro.sync.engine import employment_percentages
from tipro.worktime import Employment, calendar_for

FULL = Employment()
PART = Employment(details=((date(2015, 1, 1), Decimal("80")),))


def month_normal(year: int, month: int, employment=FULL, closed=None, per_week="37.5"):
    import calendar as cal

    first = date(year, month, 1)
    last = date(year, month, cal.monthrange(year, month)[1])
    return calendar_for(first, last, Decimal(per_week), closed).normal_between(
        employment, first, last
    )


def workdays(year: int, month: int, closed=None) -> list[int]:
    import calendar as cal

    first = date(year, month, 1)
    last = date(year, month, cal.monthrange(year, month)[1])
    return [
        d.date.day
        for d in calendar_for(first, last, Decimal("37.5"), closed).days()
        if d.is_workday
    ]


# ---------------------------------------------------------------- holidays


@pytest.mark.parametrize(
    ("year", "month", "gone", "count"),
    [
        # Easter 2025: Skjærtorsdag 17, Langfredag 18, 2. påskedag 21 April.
        (2025, 4, [17, 18, 21], 19),
        # 1 May (Thursday) and Kristi himmelfart 29 May; 17 May is a Saturday.
        (2025, 5, [1, 29], 20),
        # 2. pinsedag 9 June 2025.
        (2025, 6, [9], 20),
        # Easter 2026: 2, 3 and 6 April.
        (2026, 4, [2, 3, 6], 19),
        # 1 May (Friday), Kristi himmelfart 14 May, 2. pinsedag 25 May; 17 May is a Sunday.
        (2026, 5, [1, 14, 25], 18),
        # Easter 2027 falls in March: 25, 26 and 29 March.
        (2027, 3, [25, 26, 29], 20),
        # Kristi himmelfart 6 May; 17 May 2027 is a Monday and 2. pinsedag as well.
        (2027, 5, [6, 17], 19),
        # Christmas 2026: 25 December is a Friday, 26 a Saturday.
        (2026, 12, [25], 22),
    ],
)
def test_public_holidays_have_no_normal_time(year, month, gone, count):
    days = workdays(year, month)
    assert len(days) == count
    assert not set(gone) & set(days)
    assert month_normal(year, month) == Decimal("7.5") * count


def test_holiday_names_and_weekend_holiday():
    cal = calendar_for(date(2026, 5, 1), date(2027, 5, 31), Decimal("37.5"))
    assert cal.day(date(2026, 5, 17)).kind == worktime.HOLIDAY  # a Sunday, still named
    assert cal.day(date(2026, 5, 17)).name == "Grunnlovsdag"
    assert cal.day(date(2026, 5, 16)).kind == worktime.WEEKEND
    monday = cal.day(date(2027, 5, 17))
    assert monday.kind == worktime.HOLIDAY and "Grunnlovsdag" in monday.name
    assert cal.normal_on(FULL, date(2027, 5, 17)) == 0
    assert cal.normal_on(FULL, date(2027, 5, 18)) == Decimal("7.50")
    assert (
        calendar_for(date(2026, 5, 17), date(2026, 5, 17), Decimal("37.5"), language="en_US")
        .day(date(2026, 5, 17))
        .name
        == "Constitution Day"
    )


def test_may_2026_and_2027_month_totals():
    # 17 May on a Sunday takes nothing; on a Monday it takes a day.
    assert month_normal(2026, 5) == Decimal("135.00")
    assert month_normal(2027, 5) == Decimal("142.50")


# ---------------------------------------------------------------- employment


def test_part_time_is_the_percentage_of_the_company_week():
    assert worktime.day_hours(Decimal("37.5"), Decimal("80")) == Decimal("6.00")
    assert month_normal(2026, 4, PART) == Decimal("114.00")  # 19 days × 6 h
    assert month_normal(2026, 4, PART, per_week="40") == Decimal("121.60")  # 19 × 6.4


def test_employment_starting_mid_month():
    nina = Employment(start=date(2026, 11, 16))
    # 16–20, 23–27 and 30 November: 11 working days.
    assert month_normal(2026, 11, nina) == Decimal("82.50")
    cal = calendar_for(date(2026, 11, 1), date(2026, 11, 30), Decimal("37.5"))
    assert cal.normal_on(nina, date(2026, 11, 13)) == 0
    assert cal.normal_on(nina, date(2026, 11, 16)) == Decimal("7.50")


def test_employment_ending_and_details_changing_mid_month():
    changing = Employment(
        start=date(2020, 1, 1),
        end=date(2026, 11, 20),
        details=((date(2020, 1, 1), Decimal("100")), (date(2026, 11, 16), Decimal("50"))),
    )
    # 2–13 Nov: 10 days × 7.5; 16–20 Nov: 5 days × 3.75; nothing after the end.
    assert month_normal(2026, 11, changing) == Decimal("75") + Decimal("18.75")
    before_details = Employment(details=((date(2026, 6, 1), Decimal("60")),))
    assert before_details.percentage_on(date(2026, 1, 5)) == Decimal("60")


def test_closure_days_take_normal_time():
    romjul = {date(2026, 12, d): "Romjul" for d in (28, 29, 30, 31)}
    days = workdays(2026, 12, romjul)
    assert len(days) == 18 and 28 not in days and 25 not in days
    assert month_normal(2026, 12, closed=romjul) == Decimal("135.00")
    cal = calendar_for(date(2026, 12, 1), date(2026, 12, 31), Decimal("37.5"), romjul)
    assert cal.day(date(2026, 12, 29)).kind == worktime.CLOSED
    assert cal.day(date(2026, 12, 29)).name == "Romjul"


def test_employment_from_the_synced_employee(db):
    company = new_company()
    employee = new_employee(
        company,
        employment_start=date(2026, 11, 16),
        employment_percentage=Decimal("80"),
        employment_details=[["2026-11-16", "80.00"]],
    )
    employment = Employment.of(employee)
    assert employment.percentage_on(date(2026, 11, 16)) == Decimal("80.00")
    assert employment.percentage_on(date(2026, 11, 13)) == 0
    assert Employment.of(None).percentage_on(date(2026, 11, 13)) == 100
    # Only the percentage (no details list): valid over the whole employment.
    only = new_employee(company, "Ola", employment_percentage=Decimal("50"))
    assert Employment.of(only).percentage_on(date(2026, 11, 13)) == Decimal("50")


def test_load_calendar_reads_the_company_closure_days_only(db):
    company, other = new_company(), new_company()
    for who, name in ((company, "Romjul"), (other, "Fremmed")):
        db.session.add(ClosureDay(company_id=who.id, date=date(2026, 12, 28), name=name))
    company.normal_hours_per_week = Decimal("40")
    db.session.commit()
    with in_company(company):
        cal = worktime.load_calendar(company, date(2026, 12, 1), date(2026, 12, 31))
    assert dict(cal.closed) == {date(2026, 12, 28): "Romjul"}
    assert cal.normal_between(FULL, date(2026, 12, 21), date(2026, 12, 31)) == Decimal(
        "56.00"
    )  # 7 days × 8


# ---------------------------------------------------------------- the sync


def test_employment_percentages_from_tripletex_details():
    employment = {
        "startDate": "2020-01-01",
        "employmentDetails": [
            {"date": "2026-12-01", "percentageOfFullTimeEquivalent": 60.0},
            {"date": "2020-01-01", "percentageOfFullTimeEquivalent": 100.0},
            {"date": "2021-01-01"},  # no percentage: left out
        ],
    }
    current, rows = employment_percentages(employment, date(2026, 11, 18))
    assert current == Decimal("100.00")
    assert rows == [["2020-01-01", "100.00"], ["2026-12-01", "60.00"]]
    current, _rows = employment_percentages(employment, date(2026, 12, 1))
    assert current == Decimal("60.00")
    assert employment_percentages({"startDate": "2020-01-01"}, date(2026, 1, 1)) == (None, None)


def test_sync_stores_the_employment_percentage(tx_world):  # noqa: F811 (the fixture)
    """Over real HTTP against the sandbox: a part-time change in Tripletex reaches TiPro."""
    kari_tx = tx_world.tx_id("employee", firstName="Kari", lastName="Hansen")
    employment = next(
        e for e in tx_world.sandbox.state.all("employment") if e["employee"]["id"] == kari_tx
    )
    details_id = employment["employmentDetails"][0]["id"]
    tx_world.tripletex_update("employmentDetails", details_id, percentageOfFullTimeEquivalent=80.0)
    tx_world.sync()
    with in_company(tx_world.company):
        kari = tx_world.employee.employee
        from tipro.extensions import db as _db

        _db.session.refresh(kari)
        assert kari.employment_percentage == Decimal("80.00")
        assert kari.employment_details == [[kari.employment_start.isoformat(), "80.00"]]
        ola = tx_world.colleague.employee
        assert ola.employment_percentage == Decimal("100.00")


def test_part_time_days_are_exact_and_only_sums_are_rounded():
    """62.5 % of 37.5 h is 4.6875 h a day: September 2026 (22 working days) is 103.125 h,
    shown as 103.13 — not 22 × 4.69 = 103.18 from days rounded one by one."""
    assert worktime.day_hours(Decimal("37.5"), Decimal("62.5")) == Decimal("4.6875")
    part = Employment(details=((date(2015, 1, 1), Decimal("62.5")),))
    total = month_normal(2026, 9, part)
    assert total == Decimal("103.125")
    assert worktime.two_places(total) == Decimal("103.13")

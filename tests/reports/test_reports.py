"""«Rapporter»: every total on the fixed scene (tests/reports/conftest.py), period boundaries
(ISO week 49 across a month end, ISO week 53 across the year end, the DST change), drill-down,
sorting, presets, charts, bad input, and a constant number of SQL statements."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.factories import in_company, new_entry
from tests.reports.conftest import NOW, TOTAL, WHOLE
from tests.statements import counted
from tipro.extensions import db as _db
from tipro.reports import queries
from tipro.reports.filters import parse

D = Decimal


def report_of(user, group: str, **args):
    """The report as the page computes it: {label: (hours, billable, entries)}."""
    with in_company(user.company, NOW):
        f = parse({**WHOLE, **args, "gruppe": group})
        result = queries.report(user, f)
    return {r.label: (r.hours, r.billable, r.entries) for r in result.rows}, result


def hours_of(rows):
    return {label: value[0] for label, value in rows.items()}


def test_by_project_customer_activity_person_state_and_billable(world):
    admin = world.admin
    rows, result = report_of(admin, "prosjekt")
    assert rows == {
        "101 Nybygg Lia": (D("31.50"), D("30.00"), 7),
        "105 Internt": (D("4.00"), D("0.00"), 1),
        "106 Salgsmøter": (D("8.00"), D("0.00"), 1),
        "Uten prosjekt": (D("4.25"), D("0.00"), 2),
    }
    assert (result.hours, result.billable, result.non_billable, result.entries) == (
        TOTAL,
        D("30.00"),
        D("17.75"),
        11,
    )
    assert hours_of(report_of(admin, "kunde")[0]) == {
        "Lia Borettslag": D("35.50"),
        "Uten kunde": D("12.25"),
    }
    assert hours_of(report_of(admin, "aktivitet")[0]) == {
        "Montering": D("42.00"),
        "Reisetid": D("1.50"),
        "Intern tid": D("4.25"),
    }
    assert hours_of(report_of(admin, "ansatt")[0]) == {
        "Kari Nordmann": D("31.50"),
        "Ola Nordmann": D("6.25"),
        "Per Salg": D("10.00"),
    }
    assert hours_of(report_of(admin, "status")[0]) == {
        "Registrert": D("25.75"),
        "Sendt inn": D("3.00"),
        "Godkjent": D("15.00"),
        "Overført": D("4.00"),
    }
    assert report_of(admin, "fakturerbar")[0] == {
        "Fakturerbar": (D("30.00"), D("30.00"), 6),
        "Ikke fakturerbar": (D("17.75"), D("0.00"), 5),
    }
    supplements, result = report_of(admin, "tillegg")
    assert supplements == {"Overtid 50 %": (D("3.50"), D("0.00"), 2)}
    assert result.quantity and "2005 Overtid 50 %" in result.rows[0].detail


def test_iso_week_53_across_the_year_end(world):
    year_end = {"periode": "egen", "fra": "2026-12-28", "til": "2027-01-03"}
    weeks, result = report_of(world.admin, "uke", **year_end)
    assert [r.key for r in result.rows] == ["2026-W53"]
    assert weeks == {"Uke 53 2026 (28.12.–03.01.2027)": (D("22.50"), D("13.00"), 5)}
    months, result = report_of(world.admin, "maned", **year_end)
    assert [(r.key, r.hours) for r in result.rows] == [
        ("2026-12", D("21.00")),
        ("2027-01", D("1.50")),
    ]
    # The whole scene by week: week 53 holds the year end, week 1 of 2027 is empty.
    _rows, result = report_of(world.admin, "uke")
    assert {r.key: r.hours for r in result.rows} == {
        "2026-W43": D("6.25"),  # Saturday 24 and Sunday 25 October
        "2026-W44": D("7.50"),  # Monday 26 October, after the DST change
        "2026-W49": D("11.50"),
        "2026-W53": D("22.50"),
    }


def test_week_across_a_month_end(world):
    week_49 = {"periode": "egen", "fra": "2026-11-30", "til": "2026-12-06"}
    _rows, result = report_of(world.admin, "uke", **week_49)
    assert [(r.key, r.hours, r.entries) for r in result.rows] == [("2026-W49", D("11.50"), 2)]
    _rows, result = report_of(world.admin, "maned", **week_49)
    assert [(r.key, r.hours) for r in result.rows] == [
        ("2026-11", D("7.50")),
        ("2026-12", D("4.00")),
    ]


def test_days_across_the_dst_change(world):
    dst = {"periode": "egen", "fra": "2026-10-24", "til": "2026-10-26"}
    _rows, result = report_of(world.admin, "dag", **dst)
    assert [(r.key, r.hours) for r in result.rows] == [
        ("2026-10-24", D("2.00")),
        ("2026-10-25", D("4.25")),
        ("2026-10-26", D("7.50")),
    ]
    assert result.hours == D("13.75")


def test_filters_narrow_the_totals(world):
    kari, p101 = world.kari, world.base.project
    _rows, result = report_of(world.admin, "prosjekt", ansatt=str(kari.id))
    assert result.hours == D("31.50")
    _rows, result = report_of(world.admin, "ansatt", prosjekt=str(p101.id))
    assert result.hours == D("31.50")
    _rows, result = report_of(world.admin, "ansatt", kunde=str(world.customer.id))
    assert result.hours == D("35.50")
    _rows, result = report_of(world.admin, "ansatt", status="approved")
    assert result.hours == D("15.00")


@pytest.mark.parametrize(
    ("preset", "first", "last"),
    [
        ("uke", date(2026, 11, 30), date(2026, 12, 6)),
        ("maned", date(2026, 12, 1), date(2026, 12, 31)),
        ("forrige", date(2026, 11, 1), date(2026, 11, 30)),
    ],
)
def test_presets_follow_the_clock(world, as_user, preset, first, last):
    with in_company(world.company, NOW):
        f = parse({"periode": preset})
    assert (f.first, f.last) == (first, last)
    page = as_user(world.admin).get("/rapporter", query_string={"periode": preset})
    assert page.status_code == 200
    assert f'value="{first.isoformat()}"' in page.get_data(as_text=True)


def _totals_on_page(html: str) -> list[str]:
    return re.findall(r'class="total-value">([^<]*)<', html)


def test_page_shows_table_totals_and_sort_links(world, as_user):
    client = as_user(world.admin)
    page = client.get("/rapporter", query_string={**WHOLE, "gruppe": "prosjekt"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert _totals_on_page(html) == ["47,75", "30,0", "17,75", "11"]
    # Natural order for projects: most hours first; sorted by name on request.
    names = re.findall(r'<th scope="row"><a [^>]*>([^<]*)</a>', html)
    assert names == ["101 Nybygg Lia", "106 Salgsmøter", "Uten prosjekt", "105 Internt"]
    html = client.get(
        "/rapporter", query_string={**WHOLE, "gruppe": "prosjekt", "sorter": "timer"}
    ).get_data(as_text=True)
    names = re.findall(r'<th scope="row"><a [^>]*>([^<]*)</a>', html)
    assert names == ["105 Internt", "Uten prosjekt", "106 Salgsmøter", "101 Nybygg Lia"]
    assert 'aria-sort="ascending"' in html
    assert "sorter=timer&amp;retning=ned" in html or "retning=ned&amp;sorter=timer" in html


def test_drill_down_lists_the_entries_behind_a_total(world, as_user):
    client = as_user(world.admin)
    p101 = world.base.project
    page = client.get(
        "/rapporter/timer", query_string={**WHOLE, "gruppe": "prosjekt", "nokkel": str(p101.id)}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Føringer: 101 Nybygg Lia" in html
    assert _totals_on_page(html) == ["31,5", "7"]
    assert html.count('data-label="Dato"') == 7
    week = client.get(
        "/rapporter/timer", query_string={**WHOLE, "gruppe": "uke", "nokkel": "2026-W53"}
    ).get_data(as_text=True)
    assert _totals_on_page(week) == ["22,5", "5"]
    none = client.get(
        "/rapporter/timer", query_string={**WHOLE, "gruppe": "kunde", "nokkel": "0"}
    ).get_data(as_text=True)
    assert _totals_on_page(none) == ["12,25", "3"]
    billable = client.get(
        "/rapporter/timer", query_string={**WHOLE, "gruppe": "fakturerbar", "nokkel": "nei"}
    ).get_data(as_text=True)
    assert _totals_on_page(billable) == ["17,75", "5"]
    supplement = client.get(
        "/rapporter/timer",
        query_string={**WHOLE, "gruppe": "tillegg", "nokkel": str(world.overtime.id)},
    ).get_data(as_text=True)
    assert _totals_on_page(supplement) == ["12,5", "2"]


def test_drill_down_pages(world, as_user, monkeypatch):
    from tipro.reports import queries as q

    monkeypatch.setattr(q, "PAGE_SIZE", 4)
    client = as_user(world.admin)
    first = client.get("/rapporter/timer", query_string=WHOLE).get_data(as_text=True)
    third = client.get("/rapporter/timer", query_string={**WHOLE, "side": "3"}).get_data(
        as_text=True
    )
    assert first.count('data-label="Dato"') == 4 and "Neste side" in first
    assert third.count('data-label="Dato"') == 3 and "Neste side" not in third
    assert _totals_on_page(third) == ["47,75", "11"]


def test_charts_are_inline_svg_without_style_or_script(world, as_user):
    html = as_user(world.admin).get("/rapporter", query_string=WHOLE).get_data(as_text=True)
    svgs = re.findall(r"<svg class=\"chart-svg\".*?</svg>", html, re.S)
    assert len(svgs) == 2  # per project and per person
    for svg in svgs:
        assert 'role="img"' in svg and "<title" in svg
        assert "style" not in svg and "<script" not in svg
    assert "101 Nybygg Lia · Montering: 30,0 t" in svgs[0]
    assert "Kari Nordmann · Montering: 27,0 t" in svgs[1]
    # The numbers are a table beside the chart.
    assert "<summary>Tallene i diagrammet</summary>" in html
    assert " style=" not in html


def test_an_employee_gets_no_people_chart(world, as_user):
    html = as_user(world.kari).get("/rapporter", query_string=WHOLE).get_data(as_text=True)
    assert html.count('class="chart-svg"') == 1
    assert 'id="ansatt"' not in html  # nobody else to pick


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"periode": "egen", "fra": "2026-13-01", "til": "2026-12-31"}, "Ugyldig fra-dato"),
        ({"periode": "egen", "fra": "2026-12-01"}, "Ugyldig til-dato"),
        ({"periode": "egen", "fra": "2026-12-31", "til": "2026-12-01"}, "kan ikke være før"),
        ({"periode": "egen", "fra": "2020-01-01", "til": "2026-12-01"}, "høyst tre år"),
        ({"periode": "år"}, "Ugyldig valg for periode"),
        ({"gruppe": "alt"}, "Ugyldig valg for gruppering"),
        ({"ansatt": "x1"}, "Ugyldig valg for ansatt"),
        ({"prosjekt": "99999999999"}, "Ugyldig valg for prosjekt"),
        ({"status": "slettet"}, "Ugyldig valg for status"),
        ({"sorter": "pris"}, "Ugyldig valg for sortering"),
        ({"side": "0"}, "Ugyldig sidenummer"),
    ],
)
def test_bad_input_is_a_clear_400(world, as_user, args, message):
    client = as_user(world.admin)
    for url in ("/rapporter", "/rapporter/timer", "/rapporter/eksport.csv"):
        response = client.get(url, query_string=args)
        assert response.status_code == 400, url
        assert message in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("group", "key"),
    [
        ("uke", "2026-W99"),
        ("prosjekt", "abc"),
        ("status", "x"),
        ("dag", "1"),
        # Beyond the INTEGER ids: PostgreSQL would fail («integer out of range»), not a 400.
        ("ansatt", "9999999999"),
        ("prosjekt", "2147483648"),
        ("kunde", "9999999999"),
        ("aktivitet", "9999999999"),
        ("tillegg", "2147483648"),
        ("prosjekt", "00"),
    ],
)
def test_bad_row_key_is_a_400(world, as_user, group, key):
    client = as_user(world.admin)
    for url in ("/rapporter/timer", "/rapporter/timer.csv", "/rapporter/timer.xlsx"):
        response = client.get(url, query_string={"gruppe": group, "nokkel": key}, buffered=True)
        assert response.status_code == 400, url
        assert "Ugyldig valg for rad" in response.get_data(as_text=True)


# ---------------------------------------------------------------- statements per page


def _more_entries(world, copies: int) -> None:
    """`copies` more entries for each of Kari, Ola and Per in December (each on project 101)."""
    with in_company(world.company, NOW):
        for n in range(copies):
            for user in (world.kari, world.ola, world.per):
                new_entry(
                    user,
                    date(2026, 12, 1) + timedelta(days=n % 28),
                    "1.0",
                    project_id=world.base.project.id,
                    activity_id=world.base.project_activity.id,
                    comment=f"nr {n}",
                )


ROUTES = [
    ("/rapporter", {"gruppe": "prosjekt"}),
    ("/rapporter", {"gruppe": "uke"}),
    ("/rapporter", {"gruppe": "tillegg"}),
    ("/rapporter/timer", {"gruppe": "ansatt"}),
    ("/rapporter/eksport.csv", {"gruppe": "kunde"}),
    ("/rapporter/eksport.xlsx", {"gruppe": "aktivitet"}),
    ("/rapporter/timer.csv", {}),
    ("/rapporter/timer.xlsx", {}),
]


def _statements(client, url, args) -> int:
    with counted() as statements:
        response = client.get(url, query_string={**WHOLE, **args}, buffered=True)
        assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("role", ["admin", "approver", "kari"])
def test_statements_do_not_grow_with_the_data(world, as_user, role):
    user = {"admin": world.admin, "approver": world.approver, "kari": world.kari}[role]
    client = as_user(user)
    small = {url + str(args): _statements(client, url, args) for url, args in ROUTES}
    _more_entries(world, 33)  # 11 entries → 110
    _db.session.expire_all()
    large = {url + str(args): _statements(client, url, args) for url, args in ROUTES}
    assert small == large
    # …and they are few: the page reads the user, the table, two charts and the choices.
    assert small["/rapporter{'gruppe': 'prosjekt'}"] <= 8

"""CSV and XLSX exports parsed back: equal to the page's totals, Norwegian CSV, real numbers and
dates in XLSX, file names, formula injection neutralised, and the entry CSV streamed."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from tests.factories import in_company, new_entry, new_supplement_type
from tests.reports.conftest import NOW, TOTAL, WHOLE, report_world
from tipro.extensions import db as _db
from tipro.models import EntrySupplement
from tipro.reports import exports

D = Decimal


@pytest.fixture
def fjellheim(db, frozen_clock):
    frozen_clock(NOW)
    return report_world("Fjellheim Bygg AS")


def read_csv(response) -> list[list[str]]:
    raw = response.data
    assert raw.startswith("\ufeff".encode()), "UTF-8 with a BOM, for Excel"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def read_xlsx(response):
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    return book.worksheets[0]


def page_rows(client, args) -> dict[str, list[str]]:
    """The report table as the page shows it: {label: [hours, billable, non-billable, n]}."""
    html = client.get("/rapporter", query_string=args).get_data(as_text=True)
    rows = re.findall(
        r'<tr>\s*<th scope="row"><a [^>]*>([^<]*)</a>.*?</th>\s*'
        r'<td class="num">([^<]*)</td>\s*<td class="num">([^<]*)</td>\s*'
        r'<td class="num">([^<]*)</td>\s*<td class="num">([^<]*)</td>',
        html,
        re.S,
    )
    return {label: list(values) for label, *values in rows}


def nb(text: str) -> Decimal:
    """«1 234,5» (as the page or the CSV shows it) → Decimal."""
    return Decimal(text.replace("\xa0", "").replace(" ", "").replace(",", "."))


@pytest.mark.parametrize("group", ["prosjekt", "ansatt", "kunde", "uke", "tillegg", "status"])
def test_report_csv_and_xlsx_equal_the_page(fjellheim, as_user, group):
    client = as_user(fjellheim.admin)
    args = {**WHOLE, "gruppe": group}
    shown = page_rows(client, args)
    assert shown
    rows = read_csv(client.get("/rapporter/eksport.csv", query_string=args))
    header, body, total = rows[0], rows[1:-1], rows[-1]
    assert header[2] in ("Timer", "Mengde") and len(header) == 6
    assert {r[0]: [nb(v) for v in r[2:5]] + [int(r[5])] for r in body} == {
        label: [nb(v) for v in values[:3]] + [int(values[3])] for label, values in shown.items()
    }
    assert total[0] == ("Sum timer" if group == "tillegg" else "Sum")
    assert nb(total[2]) == sum(nb(v[0]) for v in shown.values())
    assert re.fullmatch(r"-?\d+,\d\d", total[2]), "decimal comma, no thousands separator"

    sheet = read_xlsx(client.get("/rapporter/eksport.xlsx", query_string=args))
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == tuple(header)
    assert {r[0]: [D(str(v)) for v in r[2:5]] + [r[5]] for r in values[1:-1]} == {
        r[0]: [nb(v) for v in r[2:5]] + [int(r[5])] for r in body
    }
    assert values[-1][0] == total[0] and D(str(values[-1][2])) == nb(total[2])


def test_xlsx_has_numbers_dates_formats_totals_and_frozen_header(fjellheim, as_user):
    client = as_user(fjellheim.admin)
    response = client.get("/rapporter/timer.xlsx", query_string=WHOLE, buffered=True)
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = read_xlsx(response)
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["I"].width == 48
    rows = list(sheet.iter_rows())
    header, lines, total = rows[0], rows[1:-1], rows[-1]
    assert [c.value for c in header][:6] == [
        "Dato",
        "Ansatt",
        "Prosjekt",
        "Kunde",
        "Aktivitet",
        "Timer",
    ]
    assert header[0].font.b
    assert len(lines) == 11
    first = lines[0]
    assert first[0].value == datetime(2026, 10, 24) and first[0].number_format == "DD.MM.YYYY"
    assert (
        first[5].value == 2 and first[5].data_type == "n" and first[5].number_format == "#,##0.00"
    )
    assert sum(D(str(line[5].value)) for line in lines) == TOTAL
    assert total[0].value == "Sum" and total[0].font.b
    assert D(str(total[5].value)) == TOTAL and total[1].value == "11 føringer"


def test_entries_csv_is_streamed_and_adds_up(fjellheim, as_user):
    client = as_user(fjellheim.admin)
    response = client.get(
        "/rapporter/timer.csv",
        query_string={**WHOLE, "gruppe": "uke", "nokkel": "2026-W53"},
        buffered=True,
    )
    assert response.status_code == 200
    # A generator body: no Content-Length (the test client reads it whole, a server streams it).
    assert "Content-Length" not in response.headers
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = read_csv(response)
    assert rows[0][:6] == ["Dato", "Ansatt", "Prosjekt", "Kunde", "Aktivitet", "Timer"]
    body = rows[1:-1]
    assert [r[0] for r in body] == [
        "29.12.2026",
        "30.12.2026",
        "30.12.2026",
        "31.12.2026",
        "02.01.2027",
    ]
    assert sum(nb(r[5]) for r in body) == D("22.50")
    assert rows[-1][0] == "Sum" and rows[-1][5] == "22,50"


def test_file_names_carry_company_and_period(fjellheim, as_user):
    client = as_user(fjellheim.admin)
    month = {"periode": "egen", "fra": "2026-11-01", "til": "2026-11-30"}
    response = client.get("/rapporter/eksport.xlsx", query_string=month)
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="tipro-fjellheim-bygg-2026-11.xlsx"; '
        "filename*=UTF-8''tipro-fjellheim-bygg-2026-11.xlsx"
    )
    week = {"periode": "egen", "fra": "2026-12-28", "til": "2027-01-03"}
    response = client.get("/rapporter/timer.csv", query_string=week, buffered=True)
    assert (
        'filename="tipro-fjellheim-bygg-2026-W53-timer.csv"'
        in (response.headers["Content-Disposition"])
    )
    assert exports.filename("Ås Møbler & Søn AS", "2026-11", "csv") == (
        "tipro-as-mobler-son-2026-11.csv",
        "tipro-ås-møbler-søn-2026-11.csv",
    )
    assert exports.disposition(("a.csv", "å.csv")) == (
        "attachment; filename=\"a.csv\"; filename*=UTF-8''%C3%A5.csv"
    )


DANGEROUS = ['=HYPERLINK("http://x","y")', "+47 99", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def test_formula_injection_is_neutralised_but_negative_numbers_stay_numbers(fjellheim, as_user):
    world = fjellheim
    with in_company(world.company, NOW):
        for n, text in enumerate(DANGEROUS):
            new_entry(
                world.kari,
                date(2026, 11, 2 + n),
                "1.0",
                project_id=world.base.project.id,
                activity_id=world.base.project_activity.id,
                comment=text,
            )
        new_entry(
            world.kari,
            date(2026, 11, 20),
            "-1.5",
            project_id=world.base.project.id,
            activity_id=world.base.project_activity.id,
            comment="korreksjon",
        )
        world.customer.name = "=cmd|' /C calc'!A0"
        _db.session.commit()
    client = as_user(world.admin)
    november = {"periode": "egen", "fra": "2026-11-01", "til": "2026-11-30"}

    rows = read_csv(client.get("/rapporter/timer.csv", query_string=november, buffered=True))
    comments = [r[8] for r in rows[1:-1]]
    for text in DANGEROUS:
        assert "'" + text in comments
    assert all(r[3] == "'=cmd|' /C calc'!A0" for r in rows[1:-1] if r[3])
    negative = next(r for r in rows if r[8] == "korreksjon")
    assert negative[5] == "-1,50"  # a number, not neutralised
    report = read_csv(
        client.get("/rapporter/eksport.csv", query_string={**november, "gruppe": "kunde"})
    )
    assert report[1][0] == "'=cmd|' /C calc'!A0"

    sheet = read_xlsx(client.get("/rapporter/timer.xlsx", query_string=november, buffered=True))
    cells = [row for row in sheet.iter_rows(min_row=2) if row[8].value is not None]
    by_comment = {row[8].value.lstrip("\r\n"): row for row in cells}  # XML keeps no lone CR
    for text in DANGEROUS:
        cell = by_comment[text.lstrip("\r")][8]
        assert cell.data_type == "s" and cell.quotePrefix, text
    customer = by_comment["korreksjon"][3]
    assert customer.value == "=cmd|' /C calc'!A0" and customer.data_type == "s"
    assert customer.quotePrefix
    hours = by_comment["korreksjon"][5]
    assert hours.value == -1.5 and hours.data_type == "n"
    # No cell anywhere in the workbooks is a formula.
    for response in (
        client.get("/rapporter/timer.xlsx", query_string=november, buffered=True),
        client.get("/rapporter/eksport.xlsx", query_string={**november, "gruppe": "kunde"}),
    ):
        assert b"<f>" not in _sheet_xml(response.data)


def _sheet_xml(data: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def test_too_many_lines_for_excel_is_refused_with_a_hint(fjellheim, as_user, monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_LINES", 10)
    client = as_user(fjellheim.admin)
    response = client.get("/rapporter/timer.xlsx", query_string=WHOLE, buffered=True)
    assert response.status_code == 400
    assert "11 føringer er for mange for Excel" in response.get_data(as_text=True)
    assert client.get("/rapporter/timer.csv", query_string=WHOLE, buffered=True).status_code == 200


def test_supplement_totals_are_per_unit_and_count_each_entry_once(fjellheim, as_user):
    """Hours, km and kroner never add up into one «Mengde»; an entry with two supplements is
    one entry in the totals (on the page, in CSV and in XLSX alike)."""
    world = fjellheim
    km = new_supplement_type(world.company, "Kjøring", unit="km", billable=True)
    _db.session.add(
        EntrySupplement(
            company_id=world.company.id,
            entry_id=world.entries["k-1130"].id,  # already has 2 h «Overtid 50 %»
            supplement_type_id=km.id,
            quantity=D("40"),
        )
    )
    _db.session.commit()
    client = as_user(world.admin)
    args = {**WHOLE, "gruppe": "tillegg"}
    html = client.get("/rapporter", query_string=args).get_data(as_text=True)
    foot = html[html.index("<tfoot>") : html.index("</tfoot>")]
    sums = re.findall(
        r'<th scope="row">([^<]*)</th>\s*<td class="num">([^<]*)</td>\s*'
        r'<td class="num">([^<]*)</td>\s*<td class="num">([^<]*)</td>\s*'
        r'<td class="num">([^<]*)</td>',
        foot,
    )
    assert sums == [
        ("Sum timer", "3,5", "0,0", "3,5", "2"),
        ("Sum km", "40,0", "40,0", "0,0", "1"),
        ("Føringer i alt", "", "", "", "2"),
    ]
    assert "43,5" not in html, "no mixed total of hours and km"

    rows = read_csv(client.get("/rapporter/eksport.csv", query_string=args))
    assert rows[-3:] == [
        ["Sum timer", "", "3,50", "0,00", "3,50", "2"],
        ["Sum km", "", "40,00", "40,00", "0,00", "1"],
        ["Føringer i alt", "", "", "", "", "2"],
    ]
    sheet = read_xlsx(client.get("/rapporter/eksport.xlsx", query_string=args))
    values = list(sheet.iter_rows(values_only=True))
    assert [(r[0], r[2], r[5]) for r in values[-3:]] == [
        ("Sum timer", 3.5, 2),
        ("Sum km", 40, 1),
        ("Føringer i alt", None, 2),
    ]
    assert all(row[0].font.b for row in list(sheet.iter_rows())[-3:])

    with in_company(world.company, NOW):
        from tipro.reports import queries
        from tipro.reports.filters import parse

        report = queries.report(world.admin, parse(args))
    assert report.entries == 2  # k-1130 and o-1231, k-1130 once

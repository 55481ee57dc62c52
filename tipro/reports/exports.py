"""CSV and XLSX of a report and of the entries behind it.

CSV is what Norwegian Excel opens with a double click: `;` between cells, decimal comma,
UTF-8 with a BOM. The entry list is streamed (a generator over a server-side cursor), so an
export of any size starts at once and never holds the whole list. XLSX is built with
openpyxl's write-only mode (rows go to a temporary file as they come) with real numbers and
dates, a totals row, a frozen header and column widths.

Text that a spreadsheet would run as a formula (starting with = + - @, tab or CR) is
neutralised: in CSV with a leading «'»; in XLSX it is stored as a string cell marked
«quotePrefix» (Excel's own flag for «text, not a formula», which also survives editing the
cell). Numbers are never text, so negative hours stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import unicodedata
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from urllib.parse import quote

from flask_babel import gettext as _
from flask_babel import ngettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from tipro.reports.filters import GROUPS, STATE_LABELS
from tipro.reports.queries import Line, Report

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
HOURS_FORMAT = "#,##0.00"
DATE_FORMAT = "DD.MM.YYYY"
XLSX_MAX_LINES = 30_000  # bench/report_load.py: 10,000 lines took 3.2–6.5 s (0.3–0.65 ms a line)
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_COMPANY_FORMS = re.compile(r"\s+(as|asa|ans|da|enk|sa|ba|nuf)\.?$", re.I)


def safe_text(value) -> str:
    """Text for a CSV cell: a would-be formula gets a leading «'»."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS) else text


def number(value: Decimal | int) -> str:
    """7.5 → «7,50»; -2 → «-2,00» (a number: Norwegian Excel reads the comma)."""
    if isinstance(value, int):
        return str(value)
    return f"{value:.2f}".replace(".", ",")


# ---------------------------------------------------------------- file names


def _slug(text: str, *, ascii_only: bool) -> str:
    text = _COMPANY_FORMS.sub("", text.strip()).lower()
    if ascii_only:
        for letter, plain in (("æ", "ae"), ("ø", "o"), ("å", "a")):
            text = text.replace(letter, plain)
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w]+", "-", text, flags=re.UNICODE).strip("-_")
    return text[:60] or "firma"


def filename(company_name: str, period_key: str, ext: str, suffix: str = "") -> tuple[str, str]:
    """(ASCII name, UTF-8 name), e.g. «tipro-fjellheim-bygg-2026-11.xlsx»."""
    tail = f"{period_key}{'-' + suffix if suffix else ''}.{ext}"
    return (
        f"tipro-{_slug(company_name, ascii_only=True)}-{tail}",
        f"tipro-{_slug(company_name, ascii_only=False)}-{tail}",
    )


def disposition(names: tuple[str, str]) -> str:
    """Content-Disposition with an ASCII name and the RFC 5987 UTF-8 one."""
    plain, utf8 = names
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(utf8, safe='')}"


# ---------------------------------------------------------------- what the columns are


def report_header(report: Report) -> list[str]:
    unit = _("Mengde") if report.quantity else _("Timer")
    billable = _("Fakturerbar mengde") if report.quantity else _("Fakturerbare timer")
    return [
        str(GROUPS[report.filter.group]),
        _("Detaljer"),
        unit,
        billable,
        _("Ikke fakturerbart"),
        _("Føringer"),
    ]


def report_totals(report: Report) -> list[list]:
    """The totals rows: one «Sum»; for supplements one per unit (and the entries once)."""
    if not report.quantity:
        return [[_("Sum"), "", report.hours, report.billable, report.non_billable, report.entries]]
    rows = [[u.label, "", u.hours, u.billable, u.non_billable, u.entries] for u in report.units]
    if len(report.units) > 1:
        rows.append([_("Føringer i alt"), "", None, None, None, report.entries])
    return rows


def report_rows(report: Report) -> Iterator[list]:
    """The rows then the totals rows, as (text, Decimal, int) values."""
    for row in report.rows:
        yield [row.label, row.detail, row.hours, row.billable, row.non_billable, row.entries]
    yield from report_totals(report)


def lines_header() -> list[str]:
    return [
        _("Dato"),
        _("Ansatt"),
        _("Prosjekt"),
        _("Kunde"),
        _("Aktivitet"),
        _("Timer"),
        _("Fakturerbar"),
        _("Status"),
        _("Kommentar"),
    ]


def line_values(line: Line) -> list:
    return [
        line.date,
        line.person,
        line.project,
        line.customer,
        line.activity,
        line.hours,
        _("Ja") if line.billable else _("Nei"),
        str(STATE_LABELS.get(line.state, line.state)),
        line.comment,
    ]


# ---------------------------------------------------------------- CSV


def _csv_value(value) -> str:
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return number(value)
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return safe_text(value)


def csv_rows(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV text in pieces (the BOM first), one piece per row: a streamed response body."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([safe_text(h) for h in header])
    yield "\ufeff" + flush()
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
        yield flush()


def lines_with_total(lines: Iterable[Line]) -> Iterator[list]:
    """Each line's values, then a totals row (summed while streaming)."""
    total, count = Decimal("0"), 0
    for line in lines:
        total += line.hours
        count += 1
        yield line_values(line)
    yield [_("Sum"), ngettext("%(num)d føring", "%(num)d føringer", count), "", "", "", total]


# ---------------------------------------------------------------- XLSX


def _cell(sheet, value, *, bold: bool = False):
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=float(value))
        cell.number_format = HOURS_FORMAT
    elif isinstance(value, int) and not isinstance(value, bool):
        cell = WriteOnlyCell(sheet, value=value)
    elif isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
    else:
        text = "" if value is None else str(value)
        cell = WriteOnlyCell(sheet, value=text)
        # openpyxl would store «=…» as a formula: keep it a string, flagged as such for Excel.
        cell.data_type = "s"
        if text.startswith(DANGEROUS):
            cell.quotePrefix = True
    if bold:
        cell.font = Font(bold=True)
    return cell


def xlsx(
    title: str, header: list[str], rows: Iterable[list], widths: list[int], totals: int = 1
) -> bytes:
    """A workbook with one sheet: bold frozen header, the rows; the last `totals` rows bold."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=re.sub(r"[\[\]\*\?/\\:]", "", title)[:31] or "Rapport")
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.append([_cell(sheet, h, bold=True) for h in header])
    held: deque[list] = deque()  # the last rows wait: they may be the totals
    for row in rows:
        held.append(row)
        if len(held) > totals:
            sheet.append([_cell(sheet, v) for v in held.popleft()])
    for row in held:
        sheet.append([_cell(sheet, v, bold=True) for v in row])
    with tempfile.TemporaryFile() as out:
        book.save(out)
        out.seek(0)
        return out.read()


REPORT_WIDTHS = [36, 28, 12, 14, 14, 10]
LINE_WIDTHS = [12, 26, 30, 26, 24, 10, 12, 12, 48]

"""The import refuses broken and oversized files, and stores nothing when one row is bad.

Issue #14: an unclosed quote merged two CSV rows into one comment (item 13); a 2,000 × 2,006
XLSX took 128 s and 392 MB (item 14); nothing failed when the all-or-nothing rollback was
removed, because the tests read the report and their own transaction (item 24): here the
database is read over a separate connection after the session has committed.
"""

from __future__ import annotations

import time
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from tests.factories import NOON, extras_world, in_company
from tipro.entries import importer
from tipro.entries.importer import import_file
from tipro.errors import UserError
from tipro.models import TimeEntry

MONDAY = date(2026, 11, 2)  # a past Monday for NOON (2026-11-18): every day of it is open
HEADER = "ansattnummer;dato;prosjekt;aktivitet;timer;kommentar"


@pytest.fixture
def world(db):
    scene = extras_world()
    with in_company(scene.company, NOON):
        yield scene


def row(world, day: date, hours: str = "7,5", comment: str = "Reisverk") -> str:
    return f"{world.employee.employee_number};{day:%d.%m.%Y};1001;10;{hours};{comment}"


def write(tmp_path, lines: list[str], name: str = "timer.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stored(db) -> int:
    return db.session.scalar(select(func.count(TimeEntry.id)))


# ---------------------------------------------------------------- item 13: malformed CSV


@pytest.mark.parametrize(
    "comment,line",
    [
        ('"Møte med kunde', 2),  # never closed: swallowed the rest of the file
        ('"Møte med kunde', 3),
        ('Møte "viktig" kunde"x', 2),  # a quote in the middle of an unquoted field is fine…
    ],
)
def test_an_unclosed_quote_is_an_error_naming_its_line(db, world, tmp_path, comment, line):
    lines = [HEADER, row(world, MONDAY), row(world, MONDAY + timedelta(days=1))]
    lines.append(row(world, MONDAY + timedelta(days=2)))
    lines[line - 1] = row(world, MONDAY + timedelta(days=line), comment=comment)
    path = write(tmp_path, lines)
    if comment.startswith('"'):
        with pytest.raises(UserError) as refused:
            import_file(world.company, path)
        assert refused.value.message.startswith(f"Linje {line}: kan ikke lese CSV-filen.")
        assert stored(db) == 0
    else:
        result = import_file(world.company, path)  # …and kept as typed
        assert result.ok and result.imported == 3, result.errors


def test_a_quote_closed_rows_later_does_not_merge_rows(db, world, tmp_path):
    """The quote opened on line 2 is closed on line 3: two rows would become one comment."""
    lines = [
        HEADER,
        row(world, MONDAY, comment='"Møte med kunde'),
        row(world, MONDAY + timedelta(days=1), comment='Vanlig dag"'),
    ]
    with pytest.raises(UserError) as refused:
        import_file(world.company, write(tmp_path, lines))
    assert refused.value.message.startswith("Linje 2: kan ikke lese CSV-filen.")
    assert stored(db) == 0


def test_a_quoted_comment_over_two_lines_is_still_one_comment(db, world, tmp_path):
    lines = [HEADER, row(world, MONDAY, comment='"Første linje\nandre linje"')]
    result = import_file(world.company, write(tmp_path, lines))
    assert result.ok and result.imported == 1, result.errors
    assert db.session.scalar(select(TimeEntry.comment)) == "Første linje\nandre linje"


# ---------------------------------------------------------------- item 14: oversized files


def _xlsx(path, rows: int, columns: int, *, dimension: bool = True):
    """A minimal XLSX written directly (openpyxl would take seconds for a big one)."""
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(c) for c in range(1, columns + 1)]
    body = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{col}{r}"><v>{r}</v></c>' for col in letters) + "</row>"
        for r in range(1, rows + 1)
    )
    size = f'<dimension ref="A1:{letters[-1]}{rows}"/>' if dimension else ""
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{ns}" xmlns:r="{rel}"><sheets>'
            '<sheet name="Timer" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{ns}">{size}<sheetData>{body}</sheetData></worksheet>'
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return path


@pytest.mark.parametrize("dimension", [True, False])
def test_a_huge_xlsx_is_refused_at_once(db, world, tmp_path, dimension):
    """2,000 × 2,006 cells (the issue's file): refused in well under a second."""
    path = _xlsx(tmp_path / "stor.xlsx", 2000 if dimension else 3, 2006, dimension=dimension)
    started = time.monotonic()
    with pytest.raises(UserError) as refused:
        import_file(world.company, path)
    assert time.monotonic() - started < 2
    assert "for mange kolonner" in refused.value.message
    if not dimension:
        assert refused.value.message.startswith("Linje 1 har for mange kolonner")


def test_too_many_cells_are_refused_while_reading(db, world, tmp_path, monkeypatch):
    """A sheet that does not declare its size is counted as it streams."""
    monkeypatch.setattr(importer, "MAX_CELLS", 500)
    path = _xlsx(tmp_path / "lang.xlsx", 60, 10, dimension=False)
    with pytest.raises(UserError) as refused:
        import_file(world.company, path)
    assert refused.value.message == "Filen har for mange celler (høyst 500)."
    path = _xlsx(tmp_path / "lang2.xlsx", 60, 10)
    with pytest.raises(UserError, match="for mange celler"):
        import_file(world.company, path)


def test_a_sheet_declaring_too_few_rows_loses_none(db, world, tmp_path):
    """openpyxl trusts <dimension> and would drop the rows past it: the import reads them all."""
    path = _xlsx(tmp_path / "feil.xlsx", 5, 3)
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    rows = importer.read_table(path)
    assert len(rows) == 5 and 'ref="A1:C5"' in xml
    lying = tmp_path / "lyver.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(lying, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = data.replace(b'ref="A1:C5"', b'ref="A1:C2"')
            target.writestr(item, data)
    assert len(importer.read_table(lying)) == 5


def test_a_wide_csv_is_refused_naming_the_line(db, world, tmp_path):
    lines = [HEADER, row(world, MONDAY), row(world, MONDAY) + ";x" * 2000]
    with pytest.raises(UserError) as refused:
        import_file(world.company, write(tmp_path, lines))
    assert refused.value.message == "Linje 3 har for mange kolonner (høyst 60)."


# ---------------------------------------------------------------- item 24: all or nothing


@pytest.fixture
def committed_world(committed_db):
    scene = extras_world()
    committed_db.session.commit()
    with in_company(scene.company, NOON):
        yield scene


def _rows_in_database(db) -> int:
    """Entries as another connection sees them, after the session committed whatever it held."""
    db.session.commit()
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM time_entries")).scalar()


@pytest.mark.parametrize(
    "bad",
    [
        "hours over the day",  # the service refuses it (staged rows before it must go)
        "unknown project",  # refused while reading the file (nothing may be staged at all)
    ],
)
def test_a_file_with_one_bad_row_stores_none_of_its_good_rows(
    committed_db, committed_world, bad, tmp_path
):
    world = committed_world
    lines = [HEADER, row(world, MONDAY), row(world, MONDAY + timedelta(days=1))]
    if bad == "hours over the day":
        lines.append(row(world, MONDAY, hours="20"))  # 7,5 + 20 > 24 on MONDAY
    else:
        lines.append(row(world, MONDAY).replace(";1001;", ";9999;"))
    lines.append(row(world, MONDAY + timedelta(days=2)))
    result = import_file(world.company, write(tmp_path, lines))
    assert not result.ok and [line for line, _ in result.errors] == [4]
    assert _rows_in_database(committed_db) == 0
    # The same file without the bad row stores all three.
    del lines[3]
    assert import_file(world.company, write(tmp_path, lines)).imported == 3
    assert _rows_in_database(committed_db) == 3

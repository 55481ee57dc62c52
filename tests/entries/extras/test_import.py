"""`tipro entries import`: CSV/XLSX, every row by the same rules, all or nothing, never twice."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from tipro import clock
from tipro.cli import cli
from tipro.entries.importer import import_file
from tipro.models import AbsenceType, CustomField, CustomFieldValue, EntryAbsence, TimeEntry


def monday():
    today = clock.today()
    return today - timedelta(days=today.weekday() + 14)


def dotted(day):
    return day.strftime("%d.%m.%Y")


@pytest.fixture
def machine_field(db, world):
    row = CustomField(
        company_id=world.company.id,
        key="maskin",
        label="Maskin",
        field_type="choice",
        choices=["Lift", "Kran"],
        required=True,
    )
    db.session.add(row)
    db.session.commit()
    return row


def good_csv(world) -> str:
    day = monday()
    number = world.employee.employee_number
    return "\n".join(
        [
            "Ansattnummer;E-post;Dato;Prosjekt;Aktivitet;Timer;Kommentar;maskin",
            f"{number};;{dotted(day)};1001;10;7,5;Reisverk;Lift",
            f";{world.user.email};{day + timedelta(days=1):%Y-%m-%d};1001;Snekring;7,5;Tak;Kran",
            # The same row twice is two entries (two jobs the same day), not a duplicate.
            f"{number};;{dotted(day + timedelta(days=2))};1001;10;3;Kledning;Lift",
            f"{number};;{dotted(day + timedelta(days=2))};1001;10;3;Kledning;Lift",
        ]
    )


def write(tmp_path, text: str, name="timer.csv", bom=True):
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def invoke(runner, *args):
    return runner.invoke(cli, list(args), catch_exceptions=False)


def entries(db):
    return db.session.scalar(select(func.count(TimeEntry.id)))


def test_import_csv_then_again_does_not_duplicate(runner, db, world, machine_field, tmp_path):
    path = write(tmp_path, good_csv(world))
    result = invoke(runner, "entries", "import", "--company", world.company.name, str(path))
    assert result.exit_code == 0, result.output
    assert "Importerte 4 timeføringer" in result.output
    rows = list(db.session.scalars(select(TimeEntry).order_by(TimeEntry.date, TimeEntry.id)))
    assert [r.hours for r in rows] == [Decimal("7.50"), Decimal("7.50"), Decimal("3.00")] + [
        Decimal("3.00")
    ]
    assert {r.user_id for r in rows} == {world.user.id}
    assert {r.source for r in rows} == {"import"}
    assert {r.created_by_id for r in rows} == {world.admin.id}
    values = list(db.session.scalars(select(CustomFieldValue.value).order_by(CustomFieldValue.id)))
    assert values == ["Lift", "Kran", "Lift", "Lift"]
    again = invoke(runner, "entries", "import", "--company", world.company.name, str(path))
    assert again.exit_code == 0, again.output
    assert "Importerte 0 timeføringer" in again.output and "4 fantes fra før" in again.output
    assert entries(db) == 4


def test_bad_file_imports_nothing_and_reports_every_bad_line(
    runner, db, world, machine_field, tmp_path
):
    day = monday()
    number = world.employee.employee_number
    text = "\n".join(
        [
            "ansattnummer;dato;prosjekt;aktivitet;timer;kommentar;maskin",
            f"{number};{dotted(day)};1001;10;7,5;ok;Lift",  # line 2: fine
            f"{number};{dotted(day)};1234;10;7,5;;Lift",  # 3: unknown project
            f"999;{dotted(day)};1001;10;7,5;;Lift",  # 4: unknown employee
            f"{number};31.02.2026;1001;10;7,5;;Lift",  # 5: no such date
            f"{number};{dotted(day)};1001;Maling;7,5;;Lift",  # 6: unknown activity
            f"{number};{dotted(day)};1001;10;sju;;Lift",  # 7: bad hours
            f"{number};{dotted(day)};1001;10;2;;Gravemaskin",  # 8: not a choice
            f"{number};{dotted(day)};1001;10;2;;",  # 9: required field missing
            f"{number};{dotted(day)};1001;10;20;;Kran",  # 10: over 24 h that day
        ]
    )
    path = write(tmp_path, text)
    result = invoke(runner, "entries", "import", "--company", world.company.name, str(path))
    assert result.exit_code == 1
    output = result.output
    assert "Linje 2" not in output
    assert "Linje 3: Ukjent prosjekt «1234»." in output
    assert "Linje 4: Ukjent ansattnummer «999»." in output
    assert "Linje 5: Ugyldig dato «31.02.2026»" in output
    assert "Linje 6: Ukjent aktivitet «Maling»." in output
    assert "Linje 7: Ugyldig antall timer" in output
    assert "Linje 8: «Gravemaskin» er ikke et av valgene for «Maskin»." in output
    assert "Linje 9: «Maskin» må fylles ut." in output
    assert "Linje 10: Høyst 24 timer per dag" in output
    assert "Ingenting ble importert (8 feil)." in output
    assert entries(db) == 0


def test_header_problems_are_reported(db, world, tmp_path):
    path = write(tmp_path, "navn;dato;timer\nKari;24.11.2026;7,5\n")
    result = import_file(world.company, path)
    assert result.errors == [
        (1, "Ukjent kolonne «navn»."),
        (1, "Mangler kolonnen ansattnummer eller e-post."),
        (1, "Mangler kolonnen «aktivitet»."),
    ]
    assert entries(db) == 0


def test_comma_separated_english_headers_without_bom(db, world, tmp_path):
    day = monday()
    text = (
        "employee_number,date,project,activity,hours,comment\n"
        f'{world.employee.employee_number},{day.isoformat()},1001,10,"7,5","Walls, roof"\n'
    )
    result = import_file(world.company, write(tmp_path, text, bom=False))
    assert result.ok and result.imported == 1, result.errors
    entry = db.session.scalar(select(TimeEntry))
    assert entry.hours == Decimal("7.50") and entry.comment == "Walls, roof"


def test_xlsx_import_and_absence_rows(db, world, tmp_path):
    holiday = AbsenceType(
        company_id=world.company.id, name="Ferie", code="ferie", activity_id=world.holiday.id
    )
    db.session.add(holiday)
    db.session.commit()
    day = monday()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["E-post", "Dato", "Prosjekt", "Aktivitet", "Timer", "Kommentar"])
    sheet.append([world.user.email, day, 1001, 10, 7.5, "Grunnmur"])
    sheet.append([world.user.email, dotted(day + timedelta(days=1)), None, "Ferie", 7.5, None])
    path = tmp_path / "timer.xlsx"
    workbook.save(path)
    result = import_file(world.company, path)
    assert result.ok and result.imported == 2, result.errors
    work, absence = db.session.scalars(select(TimeEntry).order_by(TimeEntry.date)).all()
    assert work.project_id == world.project.id and work.kind == "work"
    assert absence.kind == "absence" and absence.project_id is None
    assert db.session.scalar(select(EntryAbsence.absence_type_id)) == holiday.id
    assert import_file(world.company, path).unchanged == 2
    assert entries(db) == 2


def test_unreadable_files_fail_cleanly(runner, db, world, tmp_path):
    broken = tmp_path / "timer.xlsx"
    broken.write_bytes(b"not a zip")
    result = invoke(runner, "entries", "import", "--company", world.company.name, str(broken))
    assert result.exit_code == 1 and "Kan ikke lese XLSX-filen." in result.output
    other = tmp_path / "timer.pdf"
    other.write_bytes(b"%PDF")
    result = invoke(runner, "entries", "import", "--company", world.company.name, str(other))
    assert result.exit_code == 1 and "Ukjent filtype" in result.output
    result = invoke(runner, "entries", "import", "--company", "Finnes ikke AS", str(other))
    assert result.exit_code == 1 and "Fant ikke firmaet" in result.output
    empty = write(tmp_path, "", name="tom.csv", bom=False)
    result = invoke(runner, "entries", "import", "--company", world.company.name, str(empty))
    assert result.exit_code == 1 and "Linje 1: Filen er tom." in result.output

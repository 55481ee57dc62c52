"""Import hours from another system (CSV or XLSX): all rows or nothing, never twice.

This module reads files and turns rows into entries to save; the saving is
`tipro.entries.bulk.save_all` (the same writer as the form, in one transaction): a file with a
bad row stores nothing and reports each bad row by line number.
Each row's UUID is derived from the company and the row's content (plus how many identical
rows came before it in the file), so importing the same file again finds its rows and adds
nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import func, select

from tipro.entries import extras
from tipro.entries.bulk import BulkResult, SaveItem, save_all
from tipro.entries.extras import definitions
from tipro.entries.inputs import EntryInput
from tipro.entries.parsing import derived_uuid, parse_hours
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import Activity, Company, Employee, Project, User
from tipro.tenancy import company_scope

MAX_ROWS = 20000
MAX_BYTES = 20 * 1024 * 1024
# A file of hours has ~8 columns plus the company's own fields; a sheet far wider than that
# is not one (a 2,000 × 2,006 sheet took minutes and 400 MB before these caps).
MAX_COLUMNS = 60
MAX_CELLS = 400_000
# An XLSX is a zip: refuse one that unpacks to more than this before parsing any of it.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
# Accepted column names (normalised: lower case, æøå kept, spaces/dashes → "_").
COLUMNS = {
    "employee_number": {
        "ansattnummer",
        "ansattnr",
        "ansatt_nr",
        "ansatt",
        "employee_number",
        "employee_no",
        "employee",
    },
    "email": {"e_post", "epost", "e_postadresse", "email", "e_mail"},
    "date": {"dato", "date", "dag"},
    "project": {"prosjekt", "prosjektnummer", "prosjekt_nr", "project", "project_number"},
    "activity": {"aktivitet", "aktivitetsnummer", "activity", "activity_number"},
    "hours": {"timer", "antall_timer", "antall", "hours"},
    "comment": {"kommentar", "beskrivelse", "comment", "description"},
}
_DOTTED_DATE = re.compile(r"^([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})$")


# ---------------------------------------------------------------- reading files


def normalise_header(text) -> str:
    text = str(text or "").strip().lower().replace("\ufeff", "")
    return re.sub(r"[\s\-./]+", "_", text).strip("_")


def read_table(path: Path) -> list[tuple[int, list]]:
    """(line number, cells) for every line of a CSV or XLSX file, the header included."""
    if path.stat().st_size > MAX_BYTES:
        raise UserError(_("Filen er for stor (høyst 20 MB)."), "file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".csv", ".txt", ""):
        return _read_csv(path.read_bytes())
    raise UserError(_("Ukjent filtype «%(suffix)s». Bruk CSV eller XLSX.", suffix=suffix), "file")


class _Table:
    """The lines of a file as they are read, refused as soon as one breaks a cap."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, list]] = []
        self.cells = 0

    def add(self, line: int, cells) -> None:
        cells = list(cells)
        while cells and _cell_text(cells[-1]) == "":
            cells.pop()  # trailing empty cells (XLSX pads rows; CSV ends with ';;')
        if len(cells) > MAX_COLUMNS:
            raise UserError(
                _(
                    "Linje %(n)d har for mange kolonner (høyst %(max)d).",
                    n=line,
                    max=MAX_COLUMNS,
                ),
                "file",
            )
        self.cells += len(cells)
        if self.cells > MAX_CELLS:
            raise UserError(_("Filen har for mange celler (høyst %(n)d).", n=MAX_CELLS), "file")
        self.rows.append((line, cells))
        if len(self.rows) > MAX_ROWS + 1:
            raise UserError(_("Filen har for mange linjer (høyst %(n)d).", n=MAX_ROWS), "file")


def _read_csv(raw: bytes) -> list[tuple[int, list]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older Excel on Windows saves CSV as Windows-1252.
        text = raw.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    # strict: a quote that is never closed, or text after a closing quote, is an error instead
    # of silently swallowing the following lines into one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    table = _Table()
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            raise UserError(_unclosed_quote(start), "file") from None
        if any(delimiter in cell and "\n" in cell for cell in cells):
            # A cell over several lines that holds whole rows: a quote opened and closed
            # only by a quote further down (several rows merged into one comment).
            raise UserError(_unclosed_quote(start), "file")
        table.add(start, cells)
    return table.rows


def _unclosed_quote(line: int) -> str:
    return _(
        'Linje %(n)d: kan ikke lese CSV-filen. Et anførselstegn (") er ikke avsluttet, '
        "eller står midt i et felt. Rett linjen og prøv igjen.",
        n=line,
    )


def _read_xlsx(path: Path) -> list[tuple[int, list]]:
    from zipfile import BadZipFile, ZipFile

    from openpyxl import load_workbook

    try:
        with ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError):
        raise UserError(_("Kan ikke lese XLSX-filen."), "file") from None
    if unpacked > MAX_UNPACKED_BYTES:
        workbook.close()
        raise UserError(_("Filen er for stor (høyst 20 MB)."), "file")
    try:
        sheet = workbook.worksheets[0]
        # The size the sheet declares (when it does) refuses a huge sheet before any row is
        # read. It is then ignored: openpyxl would pad every row to its width, and drop the
        # rows beyond a too-small one.
        width, height = sheet.max_column or 0, sheet.max_row or 0
        if width > MAX_COLUMNS:
            raise UserError(
                _("Arket har for mange kolonner (høyst %(max)d).", max=MAX_COLUMNS), "file"
            )
        if width * height > MAX_CELLS or height > MAX_ROWS + 1:
            raise UserError(_("Filen har for mange celler (høyst %(n)d).", n=MAX_CELLS), "file")
        sheet.reset_dimensions()
        table = _Table()
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            table.add(number, cells)
        return table.rows
    except (KeyError, ValueError, SyntaxError):  # a broken sheet (XML ParseError is a SyntaxError)
        raise UserError(_("Kan ikke lese XLSX-filen."), "file") from None
    finally:
        workbook.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # XLSX numbers: 7.5 → "7.5", 1001.0 → "1001"
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def parse_import_date(text: str) -> date | None:
    """'2026-11-24' or '24.11.2026' → date; None when neither."""
    match = _DOTTED_DATE.match(text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        return None


# ---------------------------------------------------------------- lookups


class _Lookup:
    """Master data of one company, loaded once per import."""

    def __init__(self) -> None:
        users = list(db.session.scalars(select(User)))
        self.user_by_email = {u.email.lower(): u for u in users}
        self.user_by_employee = {u.employee_id: u for u in users if u.employee_id}
        employees = list(db.session.scalars(select(Employee)))
        self.employee_by_number = {
            e.employee_number.strip(): e for e in employees if e.employee_number
        }
        self.employee_by_email = {e.email.lower(): e for e in employees if e.email}
        projects = list(db.session.scalars(select(Project)))
        self.project_by_number = {p.number.strip(): p for p in projects if p.number}
        activities = list(
            db.session.scalars(select(Activity).order_by(Activity.is_active.desc(), Activity.id))
        )
        self.activity_by_number: dict[str, Activity] = {}
        self.activity_by_name: dict[str, Activity] = {}
        for activity in activities:
            if activity.number:
                self.activity_by_number.setdefault(activity.number.strip(), activity)
            self.activity_by_name.setdefault(activity.name.strip().lower(), activity)
        self.absence_by_activity = {t.activity_id: t for t in definitions.active_absence_types()}
        self.fields = definitions.fields_by_key()

    def user(self, number: str, email: str) -> tuple[User | None, str | None]:
        if email:
            user = self.user_by_email.get(email.lower())
            if user is None:
                employee = self.employee_by_email.get(email.lower())
                user = self.user_by_employee.get(employee.id) if employee else None
            if user is None:
                return None, _("Ukjent ansatt «%(who)s».", who=email)
        elif not number:
            return None, _("Ansattnummer eller e-post mangler.")
        else:
            employee = self.employee_by_number.get(number)
            if employee is None:
                return None, _("Ukjent ansattnummer «%(who)s».", who=number)
            user = self.user_by_employee.get(employee.id)
            if user is None:
                return None, _("Ansatt «%(who)s» har ingen bruker i TiPro.", who=number)
        if not user.is_enabled:
            return None, _("Brukeren «%(who)s» er deaktivert.", who=user.email)
        return user, None

    def activity(self, text: str) -> Activity | None:
        return self.activity_by_number.get(text) or self.activity_by_name.get(text.lower())


def _columns(header: list, lookup: _Lookup) -> tuple[dict[str, int], dict[str, int], list[str]]:
    """Column index per standard name and per custom field key, and problems with the header."""
    standard: dict[str, int] = {}
    custom: dict[str, int] = {}
    problems = []
    for index, cell in enumerate(header):
        name = normalise_header(cell)
        if not name:
            continue
        canonical = next((key for key, names in COLUMNS.items() if name in names), None)
        target, key = (standard, canonical) if canonical else (custom, name)
        if not canonical and name not in lookup.fields:
            problems.append(_("Ukjent kolonne «%(name)s».", name=str(cell).strip()))
            continue
        if key in target:
            problems.append(_("Kolonnen «%(name)s» finnes to ganger.", name=str(cell).strip()))
            continue
        target[key] = index
    if "employee_number" not in standard and "email" not in standard:
        problems.append(_("Mangler kolonnen ansattnummer eller e-post."))
    for key, label in (("date", "dato"), ("activity", "aktivitet"), ("hours", "timer")):
        if key not in standard:
            problems.append(_("Mangler kolonnen «%(name)s».", name=label))
    return standard, custom, problems


# ---------------------------------------------------------------- the import


def find_actor(company: Company, email: str | None = None) -> User:
    """Who the import is recorded as: the given admin, else the company's first admin.

    A lookup at the CLI boundary, before any company scope is entered: hence the explicit
    company in the query.
    """
    query = select(User).where(
        User.company_id == company.id, User.role == "admin", User.is_enabled.is_(True)
    )
    if email:
        query = query.where(func.lower(User.email) == email.strip().lower())
    actor = db.session.scalar(query.order_by(User.id))
    if actor is None:
        if email:
            raise UserError(_("Fant ingen administrator «%(email)s» i firmaet.", email=email))
        raise UserError(_("Firmaet har ingen administrator å registrere importen på."))
    return actor


def import_file(company: Company, path: Path, *, actor: User | None = None) -> BulkResult:
    """Import a CSV/XLSX file of hours for `company`: everything or nothing.

    The entry point of `tipro entries import`: it enters the company scope (the boundary).
    """
    actor = actor or find_actor(company)
    table = read_table(Path(path))
    with company_scope(company.id):
        return import_rows(company, actor, table)


def import_rows(company: Company, actor: User, table: list[tuple[int, list]]) -> BulkResult:
    """Validate and save parsed lines (the first non-empty line is the header)."""
    rows = [(n, cells) for n, cells in table if any(_cell_text(c) for c in cells)]
    if not rows:
        return BulkResult(errors=[(1, _("Filen er tom."))])
    lookup = _Lookup()
    header_line, header = rows[0]
    standard, custom, problems = _columns(header, lookup)
    if problems:
        return BulkResult(errors=[(header_line, p) for p in problems])
    items, errors = _items(company, rows[1:], standard, custom, lookup)
    if not items and not errors:
        return BulkResult(errors=[(header_line, _("Filen har ingen timeføringer."))])
    if errors:
        # Rows that could not even be read are reported together with the service's verdicts
        # on the others, so one run lists every bad line.
        checked = save_all(actor, items, source="import", skip_existing=True, check_only=True)
        checked.errors.extend(errors)
        checked.errors.sort()
        checked.imported = 0
        return checked
    return save_all(actor, items, source="import", skip_existing=True)


def _items(company, rows, standard, custom, lookup: _Lookup):
    items: list[SaveItem] = []
    errors: list[tuple[int, str]] = []
    seen: Counter = Counter()

    def cell(cells: list, index: int | None) -> str:
        if index is None or index >= len(cells):
            return ""
        return _cell_text(cells[index])

    for line, cells in rows:
        get: Callable[[str], str] = lambda key, c=cells: cell(c, standard.get(key))  # noqa: E731
        row_errors = []
        user, message = lookup.user(get("employee_number"), get("email"))
        if message:
            row_errors.append(message)
        day_text = get("date")
        day = parse_import_date(day_text)
        if day is None:
            row_errors.append(
                _("Ugyldig dato «%(value)s» (bruk 2026-11-24 eller 24.11.2026).", value=day_text)
            )
        project = None
        project_text = get("project")
        if project_text:
            project = lookup.project_by_number.get(project_text)
            if project is None:
                row_errors.append(_("Ukjent prosjekt «%(value)s».", value=project_text))
        activity_text = get("activity")
        activity = lookup.activity(activity_text) if activity_text else None
        if activity is None:
            row_errors.append(
                _("Ukjent aktivitet «%(value)s».", value=activity_text)
                if activity_text
                else _("Aktivitet mangler.")
            )
        hours_text = get("hours")
        try:
            hours = parse_hours(hours_text)
        except UserError as error:
            row_errors.append(f"{error.message} («{hours_text}»)" if hours_text else error.message)
            hours = None
        if row_errors:
            errors.extend((line, m) for m in row_errors)
            continue
        comment = get("comment")
        field_values = {
            extras.field_key(key): cell(cells, index) for key, index in sorted(custom.items())
        }
        kind = "work"
        absence = lookup.absence_by_activity.get(activity.id) if project is None else None
        if absence is not None:
            kind = "absence"
            field_values = {extras.ABSENCE_KEY: str(absence.id)}
        content = (
            company.id,
            user.id,
            day.isoformat(),
            project.id if project else "",
            activity.id,
            str(hours),
            comment,
            tuple(sorted(field_values.items())),
        )
        seen[content] += 1
        items.append(
            SaveItem(
                line=line,
                user=user,
                data=EntryInput(
                    date=day,
                    project_id=project.id if project else None,
                    activity_id=activity.id,
                    hours=hours,
                    comment=comment,
                    kind=kind,
                    extras=field_values,
                ),
                uuid=derived_uuid("import", *content, seen[content]),
            )
        )
    return items, errors


def format_result(result: BulkResult) -> Iterable[str]:
    """Lines for the CLI: the count, or one line per problem."""
    if result.ok:
        yield _("Importerte %(n)d timeføringer.", n=result.imported)
        if result.unchanged:
            yield _("%(n)d fantes fra før og ble hoppet over.", n=result.unchanged)
        return
    for line, message in result.errors:
        yield _("Linje %(line)d: %(message)s", line=line, message=message)
    yield _("Ingenting ble importert (%(n)d feil).", n=len(result.errors))

"""Reading what people and files type: hours, times, dates, ids, uuids, numbers.

Pure functions: no database. Each raises UserError (with the field name) on bad input.
"""

from __future__ import annotations

import re
import uuid as uuid_lib
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _

from tipro import clock
from tipro.entries.inputs import EntryValidationError
from tipro.errors import UserError
from tipro.security import MAX_ID, parse_id

TWO_PLACES = Decimal("0.01")
# Control characters (NUL above all: PostgreSQL refuses it in text) are never typed text.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# At most 9 whole digits: more would overflow the Decimal context on quantize.
_DECIMAL_RE = re.compile(r"^(-?)([0-9]{0,9})(?:[.,]([0-9]*))?$")
_CLOCK_RE = re.compile(r"^(-?)([0-9]{1,2}):([0-9]{2})$")
_TIME_RE = re.compile(r"^([0-9]{1,2})(?:[:.]?([0-9]{2}))?$")
_NUMBER_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?|-?\.[0-9]+")
# Uuids from clients: any RFC 4122 text form, stored lower-case with hyphens.
_NAMESPACE = uuid_lib.UUID("6f1c8a52-3d1e-4f43-9d7b-2a0e7c1b5e90")


def has_control_characters(text: str) -> bool:
    """True for text with control characters other than tab and line breaks."""
    return bool(CONTROL_CHARACTERS.search(text))


def as_text(value) -> str:
    """A posted or imported value as stripped text (booleans as ja/nei)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nei"
    return str(value).strip()


def two_places(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def parse_hours(text) -> Decimal:
    """'7,5', '7.5' and '7:30' → Decimal('7.50'); raises UserError on anything else."""
    if isinstance(text, Decimal | int) and not isinstance(text, bool):
        value = Decimal(text)
        if not value.is_finite():
            raise UserError(_("Ugyldig antall timer."), "hours")
        return two_places(value)
    raw = str(text or "").strip().replace(" ", "").replace("\u00a0", "")
    if not raw:
        raise UserError(_("Skriv inn antall timer."), "hours")
    clock_form = _CLOCK_RE.match(raw)
    if clock_form:
        sign, hh, mm = clock_form.groups()
        if int(mm) > 59:
            raise UserError(_("Minutter må være mellom 00 og 59, f.eks. 7:30."), "hours")
        value = Decimal(int(hh)) + Decimal(int(mm)) / Decimal(60)
        return two_places(-value if sign else value)
    match = _DECIMAL_RE.match(raw)
    if not match or not (match.group(2) or match.group(3)):
        raise UserError(_("Ugyldig antall timer. Skriv f.eks. 7,5 eller 7:30."), "hours")
    sign, whole, fraction = match.groups()
    if fraction is not None and len(fraction) > 2:
        raise UserError(_("Bruk høyst to desimaler, f.eks. 7,25."), "hours")
    try:
        value = Decimal(f"{sign}{whole or '0'}.{fraction or '0'}")
    except InvalidOperation:
        raise UserError(_("Ugyldig antall timer. Skriv f.eks. 7,5 eller 7:30."), "hours") from None
    return two_places(value)


def parse_decimal(value) -> Decimal:
    """'1 234,5' / '1234.5' / 12 → Decimal; ValueError otherwise (quantities, number fields)."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    else:
        text = as_text(value).replace(" ", "").replace("\u00a0", "").replace(",", ".")
        if not _NUMBER_RE.fullmatch(text):
            raise ValueError(value)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(value) from None
    # Huge numbers would overflow the Decimal context when quantized later.
    if not number.is_finite() or number.adjusted() > 15:
        raise ValueError(value)
    return number


def parse_time(text, field_name: str) -> time | None:
    """'8', '08:00', '8.00' or '0800' → time(8, 0); empty → None."""
    if isinstance(text, time):
        return text
    raw = str(text or "").strip()
    if not raw:
        return None
    match = _TIME_RE.match(raw)
    if not match or int(match.group(1)) > 23 or int(match.group(2) or 0) > 59:
        raise UserError(_("Ugyldig klokkeslett. Skriv f.eks. 08:00."), field_name)
    return time(int(match.group(1)), int(match.group(2) or 0))


def parse_break(value) -> int:
    """Break in whole minutes ('' → 0)."""
    if value is None or value == "":
        return 0
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 5:
        raise UserError(_("Pause skrives i hele minutter, f.eks. 30."), "break_minutes")
    minutes = int(text)
    if minutes > 24 * 60:
        raise UserError(_("Pausen kan ikke være lengre enn et døgn."), "break_minutes")
    return minutes


def minutes_of(value: time) -> int:
    return value.hour * 60 + value.minute


# Dates and weeks are accepted from 2000-01-01 to 2099-12-31. Nobody registers hours for
# earlier or later years on purpose (a year typed as 0202 or 20266 is a typo), and the bound
# keeps every sum the pages do (a week's ±7 days, the project picker's −60 days) far from
# date.min and date.max, where Python raises OverflowError. Tripletex takes nothing older either.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
# One format per input: dates are ISO 'YYYY-MM-DD', weeks ISO 'YYYY-Www'. Python's own
# fromisoformat/fromisocalendar also read '20261120' and '2026-W48-1', so the shape is checked
# first ([0-9], not \d, which matches other scripts' digits too).
_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_WEEK_RE = re.compile(r"([0-9]{4})-W([0-9]{2})")


class BadInput(UserError):
    """A malformed value in a query or a hidden form field: 400, nothing stored."""

    status = 400


def read_date(text) -> date | None:
    """'YYYY-MM-DD' within FIRST_DAY..LAST_DAY → date; anything else → None."""
    text = str(text if text is not None else "").strip()
    if not _ISO_DATE_RE.fullmatch(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def read_week(text) -> date | None:
    """'YYYY-Www' (ISO week) within FIRST_DAY..LAST_DAY → its Monday; anything else → None."""
    match = _ISO_WEEK_RE.fullmatch(str(text if text is not None else "").strip())
    if not match:
        return None
    try:
        monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        return None
    return monday if FIRST_DAY <= monday <= LAST_DAY else None


def parse_date(value) -> date:
    """A date or 'YYYY-MM-DD' from 2000 up to a year ahead (Oslo); raises UserError."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        parsed = value
    else:
        text = str(value or "").strip()
        if not _ISO_DATE_RE.fullmatch(text):
            raise UserError(_("Ugyldig dato. Bruk formatet åååå-mm-dd."), "date")
        try:
            parsed = date.fromisoformat(text)
        except ValueError:
            raise UserError(_("Ugyldig dato. Bruk formatet åååå-mm-dd."), "date") from None
    if parsed < FIRST_DAY:
        raise UserError(_("Datoen er for langt tilbake i tid."), "date")
    if parsed > min(clock.today() + timedelta(days=366), LAST_DAY):
        raise UserError(_("Du kan føre timer høyst ett år fram i tid."), "date")
    return parsed


def parse_day(text: str | None, default: date | None = None) -> date:
    """A date to show a form for: `text` when it is a good date, else `default` (else today)."""
    return read_date(text) or default or clock.today()


def query_day(text: str | None, default: date) -> date:
    """A date from a query string: empty → `default`; not a good date → BadInput (400)."""
    if text is None or not text.strip():
        return default
    day = read_date(text)
    if day is None:
        raise BadInput(_("Ugyldig dato. Bruk formatet åååå-mm-dd, mellom år 2000 og 2099."), "date")
    return day


def query_week(text: str | None, default: date | None = None) -> date:
    """The Monday of an ISO week from a query or form: empty → `default`'s week (required
    when no default); not a good week → BadInput (400), never another week instead."""
    if (text is None or not text.strip()) and default is not None:
        return clock.monday_of(default)
    monday = read_week(text)
    if monday is None:
        raise BadInput(_("Ugyldig uke. Skriv den som 2026-W48 (år 2000–2099)."), "uke")
    return monday


def parse_ref(value) -> int | None:
    """A reference to a row: '' / None → None; a positive id; anything else → -1 (unknown)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return -1
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else -1
    text = str(value).strip()
    if not text:
        return None
    return parse_id(text) or -1


def id_or_none(value) -> int | None:
    """A positive id, else None (empty and junk alike)."""
    ident = parse_ref(value)
    return ident if ident is not None and ident > 0 else None


def normalise_uuid(value: str | None) -> str:
    """A client's UUID in canonical form; a new one when none is given."""
    if value is None or value == "":
        return str(uuid_lib.uuid4())
    try:
        return str(uuid_lib.UUID(str(value).strip()))
    except ValueError:
        raise EntryValidationError({"uuid": _("Ugyldig id for registreringen.")}, 400) from None


def derived_uuid(*parts) -> str:
    """A deterministic UUID (copies, timer stops, imports): repeating upserts, not duplicates."""
    return str(uuid_lib.uuid5(_NAMESPACE, ":".join(str(p) for p in parts)))


def iso_week_of(day: date) -> tuple[int, int]:
    year, week, _weekday = day.isocalendar()
    return year, week


def iso_week(day: date) -> str:
    """date → '2026-W48' (the ISO week it falls in)."""
    year, week_no = iso_week_of(day)
    return f"{year}-W{week_no:02d}"

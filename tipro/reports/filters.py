"""The report's filters, read from the query string (a GET form, so a report is a link).

`parse(args)` turns untrusted text into a `ReportFilter` or raises `BadFilter` (400) with a
Norwegian message; `ReportFilter.args()` gives the query arguments back for links (sorting,
drill-down, exports), so every link keeps what the form chose.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tipro import clock
from tipro.entries.parsing import parse_date
from tipro.errors import UserError
from tipro.models.work import ENTRY_STATES
from tipro.security import parse_id

# Group by: query value → label. Period groups are folded from days in Python (ISO weeks and
# months alike on SQLite and PostgreSQL); the rest group in the database.
GROUPS = {
    "ansatt": _l("Ansatt"),
    "prosjekt": _l("Prosjekt"),
    "kunde": _l("Kunde"),
    "aktivitet": _l("Aktivitet"),
    "tillegg": _l("Tillegg og lønnsart"),
    "dag": _l("Dag"),
    "uke": _l("Uke"),
    "maned": _l("Måned"),
    "fakturerbar": _l("Fakturerbar"),
    "status": _l("Status"),
}
PERIOD_GROUPS = ("dag", "uke", "maned")
PRESETS = {
    "uke": _l("Denne uken"),
    "maned": _l("Denne måneden"),
    "forrige": _l("Forrige måned"),
    "egen": _l("Egendefinert"),
}
STATE_LABELS = {
    "open": _l("Registrert"),
    "submitted": _l("Sendt inn"),
    "approved": _l("Godkjent"),
    "transferred": _l("Overført"),
}
SORTS = ("navn", "timer", "fakturerbar", "ikke", "foringer")
MAX_DAYS = 3 * 366  # a longer range is refused: three years is the longest report offered
PAGE_SIZE = 200  # entries per drill-down page (the export has them all)


class BadFilter(UserError):
    """A filter value that cannot be read (400); the message says which and how."""

    status = 400


@dataclass(frozen=True)
class ReportFilter:
    preset: str
    first: date
    last: date
    group: str = "prosjekt"
    user_id: int | None = None
    project_id: int | None = None
    customer_id: int | None = None
    state: str | None = None
    sort: str | None = None  # None: the group's natural order
    descending: bool = False
    key: str | None = None  # drill-down: the group value whose entries are listed
    page: int = 1

    def args(self, **changes) -> dict[str, str]:
        """The query arguments that give this filter back (with `changes` applied)."""
        f = replace(self, **changes) if changes else self
        out = {"periode": f.preset, "gruppe": f.group}
        if f.preset == "egen":
            out.update(fra=f.first.isoformat(), til=f.last.isoformat())
        for name, value in (
            ("ansatt", f.user_id),
            ("prosjekt", f.project_id),
            ("kunde", f.customer_id),
            ("status", f.state),
            ("sorter", f.sort),
            ("nokkel", f.key),
        ):
            if value is not None:
                out[name] = str(value)
        if f.sort is not None:
            out["retning"] = "ned" if f.descending else "opp"
        if f.page > 1:
            out["side"] = str(f.page)
        return out

    def sorted_by(self, column: str) -> dict[str, str]:
        """Arguments for a column heading's link: sort by it, flipping the direction."""
        descending = not self.descending if self.sort == column else column != "navn"
        return self.args(sort=column, descending=descending, page=1)

    @property
    def period_key(self) -> str:
        """«2026-11» for a whole month, «2026-W53» for an ISO week, else «from_to» (file names)."""
        first, last = self.first, self.last
        month_end = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        if first.day == 1 and last == month_end:
            return f"{first.year}-{first.month:02d}"
        if first.weekday() == 0 and last == first + timedelta(days=6):
            year, week, _day = first.isocalendar()
            return f"{year}-W{week:02d}"
        if first == last:
            return first.isoformat()
        return f"{first.isoformat()}_{last.isoformat()}"


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """The days of a preset, seen from `today` (Oslo)."""
    if preset == "uke":
        monday = clock.monday_of(today)
        return monday, monday + timedelta(days=6)
    first = today.replace(day=1)
    if preset == "forrige":
        first = (first - timedelta(days=1)).replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _date(value: str, what: str) -> date:
    try:
        return parse_date(value)
    except UserError:
        raise BadFilter(
            _("Ugyldig %(what)s-dato. Bruk formatet åååå-mm-dd.", what=what), what
        ) from None


def _id(args, name: str, label: str) -> int | None:
    text = (args.get(name) or "").strip()
    if not text:
        return None
    number = parse_id(text)
    if number is None:
        raise BadFilter(_("Ugyldig valg for %(what)s.", what=label), name)
    return number


def _choice(args, name: str, allowed, label: str, default=None):
    text = (args.get(name) or "").strip()
    if not text:
        return default
    if text not in allowed:
        raise BadFilter(_("Ugyldig valg for %(what)s.", what=label), name)
    return text


def parse(args, *, default_group: str = "prosjekt") -> ReportFilter:
    """The filter in `args` (request.args); defaults: this month, grouped by project."""
    preset = _choice(args, "periode", PRESETS, _("periode"), "maned")
    if preset == "egen":
        first = _date(args.get("fra", ""), _("fra"))
        last = _date(args.get("til", ""), _("til"))
        if last < first:
            raise BadFilter(_("Til-datoen kan ikke være før fra-datoen."), "til")
        if (last - first).days >= MAX_DAYS:
            raise BadFilter(_("Velg en periode på høyst tre år."), "til")
    else:
        first, last = preset_range(preset, clock.today())
    page_text = (args.get("side") or "1").strip()
    if not (page_text.isascii() and page_text.isdigit()) or not 0 < int(page_text) <= 100000:
        raise BadFilter(_("Ugyldig sidenummer."), "side")
    key = (args.get("nokkel") or "").strip() or None
    if key is not None and len(key) > 40:
        raise BadFilter(_("Ugyldig valg for %(what)s.", what=_("rad")), "nokkel")
    return ReportFilter(
        preset=preset,
        first=first,
        last=last,
        group=_choice(args, "gruppe", GROUPS, _("gruppering"), default_group),
        user_id=_id(args, "ansatt", _("ansatt")),
        project_id=_id(args, "prosjekt", _("prosjekt")),
        customer_id=_id(args, "kunde", _("kunde")),
        state=_choice(args, "status", ENTRY_STATES, _("status")),
        sort=_choice(args, "sorter", SORTS, _("sortering")),
        descending=_choice(args, "retning", ("opp", "ned"), _("sortering"), "opp") == "ned",
        key=key,
        page=int(page_text),
    )

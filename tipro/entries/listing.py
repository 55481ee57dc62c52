"""An entry list's rows with their text worked out once per page (`entries/_entry_list.html`).

A page shows many entries with few distinct values: the edit URL is built once from a
template URL, each amount of hours and each date is formatted once, the extras are described
for the whole list in one statement (tipro.entries.extras.display), and translated names are
looked up once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _

from tipro import i18n
from tipro.entries.extras import display
from tipro.models import TimeEntry

# An id no entry has, to cut the edit URL into the text before and after the id.
_PLACEHOLDER = 2_147_483_647


@dataclass(frozen=True, slots=True)
class EntryRow:
    """What one line of an entry list shows."""

    entry: TimeEntry
    url: str
    hours: str
    day: str  # "" unless the list shows dates
    project: str
    activity: str
    times: str  # "07:00–15:30", or ""
    extras: list[tuple[str, str]]


def _edit_url_parts() -> tuple[str, str]:
    url = url_for("entries.edit", entry_id=_PLACEHOLDER)
    before, _sep, after = url.partition(str(_PLACEHOLDER))
    return before, after


def entry_rows(entries: Iterable[TimeEntry], show_date: bool = False) -> list[EntryRow]:
    """The rows of an entry list, in the entries' order."""
    entries = list(entries)
    if not entries:
        return []
    before, after = _edit_url_parts()
    described = display.describe_extras_for(entries)
    days: dict = {}
    no_project = _("Uten prosjekt")
    rows = []
    for e in entries:
        day = ""
        if show_date:
            day = days.get(e.date)
            if day is None:
                day = days[e.date] = i18n.day(e.date, "EEE d.M.")
        times = ""
        if e.start_time and e.end_time:
            times = f"{e.start_time:%H:%M}–{e.end_time:%H:%M}"
        rows.append(
            EntryRow(
                entry=e,
                url=f"{before}{e.id}{after}",
                hours=i18n.hours(e.hours),
                day=day,
                project=e.project.display_name if e.project else no_project,
                activity=e.activity.name if e.activity else e.kind,
                times=times,
                extras=described.get(e.id, []),
            )
        )
    return rows

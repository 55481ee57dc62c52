"""The entry form shared by the pages: posted values ↔ EntryInput, and what the template needs."""

from __future__ import annotations

from datetime import date

from flask import abort, request
from flask_login import current_user

from tipro import htmx
from tipro.entries import pickers, queries
from tipro.entries.extras import definitions
from tipro.entries.inputs import ENTRY_FIELDS, EntryInput, EntryNotFound
from tipro.entries.parsing import id_or_none, normalise_uuid, parse_day
from tipro.errors import UserError
from tipro.models import TimeEntry, User
from tipro.security import parse_id


def posted_values() -> dict[str, str]:
    return {name: request.form.get(name, "") for name in ENTRY_FIELDS}


def posted_input(values: dict[str, str]) -> EntryInput:
    posted_extras = {k: v for k, v in request.form.items() if k.startswith("x_")}
    return EntryInput(
        **{name: values[name] for name in ENTRY_FIELDS},
        kind=request.form.get("kind", "work") or "work",
        extras=posted_extras,
    )


def plain_hours(value) -> str:
    """7.50 → '7,5' for an input field (no thousands separator)."""
    text = format(value.normalize(), "f") if value is not None else ""
    return text.replace(".", ",")


def values_from_entry(entry: TimeEntry, *, day: date | None = None) -> dict[str, str]:
    return {
        "date": (day or entry.date).isoformat(),
        "project_id": str(entry.project_id or ""),
        "activity_id": str(entry.activity_id or ""),
        "hours": "" if entry.start_time else plain_hours(entry.hours),
        "start_time": entry.start_time.strftime("%H:%M") if entry.start_time else "",
        "end_time": entry.end_time.strftime("%H:%M") if entry.end_time else "",
        "break_minutes": str(entry.break_minutes or "") if entry.start_time else "",
        "comment": entry.comment or "",
    }


def searched_values(base: dict[str, str] | None = None) -> dict[str, str] | None:
    """`base` plus what the project search form (works without JS) sent by GET, else None."""
    if "q" not in request.args:
        return None
    values = dict(base or {})
    values.update({name: request.args[name] for name in ENTRY_FIELDS if name in request.args})
    values["q"] = request.args["q"][:100]
    return values


def for_user(user_id_text: str | None) -> User | None:
    """Admins may register for another user of the company; anyone else only for themself."""
    if not user_id_text or not current_user.has_role("admin"):
        return None
    user = queries.visible_user(current_user, parse_id(user_id_text))
    if user is None:
        abort(404)
    return user


def error_status(error: UserError) -> int:
    """The HTTP status of a refused save (another user's entry is simply not there: 404)."""
    if isinstance(error, EntryNotFound):
        abort(404)
    return getattr(error, "status", 422)


def _work_activities(project_id: int | None, day, chosen: str | None) -> list:
    """Allowed activities minus the absence ones (those are registered under Fravær), but
    keeping the one already chosen, so an absence entry opened here keeps its activity."""
    absence = {t.activity_id for t in definitions.active_absence_types()}
    chosen_id = id_or_none(chosen)
    if chosen_id is None or str(chosen_id) != (chosen or ""):
        chosen_id = None
    return [
        a
        for a in pickers.allowed_activities(project_id, day)
        if a.id not in absence or a.id == chosen_id
    ]


def form_context(values: dict[str, str], errors: dict[str, str], **extra) -> dict:
    """Everything `entries/_entry_form.html` needs."""
    day = parse_day(values.get("date"))
    values.setdefault("date", day.isoformat())
    # The recently used projects, when the page read them already for the form's day.
    last_used, read_on = extra.pop("recent_project_ids", None), extra.pop("read_on", None)
    if read_on != day:
        last_used = None
    recent, others = queries.project_choices(current_user, day, last_used)
    needle = (values.get("q") or "").strip().lower()
    if needle:
        recent = [p for p in recent if needle in p.display_name.lower()]
        others = [p for p in others if needle in p.display_name.lower()]
        if len(recent) + len(others) == 1 and not htmx.wants_fragment():
            # One hit: pick it, so a search without JS is one tap from saving (a fragment
            # must not: its activity field would not follow).
            values["project_id"] = str((recent or others)[0].id)
    project_id = id_or_none(values.get("project_id"))
    context = {
        "values": values,
        "errors": errors,
        "recent_projects": recent,
        "other_projects": others,
        "activities": _work_activities(project_id, day, values.get("activity_id")),
        "form_extras": definitions.form_context(project_id),
        "entry_uuid": extra.pop("entry_uuid", None) or normalise_uuid(None),
        "company_users": queries.enabled_users() if current_user.has_role("admin") else [],
        "for_user_id": request.form.get("user_id", "") if request.method == "POST" else "",
    }
    context.update(extra)
    return context

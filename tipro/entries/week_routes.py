"""The week page: the grid of days × lines, editing one cell, copying the week (handing it in:
tipro.approvals)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from tipro import clock, htmx, i18n
from tipro.approvals import periods as approval_periods
from tipro.approvals import services as approval_services
from tipro.entries import bp, queries, services
from tipro.entries.forms import error_status, plain_hours, values_from_entry
from tipro.entries.inputs import EntryInput, errors_of
from tipro.entries.parsing import BadInput, iso_week, query_week
from tipro.errors import UserError
from tipro.models import User
from tipro.security import MAX_ID, parse_id

# Sent after a cell changed; the entry list under the grid listens (hx-trigger … from:body).
ENTRIES_CHANGED = "entries-changed"


def _week_user() -> User:
    text = request.values.get("bruker", "")
    if not text:
        return current_user
    user = queries.visible_user(current_user, parse_id(text))
    if user is None:
        abort(404)
    return user


def _shown_monday() -> date:
    """The week a page shows: `uke` from the query, else this week."""
    return query_week(request.args.get("uke"), clock.today())


def _posted_monday() -> date:
    """The week a POST changes: `uke` is required; a bad one is refused, never replaced."""
    return query_week(request.form.get("uke"))


# 'work-<project id or 0>-<activity id or 0>' (queries.line_key); ASCII digits, INTEGER ids.
_LINE_KEY = re.compile(r"work-([0-9]{1,10})-([0-9]{1,10})")


def _week_context(user: User, monday: date) -> dict:
    week = queries.visible_week(current_user, user, monday)
    own = user.id == current_user.id
    return {
        "week": week,
        # Each distinct amount looked up once per page, not once per cell.
        "hours_text": {amount: i18n.hours(amount) for amount in week.amounts},
        "editable": own and not week.locked,
        "own": own,
        # What the person can hand in from here: the week, or the month(s) it touches.
        "spans": approval_periods.spans_overlapping(
            approval_services.kind_of(user.company), week.monday, week.days[-1]
        )
        if own
        else [],
        "prev_iso": iso_week(week.monday - timedelta(days=7)),
        "next_iso": iso_week(week.monday + timedelta(days=7)),
        "users": queries.users_to_choose(current_user),
    }


@bp.get("/uke")
def week():
    context = _week_context(_week_user(), _shown_monday())
    template = "entries/_week_grid.html" if htmx.wants_fragment() else "entries/week.html"
    return render_template(template, **context)


@bp.get("/uke/liste")
def week_list():
    """Fragment: the week's entries under the grid (refetched when a cell changed)."""
    context = _week_context(_week_user(), _shown_monday())
    return render_template("entries/_week_list.html", **context)


def _cell_target(monday: date):
    """The week line and day a cell request names, from the query or the form."""
    line_key = request.values.get("linje", "")
    day_text = request.values.get("dag", "")
    match = _LINE_KEY.fullmatch(line_key)
    ids = [int(g) for g in match.groups()] if match else [MAX_ID + 1]
    if max(ids) > MAX_ID:
        # The key also goes into a response header (HX-Retarget): only this exact shape.
        raise BadInput(_("Ugyldig linje i uka."), "linje")
    if day_text not in ("0", "1", "2", "3", "4", "5", "6"):
        raise BadInput(_("Ugyldig dag i uka."), "dag")
    day_index = int(day_text)
    project_id, activity_id = (ident or None for ident in ids)
    week = queries.week(current_user, monday)
    line = next((ln for ln in week.lines if ln.key == line_key), None)
    cell = line.cells[day_index] if line else []
    return week, line_key, day_index, project_id, activity_id, cell


def _save_cell(day: date, project_id, activity_id, cell: list, text: str) -> None:
    """Set one cell's hours: empty or 0 deletes; one entry per cell can be changed here."""
    if len(cell) > 1:
        raise UserError(_("Flere registreringer denne dagen – endre dem hver for seg."))
    if text in ("", "0", "0,0", "0.0", "0,00", "0.00"):
        if cell:
            services.delete_entry(current_user, cell[0].uuid)
        return
    base = values_from_entry(cell[0]) if cell else {}
    services.save_entry(
        current_user,
        EntryInput(
            date=day,
            project_id=project_id,
            activity_id=activity_id,
            hours=text,
            comment=base.get("comment", ""),
        ),
        entry_uuid=cell[0].uuid if cell else None,
    )


@bp.route("/uke/celle", methods=["GET", "POST"])
def week_cell():
    """Edit one day of one line: GET the small form, POST the hours (empty or 0 deletes)."""
    monday = _posted_monday() if request.method == "POST" else _shown_monday()
    week, line_key, day_index, project_id, activity_id, cell = _cell_target(monday)
    day = monday + timedelta(days=day_index)
    context = {
        "week": week,
        "line_key": line_key,
        "day_index": day_index,
        "day": day,
        "cell": cell,
        "value": plain_hours(queries.total(cell)) if cell else "",
        "error": None,
    }
    fragment = htmx.wants_fragment()
    template = "entries/_week_cell_form.html" if fragment else "entries/week_cell.html"
    if request.method == "GET":
        return render_template(template, **context)
    text = (request.form.get("hours") or "").strip()
    try:
        _save_cell(day, project_id, activity_id, cell, text)
    except UserError as error:
        context.update(value=text, error=errors_of(error))
        response = render_template(template, **context), error_status(error)
        if fragment:
            # The form targets the grid; an error goes back into the cell instead.
            return htmx.retarget(response, f"#cell-{line_key}-{day_index}")
        return response
    if fragment:
        grid = render_template("entries/_week_grid.html", **_week_context(current_user, monday))
        return htmx.changed(grid, ENTRIES_CHANGED)
    return redirect(url_for("entries.week", uke=week.iso))


@bp.post("/uke/kopier")
def copy_week():
    monday = _posted_monday()
    copied, skipped = services.copy_previous_week(current_user, monday)
    if copied:
        flash(
            ngettext(
                "Kopierte %(num)d registrering fra forrige uke.",
                "Kopierte %(num)d registreringer fra forrige uke.",
                copied,
            )
        )
    if skipped:
        flash(
            ngettext(
                "%(num)d registrering ble ikke kopiert (finnes fra før eller er ikke tillatt).",
                "%(num)d registreringer ble ikke kopiert (finnes fra før eller er ikke tillatt).",
                skipped,
            )
        )
    if not copied and not skipped:
        flash(_("Forrige uke har ingen timer å kopiere."))
    return redirect(url_for("entries.week", uke=iso_week(monday)), 303)

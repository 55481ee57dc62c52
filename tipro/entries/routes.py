"""The start page (today) and the entry pages: new, edit, delete, and the form's fragments.

Routes translate input and errors only; every write goes through tipro.entries.services.
The week is in week_routes, the stamp clock in timer_routes, absence in absence_routes.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tipro import clock, htmx, i18n
from tipro.entries import bp, listing, queries, rules, services, timer
from tipro.entries.absence import normal_day
from tipro.entries.extras import display
from tipro.entries.forms import (
    error_status,
    for_user,
    form_context,
    posted_input,
    posted_values,
    searched_values,
    values_from_entry,
)
from tipro.entries.inputs import errors_of
from tipro.entries.parsing import iso_week, normalise_uuid, query_day
from tipro.errors import UserError
from tipro.models import TimeEntry
from tipro.security import parse_id, safe_next_url
from tipro.tenancy import get_or_404


def _today_context(values=None, errors=None) -> dict:
    day = clock.today()
    start = queries.start_page_entries(current_user.id, day)
    week_entries = start.week
    today_entries = [e for e in week_entries if e.date == day]
    form_values = values if values is not None else {"date": day.isoformat()}
    return {
        "day": day,
        "today_entries": today_entries,
        "today_total": queries.total(today_entries),
        "week_total": queries.total(week_entries),
        "normal_week": current_user.company.normal_hours_per_week,
        "normal_day": normal_day(current_user),
        "repeat_day": start.repeat_day,
        "repeat_entries": start.repeat_entries,
        "day_locked": start.day_locked,
        **form_context(
            form_values, errors or {}, recent_project_ids=start.recent_project_ids, read_on=day
        ),
    }


def today_page(values=None, errors=None, status: int = 200):
    """The start page: today's and this week's hours, quick entry, repeat buttons.

    htmx swaps it whole (#today) after a quick entry: totals, lists and a fresh form.
    """
    if values is None:
        values = searched_values()
    if values is None:
        source = queries.own_entry(current_user, parse_id(request.args.get("gjenta")))
        if source is not None:
            values = values_from_entry(source, day=clock.today())
    context = _today_context(values, errors)
    fragment = htmx.wants_fragment()
    template = "entries/_today.html" if fragment else "entries/today.html"
    return render_template(template, fragment=fragment, **context), status


def fmt_day(entry: TimeEntry) -> str:
    return i18n.day(entry.date, "EEEE d. MMMM")


# ---------------------------------------------------------------- entries


@bp.post("/registreringer")
def create():
    values = posted_values()
    registered_for = for_user(request.form.get("user_id"))
    try:
        entry = services.save_entry(
            current_user,
            posted_input(values),
            entry_uuid=request.form.get("uuid") or None,
            for_user=registered_for,
        )
    except UserError as error:
        status = error_status(error)
        if request.form.get("from") == "new":
            return render_template(
                "entries/new.html", **form_context(values, errors_of(error))
            ), status
        return today_page(values, errors_of(error), status)
    message = _("Lagret %(hours)s t %(day)s.", hours=i18n.hours(entry.hours), day=fmt_day(entry))
    if htmx.wants_fragment() and not request.form.get("refused"):
        return _saved_answer(message, entry)
    flash(message)
    if htmx.wants_fragment():
        # After a refusal the form carries its marks: #today whole, the form emptied as
        # tipro.js empties it after a light answer (date, project and activity stay).
        return today_page({k: values.get(k, "") for k in ("date", "project_id", "activity_id")})
    return redirect(safe_next_url(request.form.get("next")) or url_for("main.index"))


def _saved_answer(message: str, entry: TimeEntry):
    """A quick entry sent by htmx: only what changed on the start page (entries/_saved.html).

    No flash (the message is in the answer, so the session cookie is not written again) and
    no fresh form (its project list is the page's largest part and has not changed). Hours
    for a day the start page does not show (an earlier week, say) change nothing on it: the
    answer is the confirmation and a new form id, and reads nothing.
    """
    day = clock.today()
    context = {"message": message, "entry_uuid": normalise_uuid(None)}
    touched = [d for d in (entry.date, entry.date_before_save) if d is not None]
    if entry.user_id == current_user.id and any(
        queries.shows_on_start_page(d, day) for d in touched
    ):
        start = queries.start_page_entries(current_user.id, day, for_form=False)
        today_entries = [e for e in start.week if e.date == day]
        context.update(
            start_page_changed=True,
            today_entries=today_entries,
            today_total=queries.total(today_entries),
            week_total=queries.total(start.week),
            repeat_day=start.repeat_day,
            repeat_entries=start.repeat_entries,
            normal_day=normal_day(current_user),
            normal_week=current_user.company.normal_hours_per_week,
        )
    body = render_template("entries/_saved.html", **context)
    return htmx.changed(htmx.retarget(body, "#quick-result"), "entry-saved")


@bp.get("/registreringer/ny")
def new():
    values = searched_values() or {
        "date": query_day(request.args.get("dato"), clock.today()).isoformat(),
        "project_id": request.args.get("prosjekt", ""),
        "activity_id": request.args.get("aktivitet", ""),
    }
    return render_template(
        "entries/new.html", **form_context(values, {}, next=request.args.get("next", ""))
    )


def _edit_page(entry: TimeEntry, values, errors, *, read_only: bool, **extra):
    return render_template(
        "entries/edit.html",
        entry=entry,
        read_only=read_only,
        described=display.describe_extras(entry),
        **form_context(values, errors, entry_uuid=entry.uuid),
        **extra,
    )


@bp.route("/registreringer/<int:entry_id>", methods=["GET", "POST"])
def edit(entry_id: int):
    entry = get_or_404(TimeEntry, entry_id)
    if not rules.can_manage_for(current_user, entry.user):
        # An approver sees the hours of the projects and departments they lead, read only.
        if request.method != "GET" or not queries.can_view_entry(current_user, entry):
            abort(404)
        return _edit_page(entry, values_from_entry(entry), {}, read_only=True, viewer_only=True)
    read_only = entry.is_locked or rules.day_is_locked(entry.user_id, entry.date)
    if request.method == "GET" or read_only:
        values = values_from_entry(entry)
        values = (None if read_only else searched_values(values)) or values
        if request.method == "GET":
            return _edit_page(entry, values, {}, read_only=read_only)
        errors = {"form": _("Timene er sendt inn og kan ikke endres.")}
        return _edit_page(entry, values, errors, read_only=read_only), 409
    values = posted_values()
    try:
        services.save_entry(current_user, posted_input(values), entry_uuid=entry.uuid)
    except UserError as error:
        status = error_status(error)
        return _edit_page(entry, values, errors_of(error), read_only=False), status
    flash(_("Endringen er lagret."))
    return redirect(
        safe_next_url(request.form.get("next")) or url_for("entries.week", uke=iso_week(entry.date))
    )


@bp.post("/registreringer/<int:entry_id>/slett")
def delete(entry_id: int):
    entry = get_or_404(TimeEntry, entry_id)
    if not rules.can_manage_for(current_user, entry.user):
        abort(404)
    day = entry.date
    try:
        services.delete_entry(current_user, entry.uuid)
    except UserError as error:
        flash(error.message)
        return redirect(url_for("entries.edit", entry_id=entry_id)), 303
    flash(_("Registreringen er slettet."))
    target = safe_next_url(request.form.get("next")) or url_for("entries.week", uke=iso_week(day))
    return redirect(target, 303)


@bp.get("/registreringer/aktiviteter")
def activity_options():
    """Fragment: the activity field for the chosen project and date."""
    values = {
        "date": query_day(request.args.get("date"), clock.today()).isoformat(),
        "project_id": request.args.get("project_id", ""),
        "activity_id": request.args.get("activity_id", ""),
    }
    # The extra fields follow the project too. They listen on <body> for this event: a
    # listener on the project <select> itself dies when a project search swaps it out.
    return htmx.changed(
        render_template("entries/_activity_field.html", **form_context(values, {})),
        "entry-project-changed",
    )


@bp.get("/registreringer/prosjekter")
def project_options():
    """Fragment: the project field filtered by a search text."""
    values = {
        "date": query_day(request.args.get("date"), clock.today()).isoformat(),
        "project_id": request.args.get("project_id", ""),
        "q": request.args.get("q", ""),
    }
    return render_template("entries/_project_field.html", **form_context(values, {}))


STATE_NAMES = {
    "open": _l("Åpen"),
    "submitted": _l("Sendt inn"),
    "approved": _l("Godkjent"),
    "transferred": _l("Overført"),
}


_TIMER_STATE = "tipro.timer_state"


def timer_state() -> tuple[object, str]:
    """(the user's running stamp clock or None, its start as HH:MM) for the badge and the
    entry form: read when a template first asks (a fragment without them reads nothing), once
    per request, after the request's writes."""
    state = request.environ.get(_TIMER_STATE)
    if state is None:
        running = None
        if getattr(current_user, "is_authenticated", False):
            running = timer.badge_timer(current_user)
        since = running.started_at.astimezone(clock.OSLO).strftime("%H:%M") if running else ""
        state = request.environ[_TIMER_STATE] = (running, since)
    return state


@bp.app_context_processor
def timer_context():
    """The running timer for the badge on every page, and names the entry lists use."""
    return {
        "state_names": STATE_NAMES,
        "entry_rows": listing.entry_rows,
        "timer_state": timer_state,
    }

"""Pages and fragments for hours; every write goes through tipro.entries.services."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from tipro import i18n
from tipro.entries import bp, extras, pickers, queries, services
from tipro.entries.services import ENTRY_FIELDS, EntryInput, EntryNotFound
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import TimeEntry, User
from tipro.security import parse_id, safe_next_url
from tipro.tenancy import get_or_404
from tipro.ui import OSLO, today_in_oslo

# ---------------------------------------------------------------- helpers


def _fragment_request() -> bool:
    """An htmx request that wants a fragment (boosted links and forms want whole pages)."""
    return bool(request.htmx) and not request.htmx.boosted


def _parse_day(text: str | None, default: date | None = None) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return default or today_in_oslo()


def _posted_values() -> dict[str, str]:
    return {name: request.form.get(name, "") for name in ENTRY_FIELDS}


def _posted_input(values: dict[str, str]) -> EntryInput:
    posted_extras = {k: v for k, v in request.form.items() if k.startswith("x_")}
    return EntryInput(
        **{name: values[name] for name in ENTRY_FIELDS},
        kind=request.form.get("kind", "work") or "work",
        extras=posted_extras,
    )


def _values_from_entry(entry: TimeEntry, *, day: date | None = None) -> dict[str, str]:
    return {
        "date": (day or entry.date).isoformat(),
        "project_id": str(entry.project_id or ""),
        "activity_id": str(entry.activity_id or ""),
        "hours": "" if entry.start_time else _plain_hours(entry.hours),
        "start_time": entry.start_time.strftime("%H:%M") if entry.start_time else "",
        "end_time": entry.end_time.strftime("%H:%M") if entry.end_time else "",
        "break_minutes": str(entry.break_minutes or "") if entry.start_time else "",
        "comment": entry.comment or "",
    }


def _plain_hours(value) -> str:
    """7.50 → '7,5' for an input field (no thousands separator)."""
    text = format(value.normalize(), "f") if value is not None else ""
    return text.replace(".", ",")


def _for_user(user_id_text: str | None) -> User | None:
    """Admins may register for another user of the company; anyone else only for themself."""
    if not user_id_text or not current_user.has_role("admin"):
        return None
    user_id = parse_id(user_id_text)
    if user_id is None:
        abort(404)
    user = db.session.scalar(select(User).where(User.id == user_id))
    if user is None:
        abort(404)
    return user


def _work_activities(project_id: int | None, day, chosen: str | None) -> list:
    """Allowed activities minus the absence ones (those are registered under Fravær), but
    keeping the one already chosen, so an absence entry opened here keeps its activity."""
    absence = {t.activity_id for t in extras.active_absence_types(current_user.company_id)}
    return [
        a
        for a in pickers.activities_for(project_id, day)
        if a.id not in absence or str(a.id) == (chosen or "")
    ]


def form_context(values: dict[str, str], errors: dict[str, str], **extra) -> dict:
    """Everything `entries/_entry_form.html` needs."""
    day = _parse_day(values.get("date"))
    values.setdefault("date", day.isoformat())
    recent, others = queries.project_choices(current_user, day)
    needle = (values.get("q") or "").strip().lower()
    if needle:
        recent = [p for p in recent if needle in p.display_name.lower()]
        others = [p for p in others if needle in p.display_name.lower()]
        if len(recent) + len(others) == 1 and not _fragment_request():
            # One hit: pick it, so a search without JS is one tap from saving (a fragment
            # must not: its activity field would not follow).
            values["project_id"] = str((recent or others)[0].id)
    project_id = services._parse_id(values.get("project_id"))
    project_id = project_id if project_id and project_id > 0 else None
    context = {
        "values": values,
        "errors": errors,
        "recent_projects": recent,
        "other_projects": others,
        "activities": _work_activities(project_id, day, values.get("activity_id")),
        "form_extras": extras.extras_form_context(current_user.company_id, project_id),
        "entry_uuid": extra.pop("entry_uuid", None) or services.normalise_uuid(None),
        "company_users": _company_users() if current_user.has_role("admin") else [],
        "for_user_id": request.form.get("user_id", "") if request.method == "POST" else "",
    }
    context.update(extra)
    return context


def _company_users() -> list[User]:
    return list(
        db.session.scalars(select(User).where(User.is_enabled.is_(True)).order_by(User.name))
    )


def _today_context(values=None, errors=None) -> dict:
    day = today_in_oslo()
    monday = services.monday_of(day)
    week_entries = queries.entries_between(current_user.id, monday, monday + timedelta(days=6))
    today_entries = [e for e in week_entries if e.date == day]
    repeat_day, repeat_entries = queries.repeat_candidates(current_user.id, day, today_entries)
    normal_week = current_user.company.normal_hours_per_week
    form_values = values if values is not None else {"date": day.isoformat()}
    return {
        "day": day,
        "today_entries": today_entries,
        "today_total": queries.total(today_entries),
        "week_total": queries.total(week_entries),
        "normal_week": normal_week,
        "normal_day": (normal_week / 5).quantize(services.TWO_PLACES),
        "repeat_day": repeat_day,
        "repeat_entries": repeat_entries,
        "week_locked": services.week_is_locked(current_user.id, day),
        **form_context(form_values, errors or {}),
    }


def _searched_values(base: dict[str, str] | None = None) -> dict[str, str] | None:
    """`base` plus what the project search form (works without JS) sent by GET, else None."""
    if "q" not in request.args:
        return None
    values = dict(base or {})
    values.update({name: request.args[name] for name in ENTRY_FIELDS if name in request.args})
    values["q"] = request.args["q"][:100]
    return values


def today_page(values=None, errors=None, status: int = 200):
    """The start page: today's and this week's hours, quick entry, repeat buttons."""
    if values is None:
        values = _searched_values()
    repeat_id = parse_id(request.args.get("gjenta"))
    if values is None and repeat_id is not None:
        source = db.session.scalar(
            select(TimeEntry).where(
                TimeEntry.id == repeat_id,
                TimeEntry.user_id == current_user.id,
            )
        )
        if source is not None:
            values = _values_from_entry(source, day=today_in_oslo())
    context = _today_context(values, errors)
    fragment = _fragment_request()
    template = "entries/_today.html" if fragment else "entries/today.html"
    return render_template(template, fragment=fragment, **context), status


def _error_status(error: UserError) -> int:
    if isinstance(error, EntryNotFound):
        abort(404)
    return getattr(error, "status", 422)


def _errors_of(error: UserError) -> dict[str, str]:
    return getattr(error, "errors", None) or {error.field or "form": error.message}


def _changed(response, status: int = 200):
    response = make_response(response, status)
    response.headers["HX-Trigger"] = "entries-changed"
    return response


# ---------------------------------------------------------------- entries


@bp.post("/registreringer")
def create():
    values = _posted_values()
    for_user = _for_user(request.form.get("user_id"))
    try:
        entry = services.save_entry(
            current_user,
            _posted_input(values),
            entry_uuid=request.form.get("uuid") or None,
            for_user=for_user,
        )
    except UserError as error:
        status = _error_status(error)
        if request.form.get("from") == "new":
            return render_template(
                "entries/new.html", **form_context(values, _errors_of(error))
            ), status
        return today_page(values, _errors_of(error), status)
    message = _("Lagret %(hours)s t %(day)s.", hours=i18n.hours(entry.hours), day=_fmt_day(entry))
    if _fragment_request():
        flash(message)
        body, _status = today_page()
        return _changed(body)
    flash(message)
    return redirect(safe_next_url(request.form.get("next")) or url_for("main.index"))


def _fmt_day(entry: TimeEntry) -> str:
    return i18n.day(entry.date, "EEEE d. MMMM")


@bp.get("/registreringer/ny")
def new():
    values = _searched_values() or {
        "date": _parse_day(request.args.get("dato")).isoformat(),
        "project_id": request.args.get("prosjekt", ""),
        "activity_id": request.args.get("aktivitet", ""),
    }
    return render_template(
        "entries/new.html", **form_context(values, {}, next=request.args.get("next", ""))
    )


@bp.route("/registreringer/<int:entry_id>", methods=["GET", "POST"])
def edit(entry_id: int):
    entry = get_or_404(TimeEntry, entry_id)
    if not services.can_manage_for(current_user, entry.user):
        # An approver sees the hours of the projects and departments they lead, read only.
        if request.method != "GET" or not services.can_view_entry(current_user, entry):
            abort(404)
        return render_template(
            "entries/edit.html",
            entry=entry,
            read_only=True,
            viewer_only=True,
            described=extras.describe_extras(entry),
            **form_context(_values_from_entry(entry), {}, entry_uuid=entry.uuid),
        )
    read_only = entry.is_locked or services.week_is_locked(entry.user_id, entry.date)
    if request.method == "GET" or read_only:
        values = _values_from_entry(entry)
        values = (None if read_only else _searched_values(values)) or values
        status = 200 if request.method == "GET" else 409
        errors = {} if status == 200 else {"form": _("Timene er sendt inn og kan ikke endres.")}
        return render_template(
            "entries/edit.html",
            entry=entry,
            read_only=read_only,
            described=extras.describe_extras(entry),
            **form_context(values, errors, entry_uuid=entry.uuid),
        ), status
    values = _posted_values()
    try:
        services.save_entry(current_user, _posted_input(values), entry_uuid=entry.uuid)
    except UserError as error:
        status = _error_status(error)
        return render_template(
            "entries/edit.html",
            entry=entry,
            read_only=False,
            described=extras.describe_extras(entry),
            **form_context(values, _errors_of(error), entry_uuid=entry.uuid),
        ), status
    flash(_("Endringen er lagret."))
    return redirect(
        safe_next_url(request.form.get("next"))
        or url_for("entries.week", uke=queries.iso_week(entry.date))
    )


@bp.post("/registreringer/<int:entry_id>/slett")
def delete(entry_id: int):
    entry = get_or_404(TimeEntry, entry_id)
    if not services.can_manage_for(current_user, entry.user):
        abort(404)
    day = entry.date
    try:
        services.delete_entry(current_user, entry.uuid)
    except UserError as error:
        flash(error.message)
        return redirect(url_for("entries.edit", entry_id=entry_id)), 303
    flash(_("Registreringen er slettet."))
    target = safe_next_url(request.form.get("next")) or url_for(
        "entries.week", uke=queries.iso_week(day)
    )
    return redirect(target, 303)


@bp.get("/registreringer/aktiviteter")
def activity_options():
    """Fragment: the activity field for the chosen project and date."""
    values = {
        "date": _parse_day(request.args.get("date")).isoformat(),
        "project_id": request.args.get("project_id", ""),
        "activity_id": request.args.get("activity_id", ""),
    }
    response = make_response(
        render_template("entries/_activity_field.html", **form_context(values, {}))
    )
    # The extra fields follow the project too. They listen on <body> for this event: a
    # listener on the project <select> itself dies when a project search swaps it out.
    response.headers["HX-Trigger"] = "entry-project-changed"
    return response


@bp.get("/registreringer/prosjekter")
def project_options():
    """Fragment: the project field filtered by a search text."""
    values = {
        "date": _parse_day(request.args.get("date")).isoformat(),
        "project_id": request.args.get("project_id", ""),
    }
    values["q"] = request.args.get("q", "")
    return render_template("entries/_project_field.html", **form_context(values, {}))


# ---------------------------------------------------------------- week


def _week_user() -> User:
    text = request.values.get("bruker", "")
    if not text:
        return current_user
    user_id = parse_id(text)
    if user_id is None:
        abort(404)
    user = db.session.scalar(select(User).where(User.id == user_id))
    visible = services.visible_user_ids(current_user)
    if user is None or (visible is not None and user.id not in visible):
        abort(404)
    return user


def _week_context(user: User, monday: date) -> dict:
    week = queries.week(user, monday)
    own = user.id == current_user.id
    if not own and not current_user.has_role("admin"):
        visible = {
            e.id
            for e in db.session.scalars(
                services.entries_visible_query(current_user).where(
                    TimeEntry.user_id == user.id,
                    TimeEntry.date >= week.monday,
                    TimeEntry.date <= week.monday + timedelta(days=6),
                )
            )
        }
        week.entries = [e for e in week.entries if e.id in visible]
        for line in week.lines:
            line.cells = [[e for e in cell if e.id in visible] for cell in line.cells]
        week.lines = [line for line in week.lines if line.total]
    visible_ids = services.visible_user_ids(current_user)
    others = []
    if visible_ids is None or len(visible_ids) > 1:
        query = select(User).order_by(User.name)
        if visible_ids is not None:
            query = query.where(User.id.in_(visible_ids))
        others = list(db.session.scalars(query))
    return {
        "week": week,
        "editable": own and not week.locked,
        "own": own,
        "prev_iso": queries.iso_week(week.monday - timedelta(days=7)),
        "next_iso": queries.iso_week(week.monday + timedelta(days=7)),
        "users": others,
    }


@bp.get("/uke")
def week():
    user = _week_user()
    monday = queries.parse_iso_week(request.args.get("uke"), today_in_oslo())
    context = _week_context(user, monday)
    template = "entries/_week_grid.html" if _fragment_request() else "entries/week.html"
    return render_template(template, **context)


def _cell_target(monday: date):
    """The week line and day a cell request names, from the query or the form."""
    line_key = request.values.get("linje", "")
    try:
        day_index = int(request.values.get("dag", ""))
        kind, project_id, activity_id = line_key.split("-")
        project_id, activity_id = int(project_id) or None, int(activity_id) or None
    except ValueError:
        abort(404)
    if not 0 <= day_index <= 6 or kind != "work":
        abort(404)
    week = queries.week(current_user, monday)
    line = next((ln for ln in week.lines if ln.key == line_key), None)
    cell = line.cells[day_index] if line else []
    return week, line_key, day_index, project_id, activity_id, cell


@bp.route("/uke/celle", methods=["GET", "POST"])
def week_cell():
    """Edit one day of one line: GET the small form, POST the hours (empty or 0 deletes)."""
    monday = queries.parse_iso_week(request.values.get("uke"), today_in_oslo())
    week, line_key, day_index, project_id, activity_id, cell = _cell_target(monday)
    day = monday + timedelta(days=day_index)
    context = {
        "week": week,
        "line_key": line_key,
        "day_index": day_index,
        "day": day,
        "cell": cell,
        "value": _plain_hours(queries.total(cell)) if cell else "",
        "error": None,
    }
    template = "entries/_week_cell_form.html" if _fragment_request() else "entries/week_cell.html"
    if request.method == "GET":
        return render_template(template, **context)
    text = (request.form.get("hours") or "").strip()
    try:
        if len(cell) > 1:
            raise UserError(_("Flere registreringer denne dagen – endre dem hver for seg."))
        if text in ("", "0", "0,0", "0.0", "0,00", "0.00"):
            if cell:
                services.delete_entry(current_user, cell[0].uuid)
        else:
            base = _values_from_entry(cell[0]) if cell else {}
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
    except UserError as error:
        context.update(value=text, error=_errors_of(error))
        response = make_response(render_template(template, **context), _error_status(error))
        if _fragment_request():
            # The form targets the grid; an error goes back into the cell instead.
            response.headers["HX-Retarget"] = f"#cell-{line_key}-{day_index}"
            response.headers["HX-Reswap"] = "innerHTML"
        return response
    if _fragment_request():
        context = _week_context(current_user, monday)
        grid = render_template("entries/_week_grid.html", **context)
        listing = render_template("entries/_week_list.html", oob=True, **context)
        return _changed(grid + listing)
    return redirect(url_for("entries.week", uke=week.iso))


@bp.post("/uke/kopier")
def copy_week():
    monday = queries.parse_iso_week(request.form.get("uke"), today_in_oslo())
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
    return redirect(url_for("entries.week", uke=queries.iso_week(monday)), 303)


@bp.post("/uke/send-inn")
def submit_week():
    monday = queries.parse_iso_week(request.form.get("uke"), today_in_oslo())
    iso = queries.iso_week(monday)
    try:
        services.submit_week(current_user, monday)
    except UserError as error:
        flash(error.message)
    else:
        flash(_("Uke %(n)d er sendt inn.", n=monday.isocalendar()[1]))
    return redirect(url_for("entries.week", uke=iso), 303)


# ---------------------------------------------------------------- timer


@bp.post("/klokke/start")
def timer_start():
    values = _posted_values()
    try:
        services.start_timer(
            current_user, values["project_id"], values["activity_id"], values["comment"]
        )
    except UserError as error:
        return today_page(values, _errors_of(error), getattr(error, "status", 422))
    flash(_("Klokka går."))
    return redirect(url_for("main.index"), 303)


@bp.post("/klokke/stopp")
def timer_stop():
    try:
        entry = services.stop_timer(current_user)
    except UserError as error:
        flash(error.message)
    else:
        flash(
            _(
                "Klokka er stoppet: %(hours)s t registrert %(day)s.",
                hours=i18n.hours(entry.hours),
                day=_fmt_day(entry),
            )
        )
    return redirect(url_for("main.index"), 303)


@bp.post("/klokke/forkast")
def timer_discard():
    try:
        services.discard_timer(current_user)
    except UserError as error:
        flash(error.message)
    else:
        flash(_("Klokka er forkastet."))
    return redirect(url_for("main.index"), 303)


STATE_NAMES = {
    "open": _l("Åpen"),
    "submitted": _l("Sendt inn"),
    "approved": _l("Godkjent"),
    "transferred": _l("Overført"),
}


@bp.app_context_processor
def timer_context():
    """The running timer for the badge on every page, and names the entry lists use."""
    context = {"state_names": STATE_NAMES, "describe_extras_for": extras.describe_extras_for}
    if not getattr(current_user, "is_authenticated", False):
        return context
    timer = services.running_timer(current_user)
    context["running_timer"] = timer
    if timer is not None:
        context["running_timer_since"] = timer.started_at.astimezone(OSLO).strftime("%H:%M")
    return context

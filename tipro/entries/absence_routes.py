"""Absence registration, and the extras fragment of the entry form."""

from __future__ import annotations

from datetime import date, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user

from tipro import clock
from tipro.entries import absence, bp
from tipro.entries.extras import ABSENCE_KEY, definitions
from tipro.entries.inputs import errors_of
from tipro.entries.parsing import id_or_none, query_day
from tipro.errors import UserError

ABSENCE_FIELDS = ("absence_type_id", "date", "end_date", "hours", "comment")


def _absence_context(values: dict, errors: dict) -> dict:
    today = clock.today()
    start = date(today.year - 1, 1, 1)
    return {
        "values": values,
        "errors": errors,
        "absence_types": definitions.active_absence_types(),
        "normal_day": absence.normal_day(current_user),
        "entries": absence.absence_entries(current_user, start, today + timedelta(days=366)),
    }


@bp.get("/fravaer")
def absence_page():
    values = {"date": query_day(request.args.get("dato"), clock.today()).isoformat()}
    return render_template("entries/absence.html", **_absence_context(values, {}))


@bp.post("/fravaer")
def register_absence():
    values = {name: (request.form.get(name) or "").strip() for name in ABSENCE_FIELDS}
    try:
        entries = absence.register_absence(
            current_user,
            absence_type_id=values["absence_type_id"],
            start=values["date"],
            end=values["end_date"],
            hours=values["hours"],
            comment=values["comment"],
        )
    except UserError as error:
        errors = errors_of(error)
        if ABSENCE_KEY in errors:
            errors["absence_type_id"] = errors.pop(ABSENCE_KEY)
        status = getattr(error, "status", 422)
        return render_template("entries/absence.html", **_absence_context(values, errors)), status
    # "lagret": sending the same days again updates them, so "registered" would overstate it.
    flash(
        ngettext("Fravær lagret for %(num)d dag.", "Fravær lagret for %(num)d dager.", len(entries))
    )
    return redirect(url_for("entries.absence_page"), 303)


@bp.get("/registreringer/ekstrafelt")
def extras_fields():
    """Fragment: the extras of the entry form for the chosen project (keeps typed values)."""
    return render_template(
        "entries/_extras_fields.html",
        form_extras=definitions.form_context(id_or_none(request.args.get("project_id"))),
        errors={},
    )

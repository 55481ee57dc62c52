"""The stamp clock's buttons: start (from the quick-entry form), stop, discard."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tipro import i18n
from tipro.entries import bp, timer
from tipro.entries.forms import posted_values
from tipro.entries.inputs import errors_of
from tipro.entries.routes import fmt_day, today_page
from tipro.errors import UserError


@bp.post("/klokke/start")
def timer_start():
    values = posted_values()
    try:
        timer.start_timer(
            current_user, values["project_id"], values["activity_id"], values["comment"]
        )
    except UserError as error:
        return today_page(values, errors_of(error), getattr(error, "status", 422))
    flash(_("Klokka går."))
    return redirect(url_for("main.index"), 303)


@bp.post("/klokke/stopp")
def timer_stop():
    try:
        entry = timer.stop_timer(current_user)
    except UserError as error:
        flash(error.message)
    else:
        flash(
            _(
                "Klokka er stoppet: %(hours)s t registrert %(day)s.",
                hours=i18n.hours(entry.hours),
                day=fmt_day(entry),
            )
        )
    return redirect(url_for("main.index"), 303)


@bp.post("/klokke/forkast")
def timer_discard():
    try:
        timer.discard_timer(current_user)
    except UserError as error:
        flash(error.message)
    else:
        flash(_("Klokka er forkastet."))
    return redirect(url_for("main.index"), 303)

"""The admin's reminder page (/admin/paminnelser): who would be reminded, and «Påminn»."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from tipro import mail
from tipro.approvals import bp, reminders
from tipro.auth.forms import ConfirmForm
from tipro.security import role_required
from tipro.sync.forms import WEEKDAYS


def _page(form: ConfirmForm):
    company = current_user.company
    dues = reminders.who_is_due(company)
    sent = reminders.sent_keys(d.user_id for d in dues)
    weekday = WEEKDAYS.get(str(company.reminder_weekday or ""))
    return render_template(
        "approvals/reminders.html",
        form=form,
        dues=[(due, due.without(sent[due.user_id])) for due in dues],
        mail_problem=mail.problem(),
        weekday=weekday,
        company=company,
    )


@bp.get("/admin/paminnelser")
@role_required("admin")
def reminders_page():
    return _page(ConfirmForm())


@bp.post("/admin/paminnelser")
@role_required("admin")
def reminders_send():
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _page(form), 400
    outcome = reminders.send_reminders(current_user.company)
    flash(outcome.summary())
    return redirect(url_for("approvals.reminders_page"))

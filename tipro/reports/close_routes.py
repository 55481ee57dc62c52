"""Month close (/rapporter/manedsavslutning), «Min oversikt» (/min-oversikt) and the admin's
closure days (/admin/stengte-dager). Thin: the rules are in tipro.reports.close."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField

from tipro import clock
from tipro.approvals import periods
from tipro.auth.forms import ConfirmForm
from tipro.entries.parsing import BadInput, read_date
from tipro.errors import UserError
from tipro.models import ClosureDay
from tipro.models.approval import PERIOD_MONTH
from tipro.reports import bp, close
from tipro.security import role_required
from tipro.tenancy import get_or_404


def _locale() -> str:
    return str(get_locale() or "nb")


def _reports_link() -> bool:
    """The report pages are another part of TiPro; link to them once they exist."""
    return "reports.index" in current_app.view_functions


# ---------------------------------------------------------------- «Min oversikt»


@bp.get("/min-oversikt")
@login_required
def my_overview():
    data = close.overview(current_user, locale=_locale())
    return render_template("reports/overview.html", data=data, reports_link=_reports_link())


# ---------------------------------------------------------------- month close


class MonthForm(FlaskForm):
    """The month to remind about (a hidden field; CSRF comes with the form)."""

    maned = HiddenField()


def _month_from(value) -> periods.Span:
    if value in (None, ""):
        return periods.span_of(PERIOD_MONTH, clock.today())
    return close.month_span(value)


def _close_page(span: periods.Span, form: MonthForm | None = None, status: int = 200):
    data = close.month_close(current_user, span, locale=_locale())
    form = form or MonthForm(maned=span.key)
    return (
        render_template("reports/close.html", data=data, form=form, reports_link=_reports_link()),
        status,
    )


@bp.get("/rapporter/manedsavslutning")
@role_required("approver")
def month_close():
    return _close_page(_month_from(request.args.get("maned")))


@bp.post("/rapporter/manedsavslutning/paminn")
@role_required("approver")
def month_close_remind():
    form = MonthForm()
    if not form.validate_on_submit():
        raise BadInput(_("Skjemaet mangler måneden. Last siden på nytt og prøv igjen."))
    span = close.month_span(form.maned.data)
    result = close.remind_missing(current_user, span, locale=_locale())
    flash(result.summary(), "warning" if result.outcome.not_configured else "message")
    return redirect(url_for("reports.month_close", maned=span.key))


# ---------------------------------------------------------------- closure days (admin)


class ClosureForm(FlaskForm):
    start = StringField(_l("Fra dato"))
    end = StringField(_l("Til dato (valgfri)"))
    name = StringField(_l("Navn"))


def _year_from(value) -> int:
    if value in (None, ""):
        return clock.today().year
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and 2000 <= int(text) <= 2099):
        raise BadInput(_("Ugyldig år. Skriv det som 2026."))
    return int(text)


def _closure_page(year: int, form: ClosureForm | None = None, status: int = 200):
    return (
        render_template(
            "reports/close_days.html",
            year=year,
            rows=close.closure_days_of(year),
            form=form or ClosureForm(),
            delete_form=ConfirmForm(),
        ),
        status,
    )


@bp.get("/admin/stengte-dager")
@role_required("admin")
def closure_days():
    return _closure_page(_year_from(request.args.get("ar")))


@bp.post("/admin/stengte-dager")
@role_required("admin")
def closure_days_add():
    form = ClosureForm()
    year = clock.today().year
    if not form.validate_on_submit():
        return _closure_page(year, form, 400)
    first = read_date(form.start.data)
    last = read_date(form.end.data) if (form.end.data or "").strip() else None
    if first is None:
        form.start.errors = [_("Skriv datoen som ÅÅÅÅ-MM-DD.")]
    if (form.end.data or "").strip() and last is None:
        form.end.errors = [_("Skriv datoen som ÅÅÅÅ-MM-DD.")]
    if form.start.errors or form.end.errors:
        return _closure_page(year, form, 422)
    try:
        added = close.add_closure_days(current_user, first, last, form.name.data)
    except UserError as error:
        target = getattr(form, error.field or "", None) or form.name
        target.errors = [*target.errors, error.message]
        return _closure_page(first.year, form, 422)
    flash(ngettext("La til %(num)d stengt dag.", "La til %(num)d stengte dager.", len(added)))
    return redirect(url_for("reports.closure_days", ar=first.year))


@bp.post("/admin/stengte-dager/<int:closure_id>/slett")
@role_required("admin")
def closure_day_delete(closure_id: int):
    row = get_or_404(ClosureDay, closure_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _closure_page(row.date.year, None, 400)
    year = row.date.year
    close.delete_closure_day(current_user, row)
    flash(_("Dagen er ikke lenger stengt."))
    return redirect(url_for("reports.closure_days", ar=year))

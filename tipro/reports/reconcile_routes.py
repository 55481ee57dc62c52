"""«Avstemming» under /rapporter (admins): transferred months, «Sjekk mot Tripletex» (a job,
inline without Redis; the page polls its status card while it runs), the drift per row and
«Rett opp» (a correction batch through the transfer machinery). Rules: reports.reconcile."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tipro import htmx
from tipro.errors import UserError
from tipro.extensions import db
from tipro.reports import bp
from tipro.reports import reconcile as service
from tipro.security import role_required

KIND_LABELS = {"payroll": _l("Lønnsgrunnlag"), "orders": _l("Ordre")}
STATUS_LABELS = {
    service.CHANGED: _l("endret i Tripletex"),
    service.DELETED: _l("slettet i Tripletex"),
    service.ADDED: _l("lagt til i Tripletex"),
}
ITEM_KIND_LABELS = {
    "timesheet_entry": _l("Timeføring"),
    "salary_type_spec": _l("Lønnsart"),
    "salary_project_spec": _l("Lønnsart på prosjekt"),
    "salary_transaction": _l("Lønnsslipp"),
    "order": _l("Ordrelinje"),
}
WHY_LABELS = {
    service.WHY_ADDED: _l("Ikke ført av TiPro: rettes ikke automatisk."),
    service.WHY_LOCKED: _l("Låst i Tripletex (godkjent, fakturert eller lønnskjørt)."),
    service.WHY_CLOSED: _l("Ordren er fakturert: rett den i Tripletex."),
    service.WHY_ADDED_LINES: _l(
        "Noen har lagt til linjer på ordren: rett den i Tripletex, så ingenting går tapt."
    ),
    service.WHY_PAYSLIP: _l("Lønnsslippen er bokført: neste overføring sender en korreksjon."),
}


def _month_label(month) -> str:
    return format_date(month, "LLLL y")


def _parse(kind: str, month: str):
    """(kind, first day), or the service's BadInput (400 with a Norwegian message)."""
    return service.parse(kind, month)


def _transferred(kind: str, month: str):
    """(kind, first day) of a month with a transfer of that kind; 404 for one without."""
    kind, first = _parse(kind, month)
    try:
        service.require_transferred(kind, first)
    except UserError:
        abort(404)
    return kind, first


def _context(kind: str, month) -> dict:
    check = service.state(kind, month)
    result = check.result
    return {
        "checked_by": service.checked_by(check),
        "correction_batch": check.correction_batch,
        "as_date": date.fromisoformat,
        "kind": kind,
        "month": month,
        "month_key": f"{month.year}-{month.month:02d}",
        "month_label": _month_label(month),
        "check": check,
        "result": result,
        "names": service.names(result),
        "correctable": service.correctable_rows(result),
        "kind_labels": KIND_LABELS,
        "status_labels": STATUS_LABELS,
        "item_kind_labels": ITEM_KIND_LABELS,
        "why_labels": WHY_LABELS,
    }


def _refused(error: UserError, kind: str, month_key: str):
    if getattr(error, "status", 422) == 404:
        abort(404)
    db.session.rollback()
    flash(error.message, "error")
    return redirect(url_for("reports.reconcile_month", kind=kind, month=month_key), 303)


@bp.get("/rapporter/avstemming")
@role_required("admin")
def reconcile_index():
    """The transferred months with when each was last checked."""
    months = service.transferred_months()
    return render_template(
        "reports/reconcile.html",
        months=months,
        kind_labels=KIND_LABELS,
        month_label=_month_label,
    )


@bp.get("/rapporter/avstemming/<kind>/<month>")
@role_required("admin")
def reconcile_month(kind: str, month: str):
    """One month: the newest check's differences, «Sjekk mot Tripletex», «Rett opp»."""
    kind, first = _transferred(kind, month)
    return render_template("reports/reconcile_month.html", **_context(kind, first))


@bp.get("/rapporter/avstemming/<kind>/<month>/status")
@role_required("admin")
def reconcile_status(kind: str, month: str):
    """The check's card (polled while the check runs; the whole page when it is done)."""
    kind, first = _transferred(kind, month)
    if not htmx.is_htmx():
        return redirect(url_for("reports.reconcile_month", kind=kind, month=month), 303)
    # The whole region: once the check is done, the differences appear below the card.
    return render_template("reports/_reconcile_result.html", **_context(kind, first))


@bp.post("/rapporter/avstemming/<kind>/<month>/sjekk")
@role_required("admin")
def reconcile_check(kind: str, month: str):
    """«Sjekk mot Tripletex»: start the read (a job; inline without Redis)."""
    kind, first = _parse(kind, month)
    try:
        service.request_check(current_user, kind, first)
    except UserError as exc:
        return _refused(exc, kind, month)
    return redirect(url_for("reports.reconcile_month", kind=kind, month=month), 303)


@bp.post("/rapporter/avstemming/<kind>/<month>/rett-opp")
@role_required("admin")
def reconcile_correct(kind: str, month: str):
    """«Rett opp»: a correction batch for the drifted lines TiPro may correct."""
    kind, first = _parse(kind, month)
    try:
        batch = service.correct(current_user, kind, first)
    except UserError as exc:
        return _refused(exc, kind, month)
    flash(
        _(
            "Rettingen er startet som overføring %(id)s. Sjekk mot Tripletex på nytt når den "
            "er ferdig.",
            id=batch.id,
        ),
        "success",
    )
    return redirect(url_for("reports.reconcile_month", kind=kind, month=month), 303)

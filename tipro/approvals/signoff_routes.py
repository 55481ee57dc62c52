"""Customer sign-off pages: the approver sends a link, the customer answers, admins pick projects.

The customer's page (/kunde/<token>) is public: nobody is logged in, so the view enters the
company scope of the link's row itself, and reads only through that row's line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from tipro import clock, htmx
from tipro.approvals import bp, services, signoff
from tipro.approvals.services import PeriodNotFound
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import Period, PeriodLine
from tipro.models.approval import LINE_CUSTOMER, PERIOD_SUBMITTED, CustomerSignoff
from tipro.security import parse_id, public, role_required
from tipro.tenancy import company_scope, get_or_404

# ---------------------------------------------------------------- the approver's fragment


@dataclass
class SignoffBox:
    """What approvals/_signoff_line.html shows for one line."""

    shown: bool
    latest: CustomerSignoff | None
    problem: str | None  # why the latest link no longer works (signoff.LinkRefused reasons)
    url: str
    can_send: bool
    email: str
    signature: CustomerSignoff | None


@bp.app_template_global("signoff_box")
def signoff_box(line: PeriodLine, period: Period) -> SignoffBox:
    """The sign-off state of a line as the current user may see it."""
    project = line.project
    latest = signoff.latest(line.id) if line.id else None
    wanted = bool(project is not None and project.customer_signoff)
    shown = wanted or line.state == LINE_CUSTOMER or latest is not None
    may_decide = bool(
        shown
        and getattr(current_user, "is_authenticated", False)
        and services.may_decide(current_user, line, period)
    )
    problem = signoff.status_of(latest) if latest is not None else None
    signature = latest if latest is not None and latest.decision else None
    email = ""
    if project is not None:
        email = project.customer_signoff_email or (
            project.customer.email if project.customer else ""
        )
    return SignoffBox(
        shown=shown,
        latest=latest,
        problem=problem,
        url=signoff.link_url(latest) if latest is not None and not problem and may_decide else "",
        can_send=may_decide and line.state == LINE_CUSTOMER and period.state == PERIOD_SUBMITTED,
        email=(latest.email if latest is not None else "") or email or "",
        signature=signature,
    )


@bp.app_template_filter("signoff_time")
def signoff_time(value: datetime | None) -> str:
    """«18. nov. 2026 14:05» in Oslo time (SQLite hands back naive UTC)."""
    if value is None:
        return ""
    return format_datetime(clock.aware(value), "d. MMM y HH:mm")


def _line_or_404(line_id: int) -> PeriodLine:
    line = get_or_404(PeriodLine, line_id)
    if not services.may_view(current_user, line.period):
        raise PeriodNotFound()
    return line


@bp.get("/godkjenning/kunde/<int:line_id>")
@role_required("approver")
def signoff_line(line_id: int):
    """A line's sign-off on its own page (where the form lands without JavaScript)."""
    line = _line_or_404(line_id)
    return render_template("approvals/signoff_line.html", line=line, period=line.period)


@bp.post("/godkjenning/kunde/<int:line_id>/send")
@role_required("approver")
def signoff_send(line_id: int):
    """«Send til kunde»: a new link for the line (replacing older ones), mailed or to copy."""
    email = request.form.get("email", "")
    try:
        sent = signoff.send(current_user, line_id, email)
    except UserError as error:
        if error.field != "email":
            raise
        db.session.rollback()
        line = _line_or_404(line_id)
        context = {"line": line, "period": line.period, "signoff_error": error.message}
        context["signoff_email"] = email
        if htmx.wants_fragment():
            return render_template("approvals/_signoff_line.html", **context), 422
        return render_template("approvals/signoff_line.html", **context), 422
    if sent.mailed:
        notice = _("Lenken er sendt til %(email)s.", email=sent.signoff.email)
    else:
        notice = " ".join(
            [sent.mail_problem, _("Kopier lenken og send den til kunden selv.")]
        ).strip()
    if htmx.wants_fragment():
        line = _line_or_404(line_id)
        return render_template(
            "approvals/_signoff_line.html", line=line, period=line.period, signoff_notice=notice
        )
    flash(notice)
    return redirect(url_for("approvals.signoff_line", line_id=line_id), 303)


# ---------------------------------------------------------------- the customer's page


def _private(response):
    """The page shows one person's hours behind a secret link: never cached, never referred."""
    response = make_response(response)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _gone(error: signoff.LinkRefused):
    return _private(
        (
            render_template("approvals/signoff_gone.html", error=error, signoff=error.signoff),
            error.status,
        )
    )


@bp.route("/kunde/<token>", methods=["GET", "POST"])
@public
def customer_page(token: str):
    """The hiring customer's page: the hours of one line, «Godkjenn timene» or «Bestrid»."""
    try:
        row = signoff.open_link(token)
    except signoff.LinkRefused as error:
        return _gone(error)
    errors: dict[str, str] = {}
    form = {"name": "", "comment": ""}
    status = 200
    if request.method == "POST":
        form = {key: request.form.get(key, "") for key in form}
        decision = request.form.get("decision")
        if decision not in ("approve", "dispute"):
            errors["decision"] = _("Velg «Godkjenn timene» eller «Bestrid».")
        else:
            try:
                signoff.decide(
                    token,
                    approved=decision == "approve",
                    name=form["name"],
                    comment=form["comment"],
                    address=request.remote_addr or "",
                )
            except signoff.LinkRefused as error:
                db.session.rollback()
                return _gone(error)
            except UserError as error:
                db.session.rollback()
                if error.field not in ("name", "comment"):
                    raise
                errors[error.field] = error.message
            else:
                row = signoff.load(token)
                with company_scope(row.company_id):
                    view = signoff.view_of(row)
                    return _private(render_template("approvals/signoff_done.html", view=view))
        status = 422
    with company_scope(row.company_id):
        view = signoff.view_of(row)
        page = render_template(
            "approvals/signoff_customer.html", view=view, form=form, errors=errors, token=token
        )
    return _private((page, status))


# ---------------------------------------------------------------- admin: which projects


@bp.route("/admin/kundegodkjenning", methods=["GET", "POST"])
@role_required("admin")
def signoff_settings():
    """Which projects need the customer's sign-off, and to which address."""
    errors: dict[str, str] = {}
    values: dict[int, tuple[bool, str]] = {}
    if request.method == "POST":
        for raw in request.form.getlist("project"):
            project_id = parse_id(raw)
            if project_id is None:
                continue
            values[project_id] = (
                request.form.get(f"signoff-{project_id}") == "y",
                request.form.get(f"email-{project_id}", ""),
            )
        try:
            changed = signoff.save_project_settings(current_user, values)
        except UserError as error:
            db.session.rollback()
            errors[error.field or ""] = error.message
        else:
            if changed:
                flash(_("Endringene er lagret."))
            else:
                flash(_("Ingen endringer å lagre."))
            return redirect(url_for("approvals.signoff_settings"), 303)
    page = render_template(
        "approvals/signoff_settings.html",
        settings=signoff.project_settings(),
        errors=errors,
        values=values,
    )
    return page, (422 if errors else 200)

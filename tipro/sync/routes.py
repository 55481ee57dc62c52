"""Settings ("Innstillinger": connect Tripletex) and the sync page, under /admin."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from tipro import htmx, jobs, mail
from tipro.approvals import settings as approval_settings
from tipro.errors import UserError
from tipro.extensions import db
from tipro.security import parse_id, role_required
from tipro.sync import bp, services
from tipro.sync.connection import ConnectError, connect, connection_row, disconnect
from tipro.sync.forms import (
    ApprovalSettingsForm,
    ConfirmForm,
    SyncForm,
    TokenForm,
    TransferSettingsForm,
)
from tipro.sync.texts import (
    DATA_TYPE_LABELS,
    QUEUE_DOWN,
    RUN_MODES,
    RUN_STATUS,
    connect_error_message,
    missing_access_text,
    webhook_text,
)


def _settings_page(
    form: TokenForm,
    status: int = 200,
    result=None,
    approval_form: ApprovalSettingsForm = None,
    transfer_form: TransferSettingsForm = None,
):
    company = current_user.company
    row = connection_row(db.session, company.id)
    return (
        render_template(
            "sync/settings.html",
            company=company,
            row=row,
            form=form,
            approval_form=approval_form or ApprovalSettingsForm.for_company(company),
            transfer_form=transfer_form or TransferSettingsForm.for_company(company),
            submitted_periods=approval_settings.submitted_count(),
            mail_problem=mail.problem(),
            disconnect_form=ConfirmForm(),
            missing_text=missing_access_text(row.missing_access if row else None),
            webhook_text=webhook_text(row.webhook_status, row.webhook_error) if row else None,
            api_url=current_app.config["TRIPLETEX_API_URL"],
            result=result,
        ),
        status,
    )


@bp.get("/innstillinger")
@role_required("admin")
def settings():
    return _settings_page(TokenForm())


@bp.post("/innstillinger/godkjenning")
@role_required("admin")
def approval_settings_save():
    form = ApprovalSettingsForm()
    if not form.validate_on_submit():
        return _settings_page(TokenForm(), 400, approval_form=form)
    try:
        changed = approval_settings.save(
            current_user,
            period_kind=form.approval_period.data,
            weekday=int(form.reminder_weekday.data) if form.reminder_weekday.data else None,
            hour=int(form.reminder_hour.data),
        )
    except UserError as error:
        db.session.rollback()
        getattr(form, error.field or "approval_period").errors = [error.message]
        return _settings_page(TokenForm(), 422, approval_form=form)
    flash(_("Innstillingene er lagret.") if changed else _("Ingen endringer."))
    return redirect(url_for("sync.settings") + "#godkjenning")


@bp.post("/innstillinger/overforing")
@role_required("admin")
def transfer_settings_save():
    from tipro.transfers import settings as transfer_settings

    form = TransferSettingsForm()
    if not form.validate_on_submit():
        return _settings_page(TokenForm(), 400, transfer_form=form)
    try:
        changed = transfer_settings.save(
            current_user,
            payroll_mode=form.payroll_mode.data,
            approves_month=bool(form.transfer_approves_month.data),
            order_grouping=form.order_grouping.data,
        )
    except UserError as error:
        db.session.rollback()
        getattr(form, error.field or "payroll_mode").errors = [error.message]
        return _settings_page(TokenForm(), 422, transfer_form=form)
    flash(_("Innstillingene er lagret.") if changed else _("Ingen endringer."))
    return redirect(url_for("sync.settings") + "#overforing")


@bp.post("/innstillinger/tripletex")
@role_required("admin")
def tripletex_connect():
    form = TokenForm()
    if not form.validate_on_submit():
        return _settings_page(form, 400)
    try:
        result = connect(
            db.session, current_user.company, form.employee_token.data, services.settings()
        )
    except ConnectError as error:
        db.session.rollback()
        form.employee_token.errors = [connect_error_message(error)]
        return _settings_page(form, 422)
    try:
        services.request_sync(current_user.company_id, full=True, trigger="connect")
    except jobs.QueueUnavailable:
        flash(
            _(
                "Koblet til %(company)s som %(user)s.",
                company=result.tripletex_company_name,
                user=result.user_name,
            )
        )
        flash(str(QUEUE_DOWN))
        return redirect(url_for("sync.index"))
    flash(
        _(
            "Koblet til %(company)s som %(user)s. Full synkronisering er startet.",
            company=result.tripletex_company_name,
            user=result.user_name,
        )
    )
    return redirect(url_for("sync.index"))


@bp.post("/innstillinger/tripletex/koble-fra")
@role_required("admin")
def tripletex_disconnect():
    form = ConfirmForm()
    if form.validate_on_submit():
        disconnect(db.session, current_user.company, services.settings())
        flash(_("TiPro er koblet fra Tripletex. Data som er hentet, beholdes."))
    return redirect(url_for("sync.settings"))


def _status_context():
    runs = services.latest_runs()
    current = runs[0] if runs else None
    return {
        "workers": services.worker_state(),
        "company": current_user.company,
        "run": current,
        "active": services.run_is_active(current),
        "steps": services.last_steps(),
        "labels": DATA_TYPE_LABELS,
        "run_status": RUN_STATUS,
        "run_modes": RUN_MODES,
    }


@bp.get("/synkronisering")
@role_required("admin")
def index():
    return render_template(
        "sync/index.html",
        form=SyncForm(),
        invite_form=ConfirmForm(),
        uninvited=services.uninvited_employees(),
        **_status_context(),
    )


@bp.get("/synkronisering/status")
@role_required("admin")
def status():
    return render_template("sync/_status.html", **_status_context())


@bp.post("/synkronisering")
@role_required("admin")
def sync_now():
    form = SyncForm()
    company = current_user.company
    if form.validate_on_submit():
        if company.tripletex_status == "not_connected":
            flash(_("Koble til Tripletex under Innstillinger først."))
            return redirect(url_for("sync.settings"))
        try:
            created = services.request_sync(
                company.id, full=bool(form.full.data), trigger="manual"
            )[1]
        except jobs.QueueUnavailable:
            flash(str(QUEUE_DOWN))
        else:
            if not created:
                flash(_("En synkronisering pågår allerede."))
    # The page's form is boosted (a whole page is wanted); only an un-boosted htmx request
    # (e.g. a button that targets #sync-status) gets the status card alone.
    if htmx.wants_fragment():
        return render_template("sync/_status.html", **_status_context())
    return redirect(url_for("sync.index"))


@bp.post("/synkronisering/inviter")
@role_required("admin")
def invite_employees():
    form = ConfirmForm()
    if form.validate_on_submit():
        ids = [i for i in map(parse_id, request.form.getlist("employee_id")) if i is not None]
        created = services.invite_employees(current_user.company, ids, current_user)
        flash(
            ngettext("%(num)d bruker er opprettet.", "%(num)d brukere er opprettet.", len(created))
        )
    return redirect(url_for("sync.index"))

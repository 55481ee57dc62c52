"""«Overføringer» under /admin: batches, the dry-run preview and its confirmation, a batch's
items with live progress, «Prøv igjen», «Ta over» / «La stå», «Gjenoppta», and downloads."""

from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tipro import htmx, jobs
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import TransferBatch, TransferItem
from tipro.models.transfer import ITEM_STATES
from tipro.security import parse_id, role_required
from tipro.tenancy import get_or_404
from tipro.transfers import queries, services
from tipro.transfers import settings as transfer_settings
from tipro.transfers.forms import ConfirmForm, HoursSalaryTypeForm, StartForm

bp = Blueprint("transfers", __name__)

KIND_LABELS = {"payroll": _l("Lønnsgrunnlag"), "orders": _l("Ordre")}
MODE_LABELS = {
    "timesheet": _l("Timeliste"),
    "salary_transaction": _l("Lønnsbilag"),
    "orders": _l("Ordre"),
}
BATCH_STATES = {
    "planned": _l("Forhåndsvisning"),
    "queued": _l("I kø"),
    "running": _l("Overfører"),
    "done": _l("Ferdig"),
    "partial": _l("Ferdig med feil"),
}
ITEM_STATE_LABELS = {
    "planned": _l("Planlagt"),
    "pending": _l("Venter"),
    "sending": _l("Sendes"),
    "confirmed": _l("Bekreftet"),
    "failed": _l("Feilet"),
    "needs_check": _l("Må sjekkes"),
    "unchanged": _l("Uendret"),
    "left": _l("Latt stå"),
}
CHANGE_LABELS = {
    "new": _l("Ny"),
    "changed": _l("Endret"),
    "unchanged": _l("Uendret"),
    "correction": _l("Korreksjon"),
}
OPERATION_LABELS = {
    "create": _l("opprettes"),
    "update": _l("oppdateres"),
    "delete": _l("slettes"),
    "adopt": _l("overtas"),
    "none": _l("sendes ikke"),
}
ITEM_KIND_LABELS = {
    "timesheet_entry": _l("Timeføring"),
    "salary_type_spec": _l("Lønnsart"),
    "salary_project_spec": _l("Lønnsart på prosjekt"),
    "salary_transaction": _l("Lønnsslipp"),
    "order": _l("Ordre"),
    "order_line": _l("Ordrelinje"),
}


def _labels() -> dict:
    return {
        "kind_labels": KIND_LABELS,
        "mode_labels": MODE_LABELS,
        "batch_states": BATCH_STATES,
        "item_states": ITEM_STATE_LABELS,
        "change_labels": CHANGE_LABELS,
        "operation_labels": OPERATION_LABELS,
        "item_kind_labels": ITEM_KIND_LABELS,
    }


def month_label(batch: TransferBatch) -> str:
    """«november 2026»."""
    return format_date(batch.month, "LLLL y")


@bp.app_template_global()
def transferred_at(user_id: int, first, last):
    """When a person's hours first..last were last confirmed in Tripletex (period pages)."""
    return services.transferred_at(user_id, first, last)


def _connection_refusal() -> str | None:
    status = current_user.company.tripletex_status
    if status == "not_connected":
        return _("TiPro er ikke koblet til Tripletex. Koble til under Innstillinger først.")
    if status == "needs_reconnect":
        return _(
            "Tripletex godtar ikke lenger API-nøkkelen. Lim inn en ny nøkkel under "
            "Innstillinger, og prøv igjen."
        )
    return None


def _refused(error: UserError, back: str):
    """A service refusal: 404 stays 404; others as an error flash, back where the form was."""
    if getattr(error, "status", 422) == 404:
        abort(404)
    db.session.rollback()
    flash(error.message, "error")
    return redirect(back, 303)


# ---------------------------------------------------------------- the list and «Overfør»


def _hours_form(formdata=None) -> HoursSalaryTypeForm:
    return HoursSalaryTypeForm.for_company(
        current_user.company,
        transfer_settings.salary_type_choices(),
        transfer_settings.default_hours_salary_type(),
        formdata=formdata,
    )


def _index_page(form: StartForm, status: int = 200, hours_form: HoursSalaryTypeForm = None):
    running = {kind: services.active_batch(kind) for kind in KIND_LABELS}
    return (
        render_template(
            "transfers/index.html",
            form=form,
            hours_form=hours_form or _hours_form(),
            payroll_mode=current_user.company.payroll_mode,
            batches=services.batches(limit=50),
            running={k: b for k, b in running.items() if b is not None},
            refusal=_connection_refusal(),
            month_label=month_label,
            **_labels(),
        ),
        status,
    )


@bp.get("/overforinger")
@role_required("admin")
def index():
    form = StartForm(formdata=None)
    month = queries.default_month()
    form.month.data = f"{month.year}-{month.month:02d}"
    return _index_page(form)


@bp.post("/overforinger/lonnsart")
@role_required("admin")
def hours_salary_type_save():
    """«Lønnsart for timer» (lønnsbilag); audited with the other transfer settings."""
    hours_form = _hours_form(request.form)
    start_form = StartForm(formdata=None)
    if not hours_form.validate_on_submit():
        return _index_page(start_form, 400, hours_form)
    value = hours_form.hours_salary_type_id.data
    try:
        changed = transfer_settings.save_hours_salary_type(
            current_user, int(value) if value else None
        )
    except UserError as error:
        db.session.rollback()
        hours_form.hours_salary_type_id.errors = [error.message]
        return _index_page(start_form, 422, hours_form)
    flash(_("Innstillingene er lagret.") if changed else _("Ingen endringer."))
    return redirect(url_for(".index") + "#lonnsart", 303)


@bp.post("/overforinger/forhandsvis")
@role_required("admin")
def preview():
    form = StartForm()
    if not form.validate_on_submit():
        return _index_page(form, 400)
    refusal = _connection_refusal()
    if refusal:
        form.form_errors.append(refusal)
        return _index_page(form, 409)
    try:
        month = services.parse_month(form.month.data)
    except UserError as error:
        form.month.errors = [error.message]
        return _index_page(form, 422)
    if not queries.has_hours(month):
        form.month.errors = [
            _(
                "Ingen godkjente timer i %(month)s. Bare godkjente perioder overføres.",
                month=format_date(month, "LLLL y"),
            )
        ]
        return _index_page(form, 422)
    try:
        batch = services.start(current_user, form.kind.data, month, dry_run=True)
    except UserError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return _index_page(form, getattr(error, "status", 422))
    return redirect(url_for(".batch", batch_id=batch.id), 303)


# ---------------------------------------------------------------- a batch


def _batch_context(batch: TransferBatch) -> dict:
    counts = services.state_counts(batch.id)
    context = {
        "batch": batch,
        "counts": counts,
        "month_label": month_label,
        "may_retry": queries.may_retry(batch),
        "may_resume": queries.may_resume(batch, counts),
        "dead": batch.is_active and services.is_dead(batch),
        **_labels(),
    }
    if batch.is_active:
        from tipro.sync.services import worker_state

        context["workers"] = worker_state()
    if batch.dry_run:
        context["preview"] = queries.preview(batch)
        context["confirmed"] = queries.confirmed_after(batch)
        context["running"] = services.active_batch(batch.kind)
        context["refusal"] = _connection_refusal()
    return context


def _items_context(batch: TransferBatch) -> dict:
    state = request.args.get("tilstand") or None
    if state not in ITEM_STATES:
        state = None
    page = parse_id(request.args.get("side")) or 1
    return {
        "batch": batch,
        "listing": queries.item_page(batch.id, page, state),
        "payload_of": queries.sendable,
        "describe": queries.describe,
        **_labels(),
    }


@bp.get("/overforinger/<int:batch_id>")
@role_required("admin")
def batch(batch_id: int):
    row = get_or_404(TransferBatch, batch_id)
    context = _batch_context(row)
    if not row.dry_run:
        context.update(_items_context(row))
    return render_template("transfers/batch.html", **context)


@bp.get("/overforinger/<int:batch_id>/status")
@role_required("admin")
def status(batch_id: int):
    """The status card; it polls while the batch runs and tells the page when it is done."""
    row = get_or_404(TransferBatch, batch_id)
    response = render_template("transfers/_status.html", **_batch_context(row))
    if not row.is_active and htmx.wants_fragment():
        # The last poll: the card comes without hx-trigger, and the item list reloads.
        return htmx.changed(response, "transfer-finished")
    return response


@bp.get("/overforinger/<int:batch_id>/linjer")
@role_required("admin")
def items(batch_id: int):
    row = get_or_404(TransferBatch, batch_id)
    if row.dry_run:
        abort(404)
    template = "transfers/_items.html" if htmx.wants_fragment() else "transfers/batch.html"
    context = _items_context(row)
    if template == "transfers/batch.html":
        context.update(_batch_context(row))
    return render_template(template, **context)


@bp.post("/overforinger/<int:batch_id>/bekreft")
@role_required("admin")
def confirm(batch_id: int):
    """«Bekreft og overfør»: the previewed kind and month, now for real."""
    row = get_or_404(TransferBatch, batch_id)
    back = url_for(".batch", batch_id=row.id)
    form = ConfirmForm()
    if not row.dry_run or not form.validate_on_submit():
        abort(400)
    earlier = queries.confirmed_after(row)
    if earlier is not None:
        flash(_("Denne forhåndsvisningen er allerede overført."), "warning")
        return redirect(url_for(".batch", batch_id=earlier.id), 303)
    refusal = _connection_refusal()
    if refusal:
        flash(refusal, "error")
        return redirect(back, 303)
    if queries.to_send(row.id) == 0:
        flash(_("Alt er allerede overført. Det er ingenting å sende."), "error")
        return redirect(back, 303)
    try:
        real = services.start(current_user, row.kind, row.month)
    except jobs.QueueUnavailable:
        return _queue_down(row)
    except UserError as error:
        return _refused(error, back)
    differing = queries.differences(row, real)
    if differing:
        flash(
            ngettext(
                "Timene ble endret etter forhåndsvisningen: %(num)d linje er annerledes enn du "
                "så. Overføringen sender det som er godkjent nå; se linjene nedenfor.",
                "Timene ble endret etter forhåndsvisningen: %(num)d linjer er annerledes enn du "
                "så. Overføringen sender det som er godkjent nå; se linjene nedenfor.",
                differing,
            ),
            "warning",
        )
    else:
        flash(_("Overføringen er startet."))
    return redirect(url_for(".batch", batch_id=real.id), 303)


def _queue_down(row: TransferBatch):
    db.session.rollback()
    flash(
        _(
            "Køen svarer ikke, så overføringen ble ikke startet. Den er registrert: trykk "
            "«Gjenoppta» når TiPro er i gang igjen."
        ),
        "error",
    )
    real = services.active_batch(row.kind)
    return redirect(url_for(".batch", batch_id=(real or row).id), 303)


@bp.post("/overforinger/<int:batch_id>/prov-igjen")
@role_required("admin")
def retry(batch_id: int):
    row = get_or_404(TransferBatch, batch_id)
    back = url_for(".batch", batch_id=row.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.retry_failed(current_user, row.id)
    except jobs.QueueUnavailable:
        return _queue_down(row)
    except UserError as error:
        return _refused(error, back)
    flash(_("De feilede linjene sendes på nytt etter en ny kontroll."))
    return redirect(back, 303)


@bp.post("/overforinger/<int:batch_id>/gjenoppta")
@role_required("admin")
def resume(batch_id: int):
    row = get_or_404(TransferBatch, batch_id)
    back = url_for(".batch", batch_id=row.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not queries.may_resume(row, services.state_counts(row.id)):
        flash(_("Overføringen kan ikke gjenopptas nå."), "error")
        return redirect(back, 303)
    try:
        services.resume(current_user, row.id)
    except jobs.QueueUnavailable:
        return _queue_down(row)
    except UserError as error:
        return _refused(error, back)
    flash(_("Overføringen er gjenopptatt. Det som alt er kommet fram, sendes ikke igjen."))
    return redirect(back, 303)


def _item_action(item_id: int, action, done: str):
    item = get_or_404(TransferItem, item_id)
    batch_id = item.batch_id
    back = url_for(".batch", batch_id=batch_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        action(current_user, item.id)
    except jobs.QueueUnavailable:
        return _queue_down(get_or_404(TransferBatch, batch_id))
    except UserError as error:
        return _refused(error, back)
    flash(done)
    return redirect(back, 303)


@bp.post("/overforinger/linje/<int:item_id>/ta-over")
@role_required("admin")
def take_over(item_id: int):
    """«Ta over»: TiPro's total replaces the entry someone typed in Tripletex."""
    return _item_action(
        item_id, services.take_over, _("TiPro skriver sine timer over timene i Tripletex.")
    )


@bp.post("/overforinger/linje/<int:item_id>/la-sta")
@role_required("admin")
def leave(item_id: int):
    """«La stå»: the entry in Tripletex stays; TiPro leaves the key alone while unchanged."""
    return _item_action(
        item_id,
        services.leave,
        _("Timene i Tripletex får stå. TiPro sender ikke denne linjen før timene endres."),
    )


# ---------------------------------------------------------------- downloads


def _export(batch: TransferBatch) -> list[dict]:
    """Exactly what was sent (a preview: what would be), payloads as the request bodies."""
    rows = services.export_rows(batch.id, sent_only=not batch.dry_run)
    for row in rows:
        row["payload"] = queries.sendable(row.get("payload"))
    return rows


def _filename(batch: TransferBatch, ext: str) -> str:
    return f"tipro-overforing-{batch.id}-{batch.kind}-{batch.month_key}.{ext}"


def _cell(value) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with «'»."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    if text[:1] in ("=", "+", "@", "\t", "\r") or (text[:1] == "-" and not text[1:2].isdigit()):
        return "'" + text
    return text


@bp.get("/overforinger/<int:batch_id>/eksport.csv")
@role_required("admin")
def export_csv(batch_id: int):
    row = get_or_404(TransferBatch, batch_id)
    columns = [*services.EXPORT_COLUMNS, "payload"]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    for item in _export(row):
        writer.writerow([_cell(item.get(c)) for c in columns])
    # A BOM, so a spreadsheet reads æøå as UTF-8.
    body = "\ufeff" + out.getvalue()
    return (
        body,
        200,
        {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{_filename(row, "csv")}"',
        },
    )


@bp.get("/overforinger/<int:batch_id>/eksport.json")
@role_required("admin")
def export_json(batch_id: int):
    row = get_or_404(TransferBatch, batch_id)
    body = {
        "batch": row.id,
        "kind": row.kind,
        "mode": row.mode,
        "month": row.month_key,
        "dry_run": row.dry_run,
        "state": row.state,
        "items": _export(row),
    }
    return (
        json.dumps(body, ensure_ascii=False, indent=2, default=str),
        200,
        {
            "Content-Type": "application/json; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{_filename(row, "json")}"',
        },
    )

"""`tipro tripletex connect|status|disconnect` and `tipro sync`."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


def _fail(message: str) -> None:
    click.echo(f"Feil: {message}", err=True)
    sys.exit(1)


def _company(name: str):
    from tipro.auth.services import find_company
    from tipro.errors import UserError

    try:
        return find_company(name)
    except UserError as error:
        _fail(error.message)


@click.group("tripletex")
def tripletex_group() -> None:
    """Tilkobling til Tripletex."""


@tripletex_group.command("connect")
@click.option("--company", "company_name", required=True, help="Firmanavn i TiPro.")
@click.option("--employee-token", required=True, help="API-nøkkelen fra Tripletex.")
@click.option("--no-sync", is_flag=True, help="Ikke start full synkronisering.")
@with_appcontext
def connect_command(company_name: str, employee_token: str, no_sync: bool) -> None:
    """Koble et firma til Tripletex med en ansattnøkkel."""
    from tipro.admin.tripletex_text import connect_error_message, missing_access_text
    from tipro.extensions import db
    from tipro.sync_jobs import request_sync, run_inline, settings
    from tipro.tripletex.connection import ConnectError, connect

    company = _company(company_name)
    try:
        result = connect(db.session, company, employee_token, settings())
    except ConnectError as error:
        _fail(connect_error_message(error))
    click.echo(f"Koblet til {result.tripletex_company_name} som {result.user_name}.")
    missing = missing_access_text(result.missing_access)
    if missing:
        click.echo(missing)
    click.echo(f"Varsler (webhooks): {result.webhooks}")
    if no_sync:
        return
    if company_has_queue():
        run, _ = request_sync(company.id, full=True, trigger="connect")
        click.echo(f"Full synkronisering lagt i kø (kjøring {run.id}).")
    else:
        run = run_inline(company.id, full=True, trigger="connect")
        _print_run(run)


def company_has_queue() -> bool:
    from flask import current_app

    return bool(current_app.config.get("REDIS_URL"))


@tripletex_group.command("status")
@click.option("--company", "company_name", required=True)
@with_appcontext
def status_command(company_name: str) -> None:
    """Vis tilkobling og siste synkronisering."""
    from tipro.admin.tripletex_services import latest_runs
    from tipro.admin.tripletex_text import missing_access_text, webhook_text
    from tipro.extensions import db
    from tipro.tripletex.connection import connection_row
    from tipro.tripletex.sync import counts_by_type

    company = _company(company_name)
    row = connection_row(db.session, company.id)
    labels = {
        "connected": "tilkoblet",
        "needs_reconnect": "MÅ KOBLES TIL PÅ NYTT (nøkkelen virker ikke lenger)",
        "not_connected": "ikke tilkoblet",
    }
    click.echo(f"Firma: {company.name}")
    click.echo(f"Status: {labels.get(company.tripletex_status, company.tripletex_status)}")
    if company.tripletex_status != "not_connected":
        click.echo(
            f"Tripletex-bedrift: {company.tripletex_company_name} ({company.tripletex_company_id})"
        )
        if row:
            click.echo(f"Tripletex-bruker: {row.user_name} {row.user_email or ''}".rstrip())
        click.echo(f"API-nøkkel: ****{company.tripletex_token_last4}")
        if row:
            click.echo(missing_access_text(row.missing_access) or "Tilganger: alle på plass")
            click.echo(webhook_text(row.webhook_status, row.webhook_error))
            if row.last_error:
                click.echo(f"Siste feil: {row.last_error} ({row.last_error_request_id or '-'})")
    runs = latest_runs(company.id, 1)
    if runs:
        _print_run(runs[0])
    counts = counts_by_type(db.session, company.id)
    click.echo("Synkronisert: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@tripletex_group.command("disconnect")
@click.option("--company", "company_name", required=True)
@with_appcontext
def disconnect_command(company_name: str) -> None:
    """Koble fra Tripletex (data som er hentet, beholdes)."""
    from tipro.extensions import db
    from tipro.sync_jobs import settings
    from tipro.tripletex.connection import disconnect

    disconnect(db.session, _company(company_name), settings())
    click.echo("Koblet fra.")


def _print_run(run) -> None:
    duration = f"{run.duration_seconds:.1f} s" if run.duration_seconds is not None else "-"
    click.echo(
        f"Synkronisering {run.id} ({run.mode}): {run.status}, {duration}, "
        f"{run.created} nye, {run.updated} endret, {run.deactivated} deaktivert, "
        f"{run.api_calls} API-kall"
    )
    if run.error_message:
        click.echo(f"  Feil: {run.error_message} (forespørsels-ID {run.error_request_id or '-'})")


@click.command("sync")
@click.option("--company", "company_name", required=True)
@click.option("--full", is_flag=True, help="Full avstemming (finner også slettede objekter).")
@click.option("--wait", is_flag=True, help="Vent til synkroniseringen er ferdig.")
@with_appcontext
def sync_command(company_name: str, full: bool, wait: bool) -> None:
    """Synkroniser grunndata fra Tripletex (kjøres i arbeideren, eller her uten Redis)."""
    from tipro.sync_jobs import request_sync, run_inline, wait_for

    company = _company(company_name)
    if company.tripletex_status == "not_connected":
        _fail("firmaet er ikke koblet til Tripletex (tipro tripletex connect).")
    if not company_has_queue():
        run = run_inline(company.id, full=full)
    else:
        run, created = request_sync(company.id, full=full, trigger="cli")
        click.echo(
            f"Synkronisering {run.id} lagt i kø."
            if created
            else f"Synkronisering {run.id} er allerede i kø eller kjører."
        )
        if not wait:
            return
        run = wait_for(run.id)
    _print_run(run)
    if run.status != "done":
        sys.exit(1)

"""`tipro tripletex connect|status|disconnect` and `tipro sync`.

Each command is a company boundary: it finds the company by name and enters its scope.
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from tipro.commands import fail, with_company


@click.group("tripletex")
def tripletex_group() -> None:
    """Tilkobling til Tripletex."""


@tripletex_group.command("connect")
@click.option("--employee-token", required=True, help="API-nøkkelen fra Tripletex.")
@click.option("--no-sync", is_flag=True, help="Ikke start full synkronisering.")
@with_appcontext
@with_company
def connect_command(company, employee_token: str, no_sync: bool) -> None:
    """Koble et firma til Tripletex med en ansattnøkkel."""
    from tipro.extensions import db
    from tipro.sync.connection import ConnectError, connect
    from tipro.sync.services import request_sync, settings
    from tipro.sync.texts import connect_error_message, missing_access_text

    try:
        result = connect(db.session, company, employee_token, settings())
    except ConnectError as error:
        fail(connect_error_message(error))
    click.echo(f"Koblet til {result.tripletex_company_name} som {result.user_name}.")
    missing = missing_access_text(result.missing_access)
    if missing:
        click.echo(missing)
    click.echo(f"Varsler (webhooks): {result.webhooks}")
    if no_sync:
        return
    run, _ = request_sync(company.id, full=True, trigger="connect")
    if _ran_here():
        _print_run(run)
    else:
        click.echo(f"Full synkronisering lagt i kø (kjøring {run.id}).")


def _ran_here() -> bool:
    """Without Redis, tipro.jobs ran the sync in this process already."""
    from tipro.jobs import has_queue

    return not has_queue()


@tripletex_group.command("status")
@with_appcontext
@with_company
def status_command(company) -> None:
    """Vis tilkobling og siste synkronisering."""
    from tipro.extensions import db
    from tipro.sync.connection import connection_row
    from tipro.sync.services import counts_by_type, latest_runs
    from tipro.sync.texts import missing_access_text, webhook_text

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
    runs = latest_runs(1)
    if runs:
        _print_run(runs[0])
    counts = counts_by_type()
    click.echo("Synkronisert: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@tripletex_group.command("disconnect")
@with_appcontext
@with_company
def disconnect_command(company) -> None:
    """Koble fra Tripletex (data som er hentet, beholdes)."""
    from tipro.extensions import db
    from tipro.sync.connection import disconnect
    from tipro.sync.services import settings

    disconnect(db.session, company, settings())
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
@click.option("--full", is_flag=True, help="Full avstemming (finner også slettede objekter).")
@click.option("--wait", is_flag=True, help="Vent til synkroniseringen er ferdig.")
@with_appcontext
@with_company
def sync_command(company, full: bool, wait: bool) -> None:
    """Synkroniser grunndata fra Tripletex (kjøres i arbeideren, eller her uten Redis)."""
    from tipro.sync.services import request_sync, wait_for

    if company.tripletex_status == "not_connected":
        fail("firmaet er ikke koblet til Tripletex (tipro tripletex connect).")
    run, created = request_sync(company.id, full=full, trigger="cli")
    if not _ran_here():
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

"""`tipro transfer payroll|orders --company NAME --period YYYY-MM [--dry-run] [--wait]` and
`tipro transfer status --company NAME`.

Each command is a company boundary (tipro.commands.with_company). Without Redis the batch runs
here and now; with a worker, --wait follows the batch row and prints its progress.
"""

from __future__ import annotations

import sys
import time

import click
from flask.cli import with_appcontext

from tipro.commands import fail, with_company

KIND_LABELS = {"payroll": "lønnsgrunnlag", "orders": "ordre"}


@click.group("transfer")
def transfer_group() -> None:
    """Overføring av godkjente timer til Tripletex."""


def _start(company, kind: str, period: str, dry_run: bool, wait: bool) -> None:
    from tipro import jobs
    from tipro.errors import UserError
    from tipro.transfers import services

    if company.tripletex_status == "not_connected":
        fail("firmaet er ikke koblet til Tripletex (tipro tripletex connect).")
    try:
        month = services.parse_month(period)
        batch = services.start(None, kind, month, dry_run=dry_run)
    except UserError as error:
        fail(error.message)
    if dry_run:
        _print_plan(batch)
        return
    if jobs.has_queue():
        click.echo(f"Overføring {batch.id} ({KIND_LABELS[kind]} {batch.month_key}) lagt i kø.")
        if not wait:
            return
        batch = _follow(batch.id)
    _print_batch(batch)
    if batch.state != "done":
        sys.exit(1)


def _follow(batch_id: int):
    from tipro.extensions import db
    from tipro.models.transfer import BATCH_ACTIVE, TransferBatch
    from tipro.transfers import services

    shown = None
    while True:
        db.session.expire_all()
        batch = db.session.get(TransferBatch, batch_id)
        counts = services.state_counts(batch_id)
        db.session.commit()
        line = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        if line != shown:
            click.echo(f"  {batch.state}: {line}")
            shown = line
        if batch.state not in BATCH_ACTIVE:
            return batch
        time.sleep(0.5)


def _print_plan(batch) -> None:
    from collections import Counter

    from tipro.transfers import services

    changes = Counter(item.change for item in services.items_of(batch.id))
    click.echo(
        f"Prøvekjøring {batch.id} ({KIND_LABELS[batch.kind]} {batch.month_key}): "
        f"{batch.total_items} linjer — "
        + ", ".join(f"{k} {v}" for k, v in sorted(changes.items()))
        + ". Ingenting er sendt."
    )


def _print_batch(batch) -> None:
    from tipro.transfers import services

    click.echo(
        f"Overføring {batch.id} ({KIND_LABELS[batch.kind]} {batch.month_key}): {batch.state}, "
        f"{batch.total_items} linjer, {batch.confirmed_count} bekreftet, "
        f"{batch.unchanged_count} uendret, {batch.failed_count} feilet, "
        f"{batch.needs_check_count} må sjekkes, {batch.api_calls} API-kall"
    )
    if batch.error_message:
        click.echo(f"  Feil: {batch.error_message}")
    for item in services.items_of(batch.id, ("failed", "needs_check")):
        click.echo(f"  {item.key}: {item.error_message or item.state}")
        if item.hint:
            click.echo(f"    Slik retter du: {item.hint}")


def _kind_command(kind: str):
    @transfer_group.command(kind)
    @click.option("--period", required=True, help="Måneden, ÅÅÅÅ-MM.")
    @click.option("--dry-run", is_flag=True, help="Vis hva som ville blitt sendt; send ingenting.")
    @click.option("--wait", is_flag=True, help="Følg overføringen til den er ferdig.")
    @with_appcontext
    @with_company
    def command(company, period: str, dry_run: bool, wait: bool) -> None:
        _start(company, kind, period, dry_run, wait)

    command.__doc__ = f"Overfør {KIND_LABELS[kind]} for en måned."
    command.help = command.__doc__
    return command


payroll_command = _kind_command("payroll")
orders_command = _kind_command("orders")


@transfer_group.command("status")
@with_appcontext
@with_company
def status_command(company) -> None:
    """Vis de siste overføringene."""
    from tipro.transfers import services

    rows = services.batches(limit=10)
    if not rows:
        click.echo("Ingen overføringer ennå.")
        return
    for batch in rows:
        if batch.dry_run:
            _print_plan(batch)
        else:
            _print_batch(batch)

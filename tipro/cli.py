"""The `tipro` command: start, worker, database, companies and users."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo, routes_command, shell_command, with_appcontext

from tipro import create_app
from tipro.commands import fail, with_company


def _create_app(*_args) -> Flask:
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def cli() -> None:
    """TiPro – timeregistrering for Tripletex."""


cli.add_command(shell_command)
cli.add_command(routes_command)


@cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="Start ikke RQ-arbeideren.")
def run_command(host: str, port: int, no_worker: bool) -> None:
    """Start TiPro alt-i-ett: innebygd Redis, arbeider og web."""
    from tipro.launcher import Launcher

    Launcher(current_app.instance_path, host=host, port=port, worker=not no_worker).run()


@cli.command("worker")
@click.option("--burst", is_flag=True, help="Avslutt når køen er tom.")
def worker_command(burst: bool) -> None:
    """Start en RQ-arbeider (med planlegger) for samme konfigurasjon."""
    from tipro.jobs import RedisNotConfigured, run_worker

    try:
        if not burst:
            from tipro.approvals.reminder_jobs import ensure_schedule as ensure_reminders
            from tipro.sync.jobs import ensure_schedule

            ensure_schedule()  # a worker started on its own also keeps the sync schedule going
            ensure_reminders()  # and the hourly check for the weekly reminder e-mails
        run_worker(current_app._get_current_object(), burst=burst)
    except RedisNotConfigured as error:
        fail(str(error))


@cli.group("company")
def company_group() -> None:
    """Firmaer."""


@company_group.command("create")
@click.argument("name")
@with_appcontext
def company_create(name: str) -> None:
    """Opprett et firma."""
    from tipro.auth.services import create_company
    from tipro.errors import UserError

    try:
        company = create_company(name)
    except UserError as error:
        fail(error.message)
    click.echo(f"Firma opprettet: {company.name} (id {company.id})")


@cli.group("user")
def user_group() -> None:
    """Brukere."""


@user_group.command("create")
@click.option("--email", required=True)
@click.option("--role", default="employee", show_default=True, help="employee|approver|admin")
@click.option("--name", default="")
@click.option("--password", default=None, help="Genereres og skrives ut hvis utelatt.")
@with_appcontext
@with_company
def user_create(company, email: str, role: str, name: str, password: str | None) -> None:
    """Opprett en bruker i et firma."""
    from tipro.auth.services import create_user, generate_password
    from tipro.errors import UserError

    generated = password is None
    password = password or generate_password()
    try:
        user = create_user(company, email, role, password=password, name=name)
    except UserError as error:
        fail(error.message)
    click.echo(f"Bruker opprettet: {user.email} ({user.role}) i {company.name}")
    if generated:
        click.echo(f"Passord: {password}")


@user_group.command("set-password")
@click.option("--email", required=True)
@click.option("--password", default=None, help="Genereres og skrives ut hvis utelatt.")
@with_appcontext
def user_set_password(email: str, password: str | None) -> None:
    """Sett nytt passord for en bruker."""
    from sqlalchemy import select

    from tipro.auth.services import generate_password, normalise_email, set_password
    from tipro.errors import UserError
    from tipro.extensions import db
    from tipro.models import User

    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        fail(f"Fant ingen bruker med e-post {email}.")
    generated = password is None
    password = password or generate_password()
    try:
        set_password(user, password)
    except UserError as error:
        fail(error.message)
    click.echo(f"Nytt passord satt for {user.email}.")
    if generated:
        click.echo(f"Passord: {password}")


@cli.group("entries")
def entries_group() -> None:
    """Timeføringer."""


@entries_group.command("import")
@click.option("--as", "actor_email", default=None, help="Administrator som står som importør.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
@with_company
def entries_import(company, actor_email: str | None, file: str) -> None:
    """Importer timer fra CSV eller XLSX: alt eller ingenting, aldri dobbelt."""
    from pathlib import Path

    from tipro.entries.importer import find_actor, format_result, import_file
    from tipro.errors import UserError

    try:
        result = import_file(company, Path(file), actor=find_actor(company, actor_email))
    except UserError as error:
        fail(error.message)
    for line in format_result(result):
        click.echo(line, err=not result.ok)
    if not result.ok:
        sys.exit(1)


def _register_optional_commands() -> None:
    """Commands from feature packages (registered here so `tipro --help` lists them)."""
    from tipro.approvals.cli import approve_command, periods_command
    from tipro.demo import demo_command
    from tipro.sync.cli import sync_command, tripletex_group
    from tipro.transfers.cli import transfer_group

    cli.add_command(approve_command)
    cli.add_command(periods_command)
    cli.add_command(tripletex_group)
    cli.add_command(sync_command)
    cli.add_command(transfer_group)
    cli.add_command(demo_command)
    try:
        from tipro.sandbox.cli import sandbox_command
    except ImportError:  # the sandbox package is optional for a slim install
        return
    cli.add_command(sandbox_command)


_register_optional_commands()


def main() -> None:
    cli(obj=ScriptInfo(create_app=_create_app, set_debug_flag=False))


if __name__ == "__main__":
    main()

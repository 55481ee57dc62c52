"""What every `tipro` command shares, the core's and the feature packages' alike.

A module of its own so that feature packages (tipro/sync/cli.py, …) can use it without
importing tipro.cli, which imports them to register their commands.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable

import click


def fail(message: str) -> None:
    """Print a Norwegian error and exit with status 1."""
    click.echo(f"Feil: {message}", err=True)
    sys.exit(1)


def with_company(command: Callable) -> Callable:
    """Give a command `--company NAME`: it runs inside that company's scope, given `company`.

    The CLI's one boundary for the company scope (as the request is for routes and the job
    wrapper for jobs); put it under `@with_appcontext`.
    """

    @functools.wraps(command)
    def scoped(*args, company_name: str, **kwargs):
        from tipro import writes
        from tipro.auth.services import find_company
        from tipro.errors import UserError
        from tipro.tenancy import company_scope

        # A command may write: on SQLite its transactions begin IMMEDIATE (tipro.writes).
        with writes.write_intent():
            try:
                company = find_company(company_name)
            except UserError as error:
                fail(error.message)
            with company_scope(company.id):
                return command(*args, company=company, **kwargs)

    return click.option("--company", "company_name", required=True, help="Firmanavn.")(scoped)

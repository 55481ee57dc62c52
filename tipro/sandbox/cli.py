"""`tipro sandbox`: serve the Tripletex emulator until Ctrl-C."""

from __future__ import annotations

import click

from .seed import SEEDS


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8090, show_default=True, type=int, help="Port (0 = any free).")
@click.option("--seed", type=click.Choice(SEEDS), default="demo", show_default=True)
@click.option("--consumer-token", envvar="TIPRO_SANDBOX_CONSUMER_TOKEN", default=None)
@click.option("--employee-token", envvar="TIPRO_SANDBOX_EMPLOYEE_TOKEN", default=None)
@click.option(
    "--spec",
    "spec_path",
    envvar="TIPRO_TRIPLETEX_SPEC",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Official Tripletex openapi.json; without it requests are not validated.",
)
def sandbox_command(
    host: str,
    port: int,
    seed: str,
    consumer_token: str | None,
    employee_token: str | None,
    spec_path: str | None,
) -> None:
    """Run a Tripletex API v2 sandbox with a seeded demo company."""
    from .server import SandboxServer

    server = SandboxServer(
        host=host,
        port=port,
        spec_path=spec_path,
        seed=seed,
        consumer_token=consumer_token,
        employee_token=employee_token,
    )
    state = server.state
    click.echo(f"Tripletex sandbox: {server.base_url}")
    click.echo(f"consumer token:    {state.consumer_token}")
    click.echo(f"employee token:    {state.employee_token}")
    click.echo(f"spec validation:   {'on (' + spec_path + ')' if spec_path else 'OFF'}")
    click.echo("Ctrl-C to stop.", nl=True)
    try:
        server._thread.join() if server._thread else None  # noqa: SLF001
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()

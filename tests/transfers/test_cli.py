"""`tipro transfer payroll|status` (inline, without a worker) against the sandbox."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.transfers.conftest import tx_totals, writes
from tipro.cli import cli


@pytest.fixture
def no_queue(app):
    saved = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = None
    yield
    app.config["REDIS_URL"] = saved


def test_cli_dry_run_then_transfer_then_status(month_world, runner, no_queue):
    world, totals = month_world
    name = world.company.name
    dry = runner.invoke(
        cli, ["transfer", "payroll", "--company", name, "--period", "2026-11", "--dry-run"]
    )
    assert dry.exit_code == 0, dry.output
    assert "Ingenting er sendt" in dry.output and "new " in dry.output
    assert writes(world) == 0

    real = runner.invoke(
        cli, ["transfer", "payroll", "--company", name, "--period", "2026-11", "--wait"]
    )
    assert real.exit_code == 0, real.output
    assert ": done," in real.output
    assert tx_totals(world)[0] == totals["hours"]

    status = runner.invoke(cli, ["transfer", "status", "--company", name])
    assert status.exit_code == 0
    assert "Prøvekjøring" in status.output and "bekreftet" in status.output


def test_cli_refuses_a_bad_month_and_exits_non_zero_when_items_fail(month_world, runner, no_queue):
    world, _totals = month_world
    name = world.company.name
    bad = runner.invoke(cli, ["transfer", "payroll", "--company", name, "--period", "2026-13"])
    assert bad.exit_code == 1
    assert "ÅÅÅÅ-MM" in bad.output
    world.tripletex_modules(salary=False)  # the overtime specification is refused (403)
    partial = runner.invoke(cli, ["transfer", "payroll", "--company", name, "--period", "2026-11"])
    assert partial.exit_code == 1, partial.output
    assert "Slik retter du" in partial.output


def test_cli_transfers_orders(month_world, runner, no_queue):
    world, totals = month_world
    name = world.company.name
    result = runner.invoke(cli, ["transfer", "orders", "--company", name, "--period", "2026-11"])
    assert result.exit_code == 0, result.output
    assert "ordre 2026-11" in result.output and ": done," in result.output
    lines = [
        line
        for order in world.sandbox.state.all("order")
        for ref in order["orderLines"]
        for line in [world.sandbox.state.get("orderLine", ref["id"])]
    ]
    assert sum(line["count"] for line in lines) == float(totals["hours"] - Decimal("7.5"))

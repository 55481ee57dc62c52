"""`tipro tripletex connect|status` and `tipro sync` against the sandbox."""

from __future__ import annotations

from tipro.cli import cli
from tipro.models import Company
from tipro.sync.jobs import run_sync
from tipro.sync.services import active_run


def test_cli_connect_status_and_sync(tx_app, sandbox, runner, db, make_company):
    company = make_company("Fjellheim CLI AS")
    result = runner.invoke(
        cli,
        args=[
            "tripletex",
            "connect",
            "--company",
            company.name,
            "--employee-token",
            sandbox.state.employee_token,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Koblet til Fjellheim Bygg AS som Ingrid Fjellheim." in result.output
    run = active_run(company.id)
    assert run is not None and run.mode == "full"
    assert run_sync(run.company_id, run.id) == "done"

    status = runner.invoke(cli, args=["tripletex", "status", "--company", company.name])
    assert status.exit_code == 0, status.output
    assert "Status: tilkoblet" in status.output
    assert f"****{sandbox.state.employee_token[-4:]}" in status.output
    assert sandbox.state.employee_token not in status.output
    assert "employees 12" in status.output

    queued = runner.invoke(cli, args=["sync", "--company", company.name])
    assert queued.exit_code == 0 and "lagt i kø" in queued.output
    again = runner.invoke(cli, args=["sync", "--company", company.name, "--full"])
    assert "allerede i kø eller kjører" in again.output  # one sync per company
    assert active_run(company.id).mode == "full"  # upgraded to the full one asked for


def test_cli_connect_with_a_bad_token_fails_clearly(tx_app, sandbox, runner, db, make_company):
    company = make_company("Fjellheim CLI 2 AS")
    result = runner.invoke(
        cli, args=["tripletex", "connect", "--company", company.name, "--employee-token", "  "]
    )
    assert result.exit_code == 1
    assert "Feil: Lim inn API-nøkkelen fra Tripletex før du lagrer." in result.output
    assert db.session.get(Company, company.id).tripletex_status == "not_connected"

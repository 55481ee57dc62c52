"""`tipro approve` and `tipro periods`: what they approve, what they list, exit codes, messages.

Pre-flight is replaced by a stand-in (its checks are tested in tests/approvals): by default
it finds nothing; `blocked` makes it report a blocking problem for one person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pytest
from sqlalchemy import select

from tests.factories import DAY, in_company, lock_period, new_entry, new_user, submit_week
from tipro import clock
from tipro.approvals import preflight
from tipro.cli import cli
from tipro.extensions import db
from tipro.models import AuditEvent, Period


@dataclass(frozen=True)
class Stand:
    code: str
    blocking: bool = True
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        return f"Kari mangler arbeidsforhold ({self.code})"

    @property
    def hint(self) -> str:
        return "Tripletex: Ansatte › Arbeidsforhold"

    def as_dict(self) -> dict:
        return {"code": self.code, "blocking": self.blocking, "params": self.params}


@pytest.fixture
def blocked(monkeypatch):
    """User ids whose pre-flight finds a blocking problem."""
    ids: set[int] = set()
    monkeypatch.setattr(
        preflight,
        "check",
        lambda user, *a, **k: [Stand("no_employment")] if user.id in ids else [],
    )
    return ids


@pytest.fixture
def world(build_hours_world, blocked):
    with clock.pinned(datetime(2026, 10, 1, 9)):
        scene = build_hours_world(DAY)
    with in_company(scene.company):
        for who in (scene.user, scene.colleague):
            new_entry(who, date(2026, 11, 10), "7.5", project_id=scene.project.id)
            submit_week(who, date(2026, 11, 10))
    yield scene


def invoke(runner, *args):
    with clock.pinned(datetime(2026, 11, 18, 12)):
        return runner.invoke(cli, list(args))


def _state(period_id) -> str:
    db.session.expire_all()
    return db.session.get(Period, period_id).state


def _periods(world):
    db.session.expire_all()
    return {
        (p.user_id, p.first_day): p.state
        for p in db.session.scalars(select(Period).where(Period.company_id == world.company.id))
    }


def test_approve_a_week(runner, world):
    result = invoke(runner, "approve", "--company", world.company.name, "--period", "2026-W46")
    assert result.exit_code == 0, result.output
    assert f"Godkjenner som Anne Admin <{world.admin.email}>." in result.output
    assert f"Godkjent: Kari Nordmann <{world.user.email}>, uke 46 (9.11.–15.11.2026)" in (
        result.output
    )
    assert "Godkjent: Ola Nordmann" in result.output
    assert set(_periods(world).values()) == {"approved"}
    approvals = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "period", AuditEvent.action == "approve")
    ).all()
    assert {e.user_id for e in approvals} == {world.admin.id}


def test_blocking_problems_approve_nothing(runner, world, blocked):
    blocked.add(world.user.id)
    result = invoke(runner, "approve", "--company", world.company.name, "--period", "2026-W46")
    assert result.exit_code == 1
    assert "Ingenting er godkjent" in result.output
    assert f"Kari Nordmann <{world.user.email}>:" in result.output
    assert "uke 46 (9.11.–15.11.2026):" in result.output
    assert (
        "- Kari mangler arbeidsforhold (no_employment) (Tripletex: Ansatte › Arbeidsforhold)"
        in result.output
    )
    assert "Ola Nordmann" not in result.output
    assert set(_periods(world).values()) == {"submitted"}


def test_all_clean_approves_the_rest_and_lists_the_skipped(runner, world, blocked):
    blocked.add(world.user.id)
    result = invoke(
        runner, "approve", "--company", world.company.name, "--period", "2026-W46", "--all-clean"
    )
    assert result.exit_code == 1
    assert "Godkjent: Ola Nordmann" in result.output
    assert f"Hoppet over: Kari Nordmann <{world.user.email}>, uke 46" in result.output
    assert "- Kari mangler arbeidsforhold (no_employment)" in result.output
    assert "1 godkjent, 1 hoppet over." in result.output
    states = _periods(world)
    assert states[(world.colleague.id, date(2026, 11, 9))] == "approved"
    assert states[(world.user.id, date(2026, 11, 9))] == "submitted"

    blocked.clear()
    result = invoke(
        runner, "approve", "--company", world.company.name, "--period", "2026-W46", "--all-clean"
    )
    assert result.exit_code == 0, result.output
    assert "1 godkjent, 0 hoppet over." in result.output


def test_one_employee(runner, world):
    result = invoke(
        runner,
        "approve",
        "--company",
        world.company.name,
        "--period",
        "2026-W46",
        "--employee",
        world.colleague.email.upper(),
    )
    assert result.exit_code == 0, result.output
    states = _periods(world)
    assert states[(world.colleague.id, date(2026, 11, 9))] == "approved"
    assert states[(world.user.id, date(2026, 11, 9))] == "submitted"
    result = invoke(
        runner,
        "approve",
        "--company",
        world.company.name,
        "--period",
        "2026-W46",
        "--employee",
        "ingen@example.no",
    )
    assert result.exit_code == 1
    assert "fant ingen bruker med e-post ingen@example.no" in result.output


def test_a_month_takes_the_weeks_across_its_ends(runner, world):
    kari = world.user
    with in_company(world.company, datetime(2026, 12, 10, 12)):
        for day in (date(2026, 10, 21), date(2026, 10, 28), date(2026, 12, 1), date(2026, 12, 8)):
            new_entry(kari, day, "7.5", project_id=world.project.id)
            submit_week(kari, day)
    with clock.pinned(datetime(2026, 12, 10, 12)):
        result = runner.invoke(
            cli, ["approve", "--company", world.company.name, "--period", "2026-11"]
        )
    assert result.exit_code == 0, result.output
    states = {first: s for (uid, first), s in _periods(world).items() if uid == kari.id}
    assert states == {
        date(2026, 10, 19): "submitted",  # week 43: all in October
        date(2026, 10, 26): "approved",  # week 44: 26 October – 1 November
        date(2026, 11, 9): "approved",
        date(2026, 11, 30): "approved",  # week 49: 30 November – 6 December
        date(2026, 12, 7): "submitted",  # week 50
    }


def test_nothing_waiting(runner, world):
    result = invoke(runner, "approve", "--company", world.company.name, "--period", "2026-W45")
    assert result.exit_code == 0
    assert "Ingen innsendte perioder venter i uke 45 (2.11.–8.11.2026)." in result.output


def test_refusals(runner, world, build_hours_world):
    no_admin = build_hours_world(DAY)
    no_admin.admin.role = "approver"
    db.session.commit()
    cases = [
        (["--company", no_admin.company.name, "--period", "2026-W46"], "ingen aktiv administrator"),
        (["--company", world.company.name, "--period", "2026-13"], "Ugyldig periode"),
        (["--company", world.company.name, "--period", "uke 46"], "Ugyldig periode"),
        (["--company", "Finnes Ikke AS", "--period", "2026-W46"], "Fant ikke firmaet"),
    ]
    for args, message in cases:
        result = invoke(runner, "approve", *args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
    result = invoke(runner, "periods", "--company", world.company.name, "--period", "x")
    assert result.exit_code == 1 and "Ugyldig periode" in result.output
    assert set(_periods(world).values()) == {"submitted"}


def test_periods_lists_every_person(runner, world):
    with in_company(world.company):
        berit = world.approver
        new_entry(berit, date(2026, 11, 3), "5", project_id=world.project.id)
        lock_period(berit, date(2026, 11, 3), "returned")
        lock_period(world.admin, date(2026, 11, 10), "reopened")
        new_user(world.company, "employee", name="Borte", is_enabled=False)
    result = invoke(runner, "periods", "--company", world.company.name, "--period", "2026-11")
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"{world.company.name}: november 2026 (uker)" in out
    kari = out.split(f"Kari Nordmann <{world.user.email}>")[1].split("Ola Nordmann")[0]
    assert "  uke 44 (26.10.–1.11.2026): ikke sendt inn, 0,0 t" in kari
    assert "  uke 46 (9.11.–15.11.2026): sendt inn, 7,5 t" in kari
    assert "  uke 47 (16.11.–22.11.2026): ikke sendt inn, 0,0 t" in kari
    assert "uke 48" not in kari  # has not begun
    assert "uke 45 (2.11.–8.11.2026): sendt tilbake, 5,0 t" in out
    assert "uke 46 (9.11.–15.11.2026): åpnet igjen, 0,0 t" in out
    assert "Borte" not in out

    invoke(runner, "approve", "--company", world.company.name, "--period", "2026-W46")
    result = invoke(runner, "periods", "--company", world.company.name, "--period", "2026-W46")
    assert (
        f"Ola Nordmann <{world.colleague.email}>\n  uke 46 (9.11.–15.11.2026): godkjent, 7,5 t"
        in (result.output)
    )

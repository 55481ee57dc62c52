"""Fixtures for the transfer tests: the synced demo company (tests/approvals) with a month of
approved hours, and helpers that read what the sandbox holds."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from tests.approvals.conftest import TxWorld, connected, tx_app, tx_world  # noqa: F401
from tests.factories import lock_period
from tipro.extensions import db as _db
from tipro.models import TimeEntry

MONTH = date(2026, 11, 1)
# Working days of the scene (the clocks stand at 2026-11-18 noon).
DAYS = [date(2026, 11, d) for d in (2, 3, 4, 5, 6, 9, 10)]


def approve_month(world: TxWorld, user) -> None:
    """The user's November as an approved month period (its entries approved)."""
    lock_period(user, MONTH, "approved", kind="month")


def scene(world: TxWorld) -> dict[str, Decimal]:
    """Kari and Ola with a week and a half of approved hours, overtime and a holiday.

    Returns TiPro's approved totals per key kind: hours on entries, overtime counts.
    """
    kari, ola = world.employee, world.colleague
    for day in DAYS:
        world.entry(kari, day, "4", state="approved", comment="Riving")
        # A second entry on the same key: Tripletex gets ONE entry with the total.
        world.entry(kari, day, "3.5", state="approved")
        world.entry(ola, day, "7.25", project="1001", state="approved")
    extra = world.entry(kari, date(2026, 11, 11), "9", state="approved")
    world.supplement(extra, world.overtime, "1.5")
    holiday = world.absence(date(2026, 11, 12), "7.5")
    holiday.state = "approved"
    _db.session.commit()
    approve_month(world, kari)
    approve_month(world, ola)
    return {
        "hours": Decimal("7.5") * 7 + Decimal("7.25") * 7 + 9 + Decimal("7.5"),
        "overtime": Decimal("1.5"),
    }


def tx_entries(world: TxWorld) -> list[dict]:
    """The sandbox's timesheet entries of the scene's month."""
    return [e for e in world.sandbox.state.all("timesheetEntry") if e["date"].startswith("2026-11")]


def tx_totals(world: TxWorld) -> tuple[Decimal, int, Decimal]:
    """(hours, duplicate keys, overtime count) as the sandbox holds them."""
    entries = tx_entries(world)
    keys = Counter(
        (
            e["employee"]["id"],
            e["date"],
            (e.get("project") or {}).get("id"),
            e["activity"]["id"],
        )
        for e in entries
    )
    hours = sum((Decimal(str(e["hours"])) for e in entries), Decimal("0"))
    specs = tx_specs(world, "salaryTypeSpecification") + tx_specs(
        world, "salaryProjectTypeSpecification"
    )
    overtime = sum((Decimal(str(s["count"])) for s in specs), Decimal("0"))
    return hours, sum(n - 1 for n in keys.values()), overtime


def tx_specs(world: TxWorld, kind: str) -> list[dict]:
    """The sandbox's salary-type specifications of one kind in the scene's month."""
    return [s for s in world.sandbox.state.all(kind) if s["date"].startswith("2026-11")]


def tipro_hours(world: TxWorld) -> Decimal:
    """TiPro's approved or transferred hours in the month."""
    from sqlalchemy import func, select

    return _db.session.scalar(
        select(func.sum(TimeEntry.hours)).where(
            TimeEntry.state.in_(("approved", "transferred")),
            TimeEntry.date >= MONTH,
            TimeEntry.date < date(2026, 12, 1),
        )
    ) or Decimal("0")


def writes(world: TxWorld) -> int:
    """Write requests the sandbox logged."""
    state = world.sandbox.state
    return sum(state.count_calls(m) for m in ("POST", "PUT", "DELETE")) - state.count_calls(
        "PUT", "/token/session"
    )


@pytest.fixture
def month_world(tx_world):  # noqa: F811
    """tx_world with the November scene; returns (world, totals)."""
    return tx_world, scene(tx_world)

"""The timesheet mode end to end against the sandbox over HTTP: exactly once."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from tests.transfers.conftest import MONTH, tipro_hours, tx_totals, writes
from tipro.extensions import db as _db
from tipro.models import TimeEntry, TransferItem
from tipro.transfers import services


def _run(world, **kw):
    batch = services.start(world.admin, "payroll", MONTH, enqueue_job=False, **kw)
    if batch.dry_run:
        return batch
    return services.run_inline(batch.id)


def test_a_month_is_transferred_exactly_once(month_world):
    world, totals = month_world
    batch = _run(world)
    assert batch.state == "done", [(i.key, i.state, i.error_message) for i in batch.items]
    hours, duplicates, overtime = tx_totals(world)
    assert hours == totals["hours"] == tipro_hours(world)
    assert duplicates == 0
    assert overtime == totals["overtime"]
    # Two entries on one key became one Tripletex entry holding the total.
    assert batch.confirmed_count == batch.total_items
    states = _db.session.scalars(select(TimeEntry.state).distinct()).all()
    assert set(states) == {"transferred"}
    # Creates went through the /list endpoint in one chunk.
    assert world.sandbox.state.count_calls("POST", "/timesheet/entry/list") == 1
    assert world.sandbox.state.violations == []


def test_running_again_sends_no_write(month_world):
    world, _totals = month_world
    _run(world)
    before = writes(world)
    again = _run(world)
    assert again.state == "done"
    assert again.unchanged_count == again.total_items > 0
    assert writes(world) == before


def test_dry_run_sends_nothing_and_matches_the_real_run(month_world):
    world, _totals = month_world
    before = writes(world)
    dry = _run(world, dry_run=True)
    assert dry.state == "planned" and dry.total_items > 0
    assert writes(world) == before
    assert tx_totals(world)[0] == 0
    real = _run(world)

    def plan_of(batch_id):
        return sorted(
            _db.session.execute(
                select(TransferItem.key, TransferItem.operation, TransferItem.payload_hash).where(
                    TransferItem.batch_id == batch_id
                )
            ).all()
        )

    assert plan_of(dry.id) == plan_of(real.id)
    sent = _db.session.scalar(
        select(func.count()).where(
            TransferItem.batch_id == real.id, TransferItem.state == "confirmed"
        )
    )
    assert sent == dry.total_items
    assert Decimal(tx_totals(world)[0]) > 0


def test_no_transaction_is_open_while_tripletex_is_called(month_world):
    """STYLE.md: never hold a database transaction open across a Tripletex request."""
    from tipro.sync.connection import build_client
    from tipro.sync.services import settings
    from tipro.transfers.runner import Runner

    world, _totals = month_world
    world.tripletex_faults(
        {"rules": [{"kind": "lost", "times": 1, "path_prefix": "/timesheet/entry/list"}]}
    )
    open_during: list[str] = []

    def factory(company, note):
        def on_request(entry):
            if _db.session().in_transaction():
                open_during.append(f"{entry.method} {entry.path}")
            note(entry)

        return build_client(_db.session, company, settings(), on_request=on_request)

    batch = services.start(world.admin, "payroll", MONTH, enqueue_job=False)
    done = Runner(batch.id, factory).run()
    assert done.state == "done"
    assert world.sandbox.state.count_calls("GET", "/timesheet/entry") >= 1  # it reconciled
    assert open_during == []


def test_the_period_shows_when_it_was_transferred(month_world):
    from tests.transfers.conftest import DAYS

    world, _totals = month_world
    kari = world.employee
    assert services.transferred_at(kari.id, DAYS[0], DAYS[-1]) is None
    _run(world)
    assert services.transferred_at(kari.id, DAYS[0], DAYS[-1]) is not None
    rows = services.export_rows(services.batches(1)[0].id)
    assert rows and all(r["tripletex_id"] for r in rows)

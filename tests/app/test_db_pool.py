"""Pooled PostgreSQL connections: pinged only after sitting idle, never on every request."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import QueuePool

from tests.conftest import PG_ADMIN_URL, require_postgres
from tipro.config import engine_options
from tipro.extensions import ping_idle_connections


@pytest.fixture
def engine():
    require_postgres()  # the pool under test is PostgreSQL's: fail, never skip, without it
    engine = create_engine(PG_ADMIN_URL, poolclass=QueuePool, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def terminate(pid: int) -> None:
    admin = create_engine(PG_ADMIN_URL)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_no_pre_ping_for_postgres():
    options = engine_options("postgresql+psycopg://example/db")
    assert "pool_pre_ping" not in options
    assert options["pool_recycle"] > 0


def test_a_connection_that_died_while_idle_is_replaced_before_use(engine):
    ping_idle_connections(engine, 0)
    dead = backend_pid(engine)
    terminate(dead)  # the server restarted, or a firewall dropped the idle connection
    assert backend_pid(engine) != dead  # the request got a live connection, no error


def test_a_connection_in_steady_use_is_not_pinged(engine):
    ping_idle_connections(engine, 60)
    pings = []
    engine.dialect.do_ping = lambda conn: pings.append(conn) or True  # instance only
    for _ in range(3):
        backend_pid(engine)
    assert pings == []

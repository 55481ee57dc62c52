"""Serialised writes: the one mechanism that keeps rules spanning rows true under parallel requests.

A rule such as "at most 24 hours per person per day" or "no open entry in a submitted week"
reads rows and then writes one. Two requests doing that at the same moment must not both
read the old state. Every writer of such a rule calls `serialise(Model, id)` before it reads:

- PostgreSQL: a row lock (`SELECT … FOR UPDATE`) on the row that stands for the rule's scope
  (the user for their hours and weeks, the company for its runs). Writers of the same scope
  wait for each other; everybody else goes on.
- SQLite (the embedded default) has no row locks, and a transaction that reads first and
  writes later fails with "database is locked" when another writer got there first. So on
  SQLite a transaction that may write begins `IMMEDIATE` (SQLite's one write lock, taken before
  the first read; others wait for it up to the busy timeout), readers never wait (WAL), and
  `serialise()` upgrades a transaction that began as a plain read.

Requests with an unsafe method, jobs and CLI commands declare `write_intent()` at their
boundary, so their transactions begin IMMEDIATE from the start on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, g, request
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from tipro.extensions import db

_write_intent: ContextVar[bool] = ContextVar("tipro_write_intent", default=False)
_IMMEDIATE = "tipro_begun_immediate"


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def init_app(app: Flask) -> None:
    """Install on the app's engine; requests that may write declare it at their start."""
    with app.app_context():
        install(db.engine)

    @app.before_request
    def _declare_write_intent() -> None:
        if request.method in UNSAFE_METHODS:
            g.tipro_write_intent = set_write_intent()

    @app.teardown_request
    def _end_write_intent(_error=None) -> None:
        token = g.pop("tipro_write_intent", None)
        if token is not None:
            reset_write_intent(token)


def install(engine: Engine) -> None:
    """Set up an SQLite engine for serialised writes (no-op for other databases)."""
    if engine.dialect.name != "sqlite" or event.contains(engine, "begin", _begin):
        return
    event.listen(engine, "connect", _connect)
    event.listen(engine, "begin", _begin)


def _connect(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling would BEGIN (deferred) behind our back and breaks
    # SAVEPOINT; let SQLAlchemy's "begin" event emit the BEGIN we choose.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL: readers never wait for the writer, and the writer never waits for readers.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin(conn) -> None:
    immediate = _write_intent.get()
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
    conn.info[_IMMEDIATE] = immediate


def set_write_intent():
    """Declare that this unit of work may write; returns a token for reset_write_intent()."""
    return _write_intent.set(True)


def reset_write_intent(token) -> None:
    _write_intent.reset(token)


@contextmanager
def write_intent() -> Iterator[None]:
    """A block (a job, a CLI command) whose transactions may write."""
    token = set_write_intent()
    try:
        yield
    finally:
        reset_write_intent(token)


def serialise(model, ident: int) -> None:
    """Wait for, then hold until commit, the write lock for the scope `model` row `ident`.

    Call it first in a unit of work, before reading what the rule depends on and before
    writing anything.
    """
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        _ensure_immediate(connection)
        return
    if _held(model, ident):
        return
    db.session.execute(select(model.id).where(model.id == ident).with_for_update())


_HELD = "tipro_held_lock"


def hold(model, ident: int) -> None:
    """Note that this transaction took `model` row `ident`'s write lock with a statement of its
    own (`SELECT … FOR UPDATE OF`, as `serialise` would): `serialise` then sends nothing. The
    note ends with the transaction (a commit or rollback begins a new one)."""
    db.session.info[_HELD] = (db.session().get_transaction(), model.__tablename__, ident)


def _held(model, ident: int) -> bool:
    held = db.session.info.get(_HELD)
    return (
        held is not None
        and held[0] is not None
        and held[0] is db.session().get_transaction()
        and held[1:] == (model.__tablename__, ident)
    )


def _ensure_immediate(connection) -> None:
    if connection.info.get(_IMMEDIATE) or connection.in_nested_transaction():
        # Already the writer; or inside a transaction we do not own (a test's outer one).
        return
    # The transaction began as a plain read and has written nothing yet (serialise() comes
    # first): end it and take the write lock on the same connection.
    if connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("COMMIT")
    connection.exec_driver_sql("BEGIN IMMEDIATE")
    connection.info[_IMMEDIATE] = True

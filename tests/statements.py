"""The SQL statements a block sends, for tests that bound or inspect what a request or run does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

# The test harness wraps each test in a transaction; those SAVEPOINT/RELEASE statements are
# its own (in production a request begins and commits its transaction without them).
_HARNESS = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I)


@contextmanager
def counted() -> Iterator[list[str]]:
    """Collect the statements sent while the block runs (without the harness's savepoints)."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _many):
        if not _HARNESS.match(statement):
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)

"""gunicorn config for the bench: counts the SQL statements each request sends.

Loaded with `gunicorn -c bench/gunicorn_sql.py`; the app itself knows nothing of it. Every
worker listens to SQLAlchemy's `before_cursor_execute` on all engines, counts per request
thread and appends `METHOD PATH STATUS COUNT` to `$TIPRO_BENCH_SQL_LOG.<pid>` after the
response is sent.
"""

from __future__ import annotations

import os
import threading

_local = threading.local()


def post_worker_init(worker) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def record(_conn, _cursor, _statement, _parameters, _context, _many):
        _local.count = getattr(_local, "count", 0) + 1

    event.listen(Engine, "before_cursor_execute", record)
    worker._sql_log = os.open(
        f"{os.environ['TIPRO_BENCH_SQL_LOG']}.{os.getpid()}",
        os.O_WRONLY | os.O_CREAT | os.O_APPEND,
        0o600,
    )


def pre_request(worker, req) -> None:
    _local.count = 0


def post_request(worker, req, environ, resp) -> None:
    status = str(resp.status).split()[0] if resp.status else "-"
    line = f"{req.method} {req.path} {status} {getattr(_local, 'count', 0)}\n"
    os.write(worker._sql_log, line.encode())

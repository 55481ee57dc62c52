"""RQ plumbing only: the Redis connection, queues, enqueue helpers, the worker.

Job functions live in the feature they serve (e.g. tipro/sync/jobs.py) and take ids, never
ORM objects. Everything is queued through `enqueue()` / `enqueue_at()`, which set queue,
timeout and a deterministic job id and refuse to queue work that is already pending.
`run_or_enqueue()` is the one place that decides "run here or queue it": here when no Redis is
configured. `company_job` makes a job a company boundary: it enters the company scope, so the
services it calls never enter or filter by company themselves.

Liveness, for guards that must not wait forever on work that died (a sync run, a transfer):
`is_alive(job_id)` says whether a job is waiting or running on a worker that still sends its
heartbeat (every WORKER_HEARTBEAT_SECONDS; silent for three beats = dead), `lease(job_id)`
marks work run in this process under a job id, and `workers_alive()` counts the workers that
are beating. Redis errors surface as `QueueUnavailable`.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from flask import Flask, current_app
from rq import Queue, Retry, Worker, get_current_job
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.utils import utcparse

from tipro import writes
from tipro.tenancy import company_scope

log = logging.getLogger(__name__)

QUEUES = ("high", "default", "low")
# The RQ statuses of a job that has not finished: while a job id has one, it is not queued again.
PENDING_STATUSES = frozenset({"queued", "started", "deferred", "scheduled"})
WAITING_STATUSES = PENDING_STATUSES - {"started"}
DEFAULT_HEARTBEAT_SECONDS = 15
# A worker (or a lease) silent for this many heartbeats is dead.
SILENT_BEATS = 3
# For jobs that may safely run again after an unexpected error (they find done work done).
DEFAULT_RETRY = Retry(max=3, interval=[10, 60, 300])
LOG_FORMAT = "%(asctime)s [%(job_id)s] %(name)s %(message)s"


class RedisNotConfigured(RuntimeError):
    """No TIPRO_REDIS_URL and no embedded Redis running."""


class QueueUnavailable(RuntimeError):
    """Redis is configured but does not answer."""


REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


@contextmanager
def _talking_to_redis() -> Iterator[None]:
    try:
        yield
    except REDIS_ERRORS as error:
        raise QueueUnavailable(str(error)) from error


def redis_connection(url: str | None = None) -> redis.Redis:
    """A Redis client for the configured URL (cached on the app)."""
    url = url or current_app.config.get("REDIS_URL")
    if not url:
        raise RedisNotConfigured(
            "Redis er ikke konfigurert: sett TIPRO_REDIS_URL eller start TiPro med `tipro run`."
        )
    cache = current_app.extensions.setdefault("tipro_redis", {})
    if url not in cache:
        cache[url] = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
    return cache[url]


def has_queue() -> bool:
    """Whether jobs go to a worker (Redis configured) or run in this process."""
    return bool(current_app.config.get("REDIS_URL"))


def queue_name(name: str) -> str:
    """Queue names carry a prefix so several deployments (or test runs) can share a Redis."""
    return f"{current_app.config['QUEUE_PREFIX']}-{name}"


def get_queue(name: str = "default") -> Queue:
    return Queue(queue_name(name), connection=redis_connection())


def job_id(*parts: object) -> str:
    """A deterministic job id: the deployment's prefix and the parts, joined by '-'.

    Job ids are global in Redis: instances (or test sessions) sharing one Redis must not see
    each other's "sync-1-1" as already queued.
    """
    prefix = current_app.config.get("QUEUE_PREFIX") or "tipro"
    return "-".join([prefix, *(str(p) for p in parts)])


def is_pending(job: str) -> bool:
    """Whether the job with this id is queued, scheduled or running."""
    conn = redis_connection()
    with _talking_to_redis():
        if not conn.exists(Job.key_for(job)):
            return False
        return Job.fetch(job, connection=conn).get_status(refresh=True) in PENDING_STATUSES


# ----- liveness -------------------------------------------------------------------------------


def heartbeat_seconds() -> int:
    """How often workers (and leases) beat; the same setting for web, worker and CLI."""
    value = current_app.config.get("WORKER_HEARTBEAT_SECONDS") or os.environ.get(
        "TIPRO_WORKER_HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT_SECONDS
    )
    return max(1, int(value))


def silent_after() -> timedelta:
    """After this long without a heartbeat a worker or lease is taken for dead."""
    return timedelta(seconds=SILENT_BEATS * heartbeat_seconds())


def _beating(last_heartbeat: datetime | None) -> bool:
    if last_heartbeat is None:
        return False
    if last_heartbeat.tzinfo is None:
        last_heartbeat = last_heartbeat.replace(tzinfo=UTC)
    return datetime.now(UTC) - last_heartbeat < silent_after()


def _lease_key(job: str) -> str:
    return f"tipro:lease:{job}"


def is_alive(job: str) -> bool | None:
    """Whether the work under this job id can still finish; None when there is no such job.

    Alive: waiting in a queue (or scheduled), running on a worker whose heartbeat is fresh, or
    held by a `lease`. Dead: finished, failed, stopped or cancelled, or started by a worker
    that stopped beating (killed, its machine gone).
    """
    conn = redis_connection()
    with _talking_to_redis():
        if conn.exists(_lease_key(job)):
            return True
        if not conn.exists(Job.key_for(job)):
            return None
        try:
            found = Job.fetch(job, connection=conn)
        except NoSuchJobError:
            return None
        status = found.get_status(refresh=True)
        if status == JobStatus.STARTED:
            return _worker_beating(conn, found.worker_name)
        return status in WAITING_STATUSES


def _worker_beating(conn: redis.Redis, name: str | None) -> bool:
    if not name:
        return False
    raw = conn.hget(Worker.redis_worker_namespace_prefix + name, "last_heartbeat")
    return raw is not None and _beating(utcparse(raw.decode()))


def workers_alive() -> int | None:
    """How many workers listen on this deployment's queues and beat; None if Redis is down."""
    try:
        with _talking_to_redis():
            workers = Worker.all(queue=get_queue("default"))
    except QueueUnavailable:
        return None
    return sum(1 for worker in workers if _beating(worker.last_heartbeat))


@contextmanager
def lease(job: str) -> Iterator[None]:
    """Hold `job` alive for is_alive() while the block runs here (work run outside a worker).

    Best effort: without Redis, or when it stops answering, the block runs all the same.
    """
    if not has_queue():
        yield
        return
    conn = redis_connection()
    key, beat, ttl = _lease_key(job), heartbeat_seconds(), int(silent_after().total_seconds())
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(beat):
            try:
                conn.set(key, os.getpid(), ex=ttl)
            except REDIS_ERRORS:
                pass

    try:
        conn.set(key, os.getpid(), ex=ttl)
    except REDIS_ERRORS:
        yield
        return
    thread = threading.Thread(target=renew, name=f"lease-{job}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        try:
            conn.delete(key)
        except REDIS_ERRORS:
            pass


def _claim(job: str) -> bool:
    """Make room for a job id: False while that work is pending, else drop the finished job."""
    conn = redis_connection()
    if not conn.exists(Job.key_for(job)):
        return True
    existing = Job.fetch(job, connection=conn)
    if existing.get_status(refresh=True) in PENDING_STATUSES:
        return False
    existing.delete()
    return True


def _options(job: str, timeout: int, retry: Retry | None) -> dict[str, Any]:
    return {
        "job_id": job,
        "job_timeout": timeout,
        "retry": retry,
        "unique": True,
        "failure_ttl": 7 * 24 * 3600,
        "result_ttl": 3600,
    }


def enqueue(
    func: Callable,
    *args,
    job_id: str,
    queue: str = "default",
    timeout: int = 600,
    retry: Retry | None = None,
    **kwargs,
) -> Job | None:
    """Queue `func(*args, **kwargs)` under a fixed id; None if that work is already pending."""
    options = _options(job_id, timeout, retry)
    return _put_once(job_id, queue, lambda q: q.enqueue(func, *args, **options, **kwargs))


def enqueue_at(
    when: datetime,
    func: Callable,
    *args,
    job_id: str,
    queue: str = "default",
    timeout: int = 600,
    retry: Retry | None = None,
    **kwargs,
) -> Job | None:
    """Schedule `func(*args, **kwargs)` for `when` under a fixed id; None if already pending."""
    options = _options(job_id, timeout, retry)
    return _put_once(job_id, queue, lambda q: q.enqueue_at(when, func, *args, **options, **kwargs))


def _put_once(job: str, queue: str, put: Callable[[Queue], Job]) -> Job | None:
    with _talking_to_redis():
        if not _claim(job):
            return None
        try:
            return put(get_queue(queue))
        except DuplicateJobError:
            return None  # another process queued the same id just now


def run_or_enqueue(func: Callable, *args, job_id: str, **options) -> Any:
    """Queue the job, or run it here and now when there is no Redis (CLI, demo, dev server)."""
    if not has_queue():
        return func(*args)
    return enqueue(func, *args, job_id=job_id, **options)


def company_job(func: Callable) -> Callable:
    """Make a job function (first argument: company id) run inside that company's scope."""

    @functools.wraps(func)
    def job(company_id: int, *args, **kwargs):
        with company_scope(company_id), writes.write_intent():
            return func(company_id, *args, **kwargs)

    return job


class JobIdFilter(logging.Filter):
    """Adds `job_id` (the running RQ job's id, or '-') to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = get_current_job()
        record.job_id = job.id if job is not None else "-"
        return True


def log_job_ids() -> None:
    """Log with the job id on every line (once per process)."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, JobIdFilter) for f in handler.filters):
            handler.addFilter(JobIdFilter())


class AppWorker(Worker):
    """An RQ worker that runs every job inside the Flask app context."""

    app: Flask

    def perform_job(self, job, queue, *args, **kwargs):
        # RQ 3.0 passes the execution as a third argument.
        with self.app.app_context():
            from tipro.extensions import db

            # A forked work-horse must not reuse the parent's pooled connections.
            db.engine.dispose(close=False)
            try:
                # A job may write: on SQLite its transactions begin IMMEDIATE (tipro.writes).
                with writes.write_intent():
                    return super().perform_job(job, queue, *args, **kwargs)
            finally:
                db.session.remove()


def make_worker(app: Flask, queues: tuple[str, ...] = QUEUES) -> AppWorker:
    """A worker that beats every heartbeat_seconds(), idle or busy, so is_alive() can tell."""
    with app.app_context():
        connection = redis_connection()
        names = [queue_name(q) for q in queues]
        beat = heartbeat_seconds()
    # RQ beats when a wait for work times out (worker_ttl - 15 s) and every
    # job_monitoring_interval while a job runs.
    worker = AppWorker(
        names, connection=connection, worker_ttl=beat + 15, job_monitoring_interval=beat
    )
    worker.app = app
    return worker


def run_worker(app: Flask, burst: bool = False) -> bool:
    """Run a worker with the scheduler (retries and enqueue_at need it).

    The work horse and the scheduler are forks of this process: they die with it, so a killed
    worker never leaves a job running that nobody watches.
    """
    from tipro.lifeline import forks_die_with_parent

    forks_die_with_parent()
    worker = make_worker(app)
    log_job_ids()
    return worker.work(with_scheduler=True, burst=burst)

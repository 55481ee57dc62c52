"""RQ plumbing: the Redis connection, queues, the enqueue helper and the worker.

Job functions live next to the feature they serve and take ids, never ORM objects.
Enqueue only through `enqueue()`, which sets queue, timeout, a deterministic job id
and retries, and refuses to queue the same work twice.
"""

from __future__ import annotations

import logging

import redis
from flask import Flask, current_app
from rq import Queue, Retry, Worker
from rq.exceptions import DuplicateJobError
from rq.job import Job

log = logging.getLogger(__name__)

QUEUES = ("high", "default", "low")


class RedisNotConfigured(RuntimeError):
    """No TIPRO_REDIS_URL and no embedded Redis running."""


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


def queue_name(name: str) -> str:
    """Queue names carry a prefix so several deployments (or test runs) can share a Redis."""
    return f"{current_app.config['QUEUE_PREFIX']}-{name}"


def get_queue(name: str = "default") -> Queue:
    return Queue(queue_name(name), connection=redis_connection())


def enqueue(
    func,
    *args,
    job_id: str,
    queue: str = "default",
    timeout: int = 600,
    retry: Retry | None = None,
    **kwargs,
) -> Job | None:
    """Queue `func(*args, **kwargs)` under a fixed id; None if that work is already pending."""
    q = get_queue(queue)
    existing = Job.fetch(job_id, connection=q.connection) if _job_exists(q, job_id) else None
    if existing is not None:
        status = existing.get_status(refresh=True)
        if status in ("queued", "started", "deferred", "scheduled"):
            return None
        existing.delete()
    try:
        return q.enqueue(
            func,
            *args,
            job_id=job_id,
            job_timeout=timeout,
            retry=retry,
            unique=True,
            failure_ttl=7 * 24 * 3600,
            result_ttl=3600,
            **kwargs,
        )
    except DuplicateJobError:
        return None


def _job_exists(q: Queue, job_id: str) -> bool:
    return bool(q.connection.exists(Job.key_for(job_id)))


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
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                db.session.remove()


def make_worker(app: Flask, queues: tuple[str, ...] = QUEUES) -> AppWorker:
    with app.app_context():
        connection = redis_connection()
        names = [queue_name(q) for q in queues]
    worker = AppWorker(names, connection=connection)
    worker.app = app
    return worker


def run_worker(app: Flask, burst: bool = False) -> bool:
    """Run a worker with the scheduler (retries and enqueue_in need it)."""
    worker = make_worker(app)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    return worker.work(with_scheduler=True, burst=burst)

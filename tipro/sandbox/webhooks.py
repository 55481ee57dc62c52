"""Webhook delivery from a background thread, so the triggering request is never blocked."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from typing import Any

import requests

log = logging.getLogger(__name__)

WEBHOOK_EVENTS = {
    f"{subject}.{verb}": f"{subject.capitalize()} {verb}d"
    for subject in ("employee", "customer", "project", "product", "order")
    for verb in ("create", "update", "delete")
}


class WebhookDispatcher:
    """Queue of pending deliveries and one worker thread that POSTs them."""

    def __init__(self, timeout: float = 5.0):
        self.timeout = timeout
        self.deliveries: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    def enqueue(self, delivery: dict[str, Any]) -> None:
        """Schedule one delivery: {"url", "headers", "payload"}."""
        with self._lock:
            self._pending += 1
        self._queue.put(delivery)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until every queued delivery was attempted; True if that happened in time."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def clear_log(self) -> None:
        """Forget past deliveries."""
        with self._lock:
            self.deliveries.clear()

    def stop(self) -> None:
        """Stop the worker thread."""
        self._queue.put(None)

    def _run(self) -> None:
        session = requests.Session()
        while True:
            item = self._queue.get()
            if item is None:
                return
            record = {
                "url": item["url"],
                "event": item["payload"]["event"],
                "id": item["payload"]["id"],
                "subscriptionId": item["payload"]["subscriptionId"],
            }
            try:
                resp = session.post(
                    item["url"],
                    data=json.dumps(item["payload"]),
                    headers={"Content-Type": "application/json", **item["headers"]},
                    timeout=self.timeout,
                )
                record["status"] = resp.status_code
            except requests.RequestException as exc:
                record["status"] = None
                record["error"] = str(exc)
                log.info("sandbox webhook to %s failed: %s", item["url"], exc)
            with self._idle:
                self.deliveries.append(record)
                self._pending -= 1
                self._idle.notify_all()

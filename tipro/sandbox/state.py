"""The sandbox's in-memory company, sessions, fault plan, switches and recordings."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import os
import secrets
import threading
import time
from typing import Any
from zoneinfo import ZoneInfo

from .faults import Faults
from .model import KINDS
from .render import FieldSel, Renderer, parse_fields
from .spec import SpecBundle
from .webhooks import WebhookDispatcher

OSLO = ZoneInfo("Europe/Oslo")
DEFAULT_CONSUMER_TOKEN = "sandbox-consumer-token"  # noqa: S105 - public sandbox default
DEFAULT_EMPLOYEE_TOKEN = "sandbox-employee-token"  # noqa: S105 - public sandbox default
CONSUMER_ENV = "TIPRO_SANDBOX_CONSUMER_TOKEN"
EMPLOYEE_ENV = "TIPRO_SANDBOX_EMPLOYEE_TOKEN"
MAX_LOG = 20000


def default_switches() -> dict[str, Any]:
    """Company settings and behaviour switches (control API: /_sandbox/switches).

    - defaultVatTypeId: the company's default VAT type, given to order lines sent without
      vatType and without a product (Tripletex's fallback; set 5 or 6 for a 0 % company);
    - orderCreateOmitsLines: POST /order and /order/list answer `orderLines: []` although the
      lines were created (seen in the field; read back with fields=*,orderLines(*));
    - weekApprovalForbidden: PUT /timesheet/week/:approve answers 403/9000 (seen in the field,
      even for the token owner);
    - lockedSalaryPeriods: "YYYY-MM" periods whose accounting is locked: salary transactions
      in them cannot be posted or deleted (409/10000);
    - bankAccountRegistered: false makes PUT /order/{id}/:invoice fail with 422 (Tripletex
      refuses to invoice before the company has a bank account).
    """
    return {
        "defaultVatTypeId": 3,
        "orderCreateOmitsLines": False,
        "weekApprovalForbidden": False,
        "lockedSalaryPeriods": [],
        "bankAccountRegistered": True,
    }


class Store:
    """Objects per kind, keyed by id; references are stored as {"id": N}."""

    def __init__(self) -> None:
        self.data: dict[str, dict[int, dict[str, Any]]] = {k: {} for k in KINDS}
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)

    def next_id(self) -> int:
        """A new id, unique across kinds (as ids are in Tripletex)."""
        return next(self._ids)

    def next_seq(self) -> int:
        """A new change sequence number (feeds versionDigest)."""
        return next(self._seq)

    def get(self, kind: str, obj_id: int | None) -> dict[str, Any] | None:
        """One object or None."""
        if obj_id is None:
            return None
        return self.data[kind].get(int(obj_id))

    def all(self, kind: str) -> list[dict[str, Any]]:
        """All objects of a kind."""
        return list(self.data[kind].values())

    def put(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Insert or replace by obj["id"]."""
        self.data[kind][obj["id"]] = obj
        return obj

    def remove(self, kind: str, obj_id: int) -> dict[str, Any] | None:
        """Delete and return an object."""
        return self.data[kind].pop(int(obj_id), None)


class SandboxState:
    """Everything one sandbox instance knows; thread-safe through one re-entrant lock."""

    def __init__(
        self,
        *,
        spec: SpecBundle | None,
        seed: str = "demo",
        consumer_token: str | None = None,
        employee_token: str | None = None,
        validate_responses: bool = False,
    ):
        self.spec = spec
        self.validate_responses = validate_responses and spec is not None
        self.lock = threading.RLock()
        self.consumer_token = (
            consumer_token or os.environ.get(CONSUMER_ENV) or DEFAULT_CONSUMER_TOKEN
        )
        self.initial_employee_token = (
            employee_token or os.environ.get(EMPLOYEE_ENV) or DEFAULT_EMPLOYEE_TOKEN
        )
        self.employee_token = self.initial_employee_token
        self.faults = Faults()
        self.webhooks = WebhookDispatcher()
        self._violations: list[dict[str, Any]] = []
        self._violations_lock = threading.Lock()
        self.request_log: list[dict[str, Any]] = []
        self._log_lock = threading.Lock()
        self.seed_name = seed
        self._now: dt.datetime | None = None
        self.rate_limit: int = 1000
        self.rate_window: float = 10.0
        self.rate_enforced = False
        self._rate_hits: dict[str, list[float]] = {}
        self.reset(seed)

    # -- lifecycle ------------------------------------------------------------------------

    def reset(self, seed: str | None = None) -> None:
        """Reload the seed, drop sessions, faults, switches, violations and logs."""
        from .seed import build_seed

        seed = seed or self.seed_name
        with self.lock:
            self.seed_name = seed
            self.store = Store()
            self.sessions: dict[str, dict[str, Any]] = {}
            self.revoked_tokens: set[str] = set()
            self.employee_token = self.initial_employee_token
            self.modules: dict[str, bool] = {"salary": True}
            self.switches: dict[str, Any] = default_switches()
            self._now = None
            self.rate_enforced = False
            self._rate_hits.clear()
            self.token_owner_id: int | None = None
            self.company_id, self.token_owner_id = build_seed(self, seed)
        self.faults.clear()
        self.clear_violations()
        with self._log_lock:
            self.request_log.clear()
        self.webhooks.clear_log()

    # -- clock ------------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        """Current time (aware, UTC) unless a test fixed it with set_now."""
        return self._now or dt.datetime.now(dt.UTC)

    def set_now(self, when: dt.datetime | None) -> None:
        """Fix the sandbox clock (aware datetime) or return to real time with None."""
        if when is not None and when.tzinfo is None:
            raise ValueError("set_now needs an aware datetime")
        self._now = when

    def oslo_today(self) -> dt.date:
        """Today's date in Europe/Oslo — what Tripletex uses for session expiry."""
        return self.now().astimezone(OSLO).date()

    # -- sessions and tokens ---------------------------------------------------------------

    def create_session(self, consumer_token: str, employee_token: str, expiration: dt.date) -> str:
        """Store a new session token and return it."""
        token = f"sandbox-session-{secrets.token_hex(12)}"
        with self.lock:
            self.sessions[token] = {
                "id": self.store.next_id(),
                "consumer": consumer_token,
                "employee_token": employee_token,
                "expiration": expiration,
                "expired": False,
            }
        return token

    def session_valid(self, token: str) -> bool:
        """A session works until its expirationDate begins in Oslo, unless expired or revoked."""
        with self.lock:
            s = self.sessions.get(token)
            if not s or s["expired"] or s["employee_token"] in self.revoked_tokens:
                return False
            return self.oslo_today() < s["expiration"]

    def expire_sessions(self) -> None:
        """Force every existing session to fail with 401 (new ones can be created)."""
        with self.lock:
            for s in self.sessions.values():
                s["expired"] = True

    def revoke_employee_token(self) -> None:
        """Revoke the employee token: its sessions die and new sessions are refused."""
        with self.lock:
            self.revoked_tokens.add(self.employee_token)

    def restore_employee_token(self, token: str | None = None) -> None:
        """Issue a (new) valid employee token, e.g. after the user reconnected."""
        with self.lock:
            if token:
                self.employee_token = token
            self.revoked_tokens.discard(self.employee_token)

    # -- switches ----------------------------------------------------------------------------

    def set_module(self, name: str, enabled: bool) -> None:
        """Turn a module (e.g. "salary") on or off; off makes its endpoints answer 403/9000."""
        with self.lock:
            self.modules[name] = bool(enabled)

    def set_switches(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Change switches (see default_switches); ValueError for an unknown name or a bad value."""
        defaults = default_switches()
        with self.lock:
            for name, value in changes.items():
                if name not in defaults:
                    raise ValueError(f"unknown switch {name!r}; one of {sorted(defaults)}")
                if name == "defaultVatTypeId":
                    if self.store.get("vatType", int(value)) is None:
                        raise ValueError(f"no VAT type with id {value}")
                    value = int(value)
                elif name == "lockedSalaryPeriods":
                    value = sorted(
                        {
                            dt.datetime.strptime(str(v), "%Y-%m").strftime("%Y-%m")
                            for v in (value or [])
                        }
                    )
                else:
                    value = bool(value)
                self.switches[name] = value
            return dict(self.switches)

    def set_rate_limit(self, limit: int | None, window_seconds: float = 10.0) -> None:
        """Enforce a real rate limit per session (None turns enforcement off)."""
        with self.lock:
            self.rate_enforced = limit is not None
            self.rate_limit = limit or 1000
            self.rate_window = window_seconds
            self._rate_hits.clear()

    def rate_hit(self, key: str) -> tuple[int, int, int]:
        """Count one request; returns (limit, remaining, reset seconds)."""
        now = time.monotonic()
        with self.lock:
            hits = [t for t in self._rate_hits.get(key, []) if now - t < self.rate_window]
            hits.append(now)
            self._rate_hits[key] = hits
            remaining = self.rate_limit - len(hits)
            reset = int(self.rate_window - (now - hits[0])) + 1
        return self.rate_limit, remaining, reset

    # -- violations and request log ------------------------------------------------------

    @property
    def violations(self) -> list[dict[str, Any]]:
        """A copy of the recorded spec violations."""
        with self._violations_lock:
            return list(self._violations)

    def record_violation(self, **item: Any) -> None:
        """Record one violation (thread-safe)."""
        with self._violations_lock:
            self._violations.append(item)

    def clear_violations(self) -> None:
        """Forget recorded violations."""
        with self._violations_lock:
            self._violations.clear()

    def log_request(self, item: dict[str, Any]) -> None:
        """Append to the request log (bounded)."""
        with self._log_lock:
            self.request_log.append(item)
            if len(self.request_log) > MAX_LOG:
                del self.request_log[: MAX_LOG // 10]

    def requests_snapshot(self) -> list[dict[str, Any]]:
        """A copy of the request log."""
        with self._log_lock:
            return list(self.request_log)

    def count_calls(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """How many logged API calls match a method and a path prefix (relative to /v2)."""
        with self._log_lock:
            return sum(
                1
                for r in self.request_log
                if (method is None or r["method"] == method.upper())
                and (path_prefix is None or r["path"].startswith(path_prefix))
            )

    # -- data mutation (also used by the API routes) -------------------------------------

    def _stamp(self, obj: dict[str, Any], change: str) -> None:
        obj["_seq"] = self.store.next_seq()
        now = self.now()
        obj["_changed"] = now
        entry: dict[str, Any] = {
            "timestamp": now.astimezone(OSLO).strftime("%Y-%m-%dT%H:%M:%S"),
            "changeType": change,
        }
        if self.token_owner_id is not None:
            entry = {"employeeId": self.token_owner_id, **entry}
        obj.setdefault("_changes", []).append(entry)

    def insert(self, kind: str, data: dict[str, Any], *, fire: bool = True) -> dict[str, Any]:
        """Store a new object (version 0) and fire `<kind>.create` webhooks."""
        with self.lock:
            obj = {k: copy.deepcopy(v) for k, v in data.items() if v is not None}
            obj["id"] = self.store.next_id()
            obj["version"] = 0
            obj = {"id": obj.pop("id"), "version": obj.pop("version"), **obj}
            self._stamp(obj, "CREATE")
            self.store.put(kind, obj)
        if fire:
            self.fire(kind, "create", obj)
        return obj

    def modify(
        self, kind: str, obj_id: int, changes: dict[str, Any], *, fire: bool = True
    ) -> dict[str, Any]:
        """Apply changes (None removes a field), bump version, fire `<kind>.update`."""
        with self.lock:
            obj = self.store.get(kind, obj_id)
            if obj is None:
                raise KeyError(f"{kind} {obj_id} not found")
            for key, value in changes.items():
                if key in ("id", "version", "url") or key.startswith("_"):
                    continue
                if value is None:
                    obj.pop(key, None)
                else:
                    obj[key] = copy.deepcopy(value)
            obj["version"] = obj.get("version", 0) + 1
            self._stamp(obj, "UPDATE")
        if fire:
            self.fire(kind, "update", obj)
        return obj

    def touch(self, kind: str, obj_id: int) -> None:
        """Mark a parent changed because a child changed (feeds its versionDigest)."""
        obj = self.store.get(kind, obj_id)
        if obj is not None:
            obj["_seq"] = self.store.next_seq()

    def remove(self, kind: str, obj_id: int, *, fire: bool = True) -> dict[str, Any]:
        """Delete an object and fire `<kind>.delete`."""
        with self.lock:
            obj = self.store.remove(kind, obj_id)
            if obj is None:
                raise KeyError(f"{kind} {obj_id} not found")
        if fire:
            self.fire(kind, "delete", obj)
        return obj

    # The public helpers the brief names: create/update/delete by resource name.

    def create(self, resource: str, data: dict[str, Any]) -> dict[str, Any]:
        """Create an object as if someone did it in Tripletex (fires webhooks)."""
        from .rules import prepare_external

        with self.lock:
            return self.insert(resource, prepare_external(self, resource, data))

    def update(self, resource: str, obj_id: int, data: dict[str, Any]) -> dict[str, Any]:
        """Update an object as if someone did it in Tripletex (bumps version, fires webhooks)."""
        with self.lock:
            return self.modify(resource, obj_id, data)

    def delete(self, resource: str, obj_id: int) -> dict[str, Any]:
        """Delete an object as if someone did it in Tripletex (fires webhooks).

        Its parents forget it too (an employment leaves its employee's `employments`), as
        in Tripletex, where a deleted child is no longer listed on its parent.
        """
        with self.lock:
            obj = self.remove(resource, obj_id)
            self._detach(resource, obj)
        return obj

    def _detach(self, kind: str, obj: dict[str, Any]) -> None:
        """Drop references to a removed object from the lists of the objects it points to."""
        for field, parent_kind in KINDS[kind].refs.items():
            parent = self.store.get(parent_kind, (obj.get(field) or {}).get("id"))
            if parent is None:
                continue
            for list_field, child_kind in KINDS[parent_kind].lists.items():
                refs = parent.get(list_field)
                if child_kind == kind and refs:
                    parent[list_field] = [r for r in refs if r.get("id") != obj["id"]]
                    self.touch(parent_kind, parent["id"])

    def get(self, resource: str, obj_id: int) -> dict[str, Any] | None:
        """Stored object (internal form) or None."""
        return self.store.get(resource, obj_id)

    def all(self, resource: str) -> list[dict[str, Any]]:
        """All stored objects of a kind (internal form)."""
        with self.lock:
            return self.store.all(resource)

    # -- webhooks ------------------------------------------------------------------------

    def fire(self, kind: str, verb: str, obj: dict[str, Any]) -> None:
        """Queue deliveries for ACTIVE subscriptions to `<subject>.<verb>`."""
        subject = KINDS[kind].webhook
        if not subject:
            return
        event = f"{subject}.{verb}"
        with self.lock:
            subs = [
                dict(s)
                for s in self.store.all("subscription")
                if s.get("event") == event and s.get("status", "ACTIVE") == "ACTIVE"
            ]
            renderer = Renderer(self, "tripletex.no/v2")
            payloads = []
            for sub in subs:
                value = None
                if verb != "delete":
                    sel: FieldSel = parse_fields(sub.get("fields"))
                    value = renderer.render(kind, obj, sel)
                headers = {}
                if sub.get("authHeaderName") and sub.get("authHeaderValue"):
                    headers[sub["authHeaderName"]] = sub["authHeaderValue"]
                payload = {
                    "subscriptionId": sub["id"],
                    "event": event,
                    "id": obj["id"],
                    "value": value,
                }
                payloads.append({"url": sub["targetUrl"], "headers": headers, "payload": payload})
        for p in payloads:
            self.webhooks.enqueue(p)

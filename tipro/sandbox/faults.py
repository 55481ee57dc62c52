"""Fault injection: scripted 429s, 5xx, errors, slow and lost responses for the sandbox.

Every rule fires on the next `times` matching requests, after letting the first `after` of them
through (so "a 5xx on the 3rd write" is `after=2, times=1, methods=("POST", "PUT", "DELETE")`).
Kinds:
- "429": answered before anything happens, with or without X-Rate-Limit-Reset;
- "5xx": an ApiError with `status` (code 1000) before anything is stored;
- "error": any ApiError (`status`, `code`, `message`) before anything is stored, e.g. a 403/9000;
- "slow": waits `seconds`, then answers normally;
- "lost": the write is stored, then the answer is lost (`mode`: "drop" closes the connection,
  "504" answers a bodiless 504, "500" an ApiError 500, "hang" waits `seconds` before answering
  so that a client with a shorter read timeout gives up). Only successful writes count.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any

ALL_METHODS = ("GET", "POST", "PUT", "DELETE")
MSG_FORBIDDEN = "You do not have permission to access this feature."
LOST_MODES = ("drop", "504", "500", "hang")
KINDS = ("429", "5xx", "error", "slow", "lost")


@dataclass
class FaultRule:
    """One scripted fault, applied to the next `times` matching requests."""

    kind: str  # "429" | "5xx" | "error" | "slow" | "lost"
    times: int
    methods: tuple[str, ...] = ALL_METHODS
    path_prefix: str | None = None  # relative to /v2, e.g. "/timesheet/entry"
    status: int = 500
    seconds: float = 0.0
    reset_header: bool = True
    reset_seconds: int = 1
    mode: str = "drop"  # for "lost": "drop" | "504" | "500" | "hang"
    fired: int = 0
    after: int = 0  # let this many matching requests through first
    code: int = 1000  # for "error"
    message: str = ""  # for "error"

    def matches(self, method: str, path: str) -> bool:
        """True when the rule still has shots left and covers this request."""
        if self.times <= 0 or method.upper() not in self.methods:
            return False
        return self.path_prefix is None or path.startswith(self.path_prefix)


@dataclass
class Faults:
    """The fault plan of one sandbox; all methods are thread-safe."""

    rules: list[FaultRule] = field(default_factory=list)
    latency: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _add(self, rule: FaultRule) -> FaultRule:
        rule.methods = tuple(m.upper() for m in rule.methods)
        with self._lock:
            self.rules.append(rule)
        return rule

    def inject_429(
        self,
        times: int = 1,
        reset_header: bool = True,
        *,
        reset_seconds: int = 1,
        methods: tuple[str, ...] | list[str] | None = None,
        path_prefix: str | None = None,
        after: int = 0,
    ) -> FaultRule:
        """Answer the next `times` requests with 429 (optionally without X-Rate-Limit-Reset)."""
        return self._add(
            FaultRule(
                "429",
                times,
                tuple(methods or ALL_METHODS),
                path_prefix,
                reset_header=reset_header,
                reset_seconds=reset_seconds,
                after=after,
            )
        )

    def inject_5xx(
        self,
        times: int = 1,
        status: int = 500,
        methods: tuple[str, ...] | list[str] | None = None,
        *,
        path_prefix: str | None = None,
        after: int = 0,
    ) -> FaultRule:
        """Answer the next `times` requests with a 5xx ApiError; nothing is stored."""
        return self._add(
            FaultRule(
                "5xx", times, tuple(methods or ALL_METHODS), path_prefix, status=status, after=after
            )
        )

    def inject_error(
        self,
        times: int = 1,
        status: int = 403,
        code: int = 9000,
        message: str = MSG_FORBIDDEN,
        methods: tuple[str, ...] | list[str] | None = None,
        *,
        path_prefix: str | None = None,
        after: int = 0,
    ) -> FaultRule:
        """Answer the next `times` matching requests with this ApiError; nothing is stored."""
        return self._add(
            FaultRule(
                "error",
                times,
                tuple(methods or ALL_METHODS),
                path_prefix,
                status=status,
                code=code,
                message=message,
                after=after,
            )
        )

    def inject_latency(self, seconds: float) -> None:
        """Delay every API request by `seconds` (0 turns it off); for benchmarks."""
        with self._lock:
            self.latency = max(0.0, float(seconds))

    def inject_slow(
        self,
        times: int,
        seconds: float,
        methods: tuple[str, ...] | list[str] | None = None,
        *,
        path_prefix: str | None = None,
        after: int = 0,
    ) -> FaultRule:
        """Delay the next `times` matching requests by `seconds`, then answer normally."""
        return self._add(
            FaultRule(
                "slow",
                times,
                tuple(methods or ALL_METHODS),
                path_prefix,
                seconds=seconds,
                after=after,
            )
        )

    def inject_lost_response(
        self,
        times: int = 1,
        methods: tuple[str, ...] | list[str] = ("POST", "PUT", "DELETE"),
        *,
        path_prefix: str | None = None,
        mode: str = "drop",
        seconds: float = 0.0,
        after: int = 0,
    ) -> FaultRule:
        """Store the next `times` writes, then lose the answer.

        mode="drop" (default) shuts the TCP connection down after the write is committed, so the
        caller sees a connection error and cannot know the outcome; mode="504" answers a bodiless
        504 Gateway Timeout instead, mode="500" an ApiError 500 (code 1000); mode="hang" waits
        `seconds` before answering, so a client whose read timeout is shorter gives up.
        """
        if mode not in LOST_MODES:
            raise ValueError(f"mode must be one of {', '.join(LOST_MODES)}")
        return self._add(
            FaultRule(
                "lost", times, tuple(methods), path_prefix, mode=mode, seconds=seconds, after=after
            )
        )

    def take(self, kinds: tuple[str, ...], method: str, path: str) -> FaultRule | None:
        """Consume one shot of the first rule of `kinds` that matches this request."""
        with self._lock:
            for rule in self.rules:
                if rule.kind in kinds and rule.matches(method, path):
                    if rule.after > 0:
                        rule.after -= 1
                        continue
                    rule.times -= 1
                    rule.fired += 1
                    return rule
        return None

    def clear(self) -> None:
        """Drop every rule and the latency."""
        with self._lock:
            self.rules.clear()
            self.latency = 0.0

    def pending(self) -> int:
        """How many scripted shots are still to fire."""
        with self._lock:
            return sum(max(r.times, 0) for r in self.rules)

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-able data."""
        with self._lock:
            return {
                "latency": self.latency,
                "rules": [{k: v for k, v in asdict(r).items()} for r in self.rules],
            }

    def apply_plan(self, plan: dict[str, Any]) -> None:
        """Set the plan from JSON (the control endpoint's body); see control.py for the shape."""
        if plan.get("clear", False):
            self.clear()
        if "latency" in plan:
            self.inject_latency(float(plan["latency"]))
        for item in plan.get("rules", []):
            kind = str(item.get("kind"))
            times = int(item.get("times", 1))
            methods = item.get("methods")
            prefix = item.get("path_prefix")
            after = int(item.get("after", 0))
            if kind == "429":
                self.inject_429(
                    times,
                    bool(item.get("reset_header", True)),
                    reset_seconds=int(item.get("reset_seconds", 1)),
                    methods=methods,
                    path_prefix=prefix,
                    after=after,
                )
            elif kind == "5xx":
                self.inject_5xx(
                    times, int(item.get("status", 500)), methods, path_prefix=prefix, after=after
                )
            elif kind == "error":
                self.inject_error(
                    times,
                    int(item.get("status", 403)),
                    int(item.get("code", 9000)),
                    str(item.get("message") or MSG_FORBIDDEN),
                    methods,
                    path_prefix=prefix,
                    after=after,
                )
            elif kind == "slow":
                self.inject_slow(
                    times,
                    float(item.get("seconds", 1.0)),
                    methods,
                    path_prefix=prefix,
                    after=after,
                )
            elif kind == "lost":
                self.inject_lost_response(
                    times,
                    tuple(methods or ("POST", "PUT", "DELETE")),
                    path_prefix=prefix,
                    mode=str(item.get("mode", "drop")),
                    seconds=float(item.get("seconds", 0.0)),
                    after=after,
                )
            else:
                raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(KINDS)}")

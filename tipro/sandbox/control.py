"""Control endpoints under /_sandbox (not Tripletex; no auth; meant for loopback use)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, jsonify, request

from .http import state
from .model import KINDS
from .render import ApiProblem, Renderer

bp = Blueprint("sandbox_control", __name__)


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _kind(resource: str) -> str:
    if resource not in KINDS:
        raise ApiProblem(404, 6000, f"Unknown resource {resource!r}; one of {sorted(KINDS)}")
    return resource


@bp.get("/violations")
def violations_get() -> Any:
    """Recorded spec violations."""
    return jsonify(state().violations)


@bp.delete("/violations")
def violations_clear() -> Any:
    """Forget violations."""
    state().clear_violations()
    return jsonify({"ok": True})


@bp.get("/faults")
def faults_get() -> Any:
    """The current fault plan."""
    return jsonify(state().faults.to_dict())


@bp.post("/faults")
def faults_set() -> Any:
    """Set the fault plan.

    Body: {"clear": true, "latency": 0.05, "rules": [{"kind": "429"|"5xx"|"slow"|"lost",
    "times": 2, "methods": ["POST"], "path_prefix": "/timesheet", "status": 503,
    "seconds": 1.5, "reset_header": false, "reset_seconds": 2, "mode": "drop"|"504"}]}
    """
    try:
        state().faults.apply_plan(_body())
    except (ValueError, TypeError) as exc:
        raise ApiProblem(422, 15000, str(exc)) from None
    return jsonify(state().faults.to_dict())


@bp.delete("/faults")
def faults_clear() -> Any:
    """Clear all faults."""
    state().faults.clear()
    return jsonify({"ok": True})


@bp.post("/reset")
def reset() -> Any:
    """Reload a seed ({"seed": "demo"|"large"}), dropping sessions, faults and logs."""
    seed = _body().get("seed")
    try:
        state().reset(seed)
    except ValueError as exc:
        raise ApiProblem(422, 15000, str(exc)) from None
    st = state()
    return jsonify(
        {
            "seed": st.seed_name,
            "consumerToken": st.consumer_token,
            "employeeToken": st.employee_token,
        }
    )


@bp.post("/expire-sessions")
def expire_sessions() -> Any:
    """Every existing session now answers 401."""
    state().expire_sessions()
    return jsonify({"ok": True})


@bp.post("/revoke-employee-token")
def revoke_employee_token() -> Any:
    """Revoke the employee token (sessions die; new sessions are refused)."""
    state().revoke_employee_token()
    return jsonify({"ok": True})


@bp.post("/restore-employee-token")
def restore_employee_token() -> Any:
    """Make the employee token valid again, optionally as a new value ({"token": ...})."""
    state().restore_employee_token(_body().get("token"))
    return jsonify({"employeeToken": state().employee_token})


@bp.post("/modules")
def modules() -> Any:
    """Switch modules, e.g. {"salary": false}."""
    for name, enabled in _body().items():
        state().set_module(name, bool(enabled))
    return jsonify(state().modules)


@bp.post("/rate-limit")
def rate_limit() -> Any:
    """Enforce a real limit: {"limit": 100, "window": 10} ({"limit": null} turns it off)."""
    body = _body()
    state().set_rate_limit(body.get("limit"), float(body.get("window", 10.0)))
    return jsonify({"limit": body.get("limit")})


@bp.post("/clock")
def clock() -> Any:
    """Fix the sandbox clock: {"now": "2025-01-31T23:30:00+00:00"} (null = real time)."""
    raw = _body().get("now")
    try:
        state().set_now(dt.datetime.fromisoformat(raw) if raw else None)
    except ValueError as exc:
        raise ApiProblem(422, 15000, str(exc)) from None
    return jsonify({"now": state().now().isoformat()})


@bp.get("/requests")
def requests_log() -> Any:
    """Log of API requests: method, path (relative to /v2), query, status."""
    return jsonify(state().requests_snapshot())


@bp.delete("/requests")
def requests_clear() -> Any:
    """Forget the request log."""
    st = state()
    with st._log_lock:
        st.request_log.clear()
    return jsonify({"ok": True})


@bp.get("/webhooks")
def webhook_log() -> Any:
    """Attempted webhook deliveries (waits briefly for the queue to drain)."""
    st = state()
    st.webhooks.wait_idle(2.0)
    return jsonify(st.webhooks.deliveries)


@bp.get("/tokens")
def tokens() -> Any:
    """The demo company's tokens."""
    st = state()
    return jsonify(
        {
            "consumerToken": st.consumer_token,
            "employeeToken": st.employee_token,
            "companyId": st.company_id,
            "employeeId": st.token_owner_id,
        }
    )


def _render(resource: str, obj: dict[str, Any]) -> dict[str, Any]:
    return Renderer(state(), f"{request.host}/v2").render(resource, obj)


@bp.post("/data/<resource>")
def data_create(resource: str) -> Any:
    """Create an object as if someone did it in Tripletex (fires webhooks)."""
    obj = state().create(_kind(resource), _body())
    return jsonify({"value": _render(resource, obj)}), 201


@bp.patch("/data/<resource>/<int:obj_id>")
def data_update(resource: str, obj_id: int) -> Any:
    """Update an object as if someone did it in Tripletex (bumps version, fires webhooks)."""
    try:
        obj = state().update(_kind(resource), obj_id, _body())
    except KeyError:
        raise ApiProblem(404, 6000, "Object not found") from None
    return jsonify({"value": _render(resource, obj)})


@bp.delete("/data/<resource>/<int:obj_id>")
def data_delete(resource: str, obj_id: int) -> Any:
    """Delete an object as if someone did it in Tripletex (fires webhooks)."""
    try:
        state().delete(_kind(resource), obj_id)
    except KeyError:
        raise ApiProblem(404, 6000, "Object not found") from None
    return "", 204

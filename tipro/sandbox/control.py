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
    """Set the fault plan (see faults.py for what each kind does).

    Body: {"clear": true, "latency": 0.05, "rules": [{"kind": "429"|"5xx"|"error"|"slow"|"lost",
    "times": 2, "after": 0, "methods": ["POST"], "path_prefix": "/timesheet", "status": 503,
    "code": 9000, "message": "...", "seconds": 1.5, "reset_header": false, "reset_seconds": 2,
    "mode": "drop"|"504"|"500"|"hang"}]}
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


@bp.post("/timesheet/month")
def timesheet_month() -> Any:
    """Approve or unapprove a month as a manager would in Tripletex's web app.

    Body: {"employeeId": 12, "monthYear": "2026-11", "approved": true,
    "approvedUntilDate": "2026-11-15" (optional; default the month's last day)}.
    """
    from .api_timesheet import set_month_approval

    body = _body()
    st = state()
    try:
        until = body.get("approvedUntilDate")
        until = dt.date.fromisoformat(until) if until else None
        emp_id = int(body["employeeId"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiProblem(422, 15000, f"employeeId and a valid approvedUntilDate: {exc}") from None
    status = set_month_approval(
        st,
        emp_id,
        str(body.get("monthYear") or ""),
        approved=bool(body.get("approved", True)),
        until=until,
    )
    return jsonify({"value": _render("monthlyStatus", status)})


@bp.get("/switches")
def switches_get() -> Any:
    """Company settings and behaviour switches (state.default_switches documents each)."""
    return jsonify(state().switches)


@bp.post("/switches")
def switches_set() -> Any:
    """Change switches, e.g. {"defaultVatTypeId": 5, "orderCreateOmitsLines": true,
    "weekApprovalForbidden": true, "lockedSalaryPeriods": ["2025-03"],
    "bankAccountRegistered": false}; /reset restores the defaults."""
    try:
        return jsonify(state().set_switches(_body()))
    except (ValueError, TypeError) as exc:
        raise ApiProblem(422, 15000, str(exc)) from None


def _selection(body: dict[str, Any]) -> dict[str, Any]:
    """entryIds / employeeIds / dateFrom / dateTo (To exclusive) / projectId of a control body."""
    try:
        out: dict[str, Any] = {}
        for key, name in (("entry_ids", "entryIds"), ("employee_ids", "employeeIds")):
            if body.get(name) is not None:
                out[key] = [int(v) for v in body[name]]
        for key, name in (("date_from", "dateFrom"), ("date_to", "dateTo")):
            if body.get(name):
                out[key] = dt.date.fromisoformat(str(body[name]))
        if body.get("monthYear"):
            first = dt.datetime.strptime(str(body["monthYear"]), "%Y-%m").date()
            out["date_from"] = first
            out["date_to"] = (first + dt.timedelta(days=32)).replace(day=1)
        if body.get("projectId") is not None:
            out["project_id"] = int(body["projectId"])
    except (TypeError, ValueError) as exc:
        raise ApiProblem(422, 15000, f"Bad selection: {exc}") from None
    return out


@bp.post("/timesheet/invoice")
def timesheet_invoice() -> Any:
    """Invoice hours as project invoicing in Tripletex would: the entries get `invoice` and
    lock (writes answer 409/10000). Body: {"entryIds": [..]} or {"employeeIds": [..],
    "dateFrom": "2025-03-01", "dateTo": "2025-04-01" | "monthYear": "2025-03",
    "projectId": n}, optional "invoiceDate"."""
    from .manual import invoice_hours

    body = _body()
    sel = _selection(body)
    try:
        day = dt.date.fromisoformat(body["invoiceDate"]) if body.get("invoiceDate") else None
    except ValueError as exc:
        raise ApiProblem(422, 15000, str(exc)) from None
    return jsonify(invoice_hours(state(), invoice_date=day, **sel))


@bp.post("/timesheet/payroll")
def timesheet_payroll() -> Any:
    """A payroll run paid these hours and salary-type specifications: they lock (409/10000).
    Body: {"employeeIds": [..] (default all), "monthYear": "2025-03" | "dateFrom"/"dateTo"}."""
    from .manual import run_payroll

    sel = _selection(_body())
    sel.pop("entry_ids", None)
    sel.pop("project_id", None)
    return jsonify(run_payroll(state(), **sel))


@bp.post("/project/hourly-rate")
def project_hourly_rate() -> Any:
    """Add a project rate model in force from startDate (older ones stay for earlier dates).
    Body: {"projectId": n, "startDate": "2025-03-01", "hourlyRateModel":
    "TYPE_FIXED_HOURLY_RATE"|"TYPE_PROJECT_SPECIFIC_HOURLY_RATES"|"TYPE_PREDEFINED_HOURLY_RATES",
    "fixedRate": 1000.0, "specificRates": [{"employeeId": n|null, "activityId": n|null,
    "hourlyRate": 900.0}]}. Employee predefined rates: POST /_sandbox/data/hourlyCostAndRate
    {"employee": {"id": n}, "date": "2025-03-01", "rate": 900.0, "hourCostRate": 400.0}."""
    from .manual import add_project_hourly_rate

    body = _body()
    try:
        rate = add_project_hourly_rate(
            state(),
            int(body["projectId"]),
            dt.date.fromisoformat(str(body["startDate"])),
            str(body.get("hourlyRateModel") or ""),
            fixed_rate=float(body["fixedRate"]) if body.get("fixedRate") is not None else None,
            specific=body.get("specificRates") or [],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiProblem(422, 15000, f"Bad hourly rate: {exc}") from None
    return jsonify({"value": _render("hourlyRate", rate)}), 201


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

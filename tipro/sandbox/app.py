"""The sandbox Flask app: auth, spec validation, faults, headers and errors around the routes."""

from __future__ import annotations

import base64
import logging
import socket
import time
import uuid
from typing import Any

from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException

from .render import ApiProblem
from .spec import load_spec, resolve_spec_path
from .state import SandboxState

log = logging.getLogger(__name__)

API_PREFIX = "/v2"
MSG_UNKNOWN_FIELD = "Feltet eksisterer ikke i objektet."
# Reachable without a session: session creation and the event map (no auth since 2.56.4).
NO_AUTH = {("PUT", "/token/session/:create"), ("GET", "/event")}


def create_sandbox_app(
    *,
    spec_path: str | None = None,
    seed: str = "demo",
    consumer_token: str | None = None,
    employee_token: str | None = None,
    validate_responses: bool = False,
) -> Flask:
    """Build a Tripletex API v2 emulator; the state is `app.extensions["tripletex_sandbox"]`."""
    path = resolve_spec_path(spec_path)
    spec = load_spec(path) if path else None
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    state = SandboxState(
        spec=spec,
        seed=seed,
        consumer_token=consumer_token,
        employee_token=employee_token,
        validate_responses=validate_responses,
    )
    app.extensions["tripletex_sandbox"] = state

    from . import api_master, api_orders, api_salary, api_timesheet, control

    app.register_blueprint(api_master.bp, url_prefix=API_PREFIX)
    app.register_blueprint(api_timesheet.bp, url_prefix=API_PREFIX)
    app.register_blueprint(api_salary.bp, url_prefix=API_PREFIX)
    app.register_blueprint(api_orders.bp, url_prefix=API_PREFIX)
    app.register_blueprint(control.bp, url_prefix="/_sandbox")

    app.before_request(_before)
    app.after_request(_after)
    app.register_error_handler(ApiProblem, _problem)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _crash)
    return app


def _rel_path() -> str | None:
    path = request.path
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        return path[len(API_PREFIX) :] or "/"
    return None


def _state() -> SandboxState:
    from flask import current_app

    return current_app.extensions["tripletex_sandbox"]


def api_error(problem: ApiProblem) -> Any:
    """The Tripletex ApiError body for a problem."""
    body: dict[str, Any] = {
        "status": problem.status,
        "code": problem.code,
        "message": problem.message,
        "link": "https://tripletex.no/v2-docs/",
        "developerMessage": problem.developer_message,
        "validationMessages": problem.validation or None,
        "requestId": getattr(g, "request_id", None),
    }
    resp = jsonify(body)
    resp.status_code = problem.status
    return resp


def _before() -> Any:
    g.request_id = str(uuid.uuid4())
    g.started = time.monotonic()
    rel = _rel_path()
    g.rel_path = rel
    if rel is None:
        return None
    st = _state()
    method = request.method.upper()
    if st.faults.latency:
        time.sleep(st.faults.latency)
    rule = st.faults.take(("429", "5xx", "error", "slow"), method, rel)
    if rule is not None:
        if rule.kind == "slow":
            time.sleep(rule.seconds)
        elif rule.kind == "429":
            g.fault_429 = rule
            return api_error(ApiProblem(429, 0, "Too Many Requests", "Request rate limit hit"))
        elif rule.kind == "error":
            return api_error(
                ApiProblem(rule.status, rule.code, rule.message, "Injected sandbox fault")
            )
        else:
            return api_error(
                ApiProblem(rule.status, 1000, "En uventet feil oppstod.", "Injected sandbox fault")
            )
    if (method, rel) not in NO_AUTH:
        _authenticate(st)
    if st.rate_enforced:
        limit, remaining, reset = st.rate_hit(getattr(g, "session_token", "anon"))
        g.rate = (limit, max(remaining, 0), reset)
        if remaining < 0:
            return api_error(ApiProblem(429, 0, "Too Many Requests", "Request rate limit hit"))
    if st.spec is not None:
        _validate_request(st, method, rel)
    return None


def _authenticate(st: SandboxState) -> None:
    header = request.headers.get("Authorization", "")
    problem = ApiProblem(
        401,
        3000,
        "Unauthorized",
        "Authorization header must be: Basic base64encoded(<<companyId>>:<<sessionToken>>)",
    )
    if not header.lower().startswith("basic "):
        raise problem
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except ValueError:
        raise problem from None
    user, sep, token = decoded.partition(":")
    if not sep or user.strip() not in ("", "0", str(st.company_id)):
        raise problem
    if not st.session_valid(token):
        raise ApiProblem(401, 3000, "Unauthorized", "Invalid or expired session token")
    g.session_token = token


def _validate_request(st: SandboxState, method: str, rel: str) -> None:
    spec = st.spec
    assert spec is not None
    item = spec.raw["paths"].get(rel)
    if item is not None and method.lower() not in item:
        # A literal path that exists without this method (e.g. GET /order/orderline) must not
        # fall through to a templated sibling like /order/{id}; Tripletex answers 400 "405".
        st.record_violation(
            kind="request",
            method=method,
            path=rel,
            field=None,
            message=f"Operation {method} not defined for {rel}",
        )
        raise ApiProblem(400, 4000, "HTTP 405 Method Not Allowed", f"{method} {rel}")
    violations = spec.request_violations(request)
    if violations:
        for v in violations:
            st.record_violation(
                kind="request", method=method, path=rel, field=v.field, message=v.message
            )
        first = violations[0]
        if first.location == "path" and first.field is None:
            if "Operation" in first.message:
                raise ApiProblem(400, 4000, "HTTP 405 Method Not Allowed", first.message)
            raise ApiProblem(404, 6000, "Object not found", first.message)
        raise ApiProblem(
            first.status,
            first.code,
            "Request mapping failed" if first.code == 16000 else "Validation failed",
            "; ".join(v.message for v in violations),
            [{"field": v.field or "", "message": v.message} for v in violations],
        )
    if method in ("POST", "PUT") and request.get_data(cache=True):
        template = _template(spec, method, rel)
        schema = spec.body_schema(method, template) if template else None
        if schema is not None:
            from .http import body_json

            unknown = spec.unknown_fields(schema, body_json())
            if unknown:
                for name in unknown:
                    st.record_violation(
                        kind="request",
                        method=method,
                        path=rel,
                        field=name,
                        message=f"Unknown field {name!r} (Tripletex: {MSG_UNKNOWN_FIELD})",
                    )
                raise ApiProblem(
                    422,
                    16000,
                    "Request mapping failed",
                    f"Unrecognized field(s): {', '.join(unknown)}",
                    [
                        {"field": n, "message": "Feltet eksisterer ikke i objektet."}
                        for n in unknown
                    ],
                )


def _template(spec: Any, method: str, rel: str) -> str | None:
    """The spec path template of a concrete path (literal segments win over `{id}`)."""
    cache = getattr(spec, "_template_cache", None)
    if cache is None:
        cache = {}
        for m, p in spec.ops:
            cache.setdefault(m, []).append(p)
        spec._template_cache = cache
    parts = rel.strip("/").split("/")
    best = None
    for p in cache.get(method, []):
        tparts = p.strip("/").split("/")
        if len(tparts) != len(parts):
            continue
        literal = 0
        ok = True
        for t, a in zip(tparts, parts, strict=True):
            if t.startswith("{"):
                continue
            if t != a:
                ok = False
                break
            literal += 1
        if ok and (best is None or literal > best[0]):
            best = (literal, p)
    return best[1] if best else None


def _after(response: Any) -> Any:
    rel = getattr(g, "rel_path", None)
    response.headers["x-tlx-request-id"] = getattr(g, "request_id", "")
    if rel is None:
        return response
    st = _state()
    limit, remaining, reset = getattr(g, "rate", (st.rate_limit, st.rate_limit - 1, 10))
    rule429 = getattr(g, "fault_429", None)
    response.headers["X-Rate-Limit-Limit"] = str(limit)
    response.headers["X-Rate-Limit-Remaining"] = "0" if rule429 else str(remaining)
    if rule429 is None:
        response.headers["X-Rate-Limit-Reset"] = str(reset)
    elif rule429.reset_header:
        response.headers["X-Rate-Limit-Reset"] = str(rule429.reset_seconds)
    st.log_request(
        {
            "method": request.method.upper(),
            "path": rel,
            "query": request.query_string.decode("latin-1"),
            "status": response.status_code,
            "request_id": g.request_id,
            "ms": round((time.monotonic() - g.started) * 1000, 2),
        }
    )
    if (
        st.validate_responses
        and 200 <= response.status_code < 300
        and response.status_code != 204
        and response.mimetype == "application/json"
        and st.spec is not None
    ):
        for v in st.spec.response_violations(request, response):
            st.record_violation(
                kind="response",
                method=request.method.upper(),
                path=rel,
                field=v.field,
                message=v.message,
            )
    if (
        st.validate_responses
        and response.status_code >= 400
        and response.mimetype == "application/json"
        and st.spec is not None
    ):
        for v in st.spec.error_violations(response.get_json(silent=True)):
            st.record_violation(
                kind="response",
                method=request.method.upper(),
                path=rel,
                field=None,
                message=v.message,
            )
    if 200 <= response.status_code < 300 and request.method.upper() != "GET":
        rule = st.faults.take(("lost",), request.method.upper(), rel)
        if rule is not None:
            return _lose(response, rule.mode, rule.seconds)
    return response


def _lose(response: Any, mode: str, seconds: float = 0.0) -> Any:
    """The write is committed; now make sure the caller never learns the outcome."""
    if mode == "hang":
        time.sleep(seconds)  # the caller's read timeout should have fired by now
        return response
    if mode == "500":
        return api_error(
            ApiProblem(500, 1000, "En uventet feil oppstod.", "Injected sandbox fault (stored)")
        )
    sock = request.environ.get("werkzeug.socket")
    if mode == "drop" and isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        return response  # werkzeug's write fails quietly: the connection is already gone
    from flask import current_app

    lost = current_app.response_class(status=504)
    lost.headers["x-tlx-request-id"] = g.request_id
    return lost


def _problem(problem: ApiProblem) -> Any:
    return api_error(problem)


def _http_error(exc: HTTPException) -> Any:
    if _rel_path() is None and not request.path.startswith("/_sandbox"):
        return exc
    if exc.code == 405:
        return api_error(ApiProblem(400, 4000, "HTTP 405 Method Not Allowed"))
    if exc.code == 404:
        if _state().spec is not None and _rel_path() is not None:
            # The spec knows this path (validation passed) but the sandbox does not emulate it.
            return api_error(
                ApiProblem(501, 1000, "Not implemented in the TiPro sandbox", request.path)
            )
        return api_error(ApiProblem(404, 6000, "Object not found", request.path))
    return api_error(ApiProblem(exc.code or 500, 1000, exc.description or "Error"))


def _crash(exc: Exception) -> Any:
    log.exception("sandbox crashed on %s %s", request.method, request.path)
    return api_error(ApiProblem(500, 1000, "En uventet feil oppstod.", repr(exc)))

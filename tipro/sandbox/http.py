"""Request helpers shared by the sandbox routes: arguments, bodies, envelopes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import current_app, g, jsonify, request

from .render import ALL, ApiProblem, Renderer, apply_sorting, digest, parse_fields
from .state import SandboxState

MSG_REQUIRED = "Feltet må fylles ut."
MSG_VALIDATION = "Validering feilet."


def state() -> SandboxState:
    """The SandboxState of the current app."""
    return current_app.extensions["tripletex_sandbox"]


def renderer() -> Renderer:
    """A renderer whose `url`s point at this sandbox."""
    return Renderer(state(), f"{request.host}/v2")


def validation_error(field: str, message: str, code: int = 18000, status: int = 422) -> ApiProblem:
    """422/18000 "Validering feilet." with one validation message."""
    return ApiProblem(
        status,
        code,
        MSG_VALIDATION if code == 18000 else message,
        "VALIDATION_ERROR",
        [{"field": field, "message": message, "path": field}],
    )


def not_found() -> ApiProblem:
    """404/6000 Object not found."""
    return ApiProblem(404, 6000, "Object not found", f"Object not found: {request.path}")


def existing(store: Any, kind: str, obj_id: int) -> dict[str, Any]:
    """The stored object, or Tripletex's 404/6000."""
    obj = store.get(kind, obj_id)
    if obj is None:
        raise not_found()
    return obj


# -- query arguments -----------------------------------------------------------------------


def arg_str(name: str, required: bool = False) -> str | None:
    """A string query argument; empty counts as missing."""
    value = request.args.get(name)
    if value is None or value == "":
        if required:
            raise ApiProblem(
                422,
                15000,
                "Validation failed",
                f"Missing required parameter: {name}",
                [{"field": name, "message": "Kan ikke være null."}],
            )
        return None
    return value


def arg_int(name: str, default: int | None = None, required: bool = False) -> int | None:
    """An integer query argument (422/21000 when it does not parse)."""
    value = arg_str(name, required)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ApiProblem(
            422,
            21000,
            f"Illegal value for parameter {name}: {value}",
            None,
            [{"field": name, "message": "Ugyldig tall."}],
        ) from None


def arg_bool(name: str, default: bool | None = None) -> bool | None:
    """A boolean query argument."""
    value = arg_str(name)
    if value is None:
        return default
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise ApiProblem(422, 21000, f"Illegal value for parameter {name}: {value}")


def arg_date(name: str, required: bool = False) -> dt.date | None:
    """A YYYY-MM-DD query argument."""
    value = arg_str(name, required)
    if value is None:
        return None
    return parse_date(value, name)


def arg_ids(name: str) -> set[int] | None:
    """A comma-separated "List of IDs" argument."""
    value = arg_str(name)
    if value is None:
        return None
    try:
        return {int(v) for v in value.split(",") if v.strip()}
    except ValueError:
        raise ApiProblem(422, 21000, f"Illegal value for parameter {name}: {value}") from None


def parse_date(value: Any, field: str) -> dt.date:
    """Parse a Tripletex date (422/18000 when it is not YYYY-MM-DD)."""
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise validation_error(field, "Ugyldig dato.") from None


def contains(haystack: Any, needle: str | None) -> bool:
    """Tripletex "Containing": case-insensitive substring."""
    return needle is None or needle.lower() in str(haystack or "").lower()


def ref_id(obj: dict[str, Any], field: str) -> int | None:
    """The id of a stored reference field."""
    value = obj.get(field)
    return value.get("id") if isinstance(value, dict) else None


# -- bodies --------------------------------------------------------------------------------


def body_json() -> Any:
    """The JSON body (422/22000 when it is not JSON)."""
    raw = request.get_data(cache=True)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiProblem(422, 22000, "Invalid JSON", str(exc)) from None


def body_object() -> dict[str, Any]:
    """A JSON object body."""
    data = body_json()
    if not isinstance(data, dict):
        raise ApiProblem(422, 16000, "Request mapping failed", "Expected a JSON object")
    return data


def body_list() -> list[dict[str, Any]]:
    """A JSON array-of-objects body."""
    data = body_json()
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise ApiProblem(422, 16000, "Request mapping failed", "Expected a JSON array of objects")
    return data


def check_version(obj: dict[str, Any], sent: Any) -> None:
    """409/8000 when a sent version is stale; no check when it was left out."""
    if sent is not None and int(sent) != int(obj.get("version", 0)):
        raise ApiProblem(
            409,
            8000,
            "Objektet har blitt endret av en annen bruker. Oppdater og prøv igjen.",
            f"Stale version: sent {sent}, current {obj.get('version', 0)}",
        )


# -- envelopes -----------------------------------------------------------------------------


def value_response(kind: str, obj: dict[str, Any], status: int = 200) -> Any:
    """{"value": ...} with `fields` applied."""
    sel = parse_fields(request.args.get("fields"))
    r = renderer()
    r.check_fields(kind, sel)
    resp = jsonify({"value": r.render(kind, obj, sel)})
    resp.status_code = status
    return resp


def stored_response(kind: str, obj_id: int) -> Any:
    """{"value": ...} of one stored object; 404 when it does not exist."""
    return value_response(kind, existing(state().store, kind, obj_id))


def values_response(kind: str, objs: list[dict[str, Any]], status: int = 200) -> Any:
    """A ListResponse of exactly these objects (for writes), no paging."""
    sel = parse_fields(request.args.get("fields"))
    r = renderer()
    values = [r.render(kind, o, sel) for o in objs]
    body = {"fullResultSize": len(values), "from": 0, "count": len(values), "values": values}
    dig = digest(objs, request.path)
    if dig:
        body["versionDigest"] = dig
    resp = jsonify(body)
    resp.status_code = status
    return resp


def list_response(
    kind: str,
    items: list[dict[str, Any]],
    *,
    extra: dict[str, Any] | None = None,
    virtual_fields: set[str] | None = None,
) -> Any:
    """The paged ListResponse envelope with sorting, digest and If-None-Match → 304."""
    st = state()
    sel = parse_fields(request.args.get("fields")) if request.args.get("fields") else ALL
    r = renderer()
    r.check_fields(kind, sel, virtual_fields)
    items = apply_sorting(st, kind, items, request.args.get("sorting"))
    start = arg_int("from", 0) or 0
    count = arg_int("count", 1000)
    count = 1000 if count is None else count
    if start < 0 or count < 0:
        raise ApiProblem(422, 21000, "from and count must be >= 0")
    salt = "|".join(
        [request.path, request.args.get("fields", ""), request.args.get("sorting", "")]
        + [
            f"{k}={v}"
            for k, v in sorted(request.args.items(multi=True))
            if k not in ("from", "count")
        ]
    )
    dig = digest(items, salt)
    inm = request.headers.get("If-None-Match")
    if inm and dig and inm.strip('"') == dig:
        g.not_modified = True
        return current_app.response_class(status=304)
    page = items[start : start + count]
    total = len(items)
    # Deliberately inexact like Tripletex: "there is more" rather than a total.
    full = start + count + 1 if start + count < total else total
    body: dict[str, Any] = {
        "fullResultSize": full,
        "from": start,
        "count": len(page),
    }
    if dig:
        body["versionDigest"] = dig
    body["values"] = [r.render(kind, o, sel) for o in page]
    if extra:
        body.update(extra)
    resp = jsonify(body)
    if dig:
        resp.headers["ETag"] = f'"{dig}"'
    return resp


def no_content() -> Any:
    """204 with no body."""
    return current_app.response_class(status=204)

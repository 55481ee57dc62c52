"""Loading the official Tripletex OpenAPI spec and validating sandbox traffic against it."""

from __future__ import annotations

import copy
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from werkzeug.datastructures import Headers, ImmutableMultiDict

log = logging.getLogger(__name__)

SPEC_ENV = "TIPRO_TRIPLETEX_SPEC"
REQUIRED_SPEC_NAME = "openapi-2.71.19-required.json"

_cache: dict[str, SpecBundle] = {}
_cache_lock = threading.Lock()
_warned_missing = False


@dataclass
class Violation:
    """One way a request or response broke the spec."""

    kind: str  # "request" or "response"
    location: str  # "query", "path", "body", "response"
    field: str | None
    message: str
    status: int = 422
    code: int = 15000


def resolve_spec_path(spec_path: str | None) -> str | None:
    """Spec path from the argument, else TIPRO_TRIPLETEX_SPEC, else None (warning logged once)."""
    global _warned_missing
    path = spec_path or os.environ.get(SPEC_ENV)
    if path:
        return path
    if not _warned_missing:
        _warned_missing = True
        log.warning(
            "Tripletex sandbox runs WITHOUT spec validation: pass spec_path or set %s", SPEC_ENV
        )
    return None


def load_spec(path: str) -> SpecBundle:
    """Load (once per process and path) the spec and its openapi-core validator."""
    key = str(Path(path).resolve())
    with _cache_lock:
        bundle = _cache.get(key)
        if bundle is None:
            bundle = SpecBundle(key)
            _cache[key] = bundle
        return bundle


def _normalise(raw: dict[str, Any]) -> dict[str, Any]:
    """Apply the load-time adjustments STACK.md lists so openapi-core accepts the spec."""
    spec = copy.deepcopy(raw)
    # A relative server lets the validator match any host the sandbox is served on.
    spec["servers"] = [{"url": "/v2"}]
    for item in spec["paths"].values():
        for op in item.values():
            if not isinstance(op, dict):
                continue
            for param in op.get("parameters", []):
                _fix_default(param.get("schema", {}))
            body = op.get("requestBody")
            if body and "content" in body:
                body["content"] = {k.split(";")[0].strip(): v for k, v in body["content"].items()}
            for resp in op.get("responses", {}).values():
                if "content" in resp:
                    resp["content"] = {
                        k.split(";")[0].strip(): v for k, v in resp["content"].items()
                    }
    for schema in spec["components"]["schemas"].values():
        # Top-level readOnly on e.g. Payslip would reject every legitimate POST body.
        schema.pop("readOnly", None)
    return spec


def _fix_default(schema: dict[str, Any]) -> None:
    """The spec writes integer/boolean defaults as strings ("0", "1000"); give them their type."""
    default = schema.get("default")
    if not isinstance(default, str):
        return
    kind = schema.get("type")
    try:
        if kind == "integer":
            schema["default"] = int(default)
        elif kind == "number":
            schema["default"] = float(default)
        elif kind == "boolean":
            schema["default"] = default.lower() == "true"
    except ValueError:
        schema.pop("default")


class SpecBundle:
    """The parsed spec, an openapi-core validator and schema helpers."""

    def __init__(self, path: str):
        from openapi_core import Config, OpenAPI

        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh)
        self.path = path
        self.raw = raw
        self.schemas: dict[str, Any] = raw["components"]["schemas"]
        self.openapi = OpenAPI.from_dict(_normalise(raw), config=Config(spec_validator_cls=None))
        self.required: dict[str, list[str]] = {}
        req_path = Path(path).with_name(REQUIRED_SPEC_NAME)
        if req_path.exists():
            with open(req_path, encoding="utf-8") as fh:
                req_raw = json.load(fh)
            for name, schema in req_raw.get("components", {}).get("schemas", {}).items():
                if schema.get("required"):
                    self.required[name] = list(schema["required"])
        self.ops: dict[tuple[str, str], dict[str, Any]] = {}
        for p, item in raw["paths"].items():
            for method, op in item.items():
                if isinstance(op, dict):
                    self.ops[(method.upper(), p)] = op

    # -- schema helpers -------------------------------------------------------------------

    def deref(self, schema: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        """Follow a $ref; returns (schema name or None, schema)."""
        ref = schema.get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[-1]
            return name, self.schemas[name]
        return None, schema

    def properties(self, schema_name: str) -> dict[str, Any]:
        """Properties of a named component schema."""
        return self.schemas.get(schema_name, {}).get("properties", {})

    def body_schema(self, method: str, template: str) -> dict[str, Any] | None:
        """The request-body schema of an operation, if any."""
        op = self.ops.get((method, template))
        if not op or "requestBody" not in op:
            return None
        content = op["requestBody"].get("content", {})
        for value in content.values():
            return value.get("schema")
        return None

    def unknown_fields(self, schema: dict[str, Any], data: Any, path: str = "") -> list[str]:
        """Dotted paths of body fields the schema does not define (Tripletex rejects these)."""
        out: list[str] = []
        name, sch = self.deref(schema)
        if sch.get("type") == "array" and isinstance(data, list):
            for i, item in enumerate(data):
                out.extend(self.unknown_fields(sch.get("items", {}), item, f"{path}[{i}]"))
            return out
        if not isinstance(data, dict):
            return out
        props = sch.get("properties")
        if props is None:
            return out
        if sch.get("additionalProperties"):
            return out
        for key, value in data.items():
            sub = f"{path}.{key}" if path else key
            if key not in props:
                out.append(sub)
                continue
            out.extend(self.unknown_fields(props[key], value, sub))
        return out

    def missing_required(self, schema: dict[str, Any], data: Any, path: str = "") -> list[str]:
        """Fields required by the 2.71.19 lists that the body leaves out (top level and lists)."""
        name, sch = self.deref(schema)
        if sch.get("type") == "array" and isinstance(data, list):
            out: list[str] = []
            for i, item in enumerate(data):
                out.extend(self.missing_required(sch.get("items", {}), item, f"{path}[{i}]"))
            return out
        if not isinstance(data, dict) or name is None:
            return []
        return [
            f"{path}.{field}" if path else field
            for field in self.required.get(name, [])
            if data.get(field) is None
        ]

    # -- openapi-core --------------------------------------------------------------------

    def request_violations(self, request: Any) -> list[Violation]:
        """Validate a werkzeug request; returns violations (empty when valid)."""
        from openapi_core.templating.paths.exceptions import PathError
        from openapi_core.validation.request import exceptions as rex

        oreq = _OpenAPIRequest(request)
        out: list[Violation] = []
        try:
            errors = list(self.openapi.iter_request_errors(oreq))
        except PathError as exc:
            return [Violation("request", "path", None, f"{type(exc).__name__}: {exc}", 400, 4000)]
        for err in errors:
            if isinstance(err, rex.SecurityValidationError):
                continue  # auth is the sandbox's own 401 logic
            if isinstance(err, PathError):
                out.append(Violation("request", "path", None, str(err), 400, 4000))
            elif isinstance(err, rex.MissingRequiredParameter):
                out.append(Violation("request", "query", err.name, str(err), 422, 15000))
            elif isinstance(err, rex.ParameterValidationError):
                detail = _cause_detail(err)
                loc = getattr(err, "location", "query")
                status, code = (400, 12000) if loc == "path" else (422, 21000)
                out.append(Violation("request", loc, err.name, f"{err}{detail}", status, code))
            elif isinstance(err, rex.RequestBodyValidationError):
                out.append(
                    Violation(
                        "request",
                        "body",
                        _body_field(err),
                        f"{err}{_cause_detail(err)}",
                        422,
                        16000,
                    )
                )
            else:
                out.append(Violation("request", "other", None, str(err), 422, 15000))
        return out

    def error_violations(self, body: Any) -> list[Violation]:
        """Check an error body against the spec's ApiError schema (nulls allowed, as Tripletex
        sends them; the spec declares no error responses, so openapi-core cannot check these)."""
        problems: list[str] = []
        self._shape(self.schemas["ApiError"], body, "", problems)
        return [Violation("response", "response", None, f"ApiError{m}") for m in problems]

    def _shape(self, schema: dict[str, Any], value: Any, where: str, out: list[str]) -> None:
        _, sch = self.deref(schema)
        kind = sch.get("type")
        if value is None:
            return
        if kind == "array":
            if not isinstance(value, list):
                out.append(f"{where}: expected an array")
                return
            for i, item in enumerate(value):
                self._shape(sch.get("items", {}), item, f"{where}[{i}]", out)
            return
        if kind == "object" or "properties" in sch:
            if not isinstance(value, dict):
                out.append(f"{where}: expected an object")
                return
            props = sch.get("properties", {})
            for key, item in value.items():
                if key not in props:
                    out.append(f"{where}.{key}: not in the schema")
                else:
                    self._shape(props[key], item, f"{where}.{key}", out)
            return
        types = {"string": str, "integer": int, "number": (int, float), "boolean": bool}
        expected = types.get(kind or "")
        if expected and (not isinstance(value, expected) or (kind != "boolean" and value is True)):
            out.append(f"{where}: {value!r} is not {kind}")

    def response_violations(self, request: Any, response: Any) -> list[Violation]:
        """Validate a sandbox response against the operation's response schema."""
        from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse

        oreq = _OpenAPIRequest(request)
        try:
            errors = list(
                self.openapi.iter_response_errors(oreq, WerkzeugOpenAPIResponse(response))
            )
        except Exception as exc:  # noqa: BLE001 - any validator failure is a finding here
            return [Violation("response", "response", None, f"{type(exc).__name__}: {exc}")]
        return [
            Violation("response", "response", None, f"{err}{_cause_detail(err)}") for err in errors
        ]


def _body_field(err: BaseException) -> str | None:
    """Dotted path of the first offending body field, from openapi-core's schema errors."""
    cause = err.__cause__
    while cause is not None:
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            for se in schema_errors:
                return ".".join(str(p) for p in se.absolute_path) or None
        cause = cause.__cause__
    return None


def _cause_detail(err: BaseException) -> str:
    """Flatten openapi-core's nested schema errors into a short readable suffix."""
    parts: list[str] = []
    cause = err.__cause__
    while cause is not None:
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            for se in list(schema_errors)[:5]:
                where = "/".join(str(p) for p in se.absolute_path)
                parts.append(f"{where or '<root>'}: {se.message}")
            break
        parts.append(str(cause))
        cause = cause.__cause__
    return (": " + "; ".join(parts)) if parts else ""


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


class _OpenAPIRequest:
    """openapi-core request adapter that unquotes the path (`%3E` → `>`)."""

    def __init__(self, request: Any):
        self.request = request
        from openapi_core.datatypes import RequestParameters

        self.parameters = RequestParameters(
            query=ImmutableMultiDict(request.args),
            header=Headers(request.headers),
            cookie=request.cookies,
        )

    @property
    def host_url(self) -> str:
        return self.request.host_url.rstrip("/")

    @property
    def path(self) -> str:
        return unquote(self.request.path)

    @property
    def method(self) -> str:
        return self.request.method.lower()

    @property
    def body(self) -> bytes | None:
        data = self.request.get_data(cache=True)
        if not data:
            return None
        try:
            parsed = json.loads(data)
        except ValueError:
            return data
        # The spec marks nothing nullable, yet Tripletex accepts `null` for "not set" (and
        # documents the PUT nulling quirk); nulls are therefore left out of schema validation.
        return json.dumps(_drop_nulls(parsed)).encode()

    @property
    def content_type(self) -> str:
        ctype = self.request.content_type or "application/json"
        return ctype.split(";")[0].strip().lower()

"""Our own check of what the client sends against the official spec (independent of the sandbox)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

SPEC = Path("/work/shared/tripletex/openapi.json")
REQUIRED_SPEC = Path("/work/shared/tripletex/openapi-2.71.19-required.json")


@cache
def spec() -> dict[str, Any]:
    """The 2.72.00 spec."""
    return json.loads(SPEC.read_text())


@cache
def required_lists() -> dict[str, list[str]]:
    """Schema name -> required properties, from the 2.71.19 conversion."""
    raw = json.loads(REQUIRED_SPEC.read_text())
    schemas = raw.get("components", {}).get("schemas") or raw.get("definitions") or {}
    return {name: s.get("required", []) for name, s in schemas.items()}


@cache
def _path_patterns() -> list[tuple[re.Pattern[str], str]]:
    out = []
    for template in spec()["paths"]:
        regex = re.escape(template)
        regex = re.sub(r"\\\{[^}]+\\\}", r"[^/]+", regex)
        out.append((re.compile(f"^{regex}$"), template))
    # Literal segments (>whoAmI, :create) must win over {id}: fewer placeholders first.
    out.sort(key=lambda item: item[1].count("{"))
    return out


def operation(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """Find the spec operation for a concrete path; AssertionError if there is none."""
    for regex, template in _path_patterns():
        if regex.match(path):
            op = spec()["paths"][template].get(method.lower())
            if op is not None:
                return template, op
    raise AssertionError(f"{method} {path} is not an operation in the spec")


def query_problems(method: str, path: str, query: dict[str, str]) -> list[str]:
    """Unknown or missing query parameters, and values that break the declared type."""
    template, op = operation(method, path)
    params = {p["name"]: p for p in op.get("parameters", []) if p.get("in") == "query"}
    problems = []
    for name, value in query.items():
        p = params.get(name)
        if p is None:
            problems.append(f"{method} {template}: unknown query parameter {name!r}")
            continue
        schema = p.get("schema", {})
        kind = schema.get("type")
        if kind == "integer" and not re.fullmatch(r"-?\d+", value):
            problems.append(f"{method} {template}: {name}={value!r} is not an integer")
        if kind == "boolean" and value not in ("true", "false"):
            problems.append(f"{method} {template}: {name}={value!r} is not a boolean")
        if "enum" in schema and value not in schema["enum"]:
            problems.append(f"{method} {template}: {name}={value!r} not in {schema['enum']}")
    for name, p in params.items():
        if p.get("required") and name not in query:
            problems.append(f"{method} {template}: missing required query parameter {name!r}")
    return problems


def _resolve(schema: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    ref = schema.get("$ref")
    if not ref:
        return None, schema
    name = ref.rsplit("/", 1)[-1]
    return name, spec()["components"]["schemas"][name]


def body_problems(method: str, path: str, body: Any) -> list[str]:
    """Unknown fields, read-only fields, wrong JSON types and missing required fields."""
    template, op = operation(method, path)
    content = op.get("requestBody", {}).get("content", {})
    if not content:
        return [] if body is None else [f"{method} {template}: takes no body"]
    schema = next(iter(content.values()))["schema"]
    return _check(body, schema, f"{method} {template}")


def _check(value: Any, schema: dict[str, Any], where: str, top: bool = True) -> list[str]:
    name, schema = _resolve(schema)
    kind = schema.get("type")
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: expected an array"]
        return [p for i, v in enumerate(value) for p in _check(v, schema["items"], f"{where}[{i}]")]
    if kind == "object" or "properties" in schema:
        if not isinstance(value, dict):
            return [f"{where}: expected an object"]
        props = schema.get("properties", {})
        problems = []
        for key, sub in value.items():
            if key not in props:
                problems.append(f"{where}.{key}: not a field of {name}")
                continue
            if props[key].get("readOnly"):
                problems.append(f"{where}.{key}: read-only in {name}")
            problems.extend(_check(sub, props[key], f"{where}.{key}", top=False))
        # A nested reference like {"id": 5} is not a new object: required lists apply at the top.
        is_reference = not top and set(value) <= {"id"}
        if name and not is_reference:
            for req in required_lists().get(name, []):
                if req not in value:
                    problems.append(f"{where}: missing required {name}.{req}")
        return problems
    expected = {
        "string": str,
        "integer": int,
        "number": (int, float),
        "boolean": bool,
    }.get(kind or "")
    if expected and (not isinstance(value, expected) or (kind != "boolean" and value is True)):
        return [f"{where}: {value!r} is not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in enum"]
    return []

"""Turning request bodies into stored objects, with Tripletex's generic write rules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import KINDS
from .render import ApiProblem

if TYPE_CHECKING:
    from .state import SandboxState

MSG_MISSING_OBJECT = "Objektet finnes ikke."


def required_fields(state: SandboxState, kind: str, data: dict[str, Any], prefix: str = "") -> None:
    """422/18000 for fields the 2.71.19 spec lists as required (Tripletex's own check)."""
    spec = state.spec
    schema = KINDS[kind].schema
    names = spec.required.get(schema, []) if spec is not None else FALLBACK_REQUIRED.get(kind, [])
    missing = [n for n in names if data.get(n) in (None, "")]
    if missing:
        raise ApiProblem(
            422,
            18000,
            "Validering feilet.",
            "VALIDATION_ERROR",
            [
                {"field": prefix + n, "message": "Feltet må fylles ut.", "path": prefix + n}
                for n in missing
            ],
        )


# Used when the sandbox runs without the spec files.
FALLBACK_REQUIRED = {
    "timesheetEntry": ["activity", "date", "employee", "hours"],
    "order": ["customer", "deliveryDate", "orderDate"],
    "salaryTypeSpecification": ["count", "date", "employee", "salaryType"],
    "salaryProjectTypeSpecification": ["count", "date", "employee", "salaryType"],
    "salaryTransaction": ["month", "payslips", "year"],
    "payslip": ["employee"],
    "salarySpecification": ["count", "rate", "salaryType"],
    "subscription": ["event", "targetUrl"],
    "customer": ["name"],
    "employee": ["firstName", "lastName"],
    "project": ["isInternal", "name", "projectManager", "startDate"],
    "department": ["name"],
}


def ingest(
    state: SandboxState, kind: str, data: dict[str, Any], prefix: str = "", *, lists: bool = False
) -> dict[str, Any]:
    """Copy writable fields; references must point at existing objects (422 otherwise)."""
    meta = KINDS[kind]
    props = state.spec.properties(meta.schema) if state.spec is not None else None
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("id", "version", "url", "changes") or key in meta.lists:
            continue
        if props is not None and (key not in props or props[key].get("readOnly")):
            continue
        if key in meta.refs:
            if value is None:
                out[key] = None
                continue
            target_id = value.get("id") if isinstance(value, dict) else None
            if target_id is None or state.store.get(meta.refs[key], target_id) is None:
                raise ApiProblem(
                    422,
                    18000,
                    "Validering feilet.",
                    "VALIDATION_ERROR",
                    [{"field": prefix + key, "message": MSG_MISSING_OBJECT, "path": prefix + key}],
                )
            out[key] = {"id": int(target_id)}
        else:
            out[key] = value
    return out


def display_fields(kind: str, obj: dict[str, Any]) -> None:
    """Fill read-only display fields Tripletex computes."""
    if kind == "employee":
        obj["displayName"] = f"{obj.get('firstName', '')} {obj.get('lastName', '')}".strip()
    elif kind in ("project", "activity", "product"):
        obj["displayName"] = " ".join(str(x) for x in (obj.get("number"), obj.get("name")) if x)
    elif kind == "customer":
        obj.setdefault("displayName", obj.get("name"))
        obj.setdefault("isCustomer", True)


def prepare_external(state: SandboxState, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Defaults for objects created through the control API (someone working in Tripletex)."""
    obj = dict(data)
    if kind == "customer":
        obj.setdefault("isInactive", False)
        numbers = [c.get("customerNumber", 0) for c in state.store.all("customer")]
        obj.setdefault("customerNumber", max(numbers, default=10000) + 1)
    elif kind == "employee":
        obj.setdefault("isContact", False)
        obj.setdefault("employments", [])
        obj.setdefault("allowInformationRegistration", True)
        obj.setdefault("companyId", state.company_id)
    elif kind == "project":
        obj.setdefault("isClosed", False)
        obj.setdefault("isInternal", obj.get("customer") is None)
        obj.setdefault("participants", [])
        obj.setdefault("projectActivities", [])
        obj.setdefault("projectHourlyRates", [])
    elif kind == "product":
        obj.setdefault("isInactive", False)
    display_fields(kind, obj)
    return obj

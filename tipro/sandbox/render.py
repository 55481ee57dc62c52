"""Tripletex's `fields` selection, reference collapsing, sorting and list envelopes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .model import KINDS, WRITE_ONLY

if TYPE_CHECKING:
    from .state import SandboxState


class ApiProblem(Exception):
    """An error the sandbox answers with a Tripletex ApiError body."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        developer_message: str | None = None,
        validation: list[dict[str, Any]] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.developer_message = developer_message
        self.validation = validation or []


@dataclass
class FieldSel:
    """A parsed `fields` selection: `*` and named fields, each optionally expanded."""

    star: bool = False
    children: dict[str, FieldSel | None] = field(default_factory=dict)


ALL = FieldSel(star=True)


def parse_fields(text: str | None) -> FieldSel:
    """Parse `a,b(c,d(*)),*` into a FieldSel; empty means all own fields."""
    if not text or not text.strip():
        return ALL
    pos = 0
    s = text.replace(" ", "")

    def parse_list() -> FieldSel:
        nonlocal pos
        sel = FieldSel()
        while pos < len(s):
            if s[pos] == ")":
                return sel
            start = pos
            while pos < len(s) and s[pos] not in ",()":
                pos += 1
            name = s[start:pos]
            sub: FieldSel | None = None
            if pos < len(s) and s[pos] == "(":
                pos += 1
                sub = parse_list()
                if pos >= len(s) or s[pos] != ")":
                    raise ApiProblem(400, 11000, f"Illegal fields filter: {text}")
                pos += 1
            if name == "*":
                sel.star = True
            elif name:
                sel.children[name] = sub
            if pos < len(s) and s[pos] == ",":
                pos += 1
        return sel

    sel = parse_list()
    if pos != len(s):
        raise ApiProblem(400, 11000, f"Illegal fields filter: {text}")
    return sel


class Renderer:
    """Turns stored objects into response JSON for one request."""

    def __init__(self, state: SandboxState, url_base: str):
        self.state = state
        self.url_base = url_base  # e.g. "127.0.0.1:8090/v2"

    def url(self, kind: str, obj_id: int) -> str:
        """The `url` of an object, in Tripletex's scheme-less form."""
        return f"{self.url_base}/{KINDS[kind].path}/{obj_id}"

    def ref(self, kind: str, obj_id: int) -> dict[str, Any]:
        """A collapsed reference."""
        return {"id": obj_id, "url": self.url(kind, obj_id)}

    def check_fields(self, kind: str, sel: FieldSel, virtual: set[str] | None = None) -> None:
        """400/11000 for a field that does not exist on the kind's schema (like Tripletex)."""
        spec = self.state.spec
        if spec is None:
            return
        props = spec.properties(KINDS[kind].schema)
        for name, sub in sel.children.items():
            if name not in props and name not in (virtual or set()):
                raise ApiProblem(
                    400,
                    11000,
                    f"Illegal field in fields filter: {name}. {name} does not match a field in "
                    f"the model: {KINDS[kind].schema}DTO",
                )
            if sub is not None:
                target = KINDS[kind].refs.get(name) or KINDS[kind].lists.get(name)
                if target:
                    self.check_fields(target, sub)

    def render(self, kind: str, obj: dict[str, Any], sel: FieldSel = ALL) -> dict[str, Any]:
        """Render one object under a field selection; references collapse unless expanded."""
        meta = KINDS[kind]
        hidden = WRITE_ONLY.get(kind, set())
        out: dict[str, Any] = {}
        names: list[str] = []
        if sel.star:
            names = [k for k in obj if not k.startswith("_") and k != "changes"]
            if "url" not in obj:
                names.insert(2 if len(names) > 2 else len(names), "url")
        for name in sel.children:
            if name not in names:
                names.append(name)
        for name in names:
            if name in hidden:
                continue
            sub = sel.children.get(name)
            if name == "url":
                out["url"] = self.url(kind, obj["id"])
                continue
            if name == "changes":
                out["changes"] = obj.get("_changes", [])
                continue
            value = obj.get(name)
            if value is None:
                continue  # the spec has no nullable fields; null fields are left out
            if name in meta.refs:
                rendered = self._render_ref(meta.refs[name], value, sub)
                if rendered is not None:
                    out[name] = rendered
            elif name in meta.lists:
                out[name] = [
                    r
                    for r in (self._render_ref(meta.lists[name], v, sub) for v in value)
                    if r is not None
                ]
            elif isinstance(value, dict) and sub is not None and not sub.star:
                out[name] = {k: v for k, v in value.items() if k in sub.children}
            else:
                out[name] = value
        return out

    def _render_ref(self, kind: str, ref: dict[str, Any], sub: FieldSel | None) -> Any:
        ref_id = ref.get("id")
        if ref_id is None:
            return None
        if sub is None:
            return self.ref(kind, ref_id)
        target = self.state.store.get(kind, ref_id)
        if target is None:
            return self.ref(kind, ref_id)
        return self.render(kind, target, sub)


def sort_key_path(state: SandboxState, kind: str, obj: dict[str, Any], path: list[str]) -> Any:
    """Value at a dotted sorting path, following references into the store."""
    current: Any = obj
    current_kind: str | None = kind
    for i, part in enumerate(path):
        if not isinstance(current, dict):
            return None
        value = current.get(part)
        if i < len(path) - 1 and current_kind and part in KINDS[current_kind].refs:
            target_kind = KINDS[current_kind].refs[part]
            value = state.store.get(target_kind, value["id"]) if value else None
            current_kind = target_kind
        else:
            current_kind = None
        current = value
    return current


def apply_sorting(
    state: SandboxState, kind: str, items: list[dict[str, Any]], sorting: str | None
) -> list[dict[str, Any]]:
    """Sort by `sorting=a.b,-c`; default order is by id."""
    items = sorted(items, key=lambda o: o.get("id", 0))
    if not sorting or not sorting.strip():
        return items
    spec = state.spec
    keys = [k.strip() for k in sorting.split(",") if k.strip()]
    for key in reversed(keys):
        desc = key.startswith("-")
        path = key.lstrip("-").split(".")
        if spec is not None and path[0] not in spec.properties(KINDS[kind].schema):
            raise ApiProblem(422, 17000, f"Illegal sorting field: {key}")

        def sort_value(o: dict[str, Any], path: list[str] = path) -> tuple[int, Any]:
            v = sort_key_path(state, kind, o, path)
            if isinstance(v, dict):
                v = v.get("id")
            if v is None:
                return (1, "")
            if isinstance(v, bool):
                return (0, int(v))
            if isinstance(v, int | float):
                return (0, float(v))
            return (0, str(v).lower())

        present = [o for o in items if sort_value(o)[0] == 0]
        missing = [o for o in items if sort_value(o)[0] == 1]
        present.sort(key=lambda o: sort_value(o)[1], reverse=desc)
        items = present + missing
    return items


def digest(items: list[dict[str, Any]], salt: str) -> str | None:
    """versionDigest: a hash of the whole filtered result (ids and change sequence numbers)."""
    if not items:
        return None
    h = hashlib.sha1(salt.encode(), usedforsecurity=False)
    for o in items:
        h.update(f"{o.get('id')}:{o.get('version', 0)}:{o.get('_seq', 0)};".encode())
    return h.hexdigest()

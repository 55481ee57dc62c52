"""Sandbox routes: orders and order lines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint

from .http import (
    arg_bool,
    arg_date,
    arg_ids,
    arg_str,
    body_list,
    body_object,
    check_version,
    contains,
    existing,
    list_response,
    no_content,
    not_found,
    parse_date,
    ref_id,
    state,
    stored_response,
    validation_error,
    value_response,
    values_response,
)
from .render import ApiProblem
from .rules import ingest, required_fields

bp = Blueprint("sandbox_orders", __name__)
MAX_ORDERS = 100


def _line(st: Any, data: dict[str, Any], order: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Validate one order line and fill its computed fields."""
    line = ingest(st, "orderLine", data, prefix)
    product = st.store.get("product", ref_id(line, "product"))
    if product and "vatType" not in line and product.get("vatType"):
        line["vatType"] = {"id": product["vatType"]["id"]}
    if "vatType" not in line:
        raise validation_error(prefix + "vatType", "Mva-kode må settes på linjer uten produkt.")
    vat = st.store.get("vatType", ref_id(line, "vatType")) or {}
    factor = 1 + float(vat.get("percentage", 0.0)) / 100
    excl, incl = (
        line.get("unitPriceExcludingVatCurrency"),
        line.get("unitPriceIncludingVatCurrency"),
    )
    if excl is None and incl is None and product:
        excl = product.get("priceExcludingVatCurrency", 0.0)
    if excl is not None and incl is not None and abs(float(excl) * factor - float(incl)) > 0.01:
        raise validation_error(
            prefix + "unitPriceIncludingVatCurrency",
            "Pris eks. og inkl. mva stemmer ikke overens.",
        )
    if order.get("isPrioritizeAmountsIncludingVat") and incl is None and excl is not None:
        incl = round(float(excl) * factor, 10)
    if excl is None and incl is not None:
        excl = round(float(incl) / factor, 10)
    if incl is None:
        incl = round(float(excl or 0.0) * factor, 10)
    line["unitPriceExcludingVatCurrency"] = float(excl or 0.0)
    line["unitPriceIncludingVatCurrency"] = float(incl)
    count = float(line.get("count") or 0.0)
    discount = float(line.get("discount") or 0.0)
    amount = round(count * float(excl or 0.0) * (1 - discount / 100), 2)
    line["amountExcludingVatCurrency"] = amount
    line["amountIncludingVatCurrency"] = round(amount * factor, 2)
    if not line.get("description") and product:
        line["description"] = product.get("name")
    return line


def _plan_order(
    st: Any, data: dict[str, Any], prefix: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    required_fields(st, "order", data, prefix)
    order = ingest(st, "order", data, prefix)
    parse_date(order["orderDate"], prefix + "orderDate")
    parse_date(order["deliveryDate"], prefix + "deliveryDate")
    order.setdefault("isClosed", False)
    order.setdefault("isSubscription", False)
    order.setdefault("isPrioritizeAmountsIncludingVat", False)
    lines = [
        _line(st, line, order, f"{prefix}orderLines[{i}].")
        for i, line in enumerate(data.get("orderLines") or [])
    ]
    return order, lines


def _store_order(st: Any, order: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    numbers = [int(o.get("number", 0)) for o in st.store.all("order")]
    order["number"] = str(max(numbers, default=0) + 1)
    customer = st.store.get("customer", ref_id(order, "customer")) or {}
    order["customerName"] = customer.get("name")
    order["orderLines"] = []
    created = st.insert("order", order, fire=False)
    created["orderLines"] = [
        {"id": st.insert("orderLine", {**line, "order": {"id": created["id"]}}, fire=False)["id"]}
        for line in lines
    ]
    st.fire("order", "create", created)
    return created


@bp.get("/order")
def order_list() -> Any:
    """Orders in [orderDateFrom, orderDateTo) (both required)."""
    st = state()
    date_from = arg_date("orderDateFrom", required=True)
    date_to = arg_date("orderDateTo", required=True)
    assert date_from is not None and date_to is not None
    ids, customers = arg_ids("id"), arg_ids("customerId")
    number, comment = arg_str("number"), arg_str("deliveryComment")
    closed, subscription = arg_bool("isClosed"), arg_bool("isSubscription")
    out = [
        o
        for o in st.all("order")
        if date_from <= dt.date.fromisoformat(o["orderDate"]) < date_to
        and (ids is None or o["id"] in ids)
        and (customers is None or ref_id(o, "customer") in customers)
        and (number is None or o.get("number") == number)
        and contains(o.get("deliveryComment"), comment)
        and (closed is None or bool(o.get("isClosed")) == closed)
        and (subscription is None or bool(o.get("isSubscription")) == subscription)
    ]
    return list_response("order", out)


@bp.post("/order")
def order_create() -> Any:
    """Create an order with embedded lines."""
    st = state()
    data = body_object()
    with st.lock:
        order, lines = _plan_order(st, data, "")
        created = _store_order(st, order, lines)
    return value_response("order", created, 201)


@bp.post("/order/list")
def order_create_list() -> Any:
    """Create up to 100 orders, all-or-nothing."""
    st = state()
    items = body_list()
    if len(items) > MAX_ORDERS:
        raise ApiProblem(
            422,
            15000,
            f"Kan ikke opprette mer enn {MAX_ORDERS} ordrer om gangen.",
            f"Max {MAX_ORDERS} orders per request, got {len(items)}",
        )
    with st.lock:
        planned = [_plan_order(st, data, f"[{i}].") for i, data in enumerate(items)]
        created = [_store_order(st, order, lines) for order, lines in planned]
    return values_response("order", created, 201)


@bp.get("/order/<int:obj_id>")
def order_get(obj_id: int) -> Any:
    """One order."""
    return stored_response("order", obj_id)


@bp.put("/order/<int:obj_id>")
def order_update(obj_id: int) -> Any:
    """Partial update; updateLinesAndGroups=true replaces the line set."""
    st = state()
    data = body_object()
    with st.lock:
        obj = existing(st.store, "order", obj_id)
        check_version(obj, data.get("version"))
        changes = ingest(st, "order", data)
        merged = {**obj, **changes}
        new_lines = None
        if arg_bool("updateLinesAndGroups", False) and "orderLines" in data:
            new_lines = [
                _line(st, line, merged, f"orderLines[{i}].")
                for i, line in enumerate(data["orderLines"] or [])
            ]
        if new_lines is not None:
            for ref in obj.get("orderLines", []):
                st.store.remove("orderLine", ref["id"])
            changes["orderLines"] = [
                {"id": st.insert("orderLine", {**ln, "order": {"id": obj_id}}, fire=False)["id"]}
                for ln in new_lines
            ]
        updated = st.modify("order", obj_id, changes)
    return value_response("order", updated)


@bp.delete("/order/<int:obj_id>")
def order_delete(obj_id: int) -> Any:
    """Delete an order and its lines."""
    st = state()
    with st.lock:
        obj = existing(st.store, "order", obj_id)
        for ref in obj.get("orderLines", []):
            st.store.remove("orderLine", ref["id"])
        st.remove("order", obj_id)
    return no_content()


def _add_lines(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    st = state()
    planned = []
    for i, data in enumerate(items):
        prefix = f"[{i}]." if len(items) > 1 else ""
        order = (
            st.store.get("order", ref_id(data, "order"))
            if isinstance(data.get("order"), dict)
            else None
        )
        if order is None:
            raise validation_error(prefix + "order", "Feltet må fylles ut.")
        planned.append((order, _line(st, data, order, prefix)))
    created = []
    for order, line in planned:
        obj = st.insert("orderLine", {**line, "order": {"id": order["id"]}}, fire=False)
        order["orderLines"].append({"id": obj["id"]})
        st.touch("order", order["id"])
        created.append(obj)
    return created


@bp.post("/order/orderline")
def orderline_create() -> Any:
    """Add one line to an existing order."""
    st = state()
    data = body_object()
    with st.lock:
        created = _add_lines([data])
    return value_response("orderLine", created[0], 201)


@bp.post("/order/orderline/list")
def orderline_create_list() -> Any:
    """Add lines to existing orders, all-or-nothing."""
    st = state()
    items = body_list()
    with st.lock:
        created = _add_lines(items)
    return values_response("orderLine", created, 201)


@bp.get("/order/orderline/<int:obj_id>")
def orderline_get(obj_id: int) -> Any:
    """One order line."""
    return stored_response("orderLine", obj_id)


@bp.delete("/order/orderline/<int:obj_id>")
def orderline_delete(obj_id: int) -> Any:
    """Delete one order line."""
    st = state()
    with st.lock:
        line = st.store.remove("orderLine", obj_id)
        if line is None:
            raise not_found()
        order = st.store.get("order", ref_id(line, "order"))
        if order:
            order["orderLines"] = [r for r in order["orderLines"] if r["id"] != obj_id]
            st.touch("order", order["id"])
    return no_content()

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
# A closed (invoiced) order cannot change: Tripletex's answer is undocumented; the sandbox uses
# 409/10000 "Locked", the same code as locked hours.
MSG_ORDER_CLOSED = "Ordren er lukket (fakturert) og kan ikke endres."
MSG_NO_BANK_ACCOUNT = "Selskapet må registrere et bankkontonummer før det kan fakturere."


def _refuse_closed(order: dict[str, Any] | None) -> None:
    if order is not None and order.get("isClosed"):
        raise ApiProblem(409, 10000, MSG_ORDER_CLOSED, "Locked: the order is closed")


def _line(st: Any, data: dict[str, Any], order: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Validate one order line and fill its computed fields."""
    line = ingest(st, "orderLine", data, prefix)
    line.pop("order", None)  # the caller attaches the line to its order
    product = st.store.get("product", ref_id(line, "product"))
    if product and "vatType" not in line and product.get("vatType"):
        line["vatType"] = {"id": product["vatType"]["id"]}
    if "vatType" not in line:
        # Tripletex falls back to the company's default VAT type (a 0 % invoice has been seen).
        line["vatType"] = {"id": int(st.switches["defaultVatTypeId"])}
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


def _as_answered(st: Any, order: dict[str, Any]) -> dict[str, Any]:
    """The created order as the create call answers it: with orderLines [] while the
    orderCreateOmitsLines switch is on (the lines exist; a read shows them)."""
    if st.switches.get("orderCreateOmitsLines"):
        return {**order, "orderLines": []}
    return order


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
    return value_response("order", _as_answered(st, created), 201)


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
    return values_response("order", [_as_answered(st, o) for o in created], 201)


@bp.get("/order/<int:obj_id>")
def order_get(obj_id: int) -> Any:
    """One order."""
    return stored_response("order", obj_id)


@bp.put("/order/<int:obj_id>")
def order_update(obj_id: int) -> Any:
    """Partial update. With updateLinesAndGroups=true and an orderLines list, the lines are
    saved: a line with the id of one of the order's lines updates it in place, a line without
    id is created, and the order's lines left out are deleted. A closed order refuses."""
    st = state()
    data = body_object()
    with st.lock:
        obj = existing(st.store, "order", obj_id)
        check_version(obj, data.get("version"))
        _refuse_closed(obj)
        changes = ingest(st, "order", data)
        merged = {**obj, **changes}
        for field in ("orderDate", "deliveryDate"):
            parse_date(merged[field], field)
        planned: list[tuple[int | None, dict[str, Any]]] | None = None
        if arg_bool("updateLinesAndGroups", False) and data.get("orderLines") is not None:
            own = {ref["id"] for ref in obj.get("orderLines", [])}
            planned = []
            for i, raw in enumerate(data["orderLines"]):
                line_id = raw.get("id") if isinstance(raw, dict) else None
                if line_id is not None and int(line_id) not in own:
                    raise validation_error(
                        f"orderLines[{i}].id", "Ordrelinjen hører ikke til denne ordren."
                    )
                planned.append(
                    (
                        int(line_id) if line_id is not None else None,
                        _line(st, raw, merged, f"orderLines[{i}]."),
                    )
                )
        if planned is not None:
            keep = {line_id for line_id, _ in planned if line_id is not None}
            for ref in obj.get("orderLines", []):
                if ref["id"] not in keep:
                    st.store.remove("orderLine", ref["id"])
            refs = []
            for line_id, line in planned:
                if line_id is None:
                    line_id = st.insert("orderLine", {**line, "order": {"id": obj_id}}, fire=False)[
                        "id"
                    ]
                else:
                    st.modify("orderLine", line_id, _replacing(st, line_id, line), fire=False)
                refs.append({"id": line_id})
            changes["orderLines"] = refs
        else:
            changes.pop("orderLines", None)
        updated = st.modify("order", obj_id, changes)
    return value_response("order", updated)


def _replacing(st: Any, line_id: int, line: dict[str, Any]) -> dict[str, Any]:
    """Changes that make a stored line equal to `line` (fields it lacks are removed)."""
    old = st.store.get("orderLine", line_id) or {}
    drop = {
        k: None
        for k in old
        if k not in line and k not in ("id", "version", "order") and not k.startswith("_")
    }
    return {**drop, **line}


@bp.put("/order/<int:obj_id>/:invoice")
def order_invoice(obj_id: int) -> Any:
    """Invoice the order: an Invoice is created and the order closes (no new lines, no
    changes, no second invoice)."""
    st = state()
    invoice_date = arg_date("invoiceDate", required=True)
    assert invoice_date is not None
    with st.lock:
        order = existing(st.store, "order", obj_id)
        _refuse_closed(order)
        if not st.switches.get("bankAccountRegistered", True):
            raise validation_error("invoiceDate", MSG_NO_BANK_ACCOUNT)
        lines = [st.store.get("orderLine", ref["id"]) for ref in order.get("orderLines", [])]
        lines = [ln for ln in lines if ln]
        excl = round(sum(float(ln.get("amountExcludingVatCurrency") or 0.0) for ln in lines), 2)
        incl = round(sum(float(ln.get("amountIncludingVatCurrency") or 0.0) for ln in lines), 2)
        numbers = [int(i.get("invoiceNumber", 0)) for i in st.store.all("invoice")]
        invoice = st.insert(
            "invoice",
            {
                "invoiceNumber": max(numbers, default=0) + 1,
                "invoiceDate": invoice_date.isoformat(),
                "invoiceDueDate": (invoice_date + dt.timedelta(days=14)).isoformat(),
                "customer": order.get("customer"),
                "orders": [{"id": obj_id}],
                "amount": incl,
                "amountCurrency": incl,
                "amountExcludingVat": excl,
                "amountExcludingVatCurrency": excl,
                "amountOutstanding": incl,
                "isCreditNote": False,
                "isCharged": True,
                "isApproved": True,
            },
            fire=False,
        )
        for line in lines:
            st.modify("orderLine", line["id"], {"isCharged": True}, fire=False)
        st.modify("order", obj_id, {"isClosed": True})
    return value_response("invoice", invoice)


@bp.delete("/order/<int:obj_id>")
def order_delete(obj_id: int) -> Any:
    """Delete an order and its lines."""
    st = state()
    with st.lock:
        obj = existing(st.store, "order", obj_id)
        _refuse_closed(obj)
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
        _refuse_closed(order)
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


@bp.put("/order/orderline/<int:obj_id>")
def orderline_update(obj_id: int) -> Any:
    """Partial update of one line (its order must be open); amounts are recomputed."""
    st = state()
    data = body_object()
    with st.lock:
        old = existing(st.store, "orderLine", obj_id)
        check_version(old, data.get("version"))
        order = st.store.get("order", ref_id(old, "order"))
        _refuse_closed(order)
        if isinstance(data.get("order"), dict) and ref_id(data, "order") != ref_id(old, "order"):
            raise validation_error("order", "En ordrelinje kan ikke flyttes til en annen ordre.")
        keep = ("product", "description", "count", "discount", "vatType", "markup")
        base = {k: old[k] for k in keep if k in old}
        if "unitPriceIncludingVatCurrency" in data and "unitPriceExcludingVatCurrency" not in data:
            base["unitPriceIncludingVatCurrency"] = data["unitPriceIncludingVatCurrency"]
        else:
            base["unitPriceExcludingVatCurrency"] = old.get("unitPriceExcludingVatCurrency")
        merged = {**base, **{k: v for k, v in data.items() if k not in ("id", "version")}}
        line = _line(st, merged, order or {}, "")
        updated = st.modify("orderLine", obj_id, line, fire=False)
        if order:
            st.touch("order", order["id"])
    return value_response("orderLine", updated)


@bp.delete("/order/orderline/<int:obj_id>")
def orderline_delete(obj_id: int) -> Any:
    """Delete one order line (its order must be open)."""
    st = state()
    with st.lock:
        line = existing(st.store, "orderLine", obj_id)
        order = st.store.get("order", ref_id(line, "order"))
        _refuse_closed(order)
        st.store.remove("orderLine", obj_id)
        if order:
            order["orderLines"] = [r for r in order["orderLines"] if r["id"] != obj_id]
            st.touch("order", order["id"])
    return no_content()

"""Sandbox routes: salary transactions and payslips, with the employment checks payroll makes."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from flask import Blueprint

from .api_master import employment_periods, require_salary_module
from .http import (
    arg_date,
    arg_ids,
    arg_int,
    body_object,
    existing,
    list_response,
    no_content,
    parse_date,
    ref_id,
    state,
    stored_response,
    validation_error,
    value_response,
)
from .render import ApiProblem
from .rules import ingest, required_fields

bp = Blueprint("sandbox_salary", __name__)

# Tripletex's answer for a locked accounting period is undocumented; the web app refuses a
# reversal then. The sandbox answers 409/10000 "Locked" (switch lockedSalaryPeriods).
MSG_PERIOD_LOCKED = "Regnskapsperioden er låst. Lønnsbilaget kan ikke endres eller slettes."


def _refuse_locked_period(st: Any, year: int, month: int) -> None:
    if f"{year:04d}-{month:02d}" in st.switches.get("lockedSalaryPeriods", []):
        raise ApiProblem(409, 10000, MSG_PERIOD_LOCKED, "Locked: the accounting period is locked")


# -- salary transactions ---------------------------------------------------------------------


def _employment_problem(st: Any, emp_id: int, day: dt.date, i: int) -> ApiProblem | None:
    """Payroll needs an employment covering the date, linked to a division."""
    emp = st.store.get("employee", emp_id)
    covering = [
        (n, e)
        for n, e, start, end in employment_periods(st, emp)
        if start <= day and (end is None or end >= day)
    ]
    if not covering:
        return ApiProblem(
            422,
            18000,
            "Validering feilet.",
            "VALIDATION_ERROR",
            [
                {
                    "field": "employments",
                    "path": f"payslips[{i}].employee.employments",
                    "message": "Den ansatte har ikke et arbeidsforhold i perioden.",
                    "rootId": emp_id,
                }
            ],
        )
    for n, e in covering:
        if not e.get("division"):
            return ApiProblem(
                422,
                18000,
                "Validering feilet.",
                "VALIDATION_ERROR",
                [
                    {
                        "field": "employments.division.name",
                        "path": f"employments[{n}].division.name",
                        "message": "Feltet kan ikke være tomt.",
                        "rootId": emp_id,
                    }
                ],
            )
    return None


@bp.post("/salary/transaction")
def salary_transaction_create() -> Any:
    """Book a payroll transaction with payslips immediately (no draft)."""
    st = state()
    require_salary_module()
    data = body_object()
    with st.lock:
        required_fields(st, "salaryTransaction", data)
        year, month = int(data["year"]), int(data["month"])
        if not 1 <= month <= 12:
            raise validation_error("month", "Ugyldig måned.")
        _refuse_locked_period(st, year, month)
        day = (
            parse_date(data["date"], "date")
            if data.get("date")
            else dt.date(year, month, calendar.monthrange(year, month)[1])
        )
        payslips = data.get("payslips") or []
        if not payslips:
            raise validation_error("payslips", "Feltet må fylles ut.")
        planned = []
        for i, slip in enumerate(payslips):
            required_fields(st, "payslip", slip, f"payslips[{i}].")
            p = ingest(st, "payslip", slip, f"payslips[{i}].")
            problem = _employment_problem(st, ref_id(p, "employee"), day, i)
            if problem:
                raise problem
            specs = []
            for j, spec in enumerate(slip.get("specifications") or []):
                prefix = f"payslips[{i}].specifications[{j}]."
                required_fields(st, "salarySpecification", spec, prefix)
                s = ingest(st, "salarySpecification", spec, prefix)
                s.setdefault("amount", round(float(s["rate"]) * float(s["count"]), 2))
                s.setdefault("year", year)
                s.setdefault("month", month)
                s["employee"] = p["employee"]
                specs.append(s)
            planned.append((p, specs))
        tx = st.insert(
            "salaryTransaction",
            {
                "date": day.isoformat(),
                "year": year,
                "month": month,
                "isHistorical": bool(data.get("isHistorical", False)),
                "paySlipsAvailableDate": data.get("paySlipsAvailableDate"),
                "payslips": [],
            },
        )
        numbers = [p.get("number", 0) for p in st.store.all("payslip")]
        next_number = max(numbers, default=0) + 1
        for p, specs in planned:
            gross = round(sum(float(s["amount"]) for s in specs), 2)
            slip = st.insert(
                "payslip",
                {
                    **p,
                    "transaction": {"id": tx["id"]},
                    "date": day.isoformat(),
                    "year": year,
                    "month": month,
                    "specifications": [],
                    "grossAmount": gross,
                    "amount": gross,
                    "vacationAllowanceAmount": 0.0,
                    "number": next_number,
                },
            )
            next_number += 1
            slip["specifications"] = [
                {"id": st.insert("salarySpecification", {**s, "payslip": {"id": slip["id"]}})["id"]}
                for s in specs
            ]
            tx["payslips"].append({"id": slip["id"]})
    return value_response("salaryTransaction", tx, 201)


@bp.get("/salary/transaction/<int:obj_id>")
def salary_transaction_get(obj_id: int) -> Any:
    """One salary transaction."""
    require_salary_module()
    return stored_response("salaryTransaction", obj_id)


@bp.delete("/salary/transaction/<int:obj_id>")
def salary_transaction_delete(obj_id: int) -> Any:
    """Delete a transaction with its payslips."""
    st = state()
    require_salary_module()
    with st.lock:
        tx = existing(st.store, "salaryTransaction", obj_id)
        _refuse_locked_period(st, int(tx["year"]), int(tx["month"]))
        for ref in tx.get("payslips", []):
            slip = st.store.get("payslip", ref["id"])
            for sref in (slip or {}).get("specifications", []):
                st.store.remove("salarySpecification", sref["id"])
            st.store.remove("payslip", ref["id"])
        st.store.remove("salaryTransaction", obj_id)
    return no_content()


@bp.get("/salary/payslip")
def payslip_list() -> Any:
    """Payslips by transaction, employee, year/month ranges and voucher date (To exclusive)."""
    st = state()
    require_salary_module()
    ids, emps, txs = arg_ids("id"), arg_ids("employeeId"), arg_ids("wageTransactionId")
    year_from, year_to = arg_int("yearFrom"), arg_int("yearTo")
    month_from, month_to = arg_int("monthFrom"), arg_int("monthTo")
    voucher_from, voucher_to = arg_date("voucherDateFrom"), arg_date("voucherDateTo")
    out = [
        p
        for p in st.all("payslip")
        if (ids is None or p["id"] in ids)
        and (emps is None or ref_id(p, "employee") in emps)
        and (txs is None or ref_id(p, "transaction") in txs)
        and (year_from is None or p["year"] >= year_from)
        and (year_to is None or p["year"] < year_to)
        and (month_from is None or p["month"] >= month_from)
        and (month_to is None or p["month"] < month_to)
        and (voucher_from is None or dt.date.fromisoformat(p["date"]) >= voucher_from)
        and (voucher_to is None or dt.date.fromisoformat(p["date"]) < voucher_to)
    ]
    return list_response("payslip", out)


@bp.get("/salary/payslip/<int:obj_id>")
def payslip_get(obj_id: int) -> Any:
    """One payslip."""
    require_salary_module()
    return stored_response("payslip", obj_id)

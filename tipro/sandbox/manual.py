"""What people do in Tripletex's web app that the API cannot: invoice hours, run payroll, add a
project rate. Used by the control API (/_sandbox/...) and by tests in Python."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from .api_timesheet import PROJECT_SPEC, relock
from .http import ref_id

SPEC_KINDS = ("salaryTypeSpecification", PROJECT_SPEC)


def _select(
    st: Any,
    kind: str,
    *,
    ids: Iterable[int] | None,
    employee_ids: Iterable[int] | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
    project_id: int | None = None,
) -> list[dict[str, Any]]:
    """Stored objects by id, or by employees, [date_from, date_to) and project."""
    wanted = set(ids) if ids is not None else None
    emps = set(employee_ids) if employee_ids is not None else None
    out = []
    for obj in st.store.all(kind):
        day = dt.date.fromisoformat(obj["date"])
        if wanted is not None and obj["id"] not in wanted:
            continue
        if emps is not None and ref_id(obj, "employee") not in emps:
            continue
        if (date_from and day < date_from) or (date_to and day >= date_to):
            continue
        if project_id is not None and ref_id(obj, "project") != project_id:
            continue
        out.append(obj)
    return out


def invoice_hours(
    st: Any,
    *,
    entry_ids: Iterable[int] | None = None,
    employee_ids: Iterable[int] | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    project_id: int | None = None,
    invoice_date: dt.date | None = None,
) -> dict[str, Any]:
    """Invoice timesheet hours (project invoicing in the web app): one Invoice, and each entry
    gets `invoice` and becomes locked. Returns {"invoiceId", "entryIds"}."""
    with st.lock:
        entries = _select(
            st,
            "timesheetEntry",
            ids=entry_ids,
            employee_ids=employee_ids,
            date_from=date_from,
            date_to=date_to,
            project_id=project_id,
        )
        entries = [e for e in entries if not e.get("invoice")]
        if not entries:
            return {"invoiceId": None, "entryIds": []}
        customers = {
            ref_id(st.store.get("project", ref_id(e, "project")) or {}, "customer") for e in entries
        }
        customer = customers.pop() if len(customers) == 1 else None
        numbers = [int(i.get("invoiceNumber", 0)) for i in st.store.all("invoice")]
        day = invoice_date or st.oslo_today()
        amount = round(
            sum(
                float(e.get("chargeableHours") or 0) * float(e.get("hourlyRate") or 0)
                for e in entries
            ),
            2,
        )
        invoice = st.insert(
            "invoice",
            {
                "invoiceNumber": max(numbers, default=0) + 1,
                "invoiceDate": day.isoformat(),
                "invoiceDueDate": (day + dt.timedelta(days=14)).isoformat(),
                "customer": {"id": customer} if customer else None,
                "orders": [],
                "amountExcludingVat": amount,
                "amountExcludingVatCurrency": amount,
                "isCreditNote": False,
                "isCharged": True,
                "isApproved": True,
            },
            fire=False,
        )
        for e in entries:
            st.modify("timesheetEntry", e["id"], {"invoice": {"id": invoice["id"]}}, fire=False)
        for emp in {ref_id(e, "employee") for e in entries}:
            relock(st, emp)
        return {"invoiceId": invoice["id"], "entryIds": [e["id"] for e in entries]}


def run_payroll(
    st: Any,
    *,
    employee_ids: Iterable[int] | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> dict[str, Any]:
    """A payroll run that paid the hours and salary-type specifications in [date_from, date_to)
    of these employees (all when None): they become locked. Returns the ids it locked."""
    emps = list(employee_ids) if employee_ids is not None else None
    with st.lock:
        paid: dict[str, list[int]] = {}
        for kind in ("timesheetEntry", *SPEC_KINDS):
            objs = _select(
                st, kind, ids=None, employee_ids=emps, date_from=date_from, date_to=date_to
            )
            for obj in objs:
                obj["_paid"] = True
                obj["_seq"] = st.store.next_seq()
            paid[kind] = [o["id"] for o in objs]
        for emp in {
            ref_id(st.store.get("timesheetEntry", i), "employee") for i in paid["timesheetEntry"]
        }:
            relock(st, emp)
        return {
            "entryIds": paid["timesheetEntry"],
            "salaryTypeSpecificationIds": paid["salaryTypeSpecification"],
            "salaryProjectTypeSpecificationIds": paid[PROJECT_SPEC],
        }


def add_project_hourly_rate(
    st: Any,
    project_id: int,
    start_date: dt.date,
    model: str,
    *,
    fixed_rate: float | None = None,
    specific: Iterable[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A project rate model in force from start_date (an older one stays for earlier dates).

    `specific` rows: {"employeeId": n|None, "activityId": n|None, "hourlyRate": x}.
    """
    models = (
        "TYPE_PREDEFINED_HOURLY_RATES",
        "TYPE_PROJECT_SPECIFIC_HOURLY_RATES",
        "TYPE_FIXED_HOURLY_RATE",
    )
    if model not in models:
        raise ValueError(f"hourlyRateModel must be one of {', '.join(models)}")
    with st.lock:
        project = st.store.get("project", project_id)
        if project is None:
            raise ValueError(f"no project with id {project_id}")
        rate = st.insert(
            "hourlyRate",
            {
                "project": {"id": project_id},
                "startDate": start_date.isoformat(),
                "showInProjectOrder": False,
                "hourlyRateModel": model,
                "fixedRate": fixed_rate,
                "projectSpecificRates": [],
            },
            fire=False,
        )
        for row in specific:
            emp, act = row.get("employeeId"), row.get("activityId")
            if emp is not None and st.store.get("employee", int(emp)) is None:
                raise ValueError(f"no employee with id {emp}")
            if act is not None and st.store.get("activity", int(act)) is None:
                raise ValueError(f"no activity with id {act}")
            s = st.insert(
                "projectSpecificRate",
                {
                    "projectHourlyRate": {"id": rate["id"]},
                    "employee": {"id": int(emp)} if emp is not None else None,
                    "activity": {"id": int(act)} if act is not None else None,
                    "hourlyRate": float(row["hourlyRate"]),
                    "hourlyCostPercentage": 0.0,
                },
                fire=False,
            )
            rate["projectSpecificRates"].append({"id": s["id"]})
        project.setdefault("projectHourlyRates", []).append({"id": rate["id"]})
        st.touch("project", project_id)
        return rate

"""Sandbox routes: timesheet entries, month and week approval, salary type specifications."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from flask import Blueprint

from .api_master import activities_for, project_open_for, require_salary_module
from .http import (
    arg_bool,
    arg_date,
    arg_ids,
    arg_int,
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

bp = Blueprint("sandbox_timesheet", __name__)

MSG_DUPLICATE = (
    "Det er allerede registrert timer på den ansatte på denne dagen, på denne aktiviteten og "
    "prosjektet."
)
# Writing to locked hours: Tripletex's ApiError code 10000 "Locked" (HTTP 409). The exact
# answer of the real API is not documented (NOTES §7 infers 409/10000); the sandbox uses it for
# every lock, with a message naming the reason.
MSG_LOCKED = "Timene er låst fordi perioden er godkjent."
MSG_INVOICED = "Timene er fakturert og kan ikke endres."
MSG_PAID = "Timene er utbetalt i en lønnskjøring og kan ikke endres."


def locked_problem(message: str) -> ApiProblem:
    """409/10000 Locked."""
    return ApiProblem(409, 10000, message, "Locked")


# -- locking -------------------------------------------------------------------------------


def _month_key(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def is_locked(st: Any, emp_id: int | None, day: dt.date) -> bool:
    """The day is approved for the employee: its month up to and including approvedUntilDate,
    or its ISO week."""
    if emp_id is None:
        return False
    for m in st.store.all("monthlyStatus"):
        if (
            ref_id(m, "employee") == emp_id
            and m.get("approved")
            and m["monthYear"] == _month_key(day)
        ):
            until = m.get("approvedUntilDate")
            if until is None or day <= dt.date.fromisoformat(until):
                return True
    iso = day.isocalendar()
    for w in st.store.all("week"):
        if (
            ref_id(w, "employee") == emp_id
            and w.get("approved")
            and (w["year"], w["week"]) == (iso.year, iso.week)
        ):
            return True
    return False


def lock_reason(st: Any, obj: dict[str, Any]) -> str | None:
    """Why stored hours (an entry or a salary specification) cannot change, or None."""
    if obj.get("invoice"):
        return MSG_INVOICED
    if obj.get("_paid") or obj.get("wagePayment"):
        return MSG_PAID
    if is_locked(st, ref_id(obj, "employee"), dt.date.fromisoformat(obj["date"])):
        return MSG_LOCKED
    return None


def relock(st: Any, emp_id: int | None) -> None:
    """Recompute `locked` on an employee's entries (all when None) after a lock changed."""
    for e in st.store.all("timesheetEntry"):
        if emp_id is None or ref_id(e, "employee") == emp_id:
            locked = lock_reason(st, e) is not None
            if bool(e.get("locked")) != locked:
                e["locked"] = locked
                e["_seq"] = st.store.next_seq()


# -- timesheet entries ---------------------------------------------------------------------


def _valid_on(rows: list[dict[str, Any]], key: str, day: dt.date) -> dict[str, Any] | None:
    """The row in force on `day`: the latest whose `key` date is on or before it."""
    valid = [r for r in rows if r.get(key) and dt.date.fromisoformat(r[key]) <= day]
    return max(valid, key=lambda r: (r[key], r["id"])) if valid else None


def employee_rate(st: Any, emp_id: int | None, day: dt.date) -> dict[str, Any] | None:
    """The employee's hourlyCostAndRate row valid on the day (rows apply from their date)."""
    rows = [r for r in st.store.all("hourlyCostAndRate") if ref_id(r, "employee") == emp_id]
    return _valid_on(rows, "date", day)


def project_rate(st: Any, project: dict[str, Any], day: dt.date) -> dict[str, Any] | None:
    """The project's hourly rate model valid on the day (the latest startDate on or before)."""
    rows = [st.store.get("hourlyRate", ref["id"]) for ref in project.get("projectHourlyRates", [])]
    return _valid_on([r for r in rows if r], "startDate", day)


def _resolve_rate(st: Any, entry: dict[str, Any]) -> float:
    """The hourly rate Tripletex would resolve on the entry's date: the project's rate model in
    force (fixed, or project-specific per employee × activity), else the activity's rate, else
    the employee's predefined rate valid on the date."""
    emp_id, act_id = ref_id(entry, "employee"), ref_id(entry, "activity")
    day = dt.date.fromisoformat(entry["date"])
    activity = st.store.get("activity", act_id) or {}
    project = st.store.get("project", ref_id(entry, "project"))
    rate = project_rate(st, project, day) if project else None
    if rate and rate.get("hourlyRateModel") == "TYPE_FIXED_HOURLY_RATE":
        return float(rate.get("fixedRate") or 0.0)
    if rate and rate.get("hourlyRateModel") == "TYPE_PROJECT_SPECIFIC_HOURLY_RATES":
        best: tuple[int, float] | None = None
        for sref in rate.get("projectSpecificRates", []):
            s = st.store.get("projectSpecificRate", sref["id"])
            if not s:
                continue
            s_emp, s_act = ref_id(s, "employee"), ref_id(s, "activity")
            if s_emp not in (None, emp_id) or s_act not in (None, act_id):
                continue
            score = (s_emp is not None) * 2 + (s_act is not None)
            if best is None or score > best[0]:
                best = (score, float(s.get("hourlyRate") or 0.0))
        if best:
            return best[1]
    if activity.get("rate"):
        return float(activity["rate"])
    row = employee_rate(st, emp_id, day)
    return float(row.get("rate") or 0.0) if row else 0.0


def _hour_cost(st: Any, emp_id: int | None, day: dt.date) -> float:
    row = employee_rate(st, emp_id, day)
    return float(row.get("hourCostRate") or 0.0) if row else 0.0


def _check_entry(
    st: Any, entry: dict[str, Any], own_id: int | None, batch: list[dict[str, Any]], prefix: str
) -> None:
    """Tripletex's timesheet rules; raises ApiProblem."""
    required_fields(st, "timesheetEntry", entry, prefix)
    day = parse_date(entry["date"], prefix + "date")
    hours = entry.get("hours")
    if not isinstance(hours, int | float) or hours < 0:
        raise validation_error(prefix + "hours", "Timer kan ikke være negative.")
    if hours > 24:
        raise validation_error(prefix + "hours", "Kan ikke være over 24")
    pch = entry.get("projectChargeableHours")
    if pch is not None and (pch < 0 or pch > 24):
        raise validation_error(prefix + "projectChargeableHours", "Kan ikke være over 24")
    emp_id, act_id, proj_id = (
        ref_id(entry, "employee"),
        ref_id(entry, "activity"),
        ref_id(entry, "project"),
    )
    assert emp_id is not None and act_id is not None
    activity = st.store.get("activity", act_id)
    if proj_id is not None:
        project = st.store.get("project", proj_id)
        reason = project_open_for(st, project, emp_id, day)
        if reason:
            field = "date" if "dato" in reason else "project"
            raise validation_error(prefix + field, reason)
        allowed = {a["id"] for a in activities_for(st, proj_id, emp_id, day)}
        if act_id not in allowed:
            raise validation_error(
                prefix + "activity", "Aktiviteten kan ikke brukes på prosjektet."
            )
    elif activity.get("activityType") != "GENERAL_ACTIVITY":
        raise validation_error(prefix + "project", "Prosjekt må velges for denne aktiviteten.")
    if is_locked(st, emp_id, day):
        raise locked_problem(MSG_LOCKED)
    key = (emp_id, entry["date"], act_id, proj_id)
    others = [e for e in st.store.all("timesheetEntry") if e["id"] != own_id] + batch
    for e in others:
        if e is entry:
            continue
        if (
            ref_id(e, "employee"),
            e.get("date"),
            ref_id(e, "activity"),
            ref_id(e, "project"),
        ) == key:
            raise ApiProblem(409, 7000, MSG_DUPLICATE, "Duplicate timesheet entry")


def _computed(st: Any, entry: dict[str, Any]) -> None:
    """Read-only fields Tripletex fills in."""
    activity = st.store.get("activity", ref_id(entry, "activity")) or {}
    project = st.store.get("project", ref_id(entry, "project"))
    chargeable = bool(activity.get("isChargeable")) and not (project or {}).get("isInternal", False)
    chargeable = chargeable and project is not None
    hours = float(entry.get("hours") or 0.0)
    entry["chargeable"] = chargeable
    entry["chargeableHours"] = (
        float(entry.get("projectChargeableHours", hours)) if chargeable else 0.0
    )
    entry["hourlyRate"] = _resolve_rate(st, entry) if chargeable else 0.0
    entry["hourlyCost"] = _hour_cost(
        st, ref_id(entry, "employee"), dt.date.fromisoformat(entry["date"])
    )
    entry["hourlyCostPercentage"] = 0.0
    entry["locked"] = lock_reason(st, entry) is not None


def _new_entry(
    st: Any, data: dict[str, Any], batch: list[dict[str, Any]], prefix: str
) -> dict[str, Any]:
    entry = ingest(st, "timesheetEntry", data, prefix)
    entry.pop("invoice", None)  # set by Tripletex when the hours are invoiced, never by us
    entry.setdefault("comment", "")
    _check_entry(st, entry, None, batch, prefix)
    _computed(st, entry)
    return entry


@bp.get("/timesheet/entry")
def entry_list() -> Any:
    """Entries in [dateFrom, dateTo) with sumAllHours."""
    st = state()
    date_from = arg_date("dateFrom", required=True)
    date_to = arg_date("dateTo", required=True)
    assert date_from is not None and date_to is not None
    if date_to <= date_from:
        raise validation_error("dateTo", "Til-dato må være etter fra-dato.", code=15000)
    ids, emps = arg_ids("id"), arg_ids("employeeId")
    projects, acts = arg_ids("projectId"), arg_ids("activityId")
    comment = arg_str("comment")
    out = []
    for e in st.all("timesheetEntry"):
        day = dt.date.fromisoformat(e["date"])
        if not (date_from <= day < date_to):
            continue
        if ids is not None and e["id"] not in ids:
            continue
        if emps is not None and ref_id(e, "employee") not in emps:
            continue
        if projects is not None and ref_id(e, "project") not in projects:
            continue
        if acts is not None and ref_id(e, "activity") not in acts:
            continue
        if not contains(e.get("comment"), comment):
            continue
        out.append(e)
    total = round(sum(float(e.get("hours") or 0.0) for e in out), 2)
    return list_response("timesheetEntry", out, extra={"sumAllHours": total})


@bp.post("/timesheet/entry")
def entry_create() -> Any:
    """Create one entry (409/7000 on a duplicate)."""
    st = state()
    data = body_object()
    with st.lock:
        entry = _new_entry(st, data, [], "")
        created = st.insert("timesheetEntry", entry)
    return value_response("timesheetEntry", created, 201)


@bp.post("/timesheet/entry/list")
def entry_create_list() -> Any:
    """Create many entries: everything validated first, then all stored (all-or-nothing)."""
    st = state()
    items = body_list()
    with st.lock:
        batch: list[dict[str, Any]] = []
        for i, data in enumerate(items):
            batch.append(_new_entry(st, data, batch, f"[{i}]."))
        created = [st.insert("timesheetEntry", e) for e in batch]
    return values_response("timesheetEntry", created, 201)


def _updated_entry(st: Any, obj_id: int, data: dict[str, Any], prefix: str) -> dict[str, Any]:
    old = existing(st.store, "timesheetEntry", obj_id)
    check_version(old, data.get("version"))
    reason = lock_reason(st, old)
    if reason:
        raise locked_problem(reason)
    changes = ingest(st, "timesheetEntry", data, prefix)
    changes.pop("invoice", None)
    merged = {k: v for k, v in old.items()}
    for key, value in changes.items():
        # Spec: fields "present but not set, or set to 0, will be nulled".
        if value is None or (value == 0 and not isinstance(value, bool)):
            merged.pop(key, None)
        else:
            merged[key] = value
    merged.setdefault("hours", 0.0) if "hours" not in changes else None
    _check_entry(st, merged, obj_id, [], prefix)
    _computed(st, merged)
    return {k: merged.get(k) for k in set(old) | set(merged) if not k.startswith("_")}


@bp.put("/timesheet/entry/<int:obj_id>")
def entry_update(obj_id: int) -> Any:
    """Update an entry (note the nulling quirk)."""
    st = state()
    data = body_object()
    with st.lock:
        changes = _updated_entry(st, obj_id, data, "")
        updated = st.modify("timesheetEntry", obj_id, changes)
    return value_response("timesheetEntry", updated)


@bp.put("/timesheet/entry/list")
def entry_update_list() -> Any:
    """Update many entries (each needs its id), all-or-nothing."""
    st = state()
    items = body_list()
    with st.lock:
        planned = []
        for i, data in enumerate(items):
            if data.get("id") is None:
                raise validation_error(f"[{i}].id", "Feltet må fylles ut.")
            planned.append((int(data["id"]), _updated_entry(st, int(data["id"]), data, f"[{i}].")))
        updated = [st.modify("timesheetEntry", oid, ch) for oid, ch in planned]
    return values_response("timesheetEntry", updated)


@bp.get("/timesheet/entry/<int:obj_id>")
def entry_get(obj_id: int) -> Any:
    """One entry."""
    return stored_response("timesheetEntry", obj_id)


@bp.delete("/timesheet/entry/<int:obj_id>")
def entry_delete(obj_id: int) -> Any:
    """Delete an entry (version checked when given; locked hours refuse)."""
    st = state()
    with st.lock:
        obj = existing(st.store, "timesheetEntry", obj_id)
        check_version(obj, arg_int("version"))
        reason = lock_reason(st, obj)
        if reason:
            raise locked_problem(reason)
        st.remove("timesheetEntry", obj_id)
    return no_content()


# -- month and week approval ----------------------------------------------------------------


def _month_status(st: Any, emp_id: int, month: str) -> dict[str, Any]:
    for m in st.store.all("monthlyStatus"):
        if ref_id(m, "employee") == emp_id and m["monthYear"] == month:
            return m
    employee = st.store.get("employee", emp_id)
    if employee is None:
        raise validation_error("employeeIds", "Objektet finnes ikke.")
    return st.insert(
        "monthlyStatus",
        {
            "employee": {"id": emp_id},
            "monthYear": month,
            "completed": False,
            "approved": False,
            "hoursPayout": 0.0,
            "vacationPayout": 0.0,
            "vacationSummary": _vacation_summary(employee, month),
        },
        fire=False,
    )


def _vacation_summary(employee: dict[str, Any], month: str) -> dict[str, float] | None:
    """Vacation days for the month from the seeded balance: brought in at the start of the
    month, taken in it and so far this year, and what is left at its end."""
    seeded = employee.get("_vacation")
    if not seeded:
        return None  # e.g. a contact or an employee added through the API: no summary
    number = int(month[5:7])
    taken = seeded.get("taken") or {}
    before = sum(days for m, days in taken.items() if m < number)
    in_period = float(taken.get(number, 0.0))
    return {
        "incomingVacationBalance": float(seeded["days"]) - before,
        "outgoingVacationBalance": float(seeded["days"]) - before - in_period,
        "vacationTakenInPeriod": in_period,
        "vacationTakenThisYear": before + in_period,
    }


def _parse_month(value: str | None) -> str:
    try:
        parsed = dt.datetime.strptime(value or "", "%Y-%m")
    except ValueError:
        raise validation_error("monthYear", "Ugyldig måned (yyyy-MM).", code=15000) from None
    return parsed.strftime("%Y-%m")


def _statuses() -> list[dict[str, Any]]:
    st = state()
    obj_id = arg_int("id")
    if obj_id is not None:
        m = existing(st.store, "monthlyStatus", obj_id)
        return [m]
    emps = arg_ids("employeeIds") or {st.token_owner_id}
    month = _parse_month(arg_str("monthYear"))
    return [_month_status(st, e, month) for e in sorted(emps)]


def _approval_changes(st: Any, action: str) -> dict[str, Any]:
    """What complete, approve, unapprove and reopen set on a month or week status."""
    cleared = {"approved": False, "approvedBy": None, "approvedDate": None}
    return {
        "complete": {"completed": True},
        "approve": {
            "completed": True,
            "approved": True,
            "approvedBy": {"id": st.token_owner_id},
            "approvedDate": st.oslo_today().isoformat(),
        },
        "unapprove": cleared,
        "reopen": {"completed": False, **cleared},
    }[action]


def _month_action(action: str) -> Any:
    st = state()
    with st.lock:
        statuses = _statuses()
        for m in statuses:
            changes = _approval_changes(st, action)
            if action == "approve":
                until = arg_date("approvedUntilDate")
                year, month = (int(x) for x in m["monthYear"].split("-"))
                last = dt.date(year, month, calendar.monthrange(year, month)[1])
                changes["approvedUntilDate"] = (until or last).isoformat()
            elif action in ("unapprove", "reopen"):
                changes["approvedUntilDate"] = None
            st.modify("monthlyStatus", m["id"], changes, fire=False)
            relock(st, ref_id(m, "employee"))
        return values_response("monthlyStatus", statuses)


def set_month_approval(
    st: Any, emp_id: int, month: str, *, approved: bool, until: dt.date | None = None
) -> dict[str, Any]:
    """Approve (until a date, default the month's end) or unapprove one employee's month, as
    a manager would in Tripletex's web app; the month's entries lock or unlock with it."""
    month = _parse_month(month)
    with st.lock:
        status = _month_status(st, emp_id, month)
        changes = _approval_changes(st, "approve" if approved else "unapprove")
        if approved:
            year, number = (int(x) for x in month.split("-"))
            last = dt.date(year, number, calendar.monthrange(year, number)[1])
            changes["approvedUntilDate"] = (until or last).isoformat()
        else:
            changes["approvedUntilDate"] = None
        st.modify("monthlyStatus", status["id"], changes, fire=False)
        relock(st, emp_id)
        return status


@bp.put("/timesheet/month/:complete")
def month_complete() -> Any:
    """Mark month(s) complete."""
    return _month_action("complete")


@bp.put("/timesheet/month/:approve")
def month_approve() -> Any:
    """Approve month(s): their entries become locked."""
    return _month_action("approve")


@bp.put("/timesheet/month/:unapprove")
def month_unapprove() -> Any:
    """Undo an approval."""
    return _month_action("unapprove")


@bp.put("/timesheet/month/:reopen")
def month_reopen() -> Any:
    """Reopen month(s)."""
    return _month_action("reopen")


@bp.get("/timesheet/month/byMonthNumber")
def month_by_number() -> Any:
    """Monthly status per employee."""
    st = state()
    emps = arg_ids("employeeIds")
    month = _parse_month(arg_str("monthYear", required=True))
    if not emps:
        raise validation_error("employeeIds", "Feltet må fylles ut.", code=15000)
    with st.lock:
        statuses = [_month_status(st, e, month) for e in sorted(emps)]
    return list_response("monthlyStatus", statuses)


@bp.get("/timesheet/month/<int:obj_id>")
def month_get(obj_id: int) -> Any:
    """One monthly status."""
    return stored_response("monthlyStatus", obj_id)


def _parse_week(value: str | None) -> tuple[int, int]:
    text = (value or "").upper().replace("W", "")
    try:
        year, week = (int(x) for x in text.split("-"))
        dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise validation_error("weekYear", "Ugyldig uke (yyyy-ww).", code=15000) from None
    return year, week


def _week(st: Any, emp_id: int, year: int, week: int) -> dict[str, Any]:
    for w in st.store.all("week"):
        if ref_id(w, "employee") == emp_id and (w["year"], w["week"]) == (year, week):
            return w
    if st.store.get("employee", emp_id) is None:
        raise validation_error("employeeId", "Objektet finnes ikke.")
    return st.insert(
        "week",
        {
            "employee": {"id": emp_id},
            "year": year,
            "week": week,
            "completed": False,
            "approved": False,
        },
        fire=False,
    )


def _week_action(action: str) -> Any:
    st = state()
    with st.lock:
        obj_id = arg_int("id")
        if obj_id is not None:
            w = existing(st.store, "week", obj_id)
        else:
            emp = arg_int("employeeId", st.token_owner_id)
            assert emp is not None
            w = _week(st, emp, *_parse_week(arg_str("weekYear")))
        changes = _approval_changes(st, action)
        w = st.modify("week", w["id"], changes, fire=False)
        relock(st, ref_id(w, "employee"))
        return value_response("week", w)


@bp.put("/timesheet/week/:complete")
def week_complete() -> Any:
    """Complete a week."""
    return _week_action("complete")


@bp.put("/timesheet/week/:approve")
def week_approve() -> Any:
    """Approve a week: its entries become locked (403/9000 while weekApprovalForbidden)."""
    if state().switches.get("weekApprovalForbidden"):
        raise ApiProblem(
            403,
            9000,
            "You do not have permission to access this feature.",
            "Week approval is not allowed for this user (sandbox switch weekApprovalForbidden)",
        )
    return _week_action("approve")


@bp.put("/timesheet/week/:unapprove")
def week_unapprove() -> Any:
    """Undo a week approval."""
    return _week_action("unapprove")


@bp.put("/timesheet/week/:reopen")
def week_reopen() -> Any:
    """Reopen a week."""
    return _week_action("reopen")


@bp.get("/timesheet/week")
def week_list() -> Any:
    """Weeks by ids, employees and week-year."""
    st = state()
    ids, emps = arg_ids("ids"), arg_ids("employeeIds")
    week_year = arg_str("weekYear")
    wanted = _parse_week(week_year) if week_year else None
    out = [
        w
        for w in st.all("week")
        if (ids is None or w["id"] in ids)
        and (emps is None or ref_id(w, "employee") in emps)
        and (wanted is None or (w["year"], w["week"]) == wanted)
    ]
    return list_response("week", out)


# -- salary type specifications (timesheet-based payroll basis) ------------------------------


def _check_salary_type(st: Any, obj: dict[str, Any]) -> None:
    salary_type = st.store.get("salaryType", ref_id(obj, "salaryType")) or {}
    if not salary_type.get("showInTimesheet"):
        raise validation_error("salaryType", "Lønnsarten er ikke merket «Vis i timeliste».")


def _check_spec(
    st: Any, kind: str, obj: dict[str, Any], own_id: int | None, unique: bool = True
) -> None:
    required_fields(st, kind, obj)
    day = parse_date(obj["date"], "date")
    if not isinstance(obj.get("count"), int | float) or isinstance(obj.get("count"), bool):
        raise validation_error("count", "Ugyldig antall.")
    _check_salary_type(st, obj)
    if is_locked(st, ref_id(obj, "employee"), day):
        raise locked_problem(MSG_LOCKED)
    if not unique:
        return
    key = (ref_id(obj, "employee"), obj["date"], ref_id(obj, "salaryType"))
    for s in st.store.all(kind):
        if s["id"] != own_id and (ref_id(s, "employee"), s["date"], ref_id(s, "salaryType")) == key:
            raise ApiProblem(
                409,
                7000,
                "Det finnes allerede en spesifikasjon for denne lønnsarten på denne dagen.",
                "Only one entry per employee/date/SalaryType",
            )


def _spec_ingest(st: Any, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    obj = ingest(st, kind, data)
    obj.pop("wagePayment", None)  # set by the payroll run that pays it, never by the caller
    return obj


def _spec_create(kind: str, unique: bool) -> Any:
    st = state()
    require_salary_module()
    data = body_object()
    with st.lock:
        obj = _spec_ingest(st, kind, data)
        _check_spec(st, kind, obj, None, unique)
        created = st.insert(kind, obj)
    return value_response(kind, created, 201)


def _spec_update(kind: str, obj_id: int, unique: bool) -> Any:
    st = state()
    require_salary_module()
    data = body_object()
    with st.lock:
        obj = existing(st.store, kind, obj_id)
        check_version(obj, data.get("version"))
        reason = lock_reason(st, obj)
        if reason:
            raise locked_problem(reason)
        changes = _spec_ingest(st, kind, data)
        _check_spec(st, kind, {**obj, **changes}, obj_id, unique)
        updated = st.modify(kind, obj_id, changes)
    return value_response(kind, updated)


def _spec_delete(kind: str, obj_id: int) -> Any:
    st = state()
    require_salary_module()
    with st.lock:
        obj = existing(st.store, kind, obj_id)
        reason = lock_reason(st, obj)
        if reason:
            raise locked_problem(reason)
        st.remove(kind, obj_id)
    return no_content()


def _in_range(obj: dict[str, Any], date_from: dt.date | None, date_to: dt.date | None) -> bool:
    day = dt.date.fromisoformat(obj["date"])
    return not ((date_from and day < date_from) or (date_to and day >= date_to))


@bp.get("/timesheet/salaryTypeSpecification")
def spec_list() -> Any:
    """Salary type specifications in [dateFrom, dateTo)."""
    st = state()
    require_salary_module()
    date_from, date_to = arg_date("dateFrom"), arg_date("dateTo")
    emp = arg_int("employeeId")
    out = [
        s
        for s in st.all("salaryTypeSpecification")
        if _in_range(s, date_from, date_to) and (emp is None or ref_id(s, "employee") == emp)
    ]
    return list_response("salaryTypeSpecification", out)


@bp.post("/timesheet/salaryTypeSpecification")
def spec_create() -> Any:
    """Create one (one per employee/date/salary type)."""
    return _spec_create("salaryTypeSpecification", unique=True)


@bp.get("/timesheet/salaryTypeSpecification/<int:obj_id>")
def spec_get(obj_id: int) -> Any:
    """One specification."""
    require_salary_module()
    return stored_response("salaryTypeSpecification", obj_id)


@bp.put("/timesheet/salaryTypeSpecification/<int:obj_id>")
def spec_update(obj_id: int) -> Any:
    """Versioned update (locked once approved or paid)."""
    return _spec_update("salaryTypeSpecification", obj_id, unique=True)


@bp.delete("/timesheet/salaryTypeSpecification/<int:obj_id>")
def spec_delete(obj_id: int) -> Any:
    """Delete a specification."""
    return _spec_delete("salaryTypeSpecification", obj_id)


# -- salary type specifications with project/activity (no uniqueness rule) -------------------

PROJECT_SPEC = "salaryProjectTypeSpecification"


@bp.get("/timesheet/salaryProjectTypeSpecification")
def project_spec_list() -> Any:
    """Filters: [dateFrom, dateTo), employeeId, projectId, activityId (with
    includeNotConnectedToActivities also those without an activity)."""
    st = state()
    require_salary_module()
    date_from, date_to = arg_date("dateFrom"), arg_date("dateTo")
    emp, project, activity = arg_int("employeeId"), arg_int("projectId"), arg_int("activityId")
    unconnected = bool(arg_bool("includeNotConnectedToActivities", False))
    out = []
    for s in st.all(PROJECT_SPEC):
        if not _in_range(s, date_from, date_to):
            continue
        if emp is not None and ref_id(s, "employee") != emp:
            continue
        if project is not None and ref_id(s, "project") != project:
            continue
        if activity is not None and ref_id(s, "activity") != activity:
            if not (unconnected and ref_id(s, "activity") is None):
                continue
        out.append(s)
    return list_response(PROJECT_SPEC, out)


@bp.post("/timesheet/salaryProjectTypeSpecification")
def project_spec_create() -> Any:
    """Create one; any number per employee/date/salary type/project (no uniqueness rule)."""
    return _spec_create(PROJECT_SPEC, unique=False)


@bp.get("/timesheet/salaryProjectTypeSpecification/<int:obj_id>")
def project_spec_get(obj_id: int) -> Any:
    """One specification."""
    require_salary_module()
    return stored_response(PROJECT_SPEC, obj_id)


@bp.put("/timesheet/salaryProjectTypeSpecification/<int:obj_id>")
def project_spec_update(obj_id: int) -> Any:
    """Versioned update (locked once approved or paid)."""
    return _spec_update(PROJECT_SPEC, obj_id, unique=False)


@bp.delete("/timesheet/salaryProjectTypeSpecification/<int:obj_id>")
def project_spec_delete(obj_id: int) -> Any:
    """Delete a specification."""
    return _spec_delete(PROJECT_SPEC, obj_id)

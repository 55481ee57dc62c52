"""Sandbox routes: sessions, whoAmI, master data and event subscriptions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, jsonify

from .http import (
    arg_bool,
    arg_date,
    arg_ids,
    arg_int,
    arg_str,
    body_object,
    check_version,
    contains,
    existing,
    list_response,
    no_content,
    not_found,
    ref_id,
    renderer,
    state,
    stored_response,
    validation_error,
    value_response,
)
from .render import ApiProblem, parse_fields
from .rules import display_fields, ingest, required_fields
from .webhooks import WEBHOOK_EVENTS

bp = Blueprint("sandbox_master", __name__)


# -- sessions ------------------------------------------------------------------------------


@bp.put("/token/session/:create")
def session_create() -> Any:
    """Create a session from consumer + employee token (no Authorization header)."""
    st = state()
    consumer = arg_str("consumerToken", required=True)
    employee = arg_str("employeeToken", required=True)
    expiration = arg_date("expirationDate", required=True)
    if consumer != st.consumer_token:
        raise validation_error(
            "arg:consumerToken", "The consumer token is invalid or does not exist."
        )
    if employee != st.employee_token or employee in st.revoked_tokens:
        raise validation_error(
            "arg:employeeToken", "The employee token is invalid or does not exist."
        )
    assert expiration is not None
    token = st.create_session(consumer, employee, expiration)
    session = st.sessions[token]
    value = {
        "id": session["id"],
        "version": 0,
        "url": f"{renderer().url_base}/token/session/{session['id']}",
        "consumerToken": {"id": 1, "url": f"{renderer().url_base}/token/consumer/1"},
        "employeeToken": {"id": 2, "url": f"{renderer().url_base}/token/employee/2"},
        "expirationDate": expiration.isoformat(),
        "token": token,
    }
    return jsonify({"value": value})


@bp.delete("/token/session/<token>")
def session_delete(token: str) -> Any:
    """Log out: the session stops working."""
    st = state()
    with st.lock:
        if token not in st.sessions:
            raise not_found()
        st.sessions[token]["expired"] = True
    return no_content()


@bp.get("/token/session/>whoAmI")
def who_am_i() -> Any:
    """The logged-in user and company."""
    st = state()
    obj = {
        "employeeId": st.token_owner_id,
        "actualEmployeeId": st.token_owner_id,
        "employee": {"id": st.token_owner_id},
        "companyId": st.company_id,
        "company": {"id": st.company_id},
        "language": "no",
        "loggedInWithConnect": False,
        "employeeIsProxy": False,
    }
    sel = parse_fields(arg_str("fields"))
    r = renderer()
    out: dict[str, Any] = {}
    names = list(obj) if sel.star else []
    names += [n for n in sel.children if n not in names]
    for name in names:
        if name not in obj:
            raise ApiProblem(400, 11000, f"Illegal field in fields filter: {name}")
        sub = sel.children.get(name)
        if name in ("employee", "company"):
            kind = name
            if sub is None:
                out[name] = r.ref(kind, obj[name]["id"])
            else:
                target = st.store.get(kind, obj[name]["id"])
                out[name] = r.render(kind, target, sub) if target else r.ref(kind, obj[name]["id"])
        else:
            out[name] = obj[name]
    return jsonify({"value": out})


@bp.get("/company/>withLoginAccess")
def with_login_access() -> Any:
    """Client companies for accountant tokens; the demo token has none."""
    return list_response("company", [])


@bp.get("/company/<int:obj_id>")
def company_get(obj_id: int) -> Any:
    """The company."""
    return stored_response("company", obj_id)


# -- generic helpers -----------------------------------------------------------------------


def _filter_ids(items: list[dict[str, Any]], ids: set[int] | None) -> list[dict[str, Any]]:
    return items if ids is None else [o for o in items if o["id"] in ids]


def _create(kind: str) -> Any:
    st = state()
    data = body_object()
    required_fields(st, kind, data)
    with st.lock:
        obj = ingest(st, kind, data)
        display_fields(kind, obj)
        if kind == "customer":
            obj.setdefault("isInactive", False)
            numbers = [c.get("customerNumber", 0) for c in st.store.all("customer")]
            obj.setdefault("customerNumber", max(numbers, default=10000) + 1)
        if kind == "employee":
            obj.setdefault("employments", [])
            obj.setdefault("isContact", False)
            obj.setdefault("companyId", st.company_id)
        if kind == "project":
            obj.setdefault("participants", [])
            obj.setdefault("projectActivities", [])
            obj.setdefault("projectHourlyRates", [])
            obj.setdefault("isClosed", False)
        created = st.insert(kind, obj)
    return value_response(kind, created, 201)


def _update(kind: str, obj_id: int) -> Any:
    st = state()
    data = body_object()
    with st.lock:
        obj = existing(st.store, kind, obj_id)
        check_version(obj, data.get("version"))
        changes = ingest(st, kind, data)
        merged = {**obj, **changes}
        display_fields(kind, merged)
        changes["displayName"] = merged.get("displayName")
        updated = st.modify(kind, obj_id, changes)
    return value_response(kind, updated)


def _delete(kind: str, obj_id: int) -> Any:
    st = state()
    try:
        st.remove(kind, obj_id)
    except KeyError:
        raise not_found() from None
    return no_content()


# -- employees -----------------------------------------------------------------------------


def employment_periods(
    st: Any, emp: dict[str, Any]
) -> Iterator[tuple[int, dict[str, Any], dt.date, dt.date | None]]:
    """(position in emp's list, employment, start, end or None) of each stored employment."""
    for n, ref in enumerate(emp.get("employments", [])):
        e = st.store.get("employment", ref["id"])
        if e:
            start = dt.date.fromisoformat(e["startDate"])
            end = dt.date.fromisoformat(e["endDate"]) if e.get("endDate") else None
            yield n, e, start, end


def _employed_in(st: Any, emp: dict[str, Any], start: dt.date | None, end: dt.date | None) -> bool:
    return any(
        (end is None or e_start < end) and (start is None or e_end is None or e_end >= start)
        for _, _, e_start, e_end in employment_periods(st, emp)
    )


@bp.get("/employee")
def employee_list() -> Any:
    """Employees; contacts hidden unless includeContacts/onlyContacts."""
    st = state()
    items = _filter_ids(st.all("employee"), arg_ids("id"))
    first, last, email = arg_str("firstName"), arg_str("lastName"), arg_str("email")
    number = arg_str("employeeNumber")
    deps = arg_ids("departmentId")
    include_contacts = arg_bool("includeContacts", False)
    only_contacts = arg_bool("onlyContacts", False)
    only_pm = arg_bool("onlyProjectManagers", False)
    allow_info = arg_bool("allowInformationRegistration")
    has_access = arg_bool("hasSystemAccess")
    p_start, p_end = arg_date("periodStart"), arg_date("periodEnd")
    managers = {ref_id(p, "projectManager") for p in st.all("project")} if only_pm else set()
    out = []
    for e in items:
        if only_contacts and not e.get("isContact"):
            continue
        if not include_contacts and not only_contacts and e.get("isContact"):
            continue
        if not (contains(e.get("firstName"), first) and contains(e.get("lastName"), last)):
            continue
        if not contains(e.get("email"), email):
            continue
        if number is not None and e.get("employeeNumber") != number:
            continue
        if deps is not None and ref_id(e, "department") not in deps:
            continue
        if only_pm and e["id"] not in managers:
            continue
        if allow_info is not None and bool(e.get("allowInformationRegistration")) != allow_info:
            continue
        if has_access is not None and (e.get("userType") not in (None, "NO_ACCESS")) != has_access:
            continue
        if (p_start or p_end) and not _employed_in(st, e, p_start, p_end):
            continue
        out.append(e)
    return list_response("employee", out)


@bp.get("/employee/<int:obj_id>")
def employee_get(obj_id: int) -> Any:
    """One employee."""
    return stored_response("employee", obj_id)


@bp.post("/employee")
def employee_create() -> Any:
    """Create an employee (fires employee.create)."""
    return _create("employee")


@bp.put("/employee/<int:obj_id>")
def employee_update(obj_id: int) -> Any:
    """Update an employee (fires employee.update)."""
    return _update("employee", obj_id)


@bp.get("/employee/employment")
def employment_list() -> Any:
    """Employments, optionally for one employee."""
    st = state()
    emp = arg_int("employeeId")
    items = [e for e in st.all("employment") if emp is None or ref_id(e, "employee") == emp]
    return list_response("employment", items)


@bp.get("/employee/employment/<int:obj_id>")
def employment_get(obj_id: int) -> Any:
    """One employment."""
    return stored_response("employment", obj_id)


@bp.get("/employee/hourlyCostAndRate")
def hourly_cost_list() -> Any:
    """Employee rate history."""
    st = state()
    emp = arg_int("employeeId")
    items = [e for e in st.all("hourlyCostAndRate") if emp is None or ref_id(e, "employee") == emp]
    return list_response("hourlyCostAndRate", items)


# -- departments, divisions ----------------------------------------------------------------


@bp.get("/department")
def department_list() -> Any:
    """Departments; isInactive unset returns both."""
    st = state()
    items = _filter_ids(st.all("department"), arg_ids("id"))
    name, number = arg_str("name"), arg_str("departmentNumber")
    managers = arg_ids("departmentManagerId")
    inactive = arg_bool("isInactive")
    out = [
        d
        for d in items
        if contains(d.get("name"), name)
        and (number is None or d.get("departmentNumber") == number)
        and (managers is None or ref_id(d, "departmentManager") in managers)
        and (inactive is None or bool(d.get("isInactive")) == inactive)
    ]
    return list_response("department", out)


@bp.get("/department/<int:obj_id>")
def department_get(obj_id: int) -> Any:
    """One department."""
    return stored_response("department", obj_id)


@bp.get("/division")
def division_list() -> Any:
    """Divisions (virksomheter)."""
    query = arg_str("query")
    items = [d for d in state().all("division") if contains(d.get("name"), query)]
    return list_response("division", items)


# -- customers -----------------------------------------------------------------------------


def _parse_datetime(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
        except ValueError:
            raise ApiProblem(
                422, 21000, f"Illegal value for parameter changedSince: {value}"
            ) from None
    if parsed.tzinfo is None:
        from .state import OSLO

        parsed = parsed.replace(tzinfo=OSLO)
    return parsed


@bp.get("/customer")
def customer_list() -> Any:
    """Customers; inactive ones hidden unless isInactive=true; changedSince filter."""
    st = state()
    items = _filter_ids(st.all("customer"), arg_ids("id"))
    number = arg_str("customerAccountNumber")
    org, email, inv = arg_str("organizationNumber"), arg_str("email"), arg_str("invoiceEmail")
    name, mobile = arg_str("customerName"), arg_str("phoneNumberMobile")
    inactive = arg_bool("isInactive", False)
    managers = arg_ids("accountManagerId")
    since_raw = arg_str("changedSince")
    since = _parse_datetime(since_raw) if since_raw else None
    out = []
    for c in items:
        if bool(c.get("isInactive")) != inactive:
            continue
        if number is not None and str(c.get("customerNumber")) != number:
            continue
        if org is not None and c.get("organizationNumber") != org:
            continue
        if email is not None and c.get("email") != email:
            continue
        if inv is not None and c.get("invoiceEmail") != inv:
            continue
        if not contains(c.get("name"), name) or not contains(c.get("phoneNumberMobile"), mobile):
            continue
        if managers is not None and ref_id(c, "accountManager") not in managers:
            continue
        if since is not None and c["_changed"] <= since:
            continue
        out.append(c)
    return list_response("customer", out)


@bp.get("/customer/<int:obj_id>")
def customer_get(obj_id: int) -> Any:
    """One customer."""
    return stored_response("customer", obj_id)


@bp.post("/customer")
def customer_create() -> Any:
    """Create a customer (fires customer.create)."""
    return _create("customer")


@bp.put("/customer/<int:obj_id>")
def customer_update(obj_id: int) -> Any:
    """Update a customer (fires customer.update)."""
    return _update("customer", obj_id)


@bp.delete("/customer/<int:obj_id>")
def customer_delete(obj_id: int) -> Any:
    """Delete a customer (fires customer.delete)."""
    return _delete("customer", obj_id)


# -- projects ------------------------------------------------------------------------------


def _is_member(st: Any, project: dict[str, Any], emp_id: int) -> bool:
    if ref_id(project, "projectManager") == emp_id:
        return True
    for ref in project.get("participants", []):
        p = st.store.get("participant", ref["id"])
        if p and ref_id(p, "employee") == emp_id:
            return True
    return False


def project_open_for(st: Any, project: dict[str, Any], emp_id: int, day: dt.date) -> str | None:
    """Why an employee may not log time on a project that day (None when allowed)."""
    if project.get("isClosed"):
        return "Prosjektet er avsluttet."
    if project.get("startDate") and day < dt.date.fromisoformat(project["startDate"]):
        return "Kan ikke registrere timer før prosjektets startdato."
    if project.get("endDate") and day > dt.date.fromisoformat(project["endDate"]):
        return "Kan ikke registrere timer etter prosjektets sluttdato."
    if project.get("forParticipantsOnly") and not _is_member(st, project, emp_id):
        return "Den ansatte er ikke deltaker på prosjektet."
    return None


@bp.get("/project")
def project_list() -> Any:
    """Projects with the documented filters."""
    st = state()
    items = _filter_ids(st.all("project"), arg_ids("id"))
    name, number = arg_str("name"), arg_str("number")
    is_offer, closed, fixed = arg_bool("isOffer"), arg_bool("isClosed"), arg_bool("isFixedPrice")
    managers, deps = arg_ids("projectManagerId"), arg_ids("departmentId")
    customers, members = arg_ids("customerId"), arg_ids("employeeInProjectId")
    ranges = {k: arg_date(k) for k in ("startDateFrom", "startDateTo", "endDateFrom", "endDateTo")}
    recently = arg_bool("includeRecentlyClosed", False)
    today = st.oslo_today()
    out = []
    for p in items:
        if not contains(p.get("name"), name):
            continue
        if number is not None and p.get("number") != number:
            continue
        if is_offer is not None and bool(p.get("isOffer")) != is_offer:
            continue
        if closed is not None and bool(p.get("isClosed")) != closed:
            ended = p.get("endDate") and dt.date.fromisoformat(
                p["endDate"]
            ) >= today - dt.timedelta(days=92)
            if not (recently and closed is False and p.get("isClosed") and ended):
                continue
        if fixed is not None and bool(p.get("isFixedPrice")) != fixed:
            continue
        if managers is not None and ref_id(p, "projectManager") not in managers:
            continue
        if deps is not None and ref_id(p, "department") not in deps:
            continue
        if customers is not None and ref_id(p, "customer") not in customers:
            continue
        if members is not None and not any(_is_member(st, p, m) for m in members):
            continue
        start = dt.date.fromisoformat(p["startDate"]) if p.get("startDate") else None
        end = dt.date.fromisoformat(p["endDate"]) if p.get("endDate") else None
        if ranges["startDateFrom"] and (start is None or start < ranges["startDateFrom"]):
            continue
        if ranges["startDateTo"] and (start is None or start >= ranges["startDateTo"]):
            continue
        if ranges["endDateFrom"] and (end is None or end < ranges["endDateFrom"]):
            continue
        if ranges["endDateTo"] and (end is None or end >= ranges["endDateTo"]):
            continue
        out.append(p)
    return list_response("project", out)


@bp.get("/project/>forTimeSheet")
def project_for_timesheet() -> Any:
    """Projects the employee may log time on that day."""
    st = state()
    emp = arg_int("employeeId", st.token_owner_id)
    day = arg_date("date") or st.oslo_today()
    offers = arg_bool("includeProjectOffers", False)
    out = [
        p
        for p in st.all("project")
        if project_open_for(st, p, emp, day) is None and (offers or not p.get("isOffer"))
    ]
    return list_response("project", out)


@bp.get("/project/<int:obj_id>")
def project_get(obj_id: int) -> Any:
    """One project."""
    return stored_response("project", obj_id)


@bp.post("/project")
def project_create() -> Any:
    """Create a project (fires project.create)."""
    return _create("project")


@bp.put("/project/<int:obj_id>")
def project_update(obj_id: int) -> Any:
    """Update a project (fires project.update)."""
    return _update("project", obj_id)


@bp.get("/project/participant/<int:obj_id>")
def participant_get(obj_id: int) -> Any:
    """One project participant."""
    return stored_response("participant", obj_id)


@bp.get("/project/projectActivity/<int:obj_id>")
def project_activity_get(obj_id: int) -> Any:
    """One project activity."""
    return stored_response("projectActivity", obj_id)


@bp.get("/project/hourlyRates")
def hourly_rates_list() -> Any:
    """Project hourly rate models."""
    st = state()
    items = _filter_ids(st.all("hourlyRate"), arg_ids("id"))
    projects, model = arg_ids("projectId"), arg_str("type")
    start_from, start_to = arg_date("startDateFrom"), arg_date("startDateTo")
    show = arg_bool("showInProjectOrder")
    out = []
    for r in items:
        start = dt.date.fromisoformat(r["startDate"])
        if projects is not None and ref_id(r, "project") not in projects:
            continue
        if model is not None and r.get("hourlyRateModel") != model:
            continue
        if (start_from and start < start_from) or (start_to and start >= start_to):
            continue
        if show is not None and bool(r.get("showInProjectOrder")) != show:
            continue
        out.append(r)
    return list_response("hourlyRate", out)


@bp.get("/project/hourlyRates/<int:obj_id>")
def hourly_rate_get(obj_id: int) -> Any:
    """One project hourly rate."""
    return stored_response("hourlyRate", obj_id)


@bp.get("/project/hourlyRates/projectSpecificRates")
def specific_rates_list() -> Any:
    """Project-specific rates."""
    st = state()
    items = _filter_ids(st.all("projectSpecificRate"), arg_ids("id"))
    rate_ids, emps, acts = (
        arg_ids("projectHourlyRateId"),
        arg_ids("employeeId"),
        arg_ids("activityId"),
    )
    out = [
        r
        for r in items
        if (rate_ids is None or ref_id(r, "projectHourlyRate") in rate_ids)
        and (emps is None or ref_id(r, "employee") in emps)
        and (acts is None or ref_id(r, "activity") in acts)
    ]
    return list_response("projectSpecificRate", out)


# -- activities ----------------------------------------------------------------------------


@bp.get("/activity")
def activity_list() -> Any:
    """Activities."""
    st = state()
    items = _filter_ids(st.all("activity"), arg_ids("id"))
    name, number, desc = arg_str("name"), arg_str("number"), arg_str("description")
    flags = {
        "isProjectActivity": arg_bool("isProjectActivity"),
        "isGeneral": arg_bool("isGeneral"),
        "isChargeable": arg_bool("isChargeable"),
        "isTask": arg_bool("isTask"),
        "isDisabled": arg_bool("isInactive"),
    }
    out = [
        a
        for a in items
        if contains(a.get("name"), name)
        and (number is None or a.get("number") == number)
        and contains(a.get("description"), desc)
        and all(v is None or bool(a.get(k)) == v for k, v in flags.items())
    ]
    return list_response("activity", out)


def activities_for(st: Any, project_id: int, emp_id: int, day: dt.date) -> list[dict[str, Any]]:
    """Activities allowed for a project (0 = general time) for that employee and day."""
    if project_id == 0:
        return [a for a in st.all("activity") if a.get("activityType") == "GENERAL_ACTIVITY"]
    project = st.store.get("project", project_id)
    if project is None or project_open_for(st, project, emp_id, day) is not None:
        return []
    linked = {}
    for ref in project.get("projectActivities", []):
        pa = st.store.get("projectActivity", ref["id"])
        if not pa or pa.get("isClosed"):
            continue
        if pa.get("startDate") and day < dt.date.fromisoformat(pa["startDate"]):
            continue
        if pa.get("endDate") and day > dt.date.fromisoformat(pa["endDate"]):
            continue
        act = st.store.get("activity", ref_id(pa, "activity"))
        if act and not act.get("isDisabled"):
            linked[act["id"]] = act
    if not project.get("generalProjectActivitiesPerProjectOnly"):
        for act in st.all("activity"):
            if act.get("activityType") == "PROJECT_GENERAL_ACTIVITY" and not act.get("isDisabled"):
                linked.setdefault(act["id"], act)
    return list(linked.values())


@bp.get("/activity/>forTimeSheet")
def activity_for_timesheet() -> Any:
    """Activities allowed on a project (projectId=0: general activities) for employee/day."""
    st = state()
    project_id = arg_int("projectId", required=True)
    assert project_id is not None
    emp = arg_int("employeeId", st.token_owner_id)
    day = arg_date("date") or st.oslo_today()
    return list_response("activity", activities_for(st, project_id, emp, day))


@bp.get("/activity/<int:obj_id>")
def activity_get(obj_id: int) -> Any:
    """One activity."""
    return stored_response("activity", obj_id)


# -- salary types, products, VAT -------------------------------------------------------------


@bp.get("/salary/type")
def salary_type_list() -> Any:
    """Salary types; `number` is *containing*."""
    st = state()
    require_salary_module()
    items = _filter_ids(st.all("salaryType"), arg_ids("id"))
    number, name, desc = arg_str("number"), arg_str("name"), arg_str("description")
    show = arg_bool("showInTimesheet")
    inactive = arg_bool("isInactive")
    out = [
        s
        for s in items
        if contains(s.get("number"), number)
        and contains(s.get("name"), name)
        and contains(s.get("description"), desc)
        and (show is None or bool(s.get("showInTimesheet")) == show)
        and (inactive is None or inactive is False)
    ]
    return list_response("salaryType", out)


@bp.get("/salary/type/<int:obj_id>")
def salary_type_get(obj_id: int) -> Any:
    """One salary type."""
    require_salary_module()
    return stored_response("salaryType", obj_id)


def require_salary_module() -> None:
    if not state().modules.get("salary", True):
        raise ApiProblem(
            403, 9000, "You do not have permission to access this feature.", "Salary module is off"
        )


@bp.get("/product")
def product_list() -> Any:
    """Products."""
    st = state()
    items = _filter_ids(st.all("product"), arg_ids("ids"))
    from flask import request

    numbers = [n for v in request.args.getlist("productNumber") for n in v.split(",") if n]
    number, name, ean = arg_str("number"), arg_str("name"), arg_str("ean")
    inactive = arg_bool("isInactive")
    vat_ids, deps = arg_ids("vatTypeId"), arg_ids("departmentId")
    out = [
        p
        for p in items
        if (not numbers or p.get("number") in numbers)
        and contains(p.get("number"), number)
        and contains(p.get("name"), name)
        and (ean is None or p.get("ean") == ean)
        and (inactive is None or bool(p.get("isInactive")) == inactive)
        and (vat_ids is None or ref_id(p, "vatType") in vat_ids)
        and (deps is None or ref_id(p, "department") in deps)
    ]
    return list_response("product", out)


@bp.get("/product/<int:obj_id>")
def product_get(obj_id: int) -> Any:
    """One product."""
    return stored_response("product", obj_id)


@bp.post("/product")
def product_create() -> Any:
    """Create a product (fires product.create)."""
    return _create("product")


@bp.put("/product/<int:obj_id>")
def product_update(obj_id: int) -> Any:
    """Update a product (fires product.update)."""
    return _update("product", obj_id)


OUTGOING_VAT = {"3", "5", "6", "31", "32"}


@bp.get("/ledger/vatType")
def vat_type_list() -> Any:
    """VAT types."""
    st = state()
    items = _filter_ids(st.all("vatType"), arg_ids("id"))
    number, kind = arg_str("number"), arg_str("typeOfVat")
    out = []
    for v in items:
        if number is not None and v.get("number") != number:
            continue
        if kind == "OUTGOING" and v["number"] not in OUTGOING_VAT:
            continue
        if kind == "INCOMING" and v["number"] in OUTGOING_VAT:
            continue
        out.append(v)
    return list_response("vatType", out)


@bp.get("/ledger/vatType/<int:obj_id>")
def vat_type_get(obj_id: int) -> Any:
    """One VAT type."""
    return stored_response("vatType", obj_id)


# -- events --------------------------------------------------------------------------------


@bp.get("/event")
def event_map() -> Any:
    """Map of webhook events (no auth needed)."""
    value = {
        name: {"description": desc, "payloadModel": name.split(".")[0].capitalize()}
        for name, desc in WEBHOOK_EVENTS.items()
    }
    return jsonify({"value": value})


def _subscription_body(data: dict[str, Any], partial: bool) -> dict[str, Any]:
    st = state()
    if not partial:
        required_fields(st, "subscription", data)
    out = ingest(st, "subscription", data)
    if "event" in out and out["event"] not in WEBHOOK_EVENTS:
        raise validation_error("event", f"Ukjent hendelse: {out['event']}")
    if "targetUrl" in out:
        url = urlparse(str(out["targetUrl"]))
        loopback = url.hostname in ("127.0.0.1", "localhost", "::1")
        # Real Tripletex demands https; the sandbox also allows http on loopback for tests.
        if url.scheme != "https" and not (url.scheme == "http" and loopback):
            raise validation_error("targetUrl", "Må være en absolutt HTTPS-URL.")
    out.setdefault("status", "ACTIVE") if not partial else None
    return out


@bp.get("/event/subscription")
def subscription_list() -> Any:
    """Subscriptions of the current employee token."""
    return list_response("subscription", state().all("subscription"))


@bp.post("/event/subscription")
def subscription_create() -> Any:
    """Subscribe to an event."""
    st = state()
    obj = _subscription_body(body_object(), partial=False)
    created = st.insert("subscription", obj)
    return value_response("subscription", created, 201)


@bp.get("/event/subscription/<int:obj_id>")
def subscription_get(obj_id: int) -> Any:
    """One subscription."""
    return stored_response("subscription", obj_id)


@bp.put("/event/subscription/<int:obj_id>")
def subscription_update(obj_id: int) -> Any:
    """Update or re-enable a subscription."""
    st = state()
    data = body_object()
    with st.lock:
        obj = existing(st.store, "subscription", obj_id)
        check_version(obj, data.get("version"))
        updated = st.modify("subscription", obj_id, _subscription_body(data, partial=True))
    return value_response("subscription", updated)


@bp.delete("/event/subscription/<int:obj_id>")
def subscription_delete(obj_id: int) -> Any:
    """Remove a subscription."""
    return _delete("subscription", obj_id)

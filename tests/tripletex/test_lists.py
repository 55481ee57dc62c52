"""Every list call over real HTTP against the demo company: contents, paging, fields, digests."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from tests.tripletex.conftest import make_client
from tipro.tripletex import api
from tipro.tripletex.client import OSLO


def _by_email(client):
    return {e.get("email"): e for e in client.list_employees()}


def _top_level_keys(fields: str) -> set[str]:
    keys, depth, current = set(), 0, ""
    for ch in fields:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            keys.add(current)
            current = ""
            continue
        if depth == 0 and ch not in "()":
            current += ch
    keys.add(current)
    return keys


def test_employees_with_employments_and_divisions(client):
    result = client.list_employees()
    assert len(result) == 12  # the contact person is left out
    assert result.calls == 1
    people = {e["email"]: e for e in result if e.get("email")}
    ingrid = people["ingrid@fjellheimbygg.no"]
    assert ingrid["firstName"] == "Ingrid" and ingrid["employeeNumber"] == "101"
    assert ingrid["employments"][0]["division"]["name"]
    sindre = people["sindre@fjellheimbygg.no"]
    assert not sindre["employments"][0].get("division")
    maja = people["maja.berg@example.no"]
    assert maja["employments"][0]["endDate"] == "2024-06-30"
    allowed = _top_level_keys(api.EMPLOYEE_FIELDS)
    for row in result:
        assert set(row) <= allowed  # `fields` kept out what TiPro does not store
    contacts = client.list_employees(include_contacts=True)
    assert len(contacts) == 13


def test_employments_for_one_employee(client):
    ingrid = _by_email(client)["ingrid@fjellheimbygg.no"]
    employments = client.list_employments(ingrid["id"])
    assert [e["startDate"] for e in employments] == ["2012-03-01"]


def test_departments(client):
    departments = client.list_departments()
    assert len(departments) == 4  # active and inactive alike
    assert [d["name"] for d in departments if d["isInactive"]] == ["Nedlagt verksted"]
    assert all(d["name"] and d["departmentNumber"] for d in departments)
    assert len([d for d in departments if d.get("departmentManager")]) == 3


def test_customers_active_inactive_and_changed_since(sandbox, client):
    assert len(client.list_customers(include_inactive=False)) == 7
    everyone = client.list_customers()
    assert len(everyone) == 8
    assert any(c["isInactive"] for c in everyone)
    target = next(c for c in everyone if c["name"] == "Bærum Kommune")
    # Someone edits the customer in Tripletex an hour from now; we ask for changes since 30 min.
    later = datetime.now(OSLO).replace(microsecond=0) + timedelta(hours=1)
    sandbox.state.set_now(later)
    sandbox.state.update("customer", target["id"], {"email": "ny@baerum.kommune.no"})
    changed = client.list_customers(changed_since=later - timedelta(minutes=30))
    assert [c["id"] for c in changed] == [target["id"]]
    assert changed.values[0]["email"] == "ny@baerum.kommune.no"
    assert len(client.list_customers(changed_since=later + timedelta(minutes=1))) == 0


def test_projects_with_participants_activities_customer_manager(client):
    projects = {p["number"]: p for p in client.list_projects()}
    assert len(projects) == 10
    skoyen = projects["1001"]
    assert skoyen["customer"]["name"] == "Skøyen Eiendom AS"
    assert skoyen["projectManager"]["id"]
    # Four crew members, plus the project manager where the seed adds them as admin.
    members = [p for p in skoyen["participants"] if not p["adminAccess"]]
    assert len(members) == 4
    assert all(p["employee"]["id"] for p in skoyen["participants"])
    assert skoyen["projectActivities"] and skoyen["projectActivities"][0]["activity"]["id"]
    assert projects["1006"]["isClosed"] is True
    assert projects["1008"]["forParticipantsOnly"] is True
    open_only = client.list_projects(is_closed=False)
    assert "1006" not in {p["number"] for p in open_only}


def test_projects_and_activities_for_timesheet(client):
    people = _by_email(client)
    kari = people["kari@fjellheimbygg.no"]
    today = date.today()
    numbers = {p["number"] for p in client.projects_for_timesheet(kari["id"], today)}
    assert "1001" in numbers
    assert "1006" not in numbers  # closed
    assert "1007" not in numbers  # starts in 2099
    assert "1008" not in numbers  # participants only, Kari is not one
    skoyen = next(p for p in client.list_projects() if p["number"] == "1001")
    activities = client.activities_for_timesheet(skoyen["id"], kari["id"], today)
    names = {a["name"] for a in activities}
    assert {"Snekring", "Befaring Skøyen"} <= names


def test_activities_salary_types_products_vat_divisions(client):
    activities = client.list_activities()
    assert any(a["activityType"] == "PROJECT_SPECIFIC_ACTIVITY" for a in activities)
    salary = {s["number"]: s for s in client.list_salary_types()}
    assert salary["2001"]["name"] == "Timelønn"
    in_timesheet = client.list_salary_types(show_in_timesheet=True)
    assert {s["number"] for s in in_timesheet} >= {"2005", "2006"}
    assert "2000" not in {s["number"] for s in in_timesheet}
    products = client.list_products()
    assert len(products) >= 1 and all("vatType" in p for p in products)
    vat = {v["number"]: v for v in client.list_vat_types(vat_date=date.today())}
    assert vat["3"]["percentage"] == 25.0
    assert len(client.list_divisions()) >= 1


def test_hourly_rates_for_some_projects(client):
    projects = {p["number"]: p["id"] for p in client.list_projects()}
    rates = client.list_hourly_rates([projects["1001"], projects["1002"]])
    models = {r["project"]["id"]: r for r in rates}
    assert models[projects["1001"]]["hourlyRateModel"] == "TYPE_PROJECT_SPECIFIC_HOURLY_RATES"
    assert len(models[projects["1001"]]["projectSpecificRates"]) == 2
    assert models[projects["1002"]]["fixedRate"] == 995.0
    assert len(client.list_hourly_rates()) == 10


def test_paging_takes_exactly_ceil_n_over_count_calls(sandbox, client, rec):
    result = client.get_list("/employee", fields="id", count=5)
    assert len(result) == 12 and result.calls == 3 == math.ceil(12 / 5)
    assert len({e["id"] for e in result}) == 12
    pages = [(e.query["from"], e.query["count"]) for e in rec.entries if e.path == "/employee"]
    # One look-ahead row per call tells whether another page exists.
    assert pages == [("0", "6"), ("5", "6"), ("10", "6")]
    # An exact multiple needs no extra empty page.
    exact = client.get_list("/employee", fields="id", count=4)
    assert len(exact) == 12 and exact.calls == 3 == math.ceil(12 / 4)
    assert [e["id"] for e in exact] == [e["id"] for e in result]
    one = client.get_list("/employee", fields="id", count=12)
    assert len(one) == 12 and one.calls == 1
    empty = client.get_list("/employee", {"email": "ingen@example.no"}, fields="id")
    assert empty.values == [] and empty.calls == 1


def test_if_none_match_gives_304_until_the_list_changes(sandbox, client, rec):
    first = client.list_departments(if_none_match="*")
    assert first.version_digest and not first.not_modified and len(first) == 4
    again = client.list_departments(if_none_match=first.version_digest)
    assert again.not_modified and again.values == [] and again.calls == 1
    assert rec.statuses("GET", "/department")[-1] == 304
    sandbox.state.update("department", first.values[0]["id"], {"name": "Bygg og anlegg"})
    changed = client.list_departments(if_none_match=first.version_digest)
    assert not changed.not_modified
    assert changed.version_digest != first.version_digest
    assert "Bygg og anlegg" in {d["name"] for d in changed}


def test_month_status_and_event_types(client):
    ingrid = _by_email(client)["ingrid@fjellheimbygg.no"]
    status = client.month_status([ingrid["id"]], "2025-01")
    assert status.values and status.values[0]["employee"]["id"] == ingrid["id"]
    events = client.list_event_types()
    assert "project.update" in events and "employee.create" in events


def test_min_interval_paces_requests(sandbox, rec):
    # The client's clock moves only when it sleeps, so a slow request on a busy machine (longer
    # than the interval by itself) cannot make the wait unnecessary.
    now = [0.0]

    def sleep(seconds: float) -> None:
        rec.sleep(seconds)
        now[0] += seconds

    client = make_client(sandbox, rec, min_interval=0.2, sleep=sleep, clock=lambda: now[0])
    client.list_departments()
    client.list_departments()
    # Session + 2 lists; the second and third request waited for the interval.
    assert len([s for s in rec.sleeps if 0 < s <= 0.2]) >= 2


def test_lists_by_ids_ask_for_those_objects_only(client, rec):
    """The engine's targeted refresh (webhooks): one call per list, the spec's id filter."""
    employees = list(client.list_employees())[:2]
    ids = {e["id"] for e in employees}
    assert {e["id"] for e in client.list_employees(ids=ids, include_contacts=None)} == ids
    customers = list(client.list_customers(include_inactive=False))[:2]
    ids = {c["id"] for c in customers}
    assert {c["id"] for c in client.list_customers(ids=ids, include_inactive=False)} == ids
    projects = list(client.list_projects())[:3]
    ids = {p["id"] for p in projects}
    assert {p["id"] for p in client.list_projects(ids=ids)} == ids
    products = list(client.list_products())[:2]
    ids = {p["id"] for p in products}
    assert {p["id"] for p in client.list_products(ids=ids)} == ids
    assert len(client.list_customers(inactive_only=True)) == 1


def test_whole_lists_answer_304_to_their_own_digest(client):
    """Every list the engine reads whole can be asked 'changed since this digest?'."""
    calls = (
        client.list_divisions,
        lambda **kw: client.list_vat_types(type_of_vat=None, **kw),
        client.list_hourly_rates,
        client.list_departments,
        client.list_activities,
        client.list_salary_types,
    )
    for call in calls:
        first = call(if_none_match="tipro")
        assert first.version_digest, call
        assert call(if_none_match=first.version_digest).not_modified, call

"""Auth, sessions, envelopes, fields, paging, sorting, digests and headers."""

from __future__ import annotations

import base64
import datetime as dt

import requests

from .conftest import Api, employee_id


def test_session_and_who_am_i(api: Api):
    resp = api.get("/token/session/%3EwhoAmI", fields="*,employee(*),company(*)")
    assert resp.status_code == 200
    value = resp.json()["value"]
    assert value["employee"]["displayName"] == "Ingrid Fjellheim"
    assert value["company"]["name"] == "Fjellheim Bygg AS"
    assert value["companyId"] == value["company"]["id"]
    assert value["employeeId"] == value["employee"]["id"]


def test_company_id_as_basic_username_is_accepted(api: Api):
    company_id = api.server.state.company_id
    resp = requests.get(
        f"{api.base}/token/session/%3EwhoAmI", auth=(str(company_id), api.token), timeout=10
    )
    assert resp.status_code == 200


def test_bad_consumer_or_employee_token_is_refused(sandbox):
    base = sandbox.base_url
    resp = requests.put(
        f"{base}/token/session/:create",
        params={
            "consumerToken": "nope",
            "employeeToken": sandbox.state.employee_token,
            "expirationDate": "2099-01-01",
        },
        timeout=10,
    )
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == 18000
    assert body["validationMessages"][0]["field"] == "arg:consumerToken"
    resp = requests.put(
        f"{base}/token/session/:create",
        params={
            "consumerToken": sandbox.state.consumer_token,
            "employeeToken": "nope",
            "expirationDate": "2099-01-01",
        },
        timeout=10,
    )
    assert resp.status_code == 422
    assert resp.json()["validationMessages"][0]["field"] == "arg:employeeToken"


def test_missing_or_malformed_auth_gives_401_3000(api: Api):
    for auth_header in [
        None,
        "Bearer x",
        "Basic !!!",
        "Basic " + base64.b64encode(b"7:x").decode(),
    ]:
        headers = {"Authorization": auth_header} if auth_header else {}
        resp = requests.get(f"{api.base}/employee", headers=headers, timeout=10)
        assert resp.status_code == 401, auth_header
        body = resp.json()
        assert (body["status"], body["code"]) == (401, 3000)
        assert body["requestId"] == resp.headers["x-tlx-request-id"]
    wrong_company = requests.get(f"{api.base}/employee", auth=("99999", api.token), timeout=10)
    assert wrong_company.status_code == 401


def test_session_expires_when_its_date_begins_in_oslo(api: Api):
    st = api.server.state
    # 23:30 UTC on 31 January is already 1 February in Oslo.
    st.set_now(dt.datetime(2025, 1, 31, 23, 30, tzinfo=dt.UTC))
    dies = api.new_session("2025-02-01")
    lives = api.new_session("2025-02-02")
    assert requests.get(f"{api.base}/employee", auth=("0", dies), timeout=10).status_code == 401
    assert requests.get(f"{api.base}/employee", auth=("0", lives), timeout=10).status_code == 200
    # Half an hour earlier (22:30 UTC = 23:30 Oslo, still 31 January) the first one worked.
    st.set_now(dt.datetime(2025, 1, 31, 22, 30, tzinfo=dt.UTC))
    assert requests.get(f"{api.base}/employee", auth=("0", dies), timeout=10).status_code == 200


def test_forced_expiry_and_logout(api: Api):
    api.server.state.expire_sessions()
    resp = api.get("/employee")
    assert (resp.status_code, resp.json()["code"]) == (401, 3000)
    fresh = api.new_session()
    assert requests.get(f"{api.base}/employee", auth=("0", fresh), timeout=10).status_code == 200
    out = requests.delete(f"{api.base}/token/session/{fresh}", auth=("0", fresh), timeout=10)
    assert out.status_code == 204
    assert requests.get(f"{api.base}/employee", auth=("0", fresh), timeout=10).status_code == 401


def test_revoked_employee_token(api: Api):
    api.server.state.revoke_employee_token()
    assert api.get("/employee").status_code == 401
    st = api.server.state
    resp = requests.put(
        f"{api.base}/token/session/:create",
        params={
            "consumerToken": st.consumer_token,
            "employeeToken": st.employee_token,
            "expirationDate": "2099-01-01",
        },
        timeout=10,
    )
    assert resp.status_code == 422
    assert resp.json()["validationMessages"][0]["field"] == "arg:employeeToken"


def test_headers_on_every_response(api: Api):
    for resp in [api.get("/employee"), api.get("/employee/999999"), api.get("/event")]:
        assert resp.headers["x-tlx-request-id"]
        for name in ("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"):
            assert resp.headers[name].isdigit(), name
    missing = api.get("/employee/999999")
    assert (missing.status_code, missing.json()["code"]) == (404, 6000)
    assert missing.json()["requestId"] == missing.headers["x-tlx-request-id"]


def test_real_rate_limit_when_enabled(api: Api):
    api.server.state.set_rate_limit(3, 60)
    statuses = [api.get("/department").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_fields_selection_and_reference_collapsing(api: Api):
    plain = api.values("/employee", firstName="Ola")[0]
    assert set(plain["department"]) == {"id", "url"}
    assert all(set(e) == {"id", "url"} for e in plain["employments"])
    assert "changes" not in plain
    picked = api.values("/employee", firstName="Ola", fields="id,firstName,department(name)")[0]
    assert picked == {"id": plain["id"], "firstName": "Ola", "department": {"name": "Bygg"}}
    nested = api.values(
        "/employee", firstName="Ola", fields="*,employments(*,division(*),employmentDetails(*))"
    )[0]
    employment = nested["employments"][0]
    assert employment["division"]["name"] == "Fjellheim Bygg AS"
    assert employment["employmentDetails"][0]["remunerationType"] == "MONTHLY_WAGE"
    with_changes = api.values("/employee", firstName="Ola", fields="id,changes")[0]
    assert with_changes["changes"][0]["changeType"] == "CREATE"
    bad = api.get("/employee", fields="id,shoeSize")
    assert (bad.status_code, bad.json()["code"]) == (400, 11000)


def test_paging_is_complete_and_full_result_size_is_not_a_total(api: Api):
    seen = []
    start = 0
    while True:
        body = api.get("/employee", **{"from": start, "count": 5, "fields": "id"}).json()
        seen += [v["id"] for v in body["values"]]
        if body["count"] < 5:
            break
        if start == 0:
            assert body["fullResultSize"] == 6  # "more exists", not the 12 employees
        start += 5
    assert len(seen) == len(set(seen)) == 12


def test_sorting(api: Api):
    names = [e["lastName"] for e in api.values("/employee", sorting="-lastName", fields="lastName")]
    assert names == sorted(names, reverse=True)
    projects = api.values(
        "/project", sorting="customer.name,number", fields="number,customer(name)"
    )
    customer_names = [p["customer"]["name"] for p in projects if "customer" in p]
    assert customer_names == sorted(customer_names, key=str.lower)
    bad = api.get("/employee", sorting="nonsense")
    assert (bad.status_code, bad.json()["code"]) == (422, 17000)


def test_version_digest_and_if_none_match(api: Api):
    first = api.get("/department")
    digest = first.json()["versionDigest"]
    assert digest
    again = api.http.get(f"{api.base}/department", headers={"If-None-Match": digest}, timeout=10)
    assert again.status_code == 304
    assert again.headers["x-tlx-request-id"]
    dep = first.json()["values"][0]
    api.server.state.update("department", dep["id"], {"name": "Bygg og anlegg"})
    changed = api.http.get(f"{api.base}/department", headers={"If-None-Match": digest}, timeout=10)
    assert changed.status_code == 200
    assert changed.json()["versionDigest"] != digest


def test_customer_defaults_and_changed_since(api: Api):
    active = api.values("/customer", fields="name,isInactive")
    assert all(not c["isInactive"] for c in active) and len(active) == 7
    inactive = api.values("/customer", isInactive="true", fields="name")
    assert [c["name"] for c in inactive] == ["Gamle Kunde AS"]
    st = api.server.state
    st.set_now(dt.datetime(2031, 1, 1, 12, 0, tzinfo=dt.UTC))
    target = active[0]
    cid = api.one("/customer", customerName=target["name"], fields="id")["id"]
    st.update("customer", cid, {"email": "ny@example.no"})
    since = api.values("/customer", changedSince="2031-01-01T00:00:00Z", fields="id,version")
    assert since == [{"id": cid, "version": 1}]


def test_contacts_hidden_unless_included(api: Api):
    names = {e["lastName"] for e in api.values("/employee", fields="lastName")}
    assert "Kontaktperson" not in names
    with_contacts = {
        e["lastName"] for e in api.values("/employee", includeContacts="true", fields="lastName")
    }
    assert "Kontaktperson" in with_contacts


def test_project_for_timesheet_rules(api: Api):
    kari = employee_id(api, "Kari")
    sofie = employee_id(api, "Sofie")
    numbers = {
        p["number"]
        for p in api.values(
            "/project/%3EforTimeSheet", employeeId=kari, date="2025-03-03", fields="number"
        )
    }
    assert "1006" not in numbers  # closed
    assert "1007" not in numbers  # starts in 2099
    assert "1008" not in numbers  # participants only, Kari is not one
    assert {"1001", "1002", "1004", "1005", "1009"} <= numbers
    sofie_numbers = {
        p["number"]
        for p in api.values(
            "/project/>forTimeSheet", employeeId=sofie, date="2025-03-03", fields="number"
        )
    }
    assert "1008" in sofie_numbers


def test_activity_for_timesheet(api: Api):
    skoyen = api.one("/project", number="1001", fields="id")["id"]
    names = {
        a["name"]
        for a in api.values("/activity/>forTimeSheet", projectId=skoyen, date="2025-03-03")
    }
    assert {"Snekring", "Prosjektledelse", "Befaring Skøyen"} <= names
    assert "Intern tid" not in names
    general = {a["name"] for a in api.values("/activity/>forTimeSheet", projectId=0)}
    assert general == {"Intern tid", "Kurs og opplæring", "Ferie"}


def test_master_data_lists(api: Api):
    assert len(api.values("/department")) == 4
    assert len(api.values("/department", isInactive="false")) == 3
    numbers = {s["number"] for s in api.values("/salary/type")}
    assert {"2000", "2001", "2005", "2006"} <= numbers
    assert {s["number"] for s in api.values("/salary/type", number="200")} == {
        "2000",
        "2001",
        "2002",
        "2005",
        "2006",
    }
    vat = api.get("/ledger/vatType/3").json()["value"]
    assert vat["percentage"] == 25.0
    assert api.values("/division")[0]["organizationNumber"] == "998877665"
    products = api.values("/product", productNumber="T-100")
    assert products[0]["vatType"]["id"] == 3
    rates = api.values("/project/hourlyRates", fields="hourlyRateModel")
    assert {r["hourlyRateModel"] for r in rates} == {
        "TYPE_PROJECT_SPECIFIC_HOURLY_RATES",
        "TYPE_FIXED_HOURLY_RATE",
        "TYPE_PREDEFINED_HOURLY_RATES",
    }
    ola = employee_id(api, "Ola")
    assert api.values("/employee/employment", employeeId=ola)[0]["division"]["id"]
    assert api.values("/employee/hourlyCostAndRate", employeeId=ola)[0]["rate"] == 850.0
    assert api.values("/company/>withLoginAccess") == []
    events = api.get("/event").json()["value"]
    assert "customer.update" in events and "employee.delete" in events

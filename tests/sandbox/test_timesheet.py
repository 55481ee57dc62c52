"""Timesheet business rules: uniqueness, hours, project dates, locking, PUT quirk, versions."""

from __future__ import annotations

from .conftest import Api, activity_id, employee_id, project_id


def _entry(api: Api, **over) -> dict:
    body = {
        "employee": {"id": employee_id(api, "Kari")},
        "project": {"id": project_id(api, "1001")},
        "activity": {"id": activity_id(api, "Snekring")},
        "date": "2025-03-03",
        "hours": 7.5,
        "comment": "Reiste vegger",
    }
    body.update(over)
    return body


def test_create_computes_read_only_fields(api: Api):
    resp = api.post("/timesheet/entry", _entry(api))
    assert resp.status_code == 201
    value = resp.json()["value"]
    assert value["version"] == 0
    assert value["chargeable"] is True
    assert value["hourlyRate"] == 890.0  # project-specific rate for Snekring on 1001
    assert value["locked"] is False
    got = api.get(
        "/timesheet/entry", dateFrom="2025-03-01", dateTo="2025-04-01", fields="*,activity(name)"
    ).json()
    assert got["sumAllHours"] == 7.5
    assert got["values"][0]["activity"] == {"name": "Snekring"}


def test_general_activity_without_project(api: Api):
    resp = api.post(
        "/timesheet/entry",
        _entry(api, project=None, activity={"id": activity_id(api, "Intern tid")}),
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["value"]["chargeable"] is False
    needs_project = api.post("/timesheet/entry", _entry(api, project=None))
    assert needs_project.status_code == 422


def test_duplicate_is_409_7000(api: Api):
    assert api.post("/timesheet/entry", _entry(api)).status_code == 201
    dup = api.post("/timesheet/entry", _entry(api, hours=2))
    assert (dup.status_code, dup.json()["code"]) == (409, 7000)
    other_day = api.post("/timesheet/entry", _entry(api, date="2025-03-04"))
    assert other_day.status_code == 201


def test_hours_between_0_and_24(api: Api):
    for hours in (24.5, -1):
        resp = api.post("/timesheet/entry", _entry(api, hours=hours))
        assert (resp.status_code, resp.json()["code"]) == (422, 18000)
        assert resp.json()["validationMessages"][0]["field"] == "hours"
    assert api.post("/timesheet/entry", _entry(api, hours=24)).status_code == 201


def test_required_fields(api: Api):
    body = _entry(api)
    del body["date"]
    resp = api.post("/timesheet/entry", body)
    assert (resp.status_code, resp.json()["code"]) == (422, 18000)
    assert resp.json()["validationMessages"][0]["field"] == "date"


def test_not_before_project_start_and_not_on_closed_project(api: Api):
    early = api.post("/timesheet/entry", _entry(api, date="2023-12-29"))
    assert early.status_code == 422
    assert early.json()["validationMessages"][0]["field"] == "date"
    closed = api.post(
        "/timesheet/entry", _entry(api, project={"id": project_id(api, "1006")}, date="2023-06-01")
    )
    assert closed.status_code == 422
    secret = api.post(
        "/timesheet/entry",
        _entry(
            api,
            project={"id": project_id(api, "1008")},
            activity={"id": activity_id(api, "Elektroarbeid")},
        ),
    )
    assert secret.status_code == 422  # Kari is not a participant


def test_month_approval_locks_entries(api: Api):
    kari = employee_id(api, "Kari")
    entry = api.post("/timesheet/entry", _entry(api)).json()["value"]
    approve = api.put("/timesheet/month/:approve", employeeIds=str(kari), monthYear="2025-03")
    assert approve.status_code == 200
    status = approve.json()["values"][0]
    assert status["approved"] is True and status["approvedUntilDate"] == "2025-03-31"
    assert api.get(f"/timesheet/entry/{entry['id']}").json()["value"]["locked"] is True
    for resp in (
        api.put(f"/timesheet/entry/{entry['id']}", {"hours": 5.0}),
        api.delete(f"/timesheet/entry/{entry['id']}"),
        api.post("/timesheet/entry", _entry(api, date="2025-03-10")),
    ):
        assert (resp.status_code, resp.json()["code"]) == (409, 10000)
    by_month = api.get("/timesheet/month/byMonthNumber", employeeIds=str(kari), monthYear="2025-03")
    assert by_month.json()["values"][0]["approved"] is True
    assert (
        api.put(
            "/timesheet/month/:unapprove", employeeIds=str(kari), monthYear="2025-03"
        ).status_code
        == 200
    )
    assert api.put(f"/timesheet/entry/{entry['id']}", {"hours": 5.0}).status_code == 200


def test_week_approval_locks_entries(api: Api):
    kari = employee_id(api, "Kari")
    entry = api.post("/timesheet/entry", _entry(api)).json()["value"]  # 2025-03-03 is week 10
    week = api.put("/timesheet/week/:approve", employeeId=kari, weekYear="2025-10")
    assert week.status_code == 200
    assert week.json()["value"]["approved"] is True
    resp = api.delete(f"/timesheet/entry/{entry['id']}")
    assert resp.status_code == 409


def test_put_nulls_fields_present_but_unset(api: Api):
    entry = api.post("/timesheet/entry", _entry(api)).json()["value"]
    resp = api.put(f"/timesheet/entry/{entry['id']}", {"comment": None, "hours": 6.0})
    assert resp.status_code == 200
    value = resp.json()["value"]
    assert "comment" not in value and value["hours"] == 6.0 and value["version"] == 1
    # Fields left out stay as they were.
    assert value["activity"]["id"] == entry["activity"]["id"]


def test_version_conflicts(api: Api):
    entry = api.post("/timesheet/entry", _entry(api)).json()["value"]
    assert (
        api.put(f"/timesheet/entry/{entry['id']}", {"hours": 6.0, "version": 0}).status_code == 200
    )
    stale = api.put(f"/timesheet/entry/{entry['id']}", {"hours": 5.0, "version": 0})
    assert (stale.status_code, stale.json()["code"]) == (409, 8000)
    stale_delete = api.delete(f"/timesheet/entry/{entry['id']}", version=0)
    assert (stale_delete.status_code, stale_delete.json()["code"]) == (409, 8000)
    assert api.delete(f"/timesheet/entry/{entry['id']}", version=1).status_code == 204
    assert api.get(f"/timesheet/entry/{entry['id']}").status_code == 404


def test_list_is_all_or_nothing(api: Api):
    ola = employee_id(api, "Ola")
    good = _entry(api)
    other = _entry(api, employee={"id": ola})
    bad = _entry(api, date="2025-03-05", hours=30)
    resp = api.post("/timesheet/entry/list", [good, other, bad])
    assert resp.status_code == 422
    assert resp.json()["validationMessages"][0]["field"] == "[2].hours"
    assert (
        api.get("/timesheet/entry", dateFrom="2025-03-01", dateTo="2025-04-01").json()["values"]
        == []
    )
    dup_in_batch = api.post("/timesheet/entry/list", [good, dict(good)])
    assert dup_in_batch.status_code == 409
    ok = api.post("/timesheet/entry/list", [good, other])
    assert ok.status_code == 201
    assert [v["employee"]["id"] for v in ok.json()["values"]] == [good["employee"]["id"], ola]
    updates = [{"id": v["id"], "hours": 4.0} for v in ok.json()["values"]]
    assert api.put("/timesheet/entry/list", updates).status_code == 200


def test_entry_filters(api: Api):
    api.post("/timesheet/entry", _entry(api))
    api.post(
        "/timesheet/entry", _entry(api, employee={"id": employee_id(api, "Ola")}, comment="Annet")
    )
    kari = employee_id(api, "Kari")
    assert (
        len(
            api.values(
                "/timesheet/entry", dateFrom="2025-03-03", dateTo="2025-03-04", employeeId=kari
            )
        )
        == 1
    )
    assert (
        api.values("/timesheet/entry", dateFrom="2025-03-01", dateTo="2025-03-03") == []
    )  # To exclusive
    assert (
        len(
            api.values(
                "/timesheet/entry", dateFrom="2025-03-03", dateTo="2025-03-04", comment="vegg"
            )
        )
        == 1
    )

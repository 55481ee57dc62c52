"""Bad input on the hours pages (issue #14 items 8 and 9): a 4xx with a Norwegian message,
nothing stored, never a 500 and never the current week instead of the one asked for."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.factories import DAY, NOON, hours_world
from tipro.models import Period, TimeEntry

WEEK = "2026-W47"  # DAY's week


@pytest.fixture
def scene(db, frozen_clock, client, login):
    frozen_clock(NOON)
    world = hours_world(DAY)
    login(world.user)
    return world


@pytest.fixture
def no_500(app, monkeypatch):
    """Turn an exception into the 500 page (as in production) instead of raising it."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)


def _counts(db) -> tuple[int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count(TimeEntry.id))),
        db.session.scalar(select(func.count(Period.id))),
    )


def _entry_form(world, **changes) -> dict[str, str]:
    data = {
        "date": DAY.isoformat(),
        "project_id": str(world.project.id),
        "activity_id": str(world.project_activity.id),
        "hours": "2",
    }
    data.update(changes)
    return data


def _refused(response) -> str:
    """The body of a refusal: a 4xx with a Norwegian message."""
    assert 400 <= response.status_code < 500, response.status_code
    return response.get_data(as_text=True)


EDGE_DATES = ["0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01"]
# Python's date.fromisoformat reads these too; TiPro takes YYYY-MM-DD only.
OTHER_FORMATS = ["20261120", "2026-W48-1", "2026-11-20T00:00", "2026-1-2", " 2026-11-20x"]


@pytest.mark.parametrize("value", EDGE_DATES + OTHER_FORMATS)
@pytest.mark.parametrize(
    "path",
    [
        "/registreringer/ny?dato={v}",
        "/registreringer/aktiviteter?date={v}",
        "/registreringer/prosjekter?date={v}",
        "/fravaer?dato={v}",
    ],
)
def test_dates_outside_the_range_or_format_in_a_query_are_refused(
    scene, no_500, client, path, value
):
    body = _refused(client.get(path.format(v=value)))
    assert "Ugyldig dato" in body


def test_edit_page_with_an_edge_date_in_the_search(scene, no_500, client, db):
    entry = TimeEntry(
        company_id=scene.company.id,
        uuid="00000000-0000-4000-8000-000000000001",
        user_id=scene.user.id,
        date=DAY,
        hours=2,
        project_id=scene.project.id,
        activity_id=scene.project_activity.id,
    )
    db.session.add(entry)
    db.session.commit()
    response = client.get(f"/registreringer/{entry.id}?q=&date=0001-01-01")
    assert response.status_code < 500
    before = _counts(db)
    response = client.post(
        f"/registreringer/{entry.id}", data=_entry_form(scene, date="0001-01-01")
    )
    assert "Ugyldig dato" in _refused(response) or "for langt" in response.get_data(as_text=True)
    assert _counts(db) == before


@pytest.mark.parametrize("value", EDGE_DATES + OTHER_FORMATS)
@pytest.mark.parametrize("form", ["today", "new"])
def test_posting_an_edge_date_stores_nothing(scene, no_500, client, db, value, form):
    before = _counts(db)
    data = _entry_form(scene, date=value, **({"from": "new"} if form == "new" else {}))
    body = _refused(client.post("/registreringer", data=data))
    assert "dato" in body.lower()
    assert _counts(db) == before


@pytest.mark.parametrize("value", EDGE_DATES + OTHER_FORMATS)
def test_absence_with_an_edge_date_stores_nothing(scene, no_500, client, db, value):
    before = _counts(db)
    data = {"absence_type_id": "", "date": value, "end_date": value, "hours": "7,5"}
    _refused(client.post("/fravaer", data=data))
    assert _counts(db) == before


EDGE_WEEKS = ["0001-W01", "9999-W52", "1999-W52", "2100-W01", "2026-W99", "2026-W00"]
OTHER_WEEKS = ["2026-W48-1", "2026W48", "2026-w48x", "202-W48", "٢٠٢٦-W48"]


@pytest.mark.parametrize("value", EDGE_WEEKS + OTHER_WEEKS)
@pytest.mark.parametrize(
    "path", ["/uke?uke={v}", "/uke/liste?uke={v}", "/uke/celle?uke={v}&linje=work-1-1&dag=0"]
)
def test_weeks_outside_the_range_or_format_are_refused(scene, no_500, client, path, value):
    body = _refused(client.get(path.format(v=value)))
    assert "Ugyldig uke" in body


@pytest.mark.parametrize("value", [*EDGE_WEEKS, *OTHER_WEEKS, ""])
@pytest.mark.parametrize("path", ["/uke/kopier", "/uke/celle"])
def test_posting_a_bad_week_never_falls_back_to_this_week(scene, no_500, client, db, path, value):
    before = _counts(db)
    data = {"uke": value, "linje": f"work-{scene.project.id}-{scene.project_activity.id}"}
    data.update({"dag": "0", "hours": "3"})
    body = _refused(client.post(path, data=data))
    assert "Ugyldig uke" in body
    assert _counts(db) == before


def test_the_current_week_is_still_the_default_on_pages(scene, client):
    """No `uke` at all on a page means this week, as before."""
    assert client.get("/uke").status_code == 200
    assert client.get("/registreringer/ny").status_code == 200


def test_a_good_week_at_the_edge_of_the_range_works(scene, no_500, client):
    for week in ("2000-W01", "2099-W52"):
        assert client.get(f"/uke?uke={week}").status_code == 200, week


@pytest.mark.parametrize(
    "line",
    [
        "work-99999999999999999999-4",
        "work-4-99999999999999999999",
        "work-" + "9" * 5000 + "-1",
        "work-٣-1",
        "work--1-1",
        "work-1-1-1",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_huge_ids_in_a_line_key_are_refused(scene, no_500, client, db, line, method):
    before = _counts(db)
    data = {"uke": WEEK, "linje": line, "dag": "0", "hours": "3"}
    if method == "GET":
        response = client.get("/uke/celle", query_string=data)
    else:
        response = client.post("/uke/celle", data=data, headers={"HX-Request": "true"})
    assert 400 <= response.status_code < 500
    assert _counts(db) == before


def test_control_characters_never_reach_a_response_header(scene, no_500, client, db):
    """The line key of a cell goes into HX-Retarget; a newline in it is refused first."""
    line = f"work-{scene.project.id}-{scene.project_activity.id}"
    for bad in (line + "\n", line + "\r\nX-Evil: 1", line + "\x00"):
        data = {"uke": WEEK, "linje": bad, "dag": "0", "hours": "sju"}
        response = client.post("/uke/celle", data=data, headers={"HX-Request": "true"})
        assert 400 <= response.status_code < 500
        for name, value in response.headers.items():
            assert not any(c in value for c in "\r\n\x00"), name
    # A good key with bad hours still answers into the cell.
    data = {"uke": WEEK, "linje": line, "dag": "0", "hours": "sju"}
    response = client.post("/uke/celle", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == f"#cell-{line}-0"


@pytest.mark.parametrize("next_url", ["/uke\nX-Evil: 1", "/uke\r\nX: 1", "/uke\x00", "/uke\u2028x"])
def test_a_next_url_with_control_characters_is_not_followed(scene, no_500, client, db, next_url):
    """`next` goes into the Location header: a line break in it is dropped, not sent (500)."""
    response = client.post("/registreringer", data={**_entry_form(scene), "next": next_url})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert _counts(db)[0] == 1

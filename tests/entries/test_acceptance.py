"""Acceptance points of the time-registration issue not covered elsewhere.

Project search and recent-first ordering without JS, the quick-entry defaults, from–to with a
break through the form, the timer kept in the database (any new session sees it), labels on
every control of every page, and junk posted to every write route answering 4xx, never 500.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from tests.factories import tx_id
from tipro.entries import services
from tipro.models import (
    AbsenceType,
    CustomField,
    Project,
    ProjectActivity,
    SupplementType,
    TimeEntry,
)


def _select_html(body: str, select_id: str) -> str:
    match = re.search(rf'<select id="{select_id}".*?</select>', body, re.S)
    assert match, select_id
    return match.group(0)


def test_project_search_works_without_js(client, login, world):
    login(world.user)
    page = client.get("/").get_data(as_text=True)
    # The search box and its button submit a GET form of their own (not the entry POST).
    assert re.search(r'<form method="get" action="/" id="project-search"', page)
    assert 'name="q" form="project-search"' in page
    assert re.search(r'<button type="submit" form="project-search"[^>]*>Søk</button>', page)

    body = client.get(f"/?q=lia&date={world.day.isoformat()}&hours=7,5").get_data(as_text=True)
    projects = _select_html(body, "project_id")
    assert "Nybygg Lia" in projects and "Gammel jobb" not in projects
    # One hit is picked, and the activity list follows it.
    assert re.search(rf'<option value="{world.project.id}" selected>101 Nybygg Lia', projects)
    assert "Montering" in _select_html(body, "activity_id")
    assert 'value="7,5"' in body and 'value="lia"' in body

    none = client.get("/?q=finnesikke").get_data(as_text=True)
    assert "Nybygg Lia" not in _select_html(none, "project_id")


def test_recently_used_projects_come_first(client, login, world, db):
    roof = Project(company_id=world.company.id, tripletex_id=tx_id(), number="099", name="Tak")
    db.session.add(roof)
    db.session.flush()
    db.session.add(
        ProjectActivity(
            company_id=world.company.id, project_id=roof.id, activity_id=world.project_activity.id
        )
    )
    db.session.commit()
    login(world.user)
    body = client.get("/").get_data(as_text=True)
    assert "Sist brukt" not in body
    services.save_entry(
        world.user,
        services.EntryInput(
            date=world.day - timedelta(days=1),
            project_id=world.project.id,
            activity_id=world.project_activity.id,
            hours="1",
        ),
    )
    projects = _select_html(client.get("/").get_data(as_text=True), "project_id")
    recent = projects.index('label="Sist brukt"')
    others = projects.index('label="Alle prosjekter"')
    # 101 was used, so it comes first although 099 sorts before it by number.
    assert recent < projects.index("101 Nybygg Lia") < others < projects.index("099 Tak")


def test_quick_entry_defaults_to_today(client, login, world):
    login(world.user)
    body = client.get("/").get_data(as_text=True)
    assert f'name="date" value="{world.day.isoformat()}"' in body


def test_from_to_with_break_through_the_form(client, login, world, db):
    login(world.user)
    data = {
        "date": world.day.isoformat(),
        "project_id": str(world.project.id),
        "activity_id": str(world.project_activity.id),
        "hours": "",
        "start_time": "07:00",
        "end_time": "15:30",
        "break_minutes": "30",
    }
    assert client.post("/registreringer", data=data).status_code == 302
    entry = db.session.scalar(select(TimeEntry))
    assert entry.hours == Decimal("8.00") and entry.break_minutes == 30
    bad = client.post("/registreringer", data={**data, "end_time": "06:00"})
    assert bad.status_code == 422 and 'id="err-end_time"' in bad.get_data(as_text=True)


def test_running_timer_lives_in_the_database_and_shows_on_every_page(app, client, login, world, db):
    login(world.user)
    data = {"project_id": str(world.project.id), "activity_id": str(world.project_activity.id)}
    assert client.post("/klokke/start", data=data).status_code == 303
    # A new browser session (as after a server restart) has nothing but the database.
    other = app.test_client()
    other.post("/logg-inn", data={"email": world.user.email, "password": _password()})
    for url in ("/", "/uke", "/registreringer/ny", "/fravaer"):
        body = other.get(url).get_data(as_text=True)
        assert "Klokka går siden" in body and "101 Nybygg Lia" in body, url
        assert 'action="/klokke/stopp"' in body, url


def _password() -> str:
    from tests.conftest import TEST_PASSWORD

    return TEST_PASSWORD


class _Controls(HTMLParser):
    """Form controls of a page and what labels them."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.label_depth = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "label":
            self.label_depth += 1
            if attributes.get("for"):
                self.label_for.add(attributes["for"])
        if tag in ("input", "select", "textarea"):
            if attributes.get("type") in ("hidden", "submit", "button", "reset", "image"):
                return
            self.controls.append({**attributes, "_tag": tag, "_in_label": self.label_depth > 0})

    def handle_endtag(self, tag):
        if tag == "label":
            self.label_depth = max(0, self.label_depth - 1)

    def unlabelled(self) -> list[str]:
        return [
            f"<{c['_tag']} name={c.get('name')} id={c.get('id')}>"
            for c in self.controls
            if not (
                c["_in_label"]
                or c.get("aria-label")
                or c.get("aria-labelledby")
                or (c.get("id") and c["id"] in self.label_for)
            )
        ]


def test_every_control_on_every_page_has_a_label(client, login, world, db):
    company = world.company.id
    db.session.add_all(
        [
            CustomField(company_id=company, key="maskin", label="Maskin", field_type="text"),
            CustomField(
                company_id=company, key="vaer", label="Vær", field_type="choice", choices=["Sol"]
            ),
            SupplementType(
                company_id=company, name="Materiell", unit="pieces", asks_for_product=True
            ),
            AbsenceType(
                company_id=company, name="Ferie", code="ferie", activity_id=world.general.id
            ),
        ]
    )
    db.session.commit()
    entry = services.save_entry(
        world.admin,
        services.EntryInput(
            date=world.day,
            project_id=world.project.id,
            activity_id=world.project_activity.id,
            hours="2",
        ),
    )
    line = f"work-{world.project.id}-{world.project_activity.id}"
    pages = [
        "/",
        "/?q=lia",
        "/uke",
        "/registreringer/ny",
        f"/registreringer/{entry.id}",
        f"/uke/celle?linje={line}&dag={world.day.weekday()}",
        "/fravaer",
        "/admin/tillegg",
        "/admin/fravaerstyper",
        "/admin/egne-felt",
    ]
    login(world.admin)
    checked = 0
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        parser = _Controls()
        parser.feed(response.get_data(as_text=True))
        assert parser.unlabelled() == [], url
        checked += len(parser.controls)
    assert checked > 40  # the scan really saw the forms


JUNK = ["", "-1", "0", "1e309", "NaN", "99999999999999999999", "<script>", "7,5,5", "٣", "\x00"]


@pytest.mark.parametrize("junk", JUNK)
def test_junk_in_every_field_of_every_write_route_is_4xx_never_500(client, login, world, db, junk):
    login(world.admin)
    fields = [
        "date",
        "end_date",
        "project_id",
        "activity_id",
        "hours",
        "start_time",
        "end_time",
        "break_minutes",
        "comment",
        "uuid",
        "user_id",
        "kind",
        "absence_type_id",
        "x_absence_type",
        "x_extras",
        "x_sup_1",
        "x_cf_x",
        "uke",
        "linje",
        "dag",
        "name",
        "unit",
        "label",
        "field_type",
    ]
    routes = [
        "/registreringer",
        "/klokke/start",
        "/uke/celle",
        "/uke/kopier",
        "/fravaer",
        "/admin/tillegg",
        "/admin/fravaerstyper",
        "/admin/egne-felt",
    ]
    for url in routes:
        response = client.post(url, data=dict.fromkeys(fields, junk))
        assert response.status_code < 500, (url, junk)
    valid = {
        "date": world.day.isoformat(),
        "project_id": str(world.project.id),
        "activity_id": str(world.project_activity.id),
        "hours": "1",
    }
    for name in fields:
        response = client.post("/registreringer", data={**valid, name: junk})
        assert response.status_code < 500, (name, junk)
    for url in ("/?q=" + junk, "/uke?uke=" + junk, "/registreringer/ny?dato=" + junk):
        assert client.get(url).status_code < 500, url
    # Junk never stores anything; at most the valid base entry (when the junk was harmless).
    stored = db.session.scalars(select(TimeEntry)).all()
    assert all(e.comment in ("", junk) and e.hours == Decimal("1.00") for e in stored)


def test_without_js_a_chosen_project_gets_its_activities_on_the_next_answer(
    client, login, world, db
):
    login(world.user)
    first = client.get("/").get_data(as_text=True)
    assert "Montering" not in _select_html(first, "activity_id")  # no project yet: general only
    data = {"date": world.day.isoformat(), "project_id": str(world.project.id), "hours": "2"}
    response = client.post("/registreringer", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert re.search(r'<p class="error" id="err-activity_id">Velg en aktivitet.</p>', body)
    activities = _select_html(body, "activity_id")
    assert "Montering" in activities and "Prosjektering" not in activities
    assert db.session.scalar(select(TimeEntry)) is None


def test_the_start_page_reads_recent_projects_with_its_entries(world, make_project, make_entry):
    """The start page's one statement answers «Sist brukt» as the look-up of its own does:
    the 8 projects used last within 60 days, newest first (ties by id), on every database."""
    from datetime import UTC, datetime

    from tipro.entries import queries

    base = datetime(2026, 1, 1, tzinfo=UTC)
    projects = [make_project(world.company, f"{300 + n}", f"Brukt {n}") for n in range(10)]
    used = [*projects[:9], projects[2]]  # the third used twice, last of all
    for n, project in enumerate(used):
        make_entry(
            world.user,
            world.day - timedelta(days=1 + n % 3),
            "1",
            project_id=project.id,
            created_at=base + timedelta(minutes=n),
        )
    make_entry(  # too old to count
        world.user,
        world.day - timedelta(days=61),
        "1",
        project_id=world.project.id,
        created_at=base + timedelta(hours=1),
    )
    make_entry(world.user, world.day, "1", created_at=base)  # no project
    start = queries.start_page_entries(world.user.id, world.day)
    expected = [projects[i].id for i in (2, 8, 7, 6, 5, 4, 3, 1)]
    assert start.recent_project_ids == expected
    assert queries.recently_used(world.user.id, world.day) == expected

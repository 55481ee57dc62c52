"""The pages and fragments: thin routes over the service, 4xx with messages, never 500."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.statements import counted
from tipro import clock
from tipro.entries import services
from tipro.entries import timer as timers
from tipro.models import TimeEntry, Timer

HTMX = {"HX-Request": "true"}


def count_entries(db) -> int:
    return db.session.scalar(select(func.count(TimeEntry.id)))


def form(world, **fields) -> dict:
    data = {
        "date": world.day.isoformat(),
        "project_id": str(world.project.id),
        "activity_id": str(world.project_activity.id),
        "hours": "7,5",
        "comment": "",
    }
    data.update(fields)
    return data


def test_start_page_has_quick_entry_with_labels_and_totals(client, login, world):
    login(world.user)
    body = client.get("/").get_data(as_text=True)
    for label in ("Dato", "Timer", "Prosjekt", "Aktivitet", "Kommentar"):
        assert re.search(rf'<label for="\w+">{label}</label>', body), label
    assert "Nybygg Lia" in body and "Gammel jobb" not in body and "Hemmelig" not in body
    assert "I dag" in body and "37,5" in body


def test_quick_entry_without_js_redirects_and_stores(client, login, world, db):
    login(world.user)
    response = client.post("/registreringer", data=form(world))
    assert response.status_code == 302
    entry = db.session.scalar(select(TimeEntry))
    assert entry.hours == Decimal("7.50") and entry.user_id == world.user.id
    assert "Lagret 7,5 t" in client.get("/").get_data(as_text=True)


def test_quick_entry_with_htmx_answers_only_what_changed(client, login, world, db):
    """The htmx save answers the confirmation (into #quick-result), the totals and today's
    list out of band and a new id for the form: not the form with every project again, and
    no session cookie written for a flash."""
    login(world.user)
    posted = form(world, uuid="0b6c5d2e-8f44-4bb1-9a37-2d7e0f3c1a55")
    response = client.post("/registreringer", data=posted, headers=HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#quick-result"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert response.headers["HX-Trigger"] == "entry-saved"  # tipro.js empties the form
    assert "Set-Cookie" not in response.headers
    body = response.get_data(as_text=True)
    flash = '<div class="flashes" role="status"><p class="flash">Lagret 7,5 t'
    assert body.lstrip().startswith(flash)
    assert '<section class="totals" id="today-totals" hx-swap-oob="true"' in body
    assert '<section id="today-list" aria-labelledby="list-heading" hx-swap-oob="true">' in body
    assert "Nybygg Lia" in body and "<select" not in body and 'id="today"' not in body
    new_uuid = re.search(r'name="uuid" value="([0-9a-f-]{36})" hx-swap-oob', body).group(1)
    assert new_uuid != posted["uuid"] and count_entries(db) == 1
    # The next line with the id it was given is a new entry, not an overwrite of the first.
    client.post("/registreringer", data={**posted, "uuid": new_uuid}, headers=HTMX)
    assert count_entries(db) == 2
    # The confirmation was in the answer only: the next page shows no stale flash.
    assert "Lagret 7,5 t" not in client.get("/").get_data(as_text=True)


OOB_TOTALS = 'id="today-totals" hx-swap-oob="true"'


def _htmx_save(client, world, **fields):
    response = client.post("/registreringer", data=form(world, **fields), headers=HTMX)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["HX-Trigger"] == "entry-saved"
    return response.get_data(as_text=True)


def test_quick_entry_for_a_day_the_start_page_does_not_show_answers_without_reading(
    client, login, world, db
):
    """Hours for an earlier week change nothing on the start page (its week, today's list,
    «Gjenta» two weeks back): the answer is the confirmation and a new form id, and the
    request sends no statement beyond the save's own (those of the same save without htmx)."""
    login(world.user)
    earlier = (world.day - timedelta(days=30)).isoformat()
    # A first save reads what the process then keeps (master data): not counted.
    client.post("/registreringer", data=form(world, date=earlier, hours="1"))
    with counted() as plain:
        response = client.post("/registreringer", data=form(world, date=earlier, hours="1"))
    assert response.status_code == 302
    with counted() as light:
        body = _htmx_save(client, world, date=earlier, hours="2")
    assert body.lstrip().startswith('<div class="flashes" role="status"><p class="flash">Lagret 2')
    assert 'name="uuid"' in body and OOB_TOTALS not in body and "today-list" not in body
    assert len(light) == len(plain), (light, plain)
    assert count_entries(db) == 3


@pytest.mark.parametrize("days_back", [0, 1, 14])
def test_quick_entry_for_a_day_the_start_page_shows_refreshes_it(
    client, login, world, db, days_back
):
    """Today, this week and the repeat window (two weeks back) show on the start page: the
    answer brings the totals, today's list and «Gjenta» out of band."""
    login(world.user)
    body = _htmx_save(client, world, date=(world.day - timedelta(days=days_back)).isoformat())
    assert OOB_TOTALS in body and 'id="today-repeat" hx-swap-oob="true"' in body


def test_moving_an_entry_off_the_start_page_refreshes_it(client, login, world, db):
    """A save that moves today's entry (the same id) to an earlier week takes it off
    today's list: the answer refreshes the start page although the new date is not on it."""
    login(world.user)
    entry_id = "6f1d3c9a-2b7e-4d5f-8a1c-0e9b7d6c5a43"
    assert "Nybygg Lia" in _htmx_save(client, world, uuid=entry_id)
    earlier = (world.day - timedelta(days=30)).isoformat()
    body = _htmx_save(client, world, uuid=entry_id, date=earlier)
    assert OOB_TOTALS in body and "Ingen timer i dag ennå." in body
    assert count_entries(db) == 1


def test_registering_for_someone_else_leaves_ones_own_start_page(client, login, world, db):
    """An admin's quick entry for a colleague changes nothing on the admin's start page."""
    login(world.admin)
    body = _htmx_save(client, world, user_id=str(world.user.id))
    assert "Lagret 7,5 t" in body and OOB_TOTALS not in body
    assert db.session.scalar(select(TimeEntry.user_id)) == world.user.id


def test_double_submit_of_the_same_form_stores_once(client, login, world, db):
    login(world.user)
    data = form(world, uuid="0b6c5d2e-8f44-4bb1-9a37-2d7e0f3c1a55")
    client.post("/registreringer", data=data)
    client.post("/registreringer", data=data)
    assert count_entries(db) == 1


@pytest.mark.parametrize(
    "fields,field,message",
    [
        ({"hours": "sju"}, "hours", "Ugyldig antall timer"),
        ({"hours": "-1"}, "hours", "negative"),
        ({"hours": "25"}, "hours", "24 timer"),
        ({"project_id": "987654"}, "project_id", "Ukjent prosjekt"),
        ({"date": "2026-13-01"}, "date", "Ugyldig dato"),
        ({"activity_id": "x"}, "activity_id", "Ukjent aktivitet"),
    ],
)
def test_bad_input_gets_422_with_message_beside_the_field(
    client, login, world, db, fields, field, message
):
    login(world.user)
    for headers in ({}, HTMX):
        response = client.post("/registreringer", data=form(world, **fields), headers=headers)
        assert response.status_code == 422
        body = response.get_data(as_text=True)
        assert re.search(rf'<p class="error" id="err-{field}">[^<]*{message}', body), body[:200]
        assert f'aria-describedby="err-{field}"' in body
    assert count_entries(db) == 0


def test_other_company_ids_in_the_form_are_unknown_not_500(client, login, world, db):
    login(world.user)
    response = client.post(
        "/registreringer",
        data=form(
            world,
            project_id=str(world.other_company_project.id),
            activity_id=str(world.other_company_activity.id),
        ),
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Ukjent prosjekt." in body and "Ukjent aktivitet." in body
    assert count_entries(db) == 0


def test_closed_project_disallowed_activity_and_day_over_24_via_form(client, login, world, db):
    login(world.user)
    closed = client.post(
        "/registreringer", data=form(world, project_id=str(world.closed_project.id))
    )
    assert closed.status_code == 422 and "avsluttet" in closed.get_data(as_text=True)
    wrong = client.post(
        "/registreringer", data=form(world, activity_id=str(world.other_activity.id))
    )
    assert wrong.status_code == 422 and "ikke tillatt" in wrong.get_data(as_text=True)
    assert client.post("/registreringer", data=form(world, hours="20")).status_code == 302
    over = client.post("/registreringer", data=form(world, hours="4,5"))
    assert over.status_code == 422 and "Høyst 24 timer per dag" in over.get_data(as_text=True)
    assert count_entries(db) == 1


def test_locked_week_via_form(client, login, world, db):
    login(world.user)
    client.post("/registreringer", data=form(world, hours="2"))
    assert client.post("/perioder/2026-W47/send-inn").status_code == 303
    response = client.post("/registreringer", data=form(world, hours="3"))
    assert response.status_code == 422
    assert "Perioden er sendt inn" in response.get_data(as_text=True)
    entry = db.session.scalar(select(TimeEntry))
    edit = client.post(f"/registreringer/{entry.id}", data=form(world, hours="1"))
    assert edit.status_code == 409
    assert client.get(f"/registreringer/{entry.id}").status_code == 200
    assert count_entries(db) == 1 and entry.hours == Decimal("2.00")


def test_comment_with_html_is_shown_escaped(client, login, world):
    login(world.user)
    evil = '<script>alert("x")</script><b onmouseover="x()">fet</b>'
    client.post("/registreringer", data=form(world, comment=evil))
    for url in ("/", "/uke"):
        body = client.get(url).get_data(as_text=True)
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body, url
        assert "<script>alert" not in body and "<b onmouseover" not in body


def test_edit_and_delete_own_entry(client, login, world, db):
    login(world.user)
    entry = services.save_entry(
        world.user,
        services.EntryInput(
            date=world.day,
            project_id=world.project.id,
            activity_id=world.project_activity.id,
            hours="3",
        ),
    )
    page = client.get(f"/registreringer/{entry.id}").get_data(as_text=True)
    assert 'value="3"' in page
    assert (
        client.post(f"/registreringer/{entry.id}", data=form(world, hours="4")).status_code == 302
    )
    db.session.refresh(entry)
    assert entry.hours == Decimal("4.00")
    assert client.post(f"/registreringer/{entry.id}/slett").status_code == 303
    assert count_entries(db) == 0


def test_employee_gets_404_for_colleagues_entry(client, login, world, db):
    entry = services.save_entry(
        world.colleague,
        services.EntryInput(
            date=world.day,
            project_id=world.project.id,
            activity_id=world.project_activity.id,
            hours="3",
        ),
    )
    login(world.user)
    assert client.get(f"/registreringer/{entry.id}").status_code == 404
    assert client.post(f"/registreringer/{entry.id}", data=form(world)).status_code == 404
    assert client.post(f"/registreringer/{entry.id}/slett").status_code == 404
    stolen = client.post("/registreringer", data=form(world, uuid=entry.uuid, hours="1"))
    assert stolen.status_code == 404
    assert client.get(f"/uke?bruker={world.colleague.id}").status_code == 404
    assert client.get(f"/?gjenta={entry.id}").status_code == 200  # ignored, not prefilled
    db.session.refresh(entry)
    assert entry.hours == Decimal("3.00") and count_entries(db) == 1


def test_approver_sees_department_and_project_weeks_read_only(client, login, world, make_user):
    services.save_entry(
        world.user,
        services.EntryInput(
            date=world.day,
            project_id=world.project.id,
            activity_id=world.project_activity.id,
            hours="3",
            comment="synlig",
        ),
    )
    login(world.approver)
    page = client.get(f"/uke?bruker={world.user.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "synlig" in body and "bare lesing" in body and "Send inn uke" not in body


def test_approver_opens_a_visible_entry_read_only_but_cannot_change_it(
    client, login, world, make_user, db
):
    entry = services.save_entry(
        world.user,
        services.EntryInput(
            date=world.day,
            project_id=world.project.id,
            activity_id=world.project_activity.id,
            hours="3",
            comment="synlig",
        ),
    )
    login(world.approver)
    week = client.get(f"/uke?bruker={world.user.id}").get_data(as_text=True)
    assert f"/registreringer/{entry.id}" in week  # the list links to it, so it must open
    page = client.get(f"/registreringer/{entry.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "synlig" in body and "ikke endre dem" in body and 'name="hours"' not in body
    assert f"bruker={world.user.id}" in body  # «Til uka» goes back to Kari's week
    changed = client.post(f"/registreringer/{entry.id}", data=form(world, hours="9"))
    assert changed.status_code == 404
    db.session.refresh(entry)
    assert entry.hours == Decimal("3.00")
    client.post("/logg-ut")
    login(make_user(world.company, role="approver"))
    assert client.get(f"/registreringer/{entry.id}").status_code == 404


def test_unrelated_approver_does_not_see_others(client, login, world, make_user):
    outsider = make_user(world.company, role="approver")
    login(outsider)
    assert client.get(f"/uke?bruker={world.user.id}").status_code == 404


def test_admin_registers_for_employee_via_form(client, login, world, db):
    login(world.admin)
    response = client.post("/registreringer", data=form(world, user_id=str(world.user.id)))
    assert response.status_code == 302
    entry = db.session.scalar(select(TimeEntry))
    assert entry.user_id == world.user.id and entry.created_by_id == world.admin.id


def test_employee_cannot_register_for_others_via_form(client, login, world, db):
    login(world.user)
    client.post("/registreringer", data=form(world, user_id=str(world.colleague.id)))
    entry = db.session.scalar(select(TimeEntry))
    assert entry.user_id == world.user.id  # the field is ignored for non-admins


def test_activity_fragment_lists_only_allowed(client, login, world):
    login(world.user)
    body = client.get(
        f"/registreringer/aktiviteter?project_id={world.project.id}&date={world.day}",
        headers=HTMX,
    ).get_data(as_text=True)
    # The project's own activity and the project-general one; not «Intern tid», which
    # Tripletex takes only without a project, nor another project's activity.
    assert "Montering" in body and "Reisetid" in body
    assert "Intern tid" not in body and "Prosjektering" not in body
    assert "<html" not in body
    none = client.get(f"/registreringer/aktiviteter?project_id=&date={world.day}").get_data(
        as_text=True
    )
    assert "Intern tid" in none and "Montering" not in none and "Reisetid" not in none
    foreign = client.get(
        f"/registreringer/aktiviteter?project_id={world.other_company_project.id}&date={world.day}"
    )
    assert foreign.status_code == 200 and "Fremmed" not in foreign.get_data(as_text=True)
    assert client.get("/registreringer/aktiviteter?project_id=&date=x").status_code == 400


def test_project_search_fragment(client, login, world):
    login(world.user)
    body = client.get("/registreringer/prosjekter?q=lia", headers=HTMX).get_data(as_text=True)
    assert "Nybygg Lia" in body
    assert "Nybygg" not in client.get("/registreringer/prosjekter?q=zzz").get_data(as_text=True)


def test_repeat_yesterday_prefills_the_form(client, login, world):
    yesterday = world.day - timedelta(days=1)
    entry = services.save_entry(
        world.user,
        services.EntryInput(
            date=yesterday,
            project_id=world.project.id,
            activity_id=world.project_activity.id,
            hours="6,5",
            comment="Forskaling",
        ),
    )
    login(world.user)
    page = client.get("/").get_data(as_text=True)
    assert f"/?gjenta={entry.id}" in page and "Gjenta" in page
    prefilled = client.get(f"/?gjenta={entry.id}").get_data(as_text=True)
    assert 'value="6,5"' in prefilled and "Forskaling" in prefilled
    assert f'value="{world.day.isoformat()}"' in prefilled
    # Once repeated, the button goes away: a second tap cannot book the same hours twice.
    services.save_entry(
        world.user,
        services.EntryInput(
            date=world.day,
            project_id=world.project.id,
            activity_id=world.project_activity.id,
            hours="6,5",
        ),
    )
    assert f"/?gjenta={entry.id}" not in client.get("/").get_data(as_text=True)


def test_week_cell_edit_with_htmx(client, login, world, db):
    login(world.user)
    entry = services.save_entry(
        world.user,
        services.EntryInput(
            date=world.day,
            project_id=world.project.id,
            activity_id=world.project_activity.id,
            hours="3",
        ),
    )
    week = f"{world.day.isocalendar()[0]}-W{world.day.isocalendar()[1]:02d}"
    key = f"work-{world.project.id}-{world.project_activity.id}"
    day = world.day.weekday()
    grid = client.get(f"/uke?uke={week}").get_data(as_text=True)
    assert f"linje={key}" in grid
    fragment = client.get(f"/uke/celle?uke={week}&linje={key}&dag={day}", headers=HTMX)
    assert fragment.status_code == 200 and 'name="hours"' in fragment.get_data(as_text=True)
    saved = client.post(
        "/uke/celle", data={"uke": week, "linje": key, "dag": day, "hours": "7:30"}, headers=HTMX
    )
    assert saved.status_code == 200 and saved.headers["HX-Trigger"] == "entries-changed"
    body = saved.get_data(as_text=True)
    assert 'id="week-grid"' in body and 'id="week-list"' not in body
    # The list under the grid listens for the event and fetches itself, with the new hours.
    page = client.get(f"/uke?uke={week}").get_data(as_text=True)
    listing = page[page.index('id="week-list"') :]
    assert 'hx-trigger="entries-changed from:body"' in listing[:400]
    fetched = client.get(f"/uke/liste?uke={week}", headers=HTMX).get_data(as_text=True)
    assert fetched.lstrip().startswith('<section id="week-list"') and "7,5" in fetched
    db.session.refresh(entry)
    assert entry.hours == Decimal("7.50") and count_entries(db) == 1
    bad = client.post(
        "/uke/celle", data={"uke": week, "linje": key, "dag": day, "hours": "99"}, headers=HTMX
    )
    assert bad.status_code == 422 and bad.headers["HX-Retarget"] == f"#cell-{key}-{day}"
    # An empty cell on another day creates an entry; clearing it deletes it again.
    other_day = (day + 1) % 7
    client.post("/uke/celle", data={"uke": week, "linje": key, "dag": other_day, "hours": "2"})
    assert count_entries(db) == 2
    client.post("/uke/celle", data={"uke": week, "linje": key, "dag": other_day, "hours": ""})
    assert count_entries(db) == 1
    garbage = client.post("/uke/celle", data={"uke": week, "linje": "x", "dag": "9"})
    assert garbage.status_code == 400


def test_copy_last_week_and_navigation(client, login, world, db):
    monday = clock.monday_of(world.day)
    services.save_entry(
        world.user,
        services.EntryInput(
            date=monday - timedelta(days=7),
            project_id=world.project.id,
            activity_id=world.project_activity.id,
            hours="7,5",
        ),
    )
    login(world.user)
    iso = f"{monday.isocalendar()[0]}-W{monday.isocalendar()[1]:02d}"
    first = client.post("/uke/kopier", data={"uke": iso}, follow_redirects=True)
    assert "Kopierte 1 registrering fra forrige uke." in first.get_data(as_text=True)
    again = client.post("/uke/kopier", data={"uke": iso}, follow_redirects=True)
    assert "1 registrering ble ikke kopiert" in again.get_data(as_text=True)
    assert count_entries(db) == 2
    page = client.get(f"/uke?uke={iso}").get_data(as_text=True)
    assert "Forrige uke" in page and "Kopier forrige uke" in page
    assert client.get("/uke?uke=tull").status_code == 400


def test_timer_start_shows_everywhere_and_stop_makes_entry(client, login, world, db):
    login(world.user)
    started = client.post("/klokke/start", data=form(world, hours="", comment="Mur"))
    assert started.status_code == 303
    assert "Klokka går siden" in client.get("/uke").get_data(as_text=True)
    timer = db.session.scalar(select(Timer))
    timer.started_at -= timedelta(minutes=50)
    db.session.commit()
    assert client.post("/klokke/stopp").status_code == 303
    entry = db.session.scalar(select(TimeEntry))
    assert entry.hours == Decimal("0.75") and entry.source == "timer"
    assert "Klokka går siden" not in client.get("/").get_data(as_text=True)
    assert client.post("/klokke/stopp").status_code == 303  # nothing running: a message, no 500


def test_timer_start_with_bad_project_is_422(client, login, world, db):
    login(world.user)
    response = client.post("/klokke/start", data=form(world, project_id="99999"))
    assert response.status_code == 422 and "Ukjent prosjekt" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Timer.id))) == 0


def test_pages_have_no_inline_script_or_style(client, login, world):
    login(world.admin)
    timers.start_timer(world.admin, world.project.id, world.project_activity.id)
    for url in ("/", "/uke", "/registreringer/ny"):
        body = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), url
        assert "style=" not in body and "<style" not in body, url
        assert not re.search(r"\son[a-z]+=", body), url

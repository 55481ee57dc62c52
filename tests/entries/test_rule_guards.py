"""Rules that once could be broken on purpose with the suite still green (issue #14, 18 and 20).

Each test here fails when its rule is dropped:
- an approved (or transferred) week is locked for every writer — new and changed entries,
  deletes, the week cell, the stamp clock stopping into it, absence, a week copy — even for an
  entry still `open` inside it, so only the week's state can stop the write (approval is not
  built yet: the state is set directly);
- a project activity whose link is closed or whose end date has passed, like a closed or
  ended project, is neither offered by the pickers (lists and fragments) nor accepted on save
  or by the stamp clock; the last day of a link or project is still open.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.factories import lock_period, new_absence_type, new_project_activity, submit_week
from tests.statements import counted
from tipro import clock
from tipro.entries import absence, pickers, services
from tipro.entries import timer as timers
from tipro.entries.inputs import EntryValidationError
from tipro.errors import UserError
from tipro.models import TimeEntry, Timer
from tipro.models.approval import PERIOD_APPROVED, PERIOD_SUBMITTED

HTMX = {"HX-Request": "true"}


def _hours(db, user, day) -> Decimal:
    return Decimal(
        db.session.scalar(
            select(func.coalesce(func.sum(TimeEntry.hours), 0)).where(
                TimeEntry.user_id == user.id, TimeEntry.date == day
            )
        )
    )


# ---------------------------------------------------------------- item 18: locked weeks


@pytest.fixture(params=[PERIOD_SUBMITTED, PERIOD_APPROVED])
def locked_week(request, db, world, entry_input):
    """World's week with one `open` entry of 4 h, then the week set to the locked state."""
    entry = services.save_entry(world.user, entry_input(hours="4"))
    lock_period(world.user, world.day, request.param)
    return entry


def test_a_locked_week_refuses_new_entries(db, world, entry_input, locked_week):
    with pytest.raises(EntryValidationError) as info:
        services.save_entry(world.user, entry_input(hours="2"))
    assert "sendt inn" in info.value.errors["date"]
    assert _hours(db, world.user, world.day) == Decimal("4")


def test_a_locked_week_refuses_changes_to_its_open_entries(db, world, entry_input, locked_week):
    assert locked_week.state == "open"  # only the week's state stands in the way
    with pytest.raises(EntryValidationError) as info:
        services.save_entry(world.user, entry_input(hours="5"), entry_uuid=locked_week.uuid)
    assert info.value.status == 409
    assert _hours(db, world.user, world.day) == Decimal("4")


def test_a_locked_weeks_entry_cannot_move_to_an_open_day(db, world, entry_input, locked_week):
    """The day the entry leaves is checked too, not only the day it goes to (the checks read
    only the latter; an edit that keeps its day reads no second time)."""
    open_day = world.day + timedelta(days=14)
    with pytest.raises(EntryValidationError) as info:
        services.save_entry(
            world.user, entry_input(hours="4", date=open_day), entry_uuid=locked_week.uuid
        )
    assert info.value.status == 409
    assert _hours(db, world.user, world.day) == Decimal("4")
    assert _hours(db, world.user, open_day) == Decimal("0")


def test_an_edit_keeping_its_day_reads_the_lock_once(db, world, entry_input):
    entry = services.save_entry(world.user, entry_input(hours="4"))
    with counted() as statements:
        services.save_entry(world.user, entry_input(hours="5"), entry_uuid=entry.uuid)
    lock_reads = [s for s in statements if "FROM periods" in s]
    assert len(lock_reads) == 1, lock_reads  # in the checks' statement
    assert _hours(db, world.user, world.day) == Decimal("5")


def test_a_locked_week_refuses_deletes(db, world, locked_week):
    with pytest.raises(EntryValidationError):
        services.delete_entry(world.user, locked_week.uuid)
    assert _hours(db, world.user, world.day) == Decimal("4")


def test_a_locked_week_refuses_a_second_submission(world, locked_week):
    with pytest.raises(UserError):
        submit_week(world.user, world.day)


def test_a_locked_week_refuses_the_week_cell(client, login, db, world, locked_week):
    login(world.user)
    year, week, weekday = world.day.isocalendar()
    line = f"work-{world.project.id}-{world.project_activity.id}"
    response = client.post(
        "/uke/celle",
        data={"uke": f"{year}-W{week:02d}", "linje": line, "dag": weekday - 1, "hours": "6"},
    )
    assert response.status_code == 409
    assert _hours(db, world.user, world.day) == Decimal("4")


def test_the_clock_cannot_stop_into_a_locked_week(db, world):
    timers.start_timer(world.user, world.project.id, world.project_activity.id)
    lock_period(world.user, world.day, PERIOD_APPROVED)
    with pytest.raises(UserError):
        timers.stop_timer(world.user, now=clock.now() + timedelta(hours=1))
    assert db.session.scalar(select(func.count(Timer.id))) == 1
    assert _hours(db, world.user, world.day) == Decimal("0")


def test_the_clock_cannot_start_in_a_locked_week(db, world):
    lock_period(world.user, world.day, PERIOD_APPROVED)
    with pytest.raises(UserError):
        timers.start_timer(world.user, world.project.id, world.project_activity.id)
    assert db.session.scalar(select(func.count(Timer.id))) == 0


def test_a_locked_week_refuses_absence(db, world, locked_week):
    holiday = new_absence_type(world.company, "Ferie", world.general)
    db.session.commit()
    with pytest.raises(EntryValidationError):
        absence.register_absence(world.user, absence_type_id=holiday.id, start=world.day, hours="2")
    assert _hours(db, world.user, world.day) == Decimal("4")


def test_copying_into_a_locked_week_copies_nothing(db, world, entry_input):
    last_week = world.day - timedelta(days=7)
    services.save_entry(world.user, entry_input(date=last_week, hours="3"))
    services.save_entry(
        world.user,
        entry_input(date=last_week, activity_id=world.general.id, project_id=None, hours="2"),
    )
    lock_period(world.user, world.day, PERIOD_APPROVED)
    monday = clock.monday_of(world.day)
    assert services.copy_previous_week(world.user, monday) == (0, 2)
    assert _hours(db, world.user, world.day) == Decimal("0")


# ---------------------------------------------------------------- item 20: closed and ended


@pytest.fixture(params=["link closed", "link ended", "project closed", "project ended"])
def closed_offer(request, db, world):
    """A project with its own activity, closed one way; (project, activity, how)."""
    from tests.factories import new_activity, new_project

    how = request.param
    fields = {}
    if how == "project closed":
        fields["is_closed"] = True
    elif how == "project ended":
        fields["end_date"] = world.day - timedelta(days=1)
    project = new_project(world.company, "201", "Stengt tilbud", **fields)
    activity = new_activity(world.company, "Riving", general=False)
    link_fields = {}
    if how == "link closed":
        link_fields["is_closed"] = True
    elif how == "link ended":
        link_fields["end_date"] = world.day - timedelta(days=1)
    new_project_activity(project, activity, **link_fields)
    db.session.commit()
    return project, activity, how


def _offered_on(world, project, activity, day) -> bool:
    """Whether the pickers offer the pair on `day` (the project, then its activity)."""
    projects = {p.id for p in pickers.projects_for(world.employee.id, day)}
    activities = {a.id for a in pickers.activities_for(project.id, day)}
    return project.id in projects and activity.id in activities


def test_a_closed_or_ended_offer_is_not_offered(world, closed_offer):
    project, activity, how = closed_offer
    assert not _offered_on(world, project, activity, world.day)
    if how.endswith("ended"):
        # The day before, its end date, it was still offered (the last open day).
        assert _offered_on(world, project, activity, world.day - timedelta(days=1))


def test_a_closed_or_ended_offer_is_not_in_the_picker_fragments(client, login, world, closed_offer):
    project, _activity, how = closed_offer
    login(world.user)
    if how.startswith("project"):
        url = f"/registreringer/prosjekter?q=Stengt&date={world.day}"
        name = "Stengt tilbud"
    else:
        url = f"/registreringer/aktiviteter?project_id={project.id}&date={world.day}"
        name = "Riving"
    response = client.get(url, headers=HTMX)
    assert response.status_code == 200 and name not in response.get_data(as_text=True)


def test_a_closed_or_ended_offer_is_refused_on_save(db, world, entry_input, closed_offer):
    project, activity, _how = closed_offer
    with pytest.raises(EntryValidationError) as info:
        services.save_entry(world.user, entry_input(project_id=project.id, activity_id=activity.id))
    assert set(info.value.errors) & {"project_id", "activity_id"}
    assert db.session.scalar(select(func.count(TimeEntry.id))) == 0


def test_a_closed_or_ended_offer_cannot_start_the_clock(db, world, closed_offer):
    project, activity, _how = closed_offer
    with pytest.raises(EntryValidationError):
        timers.start_timer(world.user, project.id, activity.id)
    assert db.session.scalar(select(func.count(Timer.id))) == 0


def test_an_offer_ending_today_is_still_open(db, world, entry_input):
    from tests.factories import new_activity, new_project

    project = new_project(world.company, "202", "Siste dag", end_date=world.day)
    activity = new_activity(world.company, "Opprydding", general=False)
    new_project_activity(project, activity, end_date=world.day)
    db.session.commit()
    assert _offered_on(world, project, activity, world.day)
    services.save_entry(world.user, entry_input(project_id=project.id, activity_id=activity.id))


@pytest.fixture
def task(db, world):
    """A TASK (a project activity, not general) linked to world.project; Tripletex syncs it
    with isGeneral false, isProjectActivity true."""
    from tests.factories import new_activity

    activity = new_activity(world.company, "Oppgave 7", general=False)
    new_project_activity(world.project, activity)
    db.session.commit()
    return activity


def test_pickers_offer_activities_by_tripletex_type(db, world, task, make_project):
    """General → without a project only; project-general → every project; project-specific
    and task → their linked projects only. The SQL picker and the cached lists agree."""
    unlinked = make_project(world.company, "105", "Uten lenker")
    db.session.commit()
    expected = {
        None: {"Intern tid"},
        world.project.id: {"Montering", "Oppgave 7", "Reisetid"},
        unlinked.id: {"Reisetid"},
    }
    for project_id, names in expected.items():
        in_sql = {a.name for a in pickers.activities_for(project_id, world.day)}
        cached = {a.name for a in pickers.allowed_activities(project_id, world.day)}
        assert in_sql == cached == names, project_id


def test_the_entry_form_offers_only_what_tripletex_accepts(client, login, world, task):
    login(world.user)
    url = f"/?q=&date={world.day}&project_id={world.project.id}"  # the no-JS project search
    page = client.get(url).get_data(as_text=True)
    picker = page.split('id="activity_id"', 1)[1].split("</select>", 1)[0]
    assert "Montering" in picker and "Reisetid" in picker and "Oppgave 7" in picker
    assert "Intern tid" not in picker

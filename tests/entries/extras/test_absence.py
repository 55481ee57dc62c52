"""Absence: registered on the absence type's activity, every working day, never twice."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tipro import clock
from tipro.entries.extras import display
from tipro.entries.services import EntryInput, EntryValidationError, save_entry
from tipro.models import AbsenceType, ClosureDay, EntryAbsence, TimeEntry


@pytest.fixture(autouse=True)
def _a_plain_wednesday(frozen_clock):
    """Absence skips holidays: "last week" must be an ordinary one whatever day the suite runs."""
    frozen_clock(datetime(2026, 11, 18, 10, 0))


@pytest.fixture
def holiday_type(db, world):
    row = AbsenceType(
        company_id=world.company.id, name="Ferie", code="ferie", activity_id=world.holiday.id
    )
    db.session.add(row)
    db.session.commit()
    return row


def last_monday():
    today = clock.today()
    return today - timedelta(days=today.weekday() + 7)


def test_register_absence_over_a_week_skips_weekend_and_never_duplicates(
    client, login, db, world, holiday_type
):
    login(world.user)
    monday = last_monday()
    data = {
        "absence_type_id": str(holiday_type.id),
        "date": monday.isoformat(),
        "end_date": (monday + timedelta(days=6)).isoformat(),
        "hours": "",
        "comment": "Høstferie",
    }
    response = client.post("/fravaer", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    entries = list(db.session.scalars(select(TimeEntry).order_by(TimeEntry.date)))
    assert [e.date.weekday() for e in entries] == [0, 1, 2, 3, 4]
    assert all(e.kind == "absence" and e.activity_id == world.holiday.id for e in entries)
    assert all(e.project_id is None and e.hours == Decimal("7.50") for e in entries)
    links = list(db.session.scalars(select(EntryAbsence)))
    assert {link.absence_type_id for link in links} == {holiday_type.id} and len(links) == 5
    assert display.describe_extras(entries[0]) == [("Fravær", "Ferie")]
    # Sending the same registration again updates the same days.
    assert client.post("/fravaer", data={**data, "hours": "4"}).status_code == 303
    assert db.session.scalar(select(func.count(TimeEntry.id))) == 5
    assert db.session.scalar(select(func.sum(TimeEntry.hours))) == Decimal("20.00")
    page = client.get("/fravaer").get_data(as_text=True)
    assert "Høstferie" in page and "Ferie" in page
    assert "Fravær lagret for 5 dager." in page


@pytest.mark.parametrize(
    "change,field,message",
    [
        ({"absence_type_id": ""}, "absence_type_id", "Velg en fraværstype."),
        ({"date": "i går"}, "date", "Ugyldig dato"),
        ({"end_date": "2001-01-01"}, "end_date", "Til-dato kan ikke være før fra-dato."),
        ({"hours": "25"}, "form", "Høyst 24 timer"),
    ],
)
def test_absence_errors_are_422_and_store_nothing(
    client, login, db, world, holiday_type, change, field, message
):
    login(world.user)
    monday = last_monday()
    data = {
        "absence_type_id": str(holiday_type.id),
        "date": monday.isoformat(),
        "end_date": "",
        "hours": "",
        "comment": "",
        **change,
    }
    response = client.post("/fravaer", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body
    if field != "form":
        assert f'id="err-{field}"' in body
    assert db.session.scalar(select(func.count(TimeEntry.id))) == 0


def test_absence_type_of_another_company_is_refused(
    client, login, db, world, make_world, holiday_type
):
    other = make_world()
    theirs = AbsenceType(
        company_id=other.company.id, name="Ferie", code="ferie", activity_id=other.holiday.id
    )
    db.session.add(theirs)
    db.session.commit()
    login(world.user)
    response = client.post(
        "/fravaer", data={"absence_type_id": str(theirs.id), "date": last_monday().isoformat()}
    )
    assert response.status_code == 422 and "Velg en fraværstype." in response.get_data(as_text=True)


def test_absence_rules_in_the_service(db, world, holiday_type):
    base = {"date": last_monday(), "hours": "7,5", "kind": "absence"}
    with pytest.raises(EntryValidationError) as caught:
        save_entry(
            world.user,
            EntryInput(
                **base,
                activity_id=world.work.id,
                extras={"x_absence_type": str(holiday_type.id)},
            ),
        )
    assert caught.value.errors == {"activity_id": "Fravær føres på fraværstypens aktivitet."}
    with pytest.raises(EntryValidationError) as caught:
        save_entry(world.user, EntryInput(**base, activity_id=world.holiday.id))
    assert caught.value.errors == {"x_absence_type": "Velg en fraværstype."}
    # Editing an absence entry in the general form keeps it absence.
    entry = save_entry(
        world.user,
        EntryInput(
            **base, activity_id=world.holiday.id, extras={"x_absence_type": str(holiday_type.id)}
        ),
    )
    assert display.stored_form_values(entry) == {
        "kind": "absence",
        "x_absence_type": str(holiday_type.id),
    }
    assert entry.kind == "absence"


def test_absence_page_without_types_says_so(client, login, world):
    login(world.user)
    body = client.get("/fravaer").get_data(as_text=True)
    assert "ikke satt opp fraværstyper" in body


def test_absence_activities_stay_out_of_the_work_form(client, login, world, holiday_type):
    """Ferie is registered under Fravær; the ordinary form does not offer its activity."""
    login(world.user)
    options = client.get("/registreringer/aktiviteter").get_data(as_text=True)
    assert f'value="{world.holiday.id}"' not in options
    assert "Ferie" in client.get("/fravaer").get_data(as_text=True)


def test_absence_over_easter_skips_public_holidays_and_closure_days_at_the_persons_percentage(
    client, login, db, world, holiday_type
):
    """Holiday from Monday 30 March to Tuesday 7 April 2026: Skjærtorsdag, Langfredag and 2.
    påskedag are public holidays and 31 March a closure day, so four days are booked — each
    at Kari's normal day at 80 % of 37.5 h (6 h)."""
    world.employee.employment_percentage = Decimal("80")
    db.session.add(ClosureDay(company_id=world.company.id, date=date(2026, 3, 31), name="Stengt"))
    db.session.commit()
    login(world.user)
    data = {
        "absence_type_id": str(holiday_type.id),
        "date": "2026-03-30",
        "end_date": "2026-04-07",
        "hours": "",
    }
    response = client.post("/fravaer", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    entries = list(db.session.scalars(select(TimeEntry).order_by(TimeEntry.date)))
    assert [e.date for e in entries] == [
        date(2026, 3, 30),
        date(2026, 4, 1),
        date(2026, 4, 7),
    ]
    assert all(e.hours == Decimal("6.00") for e in entries)
    # Only holidays: nothing to book, and the user is told why.
    response = client.post(
        "/fravaer", data={**data, "date": "2026-04-02", "end_date": "2026-04-06"}
    )
    assert response.status_code == 422
    assert "helligdager" in response.get_data(as_text=True)

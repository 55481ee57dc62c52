"""The rules of tipro.entries.services, one test per rule and per kind of bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.factories import submit_week
from tipro import clock
from tipro.approvals.services import ApprovalRefused
from tipro.entries import parsing, services
from tipro.entries import timer as timers
from tipro.entries.inputs import EntryNotFound, EntryValidationError
from tipro.entries.parsing import parse_hours
from tipro.errors import UserError
from tipro.models import AuditEvent, Period, TimeEntry, Timer


def count_entries(db) -> int:
    return db.session.scalar(select(func.count(TimeEntry.id)))


@pytest.mark.parametrize(
    "text,expected",
    [
        ("7,5", "7.50"),
        ("7.5", "7.50"),
        ("7:30", "7.50"),
        ("7:20", "7.33"),
        (" 8 ", "8.00"),
        (",25", "0.25"),
        ("0:45", "0.75"),
        ("24", "24.00"),
        ("-1", "-1.00"),
    ],
)
def test_parse_hours_accepts_norwegian_and_clock_forms(text, expected):
    assert parse_hours(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    ["", "abc", "7,5,5", "7..5", "1e3", "NaN", "Infinity", "7:75", "7,333", "7 t", "--1", "½"],
)
def test_parse_hours_rejects_malformed(text):
    with pytest.raises(UserError) as info:
        parse_hours(text)
    assert info.value.field == "hours" and info.value.message


def test_create_stores_exact_decimal_and_audits(db, world, entry_input):
    entry = services.save_entry(world.user, entry_input(hours="7,5", comment="Støp"))
    assert entry.hours == Decimal("7.50") and isinstance(entry.hours, Decimal)
    assert entry.user_id == world.user.id and entry.employee_id == world.employee.id
    assert entry.created_by_id == world.user.id and entry.state == "open" and entry.source == "web"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_id == entry.uuid))
    assert event.action == "create" and event.user_id == world.user.id
    assert event.changes["hours"] == [None, "7.50"]
    assert event.changes["comment"] == [None, "Støp"]


def test_upsert_by_uuid_never_duplicates_and_audits_old_to_new(db, world, entry_input):
    key = "2F1D3C4B-5A69-4788-9A0B-1C2D3E4F5A6B"
    first = services.save_entry(world.user, entry_input(hours="7,5"), entry_uuid=key)
    replay = services.save_entry(world.user, entry_input(hours="7,5"), entry_uuid=key)
    assert replay.id == first.id and first.uuid == key.lower()
    assert count_entries(db) == 1
    changed = services.save_entry(world.user, entry_input(hours="6"), entry_uuid=key)
    assert changed.id == first.id and changed.hours == Decimal("6.00")
    assert count_entries(db) == 1
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == first.uuid).order_by(AuditEvent.id)
    ).all()
    # The replay changed nothing and left no event; the edit records old → new.
    assert [e.action for e in events] == ["create", "update"]
    assert events[1].changes == {"hours": ["7.50", "6.00"]}


def test_from_to_with_break_gives_hours(world, entry_input):
    entry = services.save_entry(
        world.user, entry_input(hours="", start_time="07:30", end_time="15:30", break_minutes="30")
    )
    assert entry.hours == Decimal("7.50") and entry.break_minutes == 30


@pytest.mark.parametrize(
    "fields,field,message",
    [
        ({"hours": "-2"}, "hours", "negative"),
        ({"hours": "0"}, "hours", "større enn 0"),
        ({"hours": "24,25"}, "hours", "24 timer"),
        ({"hours": "tja"}, "hours", "Ugyldig"),
        ({"hours": ""}, "hours", "Skriv inn"),
        ({"hours": "", "start_time": "16:00", "end_time": "08:00"}, "end_time", "etter fra-tid"),
        (
            {"hours": "", "start_time": "08:00", "end_time": "09:00", "break_minutes": "60"},
            "break_minutes",
            "Pausen",
        ),
        ({"hours": "", "start_time": "25:00", "end_time": "09:00"}, "start_time", "klokkeslett"),
        ({"hours": "", "start_time": "08:00"}, "end_time", "til-tid"),
        ({"hours": "5", "start_time": "08:00", "end_time": "16:00"}, "hours", "stemmer ikke"),
        ({"date": "2026-02-30"}, "date", "Ugyldig dato"),
        ({"date": "igår"}, "date", "Ugyldig dato"),
        ({"project_id": "999999"}, "project_id", "Ukjent prosjekt"),
        ({"project_id": "abc"}, "project_id", "Ukjent prosjekt"),
        ({"project_id": "-3"}, "project_id", "Ukjent prosjekt"),
        ({"activity_id": "999999"}, "activity_id", "Ukjent aktivitet"),
        ({"activity_id": ""}, "activity_id", "Velg en aktivitet"),
        ({"comment": "x" * 2001}, "comment", "2000"),
        ({"kind": "lønn"}, "kind", "Ukjent type"),
    ],
)
def test_bad_input_is_refused_with_message_and_nothing_stored(
    db, world, entry_input, fields, field, message
):
    with pytest.raises(EntryValidationError) as info:
        services.save_entry(world.user, entry_input(**fields))
    assert message in info.value.errors[field], info.value.errors
    assert count_entries(db) == 0


def test_several_errors_at_once(world, entry_input):
    with pytest.raises(EntryValidationError) as info:
        services.save_entry(
            world.user, entry_input(hours="-1", project_id="999999", comment="x" * 3000)
        )
    assert {"hours", "project_id", "comment"} <= set(info.value.errors)


def test_day_total_over_24_is_refused(db, world, entry_input):
    services.save_entry(world.user, entry_input(hours="16"))
    with pytest.raises(EntryValidationError) as info:
        services.save_entry(world.user, entry_input(hours="8,5"))
    assert "Høyst 24 timer per dag" in info.value.errors["hours"]
    services.save_entry(world.user, entry_input(hours="8"))  # exactly 24 is fine
    assert count_entries(db) == 2


def test_editing_an_entry_does_not_count_it_twice_in_the_day(world, entry_input):
    entry = services.save_entry(world.user, entry_input(hours="20"))
    services.save_entry(world.user, entry_input(hours="24"), entry_uuid=entry.uuid)


def test_another_company_project_and_activity_are_unknown(db, world, entry_input):
    with pytest.raises(EntryValidationError) as info:
        services.save_entry(
            world.user,
            entry_input(
                project_id=world.other_company_project.id,
                activity_id=world.other_company_activity.id,
            ),
        )
    assert info.value.errors["project_id"] == "Ukjent prosjekt."
    assert info.value.errors["activity_id"] == "Ukjent aktivitet."
    assert count_entries(db) == 0


def test_closed_project_is_refused(world, entry_input):
    with pytest.raises(EntryValidationError) as info:
        services.save_entry(world.user, entry_input(project_id=world.closed_project.id))
    assert "avsluttet" in info.value.errors["project_id"]


def test_project_outside_its_dates_is_refused(world, entry_input):
    with pytest.raises(EntryValidationError) as info:
        services.save_entry(world.user, entry_input(project_id=world.ended_project.id))
    assert "ikke åpent" in info.value.errors["project_id"]
    # Before it ended, the same project was fine.
    services.save_entry(
        world.user,
        entry_input(project_id=world.ended_project.id, date=world.day - timedelta(days=40)),
    )


def test_participants_only_project(world, entry_input):
    with pytest.raises(EntryValidationError) as info:
        services.save_entry(world.user, entry_input(project_id=world.members_project.id))
    assert "deltakere" in info.value.errors["project_id"]
    services.save_entry(world.colleague, entry_input(project_id=world.members_project.id))


def test_disallowed_activity_on_project(world, entry_input):
    with pytest.raises(EntryValidationError) as info:
        services.save_entry(world.user, entry_input(activity_id=world.other_activity.id))
    assert "ikke tillatt" in info.value.errors["activity_id"]


def test_general_activity_without_project_but_project_activity_needs_one(world, entry_input):
    entry = services.save_entry(
        world.user, entry_input(project_id="", activity_id=world.general.id)
    )
    assert entry.project_id is None
    with pytest.raises(EntryValidationError) as info:
        services.save_entry(
            world.user, entry_input(project_id="", activity_id=world.project_activity.id)
        )
    assert "krever et prosjekt" in info.value.errors["activity_id"]


def test_general_activity_on_a_project_is_refused_as_tripletex_refuses_it(db, world, entry_input):
    # «Intern tid» is a GENERAL_ACTIVITY: Tripletex takes it only without a project.
    with pytest.raises(EntryValidationError) as info:
        services.save_entry(world.user, entry_input(activity_id=world.general.id))
    message = info.value.errors["activity_id"]
    assert message == (
        "«Intern tid» er en generell aktivitet og kan ikke føres på et prosjekt. "
        "Fjern prosjektet, eller velg en av prosjektets aktiviteter."
    )
    assert count_entries(db) == 0


def test_project_activity_without_a_project_names_what_to_pick(db, world, entry_input):
    for activity in (world.project_activity, world.project_general):
        with pytest.raises(EntryValidationError) as info:
            services.save_entry(world.user, entry_input(project_id="", activity_id=activity.id))
        assert info.value.errors["activity_id"] == (
            f"«{activity.name}» er en prosjektaktivitet og krever et prosjekt. Velg prosjektet "
            "timene gjelder, eller en generell aktivitet for tid uten prosjekt."
        )
    assert count_entries(db) == 0


def test_project_general_activity_goes_on_any_open_project_without_a_link(world, entry_input):
    # «Reisetid» (PROJECT_GENERAL_ACTIVITY) is linked to no project, yet allowed on each.
    for project in (world.project, world.members_project):
        user = world.colleague if project is world.members_project else world.user
        entry = services.save_entry(
            user, entry_input(project_id=project.id, activity_id=world.project_general.id)
        )
        assert entry.activity_id == world.project_general.id and entry.project_id == project.id


def test_a_link_allows_its_activity_on_that_project_only(db, world, entry_input, make_project):
    other = make_project(world.company, "105", "Uten lenker")
    db.session.commit()
    with pytest.raises(EntryValidationError) as info:
        services.save_entry(world.user, entry_input(project_id=other.id))
    assert info.value.errors["activity_id"] == (
        "«Montering» er ikke tillatt på dette prosjektet. Velg en av prosjektets aktiviteter."
    )
    assert services.save_entry(world.user, entry_input()).project_id == world.project.id


def test_the_timer_refuses_a_general_activity_on_a_project(world):
    with pytest.raises(EntryValidationError) as info:
        timers.start_timer(world.user, world.project.id, world.general.id)
    assert "generell aktivitet" in info.value.errors["activity_id"]


def test_submitted_week_refuses_new_and_changed_entries(db, world, entry_input):
    entry = services.save_entry(world.user, entry_input(hours="4"))
    submission = submit_week(world.user, world.day)
    assert submission.state == "submitted"
    db.session.refresh(entry)
    assert entry.state == "submitted"
    with pytest.raises(EntryValidationError) as info:
        services.save_entry(world.user, entry_input(hours="2"))
    assert "sendt inn" in info.value.errors["date"]
    with pytest.raises(EntryValidationError):
        services.save_entry(world.user, entry_input(hours="5"), entry_uuid=entry.uuid)
    with pytest.raises(EntryValidationError):
        services.delete_entry(world.user, entry.uuid)
    with pytest.raises(ApprovalRefused):
        submit_week(world.user, world.day)
    assert count_entries(db) == 1
    # Another user's week is not locked by this one.
    services.save_entry(world.colleague, entry_input(hours="2"))


@pytest.mark.parametrize("state", ["approved", "transferred"])
def test_locked_entries_are_read_only(db, world, entry_input, state):
    entry = services.save_entry(world.user, entry_input(hours="4"))
    entry.state = state
    db.session.commit()
    with pytest.raises(EntryValidationError) as info:
        services.save_entry(world.user, entry_input(hours="5"), entry_uuid=entry.uuid)
    assert info.value.status == 409
    db.session.refresh(entry)
    assert entry.hours == Decimal("4.00")


def test_employee_cannot_touch_another_users_entry(db, world, entry_input):
    entry = services.save_entry(world.colleague, entry_input(hours="4"))
    with pytest.raises(EntryNotFound):
        services.save_entry(world.user, entry_input(hours="1"), entry_uuid=entry.uuid)
    with pytest.raises(EntryNotFound):
        services.delete_entry(world.user, entry.uuid)
    with pytest.raises(EntryNotFound):
        services.save_entry(world.user, entry_input(hours="1"), for_user=world.colleague)
    db.session.refresh(entry)
    assert entry.hours == Decimal("4.00") and entry.user_id == world.colleague.id


def test_approver_cannot_register_for_others(world, entry_input):
    with pytest.raises(EntryNotFound):
        services.save_entry(world.approver, entry_input(), for_user=world.user)


def test_admin_registers_for_employee_and_it_is_recorded(db, world, entry_input):
    entry = services.save_entry(world.admin, entry_input(hours="3"), for_user=world.user)
    assert entry.user_id == world.user.id and entry.created_by_id == world.admin.id
    assert entry.employee_id == world.employee.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_id == entry.uuid))
    assert event.user_id == world.admin.id
    assert event.changes["registered_for"] == [None, str(world.user.id)]
    # The admin may edit it later without naming the user again.
    services.save_entry(world.admin, entry_input(hours="4"), entry_uuid=entry.uuid)


def test_user_without_employee_link_can_register(make_user, world, entry_input):
    unlinked = make_user(world.company, role="employee")
    entry = services.save_entry(unlinked, entry_input(hours="1"))
    assert entry.employee_id is None


def test_delete_is_audited(db, world, entry_input):
    entry = services.save_entry(world.user, entry_input(hours="4"))
    key = entry.uuid
    services.delete_entry(world.user, key)
    assert count_entries(db) == 0
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.entity_id == key, AuditEvent.action == "delete")
    )
    assert event.changes["hours"] == ["4.00", None]


def test_stale_offline_edit_does_not_overwrite_newer(world, entry_input):
    newer = datetime(2026, 11, 2, 12, tzinfo=UTC)
    entry = services.save_entry(
        world.user, entry_input(hours="5", client_modified_at=newer), entry_uuid=None
    )
    services.save_entry(
        world.user,
        entry_input(hours="2", client_modified_at=newer - timedelta(hours=1)),
        entry_uuid=entry.uuid,
    )
    assert entry.hours == Decimal("5.00")


def test_invalid_uuid_is_refused(world, entry_input):
    with pytest.raises(EntryValidationError) as info:
        services.save_entry(world.user, entry_input(), entry_uuid="not-a-uuid")
    assert info.value.status == 400


def test_copy_previous_week_twice_copies_once(db, world, entry_input):
    monday = clock.monday_of(world.day)
    services.save_entry(world.user, entry_input(date=monday - timedelta(days=7), hours="7,5"))
    assert services.copy_previous_week(world.user, monday) == (1, 0)
    assert services.copy_previous_week(world.user, monday) == (0, 1)
    copied = db.session.scalar(select(TimeEntry).where(TimeEntry.date == monday))
    assert copied.hours == Decimal("7.50") and copied.project_id == world.project.id


def test_timer_start_stop_rounds_to_quarter_hours(db, world):
    timer = timers.start_timer(world.user, world.project.id, world.project_activity.id, "Mur")
    with pytest.raises(EntryValidationError):
        timers.start_timer(world.user, world.project.id, world.project_activity.id)
    entry = timers.stop_timer(world.user, now=timer.started_at + timedelta(minutes=68))
    assert entry.hours == Decimal("1.25") and entry.source == "timer" and entry.comment == "Mur"
    assert db.session.scalar(select(func.count(Timer.id))) == 0
    with pytest.raises(EntryValidationError):
        timers.stop_timer(world.user)


def test_timer_rounding_rules():
    start = datetime(2026, 11, 2, 8, tzinfo=UTC)
    assert timers.timer_hours(start, start + timedelta(minutes=2)) == Decimal("0.25")
    assert timers.timer_hours(start, start + timedelta(minutes=7, seconds=29)) == Decimal("0.25")
    assert timers.timer_hours(start, start + timedelta(minutes=22, seconds=30)) == Decimal("0.50")
    assert timers.timer_hours(start, start + timedelta(hours=7, minutes=40)) == Decimal("7.75")


def test_timer_refuses_disallowed_activity_and_over_24_hours(db, world):
    with pytest.raises(EntryValidationError) as info:
        timers.start_timer(world.user, world.project.id, world.other_activity.id)
    assert "activity_id" in info.value.errors
    timer = timers.start_timer(world.user, world.project.id, world.project_activity.id)
    with pytest.raises(EntryValidationError):
        timers.stop_timer(world.user, now=timer.started_at + timedelta(hours=25))
    assert db.session.scalar(select(func.count(Timer.id))) == 1
    timers.discard_timer(world.user)
    assert db.session.scalar(select(func.count(Timer.id))) == 0


def test_week_submission_row_records_week(db, world, entry_input):
    services.save_entry(world.user, entry_input(hours="4"))
    submit_week(world.user, world.day)
    row = db.session.scalar(select(Period))
    monday = clock.monday_of(world.day)
    assert (row.kind, row.first_day, row.last_day, row.user_id) == (
        "week",
        monday,
        monday + timedelta(days=6),
        world.user.id,
    )
    assert row.total_hours == Decimal("4")


def test_copy_previous_week_never_doubles_a_line_already_filled(db, world, entry_input):
    monday = clock.monday_of(world.day)
    services.save_entry(world.user, entry_input(date=monday - timedelta(days=7), hours="7,5"))
    services.save_entry(world.user, entry_input(date=monday - timedelta(days=6), hours="6"))
    services.save_entry(world.user, entry_input(date=monday, hours="7,5"))
    assert services.copy_previous_week(world.user, monday) == (1, 1)
    hours = db.session.scalars(
        select(TimeEntry.hours).where(TimeEntry.date >= monday).order_by(TimeEntry.date)
    ).all()
    assert hours == [Decimal("7.50"), Decimal("6.00")]


def test_timer_cannot_start_in_a_submitted_week(db, world, entry_input):
    services.save_entry(world.user, entry_input(hours="4"))
    submit_week(world.user, world.day)
    with pytest.raises(EntryValidationError) as info:
        timers.start_timer(world.user, world.project.id, world.project_activity.id)
    assert info.value.status == 409 and "sendt inn" in info.value.errors["form"]
    assert db.session.scalar(select(func.count(Timer.id))) == 0


def test_week_with_a_running_timer_cannot_be_submitted(db, world, entry_input):
    services.save_entry(world.user, entry_input(hours="4"))
    timers.start_timer(world.user, world.project.id, world.project_activity.id)
    with pytest.raises(ApprovalRefused) as info:
        submit_week(world.user, world.day)
    assert "Stopp" in info.value.message
    assert db.session.scalar(select(func.count(Period.id))) == 0
    timers.stop_timer(world.user)
    submit_week(world.user, world.day)
    assert db.session.scalar(select(func.count(Period.id))) == 1


@pytest.mark.parametrize(
    "text,message",
    [
        ("1999-12-31", "Datoen er for langt tilbake i tid."),
        ("2999-01-01", "Du kan føre timer høyst ett år fram i tid."),
    ],
)
def test_parse_date_says_which_way_a_date_is_out_of_range(app, text, message):
    with app.test_request_context(), pytest.raises(UserError) as info:
        parsing.parse_date(text)
    assert info.value.field == "date" and info.value.message == message


def test_the_checks_statement_built_once_is_scoped_to_each_company_in_turn(db, world, entry_input):
    """The writer's checks run one statement built once per process, scoped per company
    (tipro.tenancy.REUSED): company A's copy must never answer for company B, whichever
    company came first."""
    from tests.factories import in_company, new_employee, new_user
    from tipro import tenancy
    from tipro.models import Company

    other = db.session.get(Company, world.other_company_project.company_id)
    stranger = new_user(
        other, "employee", name="Fremmed", employee_id=new_employee(other, "Fremmed").id
    )
    db.session.commit()
    services.save_entry(world.user, entry_input())
    with in_company(other):
        with pytest.raises(EntryValidationError) as info:
            services.save_entry(stranger, entry_input())  # company A's project and activity
        assert info.value.errors["project_id"] == "Ukjent prosjekt."
        assert info.value.errors["activity_id"] == "Ukjent aktivitet."
        # Their own general activity, without a project: A's 7,5 hours that day are not B's.
        theirs = entry_input(project_id="", activity_id=world.other_company_activity.id)
        services.save_entry(stranger, entry_input(**{**vars(theirs), "hours": "24"}))
    with pytest.raises(EntryValidationError) as info:
        services.save_entry(world.user, theirs)
    assert info.value.errors["activity_id"] == "Ukjent aktivitet."
    scoped = {company for (_statement, company) in tenancy._scoped_copies}
    assert {world.company.id, other.id} <= scoped
    assert count_entries(db) == 1  # each company sees its own one entry
    with in_company(other):
        assert count_entries(db) == 1

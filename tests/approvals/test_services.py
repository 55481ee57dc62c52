"""The approval services: submit, take back, approve (per line), return, reopen, bulk.

Pre-flight is replaced by a stand-in here where a test needs problems; its real checks are tested
in test_preflight.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import (
    DAY,
    in_company,
    new_employee,
    new_project,
    new_project_activity,
    new_user,
    submit_week,
)
from tipro.approvals import periods, preflight, services
from tipro.approvals.services import ApprovalRefused, PeriodNotFound
from tipro.entries import services as entries
from tipro.entries.inputs import EntryInput, EntryValidationError
from tipro.models import AuditEvent, Period, TimeEntry


@dataclass(frozen=True)
class Stand:
    """A pre-flight problem as the services read it."""

    code: str
    blocking: bool = True
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        return f"Problem {self.code}"

    def as_dict(self) -> dict:
        return {"code": self.code, "blocking": self.blocking, "params": self.params}


@pytest.fixture
def world(build_hours_world):
    scene = build_hours_world(DAY)
    with in_company(scene.company):
        yield scene


@pytest.fixture
def clean(monkeypatch):
    """Pre-flight finds nothing (the default for these tests); returns a setter."""
    found: list = []
    monkeypatch.setattr(preflight, "check", lambda *a, **k: list(found))
    return found


def _hours(world, day=DAY, hours="7,5", project=None, activity=None, user=None):
    project = world.project if project is None else project
    return entries.save_entry(
        user or world.user,
        EntryInput(
            date=day,
            project_id=project.id if project else None,
            activity_id=(activity or (world.project_activity if project else world.general)).id,
            hours=hours,
        ),
    )


def _states(user) -> list[str]:
    from tipro.extensions import db

    db.session.expire_all()
    return sorted(db.session.scalars(select(TimeEntry.state).where(TimeEntry.user_id == user.id)))


def _audit_actions(period) -> list[str]:
    from tipro.extensions import db

    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity == "period", AuditEvent.entity_id == str(period.id))
            .order_by(AuditEvent.id)
        )
    )


def test_submit_return_fix_resubmit_approve(world, clean):
    entry = _hours(world)
    _hours(world, day=DAY + timedelta(days=1), project=False)  # general work: no project
    period = submit_week(world.user, DAY)
    assert (period.state, period.total_hours) == ("submitted", Decimal("15.00"))
    # Berit leads the project and the department: both lines wait for her.
    assert {(line.project_id, line.approver_id) for line in period.lines} == {
        (world.project.id, world.approver.id),
        (None, world.approver.id),
    }
    assert _states(world.user) == ["submitted", "submitted"]

    services.return_period(world.approver, period.id, "Feil prosjekt tirsdag")
    assert period.state == "returned" and period.comment == "Feil prosjekt tirsdag"
    assert _states(world.user) == ["open", "open"]
    entries.save_entry(  # editable again
        world.user,
        EntryInput(
            date=DAY, project_id=world.project.id, activity_id=world.project_activity.id, hours="6"
        ),
        entry_uuid=entry.uuid,
    )

    period = submit_week(world.user, DAY)
    assert period.state == "submitted" and period.total_hours == Decimal("13.50")
    services.approve(world.approver, period.id)
    assert period.state == "approved"
    assert _states(world.user) == ["approved", "approved"]
    assert _audit_actions(period) == ["submit", "return", "submit", "approve", "approved"]


def test_approved_is_locked_for_employee_approver_and_admin(world, clean):
    entry = _hours(world)
    period = submit_week(world.user, DAY)
    services.approve(world.approver, period.id)
    for actor in (world.user, world.admin):
        with pytest.raises(EntryValidationError) as refused:
            entries.save_entry(
                actor,
                EntryInput(
                    date=DAY,
                    project_id=world.project.id,
                    activity_id=world.project_activity.id,
                    hours="1",
                ),
                entry_uuid=entry.uuid,
                for_user=world.user,
            )
        assert refused.value.status == 409
        with pytest.raises(EntryValidationError):
            entries.delete_entry(actor, entry.uuid)
    with pytest.raises(EntryValidationError):  # nor a new entry on a locked day
        _hours(world, day=DAY + timedelta(days=2), project=False)
    with pytest.raises(ApprovalRefused):
        services.return_period(world.approver, period.id, "for sent")
    assert _states(world.user) == ["approved"]


def test_take_back_until_someone_acts(world, clean):
    _hours(world)
    period = submit_week(world.user, DAY)
    services.take_back(world.user, period.id)
    assert period.state == "taken_back" and _states(world.user) == ["open"]
    assert not periods.is_locked(world.user.id, DAY)

    period = submit_week(world.user, DAY)
    services.return_period(world.approver, period.id, "Mangler kommentar")
    with pytest.raises(ApprovalRefused):
        services.take_back(world.user, period.id)
    with pytest.raises(PeriodNotFound):  # a colleague cannot
        services.take_back(world.colleague, period.id)


def test_empty_and_future_periods_are_refused(world, clean):
    with pytest.raises(ApprovalRefused) as empty:
        submit_week(world.user, DAY)
    assert "tom periode" in empty.value.message
    next_week = DAY + timedelta(days=7)
    _hours(world, day=next_week)
    with pytest.raises(ApprovalRefused) as future:
        submit_week(world.user, next_week)
    assert "ikke begynt" in future.value.message
    # The future week stays open for absence and plans.
    _hours(world, day=next_week + timedelta(days=1), project=False)
    from tipro.extensions import db

    assert db.session.scalar(select(Period.id)) is None


def test_admin_reopens_with_a_reason_and_it_must_be_approved_again(world, clean):
    _hours(world)
    period = submit_week(world.user, DAY)
    services.approve(world.approver, period.id)
    with pytest.raises(PeriodNotFound):
        services.reopen(world.approver, period.id, "vil rette")
    with pytest.raises(Exception) as no_reason:
        services.reopen(world.admin, period.id, "  ")
    assert "hvorfor" in no_reason.value.message
    services.reopen(world.admin, period.id, "Feil lønnsart")
    assert period.state == "reopened" and period.comment == "Feil lønnsart"
    assert _states(world.user) == ["open"]
    from tipro.extensions import db

    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.entity == "period", AuditEvent.action == "reopen")
    )
    assert event.user_id == world.admin.id and event.changes["reason"] == [None, "Feil lønnsart"]
    period = submit_week(world.user, DAY)
    services.approve(world.approver, period.id)
    assert period.state == "approved"


def test_month_mode_locks_the_whole_month(world, clean):
    world.company.approval_period = "month"
    _hours(world, day=date(2026, 11, 2))
    _hours(world, day=date(2026, 11, 18))
    span = services.span_for(world.user, DAY)
    assert (span.first, span.last, span.key) == (date(2026, 11, 1), date(2026, 11, 30), "2026-11")
    period = services.submit(world.user, span)
    assert period.kind == "month" and period.total_hours == Decimal("15.00")
    assert periods.is_locked(world.user.id, date(2026, 11, 30))
    assert not periods.is_locked(world.user.id, date(2026, 12, 1))
    assert periods.parse_key("2026-11") == span


def test_lines_across_two_approvers(world, clean):
    other_boss = new_employee(world.company, "Per")
    per = new_user(world.company, "approver", name="Per Leder", employee_id=other_boss.id)
    second = new_project(world.company, "201", "Kai", project_manager_id=other_boss.id)
    new_project_activity(second, world.project_activity)
    _hours(world)
    _hours(world, day=DAY + timedelta(days=1), project=second)
    period = submit_week(world.user, DAY)
    approvers = {line.project_id: line.approver_id for line in period.lines}
    assert approvers == {world.project.id: world.approver.id, second.id: per.id}

    assert [p.id for p in services.waiting_for(per)] == [period.id]
    services.approve(world.approver, period.id)
    assert period.state == "submitted"  # Per's line still waits
    assert _states(world.user) == ["approved", "submitted"]
    with pytest.raises(ApprovalRefused):  # Berit has nothing left to decide
        services.approve(world.approver, period.id)
    assert services.waiting_for(world.approver) == []
    services.approve(per, period.id)
    assert period.state == "approved" and _states(world.user) == ["approved", "approved"]


def test_returning_one_line_keeps_the_other_approved(world, clean):
    other_boss = new_employee(world.company, "Per")
    per = new_user(world.company, "approver", employee_id=other_boss.id)
    second = new_project(world.company, "201", "Kai", project_manager_id=other_boss.id)
    new_project_activity(second, world.project_activity)
    _hours(world)
    _hours(world, day=DAY + timedelta(days=1), project=second)
    period = submit_week(world.user, DAY)
    services.approve(world.approver, period.id)
    services.return_period(per, period.id, "Feil timer på kaia")
    assert _states(world.user) == ["approved", "open"]
    period = submit_week(world.user, DAY)
    lines = {line.project_id: line.state for line in period.lines}
    assert lines == {world.project.id: "approved", second.id: "waiting"}
    services.approve(per, period.id)
    assert period.state == "approved"


def test_nobody_approves_their_own_hours(world, clean):
    # Berit leads the project she logs hours on: her line falls to an admin.
    _hours(world, user=world.approver)
    period = submit_week(world.approver, DAY)
    assert [line.approver_id for line in period.lines] == [None]
    assert services.waiting_for(world.approver) == []
    with pytest.raises(ApprovalRefused):
        services.approve(world.approver, period.id)
    services.approve(world.admin, period.id)
    assert period.state == "approved"


def test_a_tipro_set_approver_takes_lines_without_a_project_manager(world, clean):
    other = new_user(world.company, "approver", name="Satt i TiPro")
    world.user.approver_id = other.id
    _hours(world, project=False)
    period = submit_week(world.user, DAY)
    assert [line.approver_id for line in period.lines] == [other.id]


def test_blocking_problems_stop_approval_unless_an_admin_overrides(world, clean):
    _hours(world)
    period = submit_week(world.user, DAY)
    clean.append(Stand("month_locked"))
    with pytest.raises(ApprovalRefused) as blocked:
        services.approve(world.approver, period.id)
    assert "Problem month_locked" in blocked.value.message
    with pytest.raises(ApprovalRefused):  # an approver may not override
        services.approve(world.approver, period.id, override_reason="haster")
    assert period.state == "submitted" and period.preflight[0]["code"] == "month_locked"
    services.approve(world.admin, period.id, override_reason="Avklart med lønn")
    assert period.state == "approved" and period.override_reason == "Avklart med lønn"
    assert "override" in _audit_actions(period)

    clean.clear()
    clean.append(Stand("no_rate", blocking=False))  # warnings never block
    _hours(world, day=DAY - timedelta(days=7))
    earlier = submit_week(world.user, DAY - timedelta(days=7))
    services.approve(world.approver, earlier.id)
    assert earlier.state == "approved"


def test_approve_all_clean_skips_blocked_periods(world, clean, monkeypatch):
    _hours(world)
    _hours(world, user=world.colleague)
    mine = submit_week(world.user, DAY)
    theirs = submit_week(world.colleague, DAY)
    monkeypatch.setattr(
        preflight,
        "check",
        lambda user, *a, **k: [Stand("no_employment")] if user.id == world.colleague.id else [],
    )
    outcome = services.approve_all_clean(world.approver)
    assert [p.id for p in outcome.approved] == [mine.id]
    assert [(p.id, reasons) for p, reasons in outcome.skipped] == [
        (theirs.id, ["Problem no_employment"])
    ]
    from tipro.extensions import db

    db.session.expire_all()
    assert db.session.get(Period, theirs.id).state == "submitted"


def test_other_departments_and_companies_see_nothing(world, clean, build_hours_world):
    _hours(world)
    period = submit_week(world.user, DAY)
    outsider = new_user(world.company, "approver", employee_id=new_employee(world.company, "Ut").id)
    for act in (
        lambda: services.get_visible(outsider, period.id),
        lambda: services.approve(outsider, period.id),
        lambda: services.return_period(outsider, period.id, "nei"),
        lambda: services.take_back(world.colleague, period.id),
    ):
        with pytest.raises(PeriodNotFound):
            act()
    assert services.waiting_for(outsider) == []
    foreign = build_hours_world(DAY)
    with in_company(foreign.company), pytest.raises(PeriodNotFound):
        services.get_visible(foreign.admin, period.id)
    assert period.state == "submitted"

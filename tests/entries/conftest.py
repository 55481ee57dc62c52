"""Master data for the entries tests, created directly as rows (as the sync would leave them)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from tipro.models import (
    Activity,
    Company,
    Department,
    Employee,
    Project,
    ProjectActivity,
    ProjectParticipant,
    User,
)

_ids = itertools.count(1000)


def tx_id() -> int:
    return next(_ids)


@dataclass
class World:
    company: Company
    employee: Employee
    user: User
    colleague: User
    admin: User
    approver: User
    project: Project
    closed_project: Project
    ended_project: Project
    members_project: Project
    general: Activity
    project_activity: Activity
    other_activity: Activity
    other_company_project: Project
    other_company_activity: Activity
    day: date


def build_world(session, make_company, make_user, day: date | None = None) -> World:
    """A company with an employee, an approver, open/closed projects and activities."""
    day = day or date.today()
    company = make_company()
    other = make_company()
    dept = Department(company_id=company.id, tripletex_id=tx_id(), name="Drift")
    session.add(dept)
    session.flush()

    def employee(first: str) -> Employee:
        row = Employee(
            company_id=company.id,
            tripletex_id=tx_id(),
            first_name=first,
            last_name="Nordmann",
            department_id=dept.id,
        )
        session.add(row)
        session.flush()
        return row

    emp, emp2, boss = employee("Kari"), employee("Ola"), employee("Berit")
    dept.manager_id = boss.id

    def activity(company_id: int, name: str, general: bool) -> Activity:
        row = Activity(
            company_id=company_id,
            tripletex_id=tx_id(),
            name=name,
            is_general=general,
            is_project_activity=not general,
        )
        session.add(row)
        return row

    general = activity(company.id, "Intern tid", True)
    proj_act = activity(company.id, "Montering", False)
    other_act = activity(company.id, "Prosjektering", False)
    foreign_act = activity(other.id, "Fremmed", True)

    def project(company_id: int, number: str, **fields) -> Project:
        row = Project(company_id=company_id, tripletex_id=tx_id(), number=number, **fields)
        session.add(row)
        session.flush()
        return row

    open_p = project(company.id, "101", name="Nybygg Lia", project_manager_id=boss.id)
    closed_p = project(company.id, "102", name="Gammel jobb", is_closed=True)
    ended_p = project(company.id, "103", name="Ferdig", end_date=day - timedelta(days=30))
    members_p = project(company.id, "104", name="Hemmelig", for_participants_only=True)
    foreign_p = project(other.id, "101", name="Fremmed prosjekt")
    session.flush()
    for p in (open_p, closed_p, ended_p, members_p):
        session.add(
            ProjectActivity(company_id=company.id, project_id=p.id, activity_id=proj_act.id)
        )
    session.add(
        ProjectParticipant(company_id=company.id, project_id=members_p.id, employee_id=emp2.id)
    )
    session.commit()

    user = make_user(company, role="employee", name="Kari Nordmann", employee_id=emp.id)
    colleague = make_user(company, role="employee", name="Ola Nordmann", employee_id=emp2.id)
    admin = make_user(company, role="admin", name="Anne Admin")
    approver = make_user(company, role="approver", name="Berit Sjef", employee_id=boss.id)
    return World(
        company,
        emp,
        user,
        colleague,
        admin,
        approver,
        open_p,
        closed_p,
        ended_p,
        members_p,
        general,
        proj_act,
        other_act,
        foreign_p,
        foreign_act,
        day,
    )


@pytest.fixture
def world(db, make_company, make_user) -> World:
    from tipro.ui import today_in_oslo

    return build_world(db.session, make_company, make_user, today_in_oslo())


@pytest.fixture
def entry_input(world):
    """An EntryInput factory with valid defaults for `world`."""
    from tipro.entries.services import EntryInput

    def make(**fields) -> EntryInput:
        values = {
            "date": world.day,
            "project_id": world.project.id,
            "activity_id": world.project_activity.id,
            "hours": "7,5",
        }
        values.update(fields)
        return EntryInput(**values)

    return make

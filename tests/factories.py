"""Factory fixtures shared by every test folder: master data as the sync leaves it, and entries.

Registered in tests/conftest.py (`pytest_plugins`). Rows are written straight into the
database (committed into the test's rolled-back transaction). Nothing here reads the real
date: scenes are built around `DAY` (a Wednesday) and `in_company` pins the clock to it.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from tests.conftest import TEST_PASSWORD, password_hash
from tipro import clock
from tipro.extensions import db as _db
from tipro.models import (
    AbsenceType,
    Activity,
    Company,
    CustomField,
    Department,
    Employee,
    Product,
    Project,
    ProjectActivity,
    ProjectParticipant,
    SalaryType,
    SupplementType,
    TimeEntry,
    User,
)
from tipro.tenancy import company_scope

# A fixed Wednesday: "today" in every scene (weeks have days before and after it).
DAY = date(2026, 11, 18)
NOON = datetime(2026, 11, 18, 12, 0)

_ids = itertools.count(1000)


def tx_id() -> int:
    """A fresh Tripletex id."""
    return next(_ids)


@contextmanager
def in_company(company: Company, now: datetime = NOON) -> Iterator[None]:
    """Act as a boundary would (a request, a job): the company's scope, the clock pinned."""
    with clock.pinned(now), company_scope(company.id):
        yield


def _row(model, **fields):
    row = model(**fields)
    _db.session.add(row)
    _db.session.flush()
    return row


def _synced(model, company: Company, **fields):
    """A row as the sync leaves it: the company's, with a Tripletex id."""
    return _row(model, company_id=company.id, tripletex_id=tx_id(), **fields)


def new_company(name: str | None = None, **fields) -> Company:
    company = _row(Company, name=name or f"Firma {secrets.token_hex(3)} AS", **fields)
    _db.session.commit()
    return company


def new_user(company: Company, role: str = "employee", **fields) -> User:
    """A user with a role (employee, approver, admin) and the test password."""
    fields.setdefault("email", f"{role}-{secrets.token_hex(3)}@example.no")
    fields.setdefault("name", role.capitalize())
    user = _row(
        User,
        company_id=company.id,
        role=role,
        password_hash=password_hash(fields.pop("password", TEST_PASSWORD)),
        **fields,
    )
    _db.session.commit()
    return user


def new_department(company: Company, name: str = "Drift", **fields) -> Department:
    return _synced(Department, company, name=name, **fields)


@pytest.fixture
def make_department(db):
    return new_department


def new_employee(company: Company, first_name: str = "Kari", **fields) -> Employee:
    fields.setdefault("last_name", "Nordmann")
    return _synced(
        Employee,
        company,
        first_name=first_name,
        **fields,
    )


@pytest.fixture
def make_employee(db):
    return new_employee


def new_activity(company: Company, name: str, *, general: bool = True, **fields) -> Activity:
    fields.setdefault("is_project_activity", not general)
    return _synced(
        Activity,
        company,
        name=name,
        is_general=general,
        **fields,
    )


@pytest.fixture
def make_activity(db):
    return new_activity


def new_project(company: Company, number: str, name: str = "Prosjekt", **fields) -> Project:
    """Projects: open by default; `is_closed=True`, `end_date=…` or
    `for_participants_only=True` (with `participants=[employee]`) for the other kinds."""
    participants = fields.pop("participants", [])
    project = _synced(
        Project,
        company,
        number=number,
        name=name,
        **fields,
    )
    for employee in participants:
        _row(
            ProjectParticipant,
            company_id=company.id,
            project_id=project.id,
            employee_id=employee.id,
        )
    return project


@pytest.fixture
def make_project(db):
    return new_project


def new_project_activity(project: Project, activity: Activity, **fields) -> ProjectActivity:
    return _row(
        ProjectActivity,
        company_id=project.company_id,
        project_id=project.id,
        activity_id=activity.id,
        **fields,
    )


@pytest.fixture
def make_project_activity(db):
    return new_project_activity


def new_salary_type(company: Company, number: str, name: str) -> SalaryType:
    return _synced(SalaryType, company, number=number, name=name)


@pytest.fixture
def make_salary_type(db):
    return new_salary_type


def new_product(company: Company, number: str, name: str, price: str | None = None) -> Product:
    return _synced(
        Product,
        company,
        number=number,
        name=name,
        price_excluding_vat=Decimal(price) if price is not None else None,
    )


@pytest.fixture
def make_product(db):
    return new_product


def new_supplement_type(
    company: Company, name: str, unit: str = "hours", **fields
) -> SupplementType:
    return _row(SupplementType, company_id=company.id, name=name, unit=unit, **fields)


@pytest.fixture
def make_supplement_type(db):
    return new_supplement_type


def new_absence_type(company: Company, name: str, activity: Activity, **fields) -> AbsenceType:
    fields.setdefault("code", name.lower())
    return _row(AbsenceType, company_id=company.id, name=name, activity_id=activity.id, **fields)


@pytest.fixture
def make_absence_type(db):
    return new_absence_type


def new_custom_field(company: Company, key: str, label: str, field_type: str = "text", **fields):
    return _row(
        CustomField,
        company_id=company.id,
        key=key,
        label=label,
        field_type=field_type,
        **fields,
    )


@pytest.fixture
def make_custom_field(db):
    return new_custom_field


def new_entry(user: User, day: date, hours: str = "7.5", **fields) -> TimeEntry:
    """An entry written as a row (no rules): for scenes, not for testing the writer."""
    import uuid

    fields.setdefault("uuid", str(uuid.uuid4()))
    fields.setdefault("source", "web")
    fields.setdefault("state", "open")
    entry = _row(
        TimeEntry,
        company_id=user.company_id,
        user_id=user.id,
        employee_id=user.employee_id,
        created_by_id=user.id,
        date=day,
        hours=Decimal(hours),
        **fields,
    )
    _db.session.commit()
    return entry


@pytest.fixture
def make_entry(db):
    return new_entry


# ---------------------------------------------------------------- the hours scene


@dataclass
class HoursWorld:
    """A company with an employee, a colleague, an admin, an approver, projects of every kind."""

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
    general: Activity  # GENERAL_ACTIVITY «Intern tid»: hours without a project only
    project_activity: Activity  # linked to the company's projects
    other_activity: Activity  # a project activity linked to none
    project_general: Activity  # PROJECT_GENERAL_ACTIVITY «Reisetid»: any project, no link
    other_company_project: Project
    other_company_activity: Activity
    day: date


def hours_world(day: date = DAY) -> HoursWorld:
    """Build the hours scene around `day` (committed; the test's fixture decides rollback)."""
    company, other = new_company(), new_company()
    dept = new_department(company)
    emp, emp2, boss = (
        new_employee(company, n, department_id=dept.id) for n in ("Kari", "Ola", "Berit")
    )
    dept.manager_id = boss.id
    general = new_activity(company, "Intern tid")
    proj_act = new_activity(company, "Montering", general=False)
    other_act = new_activity(company, "Prosjektering", general=False)
    travel = new_activity(company, "Reisetid", is_project_activity=True)
    foreign_act = new_activity(other, "Fremmed")
    open_p = new_project(company, "101", "Nybygg Lia", project_manager_id=boss.id)
    closed_p = new_project(company, "102", "Gammel jobb", is_closed=True)
    ended_p = new_project(company, "103", "Ferdig", end_date=day - timedelta(days=30))
    members_p = new_project(
        company, "104", "Hemmelig", for_participants_only=True, participants=[emp2]
    )
    foreign_p = new_project(other, "101", "Fremmed prosjekt")
    for project in (open_p, closed_p, ended_p, members_p):
        new_project_activity(project, proj_act)
    _db.session.commit()
    return HoursWorld(
        company=company,
        employee=emp,
        user=new_user(company, "employee", name="Kari Nordmann", employee_id=emp.id),
        colleague=new_user(company, "employee", name="Ola Nordmann", employee_id=emp2.id),
        admin=new_user(company, "admin", name="Anne Admin"),
        approver=new_user(company, "approver", name="Berit Sjef", employee_id=boss.id),
        project=open_p,
        closed_project=closed_p,
        ended_project=ended_p,
        members_project=members_p,
        general=general,
        project_activity=proj_act,
        other_activity=other_act,
        project_general=travel,
        other_company_project=foreign_p,
        other_company_activity=foreign_act,
        day=day,
    )


@pytest.fixture
def build_hours_world(db):
    return hours_world


# ---------------------------------------------------------------- the extras scene


@dataclass
class ExtrasWorld:
    """One company with what an entry with extras needs: people, a project, activities,
    salary types and a product."""

    company: Company
    admin: User
    user: User
    employee: Employee
    project: Project
    work: Activity
    holiday: Activity
    sick: Activity
    overtime50: SalaryType
    overtime100: SalaryType
    product: Product


def extras_world(name: str | None = None) -> ExtrasWorld:
    """Build a company with master data; call again for a second, separate company."""
    company = new_company(name)
    cid = company.id
    employee = new_employee(company, email=f"kari{cid}@example.no", employee_number=f"{cid}07")
    work = new_activity(
        company, "Snekring", number="10", is_project_activity=True, is_chargeable=True
    )
    holiday = new_activity(company, "Ferie", number="3", is_project_activity=False)
    sick = new_activity(company, "Sykdom/egenmelding", number="4", is_project_activity=False)
    project = new_project(company, "1001", "Hytta")
    new_project_activity(project, work)
    world = ExtrasWorld(
        company=company,
        admin=new_user(company, "admin"),
        user=new_user(company, "employee", email=employee.email, employee_id=employee.id),
        employee=employee,
        project=project,
        work=work,
        holiday=holiday,
        sick=sick,
        overtime50=new_salary_type(company, "2005", "Overtid 50 %"),
        overtime100=new_salary_type(company, "2006", "Overtid 100 %"),
        product=new_product(company, "M1", "Skruer", "12.50"),
    )
    _db.session.commit()
    return world


@pytest.fixture
def make_extras_world(db):
    return extras_world


# ---------------------------------------------------------------- periods (tipro.approvals)


def submit_week(user: User, day: date, *, actor: User | None = None):
    """Hand in the week containing `day` through the approval service."""
    from tipro.approvals import periods, services

    return services.submit((actor or user), periods.span_of("week", day), for_user=user)


def lock_period(user: User, day: date, state: str, kind: str = "week"):
    """A period row in `state` around `day`, written directly (for guard tests)."""
    from tipro.approvals.periods import span_of
    from tipro.models import Period

    span = span_of(kind, day)
    period = Period(
        company_id=user.company_id,
        user_id=user.id,
        kind=kind,
        first_day=span.first,
        last_day=span.last,
        state=state,
    )
    _db.session.add(period)
    _db.session.commit()
    return period


def add_hours(world: HoursWorld, day: date | None = None, hours: str = "7,5", **fields):
    """Hours through the entry writer (rules apply): on the world's project unless told
    otherwise (`project=None` for general work, `user=` for someone else)."""
    from tipro.entries import services
    from tipro.entries.inputs import EntryInput

    project = fields.pop("project", world.project)
    activity = fields.pop("activity", world.project_activity if project else world.general)
    user = fields.pop("user", world.user)
    return services.save_entry(
        user,
        EntryInput(
            date=day or world.day,
            project_id=project.id if project else None,
            activity_id=activity.id,
            hours=hours,
            **fields,
        ),
    )

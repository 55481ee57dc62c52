"""Master data for the extras tests, written straight into the database."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

import pytest

from tipro.models import (
    Activity,
    Company,
    Employee,
    Product,
    Project,
    ProjectActivity,
    SalaryType,
    User,
)

_ids = itertools.count(1000)


@dataclass
class World:
    """One company with what an entry needs: people, a project, activities, salary types."""

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


def _tx() -> int:
    return next(_ids)


@pytest.fixture
def make_world(db, make_company, make_user):
    """Build a company with master data; call again for a second, separate company."""

    def make(name: str | None = None) -> World:
        company = make_company(name)
        cid = company.id
        employee = Employee(
            company_id=cid,
            tripletex_id=_tx(),
            first_name="Kari",
            last_name="Nordmann",
            email=f"kari{cid}@example.no",
            employee_number=f"{cid}07",
        )
        work = Activity(
            company_id=cid,
            tripletex_id=_tx(),
            name="Snekring",
            number="10",
            is_general=True,
            is_project_activity=True,
            is_chargeable=True,
        )
        holiday = Activity(
            company_id=cid, tripletex_id=_tx(), name="Ferie", number="3", is_general=True
        )
        sick = Activity(
            company_id=cid,
            tripletex_id=_tx(),
            name="Sykdom/egenmelding",
            number="4",
            is_general=True,
        )
        project = Project(company_id=cid, tripletex_id=_tx(), name="Hytta", number="1001")
        overtime50 = SalaryType(
            company_id=cid, tripletex_id=_tx(), number="2005", name="Overtid 50 %"
        )
        overtime100 = SalaryType(
            company_id=cid, tripletex_id=_tx(), number="2006", name="Overtid 100 %"
        )
        product = Product(
            company_id=cid,
            tripletex_id=_tx(),
            number="M1",
            name="Skruer",
            price_excluding_vat=Decimal("12.50"),
        )
        db.session.add_all(
            [employee, work, holiday, sick, project, overtime50, overtime100, product]
        )
        db.session.flush()
        db.session.add(ProjectActivity(company_id=cid, project_id=project.id, activity_id=work.id))
        db.session.commit()
        admin = make_user(company, role="admin")
        user = make_user(company, role="employee", email=employee.email, employee_id=employee.id)
        return World(
            company=company,
            admin=admin,
            user=user,
            employee=employee,
            project=project,
            work=work,
            holiday=holiday,
            sick=sick,
            overtime50=overtime50,
            overtime100=overtime100,
            product=product,
        )

    return make


@pytest.fixture
def world(make_world) -> World:
    return make_world()

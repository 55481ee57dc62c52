"""Fixtures for the report tests: one company with fixed hours around awkward dates.

`report_world` builds on the hours scene (tests/factories.py): Kari and Ola in department
Drift (led by Berit, the approver, who also manages project 101), Per in department Salg (led
by Siri), an admin, and another company with hours of its own. The entries fall on the DST
change (2026-10-24..26), a week across a month end (ISO week 49: 2026-11-30..12-06) and ISO
week 53 of 2026 (2026-12-28..2027-01-03). The totals the tests expect are worked out by hand
in EXPECTED.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.factories import (
    HoursWorld,
    hours_world,
    in_company,
    new_activity,
    new_department,
    new_employee,
    new_entry,
    new_project,
    new_salary_type,
    new_supplement_type,
    new_user,
)
from tipro.extensions import db as _db
from tipro.models import Customer, EntrySupplement

# TiPro's clock in the scene: Wednesday 2 December 2026 (this month: December).
NOW = datetime(2026, 12, 2, 12, 0)
WHOLE = {"periode": "egen", "fra": "2026-10-01", "til": "2027-01-31"}
# Hours the scene holds (admin's view), per person; Per's 8 h on project 106 are outside
# Berit's reach (Salg's project, Salg's person), his 2 h on her project 101 are inside.
TOTAL = Decimal("47.75")
APPROVER_TOTAL = Decimal("39.75")
KARI_TOTAL = Decimal("31.50")
OTHER_COMPANY_TOTAL = Decimal("9.00")
SECRET = "hemmelig-salg"  # the comment on Per's hours that Berit may not see


@dataclass
class ReportWorld:
    base: HoursWorld
    per: Any
    siri: Any
    other_admin: Any
    outsider: Any  # a user of the other company with hours
    travel: Any
    internal: Any  # project 105, internal
    sales_project: Any  # project 106, Salg's, no customer
    customer: Any
    overtime: Any
    entries: dict[str, Any] = field(default_factory=dict)

    @property
    def company(self):
        return self.base.company

    @property
    def kari(self):
        return self.base.user

    @property
    def ola(self):
        return self.base.colleague

    @property
    def admin(self):
        return self.base.admin

    @property
    def approver(self):
        return self.base.approver


def _entry(name, world, user, day, hours, project, activity, state="open", comment=""):
    world.entries[name] = new_entry(
        user,
        day,
        hours,
        project_id=project.id if project else None,
        activity_id=activity.id,
        state=state,
        comment=comment,
    )


def report_world(company_name: str | None = None) -> ReportWorld:
    """The scene (committed into the test's rolled-back transaction)."""
    base = hours_world(date(2026, 11, 18))
    company = base.company
    if company_name:
        company.name = company_name
    customer = Customer(company_id=company.id, tripletex_id=9001, name="Lia Borettslag", number=7)
    _db.session.add(customer)
    _db.session.flush()
    base.project.customer_id = customer.id
    base.project_activity.is_chargeable = True
    sales = new_department(company, "Salg")
    siri_emp = new_employee(company, "Siri", department_id=sales.id)
    per_emp = new_employee(company, "Per", last_name="Salg", department_id=sales.id)
    sales.manager_id = siri_emp.id
    internal = new_project(company, "105", "Internt", is_internal=True, customer_id=customer.id)
    sales_project = new_project(company, "106", "Salgsmøter", project_manager_id=siri_emp.id)
    travel = base.project_general  # «Reisetid»: not chargeable
    overtime_salary = new_salary_type(company, "2005", "Overtid 50 %")
    overtime = new_supplement_type(company, "Overtid 50 %", salary_type_id=overtime_salary.id)
    _db.session.commit()
    per = new_user(company, "employee", name="Per Salg", employee_id=per_emp.id)
    siri = new_user(company, "approver", name="Siri Salg", employee_id=siri_emp.id)
    other = hours_world(date(2026, 11, 18))
    # The other company's people must not share our names: the pages list who one may pick.
    other.user.name, other.colleague.name, other.approver.name = "Fru A", "Herr B", "Sjef C"
    outsider = new_user(other.company, "employee", name="Fremmed Person")
    world = ReportWorld(
        base, per, siri, other.admin, outsider, travel, internal, sales_project, customer, overtime
    )
    kari, ola, p101, work, general = (
        base.user,
        base.colleague,
        base.project,
        base.project_activity,
        base.general,
    )
    with in_company(company, NOW):
        # Around the DST change (Sunday 25 October 2026, 03:00 → 02:00).
        _entry("k-1024", world, kari, date(2026, 10, 24), "2.0", p101, work)
        _entry("k-1025", world, kari, date(2026, 10, 25), "3.0", None, general, "submitted")
        _entry("o-1025", world, ola, date(2026, 10, 25), "1.25", None, general)
        _entry("k-1026", world, kari, date(2026, 10, 26), "7.5", p101, work, "approved")
        # ISO week 49 across the month end.
        _entry("k-1130", world, kari, date(2026, 11, 30), "7.5", p101, work, "approved")
        _entry("k-1201", world, kari, date(2026, 12, 1), "4.0", internal, work, "transferred")
        # ISO week 53 of 2026, across the year end.
        _entry("p-1229", world, per, date(2026, 12, 29), "8.0", sales_project, work, comment=SECRET)
        _entry("k-1230", world, kari, date(2026, 12, 30), "6.0", p101, work)
        _entry("p-1230", world, per, date(2026, 12, 30), "2.0", p101, work)
        _entry("o-1231", world, ola, date(2026, 12, 31), "5.0", p101, work)
        _entry("k-0102", world, kari, date(2027, 1, 2), "1.5", p101, travel)
        for name, quantity in (("k-1130", "2.0"), ("o-1231", "1.5")):
            _db.session.add(
                EntrySupplement(
                    company_id=company.id,
                    entry_id=world.entries[name].id,
                    supplement_type_id=overtime.id,
                    quantity=Decimal(quantity),
                )
            )
        _db.session.commit()
    foreign = new_activity(other.company, "Fremmed arbeid")
    with in_company(other.company, NOW):
        new_entry(outsider, date(2026, 12, 30), "9.0", activity_id=foreign.id, comment="fremmed")
    return world


@pytest.fixture
def world(db, frozen_clock):
    frozen_clock(NOW)
    return report_world()


@pytest.fixture
def as_user(app, db):
    """A test client of its own, logged in as `user` (through the log-in form)."""
    from tests.conftest import TEST_PASSWORD

    def login(user):
        client = app.test_client()
        response = client.post("/logg-inn", data={"email": user.email, "password": TEST_PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return login

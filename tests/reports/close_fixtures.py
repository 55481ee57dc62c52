"""The month close scene: November 2026, today Wednesday 18 November (tests.factories.DAY).

Company hands in weeks, 37.5 h a week. November 2026 has 21 working days (no public holiday).
Department Bygg is managed by Berit (approver); Anlegg by Jonas (approver).

- Kari (Bygg, full time, 7.5 h/day): work 7.5 h Nov 2–13 (75 h), holiday 7.5 h Nov 16–17 (15 h),
  2 h of «Overtid 50 %» on Nov 10; week 45 approved, week 46 handed in (waiting).
  Normal 157.5, registered 90, absence 15, missing 0, overtime 2, flex −67.5.
- Per (Bygg, 80 %: 6 h/day): 6 h Nov 2–6; nothing Nov 9–17 → 7 missing days; weeks 45 and 46
  not handed in. Normal 126, registered 30, flex −96.
- Nina (Bygg, full time from Monday 16 November): 7.5 h Nov 16–17. Normal 82.5 (11 days),
  registered 15, missing 0, weeks 45/46 not hers to hand in. Flex −67.5.
- Eva (no Tripletex employee, role employee, TiPro approver Berit): full time, no hours →
  12 missing days, weeks 45 and 46 not handed in. Normal 157.5, flex −157.5.
- Ola (Anlegg, full time): 7.5 h Nov 2–17 plus 2 h on Nov 3 (92 h); weeks 45, 46 approved.
- Berit and Jonas (approvers linked to employees, no department, no hours); Anne (admin, no
  employee: keeps no hours, never in the close).
- Another company with its own admin and a person with hours (never seen).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from tests.factories import (
    DAY,
    lock_period,
    new_absence_type,
    new_activity,
    new_company,
    new_department,
    new_employee,
    new_entry,
    new_salary_type,
    new_supplement_type,
    new_user,
)
from tipro.extensions import db as _db
from tipro.models import (
    ClosureDay,
    Company,
    EntryAbsence,
    EntrySupplement,
    SupplementType,
    TimeEntry,
    User,
)

MONTH = "2026-11"


def weekdays(first: date, last: date) -> list[date]:
    return [
        first + timedelta(days=i)
        for i in range((last - first).days + 1)
        if (first + timedelta(days=i)).weekday() < 5
    ]


def details(*rows: tuple[str, str]) -> list[list[str]]:
    """Employment details as the sync stores them: [[date, percentage], ...]."""
    return [[day, percentage] for day, percentage in rows]


@dataclass
class CloseWorld:
    company: Company
    other: Company
    kari: User
    per: User
    nina: User
    eva: User
    ola: User
    berit: User
    jonas: User
    admin: User
    other_admin: User
    stranger: User
    overtime: SupplementType
    work: object
    holiday_type: object

    def work_day(self, user: User, day: date, hours: str = "7.5") -> TimeEntry:
        return new_entry(user, day, hours, activity_id=self.work.id)

    def absence_day(self, user: User, day: date, hours: str = "7.5") -> TimeEntry:
        entry = new_entry(
            user, day, hours, activity_id=self.holiday_type.activity_id, kind="absence"
        )
        _db.session.add(
            EntryAbsence(
                company_id=user.company_id, entry_id=entry.id, absence_type_id=self.holiday_type.id
            )
        )
        _db.session.commit()
        return entry

    def close_company(self, first: date, last: date, name: str) -> None:
        for day in weekdays(first, last):
            _db.session.add(ClosureDay(company_id=self.company.id, date=day, name=name))
        _db.session.commit()


def person(company, department, first_name: str, **employee_fields) -> User:
    employee = new_employee(
        company,
        first_name,
        department_id=department.id if department else None,
        employment_start=employee_fields.pop("employment_start", date(2015, 1, 1)),
        **employee_fields,
    )
    return new_user(company, "employee", name=f"{first_name} Nordmann", employee_id=employee.id)


def close_world() -> CloseWorld:
    """Build the scene (committed into the test's transaction); see the module doc."""
    company = new_company(approval_period="week")
    other = new_company()
    bygg = new_department(company, "Bygg")
    anlegg = new_department(company, "Anlegg")
    berit_emp = new_employee(company, "Berit", employment_start=date(2010, 1, 1))
    jonas_emp = new_employee(company, "Jonas", employment_start=date(2010, 1, 1))
    bygg.manager_id = berit_emp.id
    anlegg.manager_id = jonas_emp.id
    berit = new_user(company, "approver", name="Berit Sjef", employee_id=berit_emp.id)
    jonas = new_user(company, "approver", name="Jonas Sjef", employee_id=jonas_emp.id)
    kari = person(company, bygg, "Kari", employment_percentage=Decimal("100"))
    per = person(
        company,
        bygg,
        "Per",
        employment_percentage=Decimal("80"),
        employment_details=details(("2015-01-01", "80.00")),
    )
    nina = person(company, bygg, "Nina", employment_start=date(2026, 11, 16))
    ola = person(company, anlegg, "Ola")
    eva = new_user(company, "employee", name="Eva Uten", approver_id=berit.id)
    admin = new_user(company, "admin", name="Anne Admin")
    work = new_activity(company, "Arbeid")
    holiday_activity = new_activity(company, "Ferie")
    holiday_type = new_absence_type(company, "Ferie", holiday_activity)
    overtime = new_supplement_type(
        company, "Overtid 50 %", salary_type_id=new_salary_type(company, "2005", "Overtid 50 %").id
    )
    other_admin = new_user(other, "admin", name="Fremmed Admin")
    stranger_emp = new_employee(other, "Fremmed", employment_start=date(2015, 1, 1))
    stranger = new_user(other, "employee", name="Fremmed Person", employee_id=stranger_emp.id)
    _db.session.commit()
    world = CloseWorld(
        company,
        other,
        kari,
        per,
        nina,
        eva,
        ola,
        berit,
        jonas,
        admin,
        other_admin,
        stranger,
        overtime,
        work,
        holiday_type,
    )
    # Kari
    for day in weekdays(date(2026, 11, 2), date(2026, 11, 13)):
        entry = world.work_day(kari, day)
        if day == date(2026, 11, 10):
            _db.session.add(
                EntrySupplement(
                    company_id=company.id,
                    entry_id=entry.id,
                    supplement_type_id=overtime.id,
                    quantity=Decimal("2"),
                )
            )
    for day in (date(2026, 11, 16), date(2026, 11, 17)):
        world.absence_day(kari, day)
    lock_period(kari, date(2026, 11, 4), "approved")
    lock_period(kari, date(2026, 11, 11), "submitted")
    # Per, Nina, Ola
    for day in weekdays(date(2026, 11, 2), date(2026, 11, 6)):
        world.work_day(per, day, "6")
    for day in (date(2026, 11, 16), date(2026, 11, 17)):
        world.work_day(nina, day)
    for day in weekdays(date(2026, 11, 2), date(2026, 11, 17)):
        world.work_day(ola, day)
    world.work_day(ola, date(2026, 11, 3), "2")
    lock_period(ola, date(2026, 11, 4), "approved")
    lock_period(ola, date(2026, 11, 11), "approved")
    # The other company
    other_work = new_activity(other, "Arbeid")
    for day in weekdays(date(2026, 11, 2), date(2026, 11, 6)):
        new_entry(stranger, day, "9", activity_id=other_work.id)
    _db.session.commit()
    return world


assert DAY == date(2026, 11, 18)  # the scene is written around it

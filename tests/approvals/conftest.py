"""Fixtures for the approval tests: the demo company connected to the sandbox and synced.

`tx_world` is Fjellheim Bygg AS as TiPro sees it after a full sync over real HTTP: Kari Hansen
(employee, department Bygg), Ola Nordmann (colleague, project manager of 1002 and 1005), Jonas
Kristiansen (approver: manager of Bygg and of projects 1001 and 1004), Ingrid Fjellheim (admin),
the synced projects, activities, salary types and products, a supplement type and an absence
type mapped for the transfer, and both clocks (TiPro's and the sandbox's) pinned to DAY noon.
It changes the sandbox the way someone working in Tripletex would (`tripletex_update`, …).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
from sqlalchemy import select

from tests.factories import DAY, in_company, new_user
from tests.sync.conftest import connected, tx_app  # noqa: F401 (the sync tests' fixtures, reused)
from tipro.extensions import db as _db
from tipro.models import (
    AbsenceType,
    Activity,
    EntryAbsence,
    EntrySupplement,
    Product,
    Project,
    SalaryType,
    SupplementType,
    TimeEntry,
    User,
)

# DAY at noon in Oslo (UTC+1 in November).
SANDBOX_NOW = datetime(DAY.year, DAY.month, DAY.day, 11, 0, tzinfo=UTC)


@dataclass
class TxWorld:
    """The synced demo company; see the module docstring."""

    company: Any
    sandbox: Any
    employee: User
    colleague: User
    approver: User
    admin: User
    projects: dict[str, Project] = field(default_factory=dict)  # by number
    activities: dict[str, Activity] = field(default_factory=dict)  # by name
    salary_types: dict[str, SalaryType] = field(default_factory=dict)  # by number
    products: dict[str, Product] = field(default_factory=dict)  # by number
    overtime: SupplementType | None = None  # hours → salary type 2005 (shown in timesheet)
    holiday: AbsenceType | None = None  # «Ferie» → the general activity «Ferie»
    day: date = DAY

    # ----- Tripletex (the sandbox), changed as someone working there would

    def tx_id(self, kind: str, **match: Any) -> int:
        """The sandbox id of the one object of `kind` whose fields equal `match`."""
        found = [
            obj
            for obj in self.sandbox.state.all(kind)
            if all(obj.get(key) == value for key, value in match.items())
        ]
        assert len(found) == 1, (kind, match, len(found))
        return found[0]["id"]

    def tx_get(self, kind: str, obj_id: int) -> dict:
        """A sandbox object as stored."""
        return self.sandbox.state.get(kind, obj_id)

    def _control(self, method: str, path: str, body: dict | None = None) -> Any:
        response = requests.request(
            method, f"{self.sandbox.root_url}/_sandbox{path}", json=body, timeout=10
        )
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def tripletex_update(self, kind: str, obj_id: int, **fields: Any) -> dict:
        """Change an object in Tripletex (None removes a field)."""
        return self._control("PATCH", f"/data/{kind}/{obj_id}", fields)["value"]

    def tripletex_delete(self, kind: str, obj_id: int) -> None:
        """Delete an object in Tripletex."""
        self._control("DELETE", f"/data/{kind}/{obj_id}")

    def tripletex_approve_month(
        self, employee_tx_id: int, month: str, *, until: date | None = None, approved=True
    ) -> dict:
        """A manager approves (or unapproves) the employee's month in Tripletex."""
        body = {"employeeId": employee_tx_id, "monthYear": month, "approved": approved}
        if until is not None:
            body["approvedUntilDate"] = until.isoformat()
        return self._control("POST", "/timesheet/month", body)["value"]

    def tripletex_faults(self, plan: dict) -> None:
        """Set the sandbox's fault plan (see tipro.sandbox.control.faults_set)."""
        self._control("POST", "/faults", plan)

    def tripletex_modules(self, **modules: bool) -> None:
        """Switch modules, e.g. salary=False (its endpoints answer 403)."""
        self._control("POST", "/modules", modules)

    # ----- TiPro

    def sync(self) -> None:
        """A full sync of master data, as the admin's «Synkroniser alt»."""
        from tipro.sync.services import run_inline

        run = run_inline(self.company.id, full=True)
        assert run.status == "done", run.error_message
        self.reload()

    def reload(self) -> None:
        """Re-read the synced rows into the lookup dicts."""
        session = _db.session
        self.projects = {p.number: p for p in session.scalars(select(Project))}
        self.activities = {a.name: a for a in session.scalars(select(Activity))}
        self.salary_types = {s.number: s for s in session.scalars(select(SalaryType))}
        self.products = {p.number: p for p in session.scalars(select(Product))}
        for user in (self.employee, self.colleague, self.approver, self.admin):
            session.refresh(user)

    def entry(
        self,
        user: User | None = None,
        day: date | None = None,
        hours: str = "7.5",
        *,
        project: str | Project | None = "1001",
        activity: str | Activity = "Snekring",
        state: str = "submitted",
        **fields: Any,
    ) -> TimeEntry:
        """An entry as a row (no rules): `project` by number (None: without project)."""
        user = user or self.employee
        if isinstance(project, str):
            project = self.projects[project]
        if isinstance(activity, str):
            activity = self.activities[activity]
        row = TimeEntry(
            company_id=user.company_id,
            uuid=str(uuid.uuid4()),
            user_id=user.id,
            employee_id=user.employee_id,
            created_by_id=user.id,
            date=day or self.day,
            hours=Decimal(hours),
            project_id=project.id if project is not None else None,
            activity_id=activity.id if activity is not None else None,
            state=state,
            source="web",
            **fields,
        )
        _db.session.add(row)
        _db.session.flush()
        return row

    def supplement(
        self, entry: TimeEntry, stype: SupplementType, quantity: str = "2", **fields
    ) -> EntrySupplement:
        """A supplement on an entry."""
        row = EntrySupplement(
            company_id=entry.company_id,
            entry_id=entry.id,
            supplement_type_id=stype.id,
            quantity=Decimal(quantity),
            **fields,
        )
        _db.session.add(row)
        _db.session.flush()
        return row

    def absence(
        self, day: date | None = None, hours: str = "7.5", atype: AbsenceType | None = None
    ) -> TimeEntry:
        """An absence entry (on the type's activity, without project)."""
        atype = atype or self.holiday
        row = self.entry(
            day=day, hours=hours, project=None, activity=atype.activity, kind="absence"
        )
        _db.session.add(
            EntryAbsence(company_id=row.company_id, entry_id=row.id, absence_type_id=atype.id)
        )
        _db.session.flush()
        return row

    def supplement_type(self, name: str, **fields: Any) -> SupplementType:
        """A supplement type the admin defined."""
        row = SupplementType(company_id=self.company.id, name=name, **fields)
        _db.session.add(row)
        _db.session.flush()
        return row

    def absence_type(self, name: str, **fields: Any) -> AbsenceType:
        """An absence type the admin defined."""
        fields.setdefault("code", "annet")
        row = AbsenceType(company_id=self.company.id, name=name, **fields)
        _db.session.add(row)
        _db.session.flush()
        return row


@pytest.fixture
def tx_world(connected, db, sandbox):  # noqa: F811 (the imported fixture)
    """The demo company connected and synced, inside its scope with the clocks at DAY noon."""
    sandbox.state.set_now(SANDBOX_NOW)
    company = connected
    people = {
        "employee": new_user(company, "employee", email="kari@fjellheimbygg.no", name="Kari"),
        "colleague": new_user(company, "employee", email="ola@fjellheimbygg.no", name="Ola"),
        "approver": new_user(company, "approver", email="jonas@fjellheimbygg.no", name="Jonas"),
        "admin": new_user(company, "admin", email="ingrid@fjellheimbygg.no", name="Ingrid"),
    }
    with in_company(company):
        world = TxWorld(company=company, sandbox=sandbox, **people)
        world.sync()
        assert world.employee.employee_id is not None, "the sync links users by e-mail"
        world.overtime = world.supplement_type(
            "Overtid 50 %", unit="hours", salary_type_id=world.salary_types["2005"].id
        )
        world.holiday = world.absence_type(
            "Ferie", code="ferie", activity_id=world.activities["Ferie"].id
        )
        _db.session.commit()
        yield world
    sandbox.state.set_now(None)

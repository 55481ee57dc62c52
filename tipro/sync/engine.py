"""The master-data engine: Tripletex is the master. Upsert by Tripletex id; never delete a row.

Each data type is fetched first (no database transaction open during the HTTP calls), then
written in one short transaction. Incremental runs ask with If-None-Match (304 = nothing to
do) and, for customers, changedSince; a changed list comes back whole, so deletions are found
by set difference then, as in every full run. Webhook deliveries become SyncPendingChange rows
that a run refreshes by id.

Reads go through the typed API (tipro.tripletex.api). The engine runs inside a company scope
(entered by the job, tipro.jobs.company_job), so its queries need no company filter; inserts
name the company, and bulk DELETEs (which the scope does not cover) filter by it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from tipro.clock import today as oslo_today
from tipro.models import (
    Activity,
    Customer,
    Department,
    Division,
    Employee,
    HourlyRate,
    Product,
    Project,
    ProjectActivity,
    ProjectParticipant,
    SalaryType,
    User,
    VatType,
    utcnow,
)
from tipro.models.sync import SyncCursor, SyncPendingChange
from tipro.tripletex.client import TripletexClient
from tipro.tripletex.errors import NeedsReconnect, PermissionDenied, TripletexError
from tipro.tripletex.redact import redact
from tipro.tripletex.types import ListResult

log = logging.getLogger(__name__)

# Order matters: references point backwards (employees → departments, projects → customers…).
DATA_TYPES = (
    "divisions",
    "departments",
    "employees",
    "customers",
    "activities",
    "projects",
    "salary_types",
    "vat_types",
    "products",
    "hourly_rates",
    "vacation",  # optional: a Tripletex error here is logged and skipped (sync_vacation)
)
# Webhook subjects and the data type they refresh.
WEBHOOK_SUBJECTS = {
    "employee": "employees",
    "customer": "customers",
    "project": "projects",
    "product": "products",
}
# In checksum mode any non-empty If-None-Match makes Tripletex return a real versionDigest.
PRIME_DIGEST = "tipro"
# changedSince is asked a little early: our clock and Tripletex's may disagree slightly.
CHANGED_SINCE_OVERLAP = timedelta(minutes=2)
# Vacation balances are read from the month status, this many employee ids per request.
VACATION_CHUNK = 100
VACATION_FIELDS = "employee(id),vacationSummary(outgoingVacationBalance)"


@dataclass
class Counts:
    """What one step did."""

    created: int = 0
    updated: int = 0
    deactivated: int = 0
    not_modified: bool = False
    api_calls: int = 0


@dataclass
class _Fetched:
    """A list as fetched: rows, whether it is complete (set difference allowed), digest."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = False
    digest: str | None = None
    not_modified: bool = False
    missing_ids: set[int] = field(default_factory=set)  # asked for by id but not returned


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _ref_id(obj: dict[str, Any] | None, key: str) -> int | None:
    ref = (obj or {}).get(key)
    return ref.get("id") if isinstance(ref, dict) else None


def pick_employment(employments: list[dict[str, Any]], today: date) -> tuple[dict | None, bool]:
    """The employment covering today (active) or else the latest one (inactive)."""
    covering, latest = None, None
    for emp in employments or []:
        start = _date(emp.get("startDate"))
        end = _date(emp.get("endDate"))
        if start and start <= today and (end is None or end >= today):
            covering = emp
        if latest is None or (start or date.min) > (_date(latest.get("startDate")) or date.min):
            latest = emp
    return (covering, True) if covering else (latest, False)


def employment_percentages(
    employment: dict[str, Any], today: date
) -> tuple[Decimal | None, list[list[str]] | None]:
    """(percentage of full time valid today, every details row as [date, percentage]).

    Details without a date or a percentage are left out; before the first details row the
    first one applies (the month close reads the list: tipro.worktime).
    """
    rows = []
    for details in employment.get("employmentDetails") or []:
        day = _date(details.get("date")) or _date(employment.get("startDate"))
        percentage = _dec(details.get("percentageOfFullTimeEquivalent"))
        if day is not None and percentage is not None:
            rows.append((day, percentage.quantize(Decimal("0.01"))))
    if not rows:
        return None, None
    rows.sort()
    current = rows[0][1]
    for day, percentage in rows:
        if day <= today:
            current = percentage
    return current, [[day.isoformat(), str(percentage)] for day, percentage in rows]


class MasterDataSync:
    """Syncs one company's master data with one client; the caller owns the run bookkeeping."""

    def __init__(
        self,
        session: Session,
        company_id: int,
        client: TripletexClient,
        *,
        today: date | None = None,
    ) -> None:
        self.session = session
        self.company_id = company_id
        self.client = client
        self.today = today or oslo_today()
        self._department_managers: dict[int, int | None] | None = None

    # ----- fetch helpers (no transaction may be open while these run) -----------------------

    def _cursor(self, data_type: str) -> SyncCursor:
        cursor = self.session.scalar(select(SyncCursor).where(SyncCursor.data_type == data_type))
        if cursor is None:
            cursor = SyncCursor(company_id=self.company_id, data_type=data_type)
            self.session.add(cursor)
        return cursor

    def _stored_digest(self, data_type: str, full: bool) -> str:
        if full:
            return PRIME_DIGEST
        cursor = self._cursor(data_type)
        digest = cursor.version_digest or PRIME_DIGEST
        self.session.commit()  # end the read transaction before going to Tripletex
        return digest

    def _list(self, data_type: str, full: bool, call: Callable[[str], ListResult[Any]]) -> _Fetched:
        """A whole list by `call(if_none_match)`; a 304 means unchanged since the last run."""
        digest = self._stored_digest(data_type, full)
        result = call(digest)
        if result.not_modified:
            return _Fetched(not_modified=True, digest=digest)
        return _Fetched(list(result.values), complete=True, digest=result.version_digest)

    @staticmethod
    def _by_ids(ids: set[int], result: ListResult[Any]) -> _Fetched:
        """Objects asked for by id; the ids not returned are gone (deleted or inactive)."""
        rows = list(result.values)
        return _Fetched(rows, complete=False, missing_ids=ids - {r["id"] for r in rows})

    def _fetch(
        self,
        data_type: str,
        full: bool,
        ids: set[int] | None,
        call: Callable[..., ListResult[Any]],
        **by_id_params: Any,
    ) -> _Fetched:
        """The objects webhooks named (`ids`), else the whole list asked with If-None-Match."""
        if ids is not None:
            return self._by_ids(ids, call(ids=ids, **by_id_params))
        return self._list(data_type, full, lambda digest: call(if_none_match=digest))

    # ----- generic upsert -------------------------------------------------------------------

    def _existing(self, model) -> dict[int, Any]:
        return {row.tripletex_id: row for row in self.session.scalars(select(model))}

    def _id_map(self, model) -> dict[int, int]:
        rows = self.session.execute(select(model.tripletex_id, model.id))
        return {tx_id: local_id for tx_id, local_id in rows}

    def _upsert(
        self,
        model,
        fetched: _Fetched,
        mapper: Callable[[dict], dict[str, Any]],
        after: Callable[[Any, dict, bool], bool] | None = None,
    ) -> Counts:
        """Insert or update rows; deactivate rows missing from a complete list or deleted ones."""
        counts = Counts()
        now = utcnow()
        existing = self._existing(model)
        seen: set[int] = set()
        for raw in fetched.rows:
            seen.add(raw["id"])
            values = mapper(raw)
            values["tripletex_version"] = raw.get("version")
            obj = existing.get(raw["id"])
            if obj is None:
                obj = model(company_id=self.company_id, tripletex_id=raw["id"], **values)
                obj.synced_at = now
                self.session.add(obj)
                existing[raw["id"]] = obj
                if after:
                    after(obj, raw, True)
                counts.created += 1
                continue
            changed = False
            for key, value in values.items():
                if getattr(obj, key) != value:
                    setattr(obj, key, value)
                    changed = True
            if after and after(obj, raw, False):
                changed = True
            if changed:
                obj.synced_at = now
                counts.updated += 1
        gone = fetched.missing_ids | (set(existing) - seen if fetched.complete else set())
        for tx_id in gone:
            obj = existing.get(tx_id)
            if obj is not None and obj.is_active:
                # Never deleted: hours may refer to it. Inactive rows leave the pickers.
                obj.is_active = False
                obj.synced_at = now
                counts.deactivated += 1
        return counts

    def _finish(self, data_type: str, fetched: _Fetched, counts: Counts, full: bool) -> Counts:
        if fetched.complete and fetched.digest:
            cursor = self._cursor(data_type)
            cursor.version_digest = fetched.digest
            if full:
                cursor.last_full_at = utcnow()
        counts.not_modified = fetched.not_modified
        return counts

    def _whole_list(
        self,
        data_type: str,
        model,
        full: bool,
        call: Callable[[str], ListResult[Any]],
        mapper: Callable[[dict], dict[str, Any]],
    ) -> Counts:
        """A type fetched as one list and upserted as it is (no references to fix up after)."""
        fetched = self._list(data_type, full, call)
        if fetched.not_modified:
            return Counts(not_modified=True)
        return self._finish(data_type, fetched, self._upsert(model, fetched, mapper), full)

    # ----- data types -----------------------------------------------------------------------

    def sync_divisions(self, full: bool) -> Counts:
        """Divisions (virksomheter)."""
        return self._whole_list(
            "divisions",
            Division,
            full,
            lambda digest: self.client.list_divisions(if_none_match=digest),
            lambda r: {
                "name": r.get("name") or "",
                "organization_number": r.get("organizationNumber"),
                "is_active": _date(r.get("endDate")) is None or _date(r["endDate"]) >= self.today,
            },
        )

    def sync_departments(self, full: bool) -> Counts:
        """Departments; their managers are set after employees are in."""
        fetched = self._list(
            "departments", full, lambda digest: self.client.list_departments(if_none_match=digest)
        )
        if fetched.not_modified:
            return Counts(not_modified=True)
        self._department_managers = {r["id"]: _ref_id(r, "departmentManager") for r in fetched.rows}
        counts = self._upsert(
            Department,
            fetched,
            lambda r: {
                "name": r.get("name") or "",
                "number": r.get("departmentNumber"),
                "is_active": not r.get("isInactive", False),
            },
        )
        return self._finish("departments", fetched, counts, full)

    def _employee_mapper(self) -> Callable[[dict], dict[str, Any]]:
        departments = self._id_map(Department)
        divisions = self._id_map(Division)

        def mapper(r: dict) -> dict[str, Any]:
            employment, active = pick_employment(r.get("employments") or [], self.today)
            employment = employment or {}
            percentage, details = employment_percentages(employment, self.today)
            return {
                "first_name": r.get("firstName") or "",
                "last_name": r.get("lastName") or "",
                "email": r.get("email") or None,
                "employee_number": r.get("employeeNumber") or None,
                "department_id": departments.get(_ref_id(r, "department")),
                "division_id": divisions.get(_ref_id(employment, "division")),
                "employment_start": _date(employment.get("startDate")),
                "employment_end": _date(employment.get("endDate")),
                "employment_percentage": percentage,
                "employment_details": details,
                "is_active": active,
            }

        return mapper

    def sync_employees(self, full: bool, ids: set[int] | None = None) -> Counts:
        """Employees (contacts excluded); active = an employment covers today."""
        fetched = self._fetch(
            "employees", full, ids, self.client.list_employees, include_contacts=None
        )
        counts = Counts(not_modified=True)
        if not fetched.not_modified:
            counts = self._upsert(Employee, fetched, self._employee_mapper())
            self._finish("employees", fetched, counts, full)
        counts.deactivated += self._expire_employments()
        self._apply_department_managers()
        self._link_users()
        return counts

    def _expire_employments(self) -> int:
        """Time passes without Tripletex changing: an employment that ended makes it inactive."""
        rows = self.session.scalars(
            select(Employee).where(
                Employee.is_active.is_(True),
                Employee.employment_end.is_not(None),
                Employee.employment_end < self.today,
            )
        )
        count = 0
        for employee in rows:
            employee.is_active = False
            count += 1
        return count

    def _apply_department_managers(self) -> None:
        if self._department_managers is None:
            return
        employees = self._id_map(Employee)
        for dep in self._existing(Department).values():
            if dep.tripletex_id in self._department_managers:
                manager = employees.get(self._department_managers[dep.tripletex_id])
                if dep.manager_id != manager:
                    dep.manager_id = manager
        self._department_managers = None

    def _link_users(self) -> None:
        """Link TiPro users to synced employees by e-mail (case-insensitive)."""
        by_email = {
            email.lower(): emp_id
            for emp_id, email in self.session.execute(
                select(Employee.id, Employee.email).where(Employee.email.is_not(None))
            )
        }
        users = self.session.scalars(select(User).where(User.employee_id.is_(None)))
        for user in users:
            emp_id = by_email.get(user.email.lower())
            if emp_id is not None:
                user.employee_id = emp_id

    def sync_customers(self, full: bool, ids: set[int] | None = None) -> Counts:
        """Customers: changedSince for changes, a 304 check of the active list for deletions."""

        def mapper(r: dict) -> dict[str, Any]:
            return {
                "name": r.get("name") or "",
                "number": r.get("customerNumber"),
                "organization_number": r.get("organizationNumber"),
                "email": r.get("email") or None,
                "is_active": not r.get("isInactive", False),
            }

        if ids is not None:
            fetched = self._by_ids(ids, self.client.list_customers(ids=ids, include_inactive=False))
            # Absent from the (active-only) answer: deleted or made inactive; both mean inactive.
            return self._upsert(Customer, fetched, mapper)

        cursor = self._cursor("customers")
        since = cursor.changed_since
        digest = PRIME_DIGEST if full else (cursor.version_digest or PRIME_DIGEST)
        self.session.commit()
        started = utcnow()
        calls = 0
        counts = Counts()
        if not full and since is not None:
            changed = self.client.list_customers(
                changed_since=since - CHANGED_SINCE_OVERLAP, include_inactive=True
            )
            calls += changed.calls
            counts = self._upsert(Customer, _Fetched(list(changed.values)), mapper)
            self.session.commit()
        # The active list (same request as a full sync's, so its digest matches): 304 when
        # nothing changed; otherwise it is complete and set difference finds deletions.
        active = self.client.list_customers(include_inactive=False, if_none_match=digest)
        calls += active.calls
        rows: list[dict] = []
        if not active.not_modified:
            rows = list(active.values)
            if full or since is None:
                inactive = self.client.list_customers(inactive_only=True)
                calls += inactive.calls
                rows.extend(inactive.values)
        if active.not_modified:
            fetched = _Fetched(not_modified=True)
        elif full or since is None:
            fetched = _Fetched(rows, complete=True, digest=active.version_digest)
        else:
            # Only the active list is complete here: set difference over active rows only.
            fetched = _Fetched(rows, complete=False, digest=active.version_digest)
            active_ids = {r["id"] for r in rows}
            fetched.missing_ids = {
                tx_id
                for (tx_id,) in self.session.execute(
                    select(Customer.tripletex_id).where(Customer.is_active.is_(True))
                )
                if tx_id not in active_ids
            }
        more = self._upsert(Customer, fetched, mapper)
        counts.created += more.created
        counts.updated += more.updated
        counts.deactivated += more.deactivated
        cursor = self._cursor("customers")
        cursor.changed_since = started
        if not fetched.not_modified and active.version_digest:
            cursor.version_digest = active.version_digest
        if full:
            cursor.last_full_at = started
        counts.not_modified = fetched.not_modified and counts.created + counts.updated == 0
        counts.api_calls = calls
        return counts

    def sync_activities(self, full: bool) -> Counts:
        """Activities: general and project activities, chargeable, rate."""
        return self._whole_list(
            "activities",
            Activity,
            full,
            lambda digest: self.client.list_activities(if_none_match=digest),
            lambda r: {
                "name": r.get("name") or "",
                "number": r.get("number") or None,
                "is_general": bool(r.get("isGeneral")),
                "is_project_activity": bool(r.get("isProjectActivity")),
                "is_chargeable": bool(r.get("isChargeable")),
                "rate": _dec(r.get("rate")),
                "is_active": not r.get("isDisabled", False),
            },
        )

    def sync_projects(self, full: bool, ids: set[int] | None = None) -> Counts:
        """Projects with participants and project activities."""
        fetched = self._fetch("projects", full, ids, self.client.list_projects)
        if fetched.not_modified:
            return Counts(not_modified=True)
        customers = self._id_map(Customer)
        employees = self._id_map(Employee)
        departments = self._id_map(Department)
        activities = self._id_map(Activity)
        # Load children up front: one query each instead of one per project.
        # (kept in a local so the identity map holds them while _upsert runs)
        preloaded = list(
            self.session.scalars(
                select(Project).options(
                    selectinload(Project.participants), selectinload(Project.project_activities)
                )
            )
        )

        def mapper(r: dict) -> dict[str, Any]:
            return {
                "name": r.get("name") or "",
                "number": r.get("number") or None,
                "customer_id": customers.get(_ref_id(r, "customer")),
                "project_manager_id": employees.get(_ref_id(r, "projectManager")),
                "department_id": departments.get(_ref_id(r, "department")),
                "start_date": _date(r.get("startDate")),
                "end_date": _date(r.get("endDate")),
                "is_closed": bool(r.get("isClosed")),
                "is_internal": bool(r.get("isInternal")),
                "is_fixed_price": bool(r.get("isFixedPrice")),
                "for_participants_only": bool(r.get("forParticipantsOnly")),
                "is_active": True,
            }

        def children(project: Project, raw: dict, created: bool) -> bool:
            changed = False
            wanted_people = {}
            for part in raw.get("participants") or []:
                emp = employees.get(_ref_id(part, "employee"))
                if emp is not None:
                    wanted_people[emp] = part.get("id")
            current = {p.employee_id: p for p in project.participants}
            for emp_id, part in list(current.items()):
                if emp_id not in wanted_people:
                    project.participants.remove(part)
                    changed = True
            for emp_id, tx_id in wanted_people.items():
                if emp_id not in current:
                    project.participants.append(
                        ProjectParticipant(
                            company_id=self.company_id, employee_id=emp_id, tripletex_id=tx_id
                        )
                    )
                    changed = True
            wanted_acts = {}
            for pa in raw.get("projectActivities") or []:
                act = activities.get(_ref_id(pa, "activity"))
                if act is not None:
                    wanted_acts[act] = {
                        "tripletex_id": pa.get("id"),
                        "start_date": _date(pa.get("startDate")),
                        "end_date": _date(pa.get("endDate")),
                        "is_closed": bool(pa.get("isClosed")),
                    }
            current_acts = {a.activity_id: a for a in project.project_activities}
            for act_id, link in list(current_acts.items()):
                if act_id not in wanted_acts:
                    project.project_activities.remove(link)
                    changed = True
            for act_id, values in wanted_acts.items():
                link = current_acts.get(act_id)
                if link is None:
                    project.project_activities.append(
                        ProjectActivity(company_id=self.company_id, activity_id=act_id, **values)
                    )
                    changed = True
                    continue
                for key, value in values.items():
                    if getattr(link, key) != value:
                        setattr(link, key, value)
                        changed = True
            return changed

        counts = self._upsert(Project, fetched, mapper, children)
        del preloaded
        return self._finish("projects", fetched, counts, full)

    def sync_salary_types(self, full: bool) -> Counts:
        """Salary types (read-only in Tripletex)."""
        return self._whole_list(
            "salary_types",
            SalaryType,
            full,
            lambda digest: self.client.list_salary_types(if_none_match=digest),
            lambda r: {
                "number": r.get("number") or None,
                "name": r.get("name") or "",
                "show_in_timesheet": bool(r.get("showInTimesheet")),
                "is_active": True,
            },
        )

    def sync_vat_types(self, full: bool) -> Counts:
        """VAT types (all of them: products may point to any)."""
        return self._whole_list(
            "vat_types",
            VatType,
            full,
            lambda digest: self.client.list_vat_types(type_of_vat=None, if_none_match=digest),
            lambda r: {
                "number": r.get("number") or None,
                "name": r.get("name") or "",
                "percentage": _dec(r.get("percentage")),
                "is_active": True,
            },
        )

    def sync_products(self, full: bool, ids: set[int] | None = None) -> Counts:
        """Products for order lines."""
        fetched = self._fetch("products", full, ids, self.client.list_products)
        if fetched.not_modified:
            return Counts(not_modified=True)
        vat_types = self._id_map(VatType)
        counts = self._upsert(
            Product,
            fetched,
            lambda r: {
                "number": r.get("number") or None,
                "name": r.get("name") or "",
                "price_excluding_vat": _dec(r.get("priceExcludingVatCurrency")),
                "vat_type_id": vat_types.get(_ref_id(r, "vatType")),
                "is_active": not r.get("isInactive", False),
            },
        )
        return self._finish("products", fetched, counts, full)

    def sync_hourly_rates(self, full: bool) -> Counts:
        """Project hourly rates: a fixed rate or project-specific rates (predefined = none)."""
        fetched = self._list(
            "hourly_rates", full, lambda digest: self.client.list_hourly_rates(if_none_match=digest)
        )
        if fetched.not_modified:
            return Counts(not_modified=True)
        projects = self._id_map(Project)
        employees = self._id_map(Employee)
        activities = self._id_map(Activity)
        wanted: dict[tuple[str, int], dict[str, Any]] = {}
        for r in fetched.rows:
            project_id = projects.get(_ref_id(r, "project"))
            if project_id is None:
                continue
            model = r.get("hourlyRateModel")
            base = {"project_id": project_id, "start_date": _date(r.get("startDate"))}
            if model == "TYPE_FIXED_HOURLY_RATE" and r.get("fixedRate") is not None:
                wanted[(model, r["id"])] = {**base, "rate": _dec(r["fixedRate"])}
            elif model == "TYPE_PROJECT_SPECIFIC_HOURLY_RATES":
                for spec in r.get("projectSpecificRates") or []:
                    wanted[(model, spec["id"])] = {
                        **base,
                        "employee_id": employees.get(_ref_id(spec, "employee")),
                        "activity_id": activities.get(_ref_id(spec, "activity")),
                        "rate": _dec(spec.get("hourlyRate") or 0),
                    }
        counts = Counts()
        current = {
            (row.rate_model, row.tripletex_id): row
            for row in self.session.scalars(select(HourlyRate))
        }
        for key, values in wanted.items():
            values.setdefault("employee_id", None)
            values.setdefault("activity_id", None)
            row = current.get(key)
            if row is None:
                self.session.add(
                    HourlyRate(
                        company_id=self.company_id, rate_model=key[0], tripletex_id=key[1], **values
                    )
                )
                counts.created += 1
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                counts.updated += 1
        # Rates are looked up when hours are priced, never referenced: gone means deleted.
        for key, row in current.items():
            if key not in wanted:
                self.session.delete(row)
                counts.deactivated += 1
        return self._finish("hourly_rates", fetched, counts, full)

    def sync_vacation(self, full: bool) -> Counts:
        """Remaining vacation of active employees: the outgoing balance of this month's status.

        Full runs read everyone; other runs only those not read today, so the quarter-hourly
        runs cost nothing once a day's balances are in. Optional: a Tripletex error is logged
        and the step skipped (a missing access or a dead token go to the run's own handling).
        """
        query = select(Employee.id, Employee.tripletex_id).where(Employee.is_active.is_(True))
        if not full:
            query = query.where(
                (Employee.vacation_read_on.is_(None)) | (Employee.vacation_read_on != self.today)
            )
        wanted = {tx_id: local_id for local_id, tx_id in self.session.execute(query)}
        self.session.commit()  # end the read transaction before going to Tripletex
        if not wanted:
            return Counts(not_modified=True)
        balances: dict[int, Decimal | None] = {}
        ids = sorted(wanted)
        try:
            for start in range(0, len(ids), VACATION_CHUNK):
                result = self.client.month_status(
                    ids[start : start + VACATION_CHUNK], self.today, fields=VACATION_FIELDS
                )
                for status in result.values:
                    raw: dict[str, Any] = dict(status)
                    summary = raw.get("vacationSummary") or {}
                    balance = _dec(summary.get("outgoingVacationBalance"))
                    tx_id = _ref_id(raw, "employee")
                    if tx_id in wanted:
                        balances[tx_id] = (
                            None if balance is None else balance.quantize(Decimal("0.01"))
                        )
        except (NeedsReconnect, PermissionDenied):
            raise
        except TripletexError as error:
            # «Min oversikt» then keeps the last balance (with its date) or says it is unknown.
            log.warning("vacation balances skipped: %s", redact(str(error)))
            if not balances:
                return Counts()
        counts = Counts()
        for employee in self.session.scalars(
            select(Employee).where(Employee.id.in_([wanted[tx_id] for tx_id in balances]))
        ):
            balance = balances[employee.tripletex_id]
            if employee.vacation_balance != balance:
                employee.vacation_balance = balance
                counts.updated += 1
            employee.vacation_read_on = self.today
        return counts

    # ----- webhook changes ------------------------------------------------------------------

    def pending_changes(self, after_id: int = 0) -> tuple[int, dict[str, set[int]]]:
        """Pending webhook changes with id > after_id: (max id, ids per data type)."""
        rows = self.session.execute(
            select(
                SyncPendingChange.id, SyncPendingChange.data_type, SyncPendingChange.tripletex_id
            )
            .where(SyncPendingChange.id > after_id)
            .order_by(SyncPendingChange.id)
        ).all()
        by_type: dict[str, set[int]] = {}
        top = after_id
        for row_id, data_type, tx_id in rows:
            by_type.setdefault(data_type, set()).add(tx_id)
            top = max(top, row_id)
        return top, by_type

    def drop_pending(self, up_to_id: int) -> None:
        """Forget webhook changes that a run has covered."""
        # A bulk DELETE is outside the company scope (which filters SELECTs): filter here.
        self.session.execute(
            delete(SyncPendingChange).where(
                SyncPendingChange.company_id == self.company_id,
                SyncPendingChange.id <= up_to_id,
            )
        )

    def refresh(self, data_type: str, ids: set[int]) -> Counts:
        """Targeted refresh of objects named by webhooks."""
        method = {
            "employees": self.sync_employees,
            "customers": self.sync_customers,
            "projects": self.sync_projects,
            "products": self.sync_products,
        }[data_type]
        return method(False, ids=ids)

    def sync_type(self, data_type: str, full: bool) -> Counts:
        """Sync one data type (full: fetch everything and deactivate what is gone)."""
        return getattr(self, f"sync_{data_type}")(full)

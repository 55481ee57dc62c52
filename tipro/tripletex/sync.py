"""Master-data sync: Tripletex is the master. Upsert by Tripletex id; never delete a synced row.

Each data type is fetched first (no database transaction open during the HTTP calls), then
written in one short transaction. Incremental runs ask with If-None-Match (304 = nothing to
do) and, for customers, changedSince; a changed list comes back whole, so deletions are found
by set difference then, as in every full run. Webhook deliveries become SyncPendingChange rows
that a run refreshes by id.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from tipro.models import (
    Activity,
    Company,
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
from tipro.models.people import TRIPLETEX_CONNECTED, TRIPLETEX_NEEDS_RECONNECT
from tipro.models.sync import (
    MODE_CHANGES,
    MODE_FULL,
    SYNC_DONE,
    SYNC_FAILED,
    SYNC_QUEUED,
    SYNC_RUNNING,
    SyncCursor,
    SyncPendingChange,
    SyncRun,
    SyncStep,
    TripletexConnection,
)
from tipro.tripletex import api as tx_api
from tipro.tripletex.client import TripletexClient, oslo_today
from tipro.tripletex.errors import NeedsReconnect, PermissionDenied, TripletexError
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
)
# Webhook subjects and the data type they refresh.
WEBHOOK_SUBJECTS = {
    "employee": "employees",
    "customer": "customers",
    "project": "projects",
    "product": "products",
}
# Norwegian names for the run's error text (tipro/tripletex has no Flask, so no gettext here).
DENIED_LABELS = {
    "divisions": "virksomheter",
    "departments": "avdelinger",
    "employees": "ansatte",
    "customers": "kunder",
    "activities": "aktiviteter",
    "projects": "prosjekter",
    "salary_types": "lønnsarter",
    "vat_types": "mva-koder",
    "products": "produkter",
    "hourly_rates": "timepriser",
}
# In checksum mode any non-empty If-None-Match makes Tripletex return a real versionDigest.
PRIME_DIGEST = "tipro"
# changedSince is asked a little early: our clock and Tripletex's may disagree slightly.
CHANGED_SINCE_OVERLAP = timedelta(minutes=2)
MAX_IDS = 100


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
        cursor = self.session.scalar(
            select(SyncCursor).where(
                SyncCursor.company_id == self.company_id, SyncCursor.data_type == data_type
            )
        )
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

    def _list(self, path: str, params: dict, fields: str, data_type: str, full: bool) -> _Fetched:
        digest = self._stored_digest(data_type, full)
        result: ListResult = self.client.get_list(path, params, fields=fields, if_none_match=digest)
        if result.not_modified:
            return _Fetched(not_modified=True, digest=digest)
        return _Fetched(list(result.values), complete=True, digest=result.version_digest)

    def _by_ids(self, path: str, id_param: str, ids: set[int], fields: str) -> _Fetched:
        rows: list[dict] = []
        ordered = sorted(ids)
        for i in range(0, len(ordered), MAX_IDS):
            chunk = ordered[i : i + MAX_IDS]
            result = self.client.get_list(
                path, {id_param: ",".join(str(x) for x in chunk)}, fields=fields
            )
            rows.extend(result.values)
        returned = {r["id"] for r in rows}
        return _Fetched(rows, complete=False, missing_ids=ids - returned)

    # ----- generic upsert -------------------------------------------------------------------

    def _existing(self, model) -> dict[int, Any]:
        rows = self.session.scalars(select(model).where(model.company_id == self.company_id))
        return {row.tripletex_id: row for row in rows}

    def _id_map(self, model) -> dict[int, int]:
        rows = self.session.execute(
            select(model.tripletex_id, model.id).where(model.company_id == self.company_id)
        )
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

    # ----- data types -----------------------------------------------------------------------

    def sync_divisions(self, full: bool) -> Counts:
        """Divisions (virksomheter)."""
        fetched = self._list("/division", {}, tx_api.DIVISION_FIELDS, "divisions", full)
        if fetched.not_modified:
            return Counts(not_modified=True)
        counts = self._upsert(
            Division,
            fetched,
            lambda r: {
                "name": r.get("name") or "",
                "organization_number": r.get("organizationNumber"),
                "is_active": _date(r.get("endDate")) is None or _date(r["endDate"]) >= self.today,
            },
        )
        return self._finish("divisions", fetched, counts, full)

    def sync_departments(self, full: bool) -> Counts:
        """Departments; their managers are set after employees are in."""
        fetched = self._list("/department", {}, tx_api.DEPARTMENT_FIELDS, "departments", full)
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
            return {
                "first_name": r.get("firstName") or "",
                "last_name": r.get("lastName") or "",
                "email": r.get("email") or None,
                "employee_number": r.get("employeeNumber") or None,
                "department_id": departments.get(_ref_id(r, "department")),
                "division_id": divisions.get(_ref_id(employment, "division")),
                "employment_start": _date(employment.get("startDate")),
                "employment_end": _date(employment.get("endDate")),
                "is_active": active,
            }

        return mapper

    def sync_employees(self, full: bool, ids: set[int] | None = None) -> Counts:
        """Employees (contacts excluded); active = an employment covers today."""
        if ids is not None:
            fetched = self._by_ids("/employee", "id", ids, tx_api.EMPLOYEE_FIELDS)
        else:
            fetched = self._list(
                "/employee", {"includeContacts": False}, tx_api.EMPLOYEE_FIELDS, "employees", full
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
                Employee.company_id == self.company_id,
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
                select(Employee.id, Employee.email).where(
                    Employee.company_id == self.company_id, Employee.email.is_not(None)
                )
            )
        }
        users = self.session.scalars(
            select(User).where(User.company_id == self.company_id, User.employee_id.is_(None))
        )
        for user in users:
            emp_id = by_email.get(user.email.lower())
            if emp_id is not None:
                user.employee_id = emp_id

    def sync_customers(self, full: bool, ids: set[int] | None = None) -> Counts:
        """Customers: changedSince for changes, a 304 check of the active list for deletions."""
        fields = tx_api.CUSTOMER_FIELDS

        def mapper(r: dict) -> dict[str, Any]:
            return {
                "name": r.get("name") or "",
                "number": r.get("customerNumber"),
                "organization_number": r.get("organizationNumber"),
                "email": r.get("email") or None,
                "is_active": not r.get("isInactive", False),
            }

        if ids is not None:
            fetched = self._by_ids("/customer", "id", ids, fields)
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
                changed_since=since - CHANGED_SINCE_OVERLAP, include_inactive=True, fields=fields
            )
            calls += changed.calls
            counts = self._upsert(Customer, _Fetched(list(changed.values)), mapper)
            self.session.commit()
        # The active list (same request as a full sync's, so its digest matches): 304 when
        # nothing changed; otherwise it is complete and set difference finds deletions.
        active = self.client.get_list(
            "/customer", {"isInactive": False}, fields=fields, if_none_match=digest
        )
        calls += active.calls
        rows: list[dict] = []
        if not active.not_modified:
            rows = list(active.values)
            if full or since is None:
                inactive = self.client.get_list("/customer", {"isInactive": True}, fields=fields)
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
                    select(Customer.tripletex_id).where(
                        Customer.company_id == self.company_id, Customer.is_active.is_(True)
                    )
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
        fetched = self._list("/activity", {}, tx_api.ACTIVITY_FIELDS, "activities", full)
        if fetched.not_modified:
            return Counts(not_modified=True)
        counts = self._upsert(
            Activity,
            fetched,
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
        return self._finish("activities", fetched, counts, full)

    def sync_projects(self, full: bool, ids: set[int] | None = None) -> Counts:
        """Projects with participants and project activities."""
        if ids is not None:
            fetched = self._by_ids("/project", "id", ids, tx_api.PROJECT_FIELDS)
        else:
            fetched = self._list("/project", {}, tx_api.PROJECT_FIELDS, "projects", full)
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
                select(Project)
                .where(Project.company_id == self.company_id)
                .options(
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
        fetched = self._list("/salary/type", {}, tx_api.SALARY_TYPE_FIELDS, "salary_types", full)
        if fetched.not_modified:
            return Counts(not_modified=True)
        counts = self._upsert(
            SalaryType,
            fetched,
            lambda r: {
                "number": r.get("number") or None,
                "name": r.get("name") or "",
                "show_in_timesheet": bool(r.get("showInTimesheet")),
                "is_active": True,
            },
        )
        return self._finish("salary_types", fetched, counts, full)

    def sync_vat_types(self, full: bool) -> Counts:
        """VAT types (all of them: products may point to any)."""
        fetched = self._list("/ledger/vatType", {}, tx_api.VAT_TYPE_FIELDS, "vat_types", full)
        if fetched.not_modified:
            return Counts(not_modified=True)
        counts = self._upsert(
            VatType,
            fetched,
            lambda r: {
                "number": r.get("number") or None,
                "name": r.get("name") or "",
                "percentage": _dec(r.get("percentage")),
                "is_active": True,
            },
        )
        return self._finish("vat_types", fetched, counts, full)

    def sync_products(self, full: bool, ids: set[int] | None = None) -> Counts:
        """Products for order lines."""
        if ids is not None:
            fetched = self._by_ids("/product", "ids", ids, tx_api.PRODUCT_FIELDS)
        else:
            fetched = self._list("/product", {}, tx_api.PRODUCT_FIELDS, "products", full)
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
            "/project/hourlyRates", {}, tx_api.HOURLY_RATE_FIELDS, "hourly_rates", full
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
            for row in self.session.scalars(
                select(HourlyRate).where(HourlyRate.company_id == self.company_id)
            )
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

    # ----- webhook changes ------------------------------------------------------------------

    def pending_changes(self, after_id: int = 0) -> tuple[int, dict[str, set[int]]]:
        """Pending webhook changes with id > after_id: (max id, ids per data type)."""
        rows = self.session.execute(
            select(
                SyncPendingChange.id, SyncPendingChange.data_type, SyncPendingChange.tripletex_id
            )
            .where(SyncPendingChange.company_id == self.company_id, SyncPendingChange.id > after_id)
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


# ----- run bookkeeping ---------------------------------------------------------------------


# Secrets that may appear in an error's text: requests names the whole URL of a failed
# connection, including the tokens of PUT /token/session/:create and DELETE /token/session/{t}.
_SECRET_QUERY = re.compile(r"((?:consumerToken|employeeToken|token)=)[^&\s'\")]+", re.IGNORECASE)
_SESSION_IN_PATH = re.compile(r"(/token/session/)(?!:create|>whoAmI|%3EwhoAmI)[^\s?'\")]+")


def redact(text: str) -> str:
    """Text with any token values replaced by ***."""
    return _SESSION_IN_PATH.sub(r"\1***", _SECRET_QUERY.sub(r"\1***", text))


def _fail_text(error: TripletexError) -> str:
    """The Norwegian explanation plus Tripletex's own message (never a network library's)."""
    text = error.user_message
    # Without an HTTP status the "message" is the HTTP library's text (URLs, hosts), not
    # Tripletex's: leave it out.
    detail = (error.message or "") if error.status is not None else ""
    if detail and detail not in text:
        text = f"{text} (Tripletex: {detail})"
    return redact(text)[:2000]


def execute_run(
    session: Session,
    run_id: int,
    client_factory: Callable[[Company], TripletexClient],
    *,
    today: date | None = None,
    lock_company: Callable[[int], None] | None = None,
) -> SyncRun:
    """Run a queued SyncRun to the end; a run that is not queued is left alone."""
    run = session.get(SyncRun, run_id)
    if run is None or run.status != SYNC_QUEUED:
        return run
    company_id = run.company_id
    company = session.get(Company, company_id)
    run.status = SYNC_RUNNING
    run.started_at = utcnow()
    session.commit()
    client = client_factory(company)
    engine = MasterDataSync(session, company_id, client, today=today)
    mode = run.mode
    start_calls = client.calls
    try:
        top, _ = engine.pending_changes()
        denied: list[str] = []
        if mode != MODE_CHANGES:
            for data_type in DATA_TYPES:
                try:
                    _run_step(
                        session,
                        run,
                        engine,
                        data_type,
                        lambda dt=data_type: engine.sync_type(dt, mode == MODE_FULL),
                    )
                except PermissionDenied:
                    # The token lacks this area (e.g. no salary module): the step shows
                    # Tripletex's message; the other data types are still worth fetching.
                    denied.append(data_type)
                    run = session.get(SyncRun, run_id)
            if mode == MODE_FULL:
                engine.drop_pending(top)  # a full run saw everything those webhooks named
                session.commit()
                top_done = top
            else:
                top_done = 0
        else:
            top_done = 0
        # Webhook changes, including ones that arrive while this run works; the last check
        # and the "done" mark happen under the company lock the webhook endpoint also takes.
        while True:
            if lock_company:
                lock_company(company_id)
            new_top, by_type = engine.pending_changes(top_done)
            if not by_type:
                _finish_run(session, run, client.calls - start_calls)
                if denied:
                    run.error_message = (
                        "Nøkkelen mangler tilgang i Tripletex, så dette ble ikke hentet: "
                        + ", ".join(DENIED_LABELS.get(d, d) for d in denied)
                        + ". Se feilen i tabellen nedenfor."
                    )
                session.commit()
                break
            session.commit()
            for data_type in DATA_TYPES:
                if data_type in by_type:
                    ids = by_type[data_type]
                    _run_step(
                        session,
                        run,
                        engine,
                        data_type,
                        lambda dt=data_type, i=ids: engine.refresh(dt, i),
                        label=f"{data_type}",
                    )
            engine.drop_pending(new_top)
            session.commit()
            top_done = new_top
        company = session.get(Company, company_id)
        if company.tripletex_status == TRIPLETEX_NEEDS_RECONNECT:
            company.tripletex_status = TRIPLETEX_CONNECTED
        session.commit()
    except TripletexError as error:
        session.rollback()
        run = session.get(SyncRun, run_id)
        run.status = SYNC_FAILED
        run.finished_at = utcnow()
        run.api_calls = client.calls - start_calls
        run.error_message = _fail_text(error)
        run.error_request_id = error.request_id
        if isinstance(error, NeedsReconnect):
            mark_needs_reconnect(session, run.company_id, error)
        session.commit()
        log.warning("sync run %s failed: %s", run_id, redact(str(error)))
    except BaseException:
        session.rollback()
        run = session.get(SyncRun, run_id)
        run.status = SYNC_FAILED
        run.finished_at = utcnow()
        run.error_message = "Synkroniseringen stoppet på grunn av en intern feil."
        session.commit()
        raise
    finally:
        client.close()
    return run


def _run_step(session, run, engine, data_type, work, label=None) -> None:
    step = SyncStep(
        company_id=run.company_id,
        run_id=run.id,
        data_type=label or data_type,
        status=SYNC_RUNNING,
        started_at=utcnow(),
    )
    session.add(step)
    run.current_step = data_type
    session.commit()
    before = engine.client.calls
    try:
        counts = work()
    except TripletexError as error:
        session.rollback()
        step = session.get(SyncStep, step.id)
        step.status = SYNC_FAILED
        step.finished_at = utcnow()
        step.api_calls = engine.client.calls - before
        step.error_message = _fail_text(error)
        step.error_request_id = error.request_id
        session.commit()
        raise
    step.created = counts.created
    step.updated = counts.updated
    step.deactivated = counts.deactivated
    step.not_modified = counts.not_modified
    step.api_calls = engine.client.calls - before
    step.status = SYNC_DONE
    step.finished_at = utcnow()
    run.created += counts.created
    run.updated += counts.updated
    run.deactivated += counts.deactivated
    run.api_calls += step.api_calls
    session.commit()


def _finish_run(session: Session, run: SyncRun, calls: int) -> None:
    run.status = SYNC_DONE
    run.finished_at = utcnow()
    run.current_step = None
    run.api_calls = calls


def mark_needs_reconnect(session: Session, company_id: int, error: TripletexError) -> None:
    """The employee token stopped working: show it, keep everything else."""
    company = session.get(Company, company_id)
    company.tripletex_status = TRIPLETEX_NEEDS_RECONNECT
    conn = session.scalar(
        select(TripletexConnection).where(TripletexConnection.company_id == company_id)
    )
    if conn is not None:
        conn.last_error = _fail_text(error)
        conn.last_error_request_id = error.request_id
        conn.session_token_encrypted = None
        conn.session_expires = None


def counts_by_type(session: Session, company_id: int) -> dict[str, int]:
    """How many synced rows of each type a company has (for status output)."""
    out = {}
    for name, model in (
        ("employees", Employee),
        ("departments", Department),
        ("customers", Customer),
        ("projects", Project),
        ("activities", Activity),
        ("salary_types", SalaryType),
        ("vat_types", VatType),
        ("products", Product),
    ):
        out[name] = session.scalar(
            select(func.count()).select_from(model).where(model.company_id == company_id)
        )
    return out

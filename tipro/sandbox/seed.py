"""Deterministic seeds: the rows in `seed_data` turned into stored objects."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from . import seed_data as data

if TYPE_CHECKING:
    from .state import SandboxState

SEEDS = ("demo", "large")


def ref(obj: dict[str, Any] | None) -> dict[str, int] | None:
    """{"id": N} for a stored object."""
    return {"id": obj["id"]} if obj else None


def build_seed(state: SandboxState, seed: str) -> tuple[int, int]:
    """Fill the store; returns (company id, id of the employee who owns the token)."""
    if seed not in SEEDS:
        raise ValueError(f"unknown seed {seed!r}; choose one of {SEEDS}")
    base = _base(state)
    owner = _demo(state, base) if seed == "demo" else _large(state, base)
    return base["company"]["id"], owner


def _ins(state: SandboxState, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return state.insert(kind, obj, fire=False)


# -- what both seeds share ---------------------------------------------------------------------


def _base(state: SandboxState) -> dict[str, Any]:
    """Company, VAT types, division, departments, salary types, activities, products."""
    store = state.store
    for vat in data.VAT_TYPES:
        obj = {
            "id": vat.id,
            "version": 0,
            "name": vat.name,
            "number": vat.number,
            "displayName": f"{vat.number} {vat.name}",
            "percentage": vat.percentage,
            "deductionPercentage": 100.0,
        }
        store.put("vatType", obj)
        obj["_seq"] = store.next_seq()
    while store.next_id() < data.FIRST_ID:
        pass
    b: dict[str, Any] = {
        "company": _ins(state, "company", data.COMPANY),
        "division": _ins(state, "division", data.DIVISION),
    }
    b["departments"] = {
        number: _department(state, number, name, inactive=False)
        for number, name in data.DEPARTMENTS
    }
    for number, name in data.INACTIVE_DEPARTMENTS:
        _department(state, number, name, inactive=True)
    for salary in data.SALARY_TYPES:
        _ins(
            state,
            "salaryType",
            {
                "number": salary.number,
                "name": salary.name,
                "description": salary.description,
                "showInTimesheet": salary.show_in_timesheet,
                "isTaxable": not salary.number.startswith("71"),
                "isPayrollTaxable": not salary.number.startswith("71"),
                "isVacationPayable": salary.number < "7000",
            },
        )
    b["activities"] = {
        act.name: _activity(state, act.number, act.name, act.type, act.chargeable, act.rate)
        for act in data.ACTIVITIES
    }
    for prod in data.PRODUCTS:
        _ins(
            state,
            "product",
            {
                "name": prod.name,
                "number": prod.number,
                "displayNumber": prod.number,
                "displayName": f"{prod.number} {prod.name}",
                "priceExcludingVatCurrency": prod.price,
                "priceIncludingVatCurrency": round(prod.price * 1.25, 2),
                "costExcludingVatCurrency": 0.0,
                "isInactive": prod.inactive,
                "isStockItem": False,
                "vatType": {"id": prod.vat_type},
            },
        )
    return b


def _department(state: SandboxState, number: str, name: str, *, inactive: bool) -> dict[str, Any]:
    return _ins(
        state,
        "department",
        {
            "name": name,
            "departmentNumber": number,
            "isInactive": inactive,
            "displayName": f"{number} {name}",
        },
    )


def _activity(
    state: SandboxState,
    number: str,
    name: str,
    atype: str,
    chargeable: bool,
    rate: float | None,
    description: str | None = None,
) -> dict[str, Any]:
    return _ins(
        state,
        "activity",
        {
            "name": name,
            "number": number,
            "description": description or name,
            "activityType": atype,
            "isProjectActivity": atype != "GENERAL_ACTIVITY",
            "isGeneral": atype in ("GENERAL_ACTIVITY", "PROJECT_GENERAL_ACTIVITY"),
            "isTask": atype == "TASK",
            "isDisabled": False,
            "isChargeable": chargeable,
            "rate": rate,
            "costPercentage": 0.0,
            "displayName": f"{number} {name}",
        },
    )


def _employee(
    state: SandboxState, b: dict[str, Any], row: data.Employee, number: str
) -> dict[str, Any]:
    """An employee with one employment (and its details) and an hourly cost and rate."""
    emp = _ins(
        state,
        "employee",
        {
            "firstName": row.first,
            "lastName": row.last,
            "displayName": f"{row.first} {row.last}",
            "employeeNumber": number,
            "dateOfBirth": row.born,
            "email": row.email,
            "userType": "STANDARD" if row.email else "NO_ACCESS",
            "allowInformationRegistration": True,
            "isContact": False,
            "department": ref(b["departments"][row.department]),
            "employments": [],
            "companyId": b["company"]["id"],
            # Not a Tripletex field (render leaves "_" keys out): the month status reads it.
            "_vacation": {
                "days": data.VACATION_DAYS_PER_YEAR,
                "taken": dict(row.vacation_taken),
            },
        },
    )
    employment = _ins(
        state,
        "employment",
        {
            "employee": ref(emp),
            "employmentId": f"{number}-1",
            "startDate": row.start,
            "endDate": row.end,
            "employmentEndReason": "EMPLOYMENT_END_EMPLOYEE" if row.end else None,
            "division": ref(b["division"]) if row.division else None,
            "isMainEmployer": True,
            "taxDeductionCode": "loennFraHovedarbeidsgiver",
            "employmentDetails": [],
        },
    )
    details = _ins(
        state,
        "employmentDetails",
        {
            "employment": ref(employment),
            "date": row.start,
            "employmentType": "ORDINARY",
            "employmentForm": "PERMANENT",
            "remunerationType": "HOURLY_WAGE" if row.hourly else "MONTHLY_WAGE",
            "workingHoursScheme": "NOT_SHIFT",
            "percentageOfFullTimeEquivalent": row.percentage,
            "annualSalary": 0.0 if row.hourly else row.wage,
            "hourlyWage": round(row.wage / 1950, 2) if row.hourly else 0.0,
        },
    )
    employment["employmentDetails"] = [ref(details)]
    emp["employments"] = [ref(employment)]
    _ins(
        state,
        "hourlyCostAndRate",
        {
            "employee": ref(emp),
            "date": row.start,
            "rate": row.rate,
            "budgetRate": row.rate,
            "hourCostRate": round(row.wage / 1950 * 1.4, 2),
        },
    )
    return emp


def _customer(state: SandboxState, row: data.Customer, number: int, **extra: Any) -> dict[str, Any]:
    return _ins(
        state,
        "customer",
        {
            "name": row.name,
            "displayName": row.name,
            "organizationNumber": row.organization_number,
            "customerNumber": number,
            "isCustomer": True,
            "isSupplier": False,
            "isInactive": row.inactive,
            "email": row.email,
            **extra,
        },
    )


def _project(
    state: SandboxState,
    b: dict[str, Any],
    row: data.Project,
    employees: dict[str, dict[str, Any]],
    customers: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """A project with its participants (manager first) and project activities."""
    manager = employees[row.manager]
    customer = customers[row.customer] if row.customer else None
    proj = _ins(
        state,
        "project",
        {
            "name": row.name,
            "number": row.number,
            "displayName": f"{row.number} {row.name}",
            "description": row.name,
            "projectManager": ref(manager),
            "department": ref(b["departments"][row.department]),
            "startDate": row.start,
            "endDate": row.end,
            "customer": ref(customer),
            "isClosed": row.closed,
            "isReadyForInvoicing": False,
            "isInternal": row.internal,
            "isOffer": False,
            "isFixedPrice": False,
            "forParticipantsOnly": row.participants_only,
            "generalProjectActivitiesPerProjectOnly": False,
            "participants": [],
            "projectActivities": [],
            "projectHourlyRates": [],
            "vatType": {"id": 3} if customer else {"id": 6},
        },
    )
    members = [manager, *(employees[k] for k in row.participants if employees[k] is not manager)]
    proj["participants"] = [
        ref(
            _ins(
                state,
                "participant",
                {"project": ref(proj), "employee": ref(emp), "adminAccess": emp is manager},
            )
        )
        for emp in members
    ]
    proj["projectActivities"] = [
        _project_activity(state, proj, b["activities"][name], 0.0) for name in row.activities
    ]
    return proj


def _project_activity(
    state: SandboxState, proj: dict[str, Any], activity: dict[str, Any], budget_hours: float
) -> dict[str, int] | None:
    return ref(
        _ins(
            state,
            "projectActivity",
            {
                "project": ref(proj),
                "activity": ref(activity),
                "startDate": proj["startDate"],
                "isClosed": False,
                "budgetHours": budget_hours,
            },
        )
    )


def _hourly_rate(
    state: SandboxState,
    proj: dict[str, Any],
    row: data.HourlyRate,
    employees: dict[str, dict[str, Any]],
    activities: dict[str, dict[str, Any]],
) -> None:
    rate = _ins(
        state,
        "hourlyRate",
        {
            "project": ref(proj),
            "startDate": proj["startDate"],
            "showInProjectOrder": False,
            "hourlyRateModel": row.model,
            "fixedRate": row.fixed,
            "projectSpecificRates": [],
        },
    )
    rate["projectSpecificRates"] = [
        ref(
            _ins(
                state,
                "projectSpecificRate",
                {
                    "projectHourlyRate": ref(rate),
                    "employee": ref(employees.get(s.employee)) if s.employee else None,
                    "activity": ref(activities.get(s.activity)) if s.activity else None,
                    "hourlyRate": s.rate,
                    "hourlyCostPercentage": 0.0,
                },
            )
        )
        for s in row.specific
    ]
    proj["projectHourlyRates"] = [ref(rate)]


# -- the seeds ---------------------------------------------------------------------------------


def _demo(state: SandboxState, b: dict[str, Any]) -> int:
    """Fjellheim Bygg AS: 12 employees, 8 customers, 10 projects."""
    employees = {
        row.first: _employee(state, b, row, str(data.DEMO_FIRST_EMPLOYEE_NUMBER + i))
        for i, row in enumerate(data.DEMO_EMPLOYEES)
    }
    for first, last, email in data.DEMO_CONTACTS:
        _ins(
            state,
            "employee",
            {
                "firstName": first,
                "lastName": last,
                "displayName": f"{first} {last}",
                "email": email,
                "userType": "NO_ACCESS",
                "isContact": True,
                "allowInformationRegistration": False,
                "employments": [],
                "companyId": b["company"]["id"],
            },
        )
    for number, manager in data.DEMO_DEPARTMENT_MANAGERS.items():
        b["departments"][number]["departmentManager"] = ref(employees[manager])
    account_manager = ref(employees[data.DEMO_ACCOUNT_MANAGER])
    customers = {
        row.name: _customer(
            state,
            row,
            data.DEMO_FIRST_CUSTOMER_NUMBER + i,
            invoiceEmail=row.email,
            language="NO",
            isPrivateIndividual=False,
            invoicesDueIn=14,
            invoicesDueInType="DAYS",
            accountManager=account_manager,
        )
        for i, row in enumerate(data.DEMO_CUSTOMERS)
    }
    projects = {
        row.number: _project(state, b, row, employees, customers) for row in data.DEMO_PROJECTS
    }
    for extra in data.DEMO_PROJECT_SPECIFIC_ACTIVITIES:
        proj = projects[extra.project]
        activity = _activity(
            state,
            extra.number,
            extra.name,
            "PROJECT_SPECIFIC_ACTIVITY",
            True,
            extra.rate,
            extra.description,
        )
        proj["projectActivities"].append(
            _project_activity(state, proj, activity, extra.budget_hours)
        )
    for number, proj in projects.items():
        rate = data.DEMO_HOURLY_RATES.get(number, data.DEFAULT_HOURLY_RATE)
        _hourly_rate(state, proj, rate, employees, b["activities"])
    return employees[data.DEMO_API_EMPLOYEE]["id"]


def _large(state: SandboxState, b: dict[str, Any]) -> int:
    """1,000 employees, 10,000 customers, 5,000 projects; same random numbers every time."""
    rnd = random.Random(data.LARGE_RANDOM_SEED)  # noqa: S311 - deterministic test data
    deps = [number for number, _name in data.DEPARTMENTS]
    employees: dict[str, dict[str, Any]] = {}  # by employee number
    for i in range(data.LARGE_EMPLOYEES):
        first, last = rnd.choice(data.FIRST_NAMES), rnd.choice(data.LAST_NAMES)
        number = str(10001 + i)
        row = data.Employee(
            first=first,
            last=last,
            email=f"ansatt{i + 1}@fjellheimbygg.no",
            born=f"19{60 + i % 40}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            department=deps[i % 3],
            start=f"20{10 + i % 15}-{1 + i % 12:02d}-01",
            division=i % 97 != 0,
            hourly=i % 3 == 0,
            rate=float(rnd.choice(data.LARGE_RATES)),
            wage=float(rnd.randrange(450000, 900000, 5000)),
        )
        employees[number] = _employee(state, b, row, number)
    numbers = list(employees)
    customers: dict[str, dict[str, Any]] = {}  # by name
    for i in range(data.LARGE_CUSTOMERS):
        name = f"{rnd.choice(data.PLACES)} {rnd.choice(data.CUSTOMER_SUFFIXES)} {i + 1}"
        row = data.Customer(name, str(900000000 + i), f"post{i + 1}@kunde.example.no", i % 50 == 0)
        customers[name] = _customer(state, row, 20001 + i, language="NO", isPrivateIndividual=False)
    names = list(customers)
    for i in range(data.LARGE_PROJECTS):
        manager, *participants = (numbers[(i * 7 + k * 13) % len(numbers)] for k in range(3))
        row = data.Project(
            number=str(20001 + i),
            name=f"Prosjekt {rnd.choice(data.PLACES)} {i + 1}",
            department=deps[i % 3],
            manager=manager,
            participants=tuple(participants),
            customer=names[(i * 3) % len(names)],
            start=f"20{18 + i % 8}-{1 + i % 12:02d}-01",
            activities=data.LARGE_PROJECT_ACTIVITIES,
            closed=i % 20 == 0,
            participants_only=i % 25 == 0,
        )
        _project(state, b, row, employees, customers)
    return employees[numbers[0]]["id"]

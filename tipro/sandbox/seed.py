"""Deterministic seeds: a small Norwegian demo company and a large one for benchmarks."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import SandboxState

SEEDS = ("demo", "large")

# Tripletex's usual VAT type ids/numbers; id 3 is 25 % outgoing VAT.
VAT_TYPES = [
    (0, "0", "Ingen avgiftsbehandling", 0.0),
    (1, "1", "Fradrag inngående avgift, høy sats", 25.0),
    (3, "3", "Utgående avgift, høy sats", 25.0),
    (5, "5", "Ingen utgående avgift (innenfor mva-loven)", 0.0),
    (6, "6", "Ingen utgående avgift (utenfor mva-loven)", 0.0),
    (31, "31", "Utgående avgift, middels sats", 15.0),
    (32, "32", "Utgående avgift, lav sats", 12.0),
]

SALARY_TYPES = [
    ("2000", "Fastlønn", "Fast månedslønn", False),
    ("2001", "Timelønn", "Lønn per time", True),
    ("2002", "Bonus", "Bonus", False),
    ("2005", "Overtid 50 %", "Overtidsgodtgjørelse 50 %", True),
    ("2006", "Overtid 100 %", "Overtidsgodtgjørelse 100 %", True),
    ("7100", "Kilometergodtgjørelse", "Bilgodtgjørelse etter statens satser", True),
    ("7150", "Diett", "Diettgodtgjørelse uten overnatting", True),
]

FIRST = [
    "Ingrid",
    "Ola",
    "Kari",
    "Lars",
    "Sofie",
    "Magnus",
    "Nora",
    "Henrik",
    "Emma",
    "Jonas",
    "Ida",
    "Sindre",
    "Maja",
    "Eirik",
    "Hanna",
    "Tobias",
    "Thea",
    "Kristian",
    "Sara",
    "Anders",
]
LAST = [
    "Fjellheim",
    "Nordmann",
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Haugen",
    "Berg",
    "Bakken",
    "Lie",
    "Dahl",
    "Moen",
]
PLACES = [
    "Skøyen",
    "Lysaker",
    "Bærum",
    "Asker",
    "Lillestrøm",
    "Drammen",
    "Ski",
    "Jessheim",
    "Moss",
    "Tønsberg",
    "Hamar",
    "Gjøvik",
    "Kongsberg",
    "Sandvika",
    "Nittedal",
    "Ås",
]
CUSTOMER_SUFFIX = ["Eiendom AS", "Borettslag", "Sameie", "Bygg AS", "Kommune", "Holding AS"]


def ref(obj: dict[str, Any] | None) -> dict[str, int] | None:
    """{"id": N} for a stored object."""
    return {"id": obj["id"]} if obj else None


def build_seed(state: SandboxState, seed: str) -> tuple[int, int]:
    """Fill the store; returns (company id, id of the employee who owns the token)."""
    if seed not in SEEDS:
        raise ValueError(f"unknown seed {seed!r}; choose one of {SEEDS}")
    base = _base(state)
    if seed == "demo":
        owner = _demo(state, base)
    else:
        owner = _large(state, base)
    return base["company"]["id"], owner


def _ins(state: SandboxState, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return state.insert(kind, data, fire=False)


def _base(state: SandboxState) -> dict[str, Any]:
    """Company, VAT types, division, departments, salary types, activities, products."""
    store = state.store
    for vid, number, name, pct in VAT_TYPES:
        obj = {
            "id": vid,
            "version": 0,
            "name": name,
            "number": number,
            "displayName": f"{number} {name}",
            "percentage": pct,
            "deductionPercentage": 100.0,
        }
        store.put("vatType", obj)
        obj["_seq"] = store.next_seq()
    # Other ids start well above the fixed VAT type ids.
    while store.next_id() < 100:
        pass
    b: dict[str, Any] = {}
    b["company"] = _ins(
        state,
        "company",
        {
            "name": "Fjellheim Bygg AS",
            "displayName": "Fjellheim Bygg AS",
            "organizationNumber": "912345678",
            "email": "post@fjellheimbygg.no",
            "phoneNumber": "22 33 44 55",
            "type": "AS",
            "startDate": "2012-03-01",
        },
    )
    b["division"] = _ins(
        state,
        "division",
        {
            "name": "Fjellheim Bygg AS",
            "displayName": "Fjellheim Bygg AS (virksomhet Oslo)",
            "organizationNumber": "998877665",
            "startDate": "2012-03-01",
        },
    )
    b["departments"] = [
        _ins(state, "department", {"name": name, "departmentNumber": num, "isInactive": False})
        for num, name in [("10", "Bygg"), ("20", "Elektro"), ("30", "Administrasjon")]
    ]
    b["old_department"] = _ins(
        state,
        "department",
        {"name": "Nedlagt verksted", "departmentNumber": "90", "isInactive": True},
    )
    for dep in b["departments"] + [b["old_department"]]:
        dep["displayName"] = f"{dep['departmentNumber']} {dep['name']}"
    b["salary_types"] = {
        number: _ins(
            state,
            "salaryType",
            {
                "number": number,
                "name": name,
                "description": desc,
                "showInTimesheet": show,
                "isTaxable": not number.startswith("71"),
                "isPayrollTaxable": not number.startswith("71"),
                "isVacationPayable": number < "7000",
            },
        )
        for number, name, desc, show in SALARY_TYPES
    }
    acts = [
        ("1", "Intern tid", "GENERAL_ACTIVITY", False, None),
        ("2", "Kurs og opplæring", "GENERAL_ACTIVITY", False, None),
        ("3", "Ferie", "GENERAL_ACTIVITY", False, None),
        ("10", "Snekring", "PROJECT_GENERAL_ACTIVITY", True, 850.0),
        ("11", "Elektroarbeid", "PROJECT_GENERAL_ACTIVITY", True, 950.0),
        ("12", "Prosjektledelse", "PROJECT_GENERAL_ACTIVITY", True, 1150.0),
        ("13", "Reisetid", "PROJECT_GENERAL_ACTIVITY", False, None),
        ("14", "Garantiarbeid", "PROJECT_GENERAL_ACTIVITY", False, None),
    ]
    b["activities"] = {}
    for number, name, atype, chargeable, rate in acts:
        b["activities"][name] = _ins(
            state,
            "activity",
            {
                "name": name,
                "number": number,
                "description": name,
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
    vat3 = {"id": 3}
    prods = [
        ("T-100", "Timepris snekker", 850.0, 3, False),
        ("T-200", "Timepris elektriker", 950.0, 3, False),
        ("T-300", "Timepris prosjektledelse", 1150.0, 3, False),
        ("M-100", "Byggematerialer", 0.0, 3, False),
        ("KM-1", "Kjøring (km)", 4.5, 3, False),
        ("T-099", "Timepris lærling (utgått)", 550.0, 3, True),
    ]
    b["products"] = {}
    for number, name, price, _vat, inactive in prods:
        b["products"][number] = _ins(
            state,
            "product",
            {
                "name": name,
                "number": number,
                "displayNumber": number,
                "displayName": f"{number} {name}",
                "priceExcludingVatCurrency": price,
                "priceIncludingVatCurrency": round(price * 1.25, 2),
                "costExcludingVatCurrency": 0.0,
                "isInactive": inactive,
                "isStockItem": False,
                "vatType": vat3,
            },
        )
    return b


def _employee(
    state: SandboxState,
    b: dict[str, Any],
    *,
    first: str,
    last: str,
    number: str,
    department: dict[str, Any],
    email: str | None,
    born: str,
    start: str,
    end: str | None = None,
    division: bool = True,
    hourly: bool = False,
    rate: float = 900.0,
    wage: float = 560000.0,
) -> dict[str, Any]:
    emp = _ins(
        state,
        "employee",
        {
            "firstName": first,
            "lastName": last,
            "displayName": f"{first} {last}",
            "employeeNumber": number,
            "dateOfBirth": born,
            "email": email,
            "userType": "STANDARD" if email else "NO_ACCESS",
            "allowInformationRegistration": True,
            "isContact": False,
            "department": ref(department),
            "employments": [],
            "companyId": b["company"]["id"],
        },
    )
    employment = _ins(
        state,
        "employment",
        {
            "employee": ref(emp),
            "employmentId": f"{number}-1",
            "startDate": start,
            "endDate": end,
            "employmentEndReason": "EMPLOYMENT_END_EMPLOYEE" if end else None,
            "division": ref(b["division"]) if division else None,
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
            "date": start,
            "employmentType": "ORDINARY",
            "employmentForm": "PERMANENT",
            "remunerationType": "HOURLY_WAGE" if hourly else "MONTHLY_WAGE",
            "workingHoursScheme": "NOT_SHIFT",
            "percentageOfFullTimeEquivalent": 100.0,
            "annualSalary": 0.0 if hourly else wage,
            "hourlyWage": round(wage / 1950, 2) if hourly else 0.0,
        },
    )
    employment["employmentDetails"] = [ref(details)]
    emp["employments"] = [ref(employment)]
    _ins(
        state,
        "hourlyCostAndRate",
        {
            "employee": ref(emp),
            "date": start,
            "rate": rate,
            "budgetRate": rate,
            "hourCostRate": round(wage / 1950 * 1.4, 2),
        },
    )
    return emp


def _project(
    state: SandboxState,
    b: dict[str, Any],
    *,
    number: str,
    name: str,
    manager: dict[str, Any],
    customer: dict[str, Any] | None,
    start: str,
    end: str | None = None,
    closed: bool = False,
    internal: bool = False,
    participants_only: bool = False,
    participants: list[dict[str, Any]] = (),  # type: ignore[assignment]
    activities: list[str] = ("Snekring", "Prosjektledelse", "Reisetid"),  # type: ignore[assignment]
    department: dict[str, Any] | None = None,
) -> dict[str, Any]:
    proj = _ins(
        state,
        "project",
        {
            "name": name,
            "number": number,
            "displayName": f"{number} {name}",
            "description": name,
            "projectManager": ref(manager),
            "department": ref(department),
            "startDate": start,
            "endDate": end,
            "customer": ref(customer),
            "isClosed": closed,
            "isReadyForInvoicing": False,
            "isInternal": internal,
            "isOffer": False,
            "isFixedPrice": False,
            "forParticipantsOnly": participants_only,
            "generalProjectActivitiesPerProjectOnly": False,
            "participants": [],
            "projectActivities": [],
            "projectHourlyRates": [],
            "vatType": {"id": 3} if customer else {"id": 6},
        },
    )
    parts = []
    for emp in [manager, *[p for p in participants if p is not manager]]:
        parts.append(
            ref(
                _ins(
                    state,
                    "participant",
                    {"project": ref(proj), "employee": ref(emp), "adminAccess": emp is manager},
                )
            )
        )
    proj["participants"] = parts
    pacts = []
    for act_name in activities:
        pacts.append(
            ref(
                _ins(
                    state,
                    "projectActivity",
                    {
                        "project": ref(proj),
                        "activity": ref(b["activities"][act_name]),
                        "startDate": start,
                        "isClosed": False,
                        "budgetHours": 0.0,
                    },
                )
            )
        )
    proj["projectActivities"] = pacts
    return proj


def _hourly_rate(
    state: SandboxState,
    proj: dict[str, Any],
    model: str,
    fixed: float | None = None,
    specific: list[tuple[dict[str, Any] | None, dict[str, Any] | None, float]] = (),  # type: ignore[assignment]
) -> None:
    rate = _ins(
        state,
        "hourlyRate",
        {
            "project": ref(proj),
            "startDate": proj["startDate"],
            "showInProjectOrder": False,
            "hourlyRateModel": model,
            "fixedRate": fixed,
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
                    "employee": ref(emp),
                    "activity": ref(act),
                    "hourlyRate": value,
                    "hourlyCostPercentage": 0.0,
                },
            )
        )
        for emp, act, value in specific
    ]
    proj["projectHourlyRates"] = [ref(rate)]


def _demo(state: SandboxState, b: dict[str, Any]) -> int:
    """Fjellheim Bygg AS: 12 employees, 8 customers, 10 projects."""
    bygg, elektro, admin = b["departments"]
    E = []
    people = [
        # first, last, dep, email, born, start, end, division, hourly, rate, wage
        (
            "Ingrid",
            "Fjellheim",
            admin,
            "ingrid@fjellheimbygg.no",
            "1975-04-12",
            "2012-03-01",
            None,
            True,
            False,
            1150.0,
            850000.0,
        ),
        (
            "Ola",
            "Nordmann",
            bygg,
            "ola@fjellheimbygg.no",
            "1982-09-30",
            "2015-08-01",
            None,
            True,
            False,
            850.0,
            590000.0,
        ),
        (
            "Kari",
            "Hansen",
            bygg,
            "kari@fjellheimbygg.no",
            "1990-01-15",
            "2018-01-01",
            None,
            True,
            False,
            850.0,
            560000.0,
        ),
        (
            "Lars",
            "Johansen",
            elektro,
            "lars@fjellheimbygg.no",
            "1986-06-02",
            "2016-04-01",
            None,
            True,
            False,
            950.0,
            620000.0,
        ),
        (
            "Sofie",
            "Olsen",
            elektro,
            "sofie@fjellheimbygg.no",
            "1994-11-23",
            "2020-09-01",
            None,
            True,
            False,
            950.0,
            540000.0,
        ),
        (
            "Magnus",
            "Larsen",
            bygg,
            "magnus@fjellheimbygg.no",
            "1999-03-08",
            "2021-06-01",
            None,
            True,
            True,
            850.0,
            480000.0,
        ),
        (
            "Nora",
            "Andersen",
            admin,
            "nora@fjellheimbygg.no",
            "1988-07-19",
            "2019-02-01",
            None,
            True,
            False,
            0.0,
            600000.0,
        ),
        (
            "Henrik",
            "Pedersen",
            bygg,
            None,
            "2001-12-01",
            "2022-08-15",
            None,
            True,
            True,
            650.0,
            420000.0,
        ),
        (
            "Emma",
            "Nilsen",
            elektro,
            "emma@fjellheimbygg.no",
            "1996-05-27",
            "2023-01-09",
            None,
            True,
            True,
            950.0,
            500000.0,
        ),
        (
            "Jonas",
            "Kristiansen",
            bygg,
            "jonas@fjellheimbygg.no",
            "1979-10-10",
            "2014-05-01",
            None,
            True,
            False,
            1150.0,
            720000.0,
        ),
        # No division on the employment: payroll must refuse him.
        (
            "Sindre",
            "Haugen",
            bygg,
            "sindre@fjellheimbygg.no",
            "1992-02-14",
            "2024-03-01",
            None,
            False,
            True,
            850.0,
            470000.0,
        ),
        # Ended employment.
        (
            "Maja",
            "Berg",
            elektro,
            "maja.berg@example.no",
            "1985-08-08",
            "2017-01-01",
            "2024-06-30",
            True,
            False,
            950.0,
            580000.0,
        ),
    ]
    for i, (first, last, dep, email, born, start, end, division, hourly, rate, wage) in enumerate(
        people
    ):
        E.append(
            _employee(
                state,
                b,
                first=first,
                last=last,
                number=str(101 + i),
                department=dep,
                email=email,
                born=born,
                start=start,
                end=end,
                division=division,
                hourly=hourly,
                rate=rate,
                wage=wage,
            )
        )
    # A customer contact person stored as an employee with isContact (hidden by default).
    _ins(
        state,
        "employee",
        {
            "firstName": "Per",
            "lastName": "Kontaktperson",
            "displayName": "Per Kontaktperson",
            "email": "per@skoyen-eiendom.no",
            "userType": "NO_ACCESS",
            "isContact": True,
            "allowInformationRegistration": False,
            "employments": [],
            "companyId": b["company"]["id"],
        },
    )
    for dep, mgr in zip(b["departments"], (E[9], E[3], E[0]), strict=True):
        dep["departmentManager"] = ref(mgr)
    customers = []
    cust_data = [
        ("Skøyen Eiendom AS", "923456781", "post@skoyen-eiendom.no", False),
        ("Lysaker Brygge Sameie", "934567812", "styret@lysakerbrygge.no", False),
        ("Bærum Kommune", "944567823", "faktura@baerum.kommune.no", False),
        ("Asker Boligbyggelag", "955678934", "post@askerbbl.no", False),
        ("Nordre Aker Borettslag", "966789045", "styret@nordreaker.no", False),
        ("Drammen Næringsbygg AS", "977890156", "regnskap@drammennb.no", False),
        ("Tønsberg Hytteutleie AS", "988901267", "post@tonsberghytter.no", False),
        ("Gamle Kunde AS", "999012378", "post@gamlekunde.no", True),
    ]
    for i, (name, org, email, inactive) in enumerate(cust_data):
        customers.append(
            _ins(
                state,
                "customer",
                {
                    "name": name,
                    "displayName": name,
                    "organizationNumber": org,
                    "customerNumber": 10001 + i,
                    "isCustomer": True,
                    "isSupplier": False,
                    "isInactive": inactive,
                    "email": email,
                    "invoiceEmail": email,
                    "language": "NO",
                    "isPrivateIndividual": False,
                    "invoicesDueIn": 14,
                    "invoicesDueInType": "DAYS",
                    "accountManager": ref(E[0]),
                },
            )
        )
    projects = [
        _project(
            state,
            b,
            number="1001",
            name="Rehabilitering Skøyen",
            manager=E[9],
            customer=customers[0],
            start="2024-01-08",
            participants=[E[1], E[2], E[5], E[7]],
            department=bygg,
            activities=["Snekring", "Prosjektledelse", "Reisetid"],
        ),
        _project(
            state,
            b,
            number="1002",
            name="Nytt bad Lysaker Brygge",
            manager=E[1],
            customer=customers[1],
            start="2024-09-01",
            participants=[E[2], E[5]],
            department=bygg,
        ),
        _project(
            state,
            b,
            number="1003",
            name="El-anlegg Bærum skole",
            manager=E[3],
            customer=customers[2],
            start="2024-02-01",
            participants=[E[4], E[8]],
            department=elektro,
            activities=["Elektroarbeid", "Prosjektledelse", "Reisetid"],
        ),
        _project(
            state,
            b,
            number="1004",
            name="Tilbygg Asker",
            manager=E[9],
            customer=customers[3],
            start="2025-01-01",
            participants=[E[1], E[10]],
            department=bygg,
        ),
        _project(
            state,
            b,
            number="1005",
            name="Vedlikehold Nordre Aker",
            manager=E[1],
            customer=customers[4],
            start="2023-05-01",
            participants=[E[2], E[7]],
            department=bygg,
            activities=["Snekring", "Garantiarbeid"],
        ),
        # Closed.
        _project(
            state,
            b,
            number="1006",
            name="Fasade Drammen (avsluttet)",
            manager=E[9],
            customer=customers[5],
            start="2022-03-01",
            end="2023-12-31",
            closed=True,
            participants=[E[1]],
            department=bygg,
        ),
        # Not started yet.
        _project(
            state,
            b,
            number="1007",
            name="Hytteprosjekt Tønsberg",
            manager=E[1],
            customer=customers[6],
            start="2099-04-01",
            participants=[E[2]],
            department=bygg,
        ),
        # Only for participants.
        _project(
            state,
            b,
            number="1008",
            name="Hemmelig oppdrag Skøyen",
            manager=E[3],
            customer=customers[0],
            start="2024-06-01",
            participants_only=True,
            participants=[E[4]],
            department=elektro,
            activities=["Elektroarbeid"],
        ),
        # Internal.
        _project(
            state,
            b,
            number="1009",
            name="Internt: HMS og verksted",
            manager=E[0],
            customer=None,
            start="2020-01-01",
            internal=True,
            participants=[E[6]],
            department=admin,
            activities=["Reisetid"],
        ),
        _project(
            state,
            b,
            number="1010",
            name="Service Bærum",
            manager=E[3],
            customer=customers[2],
            start="2024-03-01",
            participants=[E[4], E[8]],
            department=elektro,
            activities=["Elektroarbeid", "Reisetid"],
        ),
    ]
    # A project-specific activity.
    befaring = _ins(
        state,
        "activity",
        {
            "name": "Befaring Skøyen",
            "number": "1001-1",
            "description": "Befaring og tilstandsvurdering",
            "activityType": "PROJECT_SPECIFIC_ACTIVITY",
            "isProjectActivity": True,
            "isGeneral": False,
            "isTask": False,
            "isDisabled": False,
            "isChargeable": True,
            "rate": 1050.0,
            "costPercentage": 0.0,
            "displayName": "1001-1 Befaring Skøyen",
        },
    )
    pa = _ins(
        state,
        "projectActivity",
        {
            "project": ref(projects[0]),
            "activity": ref(befaring),
            "startDate": "2024-01-08",
            "isClosed": False,
            "budgetHours": 40.0,
        },
    )
    projects[0]["projectActivities"].append(ref(pa))
    acts = b["activities"]
    _hourly_rate(
        state,
        projects[0],
        "TYPE_PROJECT_SPECIFIC_HOURLY_RATES",
        specific=[(None, acts["Snekring"], 890.0), (E[9], acts["Prosjektledelse"], 1250.0)],
    )
    _hourly_rate(state, projects[1], "TYPE_FIXED_HOURLY_RATE", fixed=995.0)
    for proj in projects[2:]:
        _hourly_rate(state, proj, "TYPE_PREDEFINED_HOURLY_RATES")
    return E[0]["id"]


def _large(state: SandboxState, b: dict[str, Any]) -> int:
    """1,000 employees, 10,000 customers, 5,000 projects; same random numbers every time."""
    rnd = random.Random(20250101)  # noqa: S311 - deterministic test data
    deps = b["departments"]
    emps = []
    for i in range(1000):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        emps.append(
            _employee(
                state,
                b,
                first=first,
                last=last,
                number=str(10001 + i),
                department=deps[i % 3],
                email=f"ansatt{i + 1}@fjellheimbygg.no",
                born=f"19{60 + i % 40}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                start=f"20{10 + i % 15}-{1 + i % 12:02d}-01",
                division=i % 97 != 0,
                hourly=i % 3 == 0,
                rate=float(rnd.choice((750, 850, 950, 1150))),
                wage=float(rnd.randrange(450000, 900000, 5000)),
            )
        )
    customers = []
    for i in range(10000):
        name = f"{rnd.choice(PLACES)} {rnd.choice(CUSTOMER_SUFFIX)} {i + 1}"
        customers.append(
            _ins(
                state,
                "customer",
                {
                    "name": name,
                    "displayName": name,
                    "organizationNumber": str(900000000 + i),
                    "customerNumber": 20001 + i,
                    "isCustomer": True,
                    "isSupplier": False,
                    "isInactive": i % 50 == 0,
                    "email": f"post{i + 1}@kunde.example.no",
                    "language": "NO",
                    "isPrivateIndividual": False,
                },
            )
        )
    for i in range(5000):
        members = [emps[(i * 7 + k * 13) % 1000] for k in range(3)]
        _project(
            state,
            b,
            number=str(20001 + i),
            name=f"Prosjekt {rnd.choice(PLACES)} {i + 1}",
            manager=members[0],
            customer=customers[(i * 3) % 10000],
            start=f"20{18 + i % 8}-{1 + i % 12:02d}-01",
            closed=i % 20 == 0,
            participants_only=i % 25 == 0,
            participants=members[1:],
            department=deps[i % 3],
            activities=["Snekring", "Prosjektledelse"],
        )
    return emps[0]["id"]

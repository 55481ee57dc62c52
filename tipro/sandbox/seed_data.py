"""The sandbox seeds as data; `seed.py` turns these rows into stored objects.

The demo company, Fjellheim Bygg AS, is what the demo shows and what many tests name. Rows
refer to each other by natural keys: departments by number, employees by first name,
customers by name, activities by name, projects by number. Ids follow from the order of the
rows, so appending keeps existing ids stable. The large seed reuses the company and draws its
names from the pools at the end.
"""

from __future__ import annotations

from typing import NamedTuple


class VatType(NamedTuple):
    id: int
    number: str
    name: str
    percentage: float


class SalaryType(NamedTuple):
    number: str
    name: str
    description: str
    show_in_timesheet: bool


class Activity(NamedTuple):
    number: str
    name: str
    type: str
    chargeable: bool
    rate: float | None


class Product(NamedTuple):
    number: str
    name: str
    price: float
    vat_type: int
    inactive: bool = False


class Employee(NamedTuple):
    first: str
    last: str
    email: str | None  # None: no user access
    born: str
    department: str
    start: str
    rate: float  # hourly rate charged to customers
    wage: float  # annual wage; hourly employees are paid wage / 1950 an hour
    hourly: bool = False
    end: str | None = None
    division: bool = True  # payroll refuses an employment without a division
    percentage: float = 100.0  # percentageOfFullTimeEquivalent of the employment details
    # Vacation days taken per month number (any year), for the month status' vacationSummary.
    vacation_taken: tuple[tuple[int, float], ...] = ()


class Customer(NamedTuple):
    name: str
    organization_number: str
    email: str
    inactive: bool = False


class Project(NamedTuple):
    number: str
    name: str
    department: str
    manager: str
    participants: tuple[str, ...]
    customer: str | None  # None: internal project
    start: str
    activities: tuple[str, ...] = ("Snekring", "Prosjektledelse", "Reisetid")
    end: str | None = None
    closed: bool = False
    internal: bool = False
    participants_only: bool = False


class ProjectSpecificActivity(NamedTuple):
    project: str
    number: str
    name: str
    description: str
    rate: float
    budget_hours: float


class SpecificRate(NamedTuple):
    employee: str | None  # None: everyone
    activity: str | None  # None: every activity
    rate: float


class HourlyRate(NamedTuple):
    model: str
    fixed: float | None = None
    specific: tuple[SpecificRate, ...] = ()


# -- shared by both seeds ----------------------------------------------------------------------

# Tripletex's usual VAT type ids/numbers; id 3 is 25 % outgoing VAT.
VAT_TYPES = (
    VatType(0, "0", "Ingen avgiftsbehandling", 0.0),
    VatType(1, "1", "Fradrag inngående avgift, høy sats", 25.0),
    VatType(3, "3", "Utgående avgift, høy sats", 25.0),
    VatType(5, "5", "Ingen utgående avgift (innenfor mva-loven)", 0.0),
    VatType(6, "6", "Ingen utgående avgift (utenfor mva-loven)", 0.0),
    VatType(31, "31", "Utgående avgift, middels sats", 15.0),
    VatType(32, "32", "Utgående avgift, lav sats", 12.0),
)
FIRST_ID = 100  # other ids start well above the fixed VAT type ids

COMPANY = {
    "name": "Fjellheim Bygg AS",
    "displayName": "Fjellheim Bygg AS",
    "organizationNumber": "912345678",
    "email": "post@fjellheimbygg.no",
    "phoneNumber": "22 33 44 55",
    "type": "AS",
    "startDate": "2012-03-01",
}
DIVISION = {
    "name": "Fjellheim Bygg AS",
    "displayName": "Fjellheim Bygg AS (virksomhet Oslo)",
    "organizationNumber": "998877665",
    "startDate": "2012-03-01",
}

# (number, name); the first three are active, in this order.
DEPARTMENTS = (("10", "Bygg"), ("20", "Elektro"), ("30", "Administrasjon"))
INACTIVE_DEPARTMENTS = (("90", "Nedlagt verksted"),)

SALARY_TYPES = (
    SalaryType("2000", "Fastlønn", "Fast månedslønn", False),
    SalaryType("2001", "Timelønn", "Lønn per time", True),
    SalaryType("2002", "Bonus", "Bonus", False),
    SalaryType("2005", "Overtid 50 %", "Overtidsgodtgjørelse 50 %", True),
    SalaryType("2006", "Overtid 100 %", "Overtidsgodtgjørelse 100 %", True),
    SalaryType("7100", "Kilometergodtgjørelse", "Bilgodtgjørelse etter statens satser", True),
    SalaryType("7150", "Diett", "Diettgodtgjørelse uten overnatting", True),
)

ACTIVITIES = (
    Activity("1", "Intern tid", "GENERAL_ACTIVITY", False, None),
    Activity("2", "Kurs og opplæring", "GENERAL_ACTIVITY", False, None),
    Activity("3", "Ferie", "GENERAL_ACTIVITY", False, None),
    Activity("10", "Snekring", "PROJECT_GENERAL_ACTIVITY", True, 850.0),
    Activity("11", "Elektroarbeid", "PROJECT_GENERAL_ACTIVITY", True, 950.0),
    Activity("12", "Prosjektledelse", "PROJECT_GENERAL_ACTIVITY", True, 1150.0),
    Activity("13", "Reisetid", "PROJECT_GENERAL_ACTIVITY", False, None),
    Activity("14", "Garantiarbeid", "PROJECT_GENERAL_ACTIVITY", False, None),
)

PRODUCTS = (
    Product("T-100", "Timepris snekker", 850.0, 3),
    Product("T-200", "Timepris elektriker", 950.0, 3),
    Product("T-300", "Timepris prosjektledelse", 1150.0, 3),
    Product("M-100", "Byggematerialer", 0.0, 3),
    Product("KM-1", "Kjøring (km)", 4.5, 3),
    Product("T-099", "Timepris lærling (utgått)", 550.0, 3, inactive=True),
)

# Vacation days every employee brings into a year (25 days: ferieloven's four weeks and a day).
VACATION_DAYS_PER_YEAR = 25.0

# -- the demo: 12 employees, 8 customers, 10 projects ------------------------------------------

DEMO_FIRST_EMPLOYEE_NUMBER = 101  # employee numbers follow the row order
DEMO_API_EMPLOYEE = "Ingrid"  # the employee the API session acts as

# fmt: off
DEMO_EMPLOYEES = (
    Employee("Ingrid", "Fjellheim", "ingrid@fjellheimbygg.no", "1975-04-12",
             department="30", start="2012-03-01", rate=1150.0, wage=850000.0),
    Employee("Ola", "Nordmann", "ola@fjellheimbygg.no", "1982-09-30",
             department="10", start="2015-08-01", rate=850.0, wage=590000.0,
             vacation_taken=((7, 15.0),)),
    Employee("Kari", "Hansen", "kari@fjellheimbygg.no", "1990-01-15",
             department="10", start="2018-01-01", rate=850.0, wage=560000.0,
             vacation_taken=((2, 3.0), (7, 10.0), (10, 2.0))),
    Employee("Lars", "Johansen", "lars@fjellheimbygg.no", "1986-06-02",
             department="20", start="2016-04-01", rate=950.0, wage=620000.0),
    Employee("Sofie", "Olsen", "sofie@fjellheimbygg.no", "1994-11-23",
             department="20", start="2020-09-01", rate=950.0, wage=540000.0),
    Employee("Magnus", "Larsen", "magnus@fjellheimbygg.no", "1999-03-08",
             department="10", start="2021-06-01", rate=850.0, wage=480000.0, hourly=True),
    # Part time: 80 % of the company week (normal working time in the month close).
    Employee("Nora", "Andersen", "nora@fjellheimbygg.no", "1988-07-19",
             department="30", start="2019-02-01", rate=0.0, wage=600000.0, percentage=80.0),
    Employee("Henrik", "Pedersen", None, "2001-12-01",
             department="10", start="2022-08-15", rate=650.0, wage=420000.0, hourly=True),
    Employee("Emma", "Nilsen", "emma@fjellheimbygg.no", "1996-05-27",
             department="20", start="2023-01-09", rate=950.0, wage=500000.0, hourly=True),
    Employee("Jonas", "Kristiansen", "jonas@fjellheimbygg.no", "1979-10-10",
             department="10", start="2014-05-01", rate=1150.0, wage=720000.0),
    # No division on the employment: payroll must refuse him.
    Employee("Sindre", "Haugen", "sindre@fjellheimbygg.no", "1992-02-14", division=False,
             department="10", start="2024-03-01", rate=850.0, wage=470000.0, hourly=True),
    # Ended employment.
    Employee("Maja", "Berg", "maja.berg@example.no", "1985-08-08", end="2024-06-30",
             department="20", start="2017-01-01", rate=950.0, wage=580000.0),
)
# fmt: on

# A customer's contact person, stored as an employee with isContact (hidden by default).
DEMO_CONTACTS = (("Per", "Kontaktperson", "per@skoyen-eiendom.no"),)

# department number -> its manager
DEMO_DEPARTMENT_MANAGERS = {"10": "Jonas", "20": "Lars", "30": "Ingrid"}

DEMO_FIRST_CUSTOMER_NUMBER = 10001  # customer numbers follow the row order
DEMO_ACCOUNT_MANAGER = "Ingrid"
DEMO_CUSTOMERS = (
    Customer("Skøyen Eiendom AS", "923456781", "post@skoyen-eiendom.no"),
    Customer("Lysaker Brygge Sameie", "934567812", "styret@lysakerbrygge.no"),
    Customer("Bærum Kommune", "944567823", "faktura@baerum.kommune.no"),
    Customer("Asker Boligbyggelag", "955678934", "post@askerbbl.no"),
    Customer("Nordre Aker Borettslag", "966789045", "styret@nordreaker.no"),
    Customer("Drammen Næringsbygg AS", "977890156", "regnskap@drammennb.no"),
    Customer("Tønsberg Hytteutleie AS", "988901267", "post@tonsberghytter.no"),
    Customer("Gamle Kunde AS", "999012378", "post@gamlekunde.no", inactive=True),
)

# fmt: off
DEMO_PROJECTS = (
    Project("1001", "Rehabilitering Skøyen", "10", "Jonas", ("Ola", "Kari", "Magnus", "Henrik"),
            customer="Skøyen Eiendom AS", start="2024-01-08"),
    Project("1002", "Nytt bad Lysaker Brygge", "10", "Ola", ("Kari", "Magnus"),
            customer="Lysaker Brygge Sameie", start="2024-09-01"),
    Project("1003", "El-anlegg Bærum skole", "20", "Lars", ("Sofie", "Emma"),
            customer="Bærum Kommune", start="2024-02-01",
            activities=("Elektroarbeid", "Prosjektledelse", "Reisetid")),
    Project("1004", "Tilbygg Asker", "10", "Jonas", ("Ola", "Sindre"),
            customer="Asker Boligbyggelag", start="2025-01-01"),
    Project("1005", "Vedlikehold Nordre Aker", "10", "Ola", ("Kari", "Henrik"),
            customer="Nordre Aker Borettslag", start="2023-05-01",
            activities=("Snekring", "Garantiarbeid")),
    Project("1006", "Fasade Drammen (avsluttet)", "10", "Jonas", ("Ola",),
            customer="Drammen Næringsbygg AS", start="2022-03-01", end="2023-12-31", closed=True),
    # Not started yet.
    Project("1007", "Hytteprosjekt Tønsberg", "10", "Ola", ("Kari",),
            customer="Tønsberg Hytteutleie AS", start="2099-04-01"),
    Project("1008", "Hemmelig oppdrag Skøyen", "20", "Lars", ("Sofie",),
            customer="Skøyen Eiendom AS", start="2024-06-01", participants_only=True,
            activities=("Elektroarbeid",)),
    Project("1009", "Internt: HMS og verksted", "30", "Ingrid", ("Nora",),
            customer=None, start="2020-01-01", internal=True, activities=("Reisetid",)),
    Project("1010", "Service Bærum", "20", "Lars", ("Sofie", "Emma"),
            customer="Bærum Kommune", start="2024-03-01",
            activities=("Elektroarbeid", "Reisetid")),
)
# fmt: on

DEMO_PROJECT_SPECIFIC_ACTIVITIES = (
    ProjectSpecificActivity(
        "1001", "1001-1", "Befaring Skøyen", "Befaring og tilstandsvurdering", 1050.0, 40.0
    ),
)

# project number -> its hourly rate model; projects not listed use the predefined rates.
DEMO_HOURLY_RATES = {
    "1001": HourlyRate(
        "TYPE_PROJECT_SPECIFIC_HOURLY_RATES",
        specific=(
            SpecificRate(None, "Snekring", 890.0),
            SpecificRate("Jonas", "Prosjektledelse", 1250.0),
        ),
    ),
    "1002": HourlyRate("TYPE_FIXED_HOURLY_RATE", fixed=995.0),
}
DEFAULT_HOURLY_RATE = HourlyRate("TYPE_PREDEFINED_HOURLY_RATES")

# -- the large seed: 1,000 employees, 10,000 customers, 5,000 projects ---------------------------

LARGE_RANDOM_SEED = 20250101
LARGE_EMPLOYEES = 1000
LARGE_CUSTOMERS = 10000
LARGE_PROJECTS = 5000
LARGE_RATES = (750, 850, 950, 1150)
LARGE_PROJECT_ACTIVITIES = ("Snekring", "Prosjektledelse")

FIRST_NAMES = (
    "Ingrid", "Ola", "Kari", "Lars", "Sofie", "Magnus", "Nora", "Henrik", "Emma", "Jonas",
    "Ida", "Sindre", "Maja", "Eirik", "Hanna", "Tobias", "Thea", "Kristian", "Sara", "Anders",
)  # fmt: skip
LAST_NAMES = (
    "Fjellheim", "Nordmann", "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen",
    "Nilsen", "Kristiansen", "Jensen", "Haugen", "Berg", "Bakken", "Lie", "Dahl", "Moen",
)  # fmt: skip
PLACES = (
    "Skøyen", "Lysaker", "Bærum", "Asker", "Lillestrøm", "Drammen", "Ski", "Jessheim", "Moss",
    "Tønsberg", "Hamar", "Gjøvik", "Kongsberg", "Sandvika", "Nittedal", "Ås",
)  # fmt: skip
CUSTOMER_SUFFIXES = ("Eiendom AS", "Borettslag", "Sameie", "Bygg AS", "Kommune", "Holding AS")

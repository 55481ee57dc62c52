"""Shapes of what the client returns (TypedDicts: Tripletex JSON limited by `fields`) and sends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, TypedDict, TypeVar

T = TypeVar("T")


@dataclass
class ListResult(Generic[T]):
    """All rows of a paged list, its versionDigest, and how many HTTP calls it took."""

    values: list[T]
    version_digest: str | None
    not_modified: bool
    calls: int = 0

    def __iter__(self) -> Iterator[T]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


class Ref(TypedDict, total=False):
    """A reference to another object, as Tripletex collapses it: {"id": n}."""

    id: int


class NamedRef(TypedDict, total=False):
    """A reference expanded with its name."""

    id: int
    name: str


class Company(TypedDict, total=False):
    """The company behind the token."""

    id: int
    name: str
    organizationNumber: str


class WhoAmIEmployee(TypedDict, total=False):
    """The employee who owns the token."""

    id: int
    firstName: str
    lastName: str
    email: str


class WhoAmI(TypedDict, total=False):
    """GET /token/session/>whoAmI."""

    employeeId: int
    actualEmployeeId: int
    companyId: int
    language: str
    employeeIsProxy: bool
    employee: WhoAmIEmployee
    company: Company


class EmploymentDetails(TypedDict, total=False):
    """Employment details relevant to working time."""

    date: str
    employmentType: str
    remunerationType: str
    percentageOfFullTimeEquivalent: float


class Employment(TypedDict, total=False):
    """An employment; payroll needs one with a division covering the period."""

    id: int
    startDate: str
    endDate: str | None
    division: NamedRef | None
    employmentDetails: list[EmploymentDetails]


class Employee(TypedDict, total=False):
    """GET /employee row. There is no active flag: derive it from employments."""

    id: int
    version: int
    firstName: str
    lastName: str
    displayName: str
    employeeNumber: str
    email: str
    dateOfBirth: str
    userType: str
    isContact: bool
    allowInformationRegistration: bool
    department: Ref | None
    employments: list[Employment]


class Department(TypedDict, total=False):
    """GET /department row."""

    id: int
    version: int
    name: str
    departmentNumber: str
    isInactive: bool
    departmentManager: Ref | None


class Customer(TypedDict, total=False):
    """GET /customer row."""

    id: int
    version: int
    name: str
    customerNumber: int
    organizationNumber: str
    email: str
    invoiceEmail: str
    isInactive: bool
    accountManager: Ref | None
    department: Ref | None


class ProjectParticipant(TypedDict, total=False):
    """Project.participants[]."""

    id: int
    employee: Ref
    adminAccess: bool


class ProjectActivity(TypedDict, total=False):
    """Project.projectActivities[]."""

    id: int
    activity: Ref
    startDate: str | None
    endDate: str | None
    isClosed: bool
    budgetHours: float


class Project(TypedDict, total=False):
    """GET /project row with participants and project activities."""

    id: int
    version: int
    name: str
    number: str
    displayName: str
    startDate: str
    endDate: str | None
    isClosed: bool
    isInternal: bool
    isOffer: bool
    isFixedPrice: bool
    forParticipantsOnly: bool
    generalProjectActivitiesPerProjectOnly: bool
    customer: NamedRef | None
    projectManager: Ref | None
    department: Ref | None
    mainProject: Ref | None
    participants: list[ProjectParticipant]
    projectActivities: list[ProjectActivity]


class Activity(TypedDict, total=False):
    """GET /activity row."""

    id: int
    version: int
    name: str
    number: str
    description: str
    activityType: str
    isProjectActivity: bool
    isGeneral: bool
    isTask: bool
    isDisabled: bool
    isChargeable: bool
    rate: float


class SalaryType(TypedDict, total=False):
    """GET /salary/type row. The number filter is 'containing': match numbers exactly here."""

    id: int
    version: int
    number: str
    name: str
    description: str
    showInTimesheet: bool


class Product(TypedDict, total=False):
    """GET /product row."""

    id: int
    version: int
    name: str
    number: str
    description: str
    orderLineDescription: str
    priceExcludingVatCurrency: float
    priceIncludingVatCurrency: float
    isInactive: bool
    vatType: Ref | None


class VatType(TypedDict, total=False):
    """GET /ledger/vatType row."""

    id: int
    name: str
    number: str
    percentage: float


class Division(TypedDict, total=False):
    """GET /division row (virksomhet)."""

    id: int
    name: str
    organizationNumber: str
    startDate: str
    endDate: str | None


class HourlyCostAndRate(TypedDict, total=False):
    """GET /employee/hourlyCostAndRate row: the employee's rate (and cost) from a date."""

    id: int
    employee: Ref
    date: str
    rate: float
    budgetRate: float
    hourCostRate: float


class ProjectSpecificRate(TypedDict, total=False):
    """ProjectHourlyRate.projectSpecificRates[]."""

    id: int
    hourlyRate: float
    hourlyCostPercentage: float
    employee: Ref | None
    activity: Ref | None


class ProjectHourlyRate(TypedDict, total=False):
    """GET /project/hourlyRates row."""

    id: int
    version: int
    project: Ref
    startDate: str
    hourlyRateModel: str
    fixedRate: float
    showInProjectOrder: bool
    projectSpecificRates: list[ProjectSpecificRate]


class TimesheetEntry(TypedDict, total=False):
    """GET /timesheet/entry row."""

    id: int
    version: int
    employee: Ref
    project: Ref | None
    activity: Ref
    date: str
    hours: float
    chargeableHours: float
    comment: str
    locked: bool
    chargeable: bool
    hourlyRate: float


class SalaryTypeSpecification(TypedDict, total=False):
    """GET /timesheet/salaryTypeSpecification row."""

    id: int
    version: int
    employee: Ref
    salaryType: Ref
    date: str
    count: float
    description: str


class SalarySpecification(TypedDict, total=False):
    """Payslip.specifications[]."""

    id: int
    salaryType: Ref
    rate: float
    count: float
    amount: float
    project: Ref | None
    department: Ref | None
    description: str


class Payslip(TypedDict, total=False):
    """GET /salary/payslip row."""

    id: int
    version: int
    transaction: Ref
    employee: Ref
    date: str
    year: int
    month: int
    grossAmount: float
    amount: float
    specifications: list[SalarySpecification]


class SalaryTransaction(TypedDict, total=False):
    """GET /salary/transaction/{id}."""

    id: int
    version: int
    date: str
    year: int
    month: int
    isHistorical: bool
    payslips: list[Payslip]


class OrderLine(TypedDict, total=False):
    """Order.orderLines[]."""

    id: int
    product: Ref | None
    description: str
    count: float
    unitPriceExcludingVatCurrency: float
    vatType: Ref | None
    amountExcludingVatCurrency: float


class Order(TypedDict, total=False):
    """GET /order row with its lines."""

    id: int
    version: int
    number: str
    customer: Ref
    project: Ref | None
    department: Ref | None
    orderDate: str
    deliveryDate: str
    reference: str
    invoiceComment: str
    isClosed: bool
    orderLines: list[OrderLine]


class MonthlyStatus(TypedDict, total=False):
    """Timesheet month status per employee."""

    id: int
    employee: Ref
    monthYear: str
    completed: bool
    approved: bool
    approvedBy: Ref | None
    approvedDate: str | None
    approvedUntilDate: str | None


class Subscription(TypedDict, total=False):
    """GET /event/subscription row (write-only secrets are never returned)."""

    id: int
    version: int
    event: str
    targetUrl: str
    fields: str
    status: str
    authHeaderName: str


# ----- write payloads ------------------------------------------------------------------------


def _ref(obj_id: int | None) -> dict[str, int] | None:
    return {"id": obj_id} if obj_id is not None else None


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Drop unset keys: Tripletex treats a key sent as null differently from an absent one."""
    return {k: v for k, v in data.items() if v is not None}


@dataclass(frozen=True)
class NewTimesheetEntry:
    """A timesheet entry to create or (with version) to update in full."""

    employee_id: int
    activity_id: int
    date: date
    hours: float
    project_id: int | None = None
    comment: str | None = None

    def to_json(self, *, entry_id: int | None = None, version: int | None = None) -> dict:
        """Body for POST/PUT /timesheet/entry."""
        return _clean(
            {
                "id": entry_id,
                "version": version,
                "employee": _ref(self.employee_id),
                "project": _ref(self.project_id),
                "activity": _ref(self.activity_id),
                "date": self.date.isoformat(),
                "hours": self.hours,
                "comment": self.comment,
            }
        )


@dataclass(frozen=True)
class NewSalaryTypeSpecification:
    """A timesheet salary-type specification (one per employee/date/salary type)."""

    employee_id: int
    salary_type_id: int
    date: date
    count: float
    description: str | None = None

    def to_json(self, *, spec_id: int | None = None, version: int | None = None) -> dict:
        """Body for POST/PUT /timesheet/salaryTypeSpecification."""
        return _clean(
            {
                "id": spec_id,
                "version": version,
                "employee": _ref(self.employee_id),
                "salaryType": _ref(self.salary_type_id),
                "date": self.date.isoformat(),
                "count": self.count,
                "description": self.description,
            }
        )


@dataclass(frozen=True)
class NewSalarySpecification:
    """One payslip line: salary type × count at rate."""

    salary_type_id: int
    rate: float
    count: float
    amount: float | None = None
    project_id: int | None = None
    department_id: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class NewPayslip:
    """One employee's payslip in a salary transaction."""

    employee_id: int
    specifications: list[NewSalarySpecification]
    department_id: int | None = None


@dataclass(frozen=True)
class NewSalaryTransaction:
    """POST /salary/transaction: books immediately, there is no draft."""

    date: date
    year: int
    month: int
    payslips: list[NewPayslip]
    pay_slips_available_date: date | None = None
    is_historical: bool = False

    def to_json(self) -> dict:
        """Body for POST /salary/transaction."""
        return _clean(
            {
                "date": self.date.isoformat(),
                "year": self.year,
                "month": self.month,
                "isHistorical": self.is_historical,
                "paySlipsAvailableDate": (
                    self.pay_slips_available_date.isoformat()
                    if self.pay_slips_available_date
                    else None
                ),
                "payslips": [
                    _clean(
                        {
                            "employee": _ref(p.employee_id),
                            "department": _ref(p.department_id),
                            "specifications": [
                                _clean(
                                    {
                                        "salaryType": _ref(s.salary_type_id),
                                        "rate": s.rate,
                                        "count": s.count,
                                        "amount": s.amount,
                                        "project": _ref(s.project_id),
                                        "department": _ref(s.department_id),
                                        "description": s.description,
                                        "year": self.year,
                                        "month": self.month,
                                    }
                                )
                                for s in p.specifications
                            ],
                        }
                    )
                    for p in self.payslips
                ],
            }
        )


@dataclass(frozen=True)
class NewOrderLine:
    """An order line; with a product it inherits VAT, without one set vat_type_id."""

    count: float
    unit_price_excluding_vat: float | None = None
    product_id: int | None = None
    description: str | None = None
    vat_type_id: int | None = None
    discount: float | None = None

    def to_json(self) -> dict:
        """Body element of Order.orderLines."""
        return _clean(
            {
                "product": _ref(self.product_id),
                "description": self.description,
                "count": self.count,
                "unitPriceExcludingVatCurrency": self.unit_price_excluding_vat,
                "vatType": _ref(self.vat_type_id),
                "discount": self.discount,
            }
        )


@dataclass(frozen=True)
class NewOrder:
    """POST /order (lines embedded). `reference` carries TiPro's stable sync key."""

    customer_id: int
    order_date: date
    delivery_date: date
    lines: list[NewOrderLine] = field(default_factory=list)
    project_id: int | None = None
    department_id: int | None = None
    reference: str | None = None
    invoice_comment: str | None = None
    # GET /order filters deliveryComment (containing), not reference: carry TiPro's key here.
    delivery_comment: str | None = None

    def to_json(self) -> dict:
        """Body for POST /order and elements of POST /order/list."""
        return _clean(
            {
                "customer": _ref(self.customer_id),
                "project": _ref(self.project_id),
                "department": _ref(self.department_id),
                "orderDate": self.order_date.isoformat(),
                "deliveryDate": self.delivery_date.isoformat(),
                "reference": self.reference,
                "invoiceComment": self.invoice_comment,
                "deliveryComment": self.delivery_comment,
                # Lines carry prices excluding VAT, so the order must prioritise those.
                "isPrioritizeAmountsIncludingVat": False,
                "orderLines": [line.to_json() for line in self.lines],
            }
        )


# ----- transfer: project salary specifications, order lines, invoices, weeks ------------------


class SalaryProjectTypeSpecification(TypedDict, total=False):
    """GET /timesheet/salaryProjectTypeSpecification row (no uniqueness: key in description)."""

    id: int
    version: int
    employee: Ref
    project: Ref | None
    activity: Ref | None
    salaryType: Ref
    date: str
    count: float
    description: str
    wagePayment: Ref | None


class OrderLineDetail(TypedDict, total=False):
    """An order line as the transfer reads it back (with version, order and both prices)."""

    id: int
    version: int
    order: Ref
    product: Ref | None
    description: str
    count: float
    unitPriceExcludingVatCurrency: float
    unitPriceIncludingVatCurrency: float
    discount: float
    vatType: Ref | None
    amountExcludingVatCurrency: float
    amountIncludingVatCurrency: float
    isCharged: bool


class OrderDetail(TypedDict, total=False):
    """An order as the transfer reads it back: its key (deliveryComment), state and lines."""

    id: int
    version: int
    number: str
    customer: Ref
    project: Ref | None
    department: Ref | None
    orderDate: str
    deliveryDate: str
    reference: str
    invoiceComment: str
    deliveryComment: str
    isClosed: bool
    orderLines: list[OrderLineDetail]


class Invoice(TypedDict, total=False):
    """PUT /order/{id}/:invoice answer."""

    id: int
    invoiceNumber: int
    invoiceDate: str
    customer: Ref
    orders: list[Ref]
    amount: float
    amountExcludingVat: float


class Week(TypedDict, total=False):
    """Timesheet week status per employee."""

    id: int
    employee: Ref
    year: int
    week: int
    completed: bool
    approved: bool
    approvedBy: Ref | None
    approvedDate: str | None


@dataclass(frozen=True)
class NewSalaryProjectTypeSpecification:
    """A salary-type specification with project/activity (Tripletex keeps any number per key)."""

    employee_id: int
    salary_type_id: int
    date: date
    count: float
    project_id: int | None = None
    activity_id: int | None = None
    description: str | None = None

    def to_json(self, *, spec_id: int | None = None, version: int | None = None) -> dict:
        """Body for POST/PUT /timesheet/salaryProjectTypeSpecification."""
        return _clean(
            {
                "id": spec_id,
                "version": version,
                "employee": _ref(self.employee_id),
                "project": _ref(self.project_id),
                "activity": _ref(self.activity_id),
                "salaryType": _ref(self.salary_type_id),
                "date": self.date.isoformat(),
                "count": self.count,
                "description": self.description,
            }
        )

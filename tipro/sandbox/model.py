"""The sandbox's resource kinds: their URL paths, spec schemas and relations."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Kind:
    """One stored resource kind."""

    name: str
    path: str  # URL path under /v2, used for `url`
    schema: str  # component schema name in the spec
    refs: dict[str, str] = field(default_factory=dict)  # field -> kind of a single reference
    lists: dict[str, str] = field(default_factory=dict)  # field -> kind of a list of references
    webhook: str | None = None  # event subject, e.g. "employee"


KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        Kind("company", "company", "Company"),
        Kind(
            "employee",
            "employee",
            "Employee",
            refs={"department": "department"},
            lists={"employments": "employment"},
            webhook="employee",
        ),
        Kind(
            "employment",
            "employee/employment",
            "Employment",
            refs={"employee": "employee", "division": "division"},
            lists={"employmentDetails": "employmentDetails"},
        ),
        Kind(
            "employmentDetails",
            "employee/employment/details",
            "EmploymentDetails",
            refs={"employment": "employment"},
        ),
        Kind(
            "hourlyCostAndRate",
            "employee/hourlyCostAndRate",
            "HourlyCostAndRate",
            refs={"employee": "employee"},
        ),
        Kind("department", "department", "Department", refs={"departmentManager": "employee"}),
        Kind("division", "division", "Division"),
        Kind(
            "customer",
            "customer",
            "Customer",
            refs={"accountManager": "employee", "department": "department"},
            webhook="customer",
        ),
        Kind(
            "project",
            "project",
            "Project",
            refs={
                "projectManager": "employee",
                "department": "department",
                "mainProject": "project",
                "customer": "customer",
                "vatType": "vatType",
            },
            lists={
                "participants": "participant",
                "projectActivities": "projectActivity",
                "projectHourlyRates": "hourlyRate",
            },
            webhook="project",
        ),
        Kind(
            "participant",
            "project/participant",
            "ProjectParticipant",
            refs={"project": "project", "employee": "employee"},
        ),
        Kind(
            "projectActivity",
            "project/projectActivity",
            "ProjectActivity",
            refs={"project": "project", "activity": "activity"},
        ),
        Kind("activity", "activity", "Activity"),
        Kind("salaryType", "salary/type", "SalaryType"),
        Kind(
            "product",
            "product",
            "Product",
            refs={"vatType": "vatType", "department": "department"},
            webhook="product",
        ),
        Kind("vatType", "ledger/vatType", "VatType"),
        Kind(
            "hourlyRate",
            "project/hourlyRates",
            "ProjectHourlyRate",
            refs={"project": "project"},
            lists={"projectSpecificRates": "projectSpecificRate"},
        ),
        Kind(
            "projectSpecificRate",
            "project/hourlyRates/projectSpecificRates",
            "ProjectSpecificRate",
            refs={
                "projectHourlyRate": "hourlyRate",
                "employee": "employee",
                "activity": "activity",
            },
        ),
        Kind(
            "timesheetEntry",
            "timesheet/entry",
            "TimesheetEntry",
            refs={
                "project": "project",
                "activity": "activity",
                "employee": "employee",
                "invoice": "invoice",
            },
        ),
        Kind(
            "salaryProjectTypeSpecification",
            "timesheet/salaryProjectTypeSpecification",
            "TimesheetProjectSalaryTypeSpecification",
            refs={
                "employee": "employee",
                "project": "project",
                "activity": "activity",
                "salaryType": "salaryType",
                "wagePayment": "payslip",
            },
        ),
        Kind(
            "invoice",
            "invoice",
            "Invoice",
            refs={"customer": "customer"},
            lists={"orders": "order"},
        ),
        Kind(
            "salaryTypeSpecification",
            "timesheet/salaryTypeSpecification",
            "TimesheetSalaryTypeSpecification",
            refs={"employee": "employee", "salaryType": "salaryType"},
        ),
        Kind(
            "salaryTransaction",
            "salary/transaction",
            "SalaryTransaction",
            lists={"payslips": "payslip"},
        ),
        Kind(
            "payslip",
            "salary/payslip",
            "Payslip",
            refs={
                "transaction": "salaryTransaction",
                "employee": "employee",
                "department": "department",
            },
            lists={"specifications": "salarySpecification"},
        ),
        Kind(
            "salarySpecification",
            "salary/specification",
            "SalarySpecification",
            refs={
                "project": "project",
                "department": "department",
                "salaryType": "salaryType",
                "payslip": "payslip",
                "employee": "employee",
            },
        ),
        Kind(
            "order",
            "order",
            "Order",
            refs={
                "customer": "customer",
                "department": "department",
                "project": "project",
                "ourContactEmployee": "employee",
            },
            lists={"orderLines": "orderLine"},
            webhook="order",
        ),
        Kind(
            "orderLine",
            "order/orderline",
            "OrderLine",
            refs={"product": "product", "vatType": "vatType", "order": "order"},
        ),
        Kind(
            "monthlyStatus",
            "timesheet/month",
            "MonthlyStatus",
            refs={"employee": "employee", "approvedBy": "employee"},
        ),
        Kind(
            "week",
            "timesheet/week",
            "Week",
            refs={"employee": "employee", "approvedBy": "employee"},
        ),
        Kind("subscription", "event/subscription", "Subscription"),
    ]
}

# Write-only subscription fields never come back in responses.
WRITE_ONLY = {"subscription": {"authHeaderValue", "hmacSharedSecret"}}

"""All models, importable without importing any view (the worker needs them too)."""

from tipro.models.audit import AuditEvent
from tipro.models.base import CompanyScoped, TripletexSynced, utcnow
from tipro.models.master import (
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
    VatType,
)
from tipro.models.people import (
    LANGUAGES,
    ROLES,
    Company,
    LoginFailure,
    User,
)

__all__ = [
    "LANGUAGES",
    "ROLES",
    "Activity",
    "AuditEvent",
    "Company",
    "CompanyScoped",
    "Customer",
    "Department",
    "Division",
    "Employee",
    "HourlyRate",
    "LoginFailure",
    "Product",
    "Project",
    "ProjectActivity",
    "ProjectParticipant",
    "SalaryType",
    "TripletexSynced",
    "User",
    "VatType",
    "utcnow",
]

"""All models, importable without importing any view (the worker needs them too)."""

from tipro.models.approval import CustomerSignoff, Period, PeriodLine, ReminderSent
from tipro.models.audit import AuditEvent
from tipro.models.base import CompanyScoped, TripletexSynced, utcnow
from tipro.models.change_request import ChangeRequest
from tipro.models.closure import ClosureDay
from tipro.models.extras import (
    AbsenceType,
    CustomField,
    CustomFieldValue,
    EntryAbsence,
    EntrySupplement,
    SupplementType,
)
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
from tipro.models.sync import (
    SyncCursor,
    SyncPendingChange,
    SyncRun,
    SyncStep,
    TripletexConnection,
)
from tipro.models.transfer import TransferBatch, TransferItem, TransferItemEntry, TransferLog
from tipro.models.work import TimeEntry, Timer

__all__ = [
    "LANGUAGES",
    "AbsenceType",
    "CustomField",
    "CustomerSignoff",
    "Period",
    "PeriodLine",
    "ReminderSent",
    "CustomFieldValue",
    "EntryAbsence",
    "EntrySupplement",
    "SupplementType",
    "ROLES",
    "Activity",
    "AuditEvent",
    "ChangeRequest",
    "ClosureDay",
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
    "SyncCursor",
    "SyncPendingChange",
    "SyncRun",
    "SyncStep",
    "TimeEntry",
    "Timer",
    "TransferBatch",
    "TransferItem",
    "TransferItemEntry",
    "TransferLog",
    "TripletexConnection",
    "TripletexSynced",
    "User",
    "VatType",
    "utcnow",
]

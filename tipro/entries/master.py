"""The master data the pickers and checks read, cached per company across requests.

Every company row carries `master_data_version`. It is raised in the same transaction as any
write of the rows in MASTER_MODELS — by a listener on the session, so the sync engine, the
admin's edits of supplement/absence types and custom fields, and any later writer are all
covered without remembering to. A request reads the version together with its user
(`load_user` joins the company: no extra statement) and looks its lists up in the app's cache
under that version; a new version means a fresh load. So a second web process or the worker
never needs telling: the next request of any process reads the new version and reloads.

What is cached are frozen copies (no ORM object is shared between requests or threads), and
the shared cache is skipped while the request's own transaction has written master data (an
admin edit re-rendering its page): then the lists are read for that request alone, forgotten
whenever master data is flushed, as they were before there was a cache.
Outside a request (jobs, the CLI) nothing is cached: every call reads the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from flask import current_app, g, has_request_context
from flask_login import current_user
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from tipro import tenancy
from tipro.models import (
    AbsenceType,
    Activity,
    Company,
    CustomField,
    Product,
    Project,
    ProjectActivity,
    ProjectParticipant,
    SupplementType,
)

T = TypeVar("T")

# A flush that writes one of these raises its company's version before the commit.
MASTER_MODELS = (
    Project,
    ProjectActivity,
    ProjectParticipant,
    Activity,
    CustomField,
    SupplementType,
    AbsenceType,
    Product,
)
# Companies whose master data this session's transaction wrote (raised at commit).
_WRITTEN = "tipro_master_written"
_PER_REQUEST = "_tipro_master_data"
_EXTENSION = "tipro_master_data"
MAX_COMPANIES = 500  # per process; beyond it the cache starts over (one load per company)


# ---------------------------------------------------------------- the copies


@dataclass(frozen=True, slots=True)
class FieldDef:
    id: int
    key: str
    label: str
    field_type: str
    choices: tuple[str, ...]
    required: bool
    project_id: int | None
    include_in_transfer: bool
    position: int


@dataclass(frozen=True, slots=True)
class SupplementDef:
    id: int
    name: str
    unit: str
    per: str
    salary_type_id: int | None
    product_id: int | None
    billable: bool
    asks_for_product: bool
    position: int


@dataclass(frozen=True, slots=True)
class AbsenceDef:
    id: int
    name: str
    code: str
    activity_id: int | None
    salary_type_id: int | None
    position: int


@dataclass(frozen=True, slots=True)
class ProductDef:
    id: int
    number: str | None
    name: str
    price_excluding_vat: Decimal | None


@dataclass(frozen=True, slots=True)
class ActivityDef:
    """An active activity; the two flags are Tripletex' type (see tipro.entries.pickers)."""

    id: int
    name: str
    number: str | None
    is_general: bool
    is_project_activity: bool

    @property
    def without_project(self) -> bool:
        """GENERAL_ACTIVITY: for hours without a project, and only those."""
        return self.is_general and not self.is_project_activity

    @property
    def on_any_project(self) -> bool:
        """PROJECT_GENERAL_ACTIVITY: on every project without a link."""
        return self.is_general and self.is_project_activity


@dataclass(frozen=True, slots=True)
class ProjectDef:
    """An active, not closed project, with what decides whether someone may log on it."""

    id: int
    number: str | None
    name: str
    start_date: date | None
    end_date: date | None
    for_participants_only: bool
    project_manager_id: int | None
    participants: frozenset[int]

    @property
    def display_name(self) -> str:
        return f"{self.number} {self.name}" if self.number else self.name

    def is_open_on(self, day: date) -> bool:
        """Twin of Project.is_open_on (active and not closed hold for every cached project)."""
        return (self.start_date is None or self.start_date <= day) and (
            self.end_date is None or self.end_date >= day
        )

    def may_log(self, employee_id: int | None) -> bool:
        """Twin of pickers.project_may_log_clause."""
        if not self.for_participants_only:
            return True
        return employee_id is not None and (
            employee_id == self.project_manager_id or employee_id in self.participants
        )


@dataclass(frozen=True, slots=True)
class LinkDef:
    """An open link of an activity to a project (ProjectActivity, not closed)."""

    activity_id: int
    start_date: date | None
    end_date: date | None

    def is_open_on(self, day: date) -> bool:
        return (self.start_date is None or self.start_date <= day) and (
            self.end_date is None or self.end_date >= day
        )


# ---------------------------------------------------------------- the version


def _written(session: Session) -> set[int]:
    return session.info.setdefault(_WRITTEN, set())


def _note_writes(session: Session, _context) -> None:
    written = {
        row.company_id
        for rows in (session.new, session.dirty, session.deleted)
        for row in rows
        if isinstance(row, MASTER_MODELS)
    }
    if written:
        _written(session).update(written)
        forget()


def _raise_versions(session: Session) -> None:
    """Just before the commit: one UPDATE per company whose master data was written."""
    companies = session.info.pop(_WRITTEN, None)
    if not companies:
        return
    table = Company.__table__
    connection = session.connection()
    for company_id in sorted(companies):
        connection.execute(
            update(table)
            .where(table.c.id == company_id)
            .values(master_data_version=table.c.master_data_version + 1)
        )


def _flush_then_raise(session: Session) -> None:
    # A flush inside commit happens after before_commit: flush here so its writes count.
    if session.new or session.dirty or session.deleted:
        session.flush()
    _raise_versions(session)


def _transaction_ended(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WRITTEN, None)
        forget()


def bump(session: Session, company_id: int) -> None:
    """Mark the company's master data as changed in this transaction (raised at commit).

    The listener does this for every ORM write of MASTER_MODELS; call it for a change it
    cannot see.
    """
    _written(session).add(company_id)
    forget()


for _name, _listener in (
    ("after_flush", _note_writes),
    ("before_commit", _flush_then_raise),
    ("after_transaction_end", _transaction_ended),
):
    if not event.contains(Session, _name, _listener):
        event.listen(Session, _name, _listener)


# ---------------------------------------------------------------- the cache


def forget(*_args) -> None:
    """Drop this request's lists (the shared cache is keyed by version and needs no drop)."""
    if has_request_context():
        g.pop(_PER_REQUEST, None)


def _shared_key() -> tuple[int, int] | None:
    """(company id, version) when the shared cache may be used, else None."""
    from tipro.extensions import db

    if db.session().info.get(_WRITTEN):
        return None  # this transaction changed master data: its own view, uncached
    user = current_user._get_current_object()
    if not getattr(user, "is_authenticated", False):
        return None
    company_id = tenancy.current_company_id()
    if company_id is None or company_id != user.company_id:
        return None
    return company_id, user.company.master_data_version


_MISSING = object()


def cached(name: str, load: Callable[[], T]) -> T:
    """`load()` once per company and master-data version (once per call outside a request).

    `load` must return frozen values: they are shared by every request of the process.
    """
    if not has_request_context():
        return load()
    per_request = g.setdefault(_PER_REQUEST, {})
    value = per_request.get(name, _MISSING)
    if value is not _MISSING:
        return value
    key = _shared_key()
    if key is None:
        value = per_request[name] = load()
        return value
    company_id, version = key
    store: dict[int, tuple[int, dict]] = current_app.extensions.setdefault(_EXTENSION, {})
    entry = store.get(company_id)
    if entry is None or entry[0] != version:
        if len(store) >= MAX_COMPANIES:
            store.clear()
        entry = store[company_id] = (version, {})
    value = entry[1].get(name, _MISSING)
    if value is _MISSING:
        value = entry[1][name] = load()
    per_request[name] = value
    return value


def clear(app) -> None:
    """Empty an app's shared cache (tests, or after restoring a database)."""
    app.extensions.pop(_EXTENSION, None)

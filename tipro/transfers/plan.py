"""The plan: what Tripletex should hold for a month, compared with what the ledger says it holds.

From APPROVED entries (state approved, or transferred: a correction re-plans them) dated in
the calendar month, the desired Tripletex object per stable key:

- timesheet entries: ONE per employee/date/project/activity holding the ABSOLUTE total of
  TiPro's entries on that key (absence goes on its absence type's activity, without project);
- salary-type specifications: one per employee/date/salary type, the total of the supplements
  mapped to that salary type (Tripletex allows one per key, so we aggregate).

Each key is compared with the ledger's last confirmed item for it → new / changed / unchanged /
correction (the total became 0, or the key's hours are gone from an approved period: delete).
A key with an entry that is not approved (reopened, waiting) is left out: Tripletex keeps what
it has until the hours are approved again. A dry run is exactly this plan; the real run sends
exactly the plan (services.start records it before anything is sent).

Runs inside the caller's company scope. Statements: a fixed handful per plan.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from tipro.extensions import db
from tipro.models import (
    AbsenceType,
    Activity,
    CustomField,
    CustomFieldValue,
    Employee,
    EntryAbsence,
    EntrySupplement,
    Period,
    Project,
    SalaryType,
    SupplementType,
    TimeEntry,
    User,
)
from tipro.models.approval import PERIOD_APPROVED
from tipro.models.transfer import (
    CHANGE_CHANGED,
    CHANGE_CORRECTION,
    CHANGE_NEW,
    CHANGE_UNCHANGED,
    ITEM_CONFIRMED,
    ITEM_FAILED,
    ITEM_LEFT,
    ITEM_NEEDS_CHECK,
    ITEM_PENDING,
    ITEM_SALARY_TYPE_SPEC,
    ITEM_SENDING,
    ITEM_TIMESHEET_ENTRY,
    MODE_TIMESHEET,
    OP_CREATE,
    OP_DELETE,
    OP_NONE,
    OP_UPDATE,
    TransferBatch,
    TransferItem,
)
from tipro.models.work import ENTRY_APPROVED, ENTRY_TRANSFERRED

ZERO = Decimal("0")
SETTLED_ENTRY_STATES = (ENTRY_APPROVED, ENTRY_TRANSFERRED)
MAX_COMMENT = 1000
# What the ledger knows of a key: the newest of these states decides.
_LEDGER_STATES = (ITEM_CONFIRMED, ITEM_NEEDS_CHECK, ITEM_SENDING, ITEM_LEFT, ITEM_FAILED)


def month_span(month: date) -> tuple[date, date]:
    """First and last day of the calendar month containing `month`."""
    first = month.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return first, nxt - timedelta(days=1)


def payload_hash(payload: dict) -> str:
    """SHA-256 of the canonical JSON of a payload."""
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def _num(value: Decimal) -> float | int:
    """Decimal hours/counts as JSON numbers (7.5, 8), exact to the hundredth."""
    value = value.quantize(Decimal("0.01"))
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass
class Desired:
    """What one stable key should hold in Tripletex."""

    item_kind: str
    key: str
    payload: dict
    user_id: int | None
    employee_tx: int
    day: date
    quantity: Decimal
    entries: list[tuple[int, Decimal, Decimal | None]] = field(default_factory=list)


@dataclass
class Known:
    """What the ledger last knew of a key."""

    state: str
    operation: str
    payload_hash: str
    tripletex_id: int | None
    tripletex_version: int | None
    payload: dict


@dataclass
class PlannedItem:
    """One item of the plan: the key, what to do and why."""

    item_kind: str
    key: str
    operation: str
    change: str
    payload: dict
    payload_hash: str
    user_id: int | None
    employee_tx: int
    day: date
    quantity: Decimal
    entries: list[tuple[int, Decimal, Decimal | None]]
    tripletex_id: int | None = None
    tripletex_version: int | None = None
    # The ledger's last attempt on the key had an unknown outcome: reconcile before sending.
    unresolved: bool = False

    def as_row(self) -> dict[str, Any]:
        """For exports and the dry-run preview."""
        return {
            "kind": self.item_kind,
            "key": self.key,
            "operation": self.operation,
            "change": self.change,
            "date": self.day.isoformat(),
            "quantity": str(self.quantity),
            "payload": self.payload,
        }


# ---------------------------------------------------------------- desired state


def _settled_days(first: date, last: date) -> dict[int, set[date]]:
    """Days of each user that lie in an approved period (for deletions)."""
    out: dict[int, set[date]] = defaultdict(set)
    for period in db.session.scalars(
        select(Period).where(
            Period.state == PERIOD_APPROVED, Period.first_day <= last, Period.last_day >= first
        )
    ):
        day = max(first, period.first_day)
        while day <= min(last, period.last_day):
            out[period.user_id].add(day)
            day += timedelta(days=1)
    return out


def _comments(entry_ids: list[int]) -> dict[int, list[str]]:
    """Custom fields marked for the transfer, per entry («Label: value»), one statement."""
    out: dict[int, list[str]] = defaultdict(list)
    if not entry_ids:
        return out
    rows = db.session.execute(
        select(CustomFieldValue.entry_id, CustomField.label, CustomFieldValue.value)
        .join(CustomField, CustomField.id == CustomFieldValue.field_id)
        .where(CustomFieldValue.entry_id.in_(entry_ids), CustomField.include_in_transfer.is_(True))
        .order_by(CustomFieldValue.entry_id, CustomField.position, CustomField.label)
    )
    for entry_id, label, value in rows:
        out[entry_id].append(f"{label}: {value}")
    return out


def desired_timesheet(first: date, last: date) -> tuple[list[Desired], set[str]]:
    """Desired timesheet entries and salary-type specifications; and the keys to leave alone.

    A key with any entry not approved (open or waiting) is left alone (second value).
    """
    emp, proj, act = (aliased(m) for m in (Employee, Project, Activity))
    abs_act = aliased(Activity)
    rows = db.session.execute(
        select(
            TimeEntry,
            emp.tripletex_id,
            proj.tripletex_id,
            act.tripletex_id,
            abs_act.tripletex_id,
        )
        .join(User, User.id == TimeEntry.user_id)
        .outerjoin(emp, emp.id == func.coalesce(TimeEntry.employee_id, User.employee_id))
        .outerjoin(proj, proj.id == TimeEntry.project_id)
        .outerjoin(act, act.id == TimeEntry.activity_id)
        .outerjoin(EntryAbsence, EntryAbsence.entry_id == TimeEntry.id)
        .outerjoin(AbsenceType, AbsenceType.id == EntryAbsence.absence_type_id)
        .outerjoin(abs_act, abs_act.id == AbsenceType.activity_id)
        .where(TimeEntry.date >= first, TimeEntry.date <= last)
        .order_by(TimeEntry.date, TimeEntry.id)
    ).all()
    groups: dict[str, Desired] = {}
    blocked: set[str] = set()
    settled_ids: list[int] = []
    comments_of: dict[str, list[int]] = defaultdict(list)
    entry_comment: dict[int, str] = {}
    for entry, emp_tx, proj_tx, act_tx, abs_act_tx in rows:
        activity_tx = act_tx or abs_act_tx
        if emp_tx is None or activity_tx is None:
            continue  # not linked to Tripletex: the pre-flight says so at approval
        key = f"ts:{emp_tx}:{entry.date.isoformat()}:{proj_tx or 0}:{activity_tx}"
        if entry.state not in SETTLED_ENTRY_STATES:
            blocked.add(key)
            continue
        settled_ids.append(entry.id)
        entry_comment[entry.id] = (entry.comment or "").strip()
        group = groups.get(key)
        if group is None:
            payload: dict[str, Any] = {
                "employee": {"id": emp_tx},
                "activity": {"id": activity_tx},
                "date": entry.date.isoformat(),
            }
            if proj_tx:
                payload["project"] = {"id": proj_tx}
            group = groups[key] = Desired(
                ITEM_TIMESHEET_ENTRY, key, payload, entry.user_id, emp_tx, entry.date, ZERO
            )
        group.quantity += Decimal(entry.hours)
        group.entries.append((entry.id, Decimal(entry.hours), None))
        comments_of[key].append(entry.id)
    extra = _comments(settled_ids)
    for key, group in groups.items():
        parts = []
        for entry_id in comments_of[key]:
            text = " · ".join(p for p in [entry_comment[entry_id], *extra[entry_id]] if p)
            if text and text not in parts:
                parts.append(text)
        group.payload["hours"] = _num(group.quantity)
        comment = " | ".join(parts)[:MAX_COMMENT]
        if comment:
            group.payload["comment"] = comment
    out = [g for k, g in groups.items() if k not in blocked]
    specs, spec_blocked = _desired_specs(first, last)
    return out + specs, blocked | spec_blocked


def _desired_specs(first: date, last: date) -> tuple[list[Desired], set[str]]:
    emp = aliased(Employee)
    rows = db.session.execute(
        select(
            TimeEntry.id,
            TimeEntry.user_id,
            TimeEntry.date,
            TimeEntry.state,
            emp.tripletex_id,
            SalaryType.tripletex_id,
            EntrySupplement.quantity,
        )
        .join(EntrySupplement, EntrySupplement.entry_id == TimeEntry.id)
        .join(SupplementType, SupplementType.id == EntrySupplement.supplement_type_id)
        .join(SalaryType, SalaryType.id == SupplementType.salary_type_id)
        .join(User, User.id == TimeEntry.user_id)
        .outerjoin(emp, emp.id == func.coalesce(TimeEntry.employee_id, User.employee_id))
        .where(TimeEntry.date >= first, TimeEntry.date <= last)
        .order_by(TimeEntry.date, TimeEntry.id, EntrySupplement.id)
    ).all()
    groups: dict[str, Desired] = {}
    blocked: set[str] = set()
    for entry_id, user_id, day, state, emp_tx, st_tx, quantity in rows:
        if emp_tx is None:
            continue
        key = f"sts:{emp_tx}:{day.isoformat()}:{st_tx}"
        if state not in SETTLED_ENTRY_STATES:
            blocked.add(key)
            continue
        group = groups.get(key)
        if group is None:
            payload = {
                "employee": {"id": emp_tx},
                "salaryType": {"id": st_tx},
                "date": day.isoformat(),
                "description": f"TiPro {key}",
            }
            group = groups[key] = Desired(
                ITEM_SALARY_TYPE_SPEC, key, payload, user_id, emp_tx, day, ZERO
            )
        group.quantity += Decimal(quantity)
        group.entries.append((entry_id, Decimal(quantity), None))
    for group in groups.values():
        group.payload["count"] = _num(group.quantity)
    return [g for k, g in groups.items() if k not in blocked], blocked


# ---------------------------------------------------------------- the ledger


def ledger(kinds: tuple[str, ...], keys: set[str] | None = None, month: date | None = None):
    """The newest item per key of these kinds that reached Tripletex or tried to (not dry runs).

    Returns {key: Known}. With `month`, only keys of batches for that month.
    """
    query = (
        select(TransferItem)
        .join(TransferBatch, TransferBatch.id == TransferItem.batch_id)
        .where(
            TransferBatch.dry_run.is_(False),
            TransferItem.item_kind.in_(kinds),
            TransferItem.state.in_(_LEDGER_STATES),
        )
        .order_by(TransferItem.id)
    )
    if month is not None:
        query = query.where(TransferBatch.month == month.replace(day=1))
    out: dict[str, Known] = {}
    confirmed: dict[str, Known] = {}
    for item in db.session.scalars(query):
        if keys is not None and item.key not in keys:
            continue
        known = Known(
            item.state,
            item.operation,
            item.payload_hash,
            item.tripletex_id,
            item.tripletex_version,
            item.payload,
        )
        if item.state == ITEM_FAILED:
            # A failure changed nothing in Tripletex; only the last confirmed object counts.
            continue
        out[item.key] = known
        if item.state == ITEM_CONFIRMED:
            confirmed[item.key] = known
    # An unresolved attempt keeps the last confirmed id/version (an update may have landed).
    for key, known in out.items():
        if known.state in (ITEM_NEEDS_CHECK, ITEM_SENDING) and known.tripletex_id is None:
            base = confirmed.get(key)
            if base is not None and base.operation != OP_DELETE:
                known.tripletex_id = base.tripletex_id
                known.tripletex_version = base.tripletex_version
    return out


def _exists(known: Known | None) -> bool:
    """Whether the ledger says TiPro's object exists in Tripletex (or may, if unresolved)."""
    if known is None or known.state == ITEM_LEFT:
        return False
    if known.state == ITEM_CONFIRMED:
        return known.operation != OP_DELETE
    return known.tripletex_id is not None or known.operation != OP_DELETE


# ---------------------------------------------------------------- the plan


def plan(mode: str, month: date) -> list[PlannedItem]:
    """The month's plan for `mode` (timesheet), stable order (kind, date, key)."""
    if mode != MODE_TIMESHEET:
        raise ValueError(f"mode {mode!r} is not planned by this module yet")
    first, last = month_span(month)
    desired, blocked = desired_timesheet(first, last)
    kinds = (ITEM_TIMESHEET_ENTRY, ITEM_SALARY_TYPE_SPEC)
    known = ledger(kinds, month=first)
    settled = _settled_days(first, last)
    users_by_emp = dict(
        db.session.execute(
            select(Employee.tripletex_id, User.id).join(User, User.employee_id == Employee.id)
        ).all()
    )
    out: list[PlannedItem] = []
    wanted_keys = set()
    for want in desired:
        wanted_keys.add(want.key)
        out.append(_compare(want, known.get(want.key)))
    # Keys TiPro sent before that no approved entry holds any more: delete (a correction),
    # when the day is settled (in an approved period) and no unapproved entry waits on it.
    for key, prev in known.items():
        if key in wanted_keys or key in blocked or not _exists(prev):
            continue
        kind, emp_tx, day = _key_parts(key)
        user_id = users_by_emp.get(emp_tx)
        if user_id is None or day not in settled.get(user_id, set()):
            continue
        out.append(
            PlannedItem(
                kind,
                key,
                OP_DELETE,
                CHANGE_CORRECTION,
                {},
                payload_hash({}),
                user_id,
                emp_tx,
                day,
                ZERO,
                [],
                prev.tripletex_id,
                prev.tripletex_version,
                unresolved=prev.state in (ITEM_NEEDS_CHECK, ITEM_SENDING),
            )
        )
    out.sort(key=lambda p: (p.item_kind != ITEM_TIMESHEET_ENTRY, p.day, p.key))
    return out


def _key_parts(key: str) -> tuple[str, int, date]:
    prefix, emp, day, *_rest = key.split(":")
    kind = ITEM_TIMESHEET_ENTRY if prefix == "ts" else ITEM_SALARY_TYPE_SPEC
    return kind, int(emp), date.fromisoformat(day)


def _compare(want: Desired, prev: Known | None) -> PlannedItem:
    digest = payload_hash(want.payload)
    item = PlannedItem(
        want.item_kind,
        want.key,
        OP_CREATE,
        CHANGE_NEW,
        want.payload,
        digest,
        want.user_id,
        want.employee_tx,
        want.day,
        want.quantity,
        want.entries,
    )
    if want.quantity == ZERO:
        # Nothing to hold: delete what we sent, else nothing to do.
        if _exists(prev):
            item.operation, item.change = OP_DELETE, CHANGE_CORRECTION
            item.payload, item.payload_hash = {}, payload_hash({})
            item.tripletex_id, item.tripletex_version = prev.tripletex_id, prev.tripletex_version
            item.unresolved = prev.state in (ITEM_NEEDS_CHECK, ITEM_SENDING)
        else:
            item.operation, item.change = OP_NONE, CHANGE_UNCHANGED
        return item
    if prev is None:
        return item
    if prev.state == ITEM_LEFT:
        if prev.payload_hash == digest:
            item.operation, item.change = OP_NONE, CHANGE_UNCHANGED
        return item
    item.unresolved = prev.state in (ITEM_NEEDS_CHECK, ITEM_SENDING)
    if not _exists(prev):
        return item
    item.tripletex_id, item.tripletex_version = prev.tripletex_id, prev.tripletex_version
    if prev.state == ITEM_CONFIRMED and prev.payload_hash == digest:
        item.operation, item.change = OP_NONE, CHANGE_UNCHANGED
    elif item.tripletex_id is None:
        item.operation = OP_CREATE  # an unresolved create: reconcile decides
    else:
        item.operation, item.change = OP_UPDATE, CHANGE_CHANGED
    return item


def pending_states() -> tuple[str, ...]:
    """Item states the runner still has to act on."""
    return (ITEM_PENDING, ITEM_SENDING, ITEM_NEEDS_CHECK)

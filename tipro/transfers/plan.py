"""The plan: what Tripletex should hold for a month, compared with what the ledger says it holds.

From APPROVED entries (state approved, or transferred: a correction re-plans them) dated in
the calendar month, the desired Tripletex object per stable key:

- timesheet entries: ONE per employee/date/project/activity holding the ABSOLUTE total of
  TiPro's entries on that key (absence goes on its absence type's activity, without project);
- salary-type specifications: one per employee/date/salary type, the total of the supplements
  mapped to that salary type (Tripletex allows one per key, so we aggregate).

- (timesheet mode) supplements on entries with a project: salary project-type specifications
  carrying project/activity and TiPro's key in `description` (_desired_specs has the rule);
- orders (plan_orders): per customer project (or project and employee), lines per
  employee/date/activity priced like the pre-flight (resolve_rate) and per supplement product;
  corrections in place while the order is open, else a correction order for the difference;
- lønnsbilag (plan_salary): a payslip per employee, posted together as one salary
  transaction: ordinary hours on the company's «Lønnsart for timer», supplements and absence
  on their salary types, rate × count per project; a change after transfer is a correcting
  payslip for the difference.

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

from tipro.approvals.preflight import resolve_rate
from tipro.extensions import db
from tipro.models import (
    AbsenceType,
    Activity,
    Company,
    Customer,
    CustomField,
    CustomFieldValue,
    Department,
    Employee,
    EntryAbsence,
    EntrySupplement,
    HourlyRate,
    Period,
    Product,
    Project,
    SalaryType,
    SupplementType,
    TimeEntry,
    User,
    VatType,
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
    ITEM_ORDER,
    ITEM_PENDING,
    ITEM_SALARY_PROJECT_SPEC,
    ITEM_SALARY_TRANSACTION,
    ITEM_SALARY_TYPE_SPEC,
    ITEM_SENDING,
    ITEM_TIMESHEET_ENTRY,
    MODE_ORDERS,
    MODE_SALARY,
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
    amount: Decimal | None = None  # orders: Σ count × unit price

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
    """Supplements with a salary type → salary-type specifications.

    The rule: a supplement on an entry WITH a project goes to
    /timesheet/salaryProjectTypeSpecification carrying that project and activity, one per
    employee/date/salary type/project/activity (key «spts:…»), TiPro's key in `description`
    (Tripletex has no uniqueness there, so the key is how reconcile finds ours); a supplement
    on an entry WITHOUT a project goes to /timesheet/salaryTypeSpecification, aggregated per
    employee/date/salary type (key «sts:…»; Tripletex allows one per key). So overtime on a
    project follows the project in Tripletex's payroll and project reports, and nothing is
    summed across projects into a record that cannot say where the hours went.
    """
    emp, proj, act = aliased(Employee), aliased(Project), aliased(Activity)
    rows = db.session.execute(
        select(
            TimeEntry.id,
            TimeEntry.user_id,
            TimeEntry.date,
            TimeEntry.state,
            emp.tripletex_id,
            SalaryType.tripletex_id,
            EntrySupplement.quantity,
            proj.tripletex_id,
            act.tripletex_id,
        )
        .join(EntrySupplement, EntrySupplement.entry_id == TimeEntry.id)
        .join(SupplementType, SupplementType.id == EntrySupplement.supplement_type_id)
        .join(SalaryType, SalaryType.id == SupplementType.salary_type_id)
        .join(User, User.id == TimeEntry.user_id)
        .outerjoin(emp, emp.id == func.coalesce(TimeEntry.employee_id, User.employee_id))
        .outerjoin(proj, proj.id == TimeEntry.project_id)
        .outerjoin(act, act.id == TimeEntry.activity_id)
        .where(TimeEntry.date >= first, TimeEntry.date <= last)
        .order_by(TimeEntry.date, TimeEntry.id, EntrySupplement.id)
    ).all()
    groups: dict[str, Desired] = {}
    blocked: set[str] = set()
    for entry_id, user_id, day, state, emp_tx, st_tx, quantity, proj_tx, act_tx in rows:
        if emp_tx is None:
            continue
        if proj_tx:
            kind = ITEM_SALARY_PROJECT_SPEC
            key = f"spts:{emp_tx}:{day.isoformat()}:{st_tx}:{proj_tx}:{act_tx or 0}"
        else:
            kind = ITEM_SALARY_TYPE_SPEC
            key = f"sts:{emp_tx}:{day.isoformat()}:{st_tx}"
        if state not in SETTLED_ENTRY_STATES:
            blocked.add(key)
            continue
        group = groups.get(key)
        if group is None:
            payload: dict[str, Any] = {
                "employee": {"id": emp_tx},
                "salaryType": {"id": st_tx},
                "date": day.isoformat(),
                "description": spec_description(key),
            }
            if proj_tx:
                payload["project"] = {"id": proj_tx}
                if act_tx:
                    payload["activity"] = {"id": act_tx}
            group = groups[key] = Desired(kind, key, payload, user_id, emp_tx, day, ZERO)
        group.quantity += Decimal(quantity)
        group.entries.append((entry_id, Decimal(quantity), None))
    for group in groups.values():
        group.payload["count"] = _num(group.quantity)
    return [g for k, g in groups.items() if k not in blocked], blocked


def spec_description(key: str) -> str:
    """The description TiPro puts on a specification: it carries the stable key."""
    return f"TiPro {key}"


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


def plan(
    mode: str,
    month: date,
    *,
    grouping: str = "project",
    employee_rates: dict[int, list[tuple[date, Decimal]]] | None = None,
    wages: dict[int, list[dict]] | None = None,
) -> list[PlannedItem]:
    """The month's plan for `mode`, in a stable order.

    employee_rates (orders): {Tripletex employee id: [(valid from, rate)]}, read fresh by the
    caller for employees whose hours no project or activity rate prices.
    wages (salary): {Tripletex employee id: [employment details]}, read fresh by the caller.
    """
    if mode == MODE_ORDERS:
        return sorted(plan_orders(month, grouping, employee_rates), key=lambda p: p.key)
    if mode == MODE_SALARY:
        return plan_salary(month, wages)
    if mode != MODE_TIMESHEET:
        raise ValueError(f"unknown transfer mode {mode!r}")
    first, last = month_span(month)
    desired, blocked = desired_timesheet(first, last)
    kinds = (ITEM_TIMESHEET_ENTRY, ITEM_SALARY_TYPE_SPEC, ITEM_SALARY_PROJECT_SPEC)
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
    kind = {"ts": ITEM_TIMESHEET_ENTRY, "spts": ITEM_SALARY_PROJECT_SPEC}.get(
        prefix, ITEM_SALARY_TYPE_SPEC
    )
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


# ---------------------------------------------------------------- orders

ORDER_PREFIX = "ord"
CORRECTION_MARK = ":k"
_CENT = Decimal("0.01")


@dataclass
class Line:
    """One order line TiPro wants: its line key, unit price and what it counts."""

    line_key: str
    price: Decimal
    count: Decimal
    description: str
    vat_type: int | None
    product: int | None = None


LineMap = dict[tuple[str, str], Line]  # (line key, price) -> line


def order_key(month: date, project_tx: int, employee_tx: int | None = None) -> str:
    """«ord:2026-11:<project>» or «ord:2026-11:<project>:<employee>» (grouping per employee)."""
    base = f"{ORDER_PREFIX}:{month.year}-{month.month:02d}:{project_tx}"
    return f"{base}:{employee_tx}" if employee_tx is not None else base


def order_comment(key: str) -> str:
    """The deliveryComment TiPro puts on an order: GET /order can filter on it (contains)."""
    return f"TiPro {key}"


def base_key(key: str) -> str:
    """The order key without a correction suffix («…:k2»)."""
    return key.split(CORRECTION_MARK)[0]


def correction_number(key: str) -> int:
    """0 for a base key, n for «…:kn»."""
    parts = key.split(CORRECTION_MARK)
    return int(parts[1]) if len(parts) > 1 else 0


def _price_text(price: Decimal) -> str:
    return str(price.quantize(Decimal("0.0000000001")).normalize())


def lines_of(payload: dict) -> LineMap:
    """The lines an order payload holds, by (line key, price)."""
    out: LineMap = {}
    for line, (line_key, price) in zip(
        payload.get("orderLines") or [], payload.get("_lines") or [], strict=False
    ):
        count = Decimal(str(line.get("count") or 0))
        known = out.get((line_key, price))
        if known is not None:
            known.count += count
            continue
        out[(line_key, price)] = Line(
            line_key,
            Decimal(price),
            count,
            (line.get("description") or "").removeprefix("Korreksjon: "),
            (line.get("vatType") or {}).get("id"),
            (line.get("product") or {}).get("id"),
        )
    return out


def line_difference(want: LineMap, have: LineMap) -> LineMap:
    """want − have per (line key, price): what a correction order must hold."""
    out: LineMap = {}
    for index in list(want) + [k for k in have if k not in want]:
        w, h = want.get(index), have.get(index)
        count = (w.count if w else ZERO) - (h.count if h else ZERO)
        if count == ZERO:
            continue
        base = w or h
        out[index] = Line(
            base.line_key, base.price, count, base.description, base.vat_type, base.product
        )
    return out


def _add_lines(into: LineMap, lines: LineMap, sign: int = 1) -> None:
    for index, line in lines.items():
        known = into.get(index)
        if known is None:
            into[index] = Line(
                line.line_key,
                line.price,
                line.count * sign,
                line.description,
                line.vat_type,
                line.product,
            )
        else:
            known.count += line.count * sign
    for index in [i for i, line in into.items() if line.count == ZERO]:
        del into[index]


def _chains(item_kind: str, month: date) -> dict[str, list[tuple[str, Known]]]:
    """Per base key, the month's objects the ledger says exist: the base and its
    corrections («…:k1», «…:k2»), in that order (orders and payslips)."""
    chains: dict[str, list[tuple[str, Known]]] = defaultdict(list)
    for key, prev in ledger((item_kind,), month=month).items():
        if _exists(prev):
            chains[base_key(key)].append((key, prev))
    for chain in chains.values():
        chain.sort(key=lambda kv: correction_number(kv[0]))
    return chains


def keep_sent(desired: LineMap, sent: LineMap, blocked: set[str]) -> None:
    """Line keys with a reopened (not approved) entry hold what was sent until they are
    approved again: the approved rest of such a key is not added on top."""
    for index in [i for i in desired if i[0] in blocked]:
        del desired[index]
    for index, line in sent.items():
        if index[0] in blocked:
            _add_lines(desired, {index: line})


def order_payload(header: dict, key: str, lines: LineMap, *, correction: bool = False) -> dict:
    """The order body (plus «_lines», TiPro's line keys, stripped before sending)."""
    ordered = sorted(lines.values(), key=lambda ln: (ln.line_key, ln.price))
    order_lines = []
    for line in ordered:
        body: dict[str, Any] = {
            "description": (f"Korreksjon: {line.description}" if correction else line.description)[
                :255
            ],
            "count": _num(line.count),
            "unitPriceExcludingVatCurrency": float(line.price),
        }
        if line.product:
            body["product"] = {"id": line.product}
        if line.vat_type:
            body["vatType"] = {"id": line.vat_type}
        order_lines.append(body)
    payload = {
        **header,
        "deliveryComment": order_comment(key),
        "isPrioritizeAmountsIncludingVat": False,
        "orderLines": order_lines,
        "_lines": [[ln.line_key, _price_text(ln.price)] for ln in ordered],
    }
    return payload


def order_total(payload: dict) -> Decimal:
    """Σ count × unit price of a payload's lines, to the øre."""
    total = ZERO
    for line in payload.get("orderLines") or []:
        total += (
            Decimal(str(line.get("count") or 0))
            * Decimal(str(line.get("unitPriceExcludingVatCurrency") or 0))
        ).quantize(_CENT)
    return total


def standard_vat_type() -> int | None:
    """The company's standard outgoing VAT type (25 %, «Utgående … høy sats») from the sync."""
    rows = db.session.execute(
        select(VatType.tripletex_id, VatType.name, VatType.number).where(
            VatType.percentage == Decimal("25")
        )
    ).all()
    outgoing = [r for r in rows if "utgående" in (r.name or "").lower()]
    outgoing.sort(key=lambda r: (len(r.number or ""), r.number or "", r.tripletex_id))
    return outgoing[0].tripletex_id if outgoing else None


@dataclass
class _OrderWant:
    key: str
    header: dict
    lines: LineMap
    user_id: int | None
    employee_tx: int | None
    # (line key, entry, hours, amount): settled_entries picks what the item links.
    lined: list[tuple[str, int, Decimal, Decimal | None]] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)  # line keys with unapproved entries

    @property
    def entries(self) -> list[tuple[int, Decimal, Decimal | None]]:
        return settled_entries(self.lined, self.blocked)


def _billable(project: Project, activity: Activity | None) -> bool:
    """The pre-flight's definition (preflight._billable_lines)."""
    return (
        project.customer_id is not None
        and not project.is_internal
        and not project.is_fixed_price
        and project.is_active
        and (activity is None or activity.is_chargeable)
    )


def _rows_for_orders(first: date, last: date):
    emp = aliased(Employee)
    return db.session.execute(
        select(TimeEntry, emp, Project, Activity, Customer.tripletex_id, Department.tripletex_id)
        .join(User, User.id == TimeEntry.user_id)
        .join(emp, emp.id == func.coalesce(TimeEntry.employee_id, User.employee_id))
        .join(Project, Project.id == TimeEntry.project_id)
        .join(Customer, Customer.id == Project.customer_id)
        .outerjoin(Activity, Activity.id == TimeEntry.activity_id)
        .outerjoin(Department, Department.id == Project.department_id)
        .where(TimeEntry.date >= first, TimeEntry.date <= last)
        .order_by(TimeEntry.date, TimeEntry.id)
    ).all()


def employees_needing_rates(month: date) -> list[int]:
    """Tripletex ids of employees whose billable hours only their own rate can price."""
    first, last = month_span(month)
    rates = list(db.session.scalars(select(HourlyRate)))
    out = set()
    for entry, emp, project, activity, _cust, _dept in _rows_for_orders(first, last):
        if entry.kind != "work" or activity is None or not _billable(project, activity):
            continue
        rate = resolve_rate(
            rates,
            project_id=project.id,
            activity_id=activity.id,
            employee_id=emp.id,
            day=entry.date,
            activity_rate=activity.rate,
        )
        if rate is None and emp.tripletex_id:
            out.add(emp.tripletex_id)
    return sorted(out)


def _employee_rate(rows: list[tuple[date, Decimal]], day: date) -> Decimal:
    valid = [rate for start, rate in sorted(rows) if start <= day]
    return valid[-1] if valid else ZERO


def _hours_text(value: Decimal) -> str:
    return f"{value.quantize(_CENT).normalize():f}".replace(".", ",")


def desired_orders(
    month: date,
    grouping: str,
    employee_rates: dict[int, list[tuple[date, Decimal]]] | None = None,
) -> dict[str, _OrderWant]:
    """Approved billable hours and billable supplements, as orders per project (and employee).

    Lines per employee/date/activity (hours × the resolved rate, no product, the standard
    outgoing VAT type) and per employee/date/product for supplements (the product's VAT type).
    """
    first, last = month_span(month)
    rates = list(db.session.scalars(select(HourlyRate)))
    vat_default = standard_vat_type()
    employee_rates = employee_rates or {}
    wants: dict[str, _OrderWant] = {}
    rows = _rows_for_orders(first, last)
    by_entry: dict[int, tuple[_OrderWant, Employee]] = {}
    for entry, emp, project, activity, customer_tx, dept_tx in rows:
        if emp.tripletex_id is None or project.tripletex_id is None:
            continue
        if not _billable(project, None):
            continue
        per_employee = grouping == "project_employee"
        key = order_key(first, project.tripletex_id, emp.tripletex_id if per_employee else None)
        want = wants.get(key)
        if want is None:
            header: dict[str, Any] = {
                "customer": {"id": customer_tx},
                "project": {"id": project.tripletex_id},
                "orderDate": last.isoformat(),
                "deliveryDate": last.isoformat(),
                "reference": f"TiPro {first.year}-{first.month:02d}",
                "invoiceComment": f"Timer {project.display_name} {first.month:02d}.{first.year}",
            }
            if dept_tx:
                header["department"] = {"id": dept_tx}
            want = wants[key] = _OrderWant(
                key,
                header,
                {},
                entry.user_id if per_employee else None,
                emp.tripletex_id if per_employee else None,
            )
        by_entry[entry.id] = (want, emp)
        if entry.kind != "work" or activity is None or not activity.is_chargeable:
            continue
        line_key = f"h:{emp.tripletex_id}:{entry.date.isoformat()}:{activity.tripletex_id}"
        if entry.state not in SETTLED_ENTRY_STATES:
            want.blocked.add(line_key)
            continue
        rate = resolve_rate(
            rates,
            project_id=project.id,
            activity_id=activity.id,
            employee_id=emp.id,
            day=entry.date,
            activity_rate=activity.rate,
        )
        if rate is None:
            rate = _employee_rate(employee_rates.get(emp.tripletex_id, []), entry.date)
        price = Decimal(rate)
        index = (line_key, _price_text(price))
        line = want.lines.get(index)
        if line is None:
            line = want.lines[index] = Line(line_key, price, ZERO, "", vat_default)
        line.count += Decimal(entry.hours)
        line.description = (
            f"{entry.date.strftime('%d.%m.%Y')} – {emp.name} – {activity.name} – "
            f"{_hours_text(line.count)} t"
        )
        want.lined.append(
            (line_key, entry.id, Decimal(entry.hours), (Decimal(entry.hours) * price))
        )
    _desired_supplement_lines(first, last, by_entry, vat_default)
    return wants


def _desired_supplement_lines(first, last, by_entry, vat_default) -> None:
    if not by_entry:
        return
    type_product, own_product = aliased(Product), aliased(Product)
    own_vat, type_vat = aliased(VatType), aliased(VatType)
    rows = db.session.execute(
        select(
            EntrySupplement,
            SupplementType,
            TimeEntry.date,
            TimeEntry.state,
            own_product,
            type_product,
            own_vat.tripletex_id,
            type_vat.tripletex_id,
        )
        .join(TimeEntry, TimeEntry.id == EntrySupplement.entry_id)
        .join(SupplementType, SupplementType.id == EntrySupplement.supplement_type_id)
        .outerjoin(own_product, own_product.id == EntrySupplement.product_id)
        .outerjoin(type_product, type_product.id == SupplementType.product_id)
        .outerjoin(own_vat, own_vat.id == own_product.vat_type_id)
        .outerjoin(type_vat, type_vat.id == type_product.vat_type_id)
        .where(
            TimeEntry.date >= first,
            TimeEntry.date <= last,
            SupplementType.billable.is_(True),
        )
        .order_by(TimeEntry.date, EntrySupplement.id)
    ).all()
    for supplement, stype, day, state, own, typed, own_vat_tx, type_vat_tx in rows:
        found = by_entry.get(supplement.entry_id)
        product = own or typed
        if found is None or product is None or product.tripletex_id is None:
            continue
        want, emp = found
        vat_tx = (own_vat_tx if own is not None else type_vat_tx) or vat_default
        line_key = f"s:{emp.tripletex_id}:{day.isoformat()}:{product.tripletex_id}"
        if state not in SETTLED_ENTRY_STATES:
            want.blocked.add(line_key)
            continue
        quantity = Decimal(supplement.quantity)
        if stype.unit == "nok":
            count, price = Decimal("1"), Decimal(supplement.amount or quantity)
        elif supplement.amount is not None and quantity:
            unit = Decimal(product.price_excluding_vat or 0)
            price = unit if (unit * quantity).quantize(_CENT) == supplement.amount else None
            count, price = quantity, price or (Decimal(supplement.amount) / quantity)
        else:
            count, price = quantity, Decimal(product.price_excluding_vat or 0)
        index = (line_key, _price_text(price))
        line = want.lines.get(index)
        if line is None:
            line = want.lines[index] = Line(line_key, price, ZERO, "", vat_tx, product.tripletex_id)
        line.count += count
        line.description = f"{day.strftime('%d.%m.%Y')} – {emp.name} – {product.name}"
        want.lined.append((line_key, supplement.entry_id, ZERO, (count * price).quantize(_CENT)))


def plan_orders(
    month: date,
    grouping: str,
    employee_rates: dict[int, list[tuple[date, Decimal]]] | None = None,
) -> list[PlannedItem]:
    """The month's orders compared with the ledger, per order key and its corrections.

    A key's chain is its base order and its correction orders («…:k1», «…:k2»). TiPro keeps at
    most one of them open: the last. Its target content is what the month should hold minus
    what the other (closed, invoiced) orders of the chain hold; unchanged → nothing, changed →
    update its lines in place (PUT updateLinesAndGroups), empty → delete it. If Tripletex says
    that order is closed when the runner gets there, the runner makes a correction order for
    the difference instead (runner._to_correction). Lines of an entry that is not approved
    (reopened) keep what was sent.
    """
    first, _last = month_span(month)
    wants = desired_orders(first, grouping, employee_rates)
    chains = _chains(ITEM_ORDER, first)
    out: list[PlannedItem] = []
    for base in sorted(set(wants) | set(chains)):
        want = wants.get(base)
        chain = chains.get(base, [])
        desired: LineMap = {}
        if want is not None:
            _add_lines(desired, want.lines)
        sent_all: LineMap = {}
        for _key, prev in chain:
            _add_lines(sent_all, lines_of(prev.payload))
        if want is not None:
            keep_sent(desired, sent_all, want.blocked)
        header = dict(want.header) if want else _header_of(chain)
        if not chain:
            if want is None or not desired:
                continue
            payload = order_payload(header, base, desired)
            out.append(_order_item(base, OP_CREATE, CHANGE_NEW, payload, want, None))
            continue
        target_key, target = chain[-1]
        others: LineMap = {}
        for _key, prev in chain[:-1]:
            _add_lines(others, lines_of(prev.payload))
        remainder = line_difference(desired, others)
        is_correction = correction_number(target_key) > 0
        unresolved = target.state in (ITEM_NEEDS_CHECK, ITEM_SENDING)
        if not remainder:
            if target.tripletex_id is None and not unresolved:
                continue
            item = _order_item(target_key, OP_DELETE, CHANGE_CORRECTION, {}, want, target)
            item.unresolved = unresolved
            out.append(item)
            continue
        payload = order_payload(header, target_key, remainder, correction=is_correction)
        digest = payload_hash(payload)
        if target.state == ITEM_CONFIRMED and target.payload_hash == digest:
            item = _order_item(target_key, OP_NONE, CHANGE_UNCHANGED, payload, want, target)
        elif target.tripletex_id is None:
            item = _order_item(target_key, OP_CREATE, CHANGE_NEW, payload, want, target)
        else:
            item = _order_item(target_key, OP_UPDATE, CHANGE_CHANGED, payload, want, target)
        item.unresolved = unresolved
        out.append(item)
    return out


def _header_of(chain: list[tuple[str, Known]]) -> dict:
    payload = chain[0][1].payload if chain else {}
    keep = ("customer", "project", "department", "orderDate", "deliveryDate", "reference")
    return {k: payload[k] for k in keep if k in payload}


def _order_item(
    key: str,
    operation: str,
    change: str,
    payload: dict,
    want: _OrderWant | None,
    prev: Known | None,
) -> PlannedItem:
    day = date.fromisoformat(payload["orderDate"]) if payload.get("orderDate") else None
    if day is None and prev is not None and prev.payload.get("orderDate"):
        day = date.fromisoformat(prev.payload["orderDate"])
    quantity = sum(
        (Decimal(str(line.get("count") or 0)) for line in payload.get("orderLines") or []), ZERO
    )
    item = PlannedItem(
        ITEM_ORDER,
        key,
        operation,
        change,
        payload,
        payload_hash(payload),
        want.user_id if want else None,
        want.employee_tx if want else None,
        day,
        quantity,
        list(want.entries) if want and operation != OP_DELETE else [],
    )
    item.amount = order_total(payload)
    if prev is not None:
        item.tripletex_id, item.tripletex_version = prev.tripletex_id, prev.tripletex_version
    return item


# ---------------------------------------------------------------- lønnsbilag (salary)

SALARY_PREFIX = "sal"
# Hours in a full-time year: an annual salary as an hourly wage (Tripletex's own divisor).
HOURS_PER_YEAR = Decimal("1950")


def salary_key(month: date, employee_tx: int) -> str:
    """«sal:2026-11:<employee>» (corrections «…:k1»)."""
    return f"{SALARY_PREFIX}:{month.year}-{month.month:02d}:{employee_tx}"


def salary_description(key: str, text: str) -> str:
    """A specification's description: TiPro's key first (reconcile finds it in payslips)."""
    return f"TiPro {key} · {text}"[:255]


def key_in_description(description: str | None) -> str | None:
    """The key TiPro wrote into a description, or None."""
    text = description or ""
    if not text.startswith("TiPro "):
        return None
    return text.removeprefix("TiPro ").split(" · ")[0].strip() or None


def tipro_payslip_specs(client, month: date, employees: list[int], chunk: int = 100):
    """(payslip, specification, TiPro key) for every specification of the month's payslips of
    `employees` that carries a lønnsbilag key — read in id lists of `chunk` (the runner finds
    what it sent; reconciliation compares with it)."""
    for start in range(0, len(employees), chunk):
        for slip in client.list_payslips(
            employee_id=employees[start : start + chunk],
            year_from=month.year,
            year_to=month.year + 1,
            month_from=month.month,
            month_to=month.month + 1,  # «to and excluding»: 13 for December
        ):
            for spec in slip.get("specifications") or []:
                key = key_in_description(spec.get("description"))
                if key and key.startswith(SALARY_PREFIX + ":"):
                    yield slip, spec, key


def _details_on(details: list[dict], day: date) -> dict | None:
    """The employment details valid on `day` (the newest dated on or before it)."""
    valid = sorted(
        (d for d in details if d.get("date") and date.fromisoformat(d["date"]) <= day),
        key=lambda d: d["date"],
    )
    return valid[-1] if valid else None


# Tripletex's remunerationType values (EmploymentDetails) that do not pay per hour: their
# pay does not follow the hours TiPro holds. NOT_CHOSEN (or none) is judged by hourlyWage.
NOT_HOURLY = frozenset({"MONTHLY_WAGE", "COMMISION_PERCENTAGE", "FEE", "PIECEWORK_WAGE"})


def paid_by_the_hour(details: list[dict] | None, day: date) -> bool | None:
    """Whether the employment valid on `day` pays per hour; None when TiPro does not know
    (the wages were not read, or no employment details are valid on the day).

    A monthly wage (or another type in NOT_HOURLY) is paid by Tripletex's own payroll whatever
    the hours, so its ordinary hours are not sent again; HOURLY_WAGE is; NOT_CHOSEN or no type
    counts as hourly when an hourly wage is set."""
    newest = _details_on(details or [], day)
    if newest is None:
        return None
    kind = newest.get("remunerationType")
    if kind in NOT_HOURLY:
        return False
    if kind == "HOURLY_WAGE":
        return True
    return Decimal(str(newest.get("hourlyWage") or 0)) > 0


def wage_of(details: list[dict], day: date) -> Decimal:
    """Hourly wage from Tripletex employment details valid on `day` (hourlyWage, else
    annualSalary / 1950); 0 when unknown."""
    newest = _details_on(details, day)
    if newest is None:
        return ZERO
    hourly = Decimal(str(newest.get("hourlyWage") or 0))
    if hourly > 0:
        return hourly.quantize(_CENT)
    annual = Decimal(str(newest.get("annualSalary") or 0))
    return (annual / HOURS_PER_YEAR).quantize(_CENT)


def settled_entries(
    lined: list[tuple[str, int, Decimal, Decimal | None]], blocked: set[str]
) -> list[tuple[int, Decimal, Decimal | None]]:
    """The (entry, count, amount) links of an item: entries with a line on a blocked line key
    are left out, because that line keeps what was sent before (keep_sent) and their hours
    did not go with this item — linked, they would be marked «transferred» all the same."""
    held = {entry_id for line_key, entry_id, _c, _a in lined if line_key in blocked}
    return [(e, c, a) for _lk, e, c, a in lined if e not in held]


@dataclass
class _SlipWant:
    employee_tx: int
    user_id: int
    department_tx: int | None
    lines: LineMap = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    # (line key, entry, count, amount): settled_entries picks what the item links.
    lined: list[tuple[str, int, Decimal, Decimal | None]] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)
    wage_unknown: bool = False  # Tripletex's wage details were not read: fail, never guess

    @property
    def entries(self) -> list[tuple[int, Decimal, Decimal | None]]:
        return settled_entries(self.lined, self.blocked)


def desired_salary(
    month: date,
    wages: dict[int, list[dict]] | None = None,
    hours_type: tuple[int, str] | None = None,
) -> dict[int, _SlipWant]:
    """Per employee: specifications per salary type and project, rate × count.

    Ordinary hours (work entries) go on `hours_type` (Tripletex id and name of the company's
    «Lønnsart for timer», settings.hours_salary_type), hours × the hourly wage, per project,
    for people paid by the hour only (a monthly wage does not depend on the hours);
    supplements on their type's salary type («nok» supplements count 1 × the amount, others
    count × the hourly wage); absence on its type's salary type, hours × the hourly wage.
    The hourly wage is Tripletex's (employment details valid on each entry's date), read
    fresh by the caller. Someone whose wages were not read (not in `wages`: slip.wage_unknown)
    or who has no employment details valid on the date is never guessed to be paid monthly:
    their lines are planned at 0 kr, so the runner's wage pre-flight fails the payslip.
    Without `hours_type` ordinary hours are left out (start refuses).
    """
    first, last = month_span(month)
    wages = wages or {}
    emp, proj, dept = aliased(Employee), aliased(Project), aliased(Department)
    base = (
        select(
            TimeEntry.id,
            TimeEntry.user_id,
            TimeEntry.state,
            TimeEntry.hours,
            emp.tripletex_id,
            dept.tripletex_id,
            proj.tripletex_id,
            proj.number,
            TimeEntry.date,
        )
        .join(User, User.id == TimeEntry.user_id)
        .join(emp, emp.id == func.coalesce(TimeEntry.employee_id, User.employee_id))
        .outerjoin(dept, dept.id == emp.department_id)
        .outerjoin(proj, proj.id == TimeEntry.project_id)
        .where(TimeEntry.date >= first, TimeEntry.date <= last)
    )
    supplements = db.session.execute(
        base.add_columns(
            SalaryType.tripletex_id,
            SalaryType.name,
            SupplementType.unit,
            EntrySupplement.quantity,
            EntrySupplement.amount,
        )
        .join(EntrySupplement, EntrySupplement.entry_id == TimeEntry.id)
        .join(SupplementType, SupplementType.id == EntrySupplement.supplement_type_id)
        .join(SalaryType, SalaryType.id == SupplementType.salary_type_id)
        .order_by(TimeEntry.date, TimeEntry.id, EntrySupplement.id)
    ).all()
    absences = db.session.execute(
        base.add_columns(SalaryType.tripletex_id, SalaryType.name)
        .join(EntryAbsence, EntryAbsence.entry_id == TimeEntry.id)
        .join(AbsenceType, AbsenceType.id == EntryAbsence.absence_type_id)
        .join(SalaryType, SalaryType.id == AbsenceType.salary_type_id)
        .order_by(TimeEntry.date, TimeEntry.id)
    ).all()
    work = []
    if hours_type is not None:
        work = db.session.execute(
            base.where(TimeEntry.kind == "work").order_by(TimeEntry.date, TimeEntry.id)
        ).all()
    slips: dict[int, _SlipWant] = {}

    def add(row, st_tx, st_name, count, rate, amount_note, unknown=False):
        entry_id, user_id, state, _hours, emp_tx, dept_tx, proj_tx, proj_number = row[:8]
        if emp_tx is None:
            return
        slip = slips.get(emp_tx)
        if slip is None:
            slip = slips[emp_tx] = _SlipWant(emp_tx, user_id, dept_tx)
        line_key = f"{st_tx}:{proj_tx or 0}"
        slip.wage_unknown = slip.wage_unknown or (unknown and state in SETTLED_ENTRY_STATES)
        if state not in SETTLED_ENTRY_STATES:
            slip.blocked.add(line_key)
            return
        index = (line_key, _price_text(rate))
        line = slip.lines.get(index)
        if line is None:
            text = st_name + (f" – prosjekt {proj_number}" if proj_number else "")
            line = slip.lines[index] = Line(line_key, rate, ZERO, text, None)
        line.count += count
        slip.lined.append((line_key, entry_id, count, amount_note))

    def hourly(row) -> tuple[Decimal, bool]:
        """(hourly wage on the entry's date — 0 when none is valid then —, whether the
        person's wages were not read at all)."""
        details = wages.get(row[4])
        if details is None:
            return ZERO, True
        return wage_of(details, row[8]), False

    for row in work:
        by_hour = paid_by_the_hour(wages.get(row[4]), row[8])
        if by_hour is False:
            continue
        rate, unknown = hourly(row)
        add(row, hours_type[0], hours_type[1], Decimal(row[3]), rate, None, unknown)
    for row in supplements:
        st_tx, st_name, unit, quantity, amount = row[9:]
        if unit == "nok":
            add(row, st_tx, st_name, Decimal("1"), Decimal(amount or quantity), amount)
        else:
            rate, unknown = hourly(row)
            add(row, st_tx, st_name, Decimal(quantity), rate, None, unknown)
    for row in absences:
        st_tx, st_name = row[9:]
        rate, unknown = hourly(row)
        add(row, st_tx, st_name, Decimal(row[3]), rate, None, unknown)
    return slips


def salary_payload(
    key: str,
    slip_employee: int,
    department: int | None,
    lines: LineMap,
    *,
    wage_unknown: bool = False,
) -> dict:
    """A payslip body (plus «_lines», stripped before sending; «_wage_unknown» when a line is
    at 0 kr because Tripletex's wage details were not read: the pre-flight says so)."""
    ordered = sorted(lines.values(), key=lambda ln: (ln.line_key, ln.price))
    specs = []
    for line in ordered:
        st_tx, proj_tx = (int(x) for x in line.line_key.split(":"))
        spec: dict[str, Any] = {
            "salaryType": {"id": st_tx},
            "rate": float(line.price),
            "count": _num(line.count),
            "amount": float((line.price * line.count).quantize(_CENT)),
            "description": salary_description(key, line.description),
        }
        if proj_tx:
            spec["project"] = {"id": proj_tx}
        if department:
            spec["department"] = {"id": department}
        specs.append(spec)
    payload: dict[str, Any] = {"employee": {"id": slip_employee}, "specifications": specs}
    if department:
        payload["department"] = {"id": department}
    payload["_lines"] = [[ln.line_key, _price_text(ln.price)] for ln in ordered]
    if wage_unknown and any(ln.price == ZERO for ln in ordered):
        payload["_wage_unknown"] = True
    return payload


def salary_lines_of(payload: dict) -> LineMap:
    """The specifications a payslip payload holds, by (line key, rate)."""
    out: LineMap = {}
    for spec, (line_key, price) in zip(
        payload.get("specifications") or [], payload.get("_lines") or [], strict=False
    ):
        text = (spec.get("description") or "").split(" · ", 1)[-1]
        out[(line_key, price)] = Line(
            line_key, Decimal(price), Decimal(str(spec.get("count") or 0)), text, None
        )
    return out


def plan_salary(month: date, wages: dict[int, list[dict]] | None = None) -> list[PlannedItem]:
    """One payslip item per employee; the runner posts them as ONE salary transaction.

    A salary transaction books at once and has no PUT: a change after transfer becomes a
    correcting payslip for the difference (key «…:kN», negative counts where hours went), in
    the next transaction. A payslip whose post had an unknown outcome is planned again as
    unresolved: the runner looks for it in /salary/payslip before anything is posted.
    """
    first, last = month_span(month)
    slips = desired_salary(first, wages, _hours_salary_type())
    chains = _chains(ITEM_SALARY_TRANSACTION, first)
    wanted = {salary_key(first, emp): slip for emp, slip in slips.items()}
    out: list[PlannedItem] = []
    for base in sorted(set(wanted) | set(chains)):
        slip = wanted.get(base)
        chain = chains.get(base, [])
        emp_tx = int(base.split(":")[2])
        pending = [(k, p) for k, p in chain if p.state in (ITEM_NEEDS_CHECK, ITEM_SENDING)]
        if pending:
            key, prev = pending[0]
            item = _salary_item(key, OP_CREATE, CHANGE_NEW, prev.payload, slip, emp_tx, last)
            item.unresolved = True
            out.append(item)
            continue
        desired: LineMap = {}
        if slip is not None:
            _add_lines(desired, slip.lines)
        sent: LineMap = {}
        for _key, prev in chain:
            _add_lines(sent, salary_lines_of(prev.payload))
        if slip is not None:
            keep_sent(desired, sent, slip.blocked)
        remainder = line_difference(desired, sent)
        department = slip.department_tx if slip else None
        unknown = slip is not None and slip.wage_unknown
        if not chain:
            if not remainder:
                continue
            payload = salary_payload(base, emp_tx, department, remainder, wage_unknown=unknown)
            out.append(_salary_item(base, OP_CREATE, CHANGE_NEW, payload, slip, emp_tx, last))
            continue
        if not remainder:
            key, prev = chain[-1]
            item = _salary_item(key, OP_NONE, CHANGE_UNCHANGED, prev.payload, slip, emp_tx, last)
            out.append(item)
            continue
        key = f"{base}{CORRECTION_MARK}{correction_number(chain[-1][0]) + 1}"
        payload = salary_payload(key, emp_tx, department, remainder, wage_unknown=unknown)
        out.append(_salary_item(key, OP_CREATE, CHANGE_CORRECTION, payload, slip, emp_tx, last))
    return out


def _hours_salary_type() -> tuple[int, str] | None:
    """(Tripletex id, name) of the company's salary type for ordinary hours, if any."""
    from tipro.tenancy import current_company_id
    from tipro.transfers.settings import hours_salary_type

    salary_type = hours_salary_type(db.session.get(Company, current_company_id()))
    if salary_type is None or not salary_type.is_active:
        return None
    return salary_type.tripletex_id, salary_type.name


def _salary_item(key, operation, change, payload, slip, emp_tx, day) -> PlannedItem:
    quantity = sum(
        (Decimal(str(s.get("count") or 0)) for s in payload.get("specifications") or []), ZERO
    )
    amount = sum(
        (Decimal(str(s.get("amount") or 0)) for s in payload.get("specifications") or []), ZERO
    )
    item = PlannedItem(
        ITEM_SALARY_TRANSACTION,
        key,
        operation,
        change,
        payload,
        payload_hash(payload),
        slip.user_id if slip else None,
        emp_tx,
        day,
        quantity,
        list(slip.entries) if slip else [],
    )
    item.amount = amount
    return item


def employees_in_salary(month: date) -> list[int]:
    """Tripletex ids of the employees with hours in the month (their wages are read): the
    entry's own employee, else the user's, as desired_salary joins them."""
    first, last = month_span(month)
    emp = aliased(Employee)
    return sorted(
        db.session.scalars(
            select(emp.tripletex_id)
            .select_from(TimeEntry)
            .join(User, User.id == TimeEntry.user_id)
            .join(emp, emp.id == func.coalesce(TimeEntry.employee_id, User.employee_id))
            .where(TimeEntry.date >= first, TimeEntry.date <= last, emp.tripletex_id.is_not(None))
            .distinct()
        )
    )

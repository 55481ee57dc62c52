"""Reads for the «Overføringer» pages: the preview per employee and per order, a page of a
batch's items with their request log, readable names for Tripletex ids, the default month.

Everything runs inside the request's company scope; a fixed handful of statements per page.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import format_date
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tipro import clock
from tipro.extensions import db
from tipro.models import (
    Activity,
    Customer,
    Employee,
    Product,
    Project,
    SalaryType,
    TimeEntry,
    TransferBatch,
    TransferItem,
    User,
)
from tipro.models.transfer import (
    BATCH_PARTIAL,
    ITEM_FAILED,
    ITEM_NEEDS_CHECK,
    ITEM_ORDER,
    ITEM_ORDER_LINE,
    ITEM_PENDING,
    ITEM_SALARY_PROJECT_SPEC,
    ITEM_SALARY_TRANSACTION,
    ITEM_SALARY_TYPE_SPEC,
    ITEM_SENDING,
    ITEM_TIMESHEET_ENTRY,
    OP_NONE,
)
from tipro.models.work import ENTRY_APPROVED, ENTRY_TRANSFERRED
from tipro.transfers.plan import month_span

PAGE_SIZE = 100
ZERO = Decimal("0")
# Items shown first on a batch page: what the admin must act on.
PROBLEM_STATES = (ITEM_FAILED, ITEM_NEEDS_CHECK)


def _id(ref: Any) -> int | None:
    """{"id": 5} → 5."""
    return ref.get("id") if isinstance(ref, dict) else None


def sendable(payload: dict | None) -> dict:
    """A stored payload as the request body: TiPro's own «_…» keys are stripped before sending."""
    return {k: v for k, v in (payload or {}).items() if not k.startswith("_")}


# ---------------------------------------------------------------- names


@dataclass
class Names:
    """Readable names for the Tripletex ids in a set of items (one statement per kind)."""

    employees: dict[int, str] = field(default_factory=dict)
    users: dict[int, str] = field(default_factory=dict)
    projects: dict[int, str] = field(default_factory=dict)
    customers: dict[int, str] = field(default_factory=dict)
    activities: dict[int, str] = field(default_factory=dict)
    salary_types: dict[int, str] = field(default_factory=dict)
    products: dict[int, str] = field(default_factory=dict)

    def employee(self, item: TransferItem) -> str:
        if item.user_id is not None and item.user_id in self.users:
            return self.users[item.user_id]
        tx = item.tripletex_employee_id
        if tx is not None:
            return self.employees.get(tx) or f"#{tx}"
        return "—"


def names_for(items: list[TransferItem]) -> Names:
    """Names of the employees, users, projects, activities, … the items' payloads name."""
    wanted: dict[str, set[int]] = {
        k: set()
        for k in ("employee", "project", "customer", "activity", "salaryType", "product", "user")
    }

    def note(name: str, ref: Any) -> None:
        ident = _id(ref)
        if ident is not None:
            wanted[name].add(ident)

    for item in items:
        if item.tripletex_employee_id is not None:
            wanted["employee"].add(item.tripletex_employee_id)
        if item.user_id is not None:
            wanted["user"].add(item.user_id)
        payload = item.payload or {}
        for name in ("employee", "project", "customer", "activity", "salaryType", "product"):
            note(name, payload.get(name))
        for spec in payload.get("specifications") or []:
            note("salaryType", spec.get("salaryType"))
            note("project", spec.get("project"))
        for line in payload.get("orderLines") or []:
            note("product", line.get("product"))
            note("activity", line.get("activity"))
    names = Names()

    def load(model, ids: set[int], label) -> dict[int, str]:
        if not ids:
            return {}
        rows = db.session.scalars(select(model).where(model.tripletex_id.in_(sorted(ids))))
        return {row.tripletex_id: label(row) for row in rows}

    names.employees = load(Employee, wanted["employee"], lambda e: e.name)
    names.projects = load(Project, wanted["project"], lambda p: p.display_name)
    names.customers = load(Customer, wanted["customer"], lambda c: c.name)
    names.activities = load(Activity, wanted["activity"], lambda a: a.name)
    names.salary_types = load(
        SalaryType, wanted["salaryType"], lambda s: " ".join(p for p in (s.number, s.name) if p)
    )
    names.products = load(
        Product, wanted["product"], lambda p: " ".join(x for x in (p.number, p.name) if x)
    )
    if wanted["user"]:
        users = db.session.scalars(select(User).where(User.id.in_(sorted(wanted["user"]))))
        names.users = {u.id: u.display_name for u in users}
    return names


# ---------------------------------------------------------------- one item, in words


@dataclass
class Line:
    """One row of a preview or a batch page."""

    what: str
    quantity: Decimal | None = None
    amount: Decimal | None = None
    unit_price: Decimal | None = None
    item: TransferItem | None = None


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def describe(item: TransferItem, names: Names) -> str:
    """«2026-11-02 · 1001 Nybygg · Snekring», «Lønnsart 2005 Overtid 50 %», «Ordre …»."""
    payload = item.payload or {}
    kind = item.item_kind
    day = format_date(item.date, "EEE d. MMM") if item.date else ""
    project = _id(payload.get("project"))
    project_name = names.projects.get(project, f"#{project}") if project else None
    if kind == ITEM_TIMESHEET_ENTRY:
        activity = _id(payload.get("activity"))
        parts = [day, project_name, names.activities.get(activity, f"#{activity}")]
    elif kind in (ITEM_SALARY_TYPE_SPEC, ITEM_SALARY_PROJECT_SPEC):
        salary = _id(payload.get("salaryType"))
        activity = _id(payload.get("activity"))
        parts = [
            day,
            names.salary_types.get(salary, f"#{salary}" if salary else None),
            project_name,
            names.activities.get(activity) if activity else None,
        ]
    elif kind == ITEM_SALARY_TRANSACTION:
        parts = [item.key]
    elif kind == ITEM_ORDER:
        customer = _id(payload.get("customer"))
        parts = [project_name, names.customers.get(customer) if customer else None]
    elif kind == ITEM_ORDER_LINE:
        parts = [payload.get("description")]
    else:
        parts = [item.key]
    if not any(parts[1:]) and kind in (ITEM_TIMESHEET_ENTRY, ITEM_SALARY_TYPE_SPEC):
        parts.append(item.key)
    return " · ".join(p for p in parts if p) or item.key


def sub_lines(item: TransferItem, names: Names) -> list[Line]:
    """The lines inside an order or a payslip (empty for other items)."""
    payload = item.payload or {}
    out = []
    for line in payload.get("orderLines") or []:
        count, price = _dec(line.get("count")), _dec(line.get("unitPriceExcludingVatCurrency"))
        what = line.get("description") or names.products.get(_id(line.get("product")), "")
        amount = (count * price).quantize(Decimal("0.01")) if count is not None and price else None
        out.append(Line(what, count, amount, price))
    for spec in payload.get("specifications") or []:
        salary = _id(spec.get("salaryType"))
        project = _id(spec.get("project"))
        what = " · ".join(
            p
            for p in (
                names.salary_types.get(salary, f"#{salary}" if salary else None),
                names.projects.get(project) if project else None,
            )
            if p
        )
        out.append(
            Line(what, _dec(spec.get("count")), _dec(spec.get("amount")), _dec(spec.get("rate")))
        )
    return out


# ---------------------------------------------------------------- the preview


@dataclass
class Group:
    """A preview group: one employee (payroll) or one order."""

    title: str
    subtitle: str = ""
    lines: list[Line] = field(default_factory=list)
    hours: Decimal = ZERO  # timesheet entries and orders (count = hours)
    counts: Decimal = ZERO  # salary-type specifications and payslips (counts)
    amount: Decimal | None = None
    changes: Counter = field(default_factory=Counter)
    item: TransferItem | None = None  # an order: the order item itself


@dataclass
class Preview:
    """What a dry run would send, grouped, with totals."""

    groups: list[Group]
    changes: Counter
    # Per item kind: [items, Σ quantity (hours or counts), Σ amount or None].
    kinds: dict[str, list]
    amount: Decimal | None
    to_send: int
    total: int


def _add_amount(total: Decimal | None, value: Decimal | None) -> Decimal | None:
    if value is None:
        return total
    return (total or ZERO) + value


def preview(batch: TransferBatch) -> Preview:
    """The batch's items per employee (payroll) or per order (orders), with totals."""
    items = list(
        db.session.scalars(
            select(TransferItem).where(TransferItem.batch_id == batch.id).order_by(TransferItem.id)
        )
    )
    names = names_for(items)
    groups: dict[Any, Group] = {}
    changes: Counter = Counter()
    kinds: dict[str, list] = {}
    amount, to_send = None, 0
    for item in items:
        changes[item.change] += 1
        if item.operation != OP_NONE:
            to_send += 1
        signed = item.quantity or ZERO
        per_kind = kinds.setdefault(item.item_kind, [0, ZERO, None])
        per_kind[0] += 1
        per_kind[1] += signed
        per_kind[2] = _add_amount(per_kind[2], item.amount)
        amount = _add_amount(amount, item.amount)
        if item.item_kind == ITEM_ORDER:
            group = Group(describe(item, names), item=item)
            if item.user_id is not None or item.tripletex_employee_id is not None:
                group.subtitle = names.employee(item)
            group.lines = sub_lines(item, names)
            groups[("order", item.id)] = group
        else:
            key = ("employee", item.user_id or item.tripletex_employee_id)
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group(names.employee(item))
            if item.item_kind == ITEM_SALARY_TRANSACTION:
                group.item = item
                group.lines.extend(sub_lines(item, names))
            else:
                line = Line(describe(item, names), item.quantity, item.amount, None, item)
                group.lines.append(line)
        if item.item_kind in (ITEM_TIMESHEET_ENTRY, ITEM_ORDER):
            group.hours += signed
        else:
            group.counts += signed
        group.amount = _add_amount(group.amount, item.amount)
        group.changes[item.change] += 1
    ordered = sorted(groups.values(), key=lambda g: (g.title.lower(), g.subtitle.lower()))
    return Preview(ordered, changes, kinds, amount, to_send, len(items))


# ---------------------------------------------------------------- a batch's items


@dataclass
class ItemPage:
    """A page of a batch's items (problems first), with their log and names."""

    problems: list[TransferItem]
    items: list[TransferItem]
    names: Names
    page: int
    pages: int
    state: str | None
    total: int


def item_page(batch_id: int, page: int = 1, state: str | None = None) -> ItemPage:
    """Failed and needs-check items in full, then the others a page at a time."""
    problems = list(
        db.session.scalars(
            select(TransferItem)
            .where(TransferItem.batch_id == batch_id, TransferItem.state.in_(PROBLEM_STATES))
            .options(selectinload(TransferItem.log))
            .order_by(TransferItem.id)
            .limit(500)
        )
    )
    query = select(TransferItem).where(
        TransferItem.batch_id == batch_id, TransferItem.state.not_in(PROBLEM_STATES)
    )
    if state:
        query = query.where(TransferItem.state == state)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    items = list(
        db.session.scalars(
            query.options(selectinload(TransferItem.log))
            .order_by(TransferItem.id)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    return ItemPage(problems, items, names_for(problems + items), page, pages, state, total)


def may_resume(batch: TransferBatch, counts: dict[str, int]) -> bool:
    """«Gjenoppta»: a batch that stopped with items still to send (its job died, or it stopped
    on a connection problem)."""
    if batch.dry_run:
        return False
    from tipro.transfers.services import is_dead

    if batch.is_active:
        return is_dead(batch)
    open_items = counts.get(ITEM_PENDING, 0) + counts.get(ITEM_SENDING, 0)
    return batch.state == BATCH_PARTIAL and open_items > 0


def is_foreign(item: TransferItem) -> bool:
    """A failed item on a Tripletex entry TiPro did not make: «Ta over» or «La stå»."""
    from tipro.transfers.texts import FOREIGN_ENTRY

    return item.state == ITEM_FAILED and (item.error_code or "").startswith(FOREIGN_ENTRY)


def may_retry(batch: TransferBatch) -> bool:
    """«Prøv igjen»: a finished real batch with failed or needs-check items."""
    return (
        not batch.dry_run
        and not batch.is_active
        and (batch.failed_count > 0 or batch.needs_check_count > 0)
    )


def confirmed_after(preview_batch: TransferBatch) -> TransferBatch | None:
    """The real batch of the same kind and month started after this preview, if any."""
    return db.session.scalar(
        select(TransferBatch)
        .where(
            TransferBatch.kind == preview_batch.kind,
            TransferBatch.month == preview_batch.month,
            TransferBatch.dry_run.is_(False),
            TransferBatch.id > preview_batch.id,
        )
        .order_by(TransferBatch.id)
        .limit(1)
    )


def differences(preview_batch: TransferBatch, real: TransferBatch) -> int:
    """How many items of the real batch differ from the preview (key, operation, payload)."""

    def signature(batch_id: int) -> Counter:
        rows = db.session.execute(
            select(TransferItem.key, TransferItem.operation, TransferItem.payload_hash).where(
                TransferItem.batch_id == batch_id
            )
        ).all()
        return Counter(tuple(r) for r in rows)

    before, after = signature(preview_batch.id), signature(real.id)
    return sum(((before - after) + (after - before)).values())


# ---------------------------------------------------------------- the form's defaults


def has_hours(month: date) -> bool:
    """Whether the month holds any approved (or transferred) entry."""
    first, last = month_span(month)
    return (
        db.session.scalar(
            select(TimeEntry.id)
            .where(
                TimeEntry.date >= first,
                TimeEntry.date <= last,
                TimeEntry.state.in_((ENTRY_APPROVED, ENTRY_TRANSFERRED)),
            )
            .limit(1)
        )
        is not None
    )


def default_month() -> date:
    """The earliest month with approved hours not yet transferred; else this month."""
    first = db.session.scalar(
        select(func.min(TimeEntry.date)).where(TimeEntry.state == ENTRY_APPROVED)
    )
    return (first or clock.today()).replace(day=1)


def to_send(batch_id: int) -> int:
    """Items of a batch that would write to Tripletex (not «unchanged»)."""
    return (
        db.session.scalar(
            select(func.count(TransferItem.id)).where(
                TransferItem.batch_id == batch_id, TransferItem.operation != OP_NONE
            )
        )
        or 0
    )

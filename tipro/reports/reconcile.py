"""Drift check of a transferred month against Tripletex, and «Rett opp».

What TiPro confirmed in Tripletex is the transfer ledger's newest confirmed item per stable key
(tipro.transfers). The check reads what Tripletex holds NOW for the same month (timesheet
entries per employee/date/project/activity, salary-type specifications per employee/date/salary
type, orders and their lines, payslips) and compares per key:

- changed: a key TiPro confirmed holds another value in Tripletex;
- deleted: a key TiPro confirmed is gone from Tripletex;
- added: Tripletex holds something on a key TiPro never sent (or no longer holds) — typed in
  Tripletex: shown, never corrected automatically.

Where a check result lives: no table of its own. A check is an append-only pair of audit
events (entity «reconcile», entity id «<kind>:<YYYY-MM>»): «check» (who asked, when) and
«checked» (the result as JSON, when it was read). So who checked is audited, the page shows
the newest result, and no migration is needed. «correct» records who started a correction.

«Rett opp» goes through the transfer machinery: a new batch for the month holds copies of the
drifted ledger items in state «needs_check», and transfers.services.resume runs it. The runner
reconciles each by reading Tripletex first: a changed object of ours is PUT back to TiPro's
value, a deleted one is created again, anything on the key that is not ours fails as a foreign
entry (the admin's «Ta over» / «La stå») — never a duplicate, never an overwrite of hours
someone typed. Everything runs inside the caller's company scope; no transaction is open while
Tripletex is read.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from tipro import clock, jobs
from tipro.auth.services import record_audit
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import AuditEvent, Company, User
from tipro.models.transfer import (
    ITEM_CONFIRMED,
    ITEM_LEFT,
    ITEM_NEEDS_CHECK,
    ITEM_ORDER,
    ITEM_SALARY_PROJECT_SPEC,
    ITEM_SALARY_TRANSACTION,
    ITEM_SALARY_TYPE_SPEC,
    ITEM_SENDING,
    ITEM_TIMESHEET_ENTRY,
    KIND_ORDERS,
    KIND_PAYROLL,
    OP_DELETE,
    TRANSFER_KINDS,
    TransferBatch,
    TransferItem,
)
from tipro.tenancy import current_company_id
from tipro.transfers import plan as planning
from tipro.transfers.plan import month_span
from tipro.writes import serialise

ENTITY = "reconcile"
ACTION_CHECK = "check"
ACTION_CHECKED = "checked"
ACTION_CORRECT = "correct"

CHANGED = "changed"
ADDED = "added"
DELETED = "deleted"
STATUSES = (CHANGED, DELETED, ADDED)

# Why a drifted row is not corrected automatically.
WHY_ADDED = "added"  # not TiPro's: typed in Tripletex
WHY_LOCKED = "locked"  # approved, invoiced or paid in Tripletex
WHY_CLOSED = "closed"  # the order is invoiced
WHY_ADDED_LINES = "added_lines"  # a PUT of the order would remove lines someone added
WHY_PAYSLIP = "payslip"  # a booked payslip: a correction is a new salary transaction

log = logging.getLogger(__name__)

PAYROLL_KINDS = (
    ITEM_TIMESHEET_ENTRY,
    ITEM_SALARY_TYPE_SPEC,
    ITEM_SALARY_PROJECT_SPEC,
    ITEM_SALARY_TRANSACTION,
)
# A check that has not answered after this is taken as lost (its job or worker died).
CHECK_LOST_AFTER = timedelta(minutes=30)
# Between the request's commit and the job's enqueue the job is not pending yet.
JOB_GRACE = timedelta(seconds=30)
CHUNK = 100
ZERO = Decimal("0")
_HUNDREDTH = Decimal("0.01")
_PRICE = Decimal("0.0001")

ClientFactory = Callable[[Company], Any]


class ReconcileRefused(UserError):
    """A check or correction that does not fit the state now (409)."""

    status = 409


class BadInput(UserError):
    """A kind or month that cannot be read (400)."""

    status = 400


class NothingTransferred(UserError):
    """No transfer of that kind and month in this company (404)."""

    status = 404


# ---------------------------------------------------------------- small helpers


def entity_id(kind: str, month: date) -> str:
    """«payroll:2026-11»: the audit entity id of a month's checks."""
    return f"{kind}:{month.year}-{month.month:02d}"


def parse(kind: str | None, month_text: str | None) -> tuple[str, date]:
    """(kind, first day) from URL parts; BadInput (400) otherwise."""
    from tipro.transfers.services import BadInput as TransferBadInput
    from tipro.transfers.services import parse_month

    if kind not in TRANSFER_KINDS:
        raise BadInput(_("Ukjent overføring: velg lønnsgrunnlag eller ordre."))
    try:
        return kind, parse_month(month_text)
    except TransferBadInput as exc:
        raise BadInput(exc.message) from None


def _dec(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else 0)).quantize(_HUNDREDTH)


def _text(value: Decimal) -> str:
    return str(value.quantize(_HUNDREDTH))


def _ref(obj: dict, name: str) -> int | None:
    return (obj.get(name) or {}).get("id")


def _check_admin(actor: User | None) -> None:
    if actor is not None and (
        not actor.has_role("admin") or actor.company_id != current_company_id()
    ):
        raise NothingTransferred(_("Fant ingen overføring for måneden."))


# ---------------------------------------------------------------- what TiPro confirmed


@dataclass
class Sent:
    """A ledger item as plain values (read before Tripletex is called)."""

    item_id: int
    batch_id: int
    item_kind: str
    key: str
    payload: dict
    tripletex_id: int | None
    employee_tx: int | None
    day: date | None


def _ledger(kinds: tuple[str, ...], month: date) -> tuple[dict[str, Sent], set[str]]:
    """Keys TiPro confirmed (and holds) in Tripletex for the month; and keys whose last attempt
    is unresolved (the transfer page deals with them: neither drift nor «added»)."""
    rows = db.session.scalars(
        select(TransferItem)
        .join(TransferBatch, TransferBatch.id == TransferItem.batch_id)
        .where(
            TransferBatch.dry_run.is_(False),
            TransferBatch.month == month,
            TransferItem.item_kind.in_(kinds),
            TransferItem.state.in_((ITEM_CONFIRMED, ITEM_NEEDS_CHECK, ITEM_SENDING, ITEM_LEFT)),
        )
        .order_by(TransferItem.id)
    )
    newest: dict[str, TransferItem] = {}
    for item in rows:
        newest[item.key] = item
    sent: dict[str, Sent] = {}
    unresolved: set[str] = set()
    for key, item in newest.items():
        if item.state in (ITEM_NEEDS_CHECK, ITEM_SENDING):
            unresolved.add(key)
        elif item.state == ITEM_CONFIRMED and item.operation != OP_DELETE:
            sent[key] = Sent(
                item.id,
                item.batch_id,
                item.item_kind,
                key,
                dict(item.payload or {}),
                item.tripletex_id,
                item.tripletex_employee_id,
                item.date,
            )
    return sent, unresolved


def transferred_months() -> list[dict]:
    """Months with a real transfer, newest first: kind, month, batches, last batch, last check.

    Two statements whatever the number of batches and checks.
    """
    rows = db.session.execute(
        select(
            TransferBatch.kind,
            TransferBatch.month,
            func.count(TransferBatch.id),
            func.max(TransferBatch.id),
            func.max(TransferBatch.finished_at),
        )
        .where(TransferBatch.dry_run.is_(False))
        .group_by(TransferBatch.kind, TransferBatch.month)
        .order_by(TransferBatch.month.desc(), TransferBatch.kind)
    ).all()
    checked_at = dict(
        db.session.execute(
            select(AuditEvent.entity_id, func.max(AuditEvent.at))
            .where(AuditEvent.entity == ENTITY, AuditEvent.action == ACTION_CHECKED)
            .group_by(AuditEvent.entity_id)
        ).all()
    )
    out = []
    for kind, month, count, last_batch, finished in rows:
        out.append(
            {
                "kind": kind,
                "month": month,
                "month_key": f"{month.year}-{month.month:02d}",
                "batches": count,
                "last_batch": last_batch,
                "finished_at": finished,
                "checked_at": checked_at.get(entity_id(kind, month)),
            }
        )
    return out


def require_transferred(kind: str, month: date) -> None:
    """NothingTransferred (404) unless the company has a real transfer of the kind and month."""
    found = db.session.scalar(
        select(TransferBatch.id)
        .where(
            TransferBatch.kind == kind,
            TransferBatch.month == month,
            TransferBatch.dry_run.is_(False),
        )
        .limit(1)
    )
    if found is None:
        raise NothingTransferred(_("Fant ingen overføring for måneden."))


# ---------------------------------------------------------------- the check (state)


@dataclass
class CheckState:
    """The newest check of a month: asked, answered, still running, lost; the last correction."""

    asked: AuditEvent | None
    result_event: AuditEvent | None
    correction: AuditEvent | None
    running: bool
    lost: bool

    @property
    def result(self) -> dict | None:
        if self.result_event is None:
            return None
        return (self.result_event.changes.get("result") or [None, None])[1]

    @property
    def correction_batch(self) -> int | None:
        """The id of the newest correction's batch."""
        if self.correction is None:
            return None
        return (self.correction.changes.get("batch") or [None, None])[1]

    @property
    def corrected_since(self) -> bool:
        """A correction started after the shown result: the result is history."""
        return (
            self.correction is not None
            and self.result_event is not None
            and self.correction.id > self.result_event.id
        )


def checked_by(check: CheckState) -> User | None:
    """Who asked for the shown result (None: the command line or a deleted user)."""
    if check.result_event is None or not check.result_event.user_id:
        return None
    return db.session.get(User, check.result_event.user_id)


def check_job_id(request_id: int) -> str:
    """The RQ job id of one check."""
    return jobs.job_id("reconcile", request_id)


def state(kind: str, month: date) -> CheckState:
    """The month's newest check request, result and correction (one statement)."""
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity == ENTITY, AuditEvent.entity_id == entity_id(kind, month))
        .order_by(AuditEvent.id.desc())
        .limit(50)
    ).all()

    def newest(action: str) -> AuditEvent | None:
        return next((e for e in events if e.action == action), None)

    asked, answered, correction = (
        newest(ACTION_CHECK),
        newest(ACTION_CHECKED),
        newest(ACTION_CORRECT),
    )
    running = asked is not None and (answered is None or answered.id < asked.id)
    lost = False
    if running:
        # Unanswered: lost when its job is gone (failed, or its worker died) or it is old.
        age = clock.now() - clock.aware(asked.at)
        gone = jobs.has_queue() and age > JOB_GRACE and not jobs.is_pending(check_job_id(asked.id))
        lost = gone or age > CHECK_LOST_AFTER
        running = not lost
    return CheckState(asked, answered, correction, running, lost)


def request_check(actor: User | None, kind: str, month: date) -> AuditEvent:
    """«Sjekk mot Tripletex»: record who asked (commit), then run the read as a job (inline
    without Redis). Refused while a check of the month is running."""
    from tipro.reports.reconcile_jobs import run_check

    _check_admin(actor)
    company_id = current_company_id()
    serialise(Company, company_id)
    require_transferred(kind, month)
    if state(kind, month).running:
        db.session.rollback()
        raise ReconcileRefused(_("En sjekk av måneden pågår allerede."))
    record_audit(company_id, actor, ENTITY, entity_id(kind, month), ACTION_CHECK, {})
    db.session.commit()
    asked = db.session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.entity == ENTITY,
            AuditEvent.entity_id == entity_id(kind, month),
            AuditEvent.action == ACTION_CHECK,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    request_id = asked.id
    db.session.commit()
    if jobs.has_queue():
        jobs.enqueue(
            run_check, company_id, request_id, job_id=check_job_id(request_id), timeout=1800
        )
        return db.session.get(AuditEvent, request_id)
    try:
        run_check(company_id, request_id)
    except Exception:
        # Inline there is no job to fail: an unanswered request would count as running for
        # CHECK_LOST_AFTER and refuse every new check. Answer it with the error instead.
        log.exception("The drift check %s failed", request_id)
        db.session.rollback()
        _answer_failed(company_id, actor, kind, month, request_id)
    return db.session.get(AuditEvent, request_id)


def _answer_failed(
    company_id: int, actor: User | None, kind: str, month: date, request_id: int
) -> None:
    """Record a «checked» event with an error and no rows for a check that broke (commits)."""
    result = {
        "kind": kind,
        "month": f"{month:%Y-%m}",
        "error": _("Sjekken stoppet på en uventet feil. Prøv igjen om litt."),
        "rows": [],
    }
    record_audit(
        company_id,
        actor,
        ENTITY,
        entity_id(kind, month),
        ACTION_CHECKED,
        {"request": [None, request_id], "result": [None, result]},
    )
    db.session.commit()


def run_check(request_id: int, client_factory: ClientFactory | None = None) -> dict | None:
    """The job's work: read, compare, record the result as a «checked» event (commits).

    A request already answered is left alone. A Tripletex error is recorded as the result's
    error (the page shows it); anything else propagates (RQ's retry and failed registry)."""
    from tipro.tripletex.errors import TripletexError

    asked = db.session.get(AuditEvent, request_id)
    if asked is None or asked.entity != ENTITY or asked.action != ACTION_CHECK:
        db.session.commit()
        return None
    ident, actor_id = asked.entity_id, asked.user_id
    answered = db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.entity == ENTITY,
            AuditEvent.entity_id == ident,
            AuditEvent.action == ACTION_CHECKED,
            AuditEvent.id > request_id,
        )
    )
    if answered is not None:
        db.session.commit()
        return None
    kind, month_text = ident.split(":")
    month = date.fromisoformat(f"{month_text}-01")
    try:
        result = compare(kind, month, client_factory)
    except TripletexError as exc:
        db.session.rollback()
        result = {"kind": kind, "month": month_text, "error": exc.user_message, "rows": []}
    actor = db.session.get(User, actor_id) if actor_id else None
    record_audit(
        current_company_id(),
        actor,
        ENTITY,
        ident,
        ACTION_CHECKED,
        {"request": [None, request_id], "result": [None, result]},
    )
    db.session.commit()
    return result


# ---------------------------------------------------------------- reading and comparing


def _default_client(company: Company):
    from tipro.sync.connection import build_client
    from tipro.sync.services import settings

    return build_client(db.session, company, settings())


def compare(kind: str, month: date, client_factory: ClientFactory | None = None) -> dict:
    """The drift of a month: rows (changed / deleted / added) and totals side by side.

    Reads the ledger, commits, then reads Tripletex with no transaction open."""
    first, last = month_span(month)
    kinds = PAYROLL_KINDS if kind == KIND_PAYROLL else (ITEM_ORDER,)
    sent, unresolved = _ledger(kinds, first)
    company = db.session.get(Company, current_company_id())
    db.session.commit()
    client = (client_factory or _default_client)(company)
    db.session.commit()  # building the client may have cached a session token
    try:
        if kind == KIND_ORDERS:
            rows, totals = _orders(client, first, last, sent, unresolved)
        else:
            rows, totals = _payroll(client, first, last, sent, unresolved)
        calls = client.calls
    finally:
        client.close()
    counts = {status: sum(1 for r in rows if r["status"] == status) for status in STATUSES}
    return {
        "kind": kind,
        "month": f"{first.year}-{first.month:02d}",
        "error": None,
        "api_calls": calls,
        "rows": rows,
        "totals": totals,
        "counts": counts,
    }


def _row(status: str, sent: Sent | None, **fields: Any) -> dict:
    tipro = fields.pop("tipro", ZERO)
    tripletex = fields.pop("tripletex", ZERO)
    row = {
        "status": status,
        "item_id": sent.item_id if sent else None,
        "key": sent.key if sent else fields.pop("key", None),
        "tipro": _text(tipro),
        "tripletex": _text(tripletex),
        "diff": _text(tripletex - tipro),
        "correctable": status != ADDED,
        "why": WHY_ADDED if status == ADDED else None,
    }
    row.update(fields)
    return row


def _payroll(client, first: date, last: date, sent: dict[str, Sent], unresolved: set[str]):
    """Timesheet entries and salary-type specifications per key; payslips per key and line."""
    stop = last + timedelta(days=1)
    employees = sorted(
        {s.employee_tx for s in sent.values() if s.employee_tx is not None}
        | {int(k.split(":")[1]) for k in unresolved if k.split(":")[1].isdigit()}
    )
    present = {s.item_kind for s in sent.values()} | {_kind_of(k) for k in unresolved}
    found: dict[str, dict] = {}  # key -> object
    kinds_of: dict[str, str] = {}
    by_id: dict[tuple[str, int], dict] = {}
    if employees:
        for start in range(0, len(employees), CHUNK):
            for obj in client.list_timesheet_entries(first, stop, employees[start : start + CHUNK]):
                key = (
                    f"ts:{obj['employee']['id']}:{obj['date']}:{_ref(obj, 'project') or 0}:"
                    f"{obj['activity']['id']}"
                )
                found[key], kinds_of[key] = obj, ITEM_TIMESHEET_ENTRY
                by_id[(ITEM_TIMESHEET_ENTRY, obj["id"])] = obj
    wanted = set(employees)
    if ITEM_SALARY_TYPE_SPEC in present:
        for obj in client.list_salary_type_specifications(first, stop):
            if _ref(obj, "employee") not in wanted:
                continue
            key = f"sts:{obj['employee']['id']}:{obj['date']}:{obj['salaryType']['id']}"
            found[key], kinds_of[key] = obj, ITEM_SALARY_TYPE_SPEC
            by_id[(ITEM_SALARY_TYPE_SPEC, obj["id"])] = obj
    if ITEM_SALARY_PROJECT_SPEC in present:
        for obj in client.list_salary_project_type_specifications(first, stop):
            if _ref(obj, "employee") not in wanted:
                continue
            by_id[(ITEM_SALARY_PROJECT_SPEC, obj["id"])] = obj
            # No uniqueness in Tripletex: ours carry our key in the description.
            key = planning.key_in_description(obj.get("description"))
            if key is None or not key.startswith("spts:") or key in found:
                key = (
                    f"spts?:{obj['employee']['id']}:{obj['date']}:{obj['salaryType']['id']}:"
                    f"{_ref(obj, 'project') or 0}:{_ref(obj, 'activity') or 0}:{obj['id']}"
                )
            found[key], kinds_of[key] = obj, ITEM_SALARY_PROJECT_SPEC
    rows: list[dict] = []
    totals: dict[tuple[str, int], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    matched: set[int] = set()
    for key, item in sorted(sent.items(), key=lambda kv: (kv[1].day or first, kv[0])):
        if item.item_kind == ITEM_SALARY_TRANSACTION:
            continue
        field = "hours" if item.item_kind == ITEM_TIMESHEET_ENTRY else "count"
        want = _dec(item.payload.get(field))
        obj = found.get(key)
        if obj is None and item.item_kind == ITEM_SALARY_PROJECT_SPEC and item.tripletex_id:
            obj = by_id.get((item.item_kind, item.tripletex_id))
        totals[(item.item_kind, item.employee_tx)][0] += want
        facts = _facts(item.item_kind, key, item.payload)
        if obj is None:
            rows.append(_row(DELETED, item, tipro=want, **facts))
            continue
        matched.add(id(obj))
        have = _dec(obj.get(field))
        if have != want:
            row = _row(CHANGED, item, tipro=want, tripletex=have, tripletex_id=obj["id"], **facts)
            if obj.get("locked"):
                row["correctable"], row["why"] = False, WHY_LOCKED
            rows.append(row)
    for key, obj in found.items():
        kind = kinds_of[key]
        field = "hours" if kind == ITEM_TIMESHEET_ENTRY else "count"
        totals[(kind, obj["employee"]["id"])][1] += _dec(obj.get(field))
        if id(obj) in matched or key in unresolved:
            continue
        facts = _facts(kind, key, obj)
        rows.append(
            _row(
                ADDED,
                None,
                key=key,
                tripletex=_dec(obj.get(field)),
                tripletex_id=obj["id"],
                **facts,
            )
        )
    slip_rows, slip_totals = _payslips(client, first, sent, unresolved)
    rows.extend(slip_rows)
    total_rows = [
        {
            "item_kind": kind,
            "employee": emp,
            "tipro": _text(t),
            "tripletex": _text(x),
            "diff": _text(x - t),
        }
        for (kind, emp), (t, x) in sorted(totals.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))
    ] + slip_totals
    rows.sort(
        key=lambda r: (r.get("date") or "", r.get("employee") or 0, r["status"], r["key"] or "")
    )
    return rows, total_rows


def _kind_of(key: str) -> str:
    prefix = key.split(":")[0]
    return {
        "ts": ITEM_TIMESHEET_ENTRY,
        "sts": ITEM_SALARY_TYPE_SPEC,
        "spts": ITEM_SALARY_PROJECT_SPEC,
        planning.SALARY_PREFIX: ITEM_SALARY_TRANSACTION,
    }.get(prefix, ITEM_ORDER)


def _facts(item_kind: str, key: str, obj: dict) -> dict:
    """What a row is about (Tripletex ids; the page shows names)."""
    return {
        "item_kind": item_kind,
        "employee": _ref(obj, "employee"),
        "date": obj.get("date"),
        "project": _ref(obj, "project"),
        "activity": _ref(obj, "activity"),
        "salary_type": _ref(obj, "salaryType"),
    }


def _payslips(client, first: date, sent: dict[str, Sent], unresolved: set[str]):
    """Lønnsbilag: each payslip's specifications per salary type/project and rate (check only:
    a booked payslip is corrected by a new salary transaction, which the next transfer makes)."""
    slips = {k: s for k, s in sent.items() if s.item_kind == ITEM_SALARY_TRANSACTION}
    if not slips and not any(_kind_of(k) == ITEM_SALARY_TRANSACTION for k in unresolved):
        return [], []
    employees = sorted({s.employee_tx for s in slips.values() if s.employee_tx is not None})
    have: dict[str, dict[tuple[str, Decimal], Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for _slip, spec, key in planning.tipro_payslip_specs(client, first, employees, CHUNK):
        line = (
            f"{_ref(spec, 'salaryType')}:{_ref(spec, 'project') or 0}",
            Decimal(str(spec.get("rate") or 0)).quantize(_PRICE),
        )
        have[key][line] += _dec(spec.get("count"))
    rows, totals = [], []
    for key, item in sorted(slips.items()):
        want: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
        for (line_key, price), line in planning.salary_lines_of(item.payload).items():
            want[(line_key, Decimal(price).quantize(_PRICE))] += _dec(line.count)
        held = have.get(key, {})
        for line in sorted(set(want) | set(held)):
            w, h = want.get(line, ZERO), held.get(line, ZERO)
            if w == h:
                continue
            if key not in have or h == ZERO:
                status = DELETED
            else:
                status = ADDED if w == ZERO else CHANGED
            salary_type, project = (int(x) for x in line[0].split(":"))
            row = _row(
                status,
                item,
                tipro=w,
                tripletex=h,
                item_kind=ITEM_SALARY_TRANSACTION,
                employee=item.employee_tx,
                date=None,
                project=project or None,
                activity=None,
                salary_type=salary_type,
                rate=str(line[1]),
            )
            row["correctable"], row["why"] = False, WHY_PAYSLIP
            rows.append(row)
        totals.append(
            {
                "item_kind": ITEM_SALARY_TRANSACTION,
                "employee": item.employee_tx,
                "tipro": _text(sum(want.values(), ZERO)),
                "tripletex": _text(sum(held.values(), ZERO)),
                "diff": _text(sum(held.values(), ZERO) - sum(want.values(), ZERO)),
            }
        )
    return rows, totals


def _order_lines(lines: list[dict]) -> dict[tuple[str, Decimal], Decimal]:
    """An order's lines as {(description, unit price): count}."""
    out: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
    for line in lines:
        index = (
            (line.get("description") or "").strip(),
            Decimal(str(line.get("unitPriceExcludingVatCurrency") or 0)).quantize(_PRICE),
        )
        out[index] += _dec(line.get("count"))
    return out


def _orders(client, first: date, last: date, sent: dict[str, Sent], unresolved: set[str]):
    """Per order and order line (matched by description and unit price)."""
    stop = last + timedelta(days=1)
    prefix = planning.order_comment(f"{planning.ORDER_PREFIX}:{first.year}-{first.month:02d}")
    orders = {o["id"]: o for o in client.find_orders(first, stop, delivery_comment=prefix)}
    missing = sorted(
        s.tripletex_id for s in sent.values() if s.tripletex_id and s.tripletex_id not in orders
    )
    if missing:
        for obj in client.find_orders(first, stop, ids=missing):
            orders[obj["id"]] = obj
    by_key = {}
    for obj in orders.values():
        comment = obj.get("deliveryComment") or ""
        if comment.startswith("TiPro "):
            by_key.setdefault(comment.removeprefix("TiPro "), obj)
    rows: list[dict] = []
    totals: list[dict] = []
    matched: set[int] = set()
    for key, item in sorted(sent.items()):
        obj = orders.get(item.tripletex_id) if item.tripletex_id else None
        obj = obj or by_key.get(key)
        want = _order_lines(item.payload.get("orderLines") or [])
        held = _order_lines(obj.get("orderLines") or []) if obj else {}
        order_facts = {
            "item_kind": ITEM_ORDER,
            "order_key": key,
            "order_number": obj.get("number") if obj else None,
            "project": _ref(obj or item.payload, "project"),
            "customer": _ref(obj or item.payload, "customer"),
        }
        if obj is not None:
            matched.add(obj["id"])
        mine = []
        for line in sorted(set(want) | set(held)):
            w, h = want.get(line, ZERO), held.get(line, ZERO)
            if w == h:
                continue
            status = CHANGED if w and h else (DELETED if w else ADDED)
            row = _row(
                status,
                item,
                tipro=w,
                tripletex=h,
                line=line[0],
                price=str(line[1].normalize()),
                tripletex_id=obj["id"] if obj else None,
                **order_facts,
            )
            mine.append(row)
        if obj is not None and mine:
            why = None
            if obj.get("isClosed"):
                why = WHY_CLOSED
            elif any(r["status"] == ADDED for r in mine):
                why = WHY_ADDED_LINES
            if why:
                for row in mine:
                    row["correctable"] = False
                    row["why"] = WHY_ADDED if row["status"] == ADDED else why
        rows.extend(mine)
        totals.append(_order_total(key, obj, item.payload))
    for obj in orders.values():
        comment = (obj.get("deliveryComment") or "").removeprefix("TiPro ")
        if obj["id"] in matched or comment in unresolved:
            continue
        for (description, price), count in sorted(
            _order_lines(obj.get("orderLines") or []).items()
        ):
            rows.append(
                _row(
                    ADDED,
                    None,
                    key=comment,
                    tripletex=count,
                    line=description,
                    price=str(price.normalize()),
                    tripletex_id=obj["id"],
                    item_kind=ITEM_ORDER,
                    order_key=comment,
                    order_number=obj.get("number"),
                    project=_ref(obj, "project"),
                    customer=_ref(obj, "customer"),
                )
            )
        totals.append(_order_total(comment, obj, None))
    return rows, totals


def _order_total(key: str, obj: dict | None, payload: dict | None) -> dict:
    def amount(lines: list[dict]) -> Decimal:
        return sum(
            (
                (
                    _dec(ln.get("count"))
                    * Decimal(str(ln.get("unitPriceExcludingVatCurrency") or 0))
                ).quantize(_HUNDREDTH)
                for ln in lines
            ),
            ZERO,
        )

    tipro = amount((payload or {}).get("orderLines") or [])
    held = amount((obj or {}).get("orderLines") or [])
    return {
        "item_kind": ITEM_ORDER,
        "order_key": key,
        "order_number": (obj or {}).get("number"),
        "project": _ref(obj or payload or {}, "project"),
        "tipro": _text(tipro),
        "tripletex": _text(held),
        "diff": _text(held - tipro),
    }


# ---------------------------------------------------------------- «Rett opp»


def correctable_rows(result: dict | None) -> list[dict]:
    """The rows «Rett opp» would correct."""
    return [
        r for r in (result or {}).get("rows") or [] if r.get("correctable") and r.get("item_id")
    ]


def correct(actor: User | None, kind: str, month: date, *, enqueue_job: bool = True):
    """«Rett opp»: a batch of the drifted items (needs_check), run by the transfer machinery.

    Based on the month's newest check; an item the ledger has moved past since (a newer
    transfer of the key) is skipped — check again first. Returns the batch, or refuses (409)."""
    from tipro.transfers import services as transfers

    _check_admin(actor)
    company_id = current_company_id()
    serialise(Company, company_id)
    require_transferred(kind, month)
    current = state(kind, month)
    if current.running:
        db.session.rollback()
        raise ReconcileRefused(_("Vent til sjekken er ferdig."))
    if current.result is None or current.corrected_since:
        db.session.rollback()
        raise ReconcileRefused(_("Sjekk mot Tripletex først."))
    rows = correctable_rows(current.result)
    if not rows:
        db.session.rollback()
        raise ReconcileRefused(_("Ingen avvik som TiPro kan rette opp."))
    running = transfers.active_batch(kind)
    if running is not None and not transfers.is_dead(running):
        db.session.rollback()
        raise ReconcileRefused(_("En overføring av samme slag pågår allerede."))
    deleted: dict[int, bool] = {}
    for row in rows:
        # An order with a changed line is PUT whole; one that is gone is created again.
        gone = row["status"] == DELETED and (
            row["item_kind"] != ITEM_ORDER or not row.get("tripletex_id")
        )
        deleted[row["item_id"]] = deleted.get(row["item_id"], True) and gone
    kinds = PAYROLL_KINDS if kind == KIND_PAYROLL else (ITEM_ORDER,)
    sent, _unresolved = _ledger(kinds, month)
    newest = {s.item_id for s in sent.values()}
    originals = [
        i
        for i in db.session.scalars(
            select(TransferItem)
            .where(TransferItem.id.in_(sorted(deleted)))
            .order_by(TransferItem.id)
        )
        if i.id in newest
    ]
    if not originals:
        db.session.rollback()
        raise ReconcileRefused(
            _("Overføringen er endret siden sjekken. Sjekk mot Tripletex på nytt.")
        )
    batch = transfers.record_correction(actor, kind, month, originals, deleted)
    record_audit(
        company_id,
        actor,
        ENTITY,
        entity_id(kind, month),
        ACTION_CORRECT,
        {"batch": [None, batch.id], "items": [None, len(originals)]},
    )
    db.session.commit()
    batch_id = batch.id
    if enqueue_job:
        return transfers.resume(actor, batch_id)
    return db.session.get(TransferBatch, batch_id)


__all__ = [
    "ADDED",
    "CHANGED",
    "DELETED",
    "BadInput",
    "CheckState",
    "NothingTransferred",
    "ReconcileRefused",
    "compare",
    "correct",
    "correctable_rows",
    "parse",
    "request_check",
    "run_check",
    "state",
    "transferred_months",
]


def names(result: dict | None) -> dict[str, dict[int, str]]:
    """Names for the Tripletex ids a result mentions, from the synced master data
    (one statement per kind of name)."""
    from tipro.models import Activity, Customer, Employee, Project, SalaryType

    wanted: dict[str, set[int]] = defaultdict(set)
    for row in [*((result or {}).get("rows") or []), *((result or {}).get("totals") or [])]:
        for field in ("employee", "project", "activity", "salary_type", "customer"):
            if row.get(field):
                wanted[field].add(int(row[field]))
    out: dict[str, dict[int, str]] = {
        f: {} for f in ("employee", "project", "activity", "salary_type", "customer")
    }
    models = {
        "employee": Employee,
        "project": Project,
        "activity": Activity,
        "salary_type": SalaryType,
        "customer": Customer,
    }
    for field, ids in wanted.items():
        model = models[field]
        for row in db.session.scalars(select(model).where(model.tripletex_id.in_(sorted(ids)))):
            if field == "project":
                label = row.display_name
            elif field == "salary_type":
                label = f"{row.number} {row.name}".strip()
            else:
                label = row.name
            out[field][row.tripletex_id] = label
    return out

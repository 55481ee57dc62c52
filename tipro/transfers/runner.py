"""Running a batch: pre-flight, reconcile, send, record — exactly once.

The rules (issue #11):
- every item was recorded (committed) before any request (services.start);
- an item is marked «sending» and committed before its request; no transaction is open
  during a Tripletex call (request bodies are built before the commit);
- an answer records the Tripletex id/version and «confirmed» at once (commit);
- an unknown outcome (timeout, lost connection, 5xx on a write, a worker killed while
  «sending») makes the item «needs_check»: it is reconciled by reading Tripletex before
  anything is sent again; a match is adopted (and corrected with PUT if it differs);
- a Tripletex object on the key that TiPro did not make is never overwritten: the item fails
  with «foreign_entry» and the admin chooses take over or leave (services);
- a 4xx fails its item alone (a rejected /list chunk is resent item by item);
- a rerun (or an RQ retry) skips settled items.

Per kind: timesheet entries go in /list chunks; orders in /order/list chunks of ≤ 100, read
back with their lines (the create answer may omit them) and found again by the key in
deliveryComment; an order that turns out invoiced gets a correction order for the difference
(_to_correction). Payslips go as ONE salary transaction per run (a rejected one is resent
payslip by payslip so a bad one fails alone) and are found again through /salary/payslip and
the key in their descriptions — never posted again until that read says they are not there.

Runs inside the job's company scope.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update

from tipro import clock
from tipro.extensions import db
from tipro.models import Company, TimeEntry, User
from tipro.models.transfer import (
    BATCH_DONE,
    BATCH_PARTIAL,
    BATCH_RUNNING,
    CHANGE_CORRECTION,
    ITEM_CONFIRMED,
    ITEM_FAILED,
    ITEM_NEEDS_CHECK,
    ITEM_ORDER,
    ITEM_PENDING,
    ITEM_SALARY_PROJECT_SPEC,
    ITEM_SALARY_TRANSACTION,
    ITEM_SALARY_TYPE_SPEC,
    ITEM_SENDING,
    ITEM_SETTLED,
    ITEM_TIMESHEET_ENTRY,
    ITEM_UNCHANGED,
    KIND_PAYROLL,
    MODE_ORDERS,
    MODE_SALARY,
    MODE_TIMESHEET,
    OP_ADOPT,
    OP_CREATE,
    OP_DELETE,
    OP_NONE,
    OP_UPDATE,
    TransferBatch,
    TransferItem,
    TransferItemEntry,
    TransferLog,
)
from tipro.models.work import ENTRY_APPROVED, ENTRY_TRANSFERRED
from tipro.transfers import plan as planning
from tipro.transfers import texts
from tipro.transfers.plan import month_span
from tipro.tripletex.client import RequestLogEntry, TripletexClient
from tipro.tripletex.errors import (
    Conflict,
    NeedsReconnect,
    NotFound,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
    ServerError,
    TripletexError,
)
from tipro.tripletex.redact import redact

log = logging.getLogger(__name__)

CHUNK = 100
# Passes of reconcile + send before the runner stops (each pass settles or fails items).
MAX_PASSES = 6
MAX_ATTEMPTS = 5
ClientFactory = Callable[[Company, Callable[[RequestLogEntry], None]], TripletexClient]


def _default_client(company: Company, on_request) -> TripletexClient:
    from tipro.sync.connection import build_client
    from tipro.sync.services import settings

    return build_client(db.session, company, settings(), on_request=on_request)


class Runner:
    """Runs one batch; see the module docstring."""

    def __init__(self, batch_id: int, client_factory: ClientFactory | None = None) -> None:
        self.batch_id = batch_id
        self.client_factory = client_factory or _default_client
        self.calls: list[RequestLogEntry] = []
        self.client: TripletexClient | None = None
        self.month: date | None = None

    # ----- bookkeeping ----------------------------------------------------------------------

    def _batch(self) -> TransferBatch:
        return db.session.get(TransferBatch, self.batch_id, populate_existing=True)

    def _items(self, *states: str, kinds: Iterable[str] | None = None) -> list[TransferItem]:
        query = (
            select(TransferItem)
            .where(TransferItem.batch_id == self.batch_id, TransferItem.state.in_(states))
            .order_by(TransferItem.id)
            .execution_options(populate_existing=True)
        )
        if kinds is not None:
            query = query.where(TransferItem.item_kind.in_(tuple(kinds)))
        return list(db.session.scalars(query))

    def _note(self, entry: RequestLogEntry) -> None:
        self.calls.append(entry)  # no database here: a request may be in flight

    def _log(
        self, items: list[TransferItem], bodies: list[Any] | None, answers: list[Any] | None
    ) -> None:
        """Attach the HTTP attempts made since the last call to these items (no tokens)."""
        calls, self.calls = self.calls, []
        for index, item in enumerate(items):
            for call in calls:
                db.session.add(
                    TransferLog(
                        company_id=item.company_id,
                        item_id=item.id,
                        method=call.method,
                        path=redact(call.path),
                        status=call.status,
                        request_id=call.request_id,
                        duration_ms=call.duration_ms,
                        request=bodies[index] if bodies else None,
                        response=answers[index] if answers and index < len(answers) else None,
                        error=call.error,
                    )
                )

    def _confirm(self, item: TransferItem, obj: dict | None) -> None:
        item.state = ITEM_CONFIRMED
        item.confirmed_at = clock.now()
        if obj:
            item.tripletex_id = obj.get("id", item.tripletex_id)
            item.tripletex_version = obj.get("version", item.tripletex_version)
        item.error_status = item.error_code = item.error_field = None
        item.error_message = item.error_request_id = item.hint = None

    def _fail(self, item: TransferItem, code: str, exc: TripletexError | None = None, **kw):
        item.state = ITEM_FAILED
        field = None
        if exc is not None:
            item.error_status = exc.status
            item.error_request_id = exc.request_id
            field = next((v.field for v in exc.validation_messages if v.field), None)
            item.error_message = kw.get("message") or exc.user_message
            # Our code, with Tripletex's own code after a colon («rejected:18000»).
            item.error_code = f"{code}:{exc.code}" if exc.code else code
        else:
            item.error_message = kw.get("message")
            item.error_code = code
        item.error_field = field
        item.hint = kw.get("hint") or texts.hint_for(code, field)

    # ----- the run ------------------------------------------------------------------------------

    def run(self) -> TransferBatch:
        batch = self._batch()
        if batch is None or batch.dry_run or batch.state in (BATCH_DONE,):
            db.session.commit()
            return batch
        self.month = batch.month
        batch.state = BATCH_RUNNING
        batch.started_at = batch.started_at or clock.now()
        batch.error_message = None
        # A request in flight when the last run died: its outcome is unknown.
        for item in self._items(ITEM_SENDING):
            item.state = ITEM_NEEDS_CHECK
        company = db.session.get(Company, batch.company_id)
        db.session.commit()
        try:
            self.client = self.client_factory(company, self._note)
        except NeedsReconnect as exc:
            return self._stop(exc.user_message)
        try:
            self._preflight()
            for _pass in range(MAX_PASSES):
                self._reconcile()
                if not self._send():
                    break
            self._reconcile()
            self._approve_months()
        except NeedsReconnect as exc:
            db.session.rollback()
            return self._stop(exc.user_message)
        finally:
            calls = self.client.calls if self.client else 0
            self.client.close()
            db.session.rollback()
            db.session.execute(
                update(TransferBatch)
                .where(TransferBatch.id == self.batch_id)
                .values(api_calls=TransferBatch.api_calls + calls)
            )
            db.session.commit()
        return self.finish()

    def _stop(self, message: str) -> TransferBatch:
        batch = self._batch()
        batch.error_message = message
        db.session.commit()
        return self.finish()

    def finish(self) -> TransferBatch:
        """Counts, entry states and the batch's end state (commits)."""
        batch = self._batch()
        counts = dict(
            db.session.execute(
                select(TransferItem.state, func.count())
                .where(TransferItem.batch_id == self.batch_id)
                .group_by(TransferItem.state)
            ).all()
        )
        batch.total_items = sum(counts.values())
        batch.confirmed_count = counts.get(ITEM_CONFIRMED, 0)
        batch.failed_count = counts.get(ITEM_FAILED, 0)
        batch.needs_check_count = counts.get(ITEM_NEEDS_CHECK, 0)
        batch.unchanged_count = counts.get(ITEM_UNCHANGED, 0)
        open_items = sum(n for state, n in counts.items() if state not in ITEM_SETTLED)
        batch.state = BATCH_DONE if open_items == 0 else BATCH_PARTIAL
        batch.finished_at = clock.now()
        mark_transferred(self.batch_id)
        db.session.commit()
        return batch

    # ----- pre-flight -------------------------------------------------------------------------

    def _preflight(self) -> None:
        """A fresh pre-flight for everybody at once (preflight.check_many: reads by id lists,
        not per person); blocking problems fail that person's pending items."""
        from tipro.approvals import preflight

        batch = self._batch()
        if batch.mode == MODE_ORDERS:
            self._preflight_orders()
            return
        if batch.mode == MODE_SALARY:
            self._preflight_wages()
        payroll_mode = "salary" if batch.mode == MODE_SALARY else "timesheet"
        first, last = month_span(batch.month)
        user_ids = sorted({i.user_id for i in self._items(ITEM_PENDING) if i.user_id is not None})
        if not user_ids:
            db.session.commit()
            return
        users = list(db.session.scalars(select(User).where(User.id.in_(user_ids))))
        # A 429/5xx/network failure of a read is raised, not copied onto everybody as
        # «tripletex_unreachable»: the job is retried (RQ Retry) with the items still pending.
        found = preflight.check_many(
            users,
            first,
            last,
            fresh=True,
            payroll_mode=payroll_mode,
            client=self.client,
            raise_transient=True,
        )
        blocking = {
            user_id: next(p for p in problems if p.blocking)
            for user_id, problems in found.items()
            if any(p.blocking for p in problems)
        }
        for item in self._items(ITEM_PENDING):
            problem = blocking.get(item.user_id)
            if problem is not None:
                self._fail(item, texts.PREFLIGHT, message=problem.message, hint=problem.hint)
                item.error_code = f"{texts.PREFLIGHT}:{problem.code}"
        db.session.commit()

    # ----- sending ----------------------------------------------------------------------------

    def _send(self) -> bool:
        """Send every pending item once; True when something was sent."""
        pending = self._items(ITEM_PENDING)
        if not pending:
            db.session.commit()
            return False
        groups: dict[tuple[str, str], list[TransferItem]] = defaultdict(list)
        for item in pending:
            if item.attempts >= MAX_ATTEMPTS:
                self._fail(
                    item,
                    "too_many_attempts",
                    message=_giving_up_message(),
                    hint=texts.hint_for("other"),
                )
                continue
            op = OP_UPDATE if item.operation == OP_ADOPT else item.operation
            groups[(item.item_kind, op)].append(item)
        db.session.commit()
        for (kind, op), items in groups.items():
            if kind == ITEM_ORDER:
                if op == OP_CREATE:
                    for start in range(0, len(items), CHUNK):
                        self._send_orders([i.id for i in items[start : start + CHUNK]])
                else:
                    for item in items:
                        self._send_order_one(item.id)
            elif kind == ITEM_SALARY_TRANSACTION:
                self._send_salary([i.id for i in items])
            elif kind == ITEM_TIMESHEET_ENTRY and op in (OP_CREATE, OP_UPDATE):
                for start in range(0, len(items), CHUNK):
                    self._send_list(kind, op, [i.id for i in items[start : start + CHUNK]])
            else:
                for item in items:
                    self._send_one(item.id)
        return True

    def _body(self, item: TransferItem, op: str) -> dict:
        body = {k: v for k, v in item.payload.items() if not k.startswith("_")}
        if op == OP_UPDATE:
            body["id"] = item.tripletex_id
            if item.tripletex_version is not None:
                body["version"] = item.tripletex_version
            if item.item_kind == ITEM_TIMESHEET_ENTRY:
                # PUT nulls what is sent empty; send the full object, comment included.
                body.setdefault("comment", "")
        return body

    def _mark_sending(self, items: list[TransferItem]) -> None:
        now = clock.now()
        for item in items:
            item.state = ITEM_SENDING
            item.attempts += 1
            item.sent_at = now
        db.session.commit()

    def _send_list(self, kind: str, op: str, ids: list[int]) -> None:
        write = self.client.post if op == OP_CREATE else self.client.put
        bodies, values = self._list_write(
            ids, op, lambda b: write("/timesheet/entry/list", b), self._send_one
        )
        if values is None:
            return
        items = [db.session.get(TransferItem, i) for i in ids]
        self._log(items, bodies, values)
        for item, value in zip(items, values, strict=False):
            self._confirm(item, value)
        for item in items[len(values) :]:
            item.state = ITEM_NEEDS_CHECK  # fewer answers than bodies: read back
        db.session.commit()

    def _list_write(
        self,
        ids: list[int],
        op: str,
        request: Callable[[list[dict]], Any],
        send_one: Callable[[int], None],
    ) -> tuple[list[dict], list[dict] | None]:
        """One /list write of these items («sending» committed first): (bodies, Tripletex's
        answers in order), or answers None when the outcome is unknown (needs_check) or it
        was rejected (then each was sent alone)."""
        items = [db.session.get(TransferItem, i) for i in ids]
        bodies = [self._body(i, op) for i in items]
        self._mark_sending(items)
        self.calls = []
        try:
            answer = request(bodies)
        except OutcomeUnknown as exc:
            self._unknown(ids, bodies, exc)
            return bodies, None
        except (RateLimited, ServerError, NeedsReconnect):
            self._back_to_pending(ids, bodies)
            raise
        except TripletexError:
            self._one_by_one(ids, bodies, send_one)
            return bodies, None
        return bodies, (answer or {}).get("values") or []

    def _unknown(self, ids: list[int], bodies, exc: OutcomeUnknown) -> None:
        """The write may have landed: «needs_check», read before anything is sent again."""
        items = [db.session.get(TransferItem, i) for i in ids]
        self._log(items, bodies, None)
        for item in items:
            item.state = ITEM_NEEDS_CHECK
            item.error_message = exc.user_message
        db.session.commit()

    def _one_by_one(self, ids: list[int], bodies, send_one: Callable[[int], None]) -> None:
        """A rejected /list write stored nothing (all or nothing): send each alone, so a bad
        one fails alone."""
        items = [db.session.get(TransferItem, i) for i in ids]
        self._log(items, bodies, None)
        for item in items:
            item.state = ITEM_PENDING
        db.session.commit()
        for item_id in ids:
            send_one(item_id)

    def _back_to_pending(self, ids: list[int], bodies) -> None:
        items = [db.session.get(TransferItem, i) for i in ids]
        self._log(items, bodies, None)
        for item in items:
            item.state = ITEM_PENDING
            item.attempts = max(0, item.attempts - 1)
        db.session.commit()

    def _path(self, item: TransferItem) -> str:
        return {
            ITEM_TIMESHEET_ENTRY: "/timesheet/entry",
            ITEM_SALARY_TYPE_SPEC: "/timesheet/salaryTypeSpecification",
            ITEM_SALARY_PROJECT_SPEC: "/timesheet/salaryProjectTypeSpecification",
        }[item.item_kind]

    def _send_one(self, item_id: int) -> None:
        item = db.session.get(TransferItem, item_id)
        if item.state != ITEM_PENDING:
            db.session.commit()
            return
        op = OP_UPDATE if item.operation == OP_ADOPT else item.operation
        path = self._path(item)
        body = self._body(item, op) if op != OP_DELETE else None
        target, version = item.tripletex_id, item.tripletex_version
        self._mark_sending([item])
        self.calls = []
        client = self.client
        answer = None
        try:
            if op == OP_CREATE:
                answer = (client.post(path, body) or {}).get("value")
            elif op == OP_UPDATE:
                answer = (client.put(f"{path}/{target}", body) or {}).get("value")
            else:
                params = {"version": version} if item.item_kind == ITEM_TIMESHEET_ENTRY else None
                client.delete(f"{path}/{target}", params)
        except OutcomeUnknown as exc:
            self._unknown([item_id], [body], exc)
            return
        except (RateLimited, ServerError, NeedsReconnect):
            self._back_to_pending([item_id], [body])
            raise
        except TripletexError as exc:
            item = db.session.get(TransferItem, item_id)
            self._log([item], [body], None)
            self._failed_write(item, op, exc)
            db.session.commit()
            return
        item = db.session.get(TransferItem, item_id)
        self._log([item], [body], [answer])
        if op == OP_DELETE:
            self._confirm(item, None)
        else:
            self._confirm(item, answer)
        db.session.commit()

    def _failed_write(self, item: TransferItem, op: str, exc: TripletexError) -> None:
        if isinstance(exc, Conflict) and exc.is_duplicate and op == OP_CREATE:
            # Someone else's object on our key: find it (for «take over»), never overwrite.
            self._fail(item, texts.FOREIGN_ENTRY, exc)
            found = self._find_on_key(item)
            if found is not None:
                item.tripletex_id, item.tripletex_version = found.get("id"), found.get("version")
            return
        if isinstance(exc, Conflict) and exc.is_locked:
            if item.item_kind == ITEM_SALARY_TRANSACTION:
                self._fail(item, texts.LOCKED, exc, hint=texts.hint_for(texts.PERIOD_LOCKED))
            else:
                self._fail(item, texts.LOCKED, exc)
            return
        if isinstance(exc, Conflict) and exc.is_stale:
            self._fail(item, texts.STALE, exc)
            return
        if isinstance(exc, NotFound) and op == OP_DELETE:
            self._confirm(item, None)  # already gone
            return
        if isinstance(exc, NotFound) and op == OP_UPDATE:
            # Deleted in Tripletex since: create it again (the next pass).
            item.operation, item.tripletex_id, item.tripletex_version = OP_CREATE, None, None
            item.state = ITEM_PENDING
            return
        if isinstance(exc, PermissionDenied):
            self._fail(item, texts.FORBIDDEN, exc)
            return
        self._fail(item, texts.REJECTED, exc)

    # ----- reconcile --------------------------------------------------------------------------

    def _find_on_key(self, item: TransferItem) -> dict | None:
        db.session.commit()
        found = self._read([item])
        return found.get(item.key)

    def _read(self, items: list[TransferItem]) -> dict[str, dict]:
        """What Tripletex holds on these items' keys (and ids): {key: object}, {"#id": object}."""
        wanted = [(i.item_kind, i.tripletex_employee_id, i.date) for i in items]
        db.session.commit()
        out: dict[str, dict] = {}
        by_kind: dict[str, list[tuple[int, date]]] = defaultdict(list)
        for kind, emp, day in wanted:
            by_kind[kind].append((emp, day))
        client = self.client
        if ITEM_TIMESHEET_ENTRY in by_kind:
            first, stop, emps = _span(by_kind[ITEM_TIMESHEET_ENTRY])
            for start in range(0, len(emps), CHUNK):
                found = client.list_timesheet_entries(first, stop, emps[start : start + CHUNK])
                for obj in found:
                    project = (obj.get("project") or {}).get("id") or 0
                    key = (
                        f"ts:{obj['employee']['id']}:{obj['date']}:{project}:"
                        f"{obj['activity']['id']}"
                    )
                    out[key] = obj
                    out[f"#{ITEM_TIMESHEET_ENTRY}#{obj['id']}"] = obj
        if ITEM_SALARY_TYPE_SPEC in by_kind:
            first, stop, emps = _span(by_kind[ITEM_SALARY_TYPE_SPEC])
            for emp in emps:  # Tripletex filters these by ONE employee
                found = client.list_salary_type_specifications(first, stop, emp)
                for obj in found:
                    key = f"sts:{obj['employee']['id']}:{obj['date']}:{obj['salaryType']['id']}"
                    out[key] = obj
                    out[f"#{ITEM_SALARY_TYPE_SPEC}#{obj['id']}"] = obj
        if ITEM_ORDER in by_kind:
            out.update(self._read_orders())
        if ITEM_SALARY_TRANSACTION in by_kind:
            emps = sorted({e for e, _d in by_kind[ITEM_SALARY_TRANSACTION]})
            out.update(self._read_payslips(emps))
        if ITEM_SALARY_PROJECT_SPEC in by_kind:
            # No uniqueness in Tripletex: ours are the ones whose description carries our key.
            first, stop, emps = _span(by_kind[ITEM_SALARY_PROJECT_SPEC])
            for emp in emps:
                found = client.list_salary_project_type_specifications(first, stop, emp)
                for obj in found:
                    out[f"#{ITEM_SALARY_PROJECT_SPEC}#{obj['id']}"] = obj
                    description = obj.get("description") or ""
                    if description.startswith("TiPro spts:"):
                        out.setdefault(description.removeprefix("TiPro "), obj)
        return out

    def _reconcile(self) -> None:
        """Settle every needs_check item by reading Tripletex."""
        items = self._items(ITEM_NEEDS_CHECK)
        if not items:
            db.session.commit()
            return
        ids = [i.id for i in items]
        found = self._read(items)
        ours = _unresolved_quantities([i.key for i in items], exclude_batch=None)
        for item_id in ids:
            item = db.session.get(TransferItem, item_id)
            self._settle(item, found, ours.get(item.key, set()))
        self._log_reads(ids)
        db.session.commit()

    def _log_reads(self, ids: list[int]) -> None:
        items = [db.session.get(TransferItem, i) for i in ids]
        self._log(items, None, None)

    def _settle(self, item: TransferItem, found: dict[str, dict], ours: set[Decimal]) -> None:
        if item.item_kind == ITEM_ORDER:
            self._settle_order(item, found)
            return
        if item.item_kind == ITEM_SALARY_TRANSACTION:
            self._settle_payslip(item, found)
            return
        quantity_field = "hours" if item.item_kind == ITEM_TIMESHEET_ENTRY else "count"
        by_id = found.get(f"#{item.item_kind}#{item.tripletex_id}") if item.tripletex_id else None
        on_key = found.get(item.key)
        if item.operation == OP_DELETE:
            obj = by_id or on_key
            if obj is None:
                self._confirm(item, None)
            else:
                item.tripletex_id, item.tripletex_version = obj["id"], obj.get("version")
                item.state = ITEM_PENDING
            return
        want = _dec(item.payload.get(quantity_field))
        obj = by_id or on_key
        if obj is None:
            if item.operation in (OP_UPDATE, OP_ADOPT):
                item.operation, item.tripletex_id, item.tripletex_version = OP_CREATE, None, None
            item.state = ITEM_PENDING  # read says it is not there: safe to send
            return
        have = _dec(obj.get(quantity_field))
        if have == want and _same_comment(item, obj):
            self._confirm(item, obj)  # our write landed
            return
        if (
            by_id is not None
            or have in ours
            or item.operation == OP_ADOPT
            or item.item_kind == ITEM_SALARY_PROJECT_SPEC  # found by our key: ours
        ):
            # Ours (an earlier unknown write, or the object we already own): correct it.
            item.tripletex_id, item.tripletex_version = obj["id"], obj.get("version")
            item.operation = OP_UPDATE if item.operation != OP_ADOPT else OP_ADOPT
            item.state = ITEM_PENDING
            return
        self._fail(item, texts.FOREIGN_ENTRY, message=_foreign_message())
        item.tripletex_id, item.tripletex_version = obj["id"], obj.get("version")

    # ----- orders ------------------------------------------------------------------------------

    def _window(self) -> tuple[date, date]:
        first, last = month_span(self.month)
        return first, last + timedelta(days=1)

    def _preflight_orders(self) -> None:
        """Orders need a price and a VAT type on every line (no Tripletex read: the plan
        priced them from synced rates and the employees' rates read when it was made)."""
        from flask_babel import gettext as _

        for item in self._items(ITEM_PENDING, kinds=(ITEM_ORDER,)):
            lines = zip(
                item.payload.get("orderLines") or [], item.payload.get("_lines") or [], strict=False
            )
            for line, (line_key, _price) in lines:
                if line_key.startswith("h:") and not line.get("unitPriceExcludingVatCurrency"):
                    self._fail(
                        item,
                        texts.PREFLIGHT,
                        message=_("Timeprisen er 0 kr for «%(line)s».", line=line["description"]),
                        hint=texts.hint_for(texts.NO_PRICE),
                    )
                    item.error_code = f"{texts.PREFLIGHT}:price_missing"
                    break
                if not line.get("vatType"):
                    self._fail(
                        item,
                        texts.PREFLIGHT,
                        message=_("TiPro kjenner ingen utgående mva-type på 25 %."),
                        hint=texts.hint_for(texts.NO_VAT_TYPE),
                    )
                    item.error_code = f"{texts.PREFLIGHT}:{texts.NO_VAT_TYPE}"
                    break
        db.session.commit()

    def _preflight_wages(self) -> None:
        """A payslip line at 0 kr/h means TiPro has no wage for the person (Tripletex has
        none, or it could not be read when the plan was made): never book it."""
        from flask_babel import gettext as _

        for item in self._items(ITEM_PENDING, kinds=(ITEM_SALARY_TRANSACTION,)):
            specs = item.payload.get("specifications") or []
            if not any(not s.get("rate") for s in specs):
                continue
            if item.payload.get("_wage_unknown"):
                code = texts.WAGE_UNREAD
                message = _(
                    "TiPro fikk ikke lest lønnsopplysningene til den ansatte fra Tripletex, så "
                    "timene ble ikke sendt."
                )
            else:
                code = texts.NO_WAGE
                message = _("Tripletex har ingen timelønn eller årslønn for den ansatte.")
            self._fail(item, texts.PREFLIGHT, message=message, hint=texts.hint_for(code))
            item.error_code = f"{texts.PREFLIGHT}:{code}"
        db.session.commit()

    def _send_orders(self, ids: list[int]) -> None:
        """POST /order/list (≤ 100), record the ids, read back with the lines."""
        bodies, values = self._list_write(
            ids, OP_CREATE, lambda b: self.client.post("/order/list", b), self._send_order_one
        )
        if values is None:
            return
        items = [db.session.get(TransferItem, i) for i in ids]
        self._log(items, bodies, values)
        for item, value in zip(items, values, strict=False):
            item.tripletex_id, item.tripletex_version = value.get("id"), value.get("version")
        for item in items:
            item.state = ITEM_NEEDS_CHECK  # confirmed once the lines are read back
        db.session.commit()
        self._read_back(ids)

    def _read_back(self, ids: list[int]) -> None:
        """Read orders back with their lines (the create answer may omit them): confirm
        those that hold exactly the payload; the rest stay for reconcile."""
        items = [db.session.get(TransferItem, i) for i in ids]
        wanted = {i.id: i.tripletex_id for i in items if i.tripletex_id}
        db.session.commit()
        if not wanted:
            return
        first, stop = self._window()
        found = {
            o["id"]: o for o in self.client.find_orders(first, stop, ids=sorted(wanted.values()))
        }
        items = [db.session.get(TransferItem, i) for i in ids]
        for item in items:
            obj = found.get(item.tripletex_id)
            if obj is not None and _order_matches(item.payload, obj):
                self._confirm(item, obj)
        self._log(items, None, None)
        db.session.commit()

    def _send_order_one(self, item_id: int) -> None:
        item = db.session.get(TransferItem, item_id)
        if item.state != ITEM_PENDING:
            db.session.commit()
            return
        op = OP_UPDATE if item.operation == OP_ADOPT else item.operation
        body = self._body(item, op) if op != OP_DELETE else None
        target = item.tripletex_id
        self._mark_sending([item])
        self.calls = []
        answer = None
        try:
            if op == OP_CREATE:
                answer = (self.client.post("/order", body) or {}).get("value")
            elif op == OP_UPDATE:
                answer = (
                    self.client.put(f"/order/{target}", body, {"updateLinesAndGroups": True}) or {}
                ).get("value")
            else:
                self.client.delete(f"/order/{target}")
        except OutcomeUnknown as exc:
            self._unknown([item_id], [body], exc)
            return
        except (RateLimited, ServerError, NeedsReconnect):
            self._back_to_pending([item_id], [body])
            raise
        except TripletexError as exc:
            item = db.session.get(TransferItem, item_id)
            self._log([item], [body], None)
            if isinstance(exc, Conflict) and exc.is_locked and op != OP_CREATE:
                self._to_correction(item)  # invoiced: a correction order for the difference
            elif isinstance(exc, Conflict) and exc.is_stale and target is not None:
                # Changed since we read it; invoicing changes it too: look before failing.
                db.session.commit()
                first, stop = self._window()
                found = list(self.client.find_orders(first, stop, ids=[target]))
                item = db.session.get(TransferItem, item_id)
                if found and found[0].get("isClosed"):
                    self._to_correction(item)
                else:
                    self._failed_write(item, op, exc)
                self._log([item], None, None)
            else:
                self._failed_write(item, op, exc)
            db.session.commit()
            return
        item = db.session.get(TransferItem, item_id)
        self._log([item], [body], [answer])
        if op == OP_DELETE:
            self._confirm(item, None)
            db.session.commit()
            return
        if answer:
            item.tripletex_id = answer.get("id", item.tripletex_id)
            item.tripletex_version = answer.get("version", item.tripletex_version)
        item.state = ITEM_NEEDS_CHECK
        db.session.commit()
        self._read_back([item_id])

    def _to_correction(self, item: TransferItem) -> None:
        """The order to change is closed (invoiced): record a correction order for the
        difference (a new key «…:kN», committed by the caller before it is sent) and settle
        this item without a change. Never a duplicate: the difference is what the closed
        order lacks."""
        from flask_babel import gettext as _

        prior = db.session.scalar(
            select(TransferItem)
            .where(
                TransferItem.key == item.key,
                TransferItem.state == ITEM_CONFIRMED,
                TransferItem.id != item.id,
            )
            .order_by(TransferItem.id.desc())
            .limit(1)
        )
        held = prior.payload if prior is not None and prior.operation != OP_DELETE else {}
        want = planning.lines_of(item.payload) if item.operation != OP_DELETE else {}
        diff = planning.line_difference(want, planning.lines_of(held))
        item.state = ITEM_UNCHANGED
        item.operation = OP_NONE
        item.change = CHANGE_CORRECTION
        item.error_status = item.error_code = item.error_field = None
        item.error_message = item.error_request_id = None
        item.hint = None
        if not diff:
            return
        base = planning.base_key(item.key)
        keys = db.session.scalars(
            select(TransferItem.key).where(
                TransferItem.item_kind == ITEM_ORDER, TransferItem.key.like(f"{base}%")
            )
        ).all()
        number = 1 + max(
            (planning.correction_number(k) for k in keys if planning.base_key(k) == base),
            default=0,
        )
        key = f"{base}{planning.CORRECTION_MARK}{number}"
        source = item.payload or held
        header = {
            k: source[k]
            for k in (
                "customer",
                "project",
                "department",
                "orderDate",
                "deliveryDate",
                "reference",
                "invoiceComment",
            )
            if k in source
        }
        payload = planning.order_payload(header, key, diff, correction=True)
        item.hint = _(
            "Ordren var fakturert i Tripletex. Differansen sendes som korreksjonsordre %(key)s.",
            key=key,
        )
        db.session.add(
            TransferItem(
                company_id=item.company_id,
                batch_id=item.batch_id,
                item_kind=ITEM_ORDER,
                key=key,
                operation=OP_CREATE,
                change=CHANGE_CORRECTION,
                payload=payload,
                payload_hash=planning.payload_hash(payload),
                user_id=item.user_id,
                tripletex_employee_id=item.tripletex_employee_id,
                date=item.date,
                quantity=sum(
                    (Decimal(str(ln["count"])) for ln in payload["orderLines"]), Decimal("0")
                ),
                amount=planning.order_total(payload),
                state=ITEM_PENDING,
            )
        )

    def _read_orders(self) -> dict[str, dict]:
        """TiPro's orders of the month, by key (deliveryComment) and by id."""
        first, stop = self._window()
        prefix = planning.order_comment(f"{planning.ORDER_PREFIX}:{first.year}-{first.month:02d}")
        out: dict[str, dict] = {}
        for obj in self.client.find_orders(first, stop, delivery_comment=prefix):
            comment = obj.get("deliveryComment") or ""
            if comment.startswith("TiPro "):
                out.setdefault(comment.removeprefix("TiPro "), obj)
            out[f"#{ITEM_ORDER}#{obj['id']}"] = obj
        return out

    def _settle_order(self, item: TransferItem, found: dict[str, dict]) -> None:
        by_id = found.get(f"#{ITEM_ORDER}#{item.tripletex_id}") if item.tripletex_id else None
        obj = by_id or found.get(item.key)
        if item.operation == OP_DELETE:
            if obj is None:
                self._confirm(item, None)
            elif obj.get("isClosed"):
                self._to_correction(item)
            else:
                item.tripletex_id, item.tripletex_version = obj["id"], obj.get("version")
                item.state = ITEM_PENDING
            return
        if obj is None:
            if item.operation in (OP_UPDATE, OP_ADOPT):
                item.operation, item.tripletex_id, item.tripletex_version = OP_CREATE, None, None
            item.state = ITEM_PENDING  # the read says it is not there: safe to send
            return
        if _order_matches(item.payload, obj):
            self._confirm(item, obj)
            return
        if obj.get("isClosed"):
            self._to_correction(item)
            return
        item.tripletex_id, item.tripletex_version = obj["id"], obj.get("version")
        item.operation = OP_UPDATE
        item.state = ITEM_PENDING

    # ----- lønnsbilag ---------------------------------------------------------------------------

    def _send_salary(self, ids: list[int]) -> None:
        """All pending payslips in ONE salary transaction; a rejected one is resent alone."""
        first, last = month_span(self.month)
        items = [db.session.get(TransferItem, i) for i in ids]
        slips = [self._body(i, OP_CREATE) for i in items]
        body = {
            "date": last.isoformat(),
            "year": first.year,
            "month": first.month,
            "isHistorical": False,
            "payslips": slips,
        }
        self._mark_sending(items)
        self.calls = []
        try:
            answer = self.client.post("/salary/transaction", body)
        except OutcomeUnknown as exc:
            self._unknown(ids, slips, exc)
            return
        except (RateLimited, ServerError, NeedsReconnect):
            self._back_to_pending(ids, slips)
            raise
        except TripletexError as exc:
            items = [db.session.get(TransferItem, i) for i in ids]
            self._log(items, slips, None)
            if len(ids) == 1:
                self._failed_write(items[0], OP_CREATE, exc)
                db.session.commit()
                return
            for item in items:
                item.state = ITEM_PENDING
                item.attempts = max(0, item.attempts - 1)
            db.session.commit()
            for item_id in ids:
                self._send_salary([item_id])
            return
        value = (answer or {}).get("value") or {}
        items = [db.session.get(TransferItem, i) for i in ids]
        self._log(items, slips, [value] * len(items))
        for item in items:
            self._confirm(item, {"id": value.get("id"), "version": value.get("version")})
        db.session.commit()

    def _read_payslips(self, employees: list[int]) -> dict[str, dict]:
        """TiPro's payslips of the month, by key (in their specifications' descriptions)."""
        out: dict[str, dict] = {}
        for slip, _spec, key in planning.tipro_payslip_specs(
            self.client, self.month, employees, CHUNK
        ):
            transaction = (slip.get("transaction") or {}).get("id")
            out[key] = {"id": transaction, "payslip": slip.get("id")}
        return out

    def _settle_payslip(self, item: TransferItem, found: dict[str, dict]) -> None:
        obj = found.get(item.key)
        if obj is not None:
            self._confirm(item, {"id": obj["id"]})
        else:
            item.state = ITEM_PENDING  # the read says it is not there: now it may be posted

    # ----- month approval ------------------------------------------------------------------

    def _approve_months(self) -> None:
        """Optional (company setting): approve the Tripletex month for the people sent."""
        batch = self._batch()
        company = db.session.get(Company, batch.company_id)
        if batch.mode != MODE_TIMESHEET or not company.transfer_approves_month:
            db.session.commit()
            return
        rows = db.session.execute(
            select(TransferItem.tripletex_employee_id, TransferItem.state).where(
                TransferItem.batch_id == self.batch_id
            )
        ).all()
        month = batch.month
        db.session.commit()
        done: dict[int, bool] = {}
        for emp, state in rows:
            if emp is not None:
                done[emp] = done.get(emp, True) and state in ITEM_SETTLED
        ready = sorted(e for e, ok in done.items() if ok)
        if ready:
            try:
                self.client.approve_month(ready, month)
            except TripletexError as exc:
                batch = self._batch()
                batch.error_message = exc.user_message
                db.session.commit()


def _span(pairs: list[tuple[int, date]]) -> tuple[date, date, list[int]]:
    """(first day, the day after the last, employees) of (employee, day) pairs: a read's
    window (Tripletex's dateTo is exclusive) and whom it asks about."""
    days = [d for _e, d in pairs]
    return min(days), max(days) + timedelta(days=1), sorted({e for e, _d in pairs})


def _order_lines_seen(lines: list[dict]) -> list[tuple]:
    out = []
    for line in lines:
        out.append(
            (
                (line.get("description") or "").strip(),
                _dec(line.get("count")),
                Decimal(str(line.get("unitPriceExcludingVatCurrency") or 0)).quantize(
                    Decimal("0.0001")
                ),
                (line.get("vatType") or {}).get("id"),
                (line.get("product") or {}).get("id"),
            )
        )
    return sorted(out, key=repr)


def _order_matches(payload: dict, obj: dict) -> bool:
    """Whether Tripletex's order holds exactly the payload's lines."""
    want = _order_lines_seen(payload.get("orderLines") or [])
    have = _order_lines_seen(obj.get("orderLines") or [])
    if not all(w[3] for w in want):
        # No VAT type sent: Tripletex chose one; compare the rest.
        want = [w[:3] + (None,) + w[4:] for w in want]
        have = [h[:3] + (None,) + h[4:] for h in have]
    return want == have


def _giving_up_message() -> str:
    from flask_babel import gettext as _

    return _("TiPro ga opp etter flere forsøk.")


def _foreign_message() -> str:
    from flask_babel import gettext as _

    return _("Det finnes allerede timer i Tripletex på denne nøkkelen som TiPro ikke har ført.")


def _dec(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else 0)).quantize(Decimal("0.01"))


def _same_comment(item: TransferItem, obj: dict) -> bool:
    if item.item_kind != ITEM_TIMESHEET_ENTRY:
        return True
    return (item.payload.get("comment") or "") == (obj.get("comment") or "")


def _unresolved_quantities(keys: list[str], exclude_batch: int | None) -> dict[str, set[Decimal]]:
    """Totals TiPro sent on these keys (any batch) whose outcome was or is unknown, or that
    were confirmed: what Tripletex may hold from us."""
    out: dict[str, set[Decimal]] = defaultdict(set)
    if not keys:
        return out
    rows = db.session.execute(
        select(TransferItem.key, TransferItem.payload, TransferItem.item_kind).where(
            TransferItem.key.in_(keys),
            TransferItem.attempts > 0,
            TransferItem.state.in_((ITEM_NEEDS_CHECK, ITEM_SENDING, ITEM_CONFIRMED, ITEM_PENDING)),
        )
    )
    for key, payload, kind in rows:
        field = "hours" if kind == ITEM_TIMESHEET_ENTRY else "count"
        if payload and field in payload:
            out[key].add(_dec(payload[field]))
    return out


def mark_transferred(batch_id: int) -> None:
    """Entries whose every item in this batch is settled become «transferred» (in the session).

    Only the payroll basis marks entries: the employee's «transferred» means their hours
    reached the payroll; orders do not say so."""
    batch = db.session.get(TransferBatch, batch_id)
    if batch is None or batch.kind != KIND_PAYROLL:
        return
    rows = db.session.execute(
        select(TransferItemEntry.entry_id, TransferItem.state)
        .join(TransferItem, TransferItem.id == TransferItemEntry.item_id)
        .where(TransferItem.batch_id == batch_id, TransferItemEntry.entry_id.is_not(None))
    ).all()
    ok: dict[int, bool] = {}
    for entry_id, state in rows:
        ok[entry_id] = ok.get(entry_id, True) and state in ITEM_SETTLED
    ready = [e for e, good in ok.items() if good]
    for start in range(0, len(ready), 500):
        db.session.execute(
            update(TimeEntry)
            .where(TimeEntry.id.in_(ready[start : start + 500]), TimeEntry.state == ENTRY_APPROVED)
            .values(state=ENTRY_TRANSFERRED)
            .execution_options(synchronize_session=False)
        )

"""Benchmark: one month of approved hours for N employees of the large seed, transferred.

    .venv/bin/python bench/transfer_load.py [--employees 500] [--repeat 3] [--write-readme]

The sandbox (large seed: 1,000 employees with employments, 5,000 projects with project
activities) runs in-process on loopback with spec validation on. TiPro (a fresh PostgreSQL
schema unless --database-url is given) is connected and fully synced; the first N employees
with a division get a TiPro user and one approved entry per working day of November 2026
(7.5 h on a project they manage, «Snekring», Fridays «Prosjektledelse»), written directly as
rows together with an approved month period per person (a bench, not a test: no approval
flow and no approval pre-flight). Each mode is then transferred `--repeat` times with
`transfers.services.start` + `run_inline` (the real ledger, the real runner, its fresh
pre-flight included) at `--latency` injected per request and the sandbox's rate limit on;
between repeats the sandbox forgets what the transfer created and the ledger is emptied.
After the last repeat the same month is transferred again without reset: it must send no
write. A mode the transfer refuses (not built yet) is skipped with a printed note.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shlex
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# Where the tests find it too (tests/tripletex_fixtures.py).
DEFAULT_SPEC = REPO.parent / "shared" / "tripletex" / "openapi.json"
README_HEADING = "## Transfer of a month (`bench/transfer_load.py`)"
MONTH = date(2026, 11, 1)
# Both clocks stand after the month, on a Monday at noon in Oslo.
NOW = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
HOURS = Decimal("7.5")
WRITE_METHODS = ("POST", "PUT", "DELETE")
# Ids filtered per read (tipro.tripletex.api.MAX_IDS_PER_CALL) and rows per list write.
IDS_PER_READ = 100
ROWS_PER_WRITE = 100
ID_SEGMENT = re.compile(r"/\d+(?=/|$)")


def working_days(month: date) -> list[date]:
    """Monday–Friday of the calendar month."""
    day, out = month, []
    while day.month == month.month:
        if day.weekday() < 5:
            out.append(day)
        day += timedelta(days=1)
    return out


def call_key(entry: dict) -> tuple[str, str]:
    """(method, path with ids as {id}) of one logged sandbox request."""
    return entry["method"], ID_SEGMENT.sub("/{id}", entry["path"])


# ----- set-up -------------------------------------------------------------------------------


def make_database(url: str | None):
    """(database URL, cleanup): --database-url, else a fresh PostgreSQL schema."""
    if url:
        return url, lambda: None
    from entries_load import new_schema  # bench/ is on sys.path when run as a script
    from sqlalchemy import text

    admin, schema, database_url = new_schema("bench_transfer")

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return database_url, drop


def seed_tipro(sandbox, employees: int) -> dict:
    """Connect, create the users, sync everything, write the approved month; returns facts."""
    from sqlalchemy import select

    from tipro.extensions import db
    from tipro.models import Activity, Company, Employee, Period, Project, TimeEntry, User
    from tipro.sync.connection import connect
    from tipro.sync.services import run_inline as sync_inline
    from tipro.sync.services import settings
    from tipro.tenancy import company_scope

    state = sandbox.state
    people = [
        e
        for e in sorted(state.all("employee"), key=lambda e: e["id"])
        if not e.get("isContact") and _has_division(state, e)
    ][:employees]
    if len(people) < employees:
        raise SystemExit(f"the large seed has only {len(people)} employees with a division")
    # A project each person manages (else takes part in) that is open and started in time.
    managed: dict[int, int] = {}
    member: dict[int, int] = {}
    for proj in sorted(state.all("project"), key=lambda p: p["id"]):
        if proj.get("isClosed") or (proj.get("startDate") or "") > MONTH.isoformat():
            continue
        manager = (proj.get("projectManager") or {}).get("id")
        managed.setdefault(manager, proj["id"])
        for ref in proj.get("participants") or []:
            part = state.get("participant", ref["id"])
            member.setdefault(part["employee"]["id"], proj["id"])
    managed = {**member, **managed}

    company = Company(name=f"Benk overføring {time.time_ns()}", approval_period="month")
    db.session.add(company)
    db.session.commit()
    company_id = company.id
    connect(db.session, company, state.employee_token, settings())
    with company_scope(company_id):
        for person in people:
            db.session.add(
                User(
                    company_id=company_id,
                    email=person["email"],
                    name=person["displayName"],
                    role="employee",
                )
            )
        db.session.commit()
        t0 = time.perf_counter()
        run = sync_inline(company_id, full=True)
        assert run.status == "done", run.error_message
        sync_seconds = time.perf_counter() - t0
        users = {
            tx: (user_id, emp_id)
            for user_id, emp_id, tx in db.session.execute(
                select(User.id, Employee.id, Employee.tripletex_id).join(
                    Employee, Employee.id == User.employee_id
                )
            )
        }
        projects = dict(db.session.execute(select(Project.tripletex_id, Project.id)).all())
        activities = dict(db.session.execute(select(Activity.name, Activity.id)).all())
        days = working_days(MONTH)
        rows, used_projects = [], set()
        for person in people:
            user_id, employee_id = users[person["id"]]
            project_tx = managed[person["id"]]
            used_projects.add(project_tx)
            for day in days:
                activity = "Prosjektledelse" if day.weekday() == 4 else "Snekring"
                rows.append(
                    TimeEntry(
                        company_id=company_id,
                        uuid=str(uuid.uuid4()),
                        user_id=user_id,
                        employee_id=employee_id,
                        created_by_id=user_id,
                        date=day,
                        hours=HOURS,
                        project_id=projects[project_tx],
                        activity_id=activities[activity],
                        state="approved",
                        source="web",
                        comment=f"Benk {day.isoformat()}",
                    )
                )
            rows.append(
                Period(
                    company_id=company_id,
                    user_id=user_id,
                    kind="month",
                    first_day=days[0].replace(day=1),
                    last_day=(MONTH + timedelta(days=32)).replace(day=1) - timedelta(days=1),
                    state="approved",
                    total_hours=HOURS * len(days),
                )
            )
        db.session.add_all(rows)
        db.session.commit()
    return {
        "company_id": company_id,
        "employees": len(people),
        "employee_ids": [person["id"] for person in people],
        "entries": len(people) * len(days),
        "days": len(days),
        "projects": len(used_projects),
        "sync_seconds": sync_seconds,
    }


def _has_division(state, employee: dict) -> bool:
    for ref in employee.get("employments") or []:
        employment = state.get("employment", ref["id"])
        if employment and employment.get("division") and not employment.get("endDate"):
            return True
    return False


def snapshot(state) -> dict[str, set[int]]:
    """The ids of every stored object, per kind."""
    with state.lock:
        return {kind: set(objs) for kind, objs in state.store.data.items()}


def forget_created(state, before: dict[str, set[int]]) -> int:
    """Remove what was created since `before` (newest first, detached from parents)."""
    with state.lock:
        created = [
            (obj_id, kind)
            for kind, objs in state.store.data.items()
            for obj_id in objs
            if obj_id not in before.get(kind, ())
        ]
    for obj_id, kind in sorted(created, reverse=True):
        state.delete(kind, obj_id)
    return len(created)


def reset_ledger(company_id: int) -> None:
    """Empty the transfer ledger and set the entries back to approved (rows, directly)."""
    from sqlalchemy import delete, update

    from tipro.extensions import db
    from tipro.models import TimeEntry
    from tipro.models.transfer import TransferBatch, TransferItem, TransferItemEntry, TransferLog

    for model in (TransferLog, TransferItemEntry, TransferItem, TransferBatch):
        db.session.execute(
            delete(model)
            .where(model.company_id == company_id)
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        update(TimeEntry)
        .where(TimeEntry.company_id == company_id, TimeEntry.state == "transferred")
        .values(state="approved")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


# ----- one transfer ------------------------------------------------------------------------


MODES = {
    # name: (kind, company.payroll_mode)
    "timeliste": ("payroll", "timesheet"),
    "lønnsbilag": ("payroll", "salary"),
    "ordre": ("orders", None),
}


def transfer(sandbox, company_id: int, mode: str, args) -> dict:
    """One transfer of the month in `mode`, timed; figures from the sandbox's request log."""
    from tipro.extensions import db
    from tipro.models import Company
    from tipro.transfers import services
    from tipro.transfers.services import TransferRefused

    state = sandbox.state
    kind, payroll_mode = MODES[mode]
    company = db.session.get(Company, company_id)
    if payroll_mode is not None:
        company.payroll_mode = payroll_mode
    db.session.commit()
    with state._log_lock:
        state.request_log.clear()
    state.clear_violations()
    state.faults.inject_latency(args.latency)
    state.set_rate_limit(args.rate_limit, args.rate_window)
    started = time.perf_counter()
    try:
        batch = services.start(None, kind, MONTH, enqueue_job=False)
    except TransferRefused as exc:
        db.session.rollback()
        return {"refused": exc.message if hasattr(exc, "message") else str(exc)}
    planned = time.perf_counter()
    batch = services.run_inline(batch.id)
    wall = time.perf_counter() - started
    state.faults.inject_latency(0)
    state.set_rate_limit(None)
    log = state.requests_snapshot()
    calls = Counter(call_key(e) for e in log)
    sessions = calls.pop(("PUT", "/token/session/:create"), 0)
    return {
        "wall": wall,
        "plan": planned - started,
        "state": batch.state,
        "items": batch.total_items,
        "confirmed": batch.confirmed_count,
        "failed": batch.failed_count,
        "needs_check": batch.needs_check_count,
        "unchanged": batch.unchanged_count,
        "client_calls": batch.api_calls,
        "calls": calls,
        "sessions": sessions,
        "throttled": sum(1 for e in log if e.get("status") == 429),
        "writes": sum(n for (method, _p), n in calls.items() if method in WRITE_METHODS),
        "violations": len(state.violations),
        "item_kinds": _item_kinds(batch.id),
    }


def _item_kinds(batch_id: int) -> Counter:
    from sqlalchemy import func, select

    from tipro.extensions import db
    from tipro.models.transfer import TransferItem

    return Counter(
        dict(
            db.session.execute(
                select(TransferItem.item_kind, func.count())
                .where(TransferItem.batch_id == batch_id)
                .group_by(TransferItem.item_kind)
            ).all()
        )
    )


def check_timesheet(sandbox, facts: dict) -> str:
    """TiPro's approved hours against the sandbox's entries of the month (totals, duplicates)."""
    prefix = MONTH.isoformat()[:7]
    entries = [e for e in sandbox.state.all("timesheetEntry") if e["date"].startswith(prefix)]
    keys = Counter(
        (e["employee"]["id"], e["date"], (e.get("project") or {}).get("id"), e["activity"]["id"])
        for e in entries
    )
    hours = sum((Decimal(str(e["hours"])) for e in entries), Decimal("0"))
    want = HOURS * facts["entries"]
    duplicates = sum(n - 1 for n in keys.values())
    ok = hours == want and duplicates == 0 and len(entries) == facts["entries"]
    return (
        f"{'OK' if ok else 'MISMATCH'}: {len(entries)} entries, {hours} h in Tripletex "
        f"(TiPro approved {want} h), {duplicates} duplicates"
    )


def minimum(mode: str, facts: dict, result: dict) -> dict[tuple[str, str], int]:
    """The fewest calls this transfer could make with Tripletex's batch limits.

    timeliste: one `POST /timesheet/entry/list` per 100 entries (one POST per salary-type
    specification: no list endpoint), the access check once (4 reads) and the pre-flight's
    fresh reads for everybody at once (employees, projects and month status by id lists
    of <=100). lønnsbilag: the same access check and pre-flight reads, the employees'
    wages read once more by id lists when the month is planned (before the ledger rows are
    written; the pre-flight reads fresh again when the batch runs), and ONE
    `POST /salary/transaction` holding every payslip. ordre: one `POST /order/list` per 100
    orders and one read-back per chunk (`GET /order` with lines: the create answer may omit
    them); it runs no pre-flight. Other modes: not derived (None).
    """
    kinds = result["item_kinds"]
    if mode == "ordre":
        chunks = math.ceil(kinds.get("order", 0) / ROWS_PER_WRITE)
        return {("POST", "/order/list"): chunks, ("GET", "/order"): chunks}
    if mode not in ("timeliste", "lønnsbilag"):
        return {}
    people = math.ceil(facts["employees"] / IDS_PER_READ)
    out = {
        ("GET", "/employee"): 1 + people,  # access check + employees with employments
        ("GET", "/project"): 1 + math.ceil(facts["projects"] / IDS_PER_READ),
        ("GET", "/salary/type"): 1,
        ("GET", "/order"): 1,
        ("GET", "/timesheet/month/byMonthNumber"): people,
    }
    if mode == "lønnsbilag":
        # The wages of everyone with hours are read when the month is planned; the pre-flight
        # then reads only the people who get a payslip (those paid by the hour, here) and
        # their projects (one each in the large seed).
        slips = kinds.get("salary_transaction", 0)
        checked = math.ceil(slips / IDS_PER_READ)
        out[("GET", "/employee")] = 1 + people + checked
        out[("GET", "/project")] = 1 + math.ceil(min(slips, facts["projects"]) / IDS_PER_READ)
        out[("GET", "/timesheet/month/byMonthNumber")] = checked
        out[("POST", "/salary/transaction")] = 1 if slips else 0
        return out
    out[("POST", "/timesheet/entry/list")] = math.ceil(
        kinds.get("timesheet_entry", 0) / ROWS_PER_WRITE
    )
    if kinds.get("salary_type_spec"):
        out[("POST", "/timesheet/salaryTypeSpecification")] = kinds["salary_type_spec"]
    return out


def check_salary(sandbox, facts: dict) -> str:
    """TiPro's approved hours against the hours on the sandbox's payslips of the month (on
    the default «Lønnsart for timer», 2001 Timelønn), and each TiPro key in one payslip."""
    state = sandbox.state
    timelonn = {t["id"] for t in state.all("salaryType") if t.get("number") == "2001"}
    hours, amount, keys = Decimal("0"), Decimal("0"), Counter()
    slips = [s for s in state.all("payslip") if (s["year"], s["month"]) == (2026, 11)]
    for slip in slips:
        for ref in slip["specifications"]:
            spec = state.get("salarySpecification", ref["id"])
            if spec is None or spec["salaryType"]["id"] not in timelonn:
                continue
            hours += Decimal(str(spec["count"]))
            amount += Decimal(str(spec["amount"]))
            keys[(spec.get("description") or "").split(" · ")[0]] += 1
    # Ordinary hours are paid to people paid by the hour only (a monthly wage does not depend
    # on them); the large seed pays every third employee by the hour.
    in_run = set(facts["employee_ids"])
    hourly = 0
    for employment in state.all("employment"):
        if employment["employee"]["id"] not in in_run:
            continue
        details = [state.get("employmentDetails", r["id"]) for r in employment["employmentDetails"]]
        hourly += any(d and d.get("remunerationType") == "HOURLY_WAGE" for d in details)
    want = HOURS * facts["days"] * hourly
    duplicates = sum(n - 1 for n in keys.values())
    ok = hours == want and duplicates == 0 and len(slips) == hourly
    return (
        f"{'OK' if ok else 'MISMATCH'}: {len(slips)} payslips (the {hourly} paid by the hour) "
        f"in one transaction, {hours} h on Timelønn (TiPro approved {want} h of theirs), "
        f"{amount:.2f} kr, {duplicates} duplicates"
    )


# ----- report ------------------------------------------------------------------------------


def spread(values: list[float], unit: str = "s") -> str:
    """median (min–max) of the repeats."""
    if len(values) == 1:
        return f"{values[0]:.1f} {unit}"
    return (
        f"{statistics.median(values):.1f} {unit} ({min(values):.1f}–{max(values):.1f}, "
        f"n={len(values)})"
    )


def report_mode(mode: str, facts: dict, runs: list[dict], again: dict, sandbox_check: str):
    """Markdown lines for one mode."""
    first = runs[0]
    floor = minimum(mode, facts, first)
    paths = sorted(set(first["calls"]) | set(floor), key=lambda k: (k[0] != "GET", k[1], k[0]))
    lines = [
        f"**{mode}** — {first['items']} items "
        f"({', '.join(f'{n} {k}' for k, n in sorted(first['item_kinds'].items()))}); "
        f"every repeat: {', '.join(r['state'] for r in runs)}, confirmed "
        f"{', '.join(str(r['confirmed']) for r in runs)}, failed "
        f"{sum(r['failed'] for r in runs)}, needs check {sum(r['needs_check'] for r in runs)}; "
        f"spec violations {sum(r['violations'] for r in runs)}"
        + (f"; {sandbox_check}." if sandbox_check else "."),
        "",
        "| API call (sandbox's request log) | calls per run | minimum | ",
        "|---|---:|---:|",
    ]
    lines[-2] = lines[-2].rstrip(" ")
    for key in paths:
        counts = sorted({r["calls"].get(key, 0) for r in runs})
        shown = "–".join(str(c) for c in (counts[0], counts[-1])) if len(counts) > 1 else counts[0]
        lines.append(f"| `{key[0]} {key[1]}` | {shown} | {floor.get(key, 0) if floor else '?'} |")
    total = [sum(r["calls"].values()) for r in runs]
    total_text = f"{min(total)}–{max(total)}" if min(total) != max(total) else str(total[0])
    writes = [r["writes"] for r in runs]
    made = f"{_rate_floor(total[0], first['rate']):.1f} s"
    if floor:
        total_floor = sum(floor.values())
        write_floor = sum(n for (m, _p), n in floor.items() if m in WRITE_METHODS)
        lines.append(f"| **total** | **{total_text}** | **{total_floor}** |")
        against = (
            f"Calls: **{total[0]} against a minimum of {total_floor}** "
            f"(×{total[0] / total_floor:.1f}); writes {writes[0]} against {write_floor}"
        )
        floors = f"{total_floor} calls ≥ {_rate_floor(total_floor, first['rate']):.1f} s; "
    else:
        lines.append(f"| **total** | **{total_text}** | ? |")
        against = f"Calls: **{total[0]}** (minimum not derived for {mode}); writes {writes[0]}"
        floors = ""
    lines += [
        "",
        f"{against}; session creations {first['sessions']} (not counted above); answered 429: "
        f"{', '.join(str(r['throttled']) for r in runs)}.",
        f"Wall time (start: plan + ledger rows; run: pre-flight, sends, reads): "
        f"**{spread([r['wall'] for r in runs])}**, of which planning "
        f"{spread([r['plan'] for r in runs])}. "
        f"Floor at this rate limit and latency: {floors}the calls made ≥ {made}.",
        f"Second run without changes: {again['items']} items "
        f"({again['unchanged']} unchanged), **{again['writes']} writes**, "
        f"{sum(again['calls'].values())} calls, {again['wall']:.1f} s, state {again['state']}.",
    ]
    return lines


def _rate_floor(calls: int, rate: tuple[int, float, float]) -> float:
    """Seconds `calls` need at most `limit` per `window` (and one latency each, in sequence)."""
    limit, window, latency = rate
    by_rate = (math.ceil(calls / limit) - 1) * window if limit else 0.0
    return max(by_rate, calls * latency)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3, help="measured runs per mode (≥1)")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per request")
    parser.add_argument("--rate-limit", type=int, default=100, help="requests per window")
    parser.add_argument("--rate-window", type=float, default=10.0, help="seconds")
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    parser.add_argument("--database-url", default=None, help="default: a new PostgreSQL schema")
    parser.add_argument("--spec", default=None, help="Tripletex OpenAPI spec (validation)")
    parser.add_argument("--write-readme", action="store_true", help="update bench/README.md")
    args = parser.parse_args()

    from tipro import clock, create_app
    from tipro.sandbox import SandboxServer

    t0 = time.perf_counter()
    spec = args.spec or os.environ.get("TIPRO_TRIPLETEX_SPEC") or str(DEFAULT_SPEC)
    if not Path(spec).exists():
        raise SystemExit(f"Tripletex OpenAPI spec not found at {spec}: pass --spec PATH")
    sandbox = SandboxServer(seed="large", spec_path=spec)
    print(f"sandbox with the large seed ready in {time.perf_counter() - t0:.1f} s", flush=True)
    database_url, cleanup = make_database(args.database_url)
    instance = tempfile.mkdtemp(prefix="tipro-bench-")
    app = create_app(
        {
            "INSTANCE_PATH": instance,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True}
            if database_url.startswith("postgresql")
            else {},
            "REDIS_URL": None,
            "TRIPLETEX_API_URL": sandbox.base_url,
            "TRIPLETEX_CONSUMER_TOKEN": sandbox.state.consumer_token,
            "PUBLIC_URL": "http://tipro.invalid",
        }
    )
    sandbox.state.set_now(NOW)
    clock.set_now(NOW)
    results: dict[str, tuple] = {}
    notes: list[str] = []
    try:
        with app.app_context():
            from flask_migrate import upgrade

            from tipro.extensions import db
            from tipro.tenancy import company_scope

            upgrade()
            t0 = time.perf_counter()
            facts = seed_tipro(sandbox, args.employees)
            print(
                f"TiPro seeded in {time.perf_counter() - t0:.1f} s (full sync "
                f"{facts['sync_seconds']:.1f} s): {facts['employees']} employees, "
                f"{facts['entries']} approved entries on {facts['days']} working days, "
                f"{facts['projects']} projects",
                flush=True,
            )
            rate = (args.rate_limit, args.rate_window, args.latency)
            with company_scope(facts["company_id"]):
                for mode in args.modes:
                    before = snapshot(sandbox.state)
                    runs = []
                    for n in range(max(1, args.repeat)):
                        if n:
                            forget_created(sandbox.state, before)
                            reset_ledger(facts["company_id"])
                        result = transfer(sandbox, facts["company_id"], mode, args)
                        if "refused" in result:
                            break
                        result["rate"] = rate
                        runs.append(result)
                        print(
                            f"{mode} run {n + 1}: {result['state']}, {result['wall']:.1f} s, "
                            f"{sum(result['calls'].values())} calls, "
                            f"{result['writes']} writes",
                            flush=True,
                        )
                    if runs and runs[0]["items"] == 0:
                        note = (
                            f"{mode}: the transfer planned 0 items for these hours (ordinary "
                            f"hours only; {sum(runs[0]['calls'].values())} calls made) — "
                            "not measured"
                        )
                        print(note, flush=True)
                        notes.append(note)
                        forget_created(sandbox.state, before)
                        reset_ledger(facts["company_id"])
                        continue
                    if not runs:
                        note = (
                            f"{mode}: refused by the transfer ({result['refused']}) — not measured"
                        )
                        print(note, flush=True)
                        notes.append(note)
                        continue
                    check = {"timeliste": check_timesheet, "lønnsbilag": check_salary}.get(
                        mode, lambda _s, _f: ""
                    )(sandbox, facts)
                    again = transfer(sandbox, facts["company_id"], mode, args)
                    print(
                        f"{mode} again: {again['writes']} writes, "
                        f"{sum(again['calls'].values())} calls",
                        flush=True,
                    )
                    results[mode] = (runs, again, check)
                    forget_created(sandbox.state, before)
                    reset_ledger(facts["company_id"])
                    db.session.commit()
    finally:
        clock.set_now(None)
        sandbox.stop()
        cleanup()

    command = " ".join([".venv/bin/python bench/transfer_load.py", *map(shlex.quote, sys.argv[1:])])
    setup = (
        f"{facts['employees']} employees, {facts['entries']} approved entries "
        f"({facts['days']} working days of {MONTH:%Y-%m}, 7.5 h each, on {facts['projects']} "
        f"projects); {args.latency * 1000:.0f} ms latency per request, the sandbox's rate limit "
        f"{args.rate_limit} requests per {args.rate_window:g} s per session; "
        f"{args.repeat} repeats per mode"
    )
    body: list[str] = []
    for mode, (runs, again, check) in results.items():
        body += report_mode(mode, facts, runs, again, check) + [""]
    body += [f"- {note}" for note in notes]
    table = "\n".join(body).rstrip("\n")
    print(f"\n{command}\n\n{setup}.\n\n{table}")
    if args.write_readme:
        write_readme(command, setup, table)
    bad = any(
        r["failed"] or r["needs_check"] or r["violations"]
        for runs, _again, _check in results.values()
        for r in runs
    ) or any(again["writes"] for _runs, again, _check in results.values())
    return 1 if bad else 0


def write_readme(command: str, setup: str, table: str) -> None:
    """Replace (or add) this benchmark's section in bench/README.md."""
    readme = REPO / "bench" / "README.md"
    existing = readme.read_text() if readme.exists() else "# Benchmarks\n"
    intro = (
        "One month of approved hours for the first `--employees` people of the sandbox's\n"
        "large seed (with a division), transferred by the real ledger and runner\n"
        "(`transfers.services.start` + `run_inline`, the runner's fresh pre-flight included) at\n"
        "20 ms injected latency with the sandbox's rate limit on. The hours are approved by\n"
        "writing rows directly (entries in state «approved» and an approved month period per\n"
        "person; no approval flow, no approval pre-flight). **Calls** are counted from the\n"
        "sandbox's request log by method and path; **minimum** is what the same transfer needs\n"
        "with Tripletex's batch limits: one `POST /timesheet/entry/list` per 100 entries, the\n"
        "access check once, and the pre-flight's fresh reads for everybody at once (ids in\n"
        "lists of ≤100); for lønnsbilag the same reads, the wages read by id lists when the\n"
        "month is planned and ONE `POST /salary/transaction` with every payslip (ordinary hours\n"
        "on «Lønnsart for timer», here the default 2001 Timelønn, hours × the hourly wage); for\n"
        "orders one `POST /order/list` and one read-back `GET /order` per 100\n"
        "orders. Between repeats the sandbox forgets what the transfer made and the\n"
        "ledger is emptied; after the repeats the month is transferred again unchanged.\n"
    )
    section = (
        f"{README_HEADING}\n\n{intro}\nMeasured on this machine:\n\n"
        f"```\n{command}\n```\n\n{setup}.\n\n{table}\n"
    )
    if README_HEADING in existing:
        start = existing.index(README_HEADING)
        rest = existing[start + len(README_HEADING) :]
        following = rest.find("\n## ")
        end = start + len(README_HEADING) + following + 1 if following >= 0 else len(existing)
        existing = existing[:start] + section + ("\n" + existing[end:] if following >= 0 else "")
    else:
        existing = existing.rstrip("\n") + "\n\n" + section
    readme.write_text(existing)


if __name__ == "__main__":
    raise SystemExit(main())

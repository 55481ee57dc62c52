"""Bench: the month close (/rapporter/manedsavslutning) and «Min oversikt» over 10,000 entries
of 500 people — wall time and SQL statements, against a small company of 10 people.

In process, through the app's test client (log-in, CSRF, tenancy, templates: the whole
request), on a PostgreSQL schema of its own (or SQLite with --sqlite), built by the
migrations. The statement count must be the same for both sizes: the page aggregates in the
database (GROUP BY) whatever the number of people, days or entries.

    .venv/bin/python bench/close_load.py                  # 500 people, 10,000 entries, 5 rounds
    .venv/bin/python bench/close_load.py --sqlite --rounds 3
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import Engine

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PG_URL = os.environ.get(
    "TIPRO_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PASSWORD = "bench-passord-123"
MONTH = "2026-11"
TODAY = datetime(2026, 12, 2, 10, 0)  # the close of a finished month
WORKDAYS = [
    date(2026, 11, 2) + timedelta(days=i)
    for i in range(29)
    if (date(2026, 11, 2) + timedelta(days=i)).weekday() < 5
]  # 20 of November's 21 working days (30 November left missing for everyone)


def seed(app, people: int, entries_per_person: int) -> dict:
    """A company with `people` employees in 10 departments, their entries, some periods."""
    from tipro import clock
    from tipro.auth.services import hash_password
    from tipro.extensions import db
    from tipro.models import Activity, Company, Department, Employee, Period, TimeEntry, User

    with app.app_context(), clock.pinned(datetime(2026, 10, 1, 9, 0)):
        company = Company(name=f"Bench {secrets.token_hex(3)} AS", approval_period="month")
        db.session.add(company)
        db.session.flush()
        cid = company.id
        work = Activity(company_id=cid, tripletex_id=1, name="Arbeid", is_general=True)
        departments = [
            Department(company_id=cid, tripletex_id=100 + n, name=f"Avd {n}") for n in range(10)
        ]
        db.session.add_all([work, *departments])
        db.session.flush()
        password = hash_password(PASSWORD)
        admin = User(company_id=cid, email=f"admin-{cid}@bench.no", role="admin", name="Admin")
        admin.password_hash = password
        db.session.add(admin)
        employees = [
            Employee(
                company_id=cid,
                tripletex_id=1000 + n,
                first_name=f"Person{n:03d}",
                last_name="Bench",
                department_id=departments[n % 10].id,
                employment_start=date(2020, 1, 1),
                employment_percentage=Decimal(("100", "80", "60")[n % 3]),
                employment_details=[["2020-01-01", ("100.00", "80.00", "60.00")[n % 3]]],
            )
            for n in range(people)
        ]
        db.session.add_all(employees)
        db.session.flush()
        users = [
            User(
                company_id=cid,
                email=f"p{n}-{cid}@bench.no",
                role="employee",
                name=e.first_name,
                employee_id=e.id,
                password_hash=password,
            )
            for n, e in enumerate(employees)
        ]
        db.session.add_all(users)
        db.session.flush()
        rows = []
        for n, user in enumerate(users):
            for day in WORKDAYS[:entries_per_person]:
                rows.append(
                    {
                        "company_id": cid,
                        "uuid": str(uuid.uuid4()),
                        "user_id": user.id,
                        "employee_id": user.employee_id,
                        "date": day,
                        "activity_id": work.id,
                        "hours": Decimal("7.5") if n % 3 == 0 else Decimal("6"),
                        "comment": "",
                        "state": "open",
                        "kind": "work",
                        "break_minutes": 0,
                        "source": "web",
                    }
                )
        for start in range(0, len(rows), 2000):
            db.session.execute(insert(TimeEntry), rows[start : start + 2000])
        db.session.add_all(
            Period(
                company_id=cid,
                user_id=user.id,
                kind="month",
                first_day=date(2026, 11, 1),
                last_day=date(2026, 11, 30),
                state=("approved", "submitted")[n % 2],
            )
            for n, user in enumerate(users)
            if n % 4
        )
        db.session.commit()
        return {"admin": admin.email, "person": users[0].email, "entries": len(rows)}


def measure(app, email: str, url: str, rounds: int) -> tuple[list[float], int, int]:
    """(wall seconds per round, statements per request, status) of GET `url` as `email`."""
    from tipro import clock

    client = app.test_client()
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with clock.pinned(TODAY):
        response = client.post("/logg-inn", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.status_code
        client.get(url)  # warm: templates compiled, translations loaded
        times, counts = [], set()
        for _ in range(rounds):
            statements.clear()
            event.listen(Engine, "before_cursor_execute", record)
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            event.remove(Engine, "before_cursor_execute", record)
            counts.add(len(statements))
    assert len(counts) == 1, counts
    return times, counts.pop(), response.status_code


def run(database_url: str, instance: str, rounds: int) -> list[tuple]:
    from flask_migrate import upgrade

    from tipro import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True}
            if database_url.startswith("postgresql")
            else {"connect_args": {"check_same_thread": False}},
            "REDIS_URL": os.environ.get("TIPRO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
            "INSTANCE_PATH": instance,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        upgrade()
    results = []
    try:
        _measure_sizes(app, rounds, results)
    finally:
        with app.app_context():
            from tipro.extensions import db

            db.engine.dispose()  # let the schema be dropped
    return results


def _measure_sizes(app, rounds: int, results: list) -> None:
    for people, per_person in ((10, 20), (500, 20)):
        ids = seed(app, people, per_person)
        for label, email, url in (
            ("month close (admin)", ids["admin"], f"/rapporter/manedsavslutning?maned={MONTH}"),
            ("Min oversikt", ids["person"], "/min-oversikt"),
        ):
            times, count, status = measure(app, email, url, rounds)
            results.append((label, people, ids["entries"], times, count, status))


def report(results: list[tuple], backend: str, rounds: int) -> None:
    print(f"\nMonth close bench ({backend}, {rounds} rounds, median (min–max)):\n")
    print("| page | people | entries | time per request | SQL statements | status |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, people, entries, times, count, status in results:
        median = statistics.median(times) * 1000
        print(
            f"| {label} | {people} | {entries:,} | {median:.0f} ms "
            f"({min(times) * 1000:.0f}–{max(times) * 1000:.0f}) | {count} | {status} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sqlite", action="store_true", help="an SQLite file instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tipro-close-bench-") as instance:
        if args.sqlite:
            results = run(f"sqlite:///{instance}/bench.sqlite", instance, args.rounds)
            backend = "SQLite"
        else:
            schema = f"close_bench_{secrets.token_hex(3)}"
            admin = create_engine(PG_URL)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            try:
                url = f"{PG_URL}?options=-csearch_path%3D{schema}"
                results = run(url, instance, args.rounds)
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
            backend = "PostgreSQL"
    report(results, backend, args.rounds)


if __name__ == "__main__":
    main()

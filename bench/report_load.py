"""Reports under load: the month report over 10,000 entries / 500 people on PostgreSQL.

Seeds one company in a PostgreSQL schema of its own (500 people, 50 projects over 5
customers, 4 activities, every tenth entry with a supplement), first with 1,000 entries
(50 people), then with 10,000 (500 people), and asks the report routes in-process (Flask's
test client, logged in as the admin): the month report grouped by project and by person (table
and both charts), the first drill-down page, the report as XLSX, and every entry as CSV
(streamed) and XLSX (write-only). Each request is timed over several rounds (median and
min–max) and its SQL statements are counted; the counts must be equal at both sizes.

    .venv/bin/python bench/report_load.py             # 5 rounds, prints a Markdown block
    .venv/bin/python bench/report_load.py --rounds 3 --append-readme
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
MONTH = {"periode": "egen", "fra": "2026-11-01", "til": "2026-11-30"}
REQUESTS = [
    ("report by project", "/rapporter", {"gruppe": "prosjekt"}),
    ("report by person", "/rapporter", {"gruppe": "ansatt"}),
    ("drill-down page 1", "/rapporter/timer", {"gruppe": "ansatt"}),
    ("report XLSX", "/rapporter/eksport.xlsx", {"gruppe": "prosjekt"}),
    ("all entries CSV (streamed)", "/rapporter/timer.csv", {}),
    ("all entries XLSX", "/rapporter/timer.xlsx", {}),
]


def workdays(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def seed_company(app) -> dict:
    from tipro.auth.services import hash_password
    from tipro.extensions import db
    from tipro.models import (
        Activity,
        Company,
        Customer,
        Project,
        SalaryType,
        SupplementType,
        User,
    )

    company = Company(name=f"Benk Rapport {secrets.token_hex(3)} AS")
    db.session.add(company)
    db.session.flush()
    cid = company.id
    activities = [
        Activity(company_id=cid, tripletex_id=n, name=name, is_chargeable=charge)
        for n, (name, charge) in enumerate(
            [("Montering", True), ("Prosjektering", True), ("Reise", False), ("Intern", False)],
            start=1,
        )
    ]
    customers = [
        Customer(company_id=cid, tripletex_id=100 + n, name=f"Kunde {n}") for n in range(5)
    ]
    db.session.add_all(activities + customers)
    db.session.flush()
    projects = [
        Project(
            company_id=cid,
            tripletex_id=200 + n,
            number=str(1000 + n),
            name=f"Prosjekt {n}",
            customer_id=customers[n % 5].id,
            is_internal=n % 10 == 9,
        )
        for n in range(50)
    ]
    salary = SalaryType(company_id=cid, tripletex_id=300, number="2005", name="Overtid 50 %")
    db.session.add_all([*projects, salary])
    db.session.flush()
    overtime = SupplementType(company_id=cid, name="Overtid 50 %", salary_type_id=salary.id)
    password = hash_password(PASSWORD)
    admin = User(
        company_id=cid,
        email=f"admin-{secrets.token_hex(3)}@benk.no",
        name="Admin",
        role="admin",
        password_hash=password,
    )
    db.session.add_all([overtime, admin])
    db.session.commit()
    return {
        "company": cid,
        "admin": admin.email,
        "password": password,
        "activities": [a.id for a in activities],
        "projects": [p.id for p in projects],
        "overtime": overtime.id,
        "people": [],
    }


def add_people(app, ids: dict, count: int) -> None:
    """`count` more people, each with one entry per workday of November (20 entries)."""
    from tipro.extensions import db
    from tipro.models import EntrySupplement, TimeEntry, User

    cid, start = ids["company"], len(ids["people"])
    users = [
        {
            "company_id": cid,
            "email": f"p{start + n}-{secrets.token_hex(3)}@benk.no",
            "name": f"Ansatt {start + n:03d}",
            "role": "employee",
            "password_hash": ids["password"],
            "language": "nb",
            "is_enabled": True,
            "session_version": 1,
        }
        for n in range(count)
    ]
    new_ids = list(db.session.scalars(insert(User).returning(User.id), users))
    ids["people"].extend(new_ids)
    days = workdays(date(2026, 11, 2), date(2026, 11, 30))[:20]
    states = ["open", "submitted", "approved", "transferred"]
    rows = []
    for i, user_id in enumerate(new_ids):
        for d, day in enumerate(days):
            rows.append(
                {
                    "company_id": cid,
                    "uuid": str(uuid.uuid4()),
                    "user_id": user_id,
                    "date": day,
                    "project_id": ids["projects"][(i + d) % 50],
                    "activity_id": ids["activities"][(i + d) % 4],
                    "hours": Decimal("7.5") if d % 3 else Decimal("6.25"),
                    "comment": f"Arbeid dag {d}",
                    "state": states[(i // 10) % 4],
                    "kind": "work",
                    "break_minutes": 0,
                    "source": "web",
                }
            )
    entry_ids = list(db.session.scalars(insert(TimeEntry).returning(TimeEntry.id), rows))
    db.session.execute(
        insert(EntrySupplement),
        [
            {
                "company_id": cid,
                "entry_id": entry_id,
                "supplement_type_id": ids["overtime"],
                "quantity": Decimal("1.5"),
            }
            for entry_id in entry_ids[::10]
        ],
    )
    db.session.commit()


def measure(client, rounds: int) -> dict[str, tuple[list[float], int, int]]:
    """{request: (seconds per round, statements, bytes)}."""
    out = {}
    for name, url, args in REQUESTS:
        seconds, statements = [], []
        size = 0
        for _ in range(rounds):
            sent: list[str] = []

            def record(_c, _cur, statement, _p, _ctx, _m, sent=sent):
                sent.append(statement)

            event.listen(Engine, "before_cursor_execute", record)
            began = time.perf_counter()
            response = client.get(url, query_string={**MONTH, **args}, buffered=True)
            size = len(response.data)
            seconds.append(time.perf_counter() - began)
            event.remove(Engine, "before_cursor_execute", record)
            assert response.status_code == 200, (url, response.status_code)
            statements.append(len(sent))
        assert len(set(statements)) == 1, (name, statements)
        out[name] = (seconds, statements[0], size)
    return out


def spread(values: list[float]) -> str:
    return (
        f"{statistics.median(values) * 1000:.0f} ms "
        f"({min(values) * 1000:.0f}–{max(values) * 1000:.0f}, n={len(values)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--append-readme", action="store_true")
    args = parser.parse_args()

    from tipro import clock, create_app
    from tipro.extensions import db

    schema = f"bench_reports_{secrets.token_hex(3)}"
    admin_engine = create_engine(PG_URL)
    with admin_engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    instance = tempfile.mkdtemp(prefix="tipro-bench-")
    try:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"{PG_URL}?options=-csearch_path%3D{schema}",
                "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
                "INSTANCE_PATH": instance,
                "REDIS_URL": os.environ.get("TIPRO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
                "SECRET_KEY": "bench",
                "WTF_CSRF_ENABLED": False,
            }
        )
        clock.set_now(datetime(2026, 12, 2, 12, 0))
        results = {}
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            ids = seed_company(app)
        # Requests outside any app context: each gets its own, and its own session, as served.
        client = app.test_client()
        response = client.post("/logg-inn", data={"email": ids["admin"], "password": PASSWORD})
        assert response.status_code == 302, response.status_code
        for people in (50, 500):
            with app.app_context():
                add_people(app, ids, people - len(ids["people"]))
                with db.engine.begin() as conn:
                    conn.execute(text("ANALYZE"))
                db.session.remove()
            entries = len(ids["people"]) * 20
            results[entries] = measure(client, args.rounds)
        small, large = results[1000], results[10000]
        lines = [
            "| request | statements at 1,000 / 10,000 entries | time at 1,000 | time at 10,000 "
            "| size at 10,000 |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, _url, _args in REQUESTS:
            lines.append(
                f"| {name} | {small[name][1]} / {large[name][1]} | {spread(small[name][0])} "
                f"| {spread(large[name][0])} | {large[name][2] / 1024:.0f} KiB |"
            )
        same = all(small[n][1] == large[n][1] for n, _u, _a in REQUESTS)
        block = "\n".join(lines) + (
            f"\n\nStatements equal at both sizes: **{'yes' if same else 'NO'}**."
        )
        print(block)
        if args.append_readme:
            append_readme(block, args.rounds)
        return 0 if same else 1
    finally:
        clock.set_now(None)
        with admin_engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin_engine.dispose()


def append_readme(block: str, rounds: int) -> None:
    readme = REPO / "bench" / "README.md"
    text_ = readme.read_text()
    section = (
        "\n\n## Reports (`bench/report_load.py`)\n\n"
        f"Command: `.venv/bin/python bench/report_load.py --rounds {rounds} --append-readme` "
        "(in-process test client, PostgreSQL, logged in as admin; the month report of November "
        "2026 over 1,000 entries / 50 people, then 10,000 entries / 500 people; median and "
        "min–max of the rounds).\n\n" + block + "\n"
    )
    readme.write_text(text_.rstrip("\n") + section)


if __name__ == "__main__":
    raise SystemExit(main())

"""Load test: "save entry" and "week view" against gunicorn + PostgreSQL, vs a trivial route.

Starts gunicorn on loopback on a PostgreSQL schema of its own, seeds one company with users,
projects and activities, logs each load thread in as its own user, then runs a bounded
number of requests per scenario from a thread pool (requests.Session per thread). Throughput
is reported as a ratio to the baseline route served the same way in the same run, which
cancels out most of the machine's speed. Cleans up the schema and the server afterwards.

    .venv/bin/python bench/entries_load.py --requests 2000 --threads 8 --write-readme
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PG_URL = os.environ.get(
    "TIPRO_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TIPRO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "bench-passord-123"
README_HEADING = "## Time entries under load (`bench/entries_load.py`)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(database_url: str, instance: str, users: int) -> dict:
    """Migrate the schema and create a company, users and master data; returns ids."""
    from tipro import clock, create_app
    from tipro.auth.services import hash_password
    from tipro.extensions import db
    from tipro.models import Activity, Company, Employee, Project, ProjectActivity, User

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            "INSTANCE_PATH": instance,
            "REDIS_URL": REDIS_URL,
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        company = Company(name=f"Benk {secrets.token_hex(3)} AS")
        db.session.add(company)
        db.session.flush()
        activity = Activity(
            company_id=company.id, tripletex_id=1, name="Arbeid", is_project_activity=True
        )
        general = Activity(company_id=company.id, tripletex_id=2, name="Intern", is_general=True)
        db.session.add_all([activity, general])
        projects = []
        for n in range(50):
            project = Project(
                company_id=company.id, tripletex_id=100 + n, number=str(100 + n), name=f"P{n}"
            )
            db.session.add(project)
            projects.append(project)
        db.session.flush()
        for project in projects:
            db.session.add(
                ProjectActivity(
                    company_id=company.id, project_id=project.id, activity_id=activity.id
                )
            )
        pw = hash_password(PASSWORD)
        emails = []
        for n in range(users):
            employee = Employee(
                company_id=company.id, tripletex_id=1000 + n, first_name=f"Ansatt{n}"
            )
            db.session.add(employee)
            db.session.flush()
            email = f"bench{n}-{secrets.token_hex(2)}@example.no"
            db.session.add(
                User(
                    company_id=company.id,
                    email=email,
                    name=f"Ansatt {n}",
                    role="employee",
                    password_hash=pw,
                    employee_id=employee.id,
                )
            )
            emails.append(email)
        db.session.commit()
        return {
            "emails": emails,
            "project_ids": [p.id for p in projects],
            "activity_id": activity.id,
            "today": clock.today(),
        }


class Client:
    """One logged-in user on its own connection."""

    def __init__(self, base: str, email: str) -> None:
        self.base = base
        self.session = requests.Session()
        page = self.session.get(f"{base}/logg-inn").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = self.session.post(
            f"{base}/logg-inn",
            data={"email": email, "password": PASSWORD, "csrf_token": token},
            allow_redirects=False,
        )
        assert response.status_code == 302, response.status_code
        start = self.session.get(f"{base}/").text
        self.csrf = re.search(r'"X-CSRFToken": "([^"]+)"', start).group(1)
        self.counter = 0


def run_scenario(name, clients, total, threads, call) -> dict:
    """`total` requests over `threads` threads; returns throughput and latency figures."""
    latencies: list[float] = []
    lock = threading.Lock()
    errors = [0]
    per_thread = total // threads

    def worker(client: Client) -> None:
        own: list[float] = []
        bad = 0
        for _ in range(per_thread):
            started = time.perf_counter()
            ok = call(client)
            own.append(time.perf_counter() - started)
            bad += 0 if ok else 1
        with lock:
            latencies.extend(own)
            errors[0] += bad

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(worker, clients[:threads]))
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "name": name,
        "requests": len(latencies),
        "errors": errors[0],
        "rps": len(latencies) / wall,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per scenario")
    parser.add_argument("--threads", type=int, default=8, help="concurrent load threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--warmup", type=int, default=100, help="warm-up requests per scenario")
    parser.add_argument("--write-readme", action="store_true", help="update bench/README.md")
    args = parser.parse_args()

    schema = f"bench_entries_{secrets.token_hex(3)}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    database_url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    instance = tempfile.mkdtemp(prefix="tipro-bench-")
    server = None
    try:
        data = seed(database_url, instance, args.threads)
        port = free_port()
        env = {
            **os.environ,
            "TIPRO_DATABASE_URL": database_url,
            "TIPRO_REDIS_URL": REDIS_URL,
            "TIPRO_INSTANCE_PATH": instance,
            "TIPRO_SECRET_KEY": secrets.token_hex(16),
            "TIPRO_QUEUE_PREFIX": f"bench-{secrets.token_hex(3)}",
        }
        server = subprocess.Popen(
            [
                str(REPO / ".venv/bin/gunicorn"),
                "--no-control-socket",
                "-w",
                str(args.workers),
                "--threads",
                str(args.worker_threads),
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "wsgi:app",
            ],
            cwd=REPO,
            env=env,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit("gunicorn did not answer")

        clients = [Client(base, email) for email in data["emails"]]
        today = data["today"]
        projects = data["project_ids"]
        year, week, _ = today.isocalendar()
        iso = f"{year}-W{week:02d}"

        def baseline(client: Client) -> bool:
            return client.session.get(f"{base}/healthz").status_code == 200

        def save(client: Client) -> bool:
            client.counter += 1
            n = client.counter
            # Spread over days so the 24 h/day rule never trips; this week first (week view).
            day = today - timedelta(days=n % 60)
            response = client.session.post(
                f"{base}/registreringer",
                data={
                    "uuid": str(uuid.uuid4()),
                    "date": day.isoformat(),
                    "project_id": projects[n % len(projects)],
                    "activity_id": data["activity_id"],
                    "hours": "0,25",
                    "comment": f"benk {n}",
                },
                headers={"X-CSRFToken": client.csrf},
                allow_redirects=False,
            )
            return response.status_code == 302

        def week_view(client: Client) -> bool:
            return client.session.get(f"{base}/uke?uke={iso}").status_code == 200

        results = []
        for name, call in (
            ("baseline GET /healthz", baseline),
            ("save entry POST /registreringer", save),
            ("week view GET /uke", week_view),
        ):
            run_scenario(name, clients, args.warmup, args.threads, call)
            results.append(run_scenario(name, clients, args.requests, args.threads, call))
        with admin.connect() as conn:
            # Our own generated schema name, not input.
            table = f'"{schema}".time_entries'
            stored = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
            per_week = conn.execute(
                text(
                    f"SELECT max(c) FROM (SELECT count(*) c FROM {table} "  # noqa: S608
                    "WHERE date >= :monday GROUP BY user_id) s"
                ),
                {"monday": today - timedelta(days=today.weekday())},
            ).scalar()
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    command = " ".join([".venv/bin/python bench/entries_load.py", *map(shlex.quote, sys.argv[1:])])
    base_rps = results[0]["rps"]
    lines = [
        "| scenario | requests | errors | req/s | ratio to baseline | p50 | p99 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['name']} | {r['requests']} | {r['errors']} | {r['rps']:.0f} | "
            f"{r['rps'] / base_rps:.2f} | {r['p50']:.1f} ms | {r['p99']:.1f} ms |"
        )
    setup = (
        f"gunicorn {args.workers} workers × {args.worker_threads} threads, {args.threads} load "
        f"threads (one logged-in user each), {args.requests} requests per scenario after "
        f"{args.warmup} warm-up; entries stored: {stored}; largest week view: {per_week} entries"
    )
    table = "\n".join(lines)
    print(f"{command}\n\n{setup}\n\n{table}")
    if args.write_readme:
        write_readme(command, setup, table)
    return 0


def write_readme(command: str, setup: str, table: str) -> None:
    """Replace (or add) this benchmark's section in bench/README.md."""
    readme = REPO / "bench" / "README.md"
    existing = readme.read_text() if readme.exists() else "# Benchmarks\n"
    intro = (
        "One company, one user per load thread, 50 projects. **baseline** is `/healthz` (one\n"
        "`SELECT 1` and a Redis ping, no session) served by the same gunicorn in the same run;\n"
        "**save entry** is the no-JS form POST (all rules: pickers, day total with a row lock,\n"
        "week lock, audit event; answered by a 302 that is not followed); **week view** renders\n"
        "the full week page for the current week. The load generator runs on the same 2-core\n"
        "machine as gunicorn and PostgreSQL, so ratios are more telling than absolute figures.\n"
        "\nSQL per page (counted with the test client, 9-entry week with custom fields and\n"
        "supplements): the week view sends 10 statements and the start page 16, whatever the\n"
        "number of entries — `tests/extras/test_lists.py` fails if a list page's count grows\n"
        "with its entries. Before the batched `extras.describe_extras_for` the week view sent\n"
        "27 (3 more per listed entry: absence, supplements, custom fields). Same command on the\n"
        "code before that change (commit 83dd5f2), same machine, same hour:\n"
        "\n"
        "| scenario (before) | requests | errors | req/s | ratio to baseline | p50 | p99 |\n"
        "|---|---:|---:|---:|---:|---:|---:|\n"
        "| baseline GET /healthz | 2000 | 0 | 634 | 1.00 | 10.5 ms | 31.6 ms |\n"
        "| save entry POST /registreringer | 2000 | 0 | 91 | 0.14 | 79.4 ms | 159.6 ms |\n"
        "| week view GET /uke | 2000 | 0 | 44 | 0.07 | 168.1 ms | 304.2 ms |\n"
        "\n"
        "Other helpers' work shared the 2 cores during both runs; expect ±20 % between runs.\n"
    )
    section = (
        f"{README_HEADING}\n\n{intro}\nMeasured on this machine with the current code:\n\n"
        f"```\n{command}\n```\n\n"
        f"{setup}.\n\n{table}\n"
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

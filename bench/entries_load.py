"""Load test: "save entry" and "week view" against gunicorn + PostgreSQL, vs a trivial route.

Starts gunicorn on loopback on a PostgreSQL schema of its own, seeds one company with users,
projects and activities, logs each load thread in as its own user, then runs a bounded
number of requests per scenario from a thread pool (requests.Session per thread). Throughput
is reported as a ratio to the baseline route served the same way in the same run, which
cancels out most of the machine's speed. Cleans up the schema and the server afterwards.

    python -m venv /tmp/tt && /tmp/tt/bin/pip install timetagger  # once, for the comparison
    .venv/bin/python bench/entries_load.py --write-readme --timetagger-python /tmp/tt/bin/python
"""

from __future__ import annotations

import argparse
import base64
import json
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
from datetime import date, timedelta
from pathlib import Path

import psutil
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


def new_schema(prefix: str):
    """A fresh PostgreSQL schema: (admin engine, schema name, database URL that uses it)."""
    schema = f"{prefix}_{secrets.token_hex(3)}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    return admin, schema, f"{PG_URL}?options=-csearch_path%3D{schema}"


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
        )
        assert response.history and response.status_code == 200, response.status_code
        self.csrf = re.search(r'"X-CSRFToken": "([^"]+)"', response.text).group(1)
        self.counter = 0
        self.post_seconds = 0.0  # the POSTs alone (until their 302's headers), summed

    def _form(
        self, day: date, project_id: int, activity_id: int, entry_uuid: str | None = None
    ) -> dict:
        self.counter += 1
        return {
            "uuid": entry_uuid or str(uuid.uuid4()),
            "date": day.isoformat(),
            "project_id": project_id,
            "activity_id": activity_id,
            "hours": "0,25",
            "comment": f"benk {self.counter}",
        }

    def save_htmx(
        self, day: date, project_id: int, activity_id: int, entry_uuid: str | None = None
    ) -> bool:
        """The quick entry as htmx sends it: one POST answered with what changed
        (entries/_saved.html: the confirmation, totals, today's list, a new form id); with
        `entry_uuid`, an edit of that entry."""
        response = self.session.post(
            f"{self.base}/registreringer",
            data=self._form(day, project_id, activity_id, entry_uuid),
            headers={
                "X-CSRFToken": self.csrf,
                "HX-Request": "true",
                "HX-Target": "today",
                "HX-Current-URL": f"{self.base}/",
            },
            allow_redirects=False,
        )
        return response.status_code == 200 and response.headers.get("HX-Trigger") == "entry-saved"

    def save(self, day: date, project_id: int, activity_id: int) -> bool:
        """The no-JS form POST, following its redirect (which shows and clears the flash)."""
        response = self.session.post(
            f"{self.base}/registreringer",
            data=self._form(day, project_id, activity_id),
            headers={"X-CSRFToken": self.csrf},
        )
        if response.history:
            self.post_seconds += response.history[0].elapsed.total_seconds()
        return (
            response.status_code == 200
            and len(response.history) == 1
            and response.history[0].status_code == 302
        )


class CpuMeter:
    """CPU seconds (user + system) spent by the load generator, gunicorn and PostgreSQL.

    The three share the machine's cores, so per request they say where the time goes. The
    PostgreSQL figure is the server processes serving gunicorn's connections (found by their
    `application_name`), so other users of the same server do not count.
    """

    def __init__(self, server_pid: int, admin, application_name: str) -> None:
        self.server = psutil.Process(server_pid)
        self.admin = admin
        self.application_name = application_name

    def _backends(self) -> list[psutil.Process]:
        with self.admin.connect() as conn:
            pids = conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                {"name": self.application_name},
            ).scalars()
            found = []
            for pid in pids:
                try:
                    found.append(psutil.Process(pid))
                except psutil.Error:
                    continue
            return found

    @staticmethod
    def _seconds(processes) -> float:
        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
        return total

    def snapshot(self) -> dict[str, float]:
        postgres = self._backends()
        return {
            "client": self._seconds([psutil.Process()]),
            "gunicorn": self._seconds([self.server, *self.server.children(recursive=True)]),
            "postgres": self._seconds(postgres),
        }


def run_scenario(name, clients, total, threads, call, meter: CpuMeter | None = None) -> dict:
    """`total` requests over `threads` threads; returns throughput, latency and CPU figures."""
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

    cpu_before = meter.snapshot() if meter else {}
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(worker, clients[:threads]))
    wall = time.perf_counter() - started
    cpu_after = meter.snapshot() if meter else {}
    latencies.sort()
    done = max(1, len(latencies))
    return {
        "cpu_ms": {k: (cpu_after[k] - cpu_before[k]) / done * 1000 for k in cpu_before},
        "name": name,
        "requests": len(latencies),
        "errors": errors[0],
        "rps": len(latencies) / wall,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
    }


def wait_for(url: str, what: str) -> None:
    for _ in range(300):
        try:
            if requests.get(url, timeout=5).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{what} did not answer")


def start_gunicorn(
    args, database_url: str, instance: str, sql_log: str | None = None, *, tree: Path = REPO
):
    """gunicorn serving `tree` (its directory first on sys.path, so its `tipro` is the one),
    `args.workers` × `args.worker_threads`; with `sql_log`, counting statements per request."""
    port = free_port()
    env = {
        **os.environ,
        "TIPRO_DATABASE_URL": database_url,
        "TIPRO_REDIS_URL": REDIS_URL,
        "TIPRO_INSTANCE_PATH": instance,
        "TIPRO_SECRET_KEY": secrets.token_hex(16),
        "TIPRO_QUEUE_PREFIX": f"bench-{secrets.token_hex(3)}",
    }
    command = [str(REPO / ".venv/bin/gunicorn"), "--no-control-socket"]
    if sql_log:
        env["TIPRO_BENCH_SQL_LOG"] = sql_log
        command += ["-c", str(REPO / "bench" / "gunicorn_sql.py")]
    command += ["-w", str(args.workers), "--threads", str(args.worker_threads)]
    command += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]
    server = subprocess.Popen(command, cwd=tree, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    wait_for(f"{base}/healthz", f"gunicorn for {tree}")
    return server, base


def stop(servers, admin, schema: str) -> None:
    """End the bench's servers (their process groups) and drop its schema."""
    for server in servers:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def timetagger_python(chosen: str | None) -> str | None:
    """A Python that can import timetagger: `--timetagger-python`, else this one, else None.

    TimeTagger brings its own server stack (uvicorn, asgineer, itemdb); a venv of its own
    (`python -m venv /tmp/tt && /tmp/tt/bin/pip install timetagger`) keeps it out of TiPro's.
    """
    python = chosen or sys.executable
    found = subprocess.run(
        [python, "-c", "import timetagger"], capture_output=True, check=False
    ).returncode
    return python if found == 0 else None


def start_timetagger(python: str, datadir: str):
    """TimeTagger from its pip package (uvicorn, one process) on loopback; (process, base)."""
    port = free_port()
    server = subprocess.Popen(
        [
            python,
            "-m",
            "timetagger",
            f"--bind=127.0.0.1:{port}",
            f"--datadir={datadir}",
            "--log_level=warning",
        ],
        cwd=datadir,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/timetagger/api/v2"
    wait_for(f"{base}/", "timetagger")
    return server, base


def timetagger_client(base: str):
    """One TimeTagger client: a function making one single-record PUT (n: a serial number)."""
    session = requests.Session()
    # Its localhost login: the server trusts a client on 127.0.0.1 and hands out a webtoken.
    body = base64.b64encode(json.dumps({"method": "localhost"}).encode())
    token = session.post(f"{base}/bootstrap_authentication", data=body).json()["token"]
    session.headers["authtoken"] = token

    def put(n: int) -> None:
        now = int(time.time())
        record = {"key": uuid.uuid4().hex[:8], "mt": now, "t1": now - 900 - n, "t2": now - n}
        record["ds"] = f"#benk {n}"
        result = session.put(f"{base}/records", json=[record]).json()
        assert result["accepted"] == [record["key"]], result

    return put


# The sequential comparison alternates blocks of this many TiPro saves and TimeTagger PUTs,
# so both meet the same load from whatever else runs on the machine.
SINGLE_BLOCK = 25


def read_sql_counts(sql_log: str) -> dict[tuple[str, str, str], list[int]]:
    counts: dict[tuple[str, str, str], list[int]] = {}
    for path in Path(sql_log).parent.glob(Path(sql_log).name + ".*"):
        for line in path.read_text().splitlines():
            method, url, status, n = line.split()
            counts.setdefault((method, url, status), []).append(int(n))
    return counts


def sql_text(counts: dict, method: str, url: str, status: str = "200") -> str:
    values = counts.get((method, url, status))
    if not values:
        return "–"
    low, high = min(values), max(values)
    return f"{low}" if low == high else f"{low}–{high} (median {statistics.median(values):g})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=800, help="requests per scenario/round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the scenarios")
    parser.add_argument("--threads", type=int, default=8, help="concurrent load threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--warmup", type=int, default=80, help="warm-up requests per scenario")
    parser.add_argument("--single", type=int, default=500, help="sequential saves vs TimeTagger")
    parser.add_argument(
        "--timetagger-python",
        default=os.environ.get("TIPRO_BENCH_TIMETAGGER_PYTHON"),
        help="a Python with timetagger installed (default: this one)",
    )
    parser.add_argument("--write-readme", action="store_true", help="update bench/README.md")
    args = parser.parse_args()

    admin, schema, database_url = new_schema("bench_entries")
    instance = tempfile.mkdtemp(prefix="tipro-bench-")
    sql_log = os.path.join(instance, "sql")
    servers = []
    try:
        data = seed(database_url, instance, args.threads)
        application_name = f"tipro_bench_{secrets.token_hex(3)}"
        server, base = start_gunicorn(
            args, f"{database_url}&application_name={application_name}", instance, sql_log
        )
        servers.append(server)
        meter = CpuMeter(server.pid, admin, application_name)
        clients = [Client(base, email) for email in data["emails"]]
        today = data["today"]
        projects = data["project_ids"]
        activity = data["activity_id"]
        # The week view shows last week, filled once (5 days × 3 projects); the load's saves
        # go to the weeks before it, so every round renders the same page.
        shown = today - timedelta(days=today.weekday() + 7)
        for client in clients:
            for d in range(5):
                for p in range(3):
                    assert client.save(shown + timedelta(days=d), projects[p], activity)
        year, week, _ = shown.isocalendar()
        iso = f"{year}-W{week:02d}"
        # Reset the log: the counts below are for the measured requests only.
        for path in Path(instance).glob("sql.*"):
            path.write_text("")

        def baseline(client: Client) -> bool:
            return client.session.get(f"{base}/healthz").status_code == 200

        def save(client: Client) -> bool:
            n = client.counter
            day = shown - timedelta(days=1 + n % 56)
            return client.save(day, projects[n % len(projects)], activity)

        def save_htmx(client: Client) -> bool:
            n = client.counter
            day = shown - timedelta(days=1 + n % 56)
            return client.save_htmx(day, projects[n % len(projects)], activity)

        def week_view(client: Client) -> bool:
            return client.session.get(f"{base}/uke?uke={iso}").status_code == 200

        scenarios = (
            ("baseline GET /healthz", baseline),
            ("save entry (htmx, as the browser sends it) POST /registreringer", save_htmx),
            ("week view GET /uke", week_view),
            ("no-JS save POST /registreringer → GET /", save),
        )
        rounds = []
        for _ in range(args.rounds):
            results = []
            for name, call in scenarios:
                run_scenario(name, clients, args.warmup, args.threads, call)
                results.append(
                    run_scenario(name, clients, args.requests, args.threads, call, meter)
                )
            rounds.append(results)
        counts = read_sql_counts(sql_log)

        # One sequential client: TiPro's single saves and TimeTagger's single PUTs, in
        # alternating blocks (after 20 warm-up requests each).
        single = clients[0]
        put = None
        tt_python = timetagger_python(args.timetagger_python)
        if tt_python is None:
            print("timetagger is not installed (see --timetagger-python): skipped")
        else:
            tt_server, tt_base = start_timetagger(
                tt_python, tempfile.mkdtemp(prefix="tipro-bench-tt-")
            )
            servers.append(tt_server)
            put = timetagger_client(tt_base)

        def single_save(htmx: bool = False) -> None:
            n = single.counter
            call = single.save_htmx if htmx else single.save
            assert call(shown - timedelta(days=1 + n % 56), projects[n % len(projects)], activity)

        for n in range(20):
            single_save(htmx=True)
            single_save()
            if put:
                put(n)
        single.post_seconds = 0.0
        tipro_single = tipro_htmx = tt_single = tipro_trivial = 0.0
        for block in range(0, args.single, SINGLE_BLOCK):
            size = min(SINGLE_BLOCK, args.single - block)
            # The floor: TiPro's trivial route (session, user, SELECT 1, Redis PING), the
            # same client, so what a save adds to any request of TiPro's shows.
            started = time.perf_counter()
            for _ in range(size):
                assert baseline(single)
            tipro_trivial += time.perf_counter() - started
            started = time.perf_counter()
            for _ in range(size):
                single_save(htmx=True)
            tipro_htmx += time.perf_counter() - started
            started = time.perf_counter()
            for _ in range(size):
                single_save()
            tipro_single += time.perf_counter() - started
            if put:
                started = time.perf_counter()
                for n in range(block, block + size):
                    put(n)
                tt_single += time.perf_counter() - started
        tipro_posts = single.post_seconds
        tt_single = tt_single if put else None

        with admin.connect() as conn:
            # Our own generated schema name, not input.
            table = f'"{schema}".time_entries'
            stored = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
            per_week = conn.execute(
                text(
                    f"SELECT max(c) FROM (SELECT count(*) c FROM {table} "  # noqa: S608
                    "WHERE date BETWEEN :monday AND :sunday GROUP BY user_id) s"
                ),
                {"monday": shown, "sunday": shown + timedelta(days=6)},
            ).scalar()
    finally:
        stop(servers, admin, schema)

    command = " ".join([".venv/bin/python bench/entries_load.py", *map(shlex.quote, sys.argv[1:])])
    sql = {
        scenarios[0][0]: sql_text(counts, "GET", "/healthz"),
        scenarios[1][0]: sql_text(counts, "POST", "/registreringer"),
        scenarios[2][0]: sql_text(counts, "GET", "/uke"),
        scenarios[3][0]: (
            f"{sql_text(counts, 'POST', '/registreringer', '302')} + {sql_text(counts, 'GET', '/')}"
        ),
    }
    lines = [
        "| round | scenario | requests | errors | req/s | ratio to baseline | p50 | p99 | SQL |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for index, results in enumerate(rounds, 1):
        base_rps = results[0]["rps"]
        for r in results:
            lines.append(
                f"| {index} | {r['name']} | {r['requests']} | {r['errors']} | {r['rps']:.0f} | "
                f"{r['rps'] / base_rps:.2f} | {r['p50']:.1f} ms | {r['p99']:.1f} ms | "
                f"{sql[r['name']]} |"
            )
    spread = ["", "| scenario | ratio to baseline (min–max over rounds) | SQL per request |"]
    spread.append("|---|---|---|")
    for position, (name, _call) in enumerate(scenarios[1:], 1):
        ratios = [results[position]["rps"] / results[0]["rps"] for results in rounds]
        spread.append(f"| {name} | {min(ratios):.2f}–{max(ratios):.2f} | {sql[name]} |")
    cpu = [
        "",
        "| scenario | CPU per request (median of rounds): load generator | gunicorn "
        "| PostgreSQL | sum | baseline's sum ÷ this |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    baseline_cpu = None
    for position, (name, _call) in enumerate(scenarios):
        parts = {
            part: statistics.median(results[position]["cpu_ms"][part] for results in rounds)
            for part in ("client", "gunicorn", "postgres")
        }
        total_cpu = sum(parts.values())
        baseline_cpu = baseline_cpu or total_cpu
        cpu.append(
            f"| {name} | {parts['client']:.2f} ms | {parts['gunicorn']:.2f} ms | "
            f"{parts['postgres']:.2f} ms | {total_cpu:.2f} ms | {baseline_cpu / total_cpu:.2f} |"
        )
    single_lines = [
        "",
        "| one sequential client | requests | total | per request |",
        "|---|---:|---:|---:|",
        f"| TiPro save as the browser sends it (htmx POST) | {args.single} | "
        f"{tipro_htmx:.2f} s | {tipro_htmx / args.single * 1000:.1f} ms |",
        f"| TiPro no-JS save (POST + redirected GET /) | {args.single} | {tipro_single:.2f} s | "
        f"{tipro_single / args.single * 1000:.1f} ms |",
        f"| … of which the POSTs alone (to their 302) | {args.single} | {tipro_posts:.2f} s | "
        f"{tipro_posts / args.single * 1000:.1f} ms |",
        f"| TiPro trivial route GET /healthz (the floor of any request) | {args.single} | "
        f"{tipro_trivial:.2f} s | {tipro_trivial / args.single * 1000:.1f} ms |",
    ]
    if tt_single is not None:
        single_lines.append(
            f"| TimeTagger PUT /api/v2/records (one record) | {args.single} | {tt_single:.2f} s | "
            f"{tt_single / args.single * 1000:.1f} ms |"
        )
        single_lines += [
            "",
            f"TiPro ÷ TimeTagger: **{tipro_htmx / tt_single:.1f} ×** (the htmx save); no-JS "
            f"save {tipro_single / tt_single:.1f} × (its POSTs alone: "
            f"{tipro_posts / tt_single:.1f} ×); TiPro's trivial route alone "
            f"{tipro_trivial / tt_single:.1f} ×",
        ]
    setup = (
        f"gunicorn {args.workers} workers × {args.worker_threads} threads, {args.threads} load "
        f"threads (one logged-in user each), {args.rounds} rounds of {args.requests} requests "
        f"per scenario after {args.warmup} warm-up; entries stored: {stored}; week shown: "
        f"{per_week} entries on 3 lines. SQL: statements per request counted in the server "
        f"(`bench/gunicorn_sql.py`), the no-JS save as POST + the page it redirects to"
    )
    table = "\n".join(lines + spread + cpu + single_lines)
    print(f"{command}\n\n{setup}\n\n{table}")
    if args.write_readme:
        write_readme(command, setup, table)
    return 0


def write_readme(command: str, setup: str, table: str) -> None:
    """Replace (or add) this benchmark's section in bench/README.md."""
    readme = REPO / "bench" / "README.md"
    existing = readme.read_text() if readme.exists() else "# Benchmarks\n"
    intro = (
        "One company, one user per load thread, 50 projects; each user's week shown is filled\n"
        "once (5 days × 3 projects) and the load's saves go to the weeks before it, so every\n"
        "round renders the same page. **baseline** is `/healthz` (one `SELECT 1` and a Redis\n"
        "ping; the client's session cookie goes along, so the header hook loads the user too)\n"
        "served by the same gunicorn in the same run; **save entry** is the quick entry as\n"
        "a browser sends it (htmx: one POST with all the rules — pickers, day total with a row\n"
        "lock, week lock, audit event — answered with what changed on the start page).\n"
        "The load's saves go to the eight weeks before the week shown, as someone catching\n"
        "up on earlier weeks: most of those days are not on the start page, so the answer is\n"
        "the confirmation and a new form id (1 to 7 of the 56 days, by the weekday the bench\n"
        "runs on, lie in the two weeks «Gjenta» looks back, and those answers bring the\n"
        "totals, today's list and «Gjenta» too; a save for this week always does — its cost\n"
        "is measured by `bench/compare_trees.py --week`\n"
        "and `bench/profile_entries.py --only save_week`, below); **week view**\n"
        "renders the full week page; **no-JS save** is the plain form POST *and* the start\n"
        "page its 302 leads to (the bench follows redirects, so the flash is shown and cleared\n"
        "as in a browser without JavaScript).\n"
        "The scenarios run in `--rounds` rounds; the ratio to the baseline of the same\n"
        "round is what to compare (the load generator shares the 2 cores with gunicorn and\n"
        "PostgreSQL). **SQL** is the statements per request, counted inside gunicorn by\n"
        "`bench/gunicorn_sql.py` (a gunicorn config file: SQLAlchemy's `before_cursor_execute`\n"
        "per request thread; the app has no bench code). **CPU per request** is the CPU time\n"
        "(user + system) the load generator, gunicorn (master and workers) and PostgreSQL (the\n"
        "backends of gunicorn's connections, found by their `application_name`) spent during a\n"
        "scenario, divided by its requests: unlike req/s it hardly moves when other work shares\n"
        "the machine. Then one sequential client makes `--single` htmx saves and `--single`\n"
        "no-JS saves, and TimeTagger (its pip\n"
        "package in a venv of its own, `--timetagger-python` or `TIPRO_BENCH_TIMETAGGER_PYTHON`;\n"
        "started on loopback: uvicorn, SQLite per user, its localhost webtoken login) takes the\n"
        "same number of single-record `PUT /api/v2/records`, the three alternating in blocks of\n"
        "BLOCK so both meet the same load from whatever else runs on the machine; the same client\n"
        "also times TiPro's trivial route in each block, the floor under any TiPro request.\n"
    ).replace("BLOCK", str(SINGLE_BLOCK))
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

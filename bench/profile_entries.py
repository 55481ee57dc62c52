"""cProfile of one user's no-JS save and week view, in-process on PostgreSQL.

Seeds a schema like `bench/entries_load.py` (50 projects, last week filled with 5 days ×
3 projects), logs in with Flask's test client and profiles `--repeat` saves (POST only,
no redirect), `--repeat` start pages and `--repeat` week views (each also timed without the
profiler); prints the top functions by cumulative and by own
time. `--dump FILE` writes one week page (without its CSRF tokens) to compare output.

    .venv/bin/python bench/profile_entries.py --repeat 200
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from tipro.clock import monday_of

sys.path.insert(0, str(Path(__file__).resolve().parent))
from entries_load import PASSWORD, REDIS_URL, new_schema, seed  # noqa: E402


def top(profile: cProfile.Profile, sort: str, limit: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.strip_dirs().sort_stats(sort).print_stats(limit)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--limit", type=int, default=25)
    parser.add_argument("--save", help="also write the profiles to SAVE-save.prof, SAVE-week.prof")
    parser.add_argument(
        "--only",
        nargs="*",
        help="scenarios to run: save, save_htmx, save_week, start, week, healthz",
    )
    parser.add_argument("--dump", help="write one week page (CSRF tokens removed) here")
    args = parser.parse_args()

    from tipro import create_app
    from tipro.config import engine_options

    admin, schema, database_url = new_schema("bench_profile")
    instance = tempfile.mkdtemp(prefix="tipro-profile-")
    try:
        data = seed(database_url, instance, 1)
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
                "INSTANCE_PATH": instance,
                "REDIS_URL": REDIS_URL,
                "SECRET_KEY": secrets.token_hex(16),
            }
        )
        client = app.test_client()
        page = client.get("/logg-inn").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        start = client.post(
            "/logg-inn",
            data={"email": data["emails"][0], "password": PASSWORD, "csrf_token": token},
            follow_redirects=True,
        ).get_data(as_text=True)
        csrf = re.search(r'"X-CSRFToken": "([^"]+)"', start).group(1)
        today, projects = data["today"], data["project_ids"]
        shown = today - timedelta(days=today.weekday() + 7)
        counter = [0]

        def save(day, htmx: bool = False, entry_id: str | None = None) -> None:
            counter[0] += 1
            n = counter[0]
            headers = {"X-CSRFToken": csrf}
            if htmx:  # the quick entry as the browser sends it
                headers |= {"HX-Request": "true", "HX-Target": "today"}
            response = client.post(
                "/registreringer",
                data={
                    "uuid": entry_id or str(uuid.uuid4()),
                    "date": day.isoformat(),
                    "project_id": projects[n % len(projects)] if day < shown else projects[n % 3],
                    "activity_id": data["activity_id"],
                    "hours": "0,25",
                    "comment": f"benk {n}",
                },
                headers=headers,
            )
            if htmx:
                assert response.headers.get("HX-Trigger") == "entry-saved", response.status_code
                return
            assert response.status_code == 302, response.status_code
            assert response.location == "/", response.location
            with client.session_transaction() as session:
                session.pop("_flashes", None)

        for d in range(5):
            for _ in range(3):
                save(shown + timedelta(days=d))
        year, week, _ = shown.isocalendar()
        url = f"/uke?uke={year}-W{week:02d}"
        if args.dump:
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            html = response.get_data(as_text=True)
            html = re.sub(r'(csrf_token" value=|X-CSRFToken": )"[^"]+"', r"\1-", html)
            Path(args.dump).write_text(html)

        week_ids = [str(uuid.uuid4()) for _ in range(10)]

        def healthz(_n) -> None:
            assert client.get("/healthz").status_code == 200

        for key, label, call in (
            (
                "save",
                "save (no-JS POST /registreringer)",
                lambda n: save(shown - timedelta(1 + n % 56)),
            ),
            (
                "save_htmx",
                "save (htmx POST /registreringer, as the browser sends it)",
                lambda n: save(shown - timedelta(1 + n % 56), htmx=True),
            ),
            (
                # Hours for this week (most saves are for today): the answer refreshes the
                # start page's totals, today's list and «Gjenta». Ten entries saved again and
                # again (an edit each time), so the week stays as large as a real one.
                "save_week",
                "save for this week (htmx POST /registreringer, the start page refreshed; "
                "10 entries edited in turn)",
                lambda n: save(monday_of(today) + timedelta(n % 7), True, week_ids[n % 10]),
            ),
            ("start", "start page (GET /, where the save redirects)", lambda n: client.get("/")),
            ("week", "week view (GET /uke, 15 entries on 3 lines)", lambda n: client.get(url)),
            ("healthz", "trivial route (GET /healthz, the load bench's baseline)", healthz),
        ):
            if args.only and key not in args.only:
                continue
            for n in range(10):
                call(n)
            walls, cpus = [], []
            statements = [0]

            def count(*_args, statements=statements) -> None:
                statements[0] += 1

            event.listen(Engine, "before_cursor_execute", count)
            try:
                for batch in range(0, args.repeat, 10):
                    began, cpu = time.perf_counter(), time.process_time()
                    for n in range(batch, min(batch + 10, args.repeat)):
                        call(n)
                    done = min(10, args.repeat - batch)
                    walls.append((time.perf_counter() - began) / done * 1000)
                    cpus.append((time.process_time() - cpu) / done * 1000)
            finally:
                event.remove(Engine, "before_cursor_execute", count)
            print(
                f"== {label}: without the profiler {statistics.median(walls):.2f} ms wall "
                f"(median of batches of 10; min {min(walls):.2f}), "
                f"{statistics.median(cpus):.2f} ms CPU of this process (min {min(cpus):.2f}), "
                f"{statements[0] / args.repeat:.1f} SQL statements"
            )
            profile = cProfile.Profile()
            profile.enable()
            for n in range(args.repeat):
                call(n)
            profile.disable()
            if args.save:
                profile.dump_stats(f"{args.save}-{key}.prof")
            stats = pstats.Stats(profile)
            total = stats.total_tt
            print(
                f"== {label}: {args.repeat} requests, {total / args.repeat * 1000:.2f} ms each "
                f"profiled, {stats.total_calls / args.repeat:.0f} function calls each"
            )
            print(top(profile, "cumulative", args.limit))
            print(top(profile, "tottime", args.limit))
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

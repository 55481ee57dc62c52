"""Offline sync: 500 queued entries to TiPro's sync API vs TimeTagger's batch PUT of 500.

Starts TiPro under gunicorn on a PostgreSQL schema of its own and TimeTagger from its own
venv (the helpers of bench/entries_load.py), then in `--rounds` rounds, alternating, sends
one queue of 500 entries to `POST /api/v1/entries/sync` (one request; each round a fresh
user), replays the same queue (nothing new may be stored) and sends 500 records to
TimeTagger's `PUT /api/v2/records` (one request). Afterwards every round's user must hold
exactly 500 rows.

    .venv/bin/python bench/offline_sync.py --rounds 3 --timetagger-python /tmp/tt/bin/python
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shlex
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

import entries_load as el  # noqa: E402  (bench/ is a plain folder, not a package)

QUEUE = 500  # the sync API's limit per request (tipro.pwa.services.MAX_ITEMS)
URL = "/api/v1/entries/sync"


def tipro_queue(data: dict, n: int = QUEUE) -> list[dict]:
    """A phone's queue as the offline app sends it: 5 entries a day over the past 100 days."""
    today = data["today"]
    projects = data["project_ids"]
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [
        {
            "uuid": str(uuid.uuid4()),
            "date": (today - timedelta(days=1 + i % 100)).isoformat(),
            "project_id": projects[i % len(projects)],
            "activity_id": data["activity_id"],
            "hours": "0,25",
            "comment": f"kø {i}",
            "client_modified_at": stamp,
        }
        for i in range(n)
    ]


def tipro_sync(client: el.Client, queue: list[dict]) -> tuple[float, dict[str, int]]:
    """One sync request: (seconds, count of each answered status)."""
    started = time.perf_counter()
    response = client.session.post(
        client.base + URL,
        json={"entries": queue},
        headers={"X-CSRFToken": client.csrf},
        timeout=120,
        allow_redirects=False,
    )
    seconds = time.perf_counter() - started
    assert response.status_code == 200, (response.status_code, response.text[:300])
    results = response.json()["results"]
    assert [r["uuid"] for r in results] == [e["uuid"] for e in queue]
    statuses: dict[str, int] = {}
    for result in results:
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
    return seconds, statuses


def timetagger_session(base: str) -> requests.Session:
    """TimeTagger's localhost login (it trusts a client on 127.0.0.1 with a webtoken)."""
    session = requests.Session()
    body = base64.b64encode(json.dumps({"method": "localhost"}).encode())
    token = session.post(f"{base}/bootstrap_authentication", data=body).json()["token"]
    session.headers["authtoken"] = token
    return session


def timetagger_push(session: requests.Session, base: str, n: int = QUEUE) -> float:
    """One `PUT /records` with n new records; seconds. Every key must be accepted."""
    now = int(time.time())
    records = [
        {
            "key": uuid.uuid4().hex[:8],
            "mt": now,
            "t1": now - 86400 * (1 + i % 100) - 900,
            "t2": now - 86400 * (1 + i % 100),
            "ds": f"#benk kø {i}",
        }
        for i in range(n)
    ]
    started = time.perf_counter()
    result = session.put(f"{base}/records", json=records, timeout=120).json()
    seconds = time.perf_counter() - started
    assert sorted(result["accepted"]) == sorted(r["key"] for r in records), result.get("errors")
    return seconds


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds (at least 3)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads per worker")
    parser.add_argument(
        "--timetagger-python",
        default=os.environ.get("TIPRO_BENCH_TIMETAGGER_PYTHON"),
        help="a Python with timetagger installed (default: this one)",
    )
    args = parser.parse_args()
    if args.rounds < 3:
        parser.error("--rounds must be at least 3")
    tt_python = el.timetagger_python(args.timetagger_python)
    if tt_python is None:
        raise SystemExit("timetagger is not installed (see --timetagger-python)")

    admin, schema, database_url = el.new_schema("bench_offline")
    instance = tempfile.mkdtemp(prefix="tipro-bench-")
    sql_log = os.path.join(instance, "sql")
    servers = []
    rounds = []
    try:
        # One user for the warm-up and one per round, so each round's rows can be counted.
        data = el.seed(database_url, instance, args.rounds + 1)
        server, base = el.start_gunicorn(args, database_url, instance, sql_log)
        servers.append(server)
        tt_server, tt_base = el.start_timetagger(
            tt_python, tempfile.mkdtemp(prefix="tipro-bench-tt-")
        )
        servers.append(tt_server)
        tt = timetagger_session(tt_base)
        clients = [el.Client(base, email) for email in data["emails"]]

        # Warm-up: a small queue each, on the warm-up user.
        tipro_sync(clients[0], tipro_queue(data, 20))
        timetagger_push(tt, tt_base, 20)
        for path in Path(instance).glob("sql.*"):
            path.write_text("")

        for index in range(args.rounds):
            client = clients[index + 1]
            queue = tipro_queue(data, QUEUE)
            # Alternate which side goes first, so both meet the same load from elsewhere.
            if index % 2 == 0:
                first, statuses = tipro_sync(client, queue)
                tt_seconds = timetagger_push(tt, tt_base)
            else:
                tt_seconds = timetagger_push(tt, tt_base)
                first, statuses = tipro_sync(client, queue)
            replay, replay_statuses = tipro_sync(client, queue)
            assert statuses == {"accepted": QUEUE}, statuses
            assert replay_statuses == {"accepted": QUEUE}, replay_statuses
            rounds.append({"tipro": first, "replay": replay, "tt": tt_seconds})

        counts = el.read_sql_counts(sql_log)
        with admin.connect() as conn:
            # Our own generated schema name, not input.
            stored = dict(
                conn.execute(
                    text(
                        f'SELECT u.email, count(e.id) FROM "{schema}".users u '  # noqa: S608
                        f'LEFT JOIN "{schema}".time_entries e ON e.user_id = u.id '
                        "GROUP BY u.email"
                    )
                ).all()
            )
    finally:
        el.stop(servers, admin, schema)

    per_user = [stored.get(email, 0) for email in data["emails"][1:]]
    assert per_user == [QUEUE] * args.rounds, per_user

    command = " ".join([".venv/bin/python bench/offline_sync.py", *map(shlex.quote, sys.argv[1:])])
    lines = [
        "| round | TiPro sync of 500 (1 request) | TiPro replay of the same 500 (1 request) "
        "| TimeTagger PUT of 500 (1 request) | TiPro ÷ TimeTagger |",
        "|---:|---:|---:|---:|---:|",
    ]
    for index, r in enumerate(rounds, 1):
        lines.append(
            f"| {index} | {r['tipro']:.3f} s | {r['replay']:.3f} s | {r['tt']:.3f} s | "
            f"{r['tipro'] / r['tt']:.2f} |"
        )
    ratios = [r["tipro"] / r["tt"] for r in rounds]
    replay_ratios = [r["replay"] / r["tt"] for r in rounds]
    sql = el.sql_text(counts, "POST", URL)
    summary = [
        "",
        f"- TiPro sync, s: median (min–max) {spread([r['tipro'] for r in rounds])}; "
        f"per entry {statistics.median(r['tipro'] for r in rounds) / QUEUE * 1000:.2f} ms",
        f"- TiPro replay, s: {spread([r['replay'] for r in rounds])}",
        f"- TimeTagger PUT, s: {spread([r['tt'] for r in rounds])}; "
        f"per record {statistics.median(r['tt'] for r in rounds) / QUEUE * 1000:.2f} ms",
        f"- TiPro ÷ TimeTagger: **{statistics.median(ratios):.2f} ×** "
        f"({min(ratios):.2f}–{max(ratios):.2f}); replay ÷ TimeTagger "
        f"{statistics.median(replay_ratios):.2f} × "
        f"({min(replay_ratios):.2f}–{max(replay_ratios):.2f})",
        f"- requests per side and round: TiPro 1 for 500 (+1 replay), TimeTagger 1 for 500; "
        f"SQL statements per TiPro sync request (first and replay): {sql}",
        f"- rows stored per round's user after sync + replay: {per_user} "
        f"(all {QUEUE} answered «accepted» both times)",
    ]
    setup = (
        f"gunicorn {args.workers} workers × {args.worker_threads} threads on PostgreSQL; "
        f"TimeTagger (uvicorn, SQLite) from {tt_python}; {args.rounds} rounds, alternating "
        "which side goes first, after a warm-up of 20 entries each"
    )
    print(f"{command}\n\n{setup}\n\n" + "\n".join(lines + summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

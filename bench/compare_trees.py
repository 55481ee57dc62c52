"""Two TiPro trees side by side: one sequential client, the same database, alternating blocks.

For a before/after figure measured in one run (the machine is shared and its speed drifts
between runs): tree A (e.g. a worktree of an earlier commit) and tree B (default: this one)
are each served by gunicorn (one worker, four threads, this venv) on one PostgreSQL schema
seeded like `bench/entries_load.py`; one user per tree. In blocks of `--block`, each tree
gets the trivial route, the htmx quick entry (a day 1–56 days before last week, as the load
bench saves) or with `--week` an edit of one of ten entries of this week (the answer
refreshes the start page's parts), the week view and the start page; with `--timetagger`
TimeTagger's single-record PUT too. Prints each request kind's median per block and B ÷ A
per block (median and range), and the save ÷ TimeTagger.

    git worktree add /tmp/before <rev>
    .venv/bin/python bench/compare_trees.py --a /tmp/before --requests 500 \\
        --timetagger /tmp/tt/bin/python
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from entries_load import (  # noqa: E402
    Client,
    new_schema,
    seed,
    start_gunicorn,
    start_timetagger,
    stop,
    timetagger_client,
)

# One worker process with four threads: a sequential client meets one process either way.
ONE_WORKER = argparse.Namespace(workers=1, worker_threads=4)


def timed(block: int, call) -> float:
    """Milliseconds per call over `block` calls."""
    started = time.perf_counter()
    for n in range(block):
        call(n)
    return (time.perf_counter() - started) / block * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", required=True, help="tree A (e.g. a worktree of an earlier commit)")
    parser.add_argument("--b", default=str(REPO), help="tree B (default: this one)")
    parser.add_argument("--requests", type=int, default=500, help="saves per tree")
    parser.add_argument("--block", type=int, default=25)
    parser.add_argument("--week", action="store_true", help="edits of this week's entries")
    parser.add_argument("--timetagger", help="a Python with timetagger installed")
    args = parser.parse_args()

    admin, schema, database_url = new_schema("bench_compare")
    instance = tempfile.mkdtemp(prefix="tipro-compare-")
    servers = []
    try:
        data = seed(database_url, instance, 2)
        today, projects, activity = data["today"], data["project_ids"], data["activity_id"]
        shown = today - timedelta(days=today.weekday() + 7)
        monday = today - timedelta(days=today.weekday())
        year, week, _ = shown.isocalendar()
        week_url = f"/uke?uke={year}-W{week:02d}"
        sides = {}
        trees = (("A", args.a, data["emails"][0]), ("B", args.b, data["emails"][1]))
        for name, tree, email in trees:
            server, base = start_gunicorn(ONE_WORKER, database_url, instance, tree=Path(tree))
            servers.append(server)
            sides[name] = (base, Client(base, email), [str(uuid.uuid4()) for _ in range(10)])

        def save(client: Client, week_ids: list[str], n: int) -> None:
            if not args.week:
                day = shown - timedelta(days=1 + n % 56)
                assert client.save_htmx(day, projects[n % len(projects)], activity)
                return
            day, project = monday + timedelta(days=n % 7), projects[n % 3]
            assert client.save_htmx(day, project, activity, week_ids[n % 10])

        def get(client: Client, url: str) -> None:
            assert client.session.get(url).status_code == 200

        put = None
        if args.timetagger:
            tt_server, tt_base = start_timetagger(
                args.timetagger, tempfile.mkdtemp(prefix="tipro-compare-tt-")
            )
            servers.append(tt_server)
            put = timetagger_client(tt_base)
        for n in range(60):  # warm-up
            for base, client, week_ids in sides.values():
                save(client, week_ids, n)
                get(client, f"{base}/healthz")
            if put:
                put(n)

        kinds = ("trivial", "save", "week", "start")
        blocks: dict[str, list[float]] = {f"{s} {k}": [] for s in sides for k in kinds}
        blocks["TimeTagger PUT"] = []
        size = args.block
        for first in range(0, args.requests, size):
            for name, (base, client, week_ids) in sides.items():
                blocks[f"{name} trivial"].append(
                    timed(size, lambda _n, c=client, b=base: get(c, f"{b}/healthz"))
                )
                blocks[f"{name} save"].append(
                    timed(size, lambda n, c=client, w=week_ids, f=first: save(c, w, f + n))
                )
                blocks[f"{name} week"].append(
                    timed(size // 2, lambda _n, c=client, b=base: get(c, f"{b}{week_url}"))
                )
                blocks[f"{name} start"].append(
                    timed(size // 2, lambda _n, c=client, b=base: get(c, f"{b}/"))
                )
            if put:
                blocks["TimeTagger PUT"].append(timed(size, lambda n, f=first: put(f + n)))

        print(f"A = {args.a}\nB = {args.b}\n{len(blocks['A save'])} blocks of {size}\n")
        print("| request | A median | B median | B ÷ A per block: median (min–max) |")
        print("|---|---:|---:|---|")
        for kind in kinds:
            a, b = blocks[f"A {kind}"], blocks[f"B {kind}"]
            ratios = [y / x for x, y in zip(a, b, strict=True)]
            print(
                f"| {kind} | {statistics.median(a):.2f} ms | {statistics.median(b):.2f} ms | "
                f"**{statistics.median(ratios):.2f}** ({min(ratios):.2f}–{max(ratios):.2f}) |"
            )
        if put:
            tt = blocks["TimeTagger PUT"]
            print(f"\nTimeTagger PUT: median {statistics.median(tt):.2f} ms")
            for name in sides:
                ratios = [x / y for x, y in zip(blocks[f"{name} save"], tt, strict=True)]
                total = sum(blocks[f"{name} save"]) / sum(tt)
                print(
                    f"{name} save ÷ TimeTagger PUT: {total:.2f} × over the run, per block median "
                    f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})"
                )
    finally:
        stop(servers, admin, schema)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Launching the installed app: the app shell's bytes on first load; what a repeat launch asks.

Starts TiPro under gunicorn on a PostgreSQL schema of its own (the helpers of
bench/entries_load.py; `bench/gunicorn_sql.py` logs every request the server answers), then in
`--rounds` rounds, each with a fresh Chromium profile (Debian's Chromium, Playwright's
persistent context, 360 × 740) and a fresh user:

1. **first launch**: the log-in page, log in («Husk meg på denne enheten», as on a phone that
   keeps the app), the start page; the service worker installs and precaches the app shell and
   the outbox fetches the offline data. Every request is recorded (page or service worker,
   answered by the network or by the worker) with its compressed size as transferred
   (Playwright's `Request.sizes()`: the encoded body and the headers).
2. **repeat launch, online**: the browser is closed and launched again on the same profile and
   opens the start page. Recorded: every request started before the page is **usable** — the
   quick entry form (`#entry-form`) is visible, htmx is loaded and has wired the body
   (`window.htmx`, `hx-boost` on `<body>`) — and every request that reached the server by then
   (the server's own log).
3. **repeat launch, offline**: the same, with the browser launched offline
   (`offline=True`, which cuts the service worker off too): no request may reach the server,
   and the page must still become usable.

    .venv/bin/python bench/offline_launch.py --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

import entries_load as el  # noqa: E402  (bench/ is a plain folder, not a package)

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}
# Usable: the quick entry form is shown and htmx has wired the page. The answer is the moment
# (epoch ms, the clock Playwright's request timings use) and the time since navigation start.
USABLE = """() => {
  const form = document.getElementById('entry-form');
  const ready = form && form.checkVisibility() && window.htmx !== undefined
    && document.body.hasAttribute('hx-boost');
  return ready ? [performance.timeOrigin + performance.now(), performance.now()] : false;
}"""
# Installed before the page's own scripts: the page notes the first animation frame in which it
# is usable (a poll started by the bench after `goto` returns would come late, after `load`).
MARK_USABLE = (
    "(() => { const check = " + USABLE + "; const poll = () => { const hit = check(); "
    "if (hit) { window.__usable = hit; } else { requestAnimationFrame(poll); } }; "
    "requestAnimationFrame(poll); })();"
)
IDLE_SECONDS = 1.5  # no request in flight this long: the launch's background work is done
PAGE_TIMEOUT_MS = 30000


@dataclass
class Row:
    """One request as the browser saw it."""

    method: str
    path: str  # with the query
    by: str  # "page" or "worker" (the service worker's own fetch)
    start: float  # epoch ms
    status: int | None = None
    from_worker: bool = False  # a page request the service worker answered
    body: int = 0  # compressed body bytes that travelled (0 when not from the network)
    headers: int = 0
    failed: str | None = None

    @property
    def network(self) -> bool:
        """Went out to the network (not answered by the service worker)."""
        return not self.from_worker and self.failed is None

    @property
    def static(self) -> bool:
        return self.path.startswith("/static/")


@dataclass
class Recorder:
    """Every request of a browser context, its pages and its service worker, never blocking."""

    base: str
    requests: list = field(default_factory=list)
    open: set = field(default_factory=set)
    last_change: float = field(default_factory=time.monotonic)

    def attach(self, context) -> None:
        context.on("request", self._started)
        context.on("requestfinished", self._ended)
        context.on("requestfailed", self._ended)

    def _started(self, request) -> None:
        self.requests.append(request)
        self.open.add(id(request))
        self.last_change = time.monotonic()

    def _ended(self, request) -> None:
        self.open.discard(id(request))
        self.last_change = time.monotonic()

    def wait_idle(self, page, seconds: float = IDLE_SECONDS, limit: float = 30) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if not self.open and time.monotonic() - self.last_change >= seconds:
                return
            page.wait_for_timeout(100)

    def rows(self) -> list[Row]:
        """The finished and failed requests of our server (call once the context is idle)."""
        rows = []
        for request in self.requests:
            if not request.url.startswith(self.base) or id(request) in self.open:
                continue
            parts = urlsplit(request.url)
            row = Row(
                method=request.method,
                path=parts.path + (f"?{parts.query}" if parts.query else ""),
                by="worker" if request.service_worker else "page",
                start=request.timing["startTime"],
                failed=request.failure,
            )
            if row.failed is None:
                response = request.response()
                row.status = response.status if response else None
                row.from_worker = bool(response and response.from_service_worker)
                if not row.from_worker:
                    sizes = request.sizes()
                    row.body = max(sizes["responseBodySize"], 0)
                    row.headers = max(sizes["responseHeadersSize"], 0)
            rows.append(row)
        return rows


class ServerLog:
    """Requests the server answered (`METHOD PATH STATUS`), from bench/gunicorn_sql.py's log."""

    def __init__(self, sql_log: str) -> None:
        self.sql_log = sql_log

    def seen(self) -> Counter:
        counts = el.read_sql_counts(self.sql_log)
        return Counter({key: len(values) for key, values in counts.items()})


def launch(playwright, profile: str, base: str, offline: bool = False):
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, viewport=PHONE, offline=offline
    )
    context.add_init_script(MARK_USABLE)
    recorder = Recorder(base)
    recorder.attach(context)
    page = context.pages[0] if context.pages else context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    return context, recorder, page


def wait_usable(page) -> tuple[float, float]:
    """(epoch ms, ms since navigation start) when the page became usable."""
    handle = page.wait_for_function("() => window.__usable", timeout=PAGE_TIMEOUT_MS)
    at, since_start = handle.json_value()
    return at, since_start


def first_launch(playwright, profile: str, base: str, email: str, log: ServerLog) -> dict:
    before = log.seen()
    context, recorder, page = launch(playwright, profile, base)
    try:
        page.goto(f"{base}/logg-inn")
        page.get_by_label("E-post").fill(email)
        page.get_by_label("Passord").fill(el.PASSWORD)
        page.get_by_label("Husk meg på denne enheten").check()
        page.get_by_role("button", name="Logg inn").click()
        wait_usable(page)
        page.wait_for_function(
            "() => navigator.serviceWorker.controller !== null", timeout=PAGE_TIMEOUT_MS
        )
        recorder.wait_idle(page)
        rows = recorder.rows()
    finally:
        context.close()
    server = log.seen() - before
    return {"rows": rows, "server": server}


def repeat_launch(playwright, profile: str, base: str, log: ServerLog, offline: bool) -> dict:
    before = log.seen()
    context, recorder, page = launch(playwright, profile, base, offline=offline)
    try:
        # As the home-screen icon opens it: the manifest's start_url (/?kilde=app).
        page.goto(f"{base}/?kilde=app")
        usable_at, usable_ms = wait_usable(page)
        at_usable = log.seen() - before
        heading = page.locator("h1").first.inner_text()
        recorder.wait_idle(page)
        rows = recorder.rows()
    finally:
        context.close()
    return {
        "rows": rows,
        "usable_ms": usable_ms,
        "before": [r for r in rows if r.start < usable_at],
        "after": [r for r in rows if r.start >= usable_at],
        "server_at_usable": at_usable,
        "server": log.seen() - before,
        "heading": heading,
    }


# ---------------------------------------------------------------- summaries


def kib(n: float) -> str:
    return f"{n:,.0f} B"


def spread(values: list[float], unit: str = "") -> str:
    low, high, mid = min(values), max(values), statistics.median(values)
    fmt = (lambda v: f"{v:,.0f}") if max(map(abs, values)) >= 100 else (lambda v: f"{v:g}")
    if low == high:
        return f"{fmt(mid)}{unit}"
    return f"{fmt(mid)}{unit} ({fmt(low)}–{fmt(high)})"


def first_figures(run: dict, shell_urls: set[str]) -> dict:
    rows = run["rows"]
    page_net = [r for r in rows if r.by == "page" and r.network]
    worker = [r for r in rows if r.by == "worker" and r.failed is None]
    page_static = {r.path for r in page_net if r.static}
    shell = [r for r in worker if r.path in shell_urls]
    worker_pages = [r for r in worker if r.path not in shell_urls and r.path != "/sw.js"]
    return {
        "requests_browser": len([r for r in rows if r.network]),
        "requests_server": sum(run["server"].values()),
        "page_requests": len(page_net),
        "page_bytes": sum(r.body for r in page_net),
        "page_static_bytes": sum(r.body for r in page_net if r.static),
        "html_bytes": sum(r.body for r in page_net if _is_page_path(r.path)),
        "worker_script_bytes": sum(r.body for r in worker if r.path == "/sw.js"),
        "shell_requests": len(shell),
        "shell_bytes": sum(r.body for r in shell),
        "shell_with_headers": sum(r.body + r.headers for r in shell),
        "shell_again": sum(r.body for r in shell if r.path in page_static),
        "worker_pages": sum(r.body for r in worker_pages),
        "total_bytes": sum(r.body for r in rows if r.network),
        "total_with_headers": sum(r.body + r.headers for r in rows if r.network),
    }


def _is_page_path(path: str) -> bool:
    return not path.startswith(("/static/", "/api/", "/sw.js", "/manifest"))


def shell_urls(base: str) -> set[str]:
    """The app shell as the service worker is told it (`self.TIPRO = {...};` in /sw.js)."""
    first_line = requests.get(f"{base}/sw.js", timeout=10).text.split("\n", 1)[0]
    config = json.loads(first_line.removeprefix("self.TIPRO = ").removesuffix(";"))
    return set(config["shell"])


def repeat_figures(run: dict) -> dict:
    before = run["before"]
    static_network = [r for r in before if r.static and (r.network or r.by == "worker")]
    server_static = sum(
        n for (m, p, s), n in run["server_at_usable"].items() if p.startswith("/static/")
    )
    return {
        "usable_ms": run["usable_ms"],
        "before": len(before),
        "before_from_worker": len([r for r in before if r.from_worker]),
        "before_network": len([r for r in before if r.network]),
        "before_failed": len([r for r in before if r.failed]),
        "static_network": max(len(static_network), server_static),
        "html_network": len([r for r in before if _is_page_path(r.path) and r.by == "worker"])
        + len([r for r in before if _is_page_path(r.path) and r.by == "page" and r.network]),
        "server_at_usable": sum(run["server_at_usable"].values()),
        "server_total": sum(run["server"].values()),
    }


def paths(counter: Counter) -> str:
    if not counter:
        return "none"
    return ", ".join(
        f"`{m} {p}` {s}" + (f" ×{n}" if n > 1 else "") for (m, p, s), n in sorted(counter.items())
    )


def request_list(rows: list[Row]) -> str:
    seen = Counter()
    for r in rows:
        if r.failed:
            how = f"failed ({r.failed})"
        elif r.by == "worker":
            how = "service worker → network"
        elif r.from_worker:
            how = "answered by the service worker"
        else:
            how = "network"
        seen[(r.method, r.path.split("?")[0], how)] += 1
    return "\n".join(
        f"  - `{m} {p}`: {how}" + (f" ×{n}" if n > 1 else "")
        for (m, p, how), n in sorted(seen.items())
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds (at least 3)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads per worker")
    args = parser.parse_args()
    if args.rounds < 3:
        parser.error("--rounds must be at least 3")

    from playwright.sync_api import sync_playwright

    admin, schema, database_url = el.new_schema("bench_launch")
    instance = tempfile.mkdtemp(prefix="tipro-bench-")
    sql_log = os.path.join(instance, "sql")
    log = ServerLog(sql_log)
    servers = []
    rounds = []
    try:
        data = el.seed(database_url, instance, args.rounds)
        server, base = el.start_gunicorn(args, database_url, instance, sql_log)
        servers.append(server)
        shell = shell_urls(base)
        with sync_playwright() as playwright:
            for index in range(args.rounds):
                with tempfile.TemporaryDirectory(prefix="tipro-bench-profile-") as profile:
                    email = data["emails"][index]
                    first = first_launch(playwright, profile, base, email, log)
                    online = repeat_launch(playwright, profile, base, log, offline=False)
                    offline = repeat_launch(playwright, profile, base, log, offline=True)
                rounds.append({"first": first, "online": online, "offline": offline})
                print(f"round {index + 1} done", file=sys.stderr)
    finally:
        el.stop(servers, admin, schema)

    for r in rounds:
        for kind in ("online", "offline"):
            assert r[kind]["heading"].startswith("Hei"), r[kind]["heading"]
        assert sum(r["offline"]["server"].values()) == 0, r["offline"]["server"]

    firsts = [first_figures(r["first"], shell) for r in rounds]
    onlines = [repeat_figures(r["online"]) for r in rounds]
    offlines = [repeat_figures(r["offline"]) for r in rounds]

    def col(figures: list[dict], key: str, unit: str = "") -> str:
        return spread([f[key] for f in figures], unit)

    command = " ".join(
        [".venv/bin/python bench/offline_launch.py", *map(shlex.quote, sys.argv[1:])]
    )
    out = [
        command,
        "",
        f"gunicorn {args.workers} workers × {args.worker_threads} threads on PostgreSQL; Debian "
        f"Chromium, persistent profile, 360 × 740; {args.rounds} rounds, each a fresh profile "
        "and user; median (min–max).",
        "",
        "**First launch** (log-in page → log in → start page; the service worker installs):",
        "",
        "| what | requests | compressed bytes (bodies) |",
        "|---|---:|---:|",
        f"| everything that went to the network (browser) | {col(firsts, 'requests_browser')} | "
        f"{col(firsts, 'total_bytes')} (with headers {col(firsts, 'total_with_headers')}) |",
        f"| … answered by the server (its log) | {col(firsts, 'requests_server')} | |",
        f"| the pages' own fetches (HTML, static, manifest, API) | {col(firsts, 'page_requests')} "
        f"| {col(firsts, 'page_bytes')} |",
        f"| … of which HTML | | {col(firsts, 'html_bytes')} |",
        f"| … of which static files | | {col(firsts, 'page_static_bytes')} |",
        f"| the service worker script `/sw.js` | 1 | {col(firsts, 'worker_script_bytes')} |",
        f"| **the app shell the service worker precaches** | {col(firsts, 'shell_requests')} | "
        f"**{col(firsts, 'shell_bytes')}** (with headers {col(firsts, 'shell_with_headers')}) |",
        f"| … of which fetched a second time (the page had it already) | | "
        f"{col(firsts, 'shell_again')} |",
        f"| the start page as the worker keeps it (network-first) | | "
        f"{col(firsts, 'worker_pages')} |",
        "",
        "**Repeat launch** (browser closed, launched again on the same profile, opens `/`):",
        "",
        "| | online | offline |",
        "|---|---:|---:|",
        f"| usable after (ms since navigation start) | {col(onlines, 'usable_ms')} | "
        f"{col(offlines, 'usable_ms')} |",
        f"| requests started before usable | {col(onlines, 'before')} | "
        f"{col(offlines, 'before')} |",
        f"| … answered by the service worker | {col(onlines, 'before_from_worker')} | "
        f"{col(offlines, 'before_from_worker')} |",
        f"| … to the network (incl. the worker's own fetches) | {col(onlines, 'before_network')} | "
        f"{col(offlines, 'before_network')} |",
        f"| … failed (no network) | {col(onlines, 'before_failed')} | "
        f"{col(offlines, 'before_failed')} |",
        f"| **static files from the network before usable** | **{col(onlines, 'static_network')}** "
        f"| **{col(offlines, 'static_network')}** |",
        f"| … of which the page's HTML (the worker fetches pages network-first) | "
        f"{col(onlines, 'html_network')} | {col(offlines, 'html_network')} (tried, failed) |",
        f"| requests the server answered by then | {col(onlines, 'server_at_usable')} | "
        f"{col(offlines, 'server_at_usable')} |",
        f"| requests the server answered in the whole launch | {col(onlines, 'server_total')} | "
        f"**{col(offlines, 'server_total')}** |",
        "",
        "Round 1 in detail.",
        "",
        "- first launch, the server answered: " + paths(rounds[0]["first"]["server"]),
        "- repeat online, requests before usable:",
        request_list(rounds[0]["online"]["before"]),
        "- repeat online, the server answered by usable: "
        + paths(rounds[0]["online"]["server_at_usable"])
        + "; in the whole launch: "
        + paths(rounds[0]["online"]["server"]),
        "- repeat offline, requests before usable:",
        request_list(rounds[0]["offline"]["before"]),
        "- repeat offline, after usable:",
        request_list(rounds[0]["offline"]["after"]) or "  - none",
        "- repeat offline, the server answered: " + paths(rounds[0]["offline"]["server"]),
    ]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

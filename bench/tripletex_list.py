"""Benchmark: list the large sandbox company with the Tripletex client.

Reports, per list, the rows fetched, HTTP calls made against the minimum ceil(n/count), and the
wall time with an injected per-request latency, compared with two baselines from the same run:
the same listing with no injected latency, and the latency floor calls × latency.

    .venv/bin/python bench/tripletex_list.py [--latency-ms 20] [--count 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tipro.sandbox import SandboxServer  # noqa: E402
from tipro.tripletex import api  # noqa: E402
from tipro.tripletex.client import TripletexClient  # noqa: E402

SPEC = "/work/shared/tripletex/openapi.json"


LISTS = {
    "employees": ("/employee", {}, api.EMPLOYEE_FIELDS),
    "customers (active)": ("/customer", {"isInactive": False}, api.CUSTOMER_FIELDS),
    "customers (inactive)": ("/customer", {"isInactive": True}, api.CUSTOMER_FIELDS),
    "projects": ("/project", {}, api.PROJECT_FIELDS),
}


def run_lists(server: SandboxServer, count: int) -> dict[str, tuple[int, int, float]]:
    """List employees, customers (active + inactive) and projects; (rows, calls, seconds) each."""
    state = server.state
    client = TripletexClient(server.base_url, state.consumer_token, state.employee_token)
    client.who_am_i()  # session creation is not part of the listing
    out: dict[str, tuple[int, int, float]] = {}
    for name, (path, params, fields) in LISTS.items():
        seen = state.count_calls("GET", path)
        started = time.perf_counter()
        result = client.get_list(path, params, fields=fields, count=count)
        out[name] = (len(result), result.calls, time.perf_counter() - started)
        # The client's own count must match what the server saw.
        assert state.count_calls("GET", path) - seen == result.calls, name
    client.close()
    return out


def _row(name, rows, calls, minimum, plain, base, with_lat, latency) -> None:
    floor = calls * latency
    added = with_lat - base
    print(
        f"| {name} | {rows} | {calls} | {minimum} | {plain} | {base * 1000:.0f} ms "
        f"| {with_lat * 1000:.0f} ms | {added * 1000:.0f} ms | {floor * 1000:.0f} ms "
        f"| {added / floor:.2f} |"
    )


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    latency = args.latency_ms / 1000

    started = time.perf_counter()
    with SandboxServer(seed="large", spec_path=SPEC) as server:
        print(f"sandbox (seed=large) up in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        base_runs = [run_lists(server, args.count) for _ in range(args.repeat)]
        server.state.faults.inject_latency(latency)
        lat_runs = [run_lists(server, args.count) for _ in range(args.repeat)]
        server.state.faults.inject_latency(0)
        violations = server.state.violations

    print(f"latency {args.latency_ms:g} ms/request, count={args.count}, median of {args.repeat}")
    print()
    print(
        "| list | rows | calls | min ceil(n/count) | plain paging | no latency | with latency "
        "| added | calls×latency | added ÷ (calls×latency) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    totals = [0, 0, 0, 0, 0.0, 0.0]
    for name in base_runs[0]:
        rows, calls, _ = lat_runs[0][name]
        minimum = max(1, math.ceil(rows / args.count))
        plain = rows // args.count + 1  # stop at a short page: one empty page on exact multiples
        base = statistics.median(r[name][2] for r in base_runs)
        with_lat = statistics.median(r[name][2] for r in lat_runs)
        totals = [
            a + b
            for a, b in zip(totals, [rows, calls, minimum, plain, base, with_lat], strict=True)
        ]
        _row(name, rows, calls, minimum, plain, base, with_lat, latency)
    _row("**total**", *totals, latency)
    print()
    print(f"spec violations recorded by the sandbox: {len(violations)}")


if __name__ == "__main__":
    main()

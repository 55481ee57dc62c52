"""Benchmark: full master-data sync of the sandbox's large seed at 20 ms injected latency.

    .venv/bin/python bench/sync_large.py [--latency 0.02] [--database-url URL]

Prints API calls against the minimum (one call per page of 1,000 rows per list; the session
is reused from connecting) and the wall time. Uses a temporary SQLite database unless
--database-url is given.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def minimum_calls(state) -> dict[str, int]:
    """Pages a perfect client needs per list: ceil(rows / 1000), at least one."""
    customers = state.all("customer")
    sizes = {
        "divisions": len(state.all("division")),
        "departments": len(state.all("department")),
        "employees": len([e for e in state.all("employee") if not e.get("isContact")]),
        "customers (active)": len([c for c in customers if not c.get("isInactive")]),
        "customers (inactive)": len([c for c in customers if c.get("isInactive")]),
        "activities": len(state.all("activity")),
        "projects": len(state.all("project")),
        "salary_types": len(state.all("salaryType")),
        "vat_types": len(state.all("vatType")),
        "products": len(state.all("product")),
        "hourly_rates": len(state.all("hourlyRate")),
    }
    return {k: max(1, math.ceil(n / 1000)) for k, n in sizes.items()}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from tipro.sandbox import SandboxServer

    started = time.perf_counter()
    sandbox = SandboxServer(seed="large", spec_path=os.environ.get("TIPRO_TRIPLETEX_SPEC"))
    print(f"sandbox with large seed ready in {time.perf_counter() - started:.1f} s")
    instance = Path(tempfile.mkdtemp(prefix="tipro-bench-"))
    from tipro import create_app

    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{instance / 'b.sqlite'}",
            "REDIS_URL": None,
            "TRIPLETEX_API_URL": sandbox.base_url,
            "TRIPLETEX_CONSUMER_TOKEN": sandbox.state.consumer_token,
            "PUBLIC_URL": "http://tipro.invalid",
        }
    )
    try:
        with app.app_context():
            from flask_migrate import upgrade

            from tipro.extensions import db
            from tipro.models import Company
            from tipro.sync.connection import connect
            from tipro.sync.services import run_inline, settings

            upgrade()
            company = Company(name=f"Bench {time.time_ns()}")
            db.session.add(company)
            db.session.commit()
            connect(db.session, company, sandbox.state.employee_token, settings())
            sandbox.state.faults.inject_latency(args.latency)
            t0 = time.perf_counter()
            run = run_inline(company.id, full=True)
            wall = time.perf_counter() - t0
            assert run.status == "done", run.error_message
            minimum = minimum_calls(sandbox.state)
            floor = sum(minimum.values())
            print(f"full sync: {run.status}, {run.created} rows created")
            for step in run.steps:
                print(
                    f"  {step.data_type:<13} {step.api_calls:>3} calls "
                    f"{step.duration_seconds:6.2f} s  {step.created:>6} created"
                )
            over = (run.api_calls - floor) / floor * 100
            print(f"API calls: {run.api_calls} (minimum {floor}, {over:+.1f} %)")
            print(f"wall time at {args.latency * 1000:.0f} ms latency: {wall:.1f} s")
            t1 = time.perf_counter()
            again = run_inline(company.id)
            print(
                f"incremental sync with nothing changed: {again.api_calls} calls, "
                f"{time.perf_counter() - t1:.1f} s, {again.updated} updated"
            )
            return 0 if over <= 5 else 1
    finally:
        sandbox.stop()


if __name__ == "__main__":
    raise SystemExit(main())

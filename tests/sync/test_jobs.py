"""tipro.jobs plumbing as the sync uses it: inline without Redis, the job id in log lines."""

from __future__ import annotations

import logging

from tipro import jobs


def _double(company_id: int, value: int) -> tuple[int | None, int]:
    from tipro.tenancy import current_company_id

    return current_company_id(), value * 2


def test_without_redis_the_job_runs_here_inside_its_company_scope(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    with app.app_context():
        result = jobs.run_or_enqueue(jobs.company_job(_double), 7, 21, job_id="x")
    assert result == (7, 42)


def test_log_records_carry_the_job_id():
    record = logging.LogRecord("tipro", logging.INFO, __file__, 1, "hello", (), None)
    assert jobs.JobIdFilter().filter(record) and record.job_id == "-"  # outside a job

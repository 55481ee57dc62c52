"""Drift check job: `run_check(company_id, request_id)` (RQ worker, or inline without Redis).

Takes the id of the «check» audit event that asked for it; the result is appended as a
«checked» event (tipro.reports.reconcile)."""

from __future__ import annotations

from tipro import jobs


@jobs.company_job
def run_check(company_id: int, request_id: int) -> str:
    """Job: read the month in Tripletex and record its drift (an answered request: nothing)."""
    from tipro.reports import reconcile

    result = reconcile.run_check(request_id)
    if result is None:
        return "skipped"
    return "error" if result.get("error") else "done"

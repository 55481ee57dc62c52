"""Transfer job: `run_batch(company_id, batch_id)` (RQ worker, or inline without Redis)."""

from __future__ import annotations

from tipro import jobs
from tipro.extensions import db
from tipro.models.transfer import TransferBatch


@jobs.company_job
def run_batch(company_id: int, batch_id: int) -> str:
    """Job: run one batch (a finished batch is left alone; settled items are skipped)."""
    from tipro.transfers.runner import Runner

    batch = Runner(batch_id).run()
    if batch is None:
        return "missing"
    state = batch.state
    db.session.commit()
    return state


__all__ = ["TransferBatch", "run_batch"]

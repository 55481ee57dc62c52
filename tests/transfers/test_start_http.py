"""«Bekreft og overfør» over real HTTP, on SQLite (`tipro run`) and PostgreSQL (gunicorn):
one transfer per company and kind, however many presses arrive at once. There is no worker:
the started run stays queued, which is what the guard must see."""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD
from tests.factories import (
    new_activity,
    new_company,
    new_employee,
    new_entry,
    new_project,
    new_user,
)
from tests.race import Browser, fire, in_db
from tests.sync.test_runs_http import queue_redis, target  # noqa: F401 (module fixtures)

pytestmark = pytest.mark.slow

MONTH = "2026-11"
DAYS = [date(2026, 11, d) for d in (2, 3, 4, 5, 6)]


@pytest.fixture
def scene(target, queue_redis):  # noqa: F811
    """A connected company with a week of approved hours in November and its admin."""
    if queue_redis.process is None:
        queue_redis.start()
    tag = secrets.token_hex(3)

    def seed(db):
        from tipro.models import Period

        company = new_company(f"Overføring {tag} AS", tripletex_status="connected")
        admin = new_user(company, "admin", email=f"admin-{tag}@overforing.no", name="Admin")
        employee = new_employee(company, "Kari")
        worker = new_user(company, "employee", name="Kari", employee_id=employee.id)
        project = new_project(company, "101", "Nybygg")
        activity = new_activity(company, "Montering")
        for day in DAYS:
            new_entry(worker, day, project_id=project.id, activity_id=activity.id, state="approved")
        db.session.add(
            Period(
                company_id=company.id,
                user_id=worker.id,
                kind="month",
                first_day=date(2026, 11, 1),
                last_day=date(2026, 11, 30),
                state="approved",
                total_hours=Decimal("37.5"),
            )
        )
        db.session.commit()
        return {"company": company.id, "email": admin.email}

    app = target.app()
    return {**in_db(app, seed), "app": app}


def _batches(scene) -> list[tuple[int, bool, str]]:
    from tipro.models import TransferBatch

    query = (
        select(TransferBatch.id, TransferBatch.dry_run, TransferBatch.state)
        .where(TransferBatch.company_id == scene["company"])
        .order_by(TransferBatch.id)
    )
    return in_db(scene["app"], lambda db: [tuple(row) for row in db.session.execute(query)])


def test_parallel_confirm_presses_start_exactly_one_transfer(target, scene):  # noqa: F811
    admins = [Browser(target.base_url).login(scene["email"], TEST_PASSWORD) for _ in range(6)]
    answer = admins[0].post("/admin/overforinger/forhandsvis", {"kind": "payroll", "month": MONTH})
    assert answer.status_code == 303, answer.text[:500]  # to the preview
    [(preview, dry_run, _state)] = _batches(scene)
    assert dry_run
    answers = fire(6, lambda i: admins[i].post(f"/admin/overforinger/{preview}/bekreft", {}))
    codes = [a.status_code if hasattr(a, "status_code") else repr(a) for a in answers]
    assert all(isinstance(c, int) and c < 400 for c in codes), codes
    real = [b for b in _batches(scene) if not b[1]]
    assert len(real) == 1, _batches(scene)  # one run; every other press is sent to it
    # Pressing again later still finds it, on either database.
    again = admins[1].post(f"/admin/overforinger/{preview}/bekreft", {})
    assert again.status_code < 400
    assert len([b for b in _batches(scene) if not b[1]]) == 1

"""`tipro demo`: TiPro plus the Tripletex sandbox, a connected and synced demo company, logins."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

import click
from flask.cli import with_appcontext

DEMO_CONSUMER_TOKEN = "demo-consumer-token"  # noqa: S105 - the sandbox's, public
DEMO_EMPLOYEE_TOKEN = "demo-employee-token-1234"  # noqa: S105 - the sandbox's, public
DEMO_COMPANY = "Fjellheim Bygg AS"
# Users carry the synced employees' e-mails, so they are linked to them by the sync.
DEMO_USERS = (
    ("ingrid@fjellheimbygg.no", "admin", "demo-admin-1", "Ingrid Fjellheim"),
    ("jonas@fjellheimbygg.no", "approver", "demo-approver-1", "Jonas Kristiansen"),
    ("ola@fjellheimbygg.no", "employee", "demo-employee-1", "Ola Nordmann"),
)

log = logging.getLogger(__name__)
# Beside a checkout in the TiPro workspace; a plain clone has no spec and runs without checks.
DEFAULT_SPEC = Path(__file__).resolve().parents[2] / "shared" / "tripletex" / "openapi.json"


def demo_spec_path() -> str | None:
    """The spec the demo sandbox validates against: TIPRO_TRIPLETEX_SPEC or the default."""
    configured = os.environ.get("TIPRO_TRIPLETEX_SPEC")
    if configured:
        return configured
    return str(DEFAULT_SPEC) if DEFAULT_SPEC.is_file() else None


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--sandbox-port", default=8090, show_default=True, type=int)
@with_appcontext
def demo_command(host: str, port: int, sandbox_port: int) -> None:
    """Start TiPro med Tripletex-sandkassen og et ferdig synkronisert demofirma."""
    from flask import current_app

    from tipro.launcher import Launcher, ensure_port_free
    from tipro.sandbox import SandboxServer

    spec = demo_spec_path()
    ensure_port_free(host, port)
    ensure_port_free("127.0.0.1", sandbox_port, "--sandbox-port")
    sandbox = SandboxServer(
        host="127.0.0.1",
        port=sandbox_port,
        seed="demo",
        spec_path=spec,
        consumer_token=DEMO_CONSUMER_TOKEN,
        employee_token=DEMO_EMPLOYEE_TOKEN,
    )
    os.environ["TIPRO_TRIPLETEX_API_URL"] = sandbox.base_url
    os.environ["TIPRO_TRIPLETEX_CONSUMER_TOKEN"] = DEMO_CONSUMER_TOKEN
    # Loopback http: the sandbox delivers webhooks to it (real Tripletex needs https).
    os.environ.setdefault("TIPRO_PUBLIC_URL", f"http://{host}:{port}")
    try:
        Launcher(
            current_app.instance_path,
            host=host,
            port=port,
            after_start=lambda: set_up_demo(sandbox.base_url, spec),
        ).run()
    finally:
        sandbox.stop()


def set_up_demo(sandbox_url: str, spec: str | None = None) -> list[str]:
    """Company, connection, full sync, users and sample hours; reuses what exists."""
    from sqlalchemy import select, update

    from tipro.auth.services import create_company, create_user, set_password
    from tipro.extensions import db
    from tipro.models import Company, User
    from tipro.models.sync import SYNC_ACTIVE, SYNC_FAILED, SyncRun
    from tipro.sync.connection import connect
    from tipro.sync.services import run_inline, settings

    company = db.session.scalar(select(Company).where(Company.name == DEMO_COMPANY))
    if company is None:
        company = create_company(DEMO_COMPANY)
    # Runs left "running" by an earlier demo that was stopped mid-sync.
    db.session.execute(
        update(SyncRun)
        .where(SyncRun.company_id == company.id, SyncRun.status.in_(SYNC_ACTIVE))
        .values(status=SYNC_FAILED, error_message="Avbrutt da demoen ble stoppet.")
    )
    db.session.commit()
    # The sandbox is new on every start: connect again (new session, new webhooks).
    connect(db.session, company, DEMO_EMPLOYEE_TOKEN, settings())
    run = run_inline(company.id, full=True, trigger="demo")
    lines = [
        f"Tripletex-sandkasse: {sandbox_url}  (API-nøkkel {DEMO_EMPLOYEE_TOKEN})",
        f"  kontrollerer kall mot {spec}"
        if spec
        else "  (ingen openapi.json funnet: kall kontrolleres ikke mot spesifikasjonen)",
        f"Demofirma {DEMO_COMPANY}: synkronisert ({run.status}, {run.api_calls} API-kall)",
    ]
    for email, role, password, name in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = create_user(company, email, role, password=password, name=name)
        else:
            set_password(user, password)
        lines.append(f"  {role:<9} {email:<28} passord {password}")
    db.session.commit()
    # A second sync links the new users to their employees by e-mail (no API calls if unchanged).
    run_inline(company.id, trigger="demo")
    lines += _sample_hours(company.id)
    return lines


def _sample_hours(company_id: int) -> list[str]:
    """Some hours for the demo employee this week and last, if the entries service exists."""
    try:
        from tipro.entries.services import EntryInput, derived_uuid, save_entry
    except ImportError:
        return []
    from sqlalchemy import select

    from tipro.entries.pickers import activities_for, projects_for
    from tipro.errors import UserError
    from tipro.extensions import db
    from tipro.models import User
    from tipro.tenancy import company_scope
    from tipro.ui import today_in_oslo

    made = 0
    with company_scope(company_id):
        user = db.session.scalar(select(User).where(User.email == DEMO_USERS[2][0]))
        if user is None or user.employee_id is None:
            return []
        today = today_in_oslo()
        for back in range(1, 10):
            day = today - timedelta(days=back)
            if day.weekday() >= 5:
                continue
            projects = projects_for(user.employee_id, day)
            if not projects:
                continue
            project = projects[back % len(projects)]
            activities = activities_for(project.id, day)
            if not activities:
                continue
            # Customer projects get billable work (the project's own or a chargeable
            # activity), internal ones the first allowed, so the demo looks like real weeks.
            activity = next(
                (a for a in activities if a.is_chargeable and not project.is_internal),
                activities[0],
            )
            try:
                save_entry(
                    user,
                    EntryInput(
                        date=day,
                        project_id=project.id,
                        activity_id=activity.id,
                        hours="7,5",
                        comment="Demo",
                    ),
                    entry_uuid=derived_uuid("demo", company_id, day.isoformat()),
                )
                made += 1
            except UserError as error:  # e.g. a locked week: sample data only
                log.info("demo hours for %s skipped: %s", day, error)
    return [f"Eksempeltimer for {DEMO_USERS[2][3]}: {made} dager"] if made else []

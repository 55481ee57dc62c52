"""`tipro demo`: TiPro plus the Tripletex sandbox, a connected and synced demo company, logins."""

from __future__ import annotations

import logging
import os
from datetime import date, datetime, time, timedelta
from pathlib import Path

import click
from flask.cli import with_appcontext

from tipro import clock

DEMO_CONSUMER_TOKEN = "demo-consumer-token"  # noqa: S105 - the sandbox's, public
DEMO_EMPLOYEE_TOKEN = "demo-employee-token-1234"  # noqa: S105 - the sandbox's, public
DEMO_COMPANY = "Fjellheim Bygg AS"
# Users carry the synced employees' e-mails, so they are linked to them by the sync.
DEMO_USERS = (
    ("ingrid@fjellheimbygg.no", "admin", "demo-admin-1", "Ingrid Fjellheim"),
    ("jonas@fjellheimbygg.no", "approver", "demo-approver-1", "Jonas Kristiansen"),
    ("ola@fjellheimbygg.no", "employee", "demo-employee-1", "Ola Nordmann"),
)

# For tests only: pins the demo's clock (web and sample hours) to noon of this day, e.g.
# TIPRO_DEMO_TODAY=2026-11-18. Read by `tipro demo` alone, never by the app or the worker.
DEMO_TODAY_ENV = "TIPRO_DEMO_TODAY"

log = logging.getLogger(__name__)
# Beside a checkout in the TiPro workspace; a plain clone has no spec and runs without checks.
DEFAULT_SPEC = Path(__file__).resolve().parents[2] / "shared" / "tripletex" / "openapi.json"


def demo_spec_path() -> str | None:
    """The spec the demo sandbox validates against: TIPRO_TRIPLETEX_SPEC or the default."""
    configured = os.environ.get("TIPRO_TRIPLETEX_SPEC")
    if configured:
        return configured
    return str(DEFAULT_SPEC) if DEFAULT_SPEC.is_file() else None


def pin_clock_from_env() -> bool:
    """Pin the clock to TIPRO_DEMO_TODAY (tests), so the demo's week does not depend on today."""
    value = os.environ.get(DEMO_TODAY_ENV)
    if not value:
        return False
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.ClickException(f"{DEMO_TODAY_ENV} må være en dato (ÅÅÅÅ-MM-DD).") from None
    clock.set_now(datetime.combine(day, time(12)))
    return True


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

    pinned = pin_clock_from_env()
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
    if pinned:
        sandbox.state.set_now(clock.now())  # the sandbox's sessions expire by the same day
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
    lines += _extras_types(company.id)
    lines += _sample_hours(company.id)
    return lines


def _extras_types(company_id: int) -> list[str]:
    """The usual supplement and absence types, as the admin's «Opprett standardtyper» makes
    them, so «Fravær» and the supplements work in the demo from the start."""
    from sqlalchemy import select

    from tipro.admin.extras_services import create_default_types
    from tipro.extensions import db
    from tipro.models import User
    from tipro.tenancy import company_scope

    with company_scope(company_id):
        admin = db.session.scalar(select(User).where(User.email == DEMO_USERS[0][0]))
        supplements, absence = create_default_types(admin)
    if not supplements and not absence:
        return []
    return [f"Standardtyper: {supplements} tillegg og {absence} fraværstyper"]


def sample_days(today: date) -> list[tuple[date, str]]:
    """The demo's sample hours as (day, hours): a lived-in current week on any weekday.

    Last week's working days are complete; this week has every working day from Monday up to
    today, today with the morning so far. On a Monday that is Monday's morning; on a weekend the
    whole week.
    """
    monday = clock.monday_of(today)
    last_week = [monday - timedelta(days=7 - i) for i in range(5)]
    this_week = [
        monday + timedelta(days=i) for i in range(5) if monday + timedelta(days=i) <= today
    ]
    return [(day, "4" if day == today else "7,5") for day in last_week + this_week]


def _sample_hours(company_id: int) -> list[str]:
    """Hours for the demo employee (see sample_days)."""
    from sqlalchemy import select

    from tipro.entries.inputs import EntryInput
    from tipro.entries.parsing import derived_uuid
    from tipro.entries.pickers import activities_for, projects_for
    from tipro.entries.services import save_entry
    from tipro.errors import UserError
    from tipro.extensions import db
    from tipro.models import User
    from tipro.tenancy import company_scope

    made = 0
    with company_scope(company_id):
        user = db.session.scalar(select(User).where(User.email == DEMO_USERS[2][0]))
        if user is None or user.employee_id is None:
            return []
        for number, (day, hours) in enumerate(sample_days(clock.today()), start=1):
            projects = projects_for(user.employee_id, day)
            if not projects:
                continue
            project = projects[number % len(projects)]
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
                        hours=hours,
                        comment="Demo",
                    ),
                    entry_uuid=derived_uuid("demo", company_id, day.isoformat()),
                )
                made += 1
            except UserError as error:  # e.g. a locked week: sample data only
                log.info("demo hours for %s skipped: %s", day, error)
    return [f"Eksempeltimer for {DEMO_USERS[2][3]}: {made} dager"] if made else []

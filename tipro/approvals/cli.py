"""`tipro approve` and `tipro periods`: approval from the command line, for admins.

`approve` acts as the company's first (lowest id) enabled admin, so the audit log names a real
person and the approval services apply their usual rules; a company without an admin is
refused. A period key names a week («2026-W48») or a calendar month («2026-11»): every
submitted period sharing a day with it is taken (a month in week mode also takes the weeks
across its first and last days).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from decimal import Decimal

import click
from flask.cli import with_appcontext

from tipro.commands import fail, with_company

STATE_LABELS = {
    None: "ikke sendt inn",
    "taken_back": "ikke sendt inn (tatt tilbake)",
    "submitted": "sendt inn",
    "approved": "godkjent",
    "returned": "sendt tilbake",
    "reopened": "åpnet igjen",
}


def _span(key: str):
    from tipro.approvals import periods
    from tipro.errors import UserError

    try:
        return periods.parse_key(key)
    except UserError as error:
        fail(error.message)


def _first_admin(company):
    from sqlalchemy import select

    from tipro.extensions import db
    from tipro.models import User

    admin = db.session.scalar(
        select(User)
        .where(User.role == "admin", User.is_enabled.is_(True))
        .order_by(User.id)
        .limit(1)
    )
    if admin is None:
        fail(
            f"firmaet «{company.name}» har ingen aktiv administrator, og godkjenning fra "
            "kommandolinjen gjøres i en administrators navn. Opprett en med "
            "`tipro user create --role admin`."
        )
    return admin


def _person(email: str | None):
    from sqlalchemy import select

    from tipro.auth.services import normalise_email
    from tipro.extensions import db
    from tipro.models import User

    if email is None:
        return None
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        fail(f"fant ingen bruker med e-post {email} i firmaet.")
    return user


def _who(user) -> str:
    return f"{user.display_name} <{user.email}>" if user.name else user.email


def _hours(value) -> str:
    from tipro import i18n

    return f"{i18n.hours(value or Decimal('0'))} t"


def _submitted(span, user=None) -> list:
    from sqlalchemy import select

    from tipro.extensions import db
    from tipro.models import Period
    from tipro.models.approval import PERIOD_SUBMITTED

    query = (
        select(Period)
        .where(
            Period.state == PERIOD_SUBMITTED,
            Period.first_day <= span.last,
            Period.last_day >= span.first,
        )
        .order_by(Period.first_day, Period.user_id)
    )
    if user is not None:
        query = query.where(Period.user_id == user.id)
    return list(db.session.scalars(query))


@click.command("approve")
@click.option("--period", "period_key", required=True, help="2026-11 (måned) eller 2026-W48 (uke).")
@click.option("--employee", "employee_email", default=None, help="Bare denne personens perioder.")
@click.option(
    "--all-clean", is_flag=True, help="Godkjenn periodene uten feil, hopp over dem med feil."
)
@with_appcontext
@with_company
def approve_command(company, period_key: str, employee_email: str | None, all_clean: bool):
    """Godkjenn innsendte perioder (som firmaets første administrator)."""
    from tipro.approvals import periods, services
    from tipro.errors import UserError

    span = _span(period_key)
    actor = _first_admin(company)
    person = _person(employee_email)
    found = _submitted(span, person)
    click.echo(f"Godkjenner som {_who(actor)}.")
    if not found:
        click.echo(f"Ingen innsendte perioder venter i {span.label}.")
        return
    if all_clean:
        outcome = services.approve_all_clean(actor, found)
        for period in outcome.approved:
            click.echo(f"Godkjent: {_who(period.user)}, {periods.period_label(period)}")
        for period, reasons in outcome.skipped:
            click.echo(
                f"Hoppet over: {_who(period.user)}, {periods.period_label(period)}", err=True
            )
            for reason in reasons:
                click.echo(f"  - {reason}", err=True)
        click.echo(f"{len(outcome.approved)} godkjent, {len(outcome.skipped)} hoppet over.")
        if outcome.skipped:
            sys.exit(1)
        return

    checked = [(p.id, services.run_preflight(p.id, fresh=True)) for p in found]
    blocked = [(pid, [p for p in problems if p.blocking]) for pid, problems in checked]
    blocked = [(pid, problems) for pid, problems in blocked if problems]
    if blocked:
        _print_blocked(blocked)
        sys.exit(1)
    failed = 0
    for period_id, problems in checked:
        try:
            period = services.approve(actor, period_id, problems=problems)
        except UserError as error:
            failed += 1
            period = services.get_visible(actor, period_id)
            click.echo(
                f"Ikke godkjent: {_who(period.user)}, {periods.period_label(period)}: "
                f"{error.message}",
                err=True,
            )
            continue
        state = "godkjent" if period.state == "approved" else "venter på kunden"
        click.echo(f"Godkjent: {_who(period.user)}, {periods.period_label(period)} ({state})")
    if failed:
        sys.exit(1)


def _print_blocked(blocked) -> None:
    from tipro.extensions import db
    from tipro.models import Period

    click.echo(
        "Ingenting er godkjent: disse periodene har feil som må rettes først "
        "(eller bruk --all-clean for å godkjenne resten):",
        err=True,
    )
    by_person = defaultdict(list)
    for period_id, problems in blocked:
        period = db.session.get(Period, period_id)
        by_person[period.user_id].append((period, problems))
    for items in by_person.values():
        click.echo(f"{_who(items[0][0].user)}:", err=True)
        for period, problems in items:
            from tipro.approvals.periods import period_label

            click.echo(f"  {period_label(period)}:", err=True)
            for problem in problems:
                hint = f" ({problem.hint})" if problem.hint else ""
                click.echo(f"    - {problem.message}{hint}", err=True)


@click.command("periods")
@click.option("--period", "period_key", required=True, help="2026-11 (måned) eller 2026-W48 (uke).")
@with_appcontext
@with_company
def periods_command(company, period_key: str):
    """Vis hver aktive persons periode(r) i tidsrommet: tilstand og timer."""
    from sqlalchemy import func, select

    from tipro import clock
    from tipro.approvals import periods, services
    from tipro.extensions import db
    from tipro.models import Period, TimeEntry, User

    span = _span(period_key)
    kind = services.kind_of(company)
    users = list(
        db.session.scalars(
            select(User).where(User.is_enabled.is_(True)).order_by(User.name, User.email)
        )
    )
    spans = [s for s in periods.spans_overlapping(kind, span.first, span.last)]
    first = min([span.first, *(s.first for s in spans)])
    last = max([span.last, *(s.last for s in spans)])
    rows = defaultdict(list)
    for period in db.session.scalars(
        select(Period)
        .where(Period.first_day <= span.last, Period.last_day >= span.first)
        .order_by(Period.first_day, Period.id)
    ):
        rows[period.user_id].append(period)
    daily = defaultdict(dict)
    for uid, day, total in db.session.execute(
        select(TimeEntry.user_id, TimeEntry.date, func.sum(TimeEntry.hours))
        .where(TimeEntry.date.between(first, last))
        .group_by(TimeEntry.user_id, TimeEntry.date)
    ):
        daily[uid][day] = total

    def total(uid, a, b) -> Decimal:
        return sum((h for d, h in daily[uid].items() if a <= d <= b), Decimal("0"))

    today = clock.today()
    click.echo(f"{company.name}: {span.label} ({'uker' if kind == 'week' else 'måneder'})")
    for user in users:
        lines = []
        for period in rows[user.id]:
            hours = total(user.id, period.first_day, period.last_day)
            lines.append((period.first_day, periods.period_label(period), period.state, hours))
        for s in spans:
            if s.first > today or any(
                p.first_day <= s.last and p.last_day >= s.first for p in rows[user.id]
            ):
                continue
            lines.append((s.first, s.label, None, total(user.id, s.first, s.last)))
        if not lines:
            continue
        click.echo(_who(user))
        for _first, label, state, hours in sorted(lines, key=lambda item: item[0]):
            click.echo(f"  {label}: {STATE_LABELS.get(state, state)}, {_hours(hours)}")

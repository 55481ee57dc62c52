"""Approval pages: the person's periods (submit with confirmation, take back) and «Godkjenning».

Every action is a real form that POSTs and redirects (303) with a flash; with htmx the
approver's forms post from their period card and get the card back. Refusals from the
services (tipro.approvals.services, the only writer) come back as Norwegian messages; a period
the actor may not see is a 404 whatever the reason (another department or company).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from tipro import clock, htmx
from tipro.approvals import bp, forms, periods, services, summary
from tipro.approvals.periods import Span
from tipro.entries import parsing
from tipro.entries import rules as entry_rules
from tipro.errors import UserError
from tipro.extensions import db
from tipro.models import Period, User
from tipro.models.approval import PERIOD_APPROVED, PERIOD_SUBMITTED
from tipro.security import MAX_ID, parse_id, role_required

# Sent after a period changed state (the week page and lists may listen).
PERIODS_CHANGED = "periods-changed"
TAB_RECENT = "behandlet"


class WrongKind(UserError):
    """A week key in a company that hands in months (or the other way round): 404."""

    status = 404


@bp.context_processor
def approval_words():
    return {"period_states": summary.PERIOD_STATES, "line_states": summary.LINE_STATES}


# ---------------------------------------------------------------- the person's periods


def _target_user() -> User:
    """The person whose period is meant: `bruker` from the query or form, else oneself."""
    text = request.values.get("bruker", "")
    if not text or text == str(current_user.id):
        return current_user
    user_id = parse_id(text)
    user = db.session.scalar(select(User).where(User.id == user_id)) if user_id else None
    if user is None:
        abort(404)
    return user


def _bruker(user: User) -> int | None:
    """The `bruker` parameter for links about `user` (None for oneself)."""
    return None if user.id == current_user.id else user.id


def _span(key: str, user: User) -> Span:
    """The key's span; of the company's kind, or of a kind the person once handed in."""
    span = periods.parse_key(key)
    if span.kind != services.kind_of(user.company) and (
        periods.period_of(user.id, span.kind, span.first) is None
    ):
        if span.kind == "week":
            raise WrongKind(_("Firmaet leverer timer per måned. Velg en måned, som 2026-11."))
        raise WrongKind(_("Firmaet leverer timer per uke. Velg en uke, som 2026-W48."))
    return span


def _may_see(user: User, row: Period | None) -> bool:
    if user.id == current_user.id:
        return True
    if row is not None:
        return services.may_view(current_user, row)
    return entry_rules.can_manage_for(current_user, user)


def _period_context(user: User, span: Span, row: Period | None) -> dict:
    item = summary.summarise(current_user.company, [(span, user, row)], with_entries=True)[0]
    manage = entry_rules.can_manage_for(current_user, user)
    locked = row is not None and row.is_locked
    state = row.state if row is not None else None
    untouched = row is not None and all(
        line.decided_at is None and line.state == "waiting" for line in row.lines
    )
    weeks = sorted({parsing.iso_week(day) for day in span.days()})
    return {
        "s": item,
        "span": span,
        "user": user,
        "own": user.id == current_user.id,
        "bruker": _bruker(user),
        "names": summary.names_for([row]) if row is not None else {},
        "may_submit": manage and not locked,
        "refusal": _submit_refusal(span, item, locked),
        "may_take_back": manage and state == PERIOD_SUBMITTED and untouched,
        "decidable": services.decidable(current_user, row) if state == PERIOD_SUBMITTED else [],
        "may_reopen": current_user.has_role("admin") and state == PERIOD_APPROVED,
        "weeks": weeks if manage and not locked else [],
        "previous": span.previous(),
        "next": span.next(),
    }


def _submit_refusal(span: Span, item: summary.Summary, locked: bool) -> str | None:
    """Why the confirmation page offers no button (the service refuses the same cases)."""
    if locked:
        return _("Perioden er allerede sendt inn.")
    if span.first > clock.today():
        return _("Perioden har ikke begynt ennå, så den kan ikke sendes inn.")
    if not item.entries:
        return _("Perioden har ingen timer. En tom periode kan ikke sendes inn.")
    return None


@bp.get("/perioder")
def periods_page():
    """The person's last periods with their state (reachable from the week page)."""
    user = _target_user()
    if not entry_rules.can_manage_for(current_user, user):
        abort(404)
    rows = summary.recent_spans(user, services.kind_of(user.company))
    return render_template(
        "approvals/periods.html", rows=rows, user=user, bruker=_bruker(user), today=clock.today()
    )


@bp.get("/perioder/<key>")
def period(key: str):
    user = _target_user()
    span = _span(key, user)
    row = periods.period_of(user.id, span.kind, span.first)
    if not _may_see(user, row):
        abort(404)
    return render_template("approvals/period.html", **_period_context(user, span, row))


@bp.route("/perioder/<key>/send-inn", methods=["GET", "POST"])
def submit(key: str):
    """GET: the confirmation naming the period and its total; POST: hand it in."""
    user = _target_user()
    if not entry_rules.can_manage_for(current_user, user):
        abort(404)
    span = _span(key, user)
    back = url_for(".period", key=span.key, bruker=_bruker(user))
    if request.method == "GET":
        row = periods.period_of(user.id, span.kind, span.first)
        return render_template("approvals/submit.html", **_period_context(user, span, row))
    try:
        found = services.submit(current_user, span, for_user=user)
    except UserError as error:
        return _refused_redirect(error, back)
    flash(
        _(
            "%(period)s er sendt inn med %(hours)s timer.",
            period=periods.period_label(found).capitalize(),
            hours=_hours(found.total_hours),
        )
    )
    return redirect(back, 303)


@bp.post("/perioder/<key>/ta-tilbake")
def take_back(key: str):
    user = _target_user()
    if not entry_rules.can_manage_for(current_user, user):
        abort(404)
    span = _span(key, user)
    back = url_for(".period", key=span.key, bruker=_bruker(user))
    row = periods.period_of(user.id, span.kind, span.first)
    try:
        if row is None:
            raise services.ApprovalRefused(_("Bare en innsendt periode kan tas tilbake."))
        services.take_back(current_user, row.id)
    except UserError as error:
        return _refused_redirect(error, back)
    flash(_("Perioden er tatt tilbake. Du kan endre timene og sende den inn igjen."))
    return redirect(back, 303)


def _hours(value) -> str:
    from tipro.i18n import hours

    return hours(value)


def _refused_redirect(error: UserError, back: str):
    """A refusal: the message as an error flash and back to where the form was (303)."""
    if getattr(error, "status", 422) == 404:
        raise error
    flash(error.message, "error")
    return redirect(back, 303)


# ---------------------------------------------------------------- Godkjenning


@dataclass
class Card:
    """One period on the approver's list: what it shows and what the viewer may do."""

    summary: summary.Summary
    decidable: list = field(default_factory=list)
    message: str | None = None
    error: str | None = None

    @property
    def period(self) -> Period:
        return self.summary.period


def _cards(found: list[Period]) -> list[Card]:
    items = summary.summarise_periods(current_user.company, found)
    return [Card(item, services.decidable(current_user, item.period)) for item in items]


@bp.get("/godkjenning")
@role_required("approver")
def index():
    tab = TAB_RECENT if request.args.get("vis") == TAB_RECENT else ""
    found = summary.recently_decided(current_user) if tab else services.waiting_for(current_user)
    return render_template(
        "approvals/index.html",
        cards=_cards(found),
        names=summary.names_for(found),
        tab=tab,
        back=url_for(".index", vis=tab or None),
    )


def _card_response(period_id: int, *, message=None, error=None, status=200):
    """The period's card alone (an htmx answer), after an action or with its refusal."""
    found = services.get_visible(current_user, period_id)
    card = _cards([found])[0]
    card.message, card.error = message, error
    html = render_template(
        "approvals/_card.html",
        card=card,
        names=summary.names_for([found]),
        back=forms.posted_next() or url_for(".index"),
    )
    html += render_template("approvals/_nav_count.html", oob=True)
    return htmx.changed(html, PERIODS_CHANGED, status=status)


def _who(period_id: int) -> str:
    found = services.get_visible(current_user, period_id)
    return f"{found.user.display_name}, {periods.period_label(found)}"


def _act(period_id: int, action, done) -> object:
    """Run a service action on one period; answer the card (htmx) or redirect with a flash."""
    back = forms.posted_next() or url_for(".index")
    if period_id > MAX_ID:
        abort(404)  # ids are INTEGER columns; a larger number would fail in PostgreSQL
    try:
        result = action()
    except UserError as error:
        if getattr(error, "status", 422) == 404:
            raise
        db.session.rollback()
        if htmx.wants_fragment():
            status = getattr(error, "status", 422)
            return _card_response(period_id, error=error.message, status=status)
        flash(f"{_who(period_id)}: {error.message}", "error")
        return redirect(back, 303)
    message = done(result)
    if htmx.wants_fragment():
        return _card_response(period_id, message=message)
    flash(message)
    return redirect(back, 303)


def _approved_text(found: Period) -> str:
    name = found.user.display_name
    label = periods.period_label(found)
    if found.state == PERIOD_APPROVED:
        return _("Godkjent: %(name)s, %(period)s.", name=name, period=label)
    return _(
        "Godkjent for din del: %(name)s, %(period)s. Resten venter på andre.",
        name=name,
        period=label,
    )


@bp.post("/godkjenning/<int:period_id>/godkjenn")
@role_required("approver")
def approve(period_id: int):
    lines = forms.posted_lines()
    return _act(
        period_id,
        lambda: services.approve(current_user, period_id, project_ids=lines),
        _approved_text,
    )


@bp.post("/godkjenning/<int:period_id>/send-tilbake")
@role_required("approver")
def send_back(period_id: int):
    comment = forms.posted_text("kommentar")
    lines = forms.posted_lines()
    return _act(
        period_id,
        lambda: services.return_period(current_user, period_id, comment, project_ids=lines),
        lambda found: _(
            "Sendt tilbake til %(name)s med kommentaren.", name=found.user.display_name
        ),
    )


@bp.post("/godkjenning/<int:period_id>/sjekk")
@role_required("approver")
def recheck(period_id: int):
    """«Sjekk på nytt»: the pre-flight again, with a fresh read from Tripletex."""
    if period_id > MAX_ID:
        abort(404)
    services.get_visible(current_user, period_id)

    def done(problems) -> str:
        blocking = sum(1 for p in problems if p.blocking)
        if blocking:
            return ngettext(
                "Sjekket på nytt: %(num)d feil må rettes.",
                "Sjekket på nytt: %(num)d feil må rettes.",
                blocking,
            )
        return _("Sjekket på nytt: ingen feil som hindrer godkjenning.")

    return _act(period_id, lambda: services.run_preflight(period_id, fresh=True), done)


@bp.post("/godkjenning/<int:period_id>/godkjenn-likevel")
@role_required("admin")
def override(period_id: int):
    """An admin approves over blocking problems, with a reason (recorded)."""
    reason = forms.posted_text("begrunnelse")

    def action():
        services.get_visible(current_user, period_id)
        if not reason.strip():
            raise UserError(_("Skriv hvorfor du godkjenner tross feilene."), "begrunnelse")
        return services.approve(current_user, period_id, override_reason=reason)

    return _act(period_id, action, _approved_text)


@bp.post("/godkjenning/<int:period_id>/apne-igjen")
@role_required("admin")
def reopen(period_id: int):
    reason = forms.posted_text("begrunnelse")
    return _act(
        period_id,
        lambda: services.reopen(current_user, period_id, reason),
        lambda found: _(
            "%(period)s for %(name)s er åpnet igjen. Timene kan endres og må godkjennes på nytt.",
            period=periods.period_label(found).capitalize(),
            name=found.user.display_name,
        ),
    )


@bp.post("/godkjenning/alle")
@role_required("approver")
def approve_all():
    """«Godkjenn alle uten feil»: approves the clean ones, lists the skipped ones and why."""
    outcome = services.approve_all_clean(current_user)
    if not outcome.approved and not outcome.skipped:
        flash(_("Ingen perioder venter på godkjenning."))
    if outcome.approved:
        flash(
            ngettext(
                "Godkjente %(num)d periode.",
                "Godkjente %(num)d perioder.",
                len(outcome.approved),
            )
        )
    for found, reasons in outcome.skipped:
        who = f"{found.user.display_name}, {periods.period_label(found)}" if found else "?"
        flash(_("Hoppet over %(who)s: %(why)s", who=who, why=" ".join(reasons)), "warning")
    return redirect(url_for(".index"), 303)

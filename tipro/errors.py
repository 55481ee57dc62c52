"""Friendly Norwegian error pages, and the one exception type services raise.

A browser without JavaScript gets a whole error page. An htmx request (boosted or not) gets the
message as a fragment swapped into the page's message region (`#page-message` in base.html), so
the page keeps its navigation and whatever the user typed into a form.
"""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf

from tipro import htmx

# The element in base.html that shows an error answered to an htmx request.
MESSAGE_REGION = "#page-message"
# Carries a fresh CSRF token with the expired-form answer; tipro.js puts it into the page.
CSRF_TOKEN_HEADER = "X-CSRF-Token"  # noqa: S105 - a header name, not a secret


class UserError(Exception):
    """A rule the user broke; `message` is shown to them (already translated)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def error_page(status: int, title: str, message: str):
    """The whole error page, or for htmx the message swapped into the message region."""
    context = {"status": status, "title": title, "message": message}
    if not htmx.is_htmx():
        return render_template("errors/error.html", **context), status
    fragment = render_template("errors/_error.html", inline=True, **context)
    return htmx.retarget((fragment, status), MESSAGE_REGION)


def init_app(app: Flask) -> None:
    @app.errorhandler(UserError)
    def refused(error: UserError):
        # A refusal no route turned into a form answer (a malformed date, week or line in a
        # query or hidden field): its own 4xx status and message, never a 500.
        return error_page(getattr(error, "status", 422), _("Ugyldig forespørsel"), error.message)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if not htmx.is_htmx():
            return error_page(
                400,
                _("Skjemaet er utløpt"),
                _("Siden var åpen for lenge. Last siden på nytt og prøv igjen."),
            )
        # The form stays on the page as typed; with a fresh token, sending it again works.
        response = error_page(
            400,
            _("Skjemaet er utløpt"),
            _("Siden var åpen for lenge, så det du sendte ble ikke lagret. Send det på nytt."),
        )
        response.headers[CSRF_TOKEN_HEADER] = generate_csrf()
        return response

    @app.errorhandler(400)
    def bad_request(error):
        return error_page(400, _("Ugyldig forespørsel"), _("Noe i forespørselen var ugyldig."))

    @app.errorhandler(403)
    def forbidden(error):
        return error_page(403, _("Ingen tilgang"), _("Du har ikke tilgang til denne siden."))

    @app.errorhandler(404)
    def not_found(error):
        return error_page(404, _("Fant ikke siden"), _("Siden eller objektet finnes ikke."))

    @app.errorhandler(405)
    def method_not_allowed(error):
        return error_page(405, _("Ikke tillatt"), _("Denne handlingen er ikke tillatt her."))

    @app.errorhandler(413)
    def too_large(error):
        return error_page(
            413, _("For mye data"), _("Det du sendte var for stort. Prøv med mindre tekst.")
        )

    @app.errorhandler(429)
    def too_many(error):
        return error_page(429, _("For mange forsøk"), _("Vent litt og prøv igjen."))

    @app.errorhandler(500)
    def server_error(error):
        from tipro.extensions import db

        # After a database error the transaction is aborted; the page itself queries (the
        # timer badge), so start clean or the friendly page would fail as well.
        db.session.rollback()
        return error_page(
            500,
            _("Noe gikk galt"),
            _("Det oppstod en feil hos oss. Ingenting er tapt – prøv igjen om litt."),
        )

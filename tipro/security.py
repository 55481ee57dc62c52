"""Log-in, role and header rules applied to every route from one place."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from urllib.parse import unquote_to_bytes, urlsplit

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tipro import htmx
from tipro.errors import error_page
from tipro.tenancy import enter_company, leave_company
from tipro.tripletex.redact import redact as redact_tokens

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def public(view: Callable) -> Callable:
    """Mark a view as reachable without logging in (log-in page, health check, webhooks)."""
    view.tipro_public = True  # type: ignore[attr-defined]
    return view


def role_required(role: str) -> Callable:
    """Allow the view for users whose role is at least `role`; others get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated or not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


MAX_ID = 2**31 - 1  # ids are INTEGER columns; a larger number would fail in PostgreSQL


def parse_id(value) -> int | None:
    """A positive id from untrusted text (ASCII digits only, within INTEGER), else None."""
    text = str(value if value is not None else "").strip()
    # str.isdigit() alone also accepts '²' and '٣', which int() rejects or reads oddly.
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def safe_next_url(target: str | None) -> str | None:
    """Accept only a local path as a post-login redirect (no scheme, host or '//')."""
    if not target:
        return None
    target = target.strip().replace("\\", "/")
    if not target.isprintable():
        return None  # a line break or NUL would end up in the Location header
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def redact(value):
    """A log argument with Tripletex tokens in URLs replaced by '***'."""
    return redact_tokens(value) if isinstance(value, str) else value


class RedactTokens(logging.Filter):
    """urllib3 logs each request URL at DEBUG; the session request has the tokens in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) for a in record.args)
        return True


def install_log_redaction() -> None:
    """Add the token filter to the loggers that see Tripletex URLs (once per process)."""
    for name in ("urllib3.connectionpool", "requests"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())


def _is_utf8_form_encoded(raw: bytes) -> bool:
    """True when every name and value of `a=b&c=d` (percent-decoded) is valid UTF-8."""
    for part in raw.replace(b";", b"&").split(b"&"):
        try:
            unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


def _has_valid_text() -> bool:
    """Query string and form data are UTF-8 (Werkzeug would keep a bad `%FF` as literal text)."""
    if not _is_utf8_form_encoded(request.query_string):
        return False
    if request.mimetype == "application/x-www-form-urlencoded":
        # Cached: the form is parsed from the same bytes afterwards.
        return _is_utf8_form_encoded(request.get_data(cache=True, parse_form_data=False))
    if request.mimetype == "multipart/form-data":
        # Werkzeug decodes multipart fields with replacement characters.
        return not any("\ufffd" in value for value in request.form.values())
    return True


def _refuse_invalid_text():
    """One check for every route: text that is not UTF-8 is refused, never stored."""
    if _has_valid_text():
        return None
    return error_page(
        400,
        _("Ugyldige tegn"),
        _("Det du sendte inneholdt tegn som ikke kan leses. Skriv teksten på nytt og send igjen."),
    )


def _require_login():
    view = current_app.view_functions.get(request.endpoint or "")
    if request.endpoint == "static" or view is None or getattr(view, "tipro_public", False):
        return None
    if not current_user.is_authenticated:
        if htmx.is_htmx():
            # htmx cannot follow a redirect to a full page; tell it to load the log-in page.
            return htmx.redirect_page(current_app.response_class(status=401), url_for("auth.login"))
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    request.environ["tipro.company_token"] = enter_company(current_user.company_id)
    return None


def _leave_company(_exc=None):
    token = request.environ.pop("tipro.company_token", None)
    if token is not None:
        leave_company(token)


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if response.mimetype == "text/html" or htmx.is_htmx() or "HX-Request" in response.vary:
        # Any HTML URL may answer htmx with a fragment; the full page must say so too, or a
        # cache (the service worker) could hand the page out for the fragment or vice versa.
        response.vary.add("HX-Request")
    if request.endpoint == "static":
        return response  # tipro.assets sets the lifetime; no user is loaded for a file
    if current_user and getattr(current_user, "is_authenticated", False):
        # Pages with one person's hours must never be stored by shared caches.
        headers.setdefault("Cache-Control", "private, no-store")
    return response


def init_app(app: Flask) -> None:
    install_log_redaction()
    # First of all before-request functions: the raw bytes are read before anything (the CSRF
    # check) parses the form from them.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_invalid_text)
    app.before_request(_require_login)
    app.teardown_request(_leave_company)
    app.after_request(_security_headers)

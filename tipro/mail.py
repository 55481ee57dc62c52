"""E-mail through Flask-Mailman: the SMTP server from TIPRO_SMTP_URL, sent from TIPRO_MAIL_SENDER.

`problem()` says in Norwegian why TiPro cannot send (nothing configured, a missing sender, a
URL it cannot read); features that mail check it first, say so on their page and send
nothing. Settings are read when a mail is sent, not at start-up, so a bad URL never stops the
app. Mails are plain text with a simple HTML alternative, rendered from templates/mail/ in the
recipient's language; links point to TIPRO_PUBLIC_URL (`absolute_url`), also from a job.

URL forms: smtp://host:25 (plain), smtp+tls://user:pass@host:587 (STARTTLS; also
smtp://…?starttls=1), smtps://user:pass@host:465 (TLS from the start). User and password are
percent-encoded in the URL (an @ in a user name is %40).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mailman import EmailMultiAlternatives, Mail

from tipro.models.people import LANGUAGES

mail = Mail()

DEFAULT_TIMEOUT = 20
_SCHEMES = {"smtp": (False, False), "smtp+tls": (True, False), "smtps": (False, True)}
_DEFAULT_PORTS = {"smtp": 25, "smtp+tls": 587, "smtps": 465}


class MailNotConfigured(RuntimeError):
    """send() without a usable SMTP configuration; the message is Norwegian."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool  # STARTTLS
    use_ssl: bool  # TLS from the start


def parse_smtp_url(url: str) -> SmtpSettings:
    """smtp[s|+tls]://[user[:password]@]host[:port][?starttls=1] → settings; ValueError if not."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError(_("adressen må begynne med smtp://, smtp+tls:// eller smtps://"))
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError as error:
        raise ValueError(_("ugyldig portnummer")) from error
    if not parts.hostname:
        raise ValueError(_("vertsnavn mangler"))
    use_tls, use_ssl = _SCHEMES[scheme]
    starttls = parse_qs(parts.query).get("starttls", [""])[0].lower()
    if starttls in ("1", "true", "yes", "ja") and not use_ssl:
        use_tls = True
    return SmtpSettings(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        use_tls=use_tls,
        use_ssl=use_ssl,
    )


def problem() -> str | None:
    """Why TiPro cannot send e-mail now (Norwegian), or None when it can."""
    url = current_app.config.get("SMTP_URL") or ""
    if not url:
        return _("E-post er ikke satt opp (TIPRO_SMTP_URL mangler), så TiPro sender ingen e-post.")
    try:
        parse_smtp_url(url)
    except ValueError as error:
        return _("TIPRO_SMTP_URL kan ikke leses: %(why)s. TiPro sender ingen e-post.", why=error)
    if "@" not in (current_app.config.get("MAIL_SENDER") or ""):
        return _(
            "Avsenderadressen for e-post er ikke satt (TIPRO_MAIL_SENDER), "
            "så TiPro sender ingen e-post."
        )
    return None


def is_configured() -> bool:
    return problem() is None


@contextmanager
def connection() -> Iterator:
    """One SMTP connection for several messages (closed afterwards); refuses when unset."""
    why = problem()
    if why:
        raise MailNotConfigured(why)
    smtp = parse_smtp_url(current_app.config["SMTP_URL"])
    conn = mail.get_connection(
        backend="smtp",
        host=smtp.host,
        port=smtp.port,
        username=smtp.username or "",
        password=smtp.password or "",
        use_tls=smtp.use_tls,
        use_ssl=smtp.use_ssl,
        timeout=current_app.config.get("MAIL_TIMEOUT") or DEFAULT_TIMEOUT,
    )
    conn.open()
    try:
        yield conn
    finally:
        conn.close()


def language_of(user) -> str:
    return user.language if getattr(user, "language", None) in LANGUAGES else "nb"


def render(template: str, language: str, subject: str | None = None, **context):
    """(subject, text, html) from mail/<template>.txt and .html in `language`.

    `subject` may be a callable (evaluated in the recipient's language) or a string.
    """
    with force_locale(language):
        text = render_template(f"mail/{template}.txt", language=language, **context)
        html = render_template(f"mail/{template}.html", language=language, **context)
        title = subject() if callable(subject) else (subject or "")
    return title, text, html


def message(to: str, subject: str, text: str, html: str) -> EmailMultiAlternatives:
    """A plain-text mail with an HTML alternative, from the configured sender."""
    msg = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=current_app.config.get("MAIL_SENDER"),
        to=[to],
    )
    msg.attach_alternative(html, "text/html")
    return msg


def absolute_url(endpoint: str, **values) -> str:
    """A link into TiPro for a mail (TIPRO_PUBLIC_URL + the route), request or no request."""
    base = urlsplit(current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000")
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


def init_app(app: Flask) -> None:
    """Register Flask-Mailman; the SMTP settings are read per send (see `connection`)."""
    mail.init_app(app)

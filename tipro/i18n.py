"""Language choice and Norwegian number/date formatting."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from flask import Flask, g, has_request_context, session
from flask_babel import (
    format_currency,
    format_date,
    format_decimal,
    get_locale,
    get_translations,
)
from flask_login import current_user

from tipro.extensions import babel
from tipro.models.people import LANGUAGES

LANGUAGE_NAMES = {"nb": "Norsk (bokmål)", "en": "English"}


def select_locale() -> str:
    """The user's chosen language, else the session's, else Norwegian Bokmål."""
    if not has_request_context():  # CLI and jobs speak Norwegian
        return "nb"
    if current_user and getattr(current_user, "is_authenticated", False):
        if current_user.language in LANGUAGES:
            return current_user.language
    chosen = session.get("language")
    return chosen if chosen in LANGUAGES else "nb"


def hours(value: Decimal | float | int | None) -> str:
    """7.5 → '7,5' in nb; always at least one and at most two decimals."""
    if value is None:
        return ""
    return _hours(str(get_locale()), Decimal(value))


# Pages and answers print the same few amounts and days over and over, and Babel parses its
# pattern on every call: each is formatted once per process, locale and format.
@lru_cache(maxsize=4096)
def _hours(_locale: str, value: Decimal) -> str:
    return format_decimal(value, format="#,##0.0#")


def money(value: Decimal | float | int | None, currency: str = "NOK") -> str:
    """An amount in the current locale, e.g. 'kr 1 250,00'."""
    if value is None:
        return ""
    return format_currency(Decimal(value), currency)


def day(value: date | datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):  # shown in the user's time zone: not cached
        return format_date(value, fmt)
    return _day(str(get_locale()), value, fmt)


@lru_cache(maxsize=4096)
def _day(_locale: str, value: date, fmt: str) -> str:
    return format_date(value, fmt)


def _translations():
    """Flask-Babel's translations for this request, looked up once per request and locale.

    A page has dozens of `_()`; Flask-Babel resolves context, domain and locale on every one.
    The hit is kept beside Flask-Babel's own per-request state and used only while that
    state's locale is the same object (`refresh()` and `force_locale` replace it).
    """
    state = g.get("_flask_babel")  # templates render within an app context
    if state is not None:
        hit = getattr(state, "tipro_translations", None)
        if hit is not None and hit[0] is getattr(state, "babel_locale", None):
            return hit[1]
    translations = get_translations()
    state = g.get("_flask_babel")
    if state is not None:
        state.tipro_translations = (getattr(state, "babel_locale", None), translations)
    return translations


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(hours=hours, money=money, day=day)
    # Templates' gettext through the per-request lookup above (same strings, same plurals).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )

    @app.context_processor
    def language_context():
        return {
            "current_language": str(get_locale() or "nb"),
            "language_names": LANGUAGE_NAMES,
        }

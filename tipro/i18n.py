"""Language choice and Norwegian number/date formatting."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Flask, has_request_context, session
from flask_babel import format_currency, format_date, format_decimal, get_locale
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
    return format_decimal(Decimal(value), format="#,##0.0#")


def money(value: Decimal | float | int | None, currency: str = "NOK") -> str:
    """An amount in the current locale, e.g. 'kr 1 250,00'."""
    if value is None:
        return ""
    return format_currency(Decimal(value), currency)


def day(value: date | datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_date(value, fmt)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(hours=hours, money=money, day=day)

    @app.context_processor
    def language_context():
        return {
            "current_language": str(get_locale() or "nb"),
            "language_names": LANGUAGE_NAMES,
        }

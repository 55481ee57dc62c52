"""Health of the parts TiPro depends on."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import text

from tipro.extensions import db


def check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as error:  # health must report, not raise
        db.session.rollback()
        return f"feil: {type(error).__name__}"


def check_redis() -> str:
    from tipro.jobs import redis_connection

    if not current_app.config.get("REDIS_URL"):
        return "ikke konfigurert"
    try:
        redis_connection().ping()
        return "ok"
    except Exception as error:  # health must report, not raise
        return f"feil: {type(error).__name__}"

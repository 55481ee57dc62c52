from tipro import __version__
from tipro.http import json_response
from tipro.main import bp, services
from tipro.security import public


@bp.get("/")
def index():
    from tipro.entries.routes import today_page  # the start page is today's hours

    return today_page()


@bp.get("/healthz")
@public
def healthz():
    database = services.check_database()
    redis = services.check_redis()
    healthy = database == "ok" and redis == "ok"
    body = {
        "status": "ok" if healthy else "feil",
        "database": database,
        "redis": redis,
        "version": __version__,
    }
    return json_response(body, 200 if healthy else 503)


@bp.app_context_processor
def period_reminders():
    """`overdue_periods()` for the start page: the user's past periods not handed in."""

    def overdue_periods():
        from flask_login import current_user

        from tipro.approvals.reminders import overdue_for

        if not current_user.is_authenticated:
            return []
        return overdue_for(current_user)

    return {"overdue_periods": overdue_periods}

"""Time registration: today, week, timer, absence (the one writer is tipro.entries.services)."""

from flask import Blueprint

bp = Blueprint("entries", __name__)

from tipro.entries import absence_routes, routes, timer_routes, week_routes  # noqa: E402,F401

"""Time registration: today, week, timer (the one writer is tipro.entries.services)."""

from flask import Blueprint

bp = Blueprint("entries", __name__)

from tipro.entries import absence_routes, routes  # noqa: E402,F401

"""Incoming Tripletex webhooks: verify, record, enqueue a targeted refresh, answer at once."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__)

from tipro.webhooks import routes  # noqa: E402,F401

from flask import Blueprint

bp = Blueprint("admin", __name__)

from tipro.admin import extras_routes, routes  # noqa: E402,F401

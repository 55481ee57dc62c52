from flask import Blueprint

bp = Blueprint("admin", __name__)

from tipro.admin import extras_routes, routes, tripletex_routes  # noqa: E402,F401

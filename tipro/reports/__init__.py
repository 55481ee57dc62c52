"""Reports, month close, my overview, exports and reconciliation with Tripletex.

Reads only: queries aggregate in the database over approved/registered entries. routes.py holds
the report pages and exports, close_routes.py month close and «Min oversikt», reconcile_routes.py
the drift check of transferred periods against Tripletex.
"""

from flask import Blueprint

bp = Blueprint("reports", __name__)


from tipro.reports import close_routes, reconcile_routes, routes  # noqa: E402,F401

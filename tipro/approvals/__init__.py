"""Approval of handed-in periods (week or month): submit, take back, approve, return, reopen.

services.py is the only writer of period state; periods.py the calendar and lock reads;
preflight.py the checks against synced data and Tripletex; routes for the person and approvers.
"""

from flask import Blueprint

bp = Blueprint("approvals", __name__)


@bp.app_template_filter("period_label")
def period_label_filter(period) -> str:
    from tipro.approvals.periods import period_label

    return period_label(period)


from tipro.approvals import (  # noqa: E402,F401
    admin_routes,
    change_request_routes,
    routes,
    signoff_routes,
)

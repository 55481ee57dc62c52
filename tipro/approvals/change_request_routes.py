"""Change requests over HTTP: the offline app sends and reads them (JSON), approvers decide
them under «Endringsønsker» on «Godkjenning» (forms that POST and redirect with a flash).

The JSON API answers refusals as `{"error": message}` with a 4xx status, like the sync API.
"""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tipro.approvals import bp, change_requests, forms, periods
from tipro.errors import UserError
from tipro.extensions import db
from tipro.http import BadJson, json_body, json_error, json_response
from tipro.security import MAX_ID, role_required


@bp.context_processor
def _change_request_helpers():
    def for_me():
        return [change_requests.view_of(r) for r in change_requests.pending_for(current_user)]

    return {
        "change_requests_for_me": for_me,
        "change_request_may_accept": lambda r: change_requests.may_accept(current_user, r),
    }


# ---------------------------------------------------------------- the person (JSON)


@bp.post("/api/v1/change-requests")
@role_required("employee")
def change_request_create():
    """`{"entry": {…one sync item…}, "message": "…"}` → 201 with the request."""
    try:
        body = json_body()
    except BadJson as bad:
        return bad.response
    if not isinstance(body, dict) or "entry" not in body:
        return json_error(_("Forventet et JSON-objekt med «entry»."))
    try:
        found = change_requests.create(current_user, body["entry"], body.get("message"))
    except UserError as error:
        db.session.rollback()
        return json_error(error.message, getattr(error, "status", 422))
    return json_response({"change_request": change_requests.as_json(found)}, 201)


@bp.get("/api/v1/change-requests")
@role_required("employee")
def change_requests_mine():
    """The person's waiting requests and the outcomes not yet dismissed."""
    found = change_requests.mine(current_user)
    return json_response({"change_requests": [change_requests.as_json(r) for r in found]})


@bp.post("/api/v1/change-requests/<int:change_request_id>/sett")
@role_required("employee")
def change_request_seen(change_request_id: int):
    """«OK» on an outcome: it leaves the person's start page."""
    if change_request_id > MAX_ID:
        abort(404)
    try:
        found = change_requests.mark_seen(current_user, change_request_id)
    except change_requests.ChangeRequestNotFound:
        abort(404)
    return json_response({"change_request": change_requests.as_json(found)})


# ---------------------------------------------------------------- approvers


def _decision(change_request_id: int, action):
    back = forms.posted_next() or url_for(".index")
    if change_request_id > MAX_ID:
        abort(404)
    try:
        message = action()
    except change_requests.ChangeRequestNotFound:
        abort(404)
    except UserError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(back, 303)
    flash(message)
    return redirect(back, 303)


@bp.post("/godkjenning/endringer/<int:change_request_id>/godta")
@role_required("approver")
def change_request_accept(change_request_id: int):
    def action() -> str:
        done = change_requests.accept(current_user, change_request_id)
        name = done.request.user.display_name
        period = periods.period_label(done.period).capitalize() if done.period else ""
        if not done.saved:
            return _(
                "%(period)s for %(name)s er åpnet igjen, men registreringen ble ikke lagret: "
                "%(why)s %(name)s må føre den selv og sende inn perioden på nytt.",
                period=period,
                name=name,
                why=done.problem,
            )
        return _(
            "Endringsønsket er godtatt: %(period)s for %(name)s er åpnet igjen og timene er "
            "lagt inn. %(name)s må sende inn perioden på nytt.",
            period=period,
            name=name,
        )

    return _decision(change_request_id, action)


@bp.post("/godkjenning/endringer/<int:change_request_id>/avsla")
@role_required("approver")
def change_request_decline(change_request_id: int):
    reason = forms.posted_text("begrunnelse")

    def action() -> str:
        found = change_requests.decline(current_user, change_request_id, reason)
        return _("Endringsønsket fra %(name)s er avslått.", name=found.user.display_name)

    return _decision(change_request_id, action)

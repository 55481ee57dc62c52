"""Incoming Tripletex webhooks: verify, record, start a targeted refresh, answer at once."""

from flask import jsonify, request
from sqlalchemy import select

from tipro.extensions import csrf, db
from tipro.models.sync import TripletexConnection
from tipro.security import public
from tipro.sync import webhooks_bp as bp
from tipro.sync.connection import WEBHOOK_HEADER, verify_webhook_secret
from tipro.sync.engine import WEBHOOK_SUBJECTS
from tipro.sync.services import record_webhook
from tipro.tenancy import company_scope

MAX_BODY_BYTES = 1024 * 1024


@bp.post("/webhooks/tripletex/<key>")
@public
@csrf.exempt
def tripletex(key: str):
    """A Tripletex event delivery; the body only names what to refresh."""
    # Deliveries are small JSON; refuse a flood before reading it (413).
    request.max_content_length = MAX_BODY_BYTES
    row = db.session.scalar(
        select(TripletexConnection).where(TripletexConnection.webhook_key == key[:64])
    )
    if row is None:
        return jsonify({"error": "not found"}), 404
    if not verify_webhook_secret(row, request.headers.get(WEBHOOK_HEADER)):
        return jsonify({"error": "unauthorized"}), 401
    payload = request.get_json(silent=True)
    event = payload.get("event") if isinstance(payload, dict) else None
    object_id = payload.get("id") if isinstance(payload, dict) else None
    subject, _, verb = (event or "").partition(".")
    if (
        subject not in WEBHOOK_SUBJECTS
        or verb not in ("create", "update", "delete")
        or not isinstance(object_id, int)
        or isinstance(object_id, bool)
        or not 0 < object_id < 2**63  # the pending change's BIGINT column holds no more
    ):
        return jsonify({"error": "bad request"}), 400
    # A public endpoint has no logged-in company: the verified key names it.
    with company_scope(row.company_id):
        record_webhook(row.company_id, WEBHOOK_SUBJECTS[subject], object_id, event)
    return jsonify({"ok": True}), 200

"""JSON answers with an ETag, so a client that has the data gets 304 Not Modified.

The offline app polls its data; `json_response` is what its routes return. The ETag is weak
(`W/"…"`): it names the JSON content, whatever compression the response travels in.
"""

from __future__ import annotations

import hashlib
import json

from flask import current_app, request
from werkzeug.wrappers import Response


def json_response(data, status: int = 200) -> Response:
    """`data` as JSON; a 200 carries an ETag and becomes 304 when If-None-Match has it."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    response = current_app.response_class(body, status=status, mimetype="application/json")
    if status == 200:
        response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32], weak=True)
        response.make_conditional(request)
    return response

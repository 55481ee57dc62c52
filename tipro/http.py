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


def json_error(message: str, status: int = 400) -> Response:
    """A refusal of the JSON API: `{"error": message}` with a 4xx status."""
    return json_response({"error": message}, status)


class BadJson(Exception):
    """The request's body is not the JSON the API takes; `response` says why (415 or 400)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def json_body():
    """The request's JSON body, strictly: JSON content type, no NaN/Infinity. Raises BadJson."""
    from flask_babel import gettext as _

    if request.mimetype != "application/json":
        raise BadJson(json_error(_("Forventet JSON (Content-Type: application/json)."), 415))
    try:
        return json.loads(request.get_data(), parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise BadJson(json_error(_("Ugyldig JSON."))) from None


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")

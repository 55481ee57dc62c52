"""The one token redaction: Tripletex tokens out of URLs, paths, queries and error texts.

Used by the client (request log entries, error texts), the sync engine (run errors) and the
log filter on urllib3/requests (tipro.security), so a token never reaches a log or a page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

REDACTED = "***"
SECRET_PARAMS = frozenset({"consumerToken", "employeeToken", "token"})

# PUT /token/session/:create carries the tokens in its query; requests and urllib3 name the
# whole URL in their messages.
_SECRET_QUERY = re.compile(r"((?:consumerToken|employeeToken|token)=)[^&\s'\")]+", re.IGNORECASE)
# DELETE /token/session/{token} carries the session token in the path (":create" and
# ">whoAmI", also percent-encoded, are endpoints, not tokens).
_SESSION_IN_PATH = re.compile(r"(/token/session/)(?![:>]|%3E)[^\s?'\")]+", re.IGNORECASE)


def redact(text: str) -> str:
    """Text (a URL, a path, an error message) with any token values replaced by ***."""
    return _SESSION_IN_PATH.sub(r"\1" + REDACTED, _SECRET_QUERY.sub(r"\1" + REDACTED, text))


def redact_query(params: Mapping[str, str]) -> dict[str, str]:
    """Query parameters with the token parameters' values replaced by ***."""
    return {k: (REDACTED if k in SECRET_PARAMS else v) for k, v in params.items()}

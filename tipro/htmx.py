"""The one place that tells what kind of request htmx sent and sets htmx response headers.

htmx sends `HX-Request` for every request it makes, including boosted links and forms
(`hx-boost` on <body>). A boosted request wants a whole page (htmx swaps the body); only an
un-boosted htmx request wants a fragment. Routes ask `wants_fragment()`, never the headers.
"""

from __future__ import annotations

from flask import make_response, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response


def is_htmx() -> bool:
    """Any request made by htmx (boosted or not)."""
    return bool(getattr(request, "htmx", False))


def is_boosted() -> bool:
    """A boosted link or form: htmx swaps the whole body, so answer with a whole page."""
    return is_htmx() and bool(request.htmx.boosted)


def wants_fragment() -> bool:
    """An htmx request that swaps part of the page: answer with a fragment."""
    return is_htmx() and not request.htmx.boosted


def target() -> str | None:
    """The id of the element htmx will swap into (without '#'), if any."""
    return request.headers.get("HX-Target") if is_htmx() else None


def changed(response: ResponseReturnValue, *events: str, status: int | None = None) -> Response:
    """Tell listening parts of the page that something changed (`HX-Trigger`)."""
    response = make_response(response) if status is None else make_response(response, status)
    if events:
        existing = response.headers.get("HX-Trigger")
        names = [e for e in (existing.split(", ") if existing else []) if e]
        names += [e for e in events if e not in names]
        response.headers["HX-Trigger"] = ", ".join(names)
    return response


def retarget(response: ResponseReturnValue, selector: str, swap: str = "innerHTML") -> Response:
    """Swap the answer somewhere else than the element that asked (e.g. an error box)."""
    response = make_response(response)
    response.headers["HX-Retarget"] = selector
    response.headers["HX-Reswap"] = swap
    return response


def redirect_page(response: Response, location: str) -> Response:
    """Make htmx load `location` as a full page (a 302 would be followed inside the swap)."""
    response.headers["HX-Redirect"] = location
    return response

"""What the approval forms post, read from untrusted text (CSRF is checked for every POST)."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from tipro.entries.parsing import BadInput
from tipro.security import MAX_ID, safe_next_url

# The per-line approve button posts the line's project id; 0 is the line without project.
LINE_FIELD = "prosjekt"


def posted_text(name: str) -> str:
    """A free-text field (comment, reason); the service checks required and length."""
    return request.form.get(name, "")


def posted_lines() -> list[int] | None:
    """None: every line the actor may decide; else [project id] (0 = hours without project)."""
    text = request.form.get(LINE_FIELD, "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 10 or int(text) > MAX_ID:
        raise BadInput(_("Ugyldig linje i perioden."), LINE_FIELD)
    return [int(text)]


def posted_next() -> str | None:
    """Where to go after the action: a local path the form names, else None."""
    return safe_next_url(request.form.get("next"))

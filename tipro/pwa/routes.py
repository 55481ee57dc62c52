"""The offline app's URLs: manifest, service worker, offline page, offline data, sync.

The JSON API answers every refusal as `{"error": message}` with a 4xx status; the batch is
read and checked whole (tipro.pwa.services) before anything is stored.
"""

from __future__ import annotations

import json

from flask import abort, current_app, render_template, request, url_for
from flask_babel import force_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from tipro.errors import CSRF_TOKEN_HEADER
from tipro.http import BadJson, json_body, json_error, json_response
from tipro.models.people import LANGUAGES
from tipro.pwa import bp, services, shell
from tipro.pwa.texts import outbox_texts as outbox_texts_in_locale
from tipro.security import public, role_required

USER_HEADER = "X-TiPro-User"  # which user a page belongs to (the service worker keeps it so)


def _revalidate(response):
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
@public
def manifest():
    def icon(name: str, size: int, purpose: str = "any") -> dict:
        return {
            "src": url_for("static", filename=f"icons/{name}"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": purpose,
        }

    body = {
        "id": "/",
        "name": "TiPro – timeføring",
        "short_name": "TiPro",
        "description": "Før timer, også uten nett, og send dem til godkjenning og Tripletex.",
        "lang": "nb",
        "dir": "ltr",
        # Marked, so the service worker knows a launch of the installed app (sw.js isLaunch).
        "start_url": url_for("main.index", kilde="app"),
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": shell.THEME_COLOR,
        "background_color": shell.BACKGROUND_COLOR,
        "icons": [
            icon("tipro-192.png", 192),
            icon("tipro-512.png", 512),
            icon("tipro-maskable-512.png", 512, "maskable"),
        ],
        "screenshots": [
            {
                "src": url_for("static", filename="icons/screenshot-narrow.png"),
                "sizes": "360x740",
                "type": "image/png",
                "form_factor": "narrow",
                "label": "Før timer på telefonen",
            }
        ],
        "shortcuts": [
            {"name": "Uke", "url": url_for("entries.week")},
        ],
    }
    response = json_response(body)
    response.mimetype = "application/manifest+json"
    return _revalidate(response)


@bp.get("/sw.js")
@public
def service_worker():
    response = current_app.response_class(shell.worker_script(), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    return _revalidate(response)


@bp.get("/api/v1/texts.<locale>.js")
@public
def outbox_texts(locale: str):
    """The offline scripts' texts as a script: kept out of every page's HTML (the first-load
    budget), immutable under its versioned URL and cached with the app shell."""
    if locale not in LANGUAGES:
        abort(404)
    with force_locale(locale):
        body = (
            "self.TIPRO_TEXTS = " + json.dumps(outbox_texts_in_locale(), ensure_ascii=False) + ";\n"
        )
    response = current_app.response_class(body, mimetype="text/javascript")
    if request.args.get("v") == shell.texts_version():
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@bp.get("/uten-nett")
@public
def offline_page():
    """What the service worker shows for a page it may not keep (no personal data in it)."""
    return _revalidate(current_app.make_response(render_template("pwa/offline.html")))


@bp.get("/api/v1/offline")
@role_required("employee")
def offline_data():
    """The user's data for working offline; the header carries a fresh CSRF token for sync."""
    response = json_response(services.offline_data(current_user))
    response.headers[CSRF_TOKEN_HEADER] = generate_csrf()
    return response


@bp.post("/api/v1/entries/sync")
@role_required("employee")
def sync():
    try:
        body = json_body()
    except BadJson as bad:
        return bad.response
    try:
        items = services.parse_batch(body)
        results = services.sync(current_user, items)
    except services.BadBatch as error:
        return json_error(error.message, error.status)
    return json_response({"results": results})


@bp.after_app_request
def _name_the_user(response):
    """Pages say whose they are, so the service worker never shows them to someone else."""
    if response.mimetype == "text/html" and getattr(current_user, "is_authenticated", False):
        response.headers[USER_HEADER] = str(current_user.id)
    return response

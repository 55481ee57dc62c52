"""What every page template needs: navigation, role names, today's date."""

from __future__ import annotations

from collections.abc import Hashable

from flask import Flask, current_app, request, url_for
from flask_babel import lazy_gettext as _l

from tipro import clock

# (endpoint, label, minimum role). Feature blueprints add theirs here; items whose
# endpoint is not registered are left out, so the menu only shows what exists.
NAV_ITEMS: list[tuple[str, object, str]] = [
    ("main.index", _l("I dag"), "employee"),
    ("entries.week", _l("Uke"), "employee"),
    ("entries.absence_page", _l("Fravær"), "employee"),
    ("approvals.index", _l("Godkjenning"), "approver"),
    ("reports.my_overview", _l("Min oversikt"), "employee"),
    ("reports.index", _l("Rapporter"), "approver"),
    ("admin.index", _l("Admin"), "admin"),
]

# The admin area has its own row of links, so the main menu stays one line on a phone.
ADMIN_ITEMS: list[tuple[str, object, object]] = [
    ("sync.settings", _l("Innstillinger"), _l("Tripletex-tilkobling og firmaoppsett")),
    (
        "sync.index",
        _l("Synkronisering"),
        _l("Ansatte, kunder, prosjekter og aktiviteter fra Tripletex"),
    ),
    ("transfers.index", _l("Overføringer"), _l("Lønnsgrunnlag og ordre til Tripletex")),
    ("admin.supplement_types", _l("Tillegg og felt"), _l("Tillegg, fravær og egne felt")),
    ("admin.users", _l("Brukere"), _l("Hvem som kan logge inn, og roller")),
    ("approvals.signoff_settings", _l("Kundegodkjenning"), _l("Kunden godkjenner timene")),
    ("approvals.reminders_page", _l("Påminnelser"), _l("Timer som mangler, e-post om det")),
    (
        "reports.closure_days",
        _l("Stengte dager"),
        _l("Romjul og andre dager firmaet holder stengt"),
    ),
    (
        "reports.reconcile_index",
        _l("Avstemming"),
        _l("Det som er overført, mot det Tripletex har nå"),
    ),
]

ROLE_NAMES = {"employee": _l("Ansatt"), "approver": _l("Godkjenner"), "admin": _l("Admin")}


def _cached_url_for(endpoint: str, **values) -> str:
    """`url_for` for templates, remembered per process for the same arguments.

    A page builds ~30 URLs (menu, the offline app's head, static files with their hash) and
    most never change while the process runs; building each is a noticeable part of a page.
    The key holds what the URL depends on besides the arguments: the script root, the host and,
    for a blueprint-relative endpoint, the blueprint. Not in debug mode (static files are edited
    and get new hashes there), not for arguments that cannot be a key.
    """
    app = current_app
    if app.debug or any(not isinstance(v, Hashable) for v in values.values()):
        return url_for(endpoint, **values)
    blueprint = request.blueprint if endpoint.startswith(".") else None
    key = (endpoint, request.script_root, request.host, blueprint, *sorted(values.items()))
    cache: dict = app.extensions.setdefault("tipro_url_cache", {})
    url = cache.get(key)
    if url is None:
        url = url_for(endpoint, **values)
        if len(cache) < URL_CACHE_SIZE:  # entry ids and dates in URLs must not grow it forever
            cache[key] = url
    return url


URL_CACHE_SIZE = 5000


def init_app(app: Flask) -> None:
    app.jinja_env.globals["url_for"] = _cached_url_for

    @app.context_processor
    def ui_context():
        endpoints = current_app.view_functions
        return {
            "nav_items": [item for item in NAV_ITEMS if item[0] in endpoints],
            "admin_items": [item for item in ADMIN_ITEMS if item[0] in endpoints],
            "role_names": ROLE_NAMES,
            "today": clock.today(),
            "waiting_count": _waiting_count,
        }


def _waiting_count() -> int:
    """Periods waiting for the current user (the menu's badge): one COUNT, once per request."""
    from flask import g
    from flask_login import current_user

    from tipro.approvals.summary import waiting_count

    if "tipro_waiting_count" not in g:
        g.tipro_waiting_count = waiting_count(current_user)
    return g.tipro_waiting_count

"""What every page template needs: navigation, role names, today's date."""

from __future__ import annotations

from flask import Flask, current_app
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


def init_app(app: Flask) -> None:
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

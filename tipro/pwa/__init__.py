"""The installable offline app: manifest, service worker (/sw.js), offline data and sync API.

The per-item bulk save is tipro.entries.bulk; the browser side is static/js/offline.js and
static/js/sw.js.
"""

from flask import Blueprint

bp = Blueprint("pwa", __name__)

from tipro.pwa import routes  # noqa: E402,F401


@bp.app_context_processor
def _outbox_texts():
    from flask_babel import get_locale

    from tipro.pwa.shell import texts_url

    return {"pwa_texts_url": lambda: texts_url(str(get_locale() or "nb"))}

"""What the service worker is told: its cache name, the app shell and the pages it may keep.

The cache name comes from the app version and one hash over every static file, so any change
of code or style gives a new service worker (its bytes change), which installs beside the old
one and deletes the old caches when it takes over.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Flask, current_app, url_for

from tipro import __version__
from tipro.assets import file_version
from tipro.models.people import LANGUAGES

# The app shell: fetched once at install, at their hashed (immutable) URLs.
SHELL_ASSETS = (
    "css/tipro.css",
    "css/pwa.css",
    "js/htmx-2.0.11.min.js",
    "js/tipro.js",
    "js/offline.js",
    "js/outbox.js",
    "js/outbox_more.js",
    "js/combobox.js",
    "css/reports.css",
    "css/reports-close.css",
    "css/reports-reconcile.css",
    "icons/tipro.svg",
    "icons/tipro-192.png",
)
# Pages kept per user for opening without network (never admin pages: those must be fresh).
# «Min oversikt» is the person's own numbers and chart: as last seen is better than nothing.
# «Fravær» so absence can be registered offline (js/outbox_more.js queues it).
OFFLINE_PAGES = ("main.index", "entries.week", "reports.my_overview", "entries.absence_page")
THEME_COLOR = "#0b5cad"
BACKGROUND_COLOR = "#f6f7f9"


def static_hash(app: Flask | None = None) -> str:
    """One hash over the names and contents of every static file (once per process)."""
    app = app or current_app
    cached = app.extensions.get("tipro_static_hash")
    if cached is not None and not app.debug:
        return cached
    folder = Path(app.static_folder or "")
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        digest.update(name.encode() + b"\0" + (file_version(name, app) or "").encode() + b"\0")
    app.extensions["tipro_static_hash"] = digest.hexdigest()[:12]
    return app.extensions["tipro_static_hash"]


def cache_version() -> str:
    return f"{__version__}-{static_hash()}"


def texts_version(app: Flask | None = None) -> str:
    """The offline texts change with the app and with the translations (once per process)."""
    app = app or current_app
    cached = app.extensions.get("tipro_texts_version")
    if cached is not None and not app.debug:
        return cached
    digest = hashlib.sha256(cache_version().encode())
    for path in sorted(Path(app.root_path, "translations").rglob("*.mo")):
        digest.update(path.read_bytes())
    digest.update(Path(__file__).with_name("texts.py").read_bytes())
    app.extensions["tipro_texts_version"] = digest.hexdigest()[:12]
    return app.extensions["tipro_texts_version"]


def texts_url(locale: str) -> str:
    """The offline scripts' texts in one language, at an immutable URL."""
    return url_for("pwa.outbox_texts", locale=locale, v=texts_version())


def worker_config() -> dict:
    """The settings the service worker script starts with."""
    return {
        "version": cache_version(),
        "shell": [url_for("static", filename=name) for name in SHELL_ASSETS]
        + [texts_url(locale) for locale in LANGUAGES]
        # The manifest too: the browser asks for it on every launch (a request that would
        # otherwise reach the server before the page is usable; offline it would fail).
        + [url_for("pwa.offline_page"), url_for("pwa.manifest")],
        "offlinePage": url_for("pwa.offline_page"),
        "pages": [url_for(endpoint) for endpoint in OFFLINE_PAGES],
        "staticPrefix": url_for("static", filename="x")[:-1].split("?")[0],
    }


def worker_script() -> str:
    """static/js/sw.js with its settings in front (the script's bytes change with them)."""
    source = Path(current_app.static_folder or "", "js", "sw.js").read_text(encoding="utf-8")
    config = json.dumps(worker_config(), ensure_ascii=False, sort_keys=True)
    return f"self.TIPRO = {config};\n{source}"

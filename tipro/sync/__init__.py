"""Master-data sync with Tripletex: settings and sync pages, webhooks, jobs, CLI and the engine.

`routes` (the admin pages, blueprint `sync` under /admin) and `webhooks` (blueprint `webhooks`,
the public delivery endpoint) call `services` (run guard, status, invites) and `connection`
(connect, disconnect, the company's client); `jobs` runs a queued SyncRun through `engine`,
which reads Tripletex through the typed API in tipro.tripletex and writes the master data.
"""

from flask import Blueprint

bp = Blueprint("sync", __name__)
webhooks_bp = Blueprint("webhooks", __name__)

from tipro.sync import routes, webhooks  # noqa: E402,F401

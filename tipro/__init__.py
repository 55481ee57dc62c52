"""TiPro: time registration for companies that keep their books in Tripletex."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `import tipro.tripletex` must not import Flask
    from flask import Flask

__version__ = "0.1.0"


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory: reads the environment, then applies `test_config` overrides."""
    from flask import Flask

    instance_path = os.environ.get("TIPRO_INSTANCE_PATH") or str(Path.cwd() / "instance")
    if test_config and test_config.get("INSTANCE_PATH"):
        instance_path = test_config["INSTANCE_PATH"]
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)

    from tipro.config import load_config

    app.config.update(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)

    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    _init_extensions(app)
    _register_blueprints(app)

    from tipro import assets, errors, i18n, mail, security, ui

    assets.init_app(app)  # first: its compression runs after every other after-request hook
    security.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    ui.init_app(app)
    mail.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    from tipro import (
        models,  # noqa: F401  (register every table on the metadata)
        writes,
    )
    from tipro.extensions import csrf, db, htmx, login_manager, migrate
    from tipro.tenancy import install

    db.init_app(app)
    writes.init_app(app)  # first: a request that may write begins its transaction IMMEDIATE
    with app.app_context():
        from tipro.config import IDLE_PING_SECONDS
        from tipro.extensions import ping_idle_connections

        ping_idle_connections(db.engine, IDLE_PING_SECONDS)
    migrate.init_app(
        app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    # "basic": phones switch networks all day; "strong" would log them out on every switch.
    login_manager.session_protection = "basic"
    install()

    from tipro.auth.services import load_user

    login_manager.user_loader(load_user)


def _register_blueprints(app: Flask) -> None:
    from tipro.admin import bp as admin_bp
    from tipro.approvals import bp as approvals_bp
    from tipro.auth import bp as auth_bp
    from tipro.entries import bp as entries_bp
    from tipro.main import bp as main_bp
    from tipro.pwa import bp as pwa_bp
    from tipro.reports import bp as reports_bp
    from tipro.sync import bp as sync_bp
    from tipro.sync import webhooks_bp
    from tipro.transfers.routes import bp as transfers_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(entries_bp)
    app.register_blueprint(approvals_bp)
    app.register_blueprint(sync_bp, url_prefix="/admin")
    app.register_blueprint(transfers_bp, url_prefix="/admin")
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(pwa_bp)
    app.register_blueprint(reports_bp)

"""Running the sandbox on loopback in a background thread with a real threaded server."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .state import SandboxState


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not print an access-log line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class SandboxServer:
    """A sandbox app served by a threaded werkzeug server; usable as a context manager."""

    def __init__(
        self, app: Flask | None = None, host: str = "127.0.0.1", port: int = 0, **create_kwargs: Any
    ):
        if app is None:
            from .app import create_sandbox_app

            app = create_sandbox_app(**create_kwargs)
        self.app = app
        self.state: SandboxState = app.extensions["tripletex_sandbox"]
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietHandler
        )
        self.host = host
        self.port = self._server.server_port
        self.root_url = f"http://{host}:{self.port}"
        self.base_url = f"{self.root_url}/v2"
        self._thread: threading.Thread | None = None
        self.start()

    def start(self) -> SandboxServer:
        """Start serving in a daemon thread."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="tripletex-sandbox", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()
        self.state.webhooks.stop()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

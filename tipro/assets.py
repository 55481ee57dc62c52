"""Static files with a content hash in their URL, cached for a year; responses compressed.

Every `url_for('static', filename=...)` gets `?v=<hash of the file>` (a URL default, so templates
and the coming service worker need nothing special). A request that carries the file's current
hash is answered `immutable` for a year: a repeat visit asks for nothing. Any other request (an
old or missing hash) must revalidate, so a stale URL never pins an old file.

Compression is flask-compress (gzip/brotli) for HTML and JSON, also for the embedded default that
has no reverse proxy in front of it. Static files are compressed here instead, once per process at
the highest level (flask-compress would compress the file stream again on every request).
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import brotli
import rcssmin
import rjsmin
from flask import Flask, current_app, request
from flask_compress import Compress
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
HASH_LENGTH = 12  # hex digits of SHA-256: collisions between two versions of a file don't happen
ENCODINGS = ("br", "gzip")
COMPRESSIBLE = {"text/css", "text/javascript", "application/javascript", "image/svg+xml"}

compress = Compress()


def _static_path(app: Flask, filename: str) -> Path | None:
    folder = app.static_folder
    path = safe_join(folder, filename) if folder else None
    return Path(path) if path else None


def file_version(filename: str, app: Flask | None = None) -> str | None:
    """The content hash of a static file, computed once per process (per edit in debug mode)."""
    app = app or current_app
    path = _static_path(app, filename)
    if path is None:
        return None
    versions: dict = app.extensions.setdefault("tipro_asset_versions", {})
    try:
        # In debug mode an edited file gets a new URL without restarting the server.
        key = (filename, path.stat().st_mtime_ns) if app.debug else filename
        if key not in versions:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            versions[key] = digest[:HASH_LENGTH]
    except OSError:  # not a file: url_for still builds the plain URL, the request gets a 404
        return None
    return versions[key]


def _add_version(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = file_version(values["filename"])
        if version:
            values["v"] = version


def _minified(filename: str, data: bytes) -> bytes:
    """Our scripts and stylesheets without comments and indentation (what travels): the source
    keeps its comments for the next reader. Vendored `.min.` files are left as they are."""
    if ".min." in filename:
        return data
    if filename.endswith(".js"):
        return rjsmin.jsmin(data.decode("utf-8")).encode("utf-8")
    if filename.endswith(".css"):
        return rcssmin.cssmin(data.decode("utf-8")).encode("utf-8")
    return data


def _compressed(filename: str, version: str, encoding: str) -> bytes:
    """The file minified and compressed at the highest level, kept for the life of the process."""
    cache: dict = current_app.extensions.setdefault("tipro_asset_bodies", {})
    key = (filename, version, encoding)
    if key not in cache:
        data = _minified(filename, _static_path(current_app, filename).read_bytes())
        if encoding == "br":
            cache[key] = brotli.compress(data, quality=11)
        else:
            cache[key] = gzip.compress(data, compresslevel=9, mtime=0)
    return cache[key]


def _compress_static(response: Response, filename: str, version: str) -> Response:
    encoding = request.accept_encodings.best_match(ENCODINGS)
    response.vary.add("Accept-Encoding")
    if not encoding or response.mimetype not in COMPRESSIBLE:
        return response
    body = _compressed(filename, version, encoding)
    response.close()  # the open file is not sent
    response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    etag, weak = response.get_etag()
    if etag:  # another encoding is another representation
        response.set_etag(f"{etag}:{encoding}", weak=weak)
    return response.make_conditional(request)


def _static_response(response: Response) -> Response:
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    current = file_version(filename)
    if current is not None and request.args.get("v") == current:
        response.headers["Cache-Control"] = IMMUTABLE
    else:
        response.headers["Cache-Control"] = REVALIDATE
    if current is not None and response.status_code == 200:
        response = _compress_static(response, filename, current)
    return response


def init_app(app: Flask) -> None:
    """Call before the other after-request hooks are registered: compression must run last."""
    app.config.setdefault("COMPRESS_ALGORITHM", list(ENCODINGS))
    # Streams (static files, downloads) are left alone: flask-compress would not close the file.
    app.config.setdefault("COMPRESS_STREAMS", False)
    compress.init_app(app)
    app.url_defaults(_add_version)
    app.after_request(_static_response)

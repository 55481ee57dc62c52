"""Versioned static files cached for a year, compressed pages and JSON, ETags on JSON."""

from __future__ import annotations

import gzip
import re
from datetime import datetime, timedelta

import brotli
import pytest

from tests.factories import DAY, hours_world, in_company, new_entry, new_project
from tipro.assets import IMMUTABLE, file_version

STATIC_URL = re.compile(r'(?:href|src)="(/static/[^"]+)"')
FIRST_LOAD_BUDGET = 30 * 1024


@pytest.fixture
def employee(client, login, frozen_clock):
    """A realistic employee: 40 projects to pick from and two weeks of entries."""
    frozen_clock(datetime(DAY.year, DAY.month, DAY.day, 10))
    world = hours_world(DAY)
    with in_company(world.company):
        for number in range(40):
            project = new_project(world.company, f"{2000 + number}", f"Prosjekt nr {number}")
            if number < 10:
                new_entry(
                    world.user,
                    DAY - timedelta(days=number),
                    project_id=project.id,
                    activity_id=world.general.id,
                    comment=f"Arbeid på prosjekt {number}",
                )
    login(world.user)
    return world.user


def get(client, url: str, **headers):
    """A GET whose body is read and whose file is closed (a static file is a stream)."""
    response = client.get(url, headers=headers)
    response.get_data()
    response.close()
    return response


def static_urls(html: str) -> list[str]:
    return [url.replace("&amp;", "&") for url in STATIC_URL.findall(html)]


def test_page_links_every_static_file_with_its_content_hash(app, client, employee):
    html = client.get("/").get_data(as_text=True)
    urls = static_urls(html)
    assert {u.split("?")[0] for u in urls} >= {
        "/static/css/tipro.css",
        "/static/js/tipro.js",
        "/static/js/htmx-2.0.11.min.js",
    }
    for url in urls:
        path, _, query = url.partition("?")
        assert query == f"v={file_version(path.removeprefix('/static/'), app)}"


def test_versioned_file_is_immutable_for_a_year(client, employee):
    url = next(u for u in static_urls(client.get("/").get_data(as_text=True)) if ".css" in u)
    response = get(client, url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert "no-store" not in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("query", ["", "?v=0123456789ab"])
def test_unversioned_or_stale_url_must_revalidate(client, query):
    response = get(client, f"/static/css/tipro.css{query}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers.get("ETag")


def test_changed_file_gets_a_new_url(app, tmp_path, monkeypatch):
    (tmp_path / "app.js").write_text("console.log(1);\n")
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    monkeypatch.setitem(app.extensions, "tipro_asset_versions", {})
    with app.test_request_context():
        from flask import url_for

        before = url_for("static", filename="app.js")
        (tmp_path / "app.js").write_text("console.log(2);\n")
        same_process = url_for("static", filename="app.js")
        app.extensions["tipro_asset_versions"] = {}  # a new process (deploy or restart)
        after = url_for("static", filename="app.js")
    assert before.startswith("/static/app.js?v=")
    assert same_process == before  # hashed once per process, not per request
    assert after != before
    # The old URL is no longer the file's version: it must not be cached as immutable.
    assert get(app.test_client(), before).headers["Cache-Control"] == "no-cache"
    assert get(app.test_client(), after).headers["Cache-Control"] == IMMUTABLE


def decode(response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(response.data)
    if encoding == "gzip":
        return gzip.decompress(response.data)
    return response.data


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_page_is_compressed_and_varies(client, employee, encoding):
    plain = client.get("/")
    response = client.get("/", headers={"Accept-Encoding": encoding})
    assert response.headers["Content-Encoding"] == encoding
    assert len(response.data) < len(plain.data) / 3
    assert b"<!doctype html>" in decode(response)
    vary = {v.strip().lower() for v in response.headers["Vary"].split(",")}
    assert {"accept-encoding", "hx-request"} <= vary
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_static_files_are_compressed(client, encoding):
    response = get(client, "/static/js/htmx-2.0.11.min.js", **{"Accept-Encoding": encoding})
    assert response.headers["Content-Encoding"] == encoding
    assert decode(response) == get(client, "/static/js/htmx-2.0.11.min.js").data


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_json_is_compressed(client, app, monkeypatch, encoding):
    monkeypatch.setitem(app.config, "COMPRESS_MIN_SIZE", 0)  # /healthz is a short answer
    response = client.get("/healthz", headers={"Accept-Encoding": encoding})
    assert response.headers["Content-Encoding"] == encoding
    assert b'"status":"ok"' in decode(response)
    assert "accept-encoding" in response.headers["Vary"].lower()


@pytest.mark.parametrize("encoding", [None, "br"])
def test_json_has_an_etag_and_answers_304(client, encoding):
    headers = {"Accept-Encoding": encoding} if encoding else {}
    first = client.get("/healthz", headers=headers)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    again = client.get("/healthz", headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    other = client.get("/healthz", headers={**headers, "If-None-Match": 'W/"something-else"'})
    assert other.status_code == 200


def test_failing_json_is_never_not_modified(app, client):
    etag = client.get("/healthz").headers["ETag"]
    app.config["REDIS_URL"], saved = "redis://127.0.0.1:1/0", app.config["REDIS_URL"]
    try:
        response = client.get("/healthz", headers={"If-None-Match": etag})
    finally:
        app.config["REDIS_URL"] = saved
    assert response.status_code == 503
    assert "ETag" not in response.headers


# What the 30 KB first-load budget counts: the start page's HTML and every file the HTML
# itself links with `href`/`src` (stylesheets, htmx, tipro.js, the deferred offline.js, the
# icon), compressed as sent: what the browser fetches before the page is usable. Not counted:
# the offline outbox (js/outbox.js), which offline.js adds after DOMContentLoaded for a
# logged-in user (named in a <meta>, never a <script src>: it delays neither the first paint
# nor the first click), and the service worker with its precache, fetched by the worker in
# the background after the load. Both are measured in the outbox test below and in
# bench/README.md.
OUTBOX_META = re.compile(r'<meta name="tipro-outbox" content="([^"]+)"')


def first_load(client, accept_encoding: str) -> dict[str, int]:
    """Compressed bytes of the start page and every static file it links (a cold cache)."""
    accept = {"Accept-Encoding": accept_encoding}
    page = client.get("/", headers=accept)
    sizes = {"/": len(page.data)}
    for url in static_urls(decode(page).decode()):
        response = get(client, url, **accept)
        assert response.status_code == 200
        sizes[url] = len(response.data)
    return sizes


@pytest.mark.parametrize("accept_encoding", ["gzip, deflate, br, zstd", "gzip"])
def test_first_load_of_start_page_is_at_most_30_kb(client, employee, accept_encoding):
    """HTML + CSS + JS + icon as Chromium (brotli) and as a gzip-only client would fetch them."""
    sizes = first_load(client, accept_encoding)
    print(f"\nfirst load ({accept_encoding}): {sum(sizes.values())} bytes", sizes)  # bench/README
    assert any(".css" in u for u in sizes) and any(".js" in u for u in sizes)
    assert sum(sizes.values()) <= FIRST_LOAD_BUDGET, sizes


def test_offline_outbox_loads_after_the_page_outside_the_budget(client, employee):
    """outbox.js stays off the critical path: named in a <meta> for offline.js to load after
    DOMContentLoaded, never linked by the HTML, so the first-load budget rightly leaves it out."""
    accept = {"Accept-Encoding": "gzip, deflate, br, zstd"}
    html = decode(client.get("/", headers=accept)).decode()
    lazy_urls = OUTBOX_META.search(html).group(1).replace("&amp;", "&").split(" ")
    texts, outbox = lazy_urls[:2]  # the texts first, then the outbox, then its modules
    assert texts.split("?")[0] == "/api/v1/texts.nb.js"
    assert outbox.split("?")[0] == "/static/js/outbox.js"
    assert "outbox" not in "".join(static_urls(html))
    assert "texts." not in "".join(static_urls(html)) and "Venter på synk" not in html
    lazy = 0
    for url in lazy_urls:
        response = get(client, url, **accept)
        assert response.status_code == 200
        assert "immutable" in response.headers["Cache-Control"]
        lazy += len(response.data)
    critical = sum(first_load(client, accept["Accept-Encoding"]).values())
    print(  # bench/README
        f"\nthe outbox, its texts and modules after the load: {lazy} bytes (br); "
        f"first load with them: {critical + lazy} bytes"
    )


def test_offline_texts_follow_the_language_and_are_in_the_app_shell(client):
    """The outbox's texts are a script per language at a versioned URL the service worker
    precaches (so they are there offline); an unknown language is a 404."""
    from tipro.pwa import shell

    english = client.get("/api/v1/texts.en.js")
    assert english.status_code == 200 and "Waiting to sync" in english.get_data(as_text=True)
    assert "Venter på synk" in client.get("/api/v1/texts.nb.js").get_data(as_text=True)
    assert client.get("/api/v1/texts.de.js").status_code == 404
    worker = client.get("/sw.js").get_data(as_text=True)
    with client.application.test_request_context():
        assert shell.texts_url("nb") in worker and shell.texts_url("en") in worker

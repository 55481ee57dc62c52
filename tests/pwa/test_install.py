"""The installable app over HTTP: manifest, service worker, offline page, offline data."""

from __future__ import annotations

import json
import struct

from tests.factories import new_company, new_entry, new_user

THEME = "#0b5cad"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_manifest_is_installable_norwegian_and_public(client, db):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    assert response.headers["Cache-Control"] == "no-cache"
    manifest = json.loads(response.get_data())
    assert manifest["name"] == "TiPro – timeføring"
    assert manifest["short_name"] == "TiPro"
    assert manifest["lang"] == "nb"
    assert manifest["start_url"] == "/?kilde=app"  # a launch: sw.js serves the kept copy
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == THEME
    assert manifest["background_color"]
    sizes = {}
    for image in manifest["icons"] + manifest["screenshots"]:
        with client.get(image["src"]) as answer:
            assert answer.status_code == 200, image["src"]
            assert answer.mimetype == "image/png"
            width, height = _png_size(answer.get_data())
        assert image["sizes"] == f"{width}x{height}"
        sizes.setdefault(image.get("purpose", "screenshot"), set()).add(width)
    assert {192, 512} <= sizes["any"]
    assert sizes["maskable"] == {512}
    assert manifest["screenshots"][0]["form_factor"] == "narrow"


def test_every_page_links_the_manifest_theme_and_offline_script(client, make_user, login):
    for path in ("/logg-inn",):
        html = client.get(path).get_data(as_text=True)
        assert '<link rel="manifest" href="/manifest.webmanifest">' in html
        assert f'<meta name="theme-color" content="{THEME}">' in html
        assert "/static/js/offline.js?v=" in html
    login(make_user())
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert "data-tipro-user=" in html  # the log-out form names whose queue this page shows


def test_service_worker_controls_the_whole_app(client, db):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    first, rest = body.split("\n", 1)
    assert first.startswith("self.TIPRO = ") and first.endswith(";")
    config = json.loads(first[len("self.TIPRO = ") : -1])
    assert config["pages"] == ["/", "/uke", "/min-oversikt", "/fravaer"]  # never an admin page
    assert config["offlinePage"] in config["shell"]
    assert all("?v=" in url for url in config["shell"] if url.startswith("/static/"))
    assert 'addEventListener("activate"' in rest


def test_cache_name_follows_the_version_and_every_static_file(app, client, db, tmp_path):
    from tipro import __version__
    from tipro.pwa import shell

    with app.test_request_context():
        version = shell.cache_version()
    assert version.startswith(f"{__version__}-")
    config = json.loads(client.get("/sw.js").get_data(as_text=True).split("\n")[0][13:-1])
    assert config["version"] == version
    # Another static file (or another content) is another hash, so another worker.
    original = app.extensions.pop("tipro_static_hash")
    extra = app.static_folder + "/js/__test_extra.js"
    try:
        with open(extra, "w") as handle:
            handle.write("// test\n")
        with app.test_request_context():
            assert shell.static_hash() != original
    finally:
        import os

        os.remove(extra)
        app.extensions.pop("tipro_static_hash", None)
        app.extensions.pop("tipro_asset_versions", None)
    with app.test_request_context():
        assert shell.static_hash() == original


def test_offline_page_is_public_and_holds_nobodys_data(client, make_user, login):
    user = make_user(name="Hemmelig Navn")
    login(user)
    response = client.get("/uten-nett")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Ingen forbindelse" in html
    assert "Hemmelig Navn" not in html and user.email not in html
    assert "csrf" not in html.lower()


def test_pages_name_their_user_for_the_service_worker(client, make_user, login):
    assert "X-TiPro-User" not in client.get("/logg-inn").headers
    user = make_user()
    login(user)
    assert client.get("/").headers["X-TiPro-User"] == str(user.id)
    assert "X-TiPro-User" not in client.get("/manifest.webmanifest").headers


def test_offline_data_is_the_users_own_with_etag_and_a_fresh_token(scene, client):
    mine = new_entry(scene.user, scene.day, "2", project_id=scene.project.id)
    new_entry(scene.colleague, scene.day, "3", comment="kollegas")
    stranger = new_user(new_company(), "employee")
    new_entry(stranger, scene.day, "4", comment="fremmed")

    response = client.get("/api/v1/offline")
    assert response.status_code == 200
    assert response.headers["X-CSRF-Token"]
    assert "no-store" in response.headers["Cache-Control"]
    data = response.get_json()
    assert data["user"]["id"] == scene.user.id
    assert [e["uuid"] for e in data["entries"]] == [mine.uuid]
    names = {p["name"] for p in data["projects"]}
    assert "101 Nybygg Lia" in names
    assert "102 Gammel jobb" not in names  # closed
    assert "104 Hemmelig" not in names  # for its participants only
    assert "Fremmed prosjekt" not in {p["name"].split(" ", 1)[-1] for p in data["projects"]}
    project = next(p for p in data["projects"] if p["id"] == scene.project.id)
    assert project["activity_ids"] == [scene.project_activity.id]
    assert {a["name"] for a in data["activities"]} >= {"Intern tid", "Montering"}
    assert "Fremmed" not in {a["name"] for a in data["activities"]}
    assert data["timer"] is None

    again = client.get("/api/v1/offline", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["X-CSRF-Token"]


def test_offline_data_needs_a_log_in(client, db):
    response = client.get("/api/v1/offline")
    assert response.status_code == 302

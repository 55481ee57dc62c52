"""Templates' url_for is remembered per process (tipro.ui): the same URLs as Flask's, per
script root and host, bounded, and never for arguments that cannot be a key."""

from __future__ import annotations

from flask import render_template_string, url_for

from tipro import ui


def test_cached_urls_equal_flasks_and_follow_the_script_root(app):
    app.extensions.pop("tipro_url_cache", None)
    with app.test_request_context("/"):
        first = ui._cached_url_for("entries.week", uke="2026-W01")
        assert first == url_for("entries.week", uke="2026-W01") == "/uke?uke=2026-W01"
        assert ui._cached_url_for("entries.week", uke="2026-W01") is first  # from the cache
        assert ui._cached_url_for("static", filename="css/tipro.css") == url_for(
            "static", filename="css/tipro.css"
        )
    with app.test_request_context("/", base_url="http://localhost/tipro/"):
        assert ui._cached_url_for("entries.week", uke="2026-W01") == "/tipro/uke?uke=2026-W01"
    with app.test_request_context("/", base_url="http://other.example/"):
        assert ui._cached_url_for("entries.week", _external=True) == "http://other.example/uke"


def test_templates_use_it_and_unhashable_arguments_pass_through(app, monkeypatch):
    app.extensions.pop("tipro_url_cache", None)
    with app.test_request_context("/"):
        html = render_template_string("{{ url_for('entries.week', uke='2026-W02') }}")
        assert html == "/uke?uke=2026-W02"
        assert any(key[0] == "entries.week" for key in app.extensions["tipro_url_cache"])
        size = len(app.extensions["tipro_url_cache"])
        assert ui._cached_url_for("entries.week", uke=["2026-W03"]).startswith("/uke?uke=")
        assert len(app.extensions["tipro_url_cache"]) == size
        monkeypatch.setattr(ui, "URL_CACHE_SIZE", size)
        assert ui._cached_url_for("entries.week", uke="2026-W04") == "/uke?uke=2026-W04"
        assert len(app.extensions["tipro_url_cache"]) == size  # full: built, not kept

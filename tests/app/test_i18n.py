"""Norwegian first, English selectable; nb number and money formats; a complete catalogue."""

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from flask_babel import force_locale

from tipro.i18n import day, hours, money

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import i18n as catalogue  # noqa: E402


def test_default_language_is_norwegian(client):
    body = client.get("/logg-inn").get_data(as_text=True)
    assert '<html lang="nb">' in body
    assert "Logg inn" in body


def test_language_switch_anonymous_and_back(client):
    response = client.post("/sprak", data={"language": "en", "next": "/logg-inn"})
    assert response.status_code == 302 and response.headers["Location"] == "/logg-inn"
    body = client.get("/logg-inn").get_data(as_text=True)
    assert '<html lang="en">' in body and "Log in" in body and "Remember me" in body
    client.post("/sprak", data={"language": "nb"})
    assert "Husk meg" in client.get("/logg-inn").get_data(as_text=True)


def test_language_choice_is_kept_on_the_user(client, make_user, login, db):
    user = make_user(name="Kari")
    login(user)
    client.post("/sprak", data={"language": "en"})
    db.session.refresh(user)
    assert user.language == "en"
    assert "Hello, Kari" in client.get("/").get_data(as_text=True)


def test_unknown_language_is_refused(client):
    assert client.post("/sprak", data={"language": "de"}).status_code == 400


def test_norwegian_formats(app):
    with app.test_request_context(), force_locale("nb"):
        assert hours(Decimal("7.5")) == "7,5"
        assert hours(Decimal("8")) == "8,0"
        assert hours(Decimal("1234.25")) == "1\u00a0234,25"
        assert money(Decimal("1250")) == "1\u00a0250,00\u00a0kr"
        assert day(date(2026, 11, 18), "EEEE d. MMMM") == "onsdag 18. november"
    # Amounts and days are formatted once per process: per locale, so the same value reads
    # in each language.
    with app.test_request_context(), force_locale("en"):
        assert hours(Decimal("7.5")) == "7.5"
        assert day(date(2026, 11, 18), "EEEE d. MMMM") == "Wednesday 18. November"


def test_every_message_has_an_english_translation():
    assert catalogue.missing() == []


def test_compiled_catalogue_is_up_to_date():
    assert catalogue.MO.read_bytes() == catalogue.compiled_bytes(), (
        "run: python scripts/i18n.py compile"
    )

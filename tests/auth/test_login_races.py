"""Log-in throttling and ended sessions over real HTTP, on SQLite and PostgreSQL (issue #14).

Item 3: 30 wrong passwords to one account at the same moment must not get more than the
limit (5) of them checked. A checked password answers 401 «Feil e-post eller passord.»; an
attempt stopped before the check answers 429 with the throttle message, so the answers count
the password checks without depending on timing. The failure rows left behind say the same.
Item 5: the cookies of a browser, copied before it logs out, open nothing afterwards.
"""

from __future__ import annotations

import re
import secrets

import pytest
import requests
from sqlalchemy import func, select

from tests.conftest import TEST_PASSWORD
from tests.factories import new_company, new_user
from tests.race import Browser, fire, in_db

pytestmark = pytest.mark.slow

WRONG = "Feil e-post eller passord."
THROTTLED = "For mange mislykkede innlogginger for denne kontoen"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def account(race_server) -> str:
    """A fresh committed user; returns the e-mail address."""
    tag = secrets.token_hex(3)

    def seed(db):
        company = new_company(f"Innlogging {tag} AS")
        return new_user(company, email=f"kari-{tag}@race.no", name="Kari").email

    return in_db(race_server.app(), seed)


def _login_form(base_url: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    page = http.get(f"{base_url}/logg-inn", timeout=30).text
    return http, _TOKEN.search(page).group(1)


def _post_login(base_url, http, token, email, password, **extra) -> requests.Response:
    return http.post(
        f"{base_url}/logg-inn",
        data={"email": email, "password": password, "csrf_token": token, **extra},
        timeout=60,
        allow_redirects=False,
    )


def test_thirty_parallel_wrong_passwords_get_at_most_five_checked(race_server, account, app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    forms = [_login_form(race_server.base_url) for _ in range(30)]  # ready before the start
    answers = fire(
        30,
        lambda i: _post_login(race_server.base_url, *forms[i], account, f"feil-passord-{i}"),
    )
    assert all(isinstance(a, requests.Response) for a in answers), answers
    codes = sorted(a.status_code for a in answers)
    checked = [a for a in answers if a.status_code == 401]
    refused = [a for a in answers if a.status_code == 429]
    assert len(checked) + len(refused) == 30, codes
    assert 1 <= len(checked) <= limit, codes
    assert all(WRONG in a.text for a in checked)
    assert all(THROTTLED in a.text for a in refused)

    from tipro.models import LoginFailure

    failures = in_db(
        race_server.app(),
        lambda db: db.session.scalar(
            select(func.count(LoginFailure.id)).where(LoginFailure.email == account)
        ),
    )
    assert failures == len(checked)  # one row per checked password, none for the refused

    # The right password is refused while the account is throttled.
    right = _post_login(
        race_server.base_url, *_login_form(race_server.base_url), account, TEST_PASSWORD
    )
    assert right.status_code == 429 and THROTTLED in right.text


def test_cookies_copied_before_logout_open_nothing_after_it(race_server, account):
    browser = Browser(race_server.base_url)
    http, token = _login_form(race_server.base_url)
    assert (
        _post_login(
            race_server.base_url, http, token, account, TEST_PASSWORD, remember="y"
        ).status_code
        == 302
    )
    browser.http = http
    assert browser.get("/").status_code == 200
    copies = {}
    for name in ("session", "remember_token"):
        copy = requests.Session()
        copy.cookies.set(name, http.cookies.get(name), domain="127.0.0.1", path="/")
        copies[name] = copy
        assert (
            copy.get(f"{race_server.base_url}/", allow_redirects=False, timeout=30).status_code
            == 200
        )
    logout = browser.post("/logg-ut", {}, boosted=False)
    assert logout.status_code == 302
    for name, copy in copies.items():
        answer = copy.get(f"{race_server.base_url}/", allow_redirects=False, timeout=30)
        assert answer.status_code == 302 and "/logg-inn" in answer.headers["Location"], name

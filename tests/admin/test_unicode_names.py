"""Names unique regardless of case in any script (issue #14 item 11), on SQLite and PostgreSQL.

SQLite's lower() folds ASCII only, so «Sykt barn Å» and «Sykt barn å» were both stored there,
and a second «Sykt barn Å» answered 500 (the unique constraint). Each deployment is driven over
real HTTP (tests/race.py), one after the other and in parallel.
"""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from tests.conftest import TEST_PASSWORD
from tests.factories import new_company, new_user
from tests.race import Browser, fire, in_db
from tipro.models.extras import name_key

pytestmark = pytest.mark.slow


@pytest.fixture
def scene(race_server):
    """A fresh company with an admin and one absence activity (committed)."""
    from tipro.models import Activity

    tag = secrets.token_hex(3)

    def seed(db):
        company = new_company(f"Navn {tag} AS")
        activity = Activity(company_id=company.id, tripletex_id=7, name="Fravær", is_general=True)
        db.session.add(activity)
        admin = new_user(company, "admin", email=f"admin-{tag}@navn.no", name="Anne")
        return {"company": company.id, "email": admin.email, "activity": activity.id}

    app = race_server.app()
    return {**in_db(app, seed), "app": app}


def _count(scene, model, **where) -> int:
    query = select(func.count(model.id)).where(model.company_id == scene["company"])
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return in_db(scene["app"], lambda db: db.session.scalar(query))


def _absence(scene, name: str) -> dict:
    return {"name": name, "code": "annet", "activity_id": str(scene["activity"]), "is_active": "y"}


def _supplement(name: str) -> dict:
    return {"name": name, "unit": "hours", "per": "entry", "is_active": "y"}


def test_name_key_folds_case_in_every_script():
    assert name_key("Sykt barn Å") == name_key("sykt  BARN å") == "sykt barn å"
    assert name_key("ÆØÅ") == name_key("æøå")
    assert name_key("Straße") == name_key("STRASSE")
    assert name_key("Ｆｅｒｉｅ") == name_key("ferie")  # full-width letters (NFKC)
    assert name_key("Ferie") != name_key("Færie")


def test_names_differing_only_in_nordic_case_are_one_name(race_server, scene):
    from tipro.models import AbsenceType, SupplementType

    admin = Browser(race_server.base_url).login(scene["email"], TEST_PASSWORD)
    assert admin.post("/admin/fravaerstyper", _absence(scene, "Sykt barn Å")).status_code == 302
    for twin in ("Sykt barn å", "Sykt barn Å", "SYKT BARN Å", " sykt  barn å "):
        response = admin.post("/admin/fravaerstyper", _absence(scene, twin))
        assert response.status_code == 422, (twin, response.status_code)
        assert "er allerede i bruk" in response.text
    assert _count(scene, AbsenceType) == 1

    assert admin.post("/admin/tillegg", _supplement("Ørsta-tillegg")).status_code == 302
    response = admin.post("/admin/tillegg", _supplement("øRSTA-TILLEGG"))
    assert response.status_code == 422 and "er allerede i bruk" in response.text
    assert _count(scene, SupplementType) == 1


def test_parallel_creates_of_one_name_store_one_and_answer_in_norwegian(race_server, scene):
    from tipro.models import AbsenceType, CustomField, SupplementType

    admins = [Browser(race_server.base_url).login(scene["email"], TEST_PASSWORD) for _ in range(6)]
    spellings = [
        "Ærlig tid Ø",
        "ærlig tid ø",
        "ÆRLIG TID Ø",
        "Ærlig Tid ø",
        "ærlig tid Ø",
        "ÆRLIG tid ø",
    ]

    cases = [
        ("/admin/fravaerstyper", lambda i: _absence(scene, spellings[i]), AbsenceType),
        ("/admin/tillegg", lambda i: _supplement(spellings[i]), SupplementType),
        (
            "/admin/egne-felt",
            lambda i: {"label": spellings[i], "key": "aerlig", "field_type": "text"},
            CustomField,
        ),
    ]
    for path, data, model in cases:
        answers = fire(len(admins), lambda i, p=path, d=data: admins[i].post(p, d(i)))
        statuses = sorted(getattr(a, "status_code", repr(a)) for a in answers)
        assert statuses == [302] + [422] * (len(admins) - 1), (path, statuses)
        refused = [a for a in answers if a.status_code == 422]
        assert all("allerede i bruk" in a.text for a in refused), path
        assert _count(scene, model) == 1, path

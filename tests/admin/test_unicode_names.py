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
from tests.race import Browser, fire, race_target
from tipro.models.extras import name_key

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def target(request, tmp_path_factory, redis_url):
    instance = tmp_path_factory.mktemp(f"names-{request.param}")
    with race_target(request.param, instance, redis_url) as running:
        yield running


@pytest.fixture
def scene(target):
    """A fresh company with an admin and one absence activity (committed)."""
    from tests.conftest import password_hash
    from tipro.extensions import db
    from tipro.models import Activity, Company, User

    app = target.app()
    tag = secrets.token_hex(3)
    with app.app_context():
        company = Company(name=f"Navn {tag} AS")
        db.session.add(company)
        db.session.flush()
        activity = Activity(company_id=company.id, tripletex_id=7, name="Fravær", is_general=True)
        admin = User(
            company_id=company.id,
            email=f"admin-{tag}@navn.no",
            role="admin",
            name="Anne",
            password_hash=password_hash(),
        )
        db.session.add_all([activity, admin])
        db.session.commit()
        ids = {"company": company.id, "email": admin.email, "activity": activity.id}
        db.session.remove()
        db.engine.dispose()
    ids["app"] = app
    return ids


def _count(scene, model, **where) -> int:
    from tipro.extensions import db

    with scene["app"].app_context():
        query = select(func.count(model.id)).where(model.company_id == scene["company"])
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        count = db.session.scalar(query)
        db.session.remove()
        db.engine.dispose()
        return count


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


def test_names_differing_only_in_nordic_case_are_one_name(target, scene):
    from tipro.models import AbsenceType, SupplementType

    admin = Browser(target.base_url).login(scene["email"], TEST_PASSWORD)
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


def test_parallel_creates_of_one_name_store_one_and_answer_in_norwegian(target, scene):
    from tipro.models import AbsenceType, CustomField, SupplementType

    admins = [Browser(target.base_url).login(scene["email"], TEST_PASSWORD) for _ in range(6)]
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

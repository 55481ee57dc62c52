"""Admin pages for supplement types, absence types and custom fields."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tipro.models import AbsenceType, AuditEvent, CustomField, SupplementType

PAGES = ["/admin/tillegg", "/admin/fravaerstyper", "/admin/egne-felt"]


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("role,expected", [("employee", 403), ("approver", 403), ("admin", 200)])
def test_pages_are_admin_only(client, make_user, login, url, role, expected):
    login(make_user(role=role))
    assert client.get(url).status_code == expected


def test_default_types_map_salary_types_and_activities(client, login, world, db):
    login(world.admin)
    response = client.post("/admin/tillegg/standardtyper")
    assert response.status_code == 302
    types = {t.name: t for t in db.session.scalars(select(SupplementType))}
    assert len(types) == 9
    assert types["Overtid 50 %"].salary_type_id == world.overtime50.id
    assert types["Overtid 100 %"].salary_type_id == world.overtime100.id
    assert types["Kilometergodtgjørelse"].unit == "km"
    assert types["Bom/parkering"].unit == "nok" and types["Bom/parkering"].billable
    assert types["Materiell"].asks_for_product and types["Materiell"].unit == "pieces"
    assert types["Diett"].per == "day"
    absence = {t.code: t for t in db.session.scalars(select(AbsenceType))}
    assert absence["ferie"].activity_id == world.holiday.id
    assert absence["sykdom"].activity_id == world.sick.id
    # No activity called "Permisjon": created but inactive until the admin picks one.
    assert absence["permisjon"].activity_id is None and not absence["permisjon"].is_active
    # Running it again adds nothing.
    client.post("/admin/tillegg/standardtyper")
    assert len(list(db.session.scalars(select(SupplementType)))) == 9
    page = client.get("/admin/tillegg").get_data(as_text=True)
    assert "Overtid 50 %" in page and "2005" in page
    for url in PAGES:
        body = client.get(url).get_data(as_text=True)
        assert "style=" not in body and "<script>" not in body and " onclick=" not in body


def _supplement_form(name: str, **fields: str) -> dict[str, str]:
    """The supplement type form as the page posts it: hours per entry unless told otherwise."""
    return {"name": name, "unit": "hours", "per": "entry", **fields}


def test_create_supplement_type_and_audit(client, login, world, db):
    login(world.admin)
    response = client.post(
        "/admin/tillegg",
        data=_supplement_form(
            "Utetillegg",
            salary_type_id=str(world.overtime50.id),
            product_id="",
            position="3",
            is_active="y",
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    row = db.session.scalar(select(SupplementType).where(SupplementType.name == "Utetillegg"))
    assert row.salary_type_id == world.overtime50.id and row.is_active
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.entity == "supplement_type", AuditEvent.entity_id == str(row.id)
        )
    )
    assert event.action == "create" and event.changes["name"] == [None, "Utetillegg"]
    # Edit: deactivate.
    response = client.post(
        f"/admin/tillegg/{row.id}",
        data=_supplement_form("Utetillegg", salary_type_id="", position="3"),
    )
    assert response.status_code == 302
    db.session.refresh(row)
    assert not row.is_active and row.salary_type_id is None


@pytest.mark.parametrize(
    "data,message",
    [
        ({"name": "", "unit": "hours", "per": "entry"}, "Navn mangler"),
        ({"name": "X", "unit": "liter", "per": "entry"}, "Velg en gyldig enhet"),
        (
            {"name": "X", "unit": "hours", "per": "entry", "salary_type_id": "abc"},
            "Ukjent lønnsart",
        ),
        ({"name": "X", "unit": "km", "per": "entry", "asks_for_product": "y"}, "enheten stk"),
    ],
)
def test_supplement_type_rules(client, login, world, data, message):
    login(world.admin)
    response = client.post("/admin/tillegg", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_mapping_to_another_companys_salary_type_is_unknown(client, login, make_world, db):
    mine, theirs = make_world(), make_world()
    login(mine.admin)
    response = client.post(
        "/admin/tillegg", data=_supplement_form("Lurt", salary_type_id=str(theirs.overtime50.id))
    )
    assert response.status_code == 422
    assert "Ukjent lønnsart" in response.get_data(as_text=True)
    assert db.session.scalar(select(SupplementType).where(SupplementType.name == "Lurt")) is None


def test_absence_type_needs_own_activity(client, login, make_world, db):
    mine, theirs = make_world(), make_world()
    login(mine.admin)
    data = {"name": "Velferdspermisjon", "code": "permisjon", "activity_id": ""}
    response = client.post("/admin/fravaerstyper", data=data)
    assert response.status_code == 422 and "Velg aktiviteten" in response.get_data(as_text=True)
    data["activity_id"] = str(theirs.holiday.id)
    response = client.post("/admin/fravaerstyper", data=data)
    assert response.status_code == 422 and "Ukjent aktivitet" in response.get_data(as_text=True)
    # A project activity needs a project, which absence never has: refused, and not offered.
    data["activity_id"] = str(mine.work.id)
    response = client.post("/admin/fravaerstyper", data=data)
    assert response.status_code == 422
    assert "er en prosjektaktivitet. Fravær føres uten prosjekt" in response.get_data(as_text=True)
    page = client.get("/admin/fravaerstyper").get_data(as_text=True)
    offered = re.search(r'<select[^>]*name="activity_id".*?</select>', page, re.S).group(0)
    assert f'value="{mine.holiday.id}"' in offered
    assert f'value="{mine.work.id}"' not in offered
    data["activity_id"] = str(mine.holiday.id)
    assert client.post("/admin/fravaerstyper", data=data).status_code == 302
    row = db.session.scalar(select(AbsenceType).where(AbsenceType.name == "Velferdspermisjon"))
    assert row.activity_id == mine.holiday.id and row.code == "permisjon"


def test_custom_field_create_key_and_choices(client, login, world, db):
    login(world.admin)
    response = client.post(
        "/admin/egne-felt",
        data={
            "label": "Maskin brukt",
            "key": "",
            "field_type": "choice",
            "choices": "Gravemaskin\n\nLift\nLift\n",
            "required": "y",
            "project_id": str(world.project.id),
            "include_in_transfer": "y",
            "is_active": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    field = db.session.scalar(select(CustomField))
    assert field.key == "maskin_brukt"
    assert field.choices == ["Gravemaskin", "Lift"]
    assert field.required and field.project_id == world.project.id
    page = client.get(f"/admin/egne-felt/{field.id}").get_data(as_text=True)
    assert "Gravemaskin\nLift" in page


@pytest.mark.parametrize(
    "data,message",
    [
        ({"label": "Maskin", "field_type": "choice", "choices": ""}, "Skriv inn valgene"),
        ({"label": "Dato", "key": "dato", "field_type": "text"}, "reservert"),
        ({"label": "X", "key": "1abc", "field_type": "text"}, "små bokstaver"),
        ({"label": "X", "field_type": "farge"}, "gyldig felttype"),
        ({"label": "", "field_type": "text"}, "Ledetekst mangler"),
    ],
)
def test_custom_field_rules(client, login, world, data, message):
    login(world.admin)
    response = client.post("/admin/egne-felt", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_custom_field_key_unique(client, login, world):
    login(world.admin)
    data = {"label": "Bil", "field_type": "text"}
    assert client.post("/admin/egne-felt", data=data).status_code == 302
    response = client.post("/admin/egne-felt", data=data)
    assert response.status_code == 422 and "allerede i bruk" in response.get_data(as_text=True)

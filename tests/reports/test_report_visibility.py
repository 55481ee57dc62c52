"""Who sees what, over every route of tipro.reports.routes: admins their whole company, an
approver their people and projects (the approval visibility rule), an employee only their own
hours, and nobody another company's — also when they ask for its people or projects by id."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest

from tests.reports.conftest import (
    APPROVER_TOTAL,
    KARI_TOTAL,
    OTHER_COMPANY_TOTAL,
    SECRET,
    TOTAL,
    WHOLE,
)

# (endpoint, URL): every view function of tipro.reports.routes (see the completeness test).
ROUTES = [
    ("reports.index", "/rapporter"),
    ("reports.entries", "/rapporter/timer"),
    ("reports.export", "/rapporter/eksport.csv"),
    ("reports.export", "/rapporter/eksport.xlsx"),
    ("reports.entries_export", "/rapporter/timer.csv"),
    ("reports.entries_export", "/rapporter/timer.xlsx"),
]
NAMES = ("Kari Nordmann", "Ola Nordmann", "Per Salg", "Fremmed Person")


def test_every_report_route_is_in_the_list(app):
    listed = {endpoint for endpoint, _url in ROUTES}
    views = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "__module__", "") == "tipro.reports.routes"
    }
    assert views and views == listed


def text_of(response) -> str:
    """What the answer shows, whatever its format (XLSX cells joined, numbers with a comma)."""
    if response.mimetype.endswith("spreadsheetml.sheet"):
        sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
        cells = []
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, int | float) and not isinstance(value, bool):
                    value = f"{value:.2f}".replace(".", ",")
                cells.append("" if value is None else str(value))
        return "\n".join(cells)
    return response.get_data(as_text=True)


def shows_total(text: str, total) -> bool:
    """The total appears as the page (7,5 / 47,75) or an export (47,50) writes it."""
    short = f"{total.normalize():f}".replace(".", ",")
    if "," not in short:
        short += ",0"
    return bool(re.search(rf"(?<![\d,]){re.escape(short)}(?![\d])", text)) or (
        f"{total:.2f}".replace(".", ",") in text
    )


def get(client, url, **args):
    query = {**WHOLE, "gruppe": "ansatt", **args}
    response = client.get(url, query_string=query, buffered=True)
    assert response.status_code == 200, (url, response.status_code)
    return text_of(response)


@pytest.mark.parametrize(("endpoint", "url"), ROUTES)
def test_admin_sees_the_whole_company_and_nothing_else(world, as_user, endpoint, url):
    text = get(as_user(world.admin), url)
    assert all(name in text for name in NAMES[:3])
    assert "Fremmed Person" not in text
    assert shows_total(text, TOTAL)


@pytest.mark.parametrize(("endpoint", "url"), ROUTES)
def test_approver_sees_their_people_and_projects_only(world, as_user, endpoint, url):
    text = get(as_user(world.approver), url)
    assert "Kari Nordmann" in text and "Ola Nordmann" in text
    # Per (Salg) only with his hours on Berit's project 101, not those on Salg's 106.
    assert "Per Salg" in text and SECRET not in text and "106 Salgsmøter" not in text
    assert shows_total(text, APPROVER_TOTAL) and not shows_total(text, TOTAL)


@pytest.mark.parametrize(("endpoint", "url"), ROUTES)
def test_another_departments_approver_sees_only_their_own(world, as_user, endpoint, url):
    text = get(as_user(world.siri), url, gruppe="prosjekt")
    # Siri leads Salg and project 106: Per's 8 h there, and his 2 h on 101 via his department.
    assert "106 Salgsmøter" in text and "Kari Nordmann" not in text
    assert "Ola Nordmann" not in text


@pytest.mark.parametrize(("endpoint", "url"), ROUTES)
def test_an_approver_set_in_tipro_sees_that_persons_hours(world, as_user, endpoint, url):
    """Siri leads neither Drift nor project 101; made Kari's approver in TiPro (as approval
    lines are asked of her), she sees Kari's hours — and still not Ola's."""
    from tipro.extensions import db

    world.kari.approver_id = world.siri.id
    db.session.commit()
    text = get(as_user(world.siri), url)
    assert "Kari Nordmann" in text and "Ola Nordmann" not in text


@pytest.mark.parametrize(("endpoint", "url"), ROUTES)
def test_employee_sees_only_their_own_hours(world, as_user, endpoint, url):
    client = as_user(world.kari)
    text = get(client, url)
    assert "Kari Nordmann" in text
    assert not any(name in text for name in NAMES[1:])
    assert shows_total(text, KARI_TOTAL)
    # Asking for a colleague's hours by id gives nothing of theirs.
    text = get(client, url, ansatt=str(world.ola.id))
    assert "Ola Nordmann" not in text and not shows_total(text, KARI_TOTAL)


@pytest.mark.parametrize(("endpoint", "url"), ROUTES)
def test_another_company_never_sees_ours(world, as_user, endpoint, url):
    client = as_user(world.other_admin)
    text = get(client, url)
    assert "Fremmed Person" in text and shows_total(text, OTHER_COMPANY_TOTAL)
    assert not any(name in text for name in NAMES[:3])
    for args in (
        {"ansatt": str(world.kari.id)},
        {"prosjekt": str(world.base.project.id)},
        {"kunde": str(world.customer.id)},
        {"nokkel": str(world.kari.id)},
    ):
        text = get(client, url, **args)
        assert not any(name in text for name in NAMES[:3])
        assert not shows_total(text, KARI_TOTAL)
        assert "Nybygg Lia" not in text and "Lia Borettslag" not in text


@pytest.mark.parametrize(("endpoint", "url"), ROUTES)
def test_login_required(client, endpoint, url):
    response = client.get(url)
    assert response.status_code == 302 and "/logg-inn" in response.headers["Location"]


@pytest.mark.parametrize("who", ["kari", "approver"])
def test_names_beyond_reach_are_not_offered_or_labelled(world, as_user, who):
    """A typed-in id of a project, customer or person the actor sees no hours of gives no name:
    not as a filter choice, not as the drill-down's heading (Salg's project 106, its customer,
    and for Kari also her colleague Per)."""
    from tipro.extensions import db
    from tipro.models import Customer

    secret_customer = Customer(
        company_id=world.company.id, tripletex_id=9002, name="Hemmelig Kunde AS", number=8
    )
    db.session.add(secret_customer)
    db.session.flush()
    world.sales_project.customer_id = secret_customer.id
    db.session.commit()
    client = as_user(getattr(world, who))
    for args in (
        {"prosjekt": str(world.sales_project.id)},
        {"kunde": str(secret_customer.id)},
        {"gruppe": "prosjekt", "nokkel": str(world.sales_project.id)},
        {"gruppe": "kunde", "nokkel": str(secret_customer.id)},
    ):
        for url in ("/rapporter", "/rapporter/timer"):
            text = get(client, url, **args)
            assert "Salgsmøter" not in text and "Hemmelig Kunde" not in text, (url, args)
    if who == "kari":
        text = get(client, "/rapporter/timer", nokkel=str(world.per.id))
        assert "Per Salg" not in text
    # Siri leads Salg: she sees Per's hours on 106, so its names are hers to see.
    siri = as_user(world.siri)
    assert "Salgsmøter" in get(siri, "/rapporter", prosjekt=str(world.sales_project.id))
    text = get(siri, "/rapporter/timer", gruppe="prosjekt", nokkel=str(world.sales_project.id))
    assert "Føringer: 106 Salgsmøter" in text
    admin = as_user(world.admin)
    assert "Føringer: Per Salg" in get(admin, "/rapporter/timer", nokkel=str(world.per.id))

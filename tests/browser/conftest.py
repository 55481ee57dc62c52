"""Playwright in Debian's Chromium against the app on a real loopback server."""

import pytest
from playwright.sync_api import expect

# The suite runs a pytest worker per core (scripts/test.sh), so two browsers, their servers and
# PostgreSQL share the machine: what a page shows may take longer than Playwright's default
# 5 s to appear. A check that holds returns at once; only a failing one waits this long.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # `playwright install` cannot download browsers here; Debian's Chromium is used instead.
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium"}


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server.url


@pytest.fixture
def seeded(committed_db):
    """Committed data a browser (another thread) can see; truncated after the test."""
    return committed_db


@pytest.fixture
def worker(seeded):
    """An employee of a fresh company with one project (101 Nybygg Lia) and its activity."""
    import secrets

    from tests.conftest import password_hash
    from tipro.models import Activity, Company, Employee, Project, ProjectActivity, User

    session = seeded.session
    company = Company(name=f"Fjellheim {secrets.token_hex(3)} AS")
    session.add(company)
    session.flush()
    employee = Employee(company_id=company.id, tripletex_id=1, first_name="Kari", last_name="N")
    activity = Activity(
        company_id=company.id, tripletex_id=2, name="Montering", is_project_activity=True
    )
    project = Project(company_id=company.id, tripletex_id=3, number="101", name="Nybygg Lia")
    session.add_all([employee, activity, project])
    session.flush()
    session.add(
        ProjectActivity(company_id=company.id, project_id=project.id, activity_id=activity.id)
    )
    user = User(
        company_id=company.id,
        email=f"kari-{secrets.token_hex(3)}@fjellheim.no",
        role="employee",
        name="Kari Nordmann",
        employee_id=employee.id,
        password_hash=password_hash(),
    )
    session.add(user)
    session.commit()
    return user


@pytest.fixture
def logged_in(page, base_url, worker):
    """The worker logged in at 360 px, with htmx wired up; yields the page."""
    from playwright.sync_api import expect

    from tests.conftest import TEST_PASSWORD

    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{base_url}/logg-inn")
    page.get_by_label("E-post").fill(worker.email)
    page.get_by_label("Passord").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    expect(page.get_by_role("navigation").first).to_be_visible()
    # htmx is a deferred script: wait until it has wired the page before using it.
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => window.htmx !== undefined && document.body.hasAttribute('hx-boost')"
    )
    return page

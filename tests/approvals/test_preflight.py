"""Pre-flight (tipro.approvals.preflight) against the sandbox over real HTTP, spec-checked.

Each check is tripped by a state the sandbox presents (seeded, or changed as someone working in
Tripletex would, before or after the last sync), asserting the code, whether it blocks, and
that the hint names where to fix it.
"""

from __future__ import annotations

import socket
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from tests.factories import DAY, in_company, new_company, new_user
from tests.statements import counted
from tipro.approvals import preflight
from tipro.approvals.preflight import Problem, resolve_rate
from tipro.extensions import db
from tipro.models import TimeEntry

NEXT = DAY + timedelta(days=1)


def check(world, first=DAY, last=None, user=None, **kwargs):
    return preflight.check(user or world.employee, first, last or first, **kwargs)


def only(problems, code):
    """The one problem with `code` (and fail with the whole list otherwise)."""
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, [(p.code, p.params) for p in problems]
    return found[0]


def codes(problems):
    return [p.code for p in problems]


def kari_tx(world):
    return world.employee.employee.tripletex_id


def kari_employment(world):
    return world.tx_get("employee", kari_tx(world))["employments"][0]["id"]


# ---------------------------------------------------------------- a clean period


@pytest.mark.parametrize("fresh", [False, True])
def test_a_clean_period_has_no_problems(tx_world, fresh):
    w = tx_world
    w.entry(project="1001", activity="Snekring")  # project-specific rate
    w.entry(day=NEXT, project="1002", activity="Snekring")  # fixed rate
    overtime = w.entry(day=NEXT, project="1005", activity="Garantiarbeid")  # not chargeable
    w.supplement(overtime, w.overtime)
    w.entry(project=None, activity="Intern tid", hours="1")
    w.absence(day=DAY + timedelta(days=2))
    calls = w.sandbox.state.count_calls()

    assert check(w, DAY, DAY + timedelta(days=6), fresh=fresh) == []
    made = w.sandbox.state.count_calls() - calls
    if fresh:
        # access (4), the employee, the projects, one month, nothing else: no rate was needed.
        assert made == 7
    else:
        assert made == 0  # only the database


# ---------------------------------------------------------------- the person


@pytest.mark.parametrize("fresh", [False, True])
def test_a_person_without_a_tripletex_employee(tx_world, fresh):
    w = tx_world
    stranger = new_user(w.company, "employee", email="ny@example.no", name="Nils Ny")
    w.entry(user=stranger)

    problem = only(check(w, user=stranger, fresh=fresh), "employee_not_linked")
    assert problem.blocking
    assert problem.params["person"] == "Nils Ny" and "Nils Ny" in problem.message
    assert problem.hint.startswith("TiPro: Admin › Brukere") and problem.fix_in == "tipro"


def test_employment_ended_in_tripletex_after_the_sync(tx_world):
    w = tx_world
    w.entry()
    w.entry(day=NEXT)
    w.tripletex_update("employment", kari_employment(w), endDate=DAY.isoformat())

    assert check(w, DAY, NEXT, fresh=False) == []  # the synced employment still covers both
    problem = only(check(w, DAY, NEXT), "no_employment")
    assert problem.blocking and problem.params["date"] == NEXT.isoformat()
    assert problem.params["days"] == 1
    assert "Kari Hansen" in problem.message and "Tripletex" in problem.message
    assert problem.hint == (
        "Tripletex: Lønn › Ansatte › Kari Hansen › Arbeidsforhold — legg inn eller forleng "
        "arbeidsforholdet."
    )

    w.sync()
    assert codes(check(w, DAY, NEXT, fresh=False)) == ["no_employment"]


def test_employee_without_any_employment(tx_world):
    w = tx_world
    w.entry()
    w.entry(day=NEXT)
    w.tripletex_delete("employment", kari_employment(w))
    w.sync()

    for fresh in (False, True):
        problem = only(check(w, DAY, NEXT, fresh=fresh), "no_employment")
        assert problem.params["days"] == 2 and problem.params["date"] == DAY.isoformat()
        assert "og 1 dag til" in problem.message


def test_employment_without_division_warns_for_timesheets_and_blocks_salary(tx_world):
    w = tx_world
    w.entry()
    w.tripletex_update("employment", kari_employment(w), division=None)

    warning = only(check(w), "employment_no_division")
    assert not warning.blocking
    assert "virksomhet" in warning.message
    assert warning.hint.startswith("Tripletex: Lønn › Ansatte › Kari Hansen › Arbeidsforhold")
    assert only(check(w, payroll_mode="salary"), "employment_no_division").blocking


def test_seeded_employee_without_division(tx_world):
    """Sindre Haugen's employment has no division in the demo seed."""
    w = tx_world
    sindre = new_user(w.company, "employee", email="sindre@fjellheimbygg.no", name="Sindre")
    w.sync()
    w.entry(user=sindre, project="1004", activity="Snekring")
    problems = check(w, user=sindre, fresh=False, payroll_mode="lonnsbilag")
    assert only(problems, "employment_no_division").blocking


def test_employee_deleted_in_tripletex_after_the_sync(tx_world):
    w = tx_world
    asked = w.sandbox.state.count_calls(path_prefix="/timesheet/month")  # the sync's vacation
    w.entry()
    w.tripletex_delete("employee", kari_tx(w))

    assert check(w, fresh=False) == []
    problem = only(check(w), "employee_not_found")
    assert problem.blocking and problem.params == {"employee": "Kari Hansen"}
    assert problem.hint.startswith("Tripletex: Ansatte")
    assert w.sandbox.state.count_calls(path_prefix="/timesheet/month") == asked  # nobody to ask


# ---------------------------------------------------------------- the Tripletex month


def test_month_approved_in_tripletex_after_the_sync_is_caught_by_the_fresh_read(tx_world):
    w = tx_world
    w.entry()
    w.entry(day=NEXT)
    # Approved after the last sync, up to and including DAY: NEXT is still open.
    w.tripletex_approve_month(kari_tx(w), "2026-11", until=DAY)

    assert check(w, DAY, NEXT, fresh=False) == []
    problem = only(check(w, DAY, NEXT), "month_locked")
    assert problem.blocking
    assert problem.params == {
        "month": "2026-11",
        "until": DAY.isoformat(),
        "employee": "Kari Hansen",
        "date": DAY.isoformat(),
        "days": 1,
    }
    assert "november 2026" in problem.message and "Kari Hansen" in problem.message
    assert problem.hint.startswith("Tripletex: Timeliste › Godkjenning › november 2026")

    w.tripletex_approve_month(kari_tx(w), "2026-11", approved=False)
    assert check(w, DAY, NEXT) == []


def test_each_month_with_hours_is_read(tx_world):
    """A week across a month end: both months are asked; only the approved one locks."""
    w = tx_world
    w.entry(day=date(2026, 10, 30))
    w.entry(day=date(2026, 11, 2))
    w.tripletex_approve_month(kari_tx(w), "2026-10")
    before = w.sandbox.state.count_calls(path_prefix="/timesheet/month")

    problem = only(check(w, date(2026, 10, 26), date(2026, 11, 2)), "month_locked")
    assert problem.params["month"] == "2026-10" and problem.params["until"] == "2026-10-31"
    assert w.sandbox.state.count_calls(path_prefix="/timesheet/month") - before == 2


# ---------------------------------------------------------------- projects


def test_project_closed_in_tripletex_after_the_sync(tx_world):
    w = tx_world
    w.entry(project="1001")
    w.tripletex_update("project", w.projects["1001"].tripletex_id, isClosed=True)

    assert check(w, fresh=False) == []
    problem = only(check(w), "project_closed")
    assert problem.blocking and problem.params["project"] == "1001 Rehabilitering Skøyen"
    assert problem.hint.startswith("Tripletex: Prosjekt › 1001 Rehabilitering Skøyen › Rediger")

    w.sync()
    assert codes(check(w, fresh=False)) == ["project_closed"]


@pytest.mark.parametrize("fresh", [False, True])
@pytest.mark.parametrize(
    ("number", "activity", "code", "extra", "hint"),
    [
        ("1006", "Snekring", "project_closed", {}, "Tripletex: Prosjekt › 1006"),
        (
            "1007",
            "Snekring",
            "project_not_started",
            {"start": "2099-04-01"},
            "Tripletex: Prosjekt › 1007 Hytteprosjekt Tønsberg › Rediger — endre startdatoen",
        ),
        (
            "1008",
            "Elektroarbeid",
            "project_not_participant",
            {"employee": "Kari Hansen"},
            "Tripletex: Prosjekt › 1008 Hemmelig oppdrag Skøyen › Deltakere — legg til Kari",
        ),
    ],
)
def test_seeded_projects_that_refuse_hours(tx_world, fresh, number, activity, code, extra, hint):
    w = tx_world
    w.entry(project=number, activity=activity)

    problem = only(check(w, fresh=fresh), code)
    assert problem.blocking
    assert problem.params["project"] == w.projects[number].display_name
    assert {k: problem.params[k] for k in extra} == extra
    assert problem.hint.startswith(hint)
    assert problem.params["project"] in problem.message


def test_project_ended(tx_world):
    w = tx_world
    w.entry(project="1005", activity="Garantiarbeid")
    ended = DAY - timedelta(days=10)
    w.tripletex_update("project", w.projects["1005"].tripletex_id, endDate=ended.isoformat())

    problem = only(check(w), "project_ended")  # fresh
    assert problem.params["end"] == ended.isoformat()
    assert problem.hint.startswith("Tripletex: Prosjekt › 1005 Vedlikehold Nordre Aker › Rediger")
    w.sync()
    assert only(check(w, fresh=False), "project_ended").params["end"] == ended.isoformat()


def test_project_deleted_in_tripletex(tx_world):
    w = tx_world
    w.entry(project="1005", activity="Garantiarbeid")
    w.tripletex_delete("project", w.projects["1005"].tripletex_id)

    assert only(check(w), "project_unknown").blocking  # fresh: not there any more
    w.sync()  # the project becomes inactive
    problem = only(check(w, fresh=False), "project_unknown")
    assert problem.hint.startswith("TiPro: Uke") and "Tripletex: Prosjekt" in problem.hint


def test_participant_removed_in_tripletex_after_the_sync(tx_world):
    w = tx_world
    w.entry(project="1008", activity="Elektroarbeid", user=w.colleague)
    project = w.projects["1008"].tripletex_id
    # Ola joins the participants-only project in Tripletex, TiPro syncs, then he is removed.
    participant = w.sandbox.state.create(
        "participant",
        {"project": {"id": project}, "employee": {"id": w.colleague.employee.tripletex_id}},
    )
    stored = w.tx_get("project", project)
    w.tripletex_update(
        "project", project, participants=[*stored["participants"], {"id": participant["id"]}]
    )
    w.sync()
    assert check(w, user=w.colleague) == []

    w.tripletex_delete("participant", participant["id"])
    assert check(w, user=w.colleague, fresh=False) == []
    assert only(check(w, user=w.colleague), "project_not_participant").params["employee"] == (
        "Ola Nordmann"
    )


# ---------------------------------------------------------------- activities


@pytest.mark.parametrize("fresh", [False, True])
@pytest.mark.parametrize(
    ("number", "activity"),
    [
        ("1005", "Befaring Skøyen"),  # another project's own activity
        ("1001", "Intern tid"),  # a general activity is for hours without a project
    ],
)
def test_activity_not_allowed_on_its_project(tx_world, fresh, number, activity):
    w = tx_world
    w.entry(project=number, activity=activity)

    problem = only(check(w, fresh=fresh), "activity_not_allowed")
    assert problem.blocking and problem.params["activity"].endswith(activity)
    project = w.projects[number].display_name
    assert problem.hint.startswith(f"Tripletex: Prosjekt › {project} › Aktiviteter")


def test_activity_link_closed_in_tripletex_after_the_sync(tx_world):
    w = tx_world
    w.entry(project="1001", activity="Befaring Skøyen")
    activity = w.activities["Befaring Skøyen"].tripletex_id
    link = [
        ref["id"]
        for ref in w.tx_get("project", w.projects["1001"].tripletex_id)["projectActivities"]
        if w.tx_get("projectActivity", ref["id"])["activity"]["id"] == activity
    ]
    w.tripletex_update("projectActivity", link[0], isClosed=True)

    assert check(w, fresh=False) == []
    assert only(check(w), "activity_not_allowed").params["project"] == "1001 Rehabilitering Skøyen"


@pytest.mark.parametrize("fresh", [False, True])
def test_project_activity_without_a_project(tx_world, fresh):
    w = tx_world
    w.entry(project=None, activity="Snekring")

    problem = only(check(w, fresh=fresh), "activity_needs_project")
    assert problem.blocking and problem.fix_in == "tipro" and problem.hint.startswith("TiPro: Uke")


def test_activity_disabled_in_tripletex(tx_world):
    w = tx_world
    w.entry(project="1005", activity="Garantiarbeid")
    w.tripletex_update("activity", w.activities["Garantiarbeid"].tripletex_id, isDisabled=True)
    w.sync()

    problem = only(check(w, fresh=False), "activity_inactive")
    assert problem.params["activity"] == "14 Garantiarbeid"
    assert problem.hint.startswith("Tripletex: Aktiviteter › 14 Garantiarbeid")


# ---------------------------------------------------------------- supplements and absence


def _with_supplement(w, stype, **fields):
    entry = w.entry(project="1005", activity="Garantiarbeid")
    w.supplement(entry, stype, **fields)
    return entry


@pytest.mark.parametrize("fresh", [False, True])
def test_supplement_without_salary_type(tx_world, fresh):
    w = tx_world
    _with_supplement(w, w.supplement_type("Diett"))

    problem = only(check(w, fresh=fresh), "supplement_no_salary_type")
    assert problem.blocking and problem.params["type"] == "Diett"
    assert problem.hint == "TiPro: Admin › Tillegg og felt › Diett — velg lønnsart."


def test_supplement_salary_type_not_shown_in_timesheet(tx_world):
    w = tx_world
    bonus = w.supplement_type("Bonus", salary_type_id=w.salary_types["2002"].id)
    _with_supplement(w, bonus)

    problem = only(check(w, fresh=False), "supplement_salary_type_not_in_timesheet")
    assert problem.blocking and problem.params["salary_type"] == "2002 Bonus"
    assert problem.hint.startswith("Tripletex: Lønn › Lønnsarter › 2002 Bonus — kryss av")
    # Payslips (salary transactions) do not need the timesheet mark.
    assert check(w, fresh=False, payroll_mode="salary") == []


def test_supplement_salary_type_gone_from_tripletex(tx_world):
    w = tx_world
    km = w.supplement_type("Kjøring", unit="km", salary_type_id=w.salary_types["7100"].id)
    _with_supplement(w, km, quantity="42")
    w.tripletex_delete("salaryType", w.salary_types["7100"].tripletex_id)
    w.sync()

    problem = only(check(w, fresh=False), "supplement_salary_type_inactive")
    assert problem.params == {"type": "Kjøring", "salary_type": "7100 Kilometergodtgjørelse"}
    assert problem.hint.startswith("TiPro: Admin › Tillegg og felt › Kjøring")


def test_billable_supplements_need_an_active_product_with_a_price(tx_world):
    w = tx_world
    salary = w.salary_types["7100"].id
    no_product = w.supplement_type("Bompenger", unit="nok", salary_type_id=salary, billable=True)
    old = w.supplement_type(
        "Lærlingtimer", salary_type_id=salary, billable=True, product_id=w.products["T-099"].id
    )
    free = w.supplement_type(
        "Materiell", unit="pieces", salary_type_id=salary, billable=True,
        product_id=w.products["M-100"].id,
    )  # fmt: skip
    priced = w.supplement_type(
        "Kjøring", unit="km", salary_type_id=salary, billable=True, product_id=w.products["KM-1"].id
    )
    entry = w.entry(project="1001")
    for stype in (no_product, old, free, priced):
        w.supplement(entry, stype)
    w.supplement(w.entry(project="1002", day=NEXT), free, amount=Decimal("120"))  # priced here

    problems = check(w, DAY, NEXT, fresh=False)
    assert codes(problems) == [
        "supplement_no_product",
        "supplement_product_inactive",
        "supplement_no_price",
    ]
    assert only(problems, "supplement_no_product").hint.startswith(
        "TiPro: Admin › Tillegg og felt › Bompenger — velg produkt"
    )
    inactive = only(problems, "supplement_product_inactive")
    assert inactive.params["product"] == "T-099 Timepris lærling (utgått)"
    assert inactive.hint.startswith("Tripletex: Produkter › T-099")
    warning = only(problems, "supplement_no_price")
    assert not warning.blocking and warning.params["date"] == DAY.isoformat()
    assert warning.params["days"] == 1  # the entry with an amount is priced
    assert warning.hint.startswith("Tripletex: Produkter › M-100 Byggematerialer — sett en pris")


@pytest.mark.parametrize("fresh", [False, True])
def test_absence_type_without_activity(tx_world, fresh):
    w = tx_world
    leave = w.absence_type("Permisjon", code="permisjon")
    w.absence(atype=leave)

    problem = only(check(w, fresh=fresh), "absence_no_activity")
    assert problem.blocking
    assert problem.hint == "TiPro: Admin › Tillegg og felt › Fravær › Permisjon — velg aktivitet."
    # Salary transactions need the salary type instead.
    salary = only(check(w, fresh=fresh, payroll_mode="salary"), "absence_no_salary_type")
    assert salary.blocking and salary.hint == (
        "TiPro: Admin › Tillegg og felt › Fravær › Permisjon — velg lønnsart."
    )
    assert codes(check(w, fresh=fresh, payroll_mode="salary")) == ["absence_no_salary_type"]


def test_absence_salary_type_gone_from_tripletex(tx_world):
    w = tx_world
    w.holiday.salary_type_id = w.salary_types["2001"].id
    w.absence()
    w.tripletex_delete("salaryType", w.salary_types["2001"].tripletex_id)
    w.sync()

    problem = only(check(w, fresh=False), "absence_salary_type_inactive")
    assert problem.params == {"type": "Ferie", "salary_type": "2001 Timelønn"}
    assert problem.hint.startswith("TiPro: Admin › Tillegg og felt › Fravær › Ferie")


# ---------------------------------------------------------------- prices


def test_a_billable_line_whose_price_resolves_to_zero(tx_world):
    """1005 uses predefined rates: without an activity rate, the employee's rate decides."""
    w = tx_world
    w.tripletex_update("activity", w.activities["Snekring"].tripletex_id, rate=None)
    w.sync()
    w.entry(project="1005", activity="Snekring")

    assert check(w, fresh=False) == []  # the employee's rate is not synced: cannot tell
    assert check(w) == []  # Tripletex: Kari's own rate, 850
    rate = w.tx_id("hourlyCostAndRate", employee={"id": kari_tx(w)})
    w.tripletex_update("hourlyCostAndRate", rate, rate=0.0)

    problem = only(check(w), "price_missing")
    assert problem.blocking
    assert problem.params["project"] == "1005 Vedlikehold Nordre Aker"
    assert problem.params["activity"] == "10 Snekring"
    assert "Tripletex: Prosjekt › 1005 Vedlikehold Nordre Aker › Timepriser" in problem.hint
    assert "Ansatte › Kari Hansen › Timekost og timepris" in problem.hint


def test_resolve_rate_follows_tripletex():
    def rate(project_id=1, activity_id=None, employee_id=None, start=None, model=None, value="0"):
        return SimpleNamespace(
            project_id=project_id,
            activity_id=activity_id,
            employee_id=employee_id,
            start_date=start,
            rate_model=model or "TYPE_PROJECT_SPECIFIC_HOURLY_RATES",
            rate=Decimal(value),
        )

    def resolve(rates, activity_rate=None, day=DAY, activity_id=7, employee_id=3):
        return resolve_rate(
            rates,
            project_id=1,
            activity_id=activity_id,
            employee_id=employee_id,
            day=day,
            activity_rate=activity_rate,
        )

    specific = [
        rate(value="800"),
        rate(activity_id=7, value="900"),
        rate(employee_id=3, value="950"),
        rate(employee_id=3, activity_id=7, value="1000"),
        rate(project_id=2, value="5"),
    ]
    assert resolve(specific) == Decimal("1000")
    assert resolve(specific, employee_id=4) == Decimal("900")
    assert resolve(specific, employee_id=4, activity_id=8) == Decimal("800")
    # The newest model on or before the day applies: a fixed rate from the day before.
    newer = [*specific, rate(start=DAY, model="TYPE_FIXED_HOURLY_RATE", value="1100")]
    assert resolve(newer) == Decimal("1100")
    assert resolve(newer, day=DAY - timedelta(days=1)) == Decimal("1000")
    # Nothing on the project: the activity's rate, else the employee's (None: not stored).
    assert resolve([rate(project_id=2)], activity_rate=Decimal("850")) == Decimal("850")
    assert resolve([], activity_rate=None) is None


# ---------------------------------------------------------------- the connection


def test_tripletex_unreachable_is_a_blocking_problem_not_a_crash(tx_world):
    w = tx_world
    w.entry(project="1006")  # closed: still reported from the synced data
    w.tripletex_faults({"rules": [{"kind": "5xx", "times": 1000, "status": 503}]})

    problems = check(w)
    assert codes(problems) == ["tripletex_unreachable", "project_closed"]
    problem = problems[0]
    assert problem.blocking and problem.fix_in == "tipro" and problem.params["status"] == 503
    assert "Fikk ikke kontakt med Tripletex" in problem.message
    assert problem.hint.startswith("Prøv igjen om litt")


@pytest.mark.parametrize("rule", [{"kind": "5xx", "status": 503}, {"kind": "429"}])
def test_a_transient_failure_raises_when_the_caller_retries_it(tx_world, rule):
    """The transfer's pre-flight (raise_transient) is retried as a job: a 429 or 5xx raises
    instead of blocking everybody; a 4xx is still a problem on the results."""
    from tipro.tripletex.errors import RateLimited, ServerError

    w = tx_world
    w.entry()
    w.tripletex_faults({"rules": [{**rule, "times": 1000, "reset_seconds": 0}]})
    with pytest.raises((ServerError, RateLimited)):
        preflight.check_many([w.employee], DAY, DAY, raise_transient=True)
    w.tripletex_faults({"clear": True})
    w.tripletex_faults({"rules": [{"kind": "error", "times": 1000, "status": 400, "code": 1000}]})
    found = preflight.check_many([w.employee], DAY, DAY, raise_transient=True)
    assert "tripletex_unreachable" in codes(found[w.employee.id])


def test_tripletex_refusing_connections_is_unreachable(tx_world, tx_app):
    w = tx_world
    w.entry()
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    tx_app.config["TRIPLETEX_API_URL"] = f"http://127.0.0.1:{closed}/v2"

    problem = only(check(w), "tripletex_unreachable")
    assert problem.blocking and problem.params == {}  # no status: nothing answered


def test_a_revoked_key_asks_for_a_new_one(tx_world):
    w = tx_world
    w.entry()
    w.sandbox.state.revoke_employee_token()

    problem = only(check(w), "tripletex_reconnect")
    assert problem.blocking and "API-tilgang" in problem.hint and "Innstillinger" in problem.hint


def test_missing_salary_access(tx_world):
    w = tx_world
    w.entry()
    w.tripletex_modules(salary=False)

    problem = only(check(w), "tripletex_access")
    assert problem.blocking and problem.params == {"areas": "salary"}
    assert problem.message == "API-nøkkelen mangler tilgang i Tripletex til: lønn."
    assert problem.hint.startswith("Tripletex: Ansatte")


def test_a_company_not_connected_to_tripletex(db):
    company = new_company()
    user = new_user(company, "employee", name="Kari")
    with in_company(company):
        db.session.add(
            TimeEntry(
                company_id=company.id, uuid="9b0c4a2e-0000-4000-8000-000000000001",
                user_id=user.id, date=DAY, hours=Decimal("2"), state="submitted",
            )
        )  # fmt: skip
        db.session.commit()
        problems = preflight.check(user, DAY, DAY)
    assert codes(problems) == ["tripletex_not_connected", "employee_not_linked", "activity_missing"]
    assert problems[0].hint.startswith("TiPro: Admin › Innstillinger")
    assert problems[2].hint.startswith("TiPro: Uke — velg aktivitet")


# ---------------------------------------------------------------- statements and storage


@pytest.mark.parametrize("fresh", [False, True])
def test_statements_do_not_grow_with_the_entries(tx_world, fresh):
    w = tx_world

    def add_week(start):
        for n in range(5):
            day = start + timedelta(days=n)
            entry = w.entry(day=day, project="1001")
            w.supplement(entry, w.overtime)
            w.entry(day=day, project="1005", activity="Garantiarbeid", hours="1")
        w.absence(day=start + timedelta(days=5))
        db.session.commit()

    def statements(first, last):
        db.session.expire_all()
        with counted() as sent:
            check(w, first, last, fresh=fresh)
        db.session.rollback()
        return len(sent)

    monday = date(2026, 11, 2)
    add_week(monday)
    one_week = statements(monday, monday + timedelta(days=6))
    for week in range(1, 4):
        add_week(monday + timedelta(weeks=week))
    four_weeks = statements(monday, monday + timedelta(days=27))
    assert four_weeks == one_week
    assert one_week <= (12 if fresh else 6)


def test_problems_are_stored_and_read_back(app):
    problem = Problem(
        "no_employment", True, {"employee": "Kari Hansen", "date": "2026-11-16", "days": 3}
    )
    stored = problem.as_dict()
    assert stored == {
        "code": "no_employment",
        "blocking": True,
        "params": {"employee": "Kari Hansen", "date": "2026-11-16", "days": 3},
    }
    again = Problem.from_dict(stored)
    assert again == problem
    with app.app_context(), force_locale("nb"):
        assert again.message == (
            "Kari Hansen har ikke et arbeidsforhold i Tripletex som gjelder "
            "16. nov. 2026 og 2 dager til."
        )
        # A parameter an older stored problem lacks, and a code this version does not know.
        assert Problem("project_closed", True, {}).message.startswith("Prosjektet ? er avsluttet")
        assert Problem("retired_check", False, {}).message == "retired_check"
        assert Problem("retired_check", False, {}).hint == ""


# ---------------------------------------------------------------- the sandbox presents it


def test_sandbox_deleting_an_employment_leaves_the_employee(tx_world):
    w = tx_world
    employee = kari_tx(w)
    w.tripletex_delete("employment", kari_employment(w))
    assert w.tx_get("employee", employee)["employments"] == []
    listed = w.sandbox.state.all("employment")
    assert all(e["employee"]["id"] != employee for e in listed)


def test_sandbox_month_control_locks_the_entries_it_approves(tx_world):
    w = tx_world
    employee = kari_tx(w)
    entry = w.sandbox.state.insert(
        "timesheetEntry",
        {
            "employee": {"id": employee},
            "activity": {"id": w.activities["Intern tid"].tripletex_id},
            "date": DAY.isoformat(),
            "hours": 1.0,
            "locked": False,
        },
        fire=False,
    )
    status = w.tripletex_approve_month(employee, "2026-11", until=DAY)
    assert status["approved"] is True and status["approvedUntilDate"] == DAY.isoformat()
    assert w.tx_get("timesheetEntry", entry["id"])["locked"] is True
    w.tripletex_approve_month(employee, "2026-11", approved=False)
    assert w.tx_get("timesheetEntry", entry["id"])["locked"] is False


# ---------------------------------------------------------------- many people at once


def _people(world, n: int):
    """n more employees in Tripletex (each with an employment, like Kari's), linked to TiPro
    users with hours on Kari's day on 1001 and in the next month."""
    from tipro.models import Employee

    state = world.sandbox.state
    kari = state.get("employee", kari_tx(world))
    template = state.get("employment", kari["employments"][0]["id"])
    users = []
    for index in range(n):
        emp = state.insert(
            "employee",
            {
                "firstName": f"Person{index}",
                "lastName": "Mange",
                "displayName": f"Person{index} Mange",
                "employeeNumber": f"9{index:03d}",
                "isContact": False,
                "userType": "NO_ACCESS",
                "department": kari.get("department"),
                "employments": [],
            },
            fire=False,
        )
        employment = state.insert(
            "employment",
            {
                **{k: v for k, v in template.items() if k not in ("id", "version", "url")},
                "employee": {"id": emp["id"]},
                "employmentId": f"9{index:03d}-1",
                "employmentDetails": [],
            },
            fire=False,
        )
        emp["employments"] = [{"id": employment["id"]}]
        local = Employee(
            company_id=world.company.id,
            tripletex_id=emp["id"],
            first_name=f"Person{index}",
            last_name="Mange",
        )
        db.session.add(local)
        db.session.flush()
        user = new_user(world.company, "employee", name=f"Person{index}", employee_id=local.id)
        world.entry(user, DAY, "7.5", project="1001", activity="Snekring")
        world.entry(user, date(2026, 12, 1), "7.5", project="1001", activity="Snekring")
        users.append(user)
    db.session.commit()
    return users


def _gets(world) -> dict[str, int]:
    out: dict[str, int] = {}
    for call in world.sandbox.state.requests_snapshot():
        if call["method"] == "GET":
            out[call["path"]] = out.get(call["path"], 0) + 1
    return out


def test_many_people_are_read_by_id_lists_not_one_by_one(tx_world):
    """The transfer's pre-flight for a batch: GETs do not grow with the number of people
    (at most one per 100 ids per kind), and each person gets the same problems as alone."""
    w = tx_world
    users = [w.employee, *_people(w, 30)]
    w.entry(project="1001", activity="Snekring")
    w.entry(day=date(2026, 12, 1), project="1001", activity="Snekring")
    w.tripletex_approve_month(kari_tx(w), "2026-12")  # Kari's December is locked
    last = date(2026, 12, 31)
    with w.sandbox.state._log_lock:
        w.sandbox.state.request_log.clear()
    found = preflight.check_many(users, DAY, last, payroll_mode="timesheet")
    gets = _gets(w)
    assert gets.get("/v2/employee/hourlyCostAndRate", 0) == 0  # every line has a stored rate
    per_kind = {
        "/v2/employee": 1 + 1,  # the access check + everybody's employments (31 ids)
        "/v2/project": 1 + 1,  # the access check + the one project used
        "/v2/timesheet/month/byMonthNumber": 2,  # November and December, 31 ids each
    }
    for path, most in per_kind.items():
        assert gets.get(path, 0) <= most, (path, gets)
    assert sum(gets.values()) <= 8, gets  # + salary types and orders of the access check
    # The same answers as one by one.
    assert codes(found[w.employee.id]) == ["month_locked"]
    for user in users:
        alone = preflight.check(user, DAY, last, payroll_mode="timesheet")
        assert codes(found[user.id]) == codes(alone), user.name
    assert all(codes(found[u.id]) == [] for u in users[1:])
    assert w.sandbox.state.violations == []

"""Cross-cutting security guarantees: tenancy, roles, CSRF, CSP, secrets, redirects, webhooks."""

from __future__ import annotations

import base64
import logging
import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from tests.app.test_security import EXPECTED_CSP
from tests.factories import NOON, hours_world, new_entry
from tipro.extensions import csrf
from tipro.extensions import db as _db
from tipro.models import (
    AbsenceType,
    CustomField,
    Product,
    Project,
    ProjectActivity,
    SalaryType,
    SupplementType,
    TimeEntry,
    User,
)
from tipro.models.base import CompanyScoped

TIPRO = Path(__file__).resolve().parents[2] / "tipro"
TEMPLATES = sorted((TIPRO / "templates").rglob("*.html"))
OWN_JS = [p for p in (TIPRO / "static" / "js").glob("*.js") if not p.name.startswith("htmx-")]


def _throwaway_app(**config):
    from tipro import create_app

    folder = tempfile.mkdtemp(prefix="tipro-review-")
    return create_app(
        {"TESTING": True, "INSTANCE_PATH": folder, "SQLALCHEMY_DATABASE_URI": "sqlite://", **config}
    )


ROUTES = [
    (rule.endpoint, rule.rule, method)
    for rule in _throwaway_app().url_map.iter_rules()
    if rule.endpoint != "static"
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
]

# ---------------------------------------------------------------- 2. tenancy

# Tables that hold no company's data. A new table missing from here and not CompanyScoped
# fails test_every_company_table_is_company_scoped.
UNSCOPED_TABLES = {
    "companies": "the tenants themselves",
    "login_failures": "throttling by e-mail/address before anyone is logged in",
}


def test_every_company_table_is_company_scoped():
    tables = {t.name for t in _db.metadata.sorted_tables}
    assert set(UNSCOPED_TABLES) <= tables
    mapped = {m.class_.__table__.name: m.class_ for m in _db.Model.registry.mappers}
    assert tables == set(mapped), "a table without a model cannot be checked"
    for name, cls in sorted(mapped.items()):
        if name in UNSCOPED_TABLES:
            assert not issubclass(cls, CompanyScoped), name
            continue
        assert issubclass(cls, CompanyScoped), f"{cls.__name__} must inherit CompanyScoped"
        column = cls.__table__.c.company_id
        assert not column.nullable and column.foreign_keys, name


def _secret_entry(world, user, tail: str, comment: str, *, hours: str) -> TimeEntry:
    """A committed entry on the world's project, its uuid and comment easy to spot in a page."""
    return new_entry(
        user,
        world.day,
        hours,
        uuid=f"00000000-0000-4000-8000-00000000{tail}",
        project_id=world.project.id,
        activity_id=world.project_activity.id,
        comment=comment,
    )


@pytest.fixture
def two_worlds(db, frozen_clock):
    """Company A (the tests' own) and company B with one of everything A could point at."""
    today = frozen_clock(NOON).date()
    a, b = hours_world(today), hours_world(today)
    cid = b.company.id
    b_extra = {
        "supplement": SupplementType(company_id=cid, name="B-tillegg"),
        "absence": AbsenceType(company_id=cid, name="B-fravær", activity_id=b.general.id),
        "field": CustomField(
            company_id=cid, key="bfelt", label="B-felt-hemmelig", project_id=b.project.id
        ),
        "salary": SalaryType(company_id=cid, tripletex_id=9001, number="9", name="B-lønn"),
        "product": Product(company_id=cid, tripletex_id=9002, name="B-produkt"),
    }
    db.session.add_all(b_extra.values())
    db.session.commit()
    b_extra["entry"] = _secret_entry(b, b.user, "b0b0", "B-kommentar-hemmelig", hours="3")
    return a, b, b_extra


def _count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return _db.session.scalar(query)


def test_ids_of_another_company_cannot_be_referenced_by_an_employee(client, login, two_worlds):
    """Child rows (supplements, absence, custom values) and pickers never reach company B."""
    a, b, bx = two_worlds
    login(a.user)
    base = {"date": a.day.isoformat(), "hours": "2", "comment": "A"}
    own = {"project_id": a.project.id, "activity_id": a.project_activity.id}
    attempts = {
        "foreign project": {**base, "project_id": b.project.id, "activity_id": b.general.id},
        "foreign activity": {**base, "project_id": a.project.id, "activity_id": b.general.id},
        "foreign supplement": {**base, **own, f"x_sup_{bx['supplement'].id}": "1"},
        "foreign absence": {
            **base,
            "kind": "absence",
            "activity_id": b.general.id,
            "x_absence_type": bx["absence"].id,
        },
    }
    for label, data in attempts.items():
        response = client.post("/registreringer", data=data)
        assert response.status_code in (404, 422), label
    assert _count(TimeEntry, company_id=a.company.id) == 0
    absence = client.post(
        "/fravaer", data={"absence_type_id": bx["absence"].id, "date": a.day.isoformat()}
    )
    assert absence.status_code == 422
    assert client.get(f"/uke?bruker={b.user.id}").status_code == 404
    assert "B-kommentar" not in client.get(f"/?gjenta={bx['entry'].id}").get_data(as_text=True)
    activities = client.get(f"/registreringer/aktiviteter?project_id={b.project.id}")
    assert "Fremmed" not in activities.get_data(as_text=True)
    fields = client.get(f"/registreringer/ekstrafelt?project_id={b.project.id}")
    assert "B-felt-hemmelig" not in fields.get_data(as_text=True)


def test_ids_of_another_company_cannot_be_referenced_by_an_admin(client, login, two_worlds):
    a, b, bx = two_worlds
    login(a.admin)
    cases = [
        ("/admin/tillegg", {"name": "S", "unit": "hours", "per": "entry"}, "salary_type_id"),
        ("/admin/tillegg", {"name": "P", "unit": "hours", "per": "entry"}, "product_id"),
        ("/admin/fravaerstyper", {"name": "F", "code": "ferie"}, "activity_id"),
        ("/admin/fravaerstyper", {"name": "G", "code": "ferie"}, "salary_type_id"),
        ("/admin/egne-felt", {"label": "L", "key": "lkey", "field_type": "text"}, "project_id"),
    ]
    foreign = {
        "salary_type_id": bx["salary"].id,
        "product_id": bx["product"].id,
        "activity_id": b.general.id,
        "project_id": b.project.id,
    }
    for url, data, field in cases:
        response = client.post(url, data={**data, field: foreign[field]})
        assert response.status_code == 422, (url, field)
    assert _count(SupplementType, company_id=a.company.id) == 0
    assert _count(AbsenceType, company_id=a.company.id) == 0
    assert _count(CustomField, company_id=a.company.id) == 0
    entry = {
        "date": a.day.isoformat(),
        "hours": "2",
        "project_id": a.project.id,
        "activity_id": a.project_activity.id,
        "user_id": b.user.id,
    }
    assert client.post("/registreringer", data=entry).status_code == 404
    assert _count(TimeEntry, company_id=a.company.id) == 0
    invite = client.post("/admin/synkronisering/inviter", data={"employee_id": b.employee.id})
    assert invite.status_code == 302
    assert _count(User, employee_id=b.employee.id) == 1  # only B's own user


def test_company_scope_filters_reads_and_get_or_404_checks_identity_map(app, db, two_worlds):
    """Jobs use company_scope; an object already in the identity map is still refused."""
    from werkzeug.exceptions import NotFound

    from tipro.tenancy import company_scope, get_or_404

    a, b, bx = two_worlds
    # The object is in the session's identity map: Session.get() returns it without a query.
    assert db.session.get(TimeEntry, bx["entry"].id) is bx["entry"]
    with company_scope(a.company.id):
        assert db.session.scalars(select(Project)).all()
        assert all(p.company_id == a.company.id for p in db.session.scalars(select(Project)))
        assert not db.session.scalars(select(TimeEntry).where(TimeEntry.id == bx["entry"].id)).all()
        with pytest.raises(NotFound):
            get_or_404(TimeEntry, bx["entry"].id)
        with pytest.raises(NotFound):
            get_or_404(TimeEntry, "1e309")
    with company_scope(b.company.id):
        assert get_or_404(TimeEntry, bx["entry"].id) is bx["entry"]
        # Joined child tables are filtered too (ProjectActivity of A never shows).
        rows = db.session.scalars(select(ProjectActivity)).all()
        assert rows and {r.company_id for r in rows} == {b.company.id}


def test_routes_load_rows_only_through_the_scoped_helpers():
    """Route modules never call Session.get() (it may bypass the company filter)."""
    offenders = []
    for path in TIPRO.rglob("*routes.py"):
        if re.search(r"session\.get\(", path.read_text()):
            offenders.append(str(path))
    assert not offenders


# ---------------------------------------------------------------- 3. roles

PUBLIC, EMPLOYEE, APPROVER, ADMIN = "public", "employee", "approver", "admin"
# The least role each endpoint needs. A new endpoint fails until it is listed here.
MIN_ROLE = {
    "auth.login": PUBLIC,
    "auth.set_language": PUBLIC,
    "main.healthz": PUBLIC,
    "webhooks.tripletex": PUBLIC,
    "pwa.manifest": PUBLIC,
    "pwa.offline_page": PUBLIC,
    "pwa.service_worker": PUBLIC,
    "pwa.outbox_texts": PUBLIC,
    "pwa.offline_data": EMPLOYEE,
    "pwa.sync": EMPLOYEE,
    "auth.logout": EMPLOYEE,
    "auth.logout_everywhere": EMPLOYEE,
    "main.index": EMPLOYEE,
    "entries.absence_page": EMPLOYEE,
    "entries.register_absence": EMPLOYEE,
    "entries.timer_discard": EMPLOYEE,
    "entries.timer_start": EMPLOYEE,
    "entries.timer_stop": EMPLOYEE,
    "entries.create": EMPLOYEE,
    "entries.edit": EMPLOYEE,
    "entries.delete": EMPLOYEE,
    "entries.activity_options": EMPLOYEE,
    "entries.extras_fields": EMPLOYEE,
    "entries.new": EMPLOYEE,
    "entries.project_options": EMPLOYEE,
    "entries.week": EMPLOYEE,
    "entries.week_list": EMPLOYEE,
    "entries.week_cell": EMPLOYEE,
    "entries.copy_week": EMPLOYEE,
    "approvals.periods_page": EMPLOYEE,
    "approvals.period": EMPLOYEE,
    "approvals.submit": EMPLOYEE,
    "approvals.take_back": EMPLOYEE,
    "approvals.index": APPROVER,
    "approvals.approve_all": APPROVER,
    "approvals.approve": APPROVER,
    "approvals.send_back": APPROVER,
    "approvals.recheck": APPROVER,
    "approvals.override": ADMIN,
    "approvals.reopen": ADMIN,
    "approvals.change_request_create": EMPLOYEE,
    "approvals.change_requests_mine": EMPLOYEE,
    "approvals.change_request_seen": EMPLOYEE,
    "approvals.change_request_accept": APPROVER,
    "approvals.change_request_decline": APPROVER,
    "admin.index": ADMIN,
    "admin.users": ADMIN,
    "admin.create_user_view": ADMIN,
    "admin.user_detail": ADMIN,
    "admin.reset_password": ADMIN,
    "admin.end_sessions": ADMIN,
    "admin.custom_fields": ADMIN,
    "admin.create_custom_field": ADMIN,
    "admin.custom_field_detail": ADMIN,
    "admin.absence_types": ADMIN,
    "admin.create_absence_type": ADMIN,
    "admin.absence_type_detail": ADMIN,
    "sync.settings": ADMIN,
    "sync.tripletex_connect": ADMIN,
    "sync.tripletex_disconnect": ADMIN,
    "sync.index": ADMIN,
    "sync.sync_now": ADMIN,
    "sync.invite_employees": ADMIN,
    "sync.status": ADMIN,
    "sync.approval_settings_save": ADMIN,
    "approvals.reminders_page": ADMIN,
    "approvals.reminders_send": ADMIN,
    "approvals.customer_page": PUBLIC,
    "approvals.signoff_line": APPROVER,
    "approvals.signoff_send": APPROVER,
    "approvals.signoff_settings": ADMIN,
    "admin.supplement_types": ADMIN,
    "admin.create_supplement_type": ADMIN,
    "admin.supplement_type_detail": ADMIN,
    "admin.create_default_types": ADMIN,
    "sync.transfer_settings_save": ADMIN,
    "transfers.index": ADMIN,
    "transfers.preview": ADMIN,
    "transfers.batch": ADMIN,
    "transfers.status": ADMIN,
    "transfers.items": ADMIN,
    "transfers.confirm": ADMIN,
    "transfers.retry": ADMIN,
    "transfers.resume": ADMIN,
    "transfers.take_over": ADMIN,
    "transfers.leave": ADMIN,
    "transfers.export_csv": ADMIN,
    "transfers.export_json": ADMIN,
    "transfers.hours_salary_type_save": ADMIN,
    # Reports: employees see their own (scoped in the query), approvers their people.
    "reports.index": EMPLOYEE,
    "reports.entries": EMPLOYEE,
    "reports.export": EMPLOYEE,
    "reports.entries_export": EMPLOYEE,
    "reports.my_overview": EMPLOYEE,
    "reports.month_close": APPROVER,
    "reports.month_close_remind": APPROVER,
    "reports.closure_days": ADMIN,
    "reports.closure_days_add": ADMIN,
    "reports.closure_day_delete": ADMIN,
    "reports.reconcile_index": ADMIN,
    "reports.reconcile_month": ADMIN,
    "reports.reconcile_status": ADMIN,
    "reports.reconcile_check": ADMIN,
    "reports.reconcile_correct": ADMIN,
}
RANK = {PUBLIC: 0, EMPLOYEE: 1, APPROVER: 2, ADMIN: 3}
# Routes that end the walker's own sessions (the admin one with its own user id).
ENDS_SESSIONS = {"auth.logout", "auth.logout_everywhere", "admin.end_sessions"}


def test_every_endpoint_declares_its_minimum_role():
    endpoints = {endpoint for endpoint, _rule, _method in ROUTES}
    assert endpoints == set(MIN_ROLE), endpoints ^ set(MIN_ROLE)
    for blueprint_only_admin in (e for e in endpoints if e.startswith("admin.")):
        assert MIN_ROLE[blueprint_only_admin] == ADMIN, blueprint_only_admin


@pytest.mark.parametrize("role", [EMPLOYEE, APPROVER, ADMIN])
def test_every_route_enforces_its_role(app, client, make_company, make_user, login, role):
    """Below the endpoint's role: 403; at or above: anything but 403 (and never 500)."""
    company = make_company()
    user = make_user(company, role=role)
    ids = {
        "user_id": user.id,
        "entry_id": 0,
        "supplement_type_id": 0,
        "absence_type_id": 0,
        "custom_field_id": 0,
        "key": "ukjent",
        "period_id": 0,
        "line_id": 0,
        "batch_id": 0,
        "item_id": 0,
        "token": "ugyldig",
        "closure_id": 0,
        "change_request_id": 0,
        "kind": "payroll",
        "month": "2026-11",
        "locale": "nb",
    }
    login(user)
    # Log out last, so the walk keeps its session.
    last = sorted(ENDS_SESSIONS, key=lambda e: e.startswith("auth."))  # the user's own last
    walk = sorted(ROUTES, key=lambda r: last.index(r[0]) if r[0] in last else -1)
    for endpoint, rule, method in walk:
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule)
        response = client.open(url, method=method, data={}, buffered=True)
        allowed = RANK[role] >= RANK[MIN_ROLE[endpoint]]
        assert response.status_code < 500, (url, method)
        if allowed:
            assert response.status_code != 403, (url, method, role)
        else:
            assert response.status_code == 403, (url, method, role)


def test_employee_cannot_reach_a_colleagues_entries(client, login, db, frozen_clock):
    w = hours_world(frozen_clock(NOON).date())
    theirs = _secret_entry(w, w.colleague, "c0c0", "kollegas-kommentar", hours="2")
    login(w.user)
    assert client.get(f"/registreringer/{theirs.id}").status_code == 404
    assert client.post(f"/registreringer/{theirs.id}", data={"hours": "1"}).status_code == 404
    assert client.post(f"/registreringer/{theirs.id}/slett").status_code == 404
    assert client.get(f"/uke?bruker={w.colleague.id}").status_code == 404
    assert "kollegas-kommentar" not in client.get(f"/?gjenta={theirs.id}").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(TimeEntry, theirs.id).hours == 2


# ---------------------------------------------------------------- 4. CSRF


def test_every_post_form_carries_the_csrf_token():
    checked = 0
    for path in TEMPLATES:
        source = path.read_text()
        for match in re.finditer(r"<form\b[^>]*>", source, re.IGNORECASE):
            if not re.search(r'method=["\']?post', match.group(0), re.IGNORECASE):
                continue
            end = source.find("</form>", match.end())
            body = source[match.end() : end]
            assert "csrf_token" in body, f"{path.name}: {match.group(0)}"
            checked += 1
    assert checked >= 15


def test_only_the_webhook_is_csrf_exempt(app, client, make_user, login):
    assert csrf._exempt_views == {"tipro.sync.webhooks.tripletex"}
    assert not csrf._exempt_blueprints
    login(make_user())
    response = client.post("/registreringer", data={"hours": "1"}, csrf=False)
    assert response.status_code == 400
    forged = client.post(
        "/registreringer", data={"hours": "1"}, headers={"X-CSRFToken": "forged"}, csrf=False
    )
    assert forged.status_code == 400


# ---------------------------------------------------------------- 5. CSP

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE = re.compile(r"\sstyle\s*=|<style\b", re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
HX_ON = re.compile(r"\shx-on\b|\shx-on[:-]|\sdata-hx-on", re.IGNORECASE)
JS_URL = re.compile(r"javascript\s*:", re.IGNORECASE)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(TIPRO / "templates")))
def test_template_has_nothing_the_csp_would_block(path):
    source = path.read_text()
    for name, pattern in {
        "inline <script>": INLINE_SCRIPT,
        "style attribute or <style>": STYLE,
        "on* handler": HANDLER,
        "hx-on": HX_ON,
        "javascript: URL": JS_URL,
    }.items():
        match = pattern.search(source)
        assert match is None, f"{name}: …{source[max(0, match.start() - 40) : match.end() + 40]}…"
    for attribute in ("hx-vals", "hx-vars"):
        # js: / javascript: values of hx-vals are evaluated; plain JSON is fine.
        assert not re.search(rf"{attribute}\s*=\s*['\"]\s*js:", source), attribute
    assert "hx-vars" not in source  # hx-vars always evaluates


def test_htmx_config_forbids_eval_and_own_js_uses_no_eval():
    base = (TIPRO / "templates" / "base.html").read_text()
    config = re.search(r'name="htmx-config" content=\'([^\']*)\'', base)
    assert config and '"allowEval": false' in config.group(1)
    assert '"allowScriptTags": false' in config.group(1)
    assert OWN_JS
    for path in OWN_JS:
        source = path.read_text()
        assert not re.search(
            r"\beval\(|new Function\(|\.innerHTML\s*=|setTimeout\(\s*['\"]", source
        )


# ---------------------------------------------------------------- 6. secrets


def test_key_rotation_keeps_old_ciphertexts_readable():
    from tipro.crypto import DecryptionFailed, decrypt, encrypt, rotate

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    secret = "employee-token-abc"
    stored = encrypt(secret, old)
    assert secret not in stored
    both = f"{new},{old}"
    assert decrypt(stored, both) == secret
    rotated = rotate(stored, both)
    assert decrypt(rotated, new) == secret
    with pytest.raises(DecryptionFailed):
        decrypt(stored, new)
    with pytest.raises(DecryptionFailed):
        decrypt(stored, Fernet.generate_key().decode())


SANDBOX_KEYS = ("TRIPLETEX_API_URL", "TRIPLETEX_CONSUMER_TOKEN", "TRIPLETEX_CLIENT_OPTIONS")


def _all_text_in_database() -> str:
    """Every value of every table as one string (to look for a secret in clear)."""
    parts = []
    for table in _db.metadata.sorted_tables:
        for row in _db.session.execute(select(table)):
            parts.append(" ".join(str(v) for v in row))
    return "\n".join(parts)


def test_employee_token_never_leaks_in_responses_logs_or_database(
    app, client, db, login, make_user, sandbox, caplog, monkeypatch
):
    """Connect through the settings page and run the full sync; the token stays secret."""
    from tipro.models import Company
    from tipro.models.sync import SyncRun, TripletexConnection
    from tipro.sync.jobs import run_sync

    for key, value in {
        "TRIPLETEX_API_URL": sandbox.base_url,
        "TRIPLETEX_CONSUMER_TOKEN": sandbox.state.consumer_token,
        "TRIPLETEX_CLIENT_OPTIONS": {"backoff_base": 0.01, "timeout": (2, 5)},
        "PUBLIC_URL": "http://tipro.invalid",
    }.items():
        monkeypatch.setitem(app.config, key, value)
    token = sandbox.state.employee_token
    consumer = sandbox.state.consumer_token
    admin = make_user(role="admin")
    login(admin)
    caplog.set_level(logging.DEBUG)
    bodies = []
    response = client.post("/admin/innstillinger/tripletex", data={"employee_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    run = db.session.scalar(select(SyncRun).where(SyncRun.company_id == admin.company_id))
    assert run_sync(run.company_id, run.id) == "done"
    for url in ("/admin/innstillinger", "/admin/synkronisering", "/admin/synkronisering/status"):
        page = client.get(url)
        assert page.status_code == 200
        bodies.append(page.get_data(as_text=True))
    # A wrong token's error page must not echo it either.
    wrong = client.post("/admin/innstillinger/tripletex", data={"employee_token": token + "x"})
    bodies.append(wrong.get_data(as_text=True))

    # The sandbox server logs the requests Tripletex would receive; that is not TiPro's log.
    ours = [r for r in caplog.records if not r.name.startswith(("werkzeug", "tipro.sandbox"))]
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in ours)
    assert ours, "the connect and sync were expected to log something"
    secrets_seen = {token, token + "x", consumer}
    session_tokens = set(sandbox.state.sessions)
    assert session_tokens
    for secret in secrets_seen | session_tokens:
        assert secret not in logged
        assert all(secret not in body for body in bodies)
    basic = base64.b64encode(f"0:{token}".encode()).decode()
    assert basic not in logged

    db.session.expire_all()
    company = db.session.get(Company, admin.company_id)
    row = db.session.scalar(
        select(TripletexConnection).where(TripletexConnection.company_id == company.id)
    )
    dump = _all_text_in_database()
    assert token not in dump and consumer not in dump
    assert company.tripletex_token_last4 == token[-4:]
    assert row.session_token_encrypted and row.session_token_encrypted.startswith("gAAAA")
    from tipro.crypto import decrypt

    session_token = decrypt(row.session_token_encrypted, app.config["ENCRYPTION_KEY"])
    assert session_token not in dump and session_token not in logged
    assert all(session_token not in body for body in bodies)


def test_stored_token_still_works_after_adding_a_new_encryption_key(
    app, db, make_company, sandbox, monkeypatch
):
    """Rotation: with 'new,old' configured, a token stored under the old key still connects."""
    from tipro.sync.connection import build_client, connect
    from tipro.sync.services import settings

    for key, value in {
        "TRIPLETEX_API_URL": sandbox.base_url,
        "TRIPLETEX_CONSUMER_TOKEN": sandbox.state.consumer_token,
        "PUBLIC_URL": "http://tipro.invalid",
    }.items():
        monkeypatch.setitem(app.config, key, value)
    company = make_company()
    connect(db.session, company, sandbox.state.employee_token, settings())
    new_key = Fernet.generate_key().decode()
    monkeypatch.setitem(app.config, "ENCRYPTION_KEY", f"{new_key},{app.config['ENCRYPTION_KEY']}")
    client = build_client(db.session, company, settings())
    try:
        assert client.who_am_i()
    finally:
        client.close()


# ---------------------------------------------------------------- 7. redirects, headers, cookies

HOSTILE_NEXT = [
    "//evil.example",
    "https://evil.example/",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "/%2F%2Fevil.example",
    "//evil.example%2F..",
    "evil.example",
]


def _is_local(location: str) -> bool:
    # Browsers drop tabs/newlines and treat '\' as '/': judge the URL as they would.
    cleaned = re.sub(r"[\t\r\n]", "", location).replace("\\", "/").strip()
    parts = urlsplit(cleaned)
    return not parts.scheme and not parts.netloc and cleaned.startswith("/")


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_next_never_redirects_off_site(client, make_user, login, target):
    user = make_user()
    form = {"email": user.email, "password": "riktig-hest-batteri", "next": target}
    response = client.post("/logg-inn", data=form)
    assert response.status_code == 302 and _is_local(response.headers["Location"])
    language = client.post("/sprak", data={"language": "en", "next": target})
    assert language.status_code == 302 and _is_local(language.headers["Location"])
    page = client.get("/logg-inn", query_string={"next": target})
    assert "evil.example" not in page.get_data(as_text=True)


def test_clickjacking_and_cookie_flags_under_https(app, client, make_user, monkeypatch):
    from tipro.config import load_config

    config = load_config(tempfile.mkdtemp(), {"TIPRO_PUBLIC_URL": "https://timer.example.no"})
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", "WTF_CSRF_SSL_STRICT"):
        assert config[key] is True, key
    plain = load_config(tempfile.mkdtemp(), {"TIPRO_PUBLIC_URL": "http://127.0.0.1:5000"})
    assert plain["SESSION_COOKIE_SECURE"] is False
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        monkeypatch.setitem(app.config, key, True)
    user = make_user()
    response = client.post(
        "/logg-inn",
        data={"email": user.email, "password": "riktig-hest-batteri", "remember": "y"},
        base_url="https://localhost",
    )
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    names = {c.split("=", 1)[0] for c in cookies}
    assert {"session", "remember_token"} <= names, cookies
    for cookie in cookies:
        flags = {f.strip().lower() for f in cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite=lax"} <= flags, cookie
    page = client.get("/logg-inn", base_url="https://localhost")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Content-Security-Policy"] == EXPECTED_CSP
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_that_can_be_fragments_vary_on_hx_request(client, make_user, login):
    """A URL that answers htmx with a fragment says so on the full page too (caches)."""
    login(make_user(role="admin"))
    for url in ("/", "/uke", "/registreringer/ny", "/admin/brukere", "/logg-inn-finnes-ikke"):
        page = client.get(url)
        fragment = client.get(url, headers={"HX-Request": "true"})
        assert "HX-Request" in page.vary, url
        assert "HX-Request" in fragment.vary, url
        assert "private" in page.headers["Cache-Control"], url


# ---------------------------------------------------------------- 8. webhooks


@pytest.fixture
def webhook(db, make_company):
    from tipro.models.sync import TripletexConnection
    from tipro.sync.connection import hash_secret

    company = make_company()
    row = TripletexConnection(
        company_id=company.id, webhook_key="k" * 32, webhook_secret_hash=hash_secret("s3cret")
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_webhook_checks_key_secret_and_size(app, client, db, webhook, monkeypatch):
    from tipro.models.sync import SyncPendingChange, SyncRun
    from tipro.sync.connection import WEBHOOK_HEADER

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    url = f"/webhooks/tripletex/{webhook.webhook_key}"
    good = {WEBHOOK_HEADER: "s3cret"}
    event = {"event": "project.update", "id": 5}
    assert client.post("/webhooks/tripletex/nope", json=event, headers=good).status_code == 404
    assert client.post(url, json=event, headers={WEBHOOK_HEADER: "wrong"}).status_code == 401
    assert client.post(url, json=event).status_code == 401
    huge = b'{"event": "project.update", "id": 5, "x": "' + b"a" * 5_000_000 + b'"}'
    oversized = client.post(url, data=huge, headers={**good, "Content-Type": "application/json"})
    assert oversized.status_code in (400, 413)
    for body in (b"not json", b"[]", b'{"event": "project.update", "id": "5"}', b"\x00\xff"):
        response = client.post(url, data=body, headers={**good, "Content-Type": "application/json"})
        assert response.status_code == 400, body
    assert _count(SyncPendingChange, company_id=webhook.company_id) == 0

    # Replays: each delivery is recorded, but while one run is queued no second run starts.
    for _ in range(3):
        assert client.post(url, json=event, headers=good).status_code == 200
    assert _count(SyncPendingChange, company_id=webhook.company_id) == 3
    assert _count(SyncRun, company_id=webhook.company_id) == 1


def test_log_redaction_hides_tokens_in_urls():
    from tipro.security import RedactTokens

    record = logging.LogRecord(
        "urllib3.connectionpool",
        logging.DEBUG,
        __file__,
        1,
        '%s "%s %s" %s',
        (
            "http://tx",
            "PUT",
            "/v2/token/session/:create?consumerToken=c1&employeeToken=e2&expirationDate=x",
            200,
        ),
        None,
    )
    RedactTokens().filter(record)
    message = record.getMessage()
    assert "c1" not in message and "e2" not in message and "expirationDate=x" in message
    record.args = ("http://tx", "DELETE", "/v2/token/session/abc123", 204)
    RedactTokens().filter(record)
    assert "abc123" not in record.getMessage() and "/token/session/***" in record.getMessage()
    record.args = ("http://tx", "GET", "/v2/token/session/>whoAmI", 200)
    RedactTokens().filter(record)
    assert ">whoAmI" in record.getMessage()

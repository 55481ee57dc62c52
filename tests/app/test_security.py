"""Every route checks log-in, role and company; headers hold a strict CSP."""

import re

import pytest

from tipro.security import CONTENT_SECURITY_POLICY

# The whole policy, written out here on purpose: the test compares against this text, not
# against the constant, so weakening the constant (`default-src *`, dropping a directive,
# adding a source) fails it. Change both together, deliberately.
EXPECTED_CSP = (
    "default-src 'self'; "
    "script-src 'self'; "
    "style-src 'self'; "
    "img-src 'self' data:; "
    "font-src 'self'; "
    "connect-src 'self'; "
    "manifest-src 'self'; "
    "worker-src 'self'; "
    "object-src 'none'; "
    "base-uri 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)

PUBLIC_ENDPOINTS = {
    "approvals.customer_page",  # the hiring customer's signed link: no account
    "auth.login",
    "auth.set_language",
    "main.healthz",
    # The offline app: what a browser fetches to install it, before and without a log-in. No
    # personal data in any of them (the offline page is cached for every user of a device).
    "pwa.manifest",
    "pwa.offline_page",
    "pwa.service_worker",
    "pwa.outbox_texts",
    "static",
    "webhooks.tripletex",
}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        yield rule


def _example_url(rule, ids):
    url = rule.rule
    for arg in rule.arguments:
        url = url.replace(f"<int:{arg}>", str(ids.get(arg, 1)))
        url = re.sub(rf"<[^>]*{arg}>", str(ids.get(arg, "x")), url)
    return url


def test_every_non_public_route_requires_login(app, client):
    checked = 0
    for rule in _routes(app):
        view = app.view_functions[rule.endpoint]
        if getattr(view, "tipro_public", False):
            assert rule.endpoint in PUBLIC_ENDPOINTS, (
                f"{rule.endpoint} is public: add it on purpose"
            )
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(_example_url(rule, {}), method=method)
            assert response.status_code in (302, 401), (rule.rule, method, response.status_code)
            if response.status_code == 302:
                assert "/logg-inn" in response.headers["Location"]
            checked += 1
    assert checked >= 4


def test_htmx_request_without_login_gets_hx_redirect(client):
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/logg-inn"


ADMIN_ONLY = ["/admin/", "/admin/brukere"]


@pytest.mark.parametrize("role,expected", [("employee", 403), ("approver", 403), ("admin", 200)])
@pytest.mark.parametrize("url", ADMIN_ONLY)
def test_admin_pages_by_role(client, make_user, login, role, expected, url):
    login(make_user(role=role))
    assert client.get(url).status_code == expected


def _id_routes(app):
    return [r for r in _routes(app) if any(f"<int:{a}>" in r.rule for a in r.arguments)]


def _collect_id_routes():
    """Every (rule, method) that names an object by id, read from a throw-away app."""
    import tempfile

    from tipro import create_app

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {"TESTING": True, "INSTANCE_PATH": folder, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
        )
        return [
            (rule.rule, method)
            for rule in _id_routes(app)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
        ]


# For every route argument that names an object by id: how to make such an object in
# another company. A new id route fails test_every_id_route_has_an_isolation_case until
# its argument is added here, so it is tested too.
def _other_user(make_user, company):
    return make_user(company, role="employee")


def _other_entry(db, make_user, company):
    import uuid
    from datetime import date
    from decimal import Decimal

    from tipro.models import TimeEntry

    owner = make_user(company, role="employee")
    entry = TimeEntry(
        company_id=company.id,
        uuid=str(uuid.uuid4()),
        user_id=owner.id,
        date=date(2026, 11, 2),
        hours=Decimal("7.5"),
    )
    db.session.add(entry)
    db.session.commit()
    return entry


def _other_supplement_type(db, company):
    from tipro.models import SupplementType

    row = SupplementType(company_id=company.id, name="Overtid 50 %", unit="hours")
    db.session.add(row)
    db.session.commit()
    return row


def _other_absence_type(db, company):
    from tipro.models import AbsenceType

    row = AbsenceType(company_id=company.id, name="Ferie", code="ferie")
    db.session.add(row)
    db.session.commit()
    return row


def _other_custom_field(db, company):
    from tipro.models import CustomField

    row = CustomField(company_id=company.id, key="maskin", label="Maskin", field_type="text")
    db.session.add(row)
    db.session.commit()
    return row


def _other_period(db, make_user, company):
    from datetime import date

    from tipro.models import Period

    owner = make_user(company, role="employee")
    row = Period(
        company_id=company.id,
        user_id=owner.id,
        kind="week",
        first_day=date(2026, 11, 16),
        last_day=date(2026, 11, 22),
        state="submitted",
    )
    db.session.add(row)
    db.session.commit()
    return row


def _other_period_line(db, make_user, company):
    from tipro.models import PeriodLine

    period = _other_period(db, make_user, company)
    line = PeriodLine(company_id=company.id, period_id=period.id, state="customer")
    db.session.add(line)
    db.session.commit()
    return line


def _other_transfer_batch(db, company):
    from datetime import date

    from tipro.models import TransferBatch

    row = TransferBatch(
        company_id=company.id,
        kind="payroll",
        mode="timesheet",
        month=date(2026, 11, 1),
        state="partial",
    )
    db.session.add(row)
    db.session.commit()
    return row


def _other_transfer_item(db, company):
    from tipro.models import TransferItem

    batch = _other_transfer_batch(db, company)
    row = TransferItem(
        company_id=company.id,
        batch_id=batch.id,
        item_kind="timesheet_entry",
        key="ts:1:2026-11-02:0:1",
        operation="create",
        change="new",
        payload={},
        payload_hash="0" * 64,
        state="failed",
        error_code="foreign_entry",
    )
    db.session.add(row)
    db.session.commit()
    return row


def _other_closure_day(db, company):
    from datetime import date

    from tipro.models import ClosureDay

    row = ClosureDay(company_id=company.id, date=date(2026, 12, 28), name="Romjul")
    db.session.add(row)
    db.session.commit()
    return row


def _other_change_request(db, make_user, company):
    from tipro.models import ChangeRequest

    owner = make_user(company, role="employee")
    row = ChangeRequest(
        company_id=company.id,
        user_id=owner.id,
        entry_uuid="00000000-0000-4000-8000-000000000001",
        proposed={},
        message="",
        reason="",
        state="pending",
    )
    db.session.add(row)
    db.session.commit()
    return row


ID_ARGUMENT_OBJECTS = {
    "change_request_id": _other_change_request,
    "closure_id": _other_closure_day,
    "batch_id": _other_transfer_batch,
    "item_id": _other_transfer_item,
    "period_id": _other_period,
    "line_id": _other_period_line,
    "user_id": _other_user,
    "entry_id": _other_entry,
    "supplement_type_id": _other_supplement_type,
    "absence_type_id": _other_absence_type,
    "custom_field_id": _other_custom_field,
}


def test_every_id_route_has_an_isolation_case(app):
    for rule in _id_routes(app):
        for arg in rule.arguments:
            assert arg in ID_ARGUMENT_OBJECTS, f"{rule.rule}: add {arg} to ID_ARGUMENT_OBJECTS"


@pytest.mark.parametrize("rule,method", _collect_id_routes())
def test_company_isolation_on_id_route(
    request, app, client, make_company, make_user, login, rule, method
):
    """A user of company A gets 404 for a URL naming company B's object."""
    company_a, company_b = make_company(), make_company()
    login(make_user(company_a, role="admin"))
    url = rule
    for arg in re.findall(r"<int:(\w+)>", rule):
        maker = ID_ARGUMENT_OBJECTS[arg]
        # Makers take the fixtures they need by name, plus company B.
        names = maker.__code__.co_varnames[: maker.__code__.co_argcount - 1]
        obj = maker(*[request.getfixturevalue(n) for n in names], company_b)
        url = url.replace(f"<int:{arg}>", str(obj.id))
    response = client.open(url, method=method, data={})
    assert response.status_code == 404, (rule, method, response.status_code)


def test_company_isolation_in_lists(client, make_company, make_user, login):
    company_a, company_b = make_company(), make_company()
    login(make_user(company_a, role="admin"))
    stranger = make_user(company_b, email="fremmed@example.no")
    page = client.get("/admin/brukere").get_data(as_text=True)
    assert stranger.email not in page


def test_own_company_object_is_reachable(client, make_company, make_user, login):
    company = make_company()
    admin = make_user(company, role="admin")
    colleague = make_user(company, role="employee")
    login(admin)
    assert client.get(f"/admin/brukere/{colleague.id}").status_code == 200


def test_security_headers(client):
    response = client.get("/logg-inn")
    assert CONTENT_SECURITY_POLICY == EXPECTED_CSP
    assert response.headers["Content-Security-Policy"] == EXPECTED_CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_no_inline_script_or_style_in_pages(client, make_user, login):
    login(make_user(role="admin"))
    for url in ("/", "/admin/brukere", "/logg-inn-finnes-ikke"):
        body = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), url
        assert "style=" not in body and "<style" not in body, url
        assert not re.search(r"\son[a-z]+=", body), url


def test_htmx_is_vendored_with_version_and_csrf_header(client):
    body = client.get("/logg-inn").get_data(as_text=True)
    assert "/static/js/htmx-2.0.11.min.js" in body
    assert 'hx-headers=\'{"X-CSRFToken": "' in body
    assert "unpkg" not in body and "cdn" not in body.lower()


def test_admin_can_create_and_edit_user_in_own_company(client, make_user, login, db):
    from sqlalchemy import select

    from tipro.models import AuditEvent, User

    admin = make_user(role="admin")
    login(admin)
    response = client.post(
        "/admin/brukere", data={"name": "Ola", "email": "ola@example.no", "role": "approver"}
    )
    assert response.status_code == 302
    ola = db.session.scalar(select(User).where(User.email == "ola@example.no"))
    assert ola.company_id == admin.company_id and ola.role == "approver"
    bad = client.post("/admin/brukere", data={"name": "X", "email": "ikke-epost", "role": "admin"})
    assert bad.status_code == 422
    assert "Ugyldig e-postadresse" in bad.get_data(as_text=True)
    dup = client.post("/admin/brukere", data={"email": "ola@example.no", "role": "admin"})
    assert dup.status_code == 422 and "kan ikke brukes" in dup.get_data(as_text=True)
    # An admin cannot demote themself.
    self_demote = client.post(
        f"/admin/brukere/{admin.id}", data={"name": "A", "role": "employee", "is_enabled": "y"}
    )
    assert self_demote.status_code == 422
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "user")).all()
    assert any(e.action == "create" and e.entity_id == str(ola.id) for e in events)


def test_admin_links_user_to_tripletex_employee_of_own_company_only(
    client, make_company, make_user, login, db
):
    from tipro.models import Employee

    company, other = make_company(), make_company()
    admin = make_user(company, role="admin")
    user = make_user(company)
    mine = Employee(company_id=company.id, tripletex_id=11, first_name="Kari", last_name="N")
    theirs = Employee(company_id=other.id, tripletex_id=12, first_name="Ola", last_name="N")
    db.session.add_all([mine, theirs])
    db.session.commit()
    login(admin)
    page = client.get(f"/admin/brukere/{user.id}").get_data(as_text=True)
    assert "Kari N" in page and "Ola N" not in page
    form = {"name": "U", "role": "employee", "is_enabled": "y"}
    bad = client.post(f"/admin/brukere/{user.id}", data={**form, "employee_id": str(theirs.id)})
    assert bad.status_code == 422 and "Ukjent ansatt." in bad.get_data(as_text=True)
    ok = client.post(f"/admin/brukere/{user.id}", data={**form, "employee_id": str(mine.id)})
    assert ok.status_code == 302
    db.session.refresh(user)
    assert user.employee_id == mine.id


def test_unexpected_error_shows_friendly_norwegian_500(app, client, make_user, login, monkeypatch):
    from tipro.admin import services

    login(make_user(role="admin"))

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "company_users", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/admin/brukere")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Noe gikk galt" in body and "boom" not in body


def test_admin_area_has_one_menu_entry_and_its_own_links(client, make_user, login):
    login(make_user(role="admin"))
    page = client.get("/admin/").get_data(as_text=True)
    for label in ("Innstillinger", "Synkronisering", "Tillegg og felt", "Brukere"):
        assert label in page
    assert 'class="subnav"' in page
    start = client.get("/").get_data(as_text=True)
    assert 'class="subnav"' not in start and ">Admin</a>" in start


def test_oversized_request_gets_friendly_413(client, make_user, login):
    login(make_user())
    response = client.post("/sprak", data={"language": "nb", "next": "x" * (5 * 1024 * 1024)})
    assert response.status_code == 413
    assert "For mye data" in response.get_data(as_text=True)


def test_every_kind_of_answer_carries_the_whole_csp(client, make_user, login):
    """Pages, htmx fragments, redirects, errors and static files: the exact policy each time."""
    login(make_user(role="admin"))
    answers = {
        "page": client.get("/"),
        "fragment": client.get("/admin/synkronisering/status", headers={"HX-Request": "true"}),
        "redirect": client.get("/logg-inn"),
        "not found": client.get("/finnes-ikke"),
        "static": client.get("/static/js/tipro.js"),
    }
    for kind, response in answers.items():
        response.close()  # the static file's handle
        assert response.headers.get("Content-Security-Policy") == EXPECTED_CSP, kind


def test_csp_directives_one_by_one():
    """The same policy read as directives: no wildcard, no unsafe source, objects off."""
    directives = dict(
        (part.split(" ", 1)[0], part.split(" ", 1)[1]) for part in EXPECTED_CSP.split("; ")
    )
    current = dict(
        (part.split(" ", 1)[0], part.split(" ", 1)[1])
        for part in CONTENT_SECURITY_POLICY.split("; ")
    )
    assert current == directives
    assert current["default-src"] == "'self'" and current["object-src"] == "'none'"
    assert not any("*" in v or "unsafe" in v for v in current.values())


# Issue #14 item 12: text that is not UTF-8 is refused on every route, nothing stored.
FORM = "application/x-www-form-urlencoded"
UNREADABLE = "Det du sendte inneholdt tegn som ikke kan leses."


@pytest.mark.parametrize(
    "body",
    [
        b"name=%FF%FE&email=ny%40bedrift.no&role=employee",  # percent-encoded bad bytes
        b"name=Per\xff\xfe&email=ny%40bedrift.no&role=employee",  # raw bad bytes
        b"name=Per&email=ny%40bedrift.no&role=employee&%C3=x",  # in a name, half a character
    ],
    ids=["percent", "raw", "field-name"],
)
def test_invalid_utf8_in_a_form_is_refused_and_nothing_stored(client, make_user, login, db, body):
    from sqlalchemy import func, select

    from tipro.models import User

    login(make_user(role="admin"))
    response = client.post("/admin/brukere", data=body, content_type=FORM)
    assert response.status_code == 400
    assert UNREADABLE in response.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.scalar(select(func.count(User.id)).where(User.email == "ny@bedrift.no"))


def test_invalid_utf8_in_a_query_or_multipart_form_is_refused(client, make_user, login):
    login(make_user(role="admin"))
    assert client.get("/uke?uke=%FF%FE").status_code == 400
    htmx = client.get("/uke?uke=%FF", headers={"HX-Request": "true"})
    assert htmx.status_code == 400 and UNREADABLE in htmx.get_data(as_text=True)
    multipart = b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\n\xff\xfe\r\n--b--\r\n'
    response = client.post(
        "/admin/brukere", data=multipart, content_type="multipart/form-data; boundary=b"
    )
    assert response.status_code == 400


def test_valid_utf8_and_a_typed_percent_sign_are_kept(client, make_user, login, db):
    from sqlalchemy import select

    from tipro.models import User

    login(make_user(role="admin"))
    body = b"name=%25FF+%C3%86r%C3%B8+%E2%9C%93&email=ny%40bedrift.no&role=employee"
    assert client.post("/admin/brukere", data=body, content_type=FORM).status_code == 302
    user = db.session.scalar(select(User).where(User.email == "ny@bedrift.no"))
    assert user.name == "%FF Ærø ✓"

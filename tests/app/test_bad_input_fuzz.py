"""Property-based fuzz of every route: no 500, nothing stored on a 4xx, nothing echoed raw.

Hypothesis draws a form body or query string for each route × method, as each role
(employee, approver, admin): any subset of every field name TiPro reads, each holding a valid
value, random Unicode text (control characters included), huge or negative numbers, dates and
ISO weeks from year 1 to 9999 in several shapes, line keys with huge ids, or known hostile text.
Each answer must be below 500; a 4xx must leave every table's row count as it was; HTML must
never carry a user's markup unescaped. Examples are bounded per route (and derandomised, so a
run is repeatable) to keep the suite fast.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from tests.factories import DAY, NOON, hours_world
from tipro.extensions import db as _db
from tipro.models import AbsenceType, CustomField, SupplementType, TimeEntry

# Markup that must never come back raw in an HTML page.
SCRIPT = "<script>alert('tipro')</script><img src=x onerror=alert(1)>"
HOSTILE = [
    "1e309",
    "NaN",
    "-0",
    "٣",
    "²",  # str.isdigit() is True, int() fails
    "9223372036854775808",
    "9" * 5000,  # int() refuses over 4300 digits
    "a\x00b",
    "/uke\r\nX-Evil: 1",
    "1' OR '1'='1'; DROP TABLE users;--",
    SCRIPT,
    "Ærlig å være 💥 \u202e",
    "   ",
    "x" * 100_000,
]

# Every name a form or a query string of TiPro reads (templates, routes, services).
FIELDS = [
    "date", "end_date", "project_id", "activity_id", "hours", "start_time", "end_time",
    "break_minutes", "comment", "kind", "uuid", "user_id", "from", "next", "employee_id",
    "is_enabled", "name", "email", "role", "password", "remember", "language", "uke", "linje",
    "dag", "bruker", "q", "dato", "prosjekt", "aktivitet", "gjenta", "absence_type_id",
    "unit", "per", "salary_type_id", "product_id", "billable", "asks_for_product", "position",
    "is_active", "code", "label", "key", "field_type", "choices", "required",
    "include_in_transfer", "employee_token", "full", "x_extras", "x_absence_type",
]  # fmt: skip
# Routes that end the test's own session (the walk needs it) or serve files.
SKIPPED = {"static", "auth.logout", "auth.logout_everywhere"}
ROLES = ("employee", "approver", "admin")


class Fuzz:
    """One company with master data and one object of each kind a route names by id."""

    def __init__(self, db, day):
        self.world = w = hours_world(day)
        cid = w.company.id
        self.supplement = SupplementType(company_id=cid, name="Overtid 50 %", unit="hours")
        self.absence = AbsenceType(
            company_id=cid, name="Ferie", code="ferie", activity_id=w.general.id
        )
        self.field = CustomField(
            company_id=cid, key="maskin", label="Maskin", field_type="choice", choices=["A", "B"]
        )
        self.number_field = CustomField(
            company_id=cid, key="km", label="Km", field_type="number", required=True
        )
        db.session.add_all([self.supplement, self.absence, self.field, self.number_field])
        db.session.flush()
        entries = {}
        for user in (w.user, w.admin):
            entries[user.id] = TimeEntry(
                company_id=cid,
                uuid=f"00000000-0000-4000-8000-{user.id:012d}",
                user_id=user.id,
                date=w.day,
                hours=7,
                project_id=w.project.id,
                activity_id=w.project_activity.id,
            )
        db.session.add_all(entries.values())
        db.session.commit()
        self.entries = entries

    def ids(self, user) -> dict[str, int]:
        return {
            "user_id": self.world.colleague.id,
            # An approver opens the employee's entry (read only): theirs to see, not to change.
            "entry_id": self.entries.get(user.id, self.entries[self.world.user.id]).id,
            "supplement_type_id": self.supplement.id,
            "absence_type_id": self.absence.id,
            "custom_field_id": self.field.id,
        }

    def fields(self) -> list[str]:
        s = self.supplement.id
        odd_keys = ["x_sup_" + "9" * 5000, "x_sup_9999999999_product", "x_cf_" + SCRIPT]
        return [*FIELDS, f"x_sup_{s}", f"x_sup_{s}_product", "x_cf_maskin", "x_cf_km", *odd_keys]

    def valid(self) -> dict[str, str]:
        """A plausible value for each field, so a hostile one can hide among valid ones."""
        w = self.world
        return {
            "date": w.day.isoformat(),
            "end_date": w.day.isoformat(),
            "dato": w.day.isoformat(),
            "project_id": str(w.project.id),
            "prosjekt": str(w.project.id),
            "activity_id": str(w.project_activity.id),
            "aktivitet": str(w.project_activity.id),
            "hours": "7,5",
            "start_time": "08:00",
            "end_time": "15:30",
            "break_minutes": "30",
            "kind": "work",
            "user_id": str(w.user.id),
            "bruker": str(w.user.id),
            "employee_id": str(w.employee.id),
            "uke": f"{w.day.isocalendar()[0]}-W{w.day.isocalendar()[1]:02d}",
            "linje": f"work-{w.project.id}-{w.project_activity.id}",
            "dag": "0",
            "absence_type_id": str(self.absence.id),
            "x_absence_type": str(self.absence.id),
            "role": "employee",
            "language": "en",
            "unit": "hours",
            "per": "entry",
            "code": "ferie",
            "field_type": "text",
            "x_extras": "1",
            f"x_sup_{self.supplement.id}": "2",
            "x_cf_maskin": "A",
            "x_cf_km": "12",
            "next": "/uke",
        }


@pytest.fixture
def fuzz(db, frozen_clock):
    frozen_clock(NOON)
    return Fuzz(db, DAY)


DATE_FIELDS = {"date", "end_date", "dato"}
ID_FIELDS = {
    "project_id", "activity_id", "user_id", "employee_id", "bruker", "prosjekt", "aktivitet",
    "gjenta", "absence_type_id", "salary_type_id", "product_id", "x_absence_type",
}  # fmt: skip


class _Recording(ImmutableMultiDict):
    """request.args / request.form that note which names a route reads ('*': all of them)."""

    read: set[str] = set()

    def __getitem__(self, key):
        _Recording.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        _Recording.read.add(key)
        return super().__contains__(key)

    def get(self, key, *args, **kwargs):
        _Recording.read.add(key)
        return super().get(key, *args, **kwargs)

    def getlist(self, key, *args, **kwargs):
        _Recording.read.add(key)
        return super().getlist(key, *args, **kwargs)

    def items(self, *args, **kwargs):
        _Recording.read.add("*")
        return super().items(*args, **kwargs)

    def keys(self, *args, **kwargs):
        _Recording.read.add("*")
        return super().keys(*args, **kwargs)

    def __iter__(self):
        _Recording.read.add("*")
        return super().__iter__()


def _big_ids():
    return st.integers(min_value=-(2**70), max_value=2**70)


def _values_for(name: str, valid: dict[str, str]):
    """Values for one field: shapes that field is read as first, then anything at all."""
    # Any date, and dates within weeks of the calendar's ends (where date sums overflow).
    dates = st.one_of(
        st.dates(),
        st.dates(max_value=date(1, 3, 1)),
        st.dates(min_value=date(9999, 11, 1)),
    )
    years = st.one_of(st.integers(0, 9999), st.sampled_from([1, 9999]))
    weeks = st.one_of(st.integers(0, 99), st.integers(1, 2), st.integers(51, 53))
    # The calendar's first and last weeks, as often as a random one.
    edge_weeks = st.sampled_from(["0001-W01", "0001-W02", "9999-W51", "9999-W52"])
    shaped = []
    if name in DATE_FIELDS:
        shaped += [dates.map(lambda d: d.isoformat()), dates.map(lambda d: d.strftime("%Y%m%d"))]
    if name == "uke":
        shaped += [
            edge_weeks,
            st.builds(lambda y, w: f"{y:04d}-W{w:02d}", years, weeks),
            st.builds(
                lambda y, w, d: f"{y}-W{w}-{d}",
                st.integers(1, 9999),
                st.integers(0, 60),
                st.integers(0, 9),
            ),  # fmt: skip
        ]
    if name == "linje":
        shaped.append(st.builds(lambda a, b: f"work-{a}-{b}", _big_ids(), _big_ids()))
        shaped.append(st.just(valid["linje"] + "\n"))
    if name in ID_FIELDS or name in ("dag", "position", "break_minutes"):
        shaped.append(_big_ids().map(str))
    if name in valid:
        shaped.append(st.just(valid[name]))
    return st.one_of(*shaped, st.text(max_size=40), st.sampled_from(HOSTILE))


@st.composite
def _payload(draw, fields: list[str], valid: dict[str, str]):
    """Valid values for what the route reads (or none), with one to three fields made hostile."""
    data = {f: valid[f] for f in fields if f in valid} if draw(st.booleans()) else {}
    for name in draw(st.lists(st.sampled_from(fields), min_size=1, max_size=3, unique=True)):
        data[name] = draw(_values_for(name, valid))
    return data


def _fields_read(client, url: str, method: str, fuzz) -> list[str]:
    """The names the route reads, from one valid and one empty request."""
    _Recording.read = set()
    valid = MultiDict(fuzz.valid())
    for payload in (valid, MultiDict()):
        if method == "GET":
            client.open(url, method=method, query_string=payload)
        else:
            client.open(url, method=method, data=payload)
    read = _Recording.read
    names = fuzz.fields()
    return names if "*" in read else [n for n in names if n in read] or names


def _row_counts_query():
    """One SELECT of every table's row count (cheap enough to run around each request)."""
    tables = [t.name for t in _db.metadata.sorted_tables]
    parts = ", ".join(f'(SELECT count(*) FROM "{t}")' for t in tables)  # noqa: S608 (our tables)
    return tables, text(f"SELECT {parts}")


def _url(rule, ids: dict[str, int]) -> str:
    url = rule.rule
    for arg in rule.arguments:
        url = re.sub(rf"<(?:[a-z]+:)?{arg}>", str(ids.get(arg, 1)), url)
    return url


def _routes():
    """(endpoint, method) of every route, read from an app built only to list them."""
    import tempfile

    from tipro import create_app

    with tempfile.TemporaryDirectory() as instance:
        app = create_app(
            {
                "TESTING": True,
                "INSTANCE_PATH": instance,
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "REDIS_URL": None,
                "SECRET_KEY": "routes-only",
            }
        )
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIPPED:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append(pytest.param(rule.endpoint, method, id=f"{method} {rule.rule}"))
    return found


def _problem(response) -> str | None:
    """Why a response is unacceptable, or None."""
    if response.status_code >= 500:
        return f"status {response.status_code}"
    if response.mimetype == "text/html":
        body = response.get_data(as_text=True)
        if "<script>alert" in body or "<img src=x" in body:
            return "user text echoed unescaped"
    return None


@pytest.fixture
def crashes(app):
    """The exceptions requests raised, so a failure names its root cause."""
    from flask import got_request_exception

    seen: list[str] = []

    def record(sender, exception, **extra):
        seen.append(f"{type(exception).__name__}: {str(exception)[:200]}")

    got_request_exception.connect(record, app)
    yield seen
    got_request_exception.disconnect(record, app)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint,method", _routes())
def test_fuzzed_input_never_gives_500_nor_stores_on_a_refusal(
    app, client, db, fuzz, login, monkeypatch, crashes, role, endpoint, method
):
    """Any fields, any values, page or fragment: < 500, and a 4xx stores nothing."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(app.request_class, "parameter_storage_class", _Recording)
    user = getattr(fuzz.world, "user" if role == "employee" else role)
    login(user)
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    url = _url(rule, fuzz.ids(user))
    tables, count_rows = _row_counts_query()
    # A role the route refuses outright needs fewer examples: nothing past the guard runs.
    refused = client.open(url, method=method, data={}).status_code == 403
    examples = 3 if refused else 20
    fields = _fields_read(client, url, method, fuzz)

    def counts():
        return db.session.execute(count_rows).one()

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=_payload(fields, fuzz.valid()), htmx=st.booleans())
    def check(data, htmx):
        before = counts()
        payload = MultiDict(data)
        headers = {"HX-Request": "true", "HX-Target": "main"} if htmx else {}
        if method == "GET":
            response = client.open(url, method=method, query_string=payload, headers=headers)
        else:
            response = client.open(url, method=method, data=payload, headers=headers)
        problem = _problem(response)
        if problem and response.status_code >= 500 and crashes:
            problem += f" ({crashes[-1]})"
        assert problem is None, f"{method} {url}: {problem}"
        if 400 <= response.status_code < 500:
            after = counts()
            changed = [t for t, a, b in zip(tables, before, after, strict=True) if a != b]
            assert not changed, (
                f"{method} {url} answered {response.status_code} yet stored {changed}"
            )
        if response.status_code == 302 and "/logg-inn" in response.headers.get("Location", ""):
            login(user)  # a route that ended the session (a password change): carry on

    check()


@pytest.mark.parametrize("endpoint,method", [p for p in _routes() if p.values[1] != "GET"])
def test_every_post_needs_the_csrf_token(app, client, fuzz, login, endpoint, method):
    login(fuzz.world.admin)
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    response = client.open(_url(rule, fuzz.ids(fuzz.world.admin)), method=method,
                           data={"comment": "x"}, csrf=False)  # fmt: skip
    expected = 404 if endpoint == "webhooks.tripletex" else 400
    assert response.status_code == expected


def test_user_text_is_escaped_where_it_is_shown(client, db, fuzz, login):
    """Text a user saves (a comment) comes back escaped on the pages that show it."""
    w = fuzz.world
    login(w.user)
    data = {
        "date": w.day.isoformat(),
        "project_id": str(w.project.id),
        "activity_id": str(w.project_activity.id),
        "hours": "1",
        "comment": SCRIPT,
        "x_cf_km": "3",
    }
    assert client.post("/registreringer", data=data).status_code in (302, 303)
    entry = db.session.scalar(select(TimeEntry).where(TimeEntry.comment == SCRIPT))
    assert entry is not None and entry.user_id == w.user.id
    for url in ("/", "/uke", f"/registreringer/{entry.id}"):
        body = client.get(url).get_data(as_text=True)
        assert "&lt;script&gt;alert(" in body, url
        assert "<script>alert" not in body, url


@pytest.mark.parametrize("object_id", [2**63, 2**64 + 5, 10**30, -(2**63), 0])
def test_webhook_ids_beyond_bigint_are_refused(
    app, client, db, make_company, monkeypatch, object_id
):
    """A delivery naming an id the database cannot hold answers 400 and records nothing."""
    from tipro.models.sync import SyncPendingChange, TripletexConnection
    from tipro.sync.connection import WEBHOOK_HEADER, hash_secret

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    company = make_company()
    row = TripletexConnection(
        company_id=company.id, webhook_key="w" * 32, webhook_secret_hash=hash_secret("s3cret")
    )
    db.session.add(row)
    db.session.commit()
    body = {"event": "project.update", "id": object_id}
    response = client.post(
        f"/webhooks/tripletex/{'w' * 32}", json=body, headers={WEBHOOK_HEADER: "s3cret"}
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(SyncPendingChange.id))) == 0

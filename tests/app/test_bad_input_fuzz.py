"""Hostile input on every route never gives a 500 and is never echoed unescaped."""

from __future__ import annotations

import random
import re

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tests.factories import DAY, NOON, hours_world
from tipro.models import AbsenceType, CustomField, SupplementType, TimeEntry

# Markup that must never come back raw in an HTML page.
SCRIPT = "<script>alert('tipro')</script><img src=x onerror=alert(1)>"
HOSTILE = {
    "abc": "abc",
    "inf": "1e309",
    "nan": "NaN",
    "neg-zero": "-0",
    "negative": "-1",
    "arabic-digit": "٣",
    "superscript-digit": "²",  # str.isdigit() is True, int() fails
    "int64-overflow": "9223372036854775808",
    "many-digits": "9" * 5000,  # int() refuses over 4300 digits
    "nul": "a\x00b",
    "sql": "1' OR '1'='1'; DROP TABLE users;--",
    "script": SCRIPT,
    "unicode": "Ærlig å være 💥 \u202e",
    "spaces": "   ",
}
HUGE = "x" * 100_000

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
            "entry_id": self.entries[user.id].id,
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


def _cases(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _url(rule, ids: dict[str, int]) -> str:
    url = rule.rule
    for arg in rule.arguments:
        url = re.sub(rf"<(?:[a-z]+:)?{arg}>", str(ids.get(arg, 1)), url)
    return url


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


def _payloads(fuzz, rng: random.Random):
    """(label, data) pairs: each hostile value everywhere, then random mixes with valid values."""
    fields, valid = fuzz.fields(), fuzz.valid()
    yield "empty", MultiDict()
    for name, value in HOSTILE.items():
        yield f"all={name}", MultiDict({f: value for f in fields})
    # Random mixes reach past the first field a route validates; the seed makes them repeatable.
    for n in range(6):
        data = MultiDict()
        for f in fields:
            if rng.random() < 0.35:
                data[f] = rng.choice(list(HOSTILE.values()))
            elif f in valid:
                data[f] = valid[f]
        data[rng.choice(fields)] = HUGE
        yield f"mix#{n}", data
    # Duplicated keys: a valid value first, a hostile one second (getlist sees both).
    yield (
        "duplicated",
        MultiDict([(f, v) for f in fields for v in (valid.get(f, "1"), SCRIPT)]),
    )


@pytest.mark.parametrize("role", ["admin", "employee"])
def test_hostile_input_never_gives_500(app, client, fuzz, login, monkeypatch, crashes, role):
    """Every route × method × hostile payload answers < 500, as page and as htmx fragment."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    user = fuzz.world.admin if role == "admin" else fuzz.world.user
    login(user)
    ids = fuzz.ids(user)
    rng = random.Random(f"tipro-{role}")
    sent, failures = 0, []

    def check(response, where: str) -> None:
        problem = _problem(response)
        if problem:
            cause = crashes[-1] if crashes and response.status_code >= 500 else ""
            failures.append(f"{where}: {problem} {cause}")

    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in ("static", "auth.logout"):
            continue  # logout would end the session the rest of the walk needs
        url = _url(rule, ids)
        for method in _cases(rule):
            if client.open(url, method=method, data={}).status_code == 403:
                continue  # refused before any input is read (role_required)
            for label, data in _payloads(fuzz, rng):
                where = f"{method} {url} [{label}]"
                query = data if method == "GET" else MultiDict(list(data.items(multi=True))[:40])
                body = None if method == "GET" else data
                response = client.open(url, method=method, query_string=query, data=body)
                check(response, where)
                sent += 1
            headers = {"HX-Request": "true", "HX-Target": "main"}
            response = client.open(url, method=method, headers=headers, data={})
            check(response, f"{method} {url} [htmx]")
            if method != "GET":
                response = client.open(url, method=method, data={"comment": "x"}, csrf=False)
                expected = 404 if rule.endpoint == "webhooks.tripletex" else 400
                assert response.status_code == expected, f"{method} {url} without CSRF"
            sent += 1
    assert not failures, "\n".join(failures)
    assert sent > 300


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

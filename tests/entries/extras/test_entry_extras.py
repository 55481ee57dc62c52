"""Custom fields and supplements on entries: validated with the entry, stored, described."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.factories import new_project, submit_week
from tipro import clock
from tipro.entries.extras import display
from tipro.entries.services import EntryInput, EntryValidationError, save_entry
from tipro.models import (
    AuditEvent,
    CustomField,
    CustomFieldValue,
    EntrySupplement,
    SupplementType,
    TimeEntry,
)


def a_weekday():
    today = clock.today()
    return today - timedelta(days=today.weekday() + 7)  # Monday last week


def field(db, world, key, field_type="text", *, required=False, choices=None, project=None):
    row = CustomField(
        company_id=world.company.id,
        key=key,
        label=key.capitalize(),
        field_type=field_type,
        choices=choices or [],
        required=required,
        project_id=project.id if project else None,
    )
    db.session.add(row)
    db.session.commit()
    return row


def supplement(db, world, name, unit="hours", **kw):
    row = SupplementType(company_id=world.company.id, name=name, unit=unit, **kw)
    db.session.add(row)
    db.session.commit()
    return row


def entry_input(world, extras_=None, **kw):
    values = {
        "date": a_weekday(),
        "project_id": world.project.id,
        "activity_id": world.work.id,
        "hours": "7,5",
        "extras": extras_ or {},
    }
    values.update(kw)
    return EntryInput(**values)


def count(db, model):
    return db.session.scalar(select(func.count(model.id)))


def test_missing_required_custom_field_stores_nothing(db, world):
    field(db, world, "maskin", required=True)
    with pytest.raises(EntryValidationError) as caught:
        save_entry(world.user, entry_input(world, {"x_cf_maskin": "  ", "x_extras": "1"}))
    assert caught.value.errors == {"x_cf_maskin": "«Maskin» må fylles ut."}
    # Not posted at all (e.g. the week grid): still required for a new entry.
    with pytest.raises(EntryValidationError) as caught:
        save_entry(world.user, entry_input(world))
    assert "x_cf_maskin" in caught.value.errors
    assert count(db, TimeEntry) == 0 and count(db, CustomFieldValue) == 0


def test_missing_required_field_over_http_is_422_beside_the_field(client, login, db, world):
    field(db, world, "maskin", required=True)
    login(world.user)
    response = client.post(
        "/registreringer",
        data={
            "date": a_weekday().isoformat(),
            "project_id": str(world.project.id),
            "activity_id": str(world.work.id),
            "hours": "7,5",
            "x_extras": "1",
            "x_cf_maskin": "",
        },
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="err-x_cf_maskin"' in body and "«Maskin» må fylles ut." in body
    assert count(db, TimeEntry) == 0


def test_project_field_only_on_its_project(db, world, make_world):
    field(db, world, "rom", required=True, project=world.project)
    # On another project the field does not apply.
    other = new_project(world.company, "1002", "Lager")
    entry = save_entry(world.user, entry_input(world, project_id=other.id))
    assert entry.id
    with pytest.raises(EntryValidationError) as caught:
        save_entry(world.user, entry_input(world))
    assert "x_cf_rom" in caught.value.errors


@pytest.mark.parametrize(
    "field_type,choices,raw,message",
    [
        ("number", None, "tolv", "«Verdi» må være et tall, f.eks. 12,5."),
        ("number", None, "1,2,3", "«Verdi» må være et tall, f.eks. 12,5."),
        ("choice", ["Lift", "Gravemaskin"], "Kran", "«Kran» er ikke et av valgene for «Verdi»."),
        ("yesno", None, "kanskje", "«Verdi» må være ja eller nei."),
        ("text", None, "x" * 501, "«Verdi» kan være høyst 500 tegn."),
    ],
)
def test_custom_field_types_are_validated(db, world, field_type, choices, raw, message):
    field(db, world, "verdi", field_type, choices=choices)
    with pytest.raises(EntryValidationError) as caught:
        save_entry(world.user, entry_input(world, {"x_cf_verdi": raw}))
    assert caught.value.errors == {"x_cf_verdi": message}
    assert count(db, TimeEntry) == 0


def test_custom_values_stored_canonical_and_described(db, world):
    field(db, world, "antall", "number")
    field(db, world, "maskin", "choice", choices=["Lift", "Gravemaskin"])
    field(db, world, "overnatting", "yesno")
    field(db, world, "notat")
    entry = save_entry(
        world.user,
        entry_input(
            world,
            {
                "x_cf_antall": "12,50",
                "x_cf_maskin": "lift",
                "x_cf_overnatting": "Ja",
                "x_cf_notat": "",
            },
        ),
    )
    stored = {
        v.field.key: v.value
        for v in db.session.scalars(
            select(CustomFieldValue).where(CustomFieldValue.entry_id == entry.id)
        )
    }
    assert stored == {"antall": "12.5", "maskin": "Lift", "overnatting": "ja"}
    described = dict(display.describe_extras(entry))
    assert described == {"Antall": "12,5", "Maskin": "Lift", "Overnatting": "Ja"}
    entry.comment = "Montering"
    assert (
        display.transfer_comment(entry)
        == "Montering · Antall: 12.5 · Maskin: Lift · Overnatting: ja"
    )


def test_update_without_extras_keeps_them_and_changes_are_audited(db, world):
    field(db, world, "maskin", required=True)
    overtime = supplement(db, world, "Overtid 50 %", salary_type_id=world.overtime50.id)
    entry = save_entry(
        world.user,
        entry_input(world, {"x_cf_maskin": "Lift", f"x_sup_{overtime.id}": "2"}),
    )
    # The week grid changes only the hours: the field value and supplement stay.
    save_entry(world.user, entry_input(world, hours="8"), entry_uuid=entry.uuid)
    assert db.session.scalar(select(CustomFieldValue.value)) == "Lift"
    assert db.session.scalar(select(EntrySupplement.quantity)) == Decimal("2.00")
    # The full form without the supplement removes it.
    save_entry(
        world.user,
        entry_input(world, {"x_extras": "1", "x_cf_maskin": "Kran"}, hours="8"),
        entry_uuid=entry.uuid,
    )
    assert count(db, EntrySupplement) == 0
    events = list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity == "time_entry", AuditEvent.action == "extras")
            .order_by(AuditEvent.id)
        )
    )
    assert events[0].changes == {
        "x_cf_maskin": [None, "Lift"],
        f"x_sup_{overtime.id}": [None, "2"],
    }
    assert events[-1].changes == {
        "x_cf_maskin": ["Lift", "Kran"],
        f"x_sup_{overtime.id}": ["2", None],
    }
    assert events[-1].user_id == world.user.id


@pytest.mark.parametrize(
    "unit,raw,message",
    [
        ("hours", "to", "«Tillegg»: skriv et tall, f.eks. 2,5."),
        ("hours", "-1", "«Tillegg» kan ikke være negativt."),
        ("hours", "1,255", "«Tillegg»: bruk høyst to desimaler."),
        ("pieces", "1,5", "«Tillegg» telles i hele stykk."),
        ("km", "90000", "«Tillegg» kan være høyst 5000."),
    ],
)
def test_supplement_quantity_validated(db, world, unit, raw, message):
    row = supplement(db, world, "Tillegg", unit=unit)
    with pytest.raises(EntryValidationError) as caught:
        save_entry(world.user, entry_input(world, {f"x_sup_{row.id}": raw}))
    assert caught.value.errors == {f"x_sup_{row.id}": message}
    assert count(db, TimeEntry) == 0


def test_supplement_type_of_another_company_is_unknown(db, world, make_world):
    other = make_world()
    theirs = supplement(db, other, "Deres tillegg")
    inactive = supplement(db, world, "Gammelt", is_active=False)
    with pytest.raises(EntryValidationError) as caught:
        save_entry(
            world.user,
            entry_input(world, {f"x_sup_{theirs.id}": "1", f"x_sup_{inactive.id}": "1"}),
        )
    assert caught.value.errors == {
        f"x_sup_{theirs.id}": "Ukjent tillegg.",
        f"x_sup_{inactive.id}": "Ukjent tillegg.",
    }
    assert count(db, EntrySupplement) == 0


def test_materials_need_own_product_and_get_an_amount(db, world, make_world):
    other = make_world()
    materials = supplement(db, world, "Materiell", unit="pieces", asks_for_product=True)
    key = f"x_sup_{materials.id}"
    with pytest.raises(EntryValidationError) as caught:
        save_entry(world.user, entry_input(world, {key: "4", f"{key}_product": ""}))
    assert caught.value.errors == {f"{key}_product": "Velg produkt for «Materiell»."}
    with pytest.raises(EntryValidationError):
        save_entry(
            world.user, entry_input(world, {key: "4", f"{key}_product": str(other.product.id)})
        )
    entry = save_entry(
        world.user, entry_input(world, {key: "4", f"{key}_product": str(world.product.id)})
    )
    row = db.session.scalar(select(EntrySupplement).where(EntrySupplement.entry_id == entry.id))
    assert row.quantity == Decimal("4.00") and row.amount == Decimal("50.00")
    assert row.product_id == world.product.id
    assert ("Materiell", "4 stk Skruer") in display.describe_extras(entry)


def test_nok_supplement_amount_and_hours_supplement_within_entry(db, world):
    toll = supplement(db, world, "Bom", unit="nok", billable=True)
    overtime = supplement(db, world, "Overtid", unit="hours")
    with pytest.raises(EntryValidationError) as caught:
        save_entry(world.user, entry_input(world, {f"x_sup_{overtime.id}": "9"}, hours="7,5"))
    assert caught.value.errors == {
        f"x_sup_{overtime.id}": "«Overtid» kan ikke være flere timer enn føringen."
    }
    assert count(db, TimeEntry) == 0
    entry = save_entry(world.user, entry_input(world, {f"x_sup_{toll.id}": "47,50"}))
    row = db.session.scalar(select(EntrySupplement).where(EntrySupplement.entry_id == entry.id))
    assert row.amount == Decimal("47.50")


def test_per_day_supplement_once_a_day(db, world):
    diett = supplement(db, world, "Diett", unit="pieces", per="day")
    save_entry(world.user, entry_input(world, {f"x_sup_{diett.id}": "1"}, hours="3"))
    with pytest.raises(EntryValidationError) as caught:
        save_entry(world.user, entry_input(world, {f"x_sup_{diett.id}": "1"}, hours="2"))
    assert caught.value.errors == {f"x_sup_{diett.id}": "«Diett» kan bare føres én gang per dag."}
    assert count(db, TimeEntry) == 1


def test_submitted_entry_extras_are_read_only(db, world):
    field(db, world, "maskin")
    entry = save_entry(world.user, entry_input(world, {"x_cf_maskin": "Lift"}))
    submit_week(world.user, entry.date)
    with pytest.raises(EntryValidationError) as caught:
        save_entry(world.user, entry_input(world, {"x_cf_maskin": "Kran"}), entry_uuid=entry.uuid)
    assert caught.value.status == 409
    assert db.session.scalar(select(CustomFieldValue.value)) == "Lift"


def test_form_shows_fields_and_prefills_edit(client, login, db, world):
    field(db, world, "maskin", "choice", choices=["Lift", "Kran"])
    overtime = supplement(db, world, "Overtid 50 %")
    entry = save_entry(
        world.user, entry_input(world, {"x_cf_maskin": "Kran", f"x_sup_{overtime.id}": "1,5"})
    )
    login(world.user)
    body = client.get(f"/registreringer/{entry.id}").get_data(as_text=True)
    assert '<option value="Kran" selected>' in body
    assert f'name="x_sup_{overtime.id}" value="1,5"' in body
    assert "style=" not in body
    year, week, _day = entry.date.isocalendar()
    listing = client.get(f"/uke?uke={year}-W{week:02d}").get_data(as_text=True)
    assert "Maskin: Kran" in listing
    fragment = client.get(
        f"/registreringer/ekstrafelt?project_id={world.project.id}&x_cf_maskin=Lift",
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert '<option value="Lift" selected>' in fragment
    today = client.get("/").get_data(as_text=True)
    assert 'name="x_cf_maskin"' in today and f'name="x_sup_{overtime.id}"' in today

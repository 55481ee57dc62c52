"""Entry lists show the extras, and their SQL does not grow with the number of entries."""

from __future__ import annotations

import pytest

from tests.entries.extras.test_entry_extras import field, supplement
from tests.factories import new_project
from tests.statements import counted
from tipro import clock
from tipro.entries.extras import display
from tipro.entries.services import EntryInput, save_entry
from tipro.models import AbsenceType


def _add_entries(world, other, machine, overtime, n: int, start: int) -> None:
    """n one-hour entries today, alternating between two week lines (world.project and
    `other`), all with extras."""
    for i in range(start, start + n):
        save_entry(
            world.user,
            EntryInput(
                date=clock.today(),
                project_id=world.project.id if i % 2 else other.id,
                activity_id=world.work.id,
                hours="1",
                comment=f"Post {i}",
                extras={f"x_cf_{machine.key}": "Gravemaskin", f"x_sup_{overtime.id}": "0,5"},
            ),
        )


@pytest.mark.parametrize("url", ["/", "/uke"])
def test_list_pages_query_count_does_not_grow_with_entries(client, login, db, world, url):
    machine = field(db, world, "maskin")
    overtime = supplement(db, world, "Overtid 50 %")
    other = new_project(world.company, "1002", "Lager")
    login(world.user)
    _add_entries(world, other, machine, overtime, 2, 0)
    client.get(url)  # warm caches that are per process, not per entry (e.g. the catalogue)
    with counted() as few:
        body = client.get(url).get_data(as_text=True)
    assert body.count("Maskin: Gravemaskin") == 2 and "Overtid 50 %: 0,5 t" in body

    _add_entries(world, other, machine, overtime, 8, 2)
    with counted() as many:
        body = client.get(url).get_data(as_text=True)
    assert body.count("Maskin: Gravemaskin") == 10
    assert len(many) == len(few), "\n".join(many[len(few) :])


def test_batch_description_matches_single_and_keeps_order(db, world):
    field(db, world, "maskin")
    field(db, world, "kran", "yesno")
    overtime = supplement(db, world, "Overtid 50 %")
    holiday = AbsenceType(
        company_id=world.company.id, name="Ferie", code="ferie", activity_id=world.holiday.id
    )
    db.session.add(holiday)
    db.session.commit()
    work = save_entry(
        world.user,
        EntryInput(
            date=clock.today(),
            project_id=world.project.id,
            activity_id=world.work.id,
            hours="2",
            extras={"x_cf_maskin": "Lift", "x_cf_kran": "ja", f"x_sup_{overtime.id}": "1,5"},
        ),
    )
    away = save_entry(
        world.user,
        EntryInput(
            date=clock.today(),
            activity_id=world.holiday.id,
            hours="3",
            kind="absence",
            extras={"x_absence_type": str(holiday.id)},
        ),
    )
    batch = display.describe_extras_for([work, away])
    assert batch[work.id] == [("Overtid 50 %", "1,5 t"), ("Kran", "Ja"), ("Maskin", "Lift")]
    assert batch[away.id] == [("Fravær", "Ferie")]
    assert display.describe_extras(work) == batch[work.id]
    assert display.describe_extras_for([]) == {}


def test_a_company_without_extras_reads_none_and_sees_the_first_at_once(client, login, db, world):
    """Without any custom field, supplement or absence type no entry can have extras, so the
    lists skip their extras statement; the first definition (which raises the master-data
    version) brings the descriptions back on the next page."""
    login(world.user)
    entry = save_entry(
        world.user,
        EntryInput(
            date=clock.today(),
            project_id=world.project.id,
            activity_id=world.work.id,
            hours="7,5",
        ),
    )
    client.get("/uke")
    with counted() as statements:
        body = client.get("/uke").get_data(as_text=True)
    assert f'href="/registreringer/{entry.id}"' in body and "7,5 t" in body
    assert not [s for s in statements if "entry_supplements" in s]
    machine = field(db, world, "maskin")
    save_entry(
        world.user,
        EntryInput(
            date=clock.today(),
            project_id=world.project.id,
            activity_id=world.work.id,
            hours="2",
            extras={f"x_cf_{machine.key}": "Gravemaskin"},
        ),
    )
    with counted() as statements:
        body = client.get("/uke").get_data(as_text=True)
    assert "Maskin: Gravemaskin" in body
    assert [s for s in statements if "entry_supplements" in s]

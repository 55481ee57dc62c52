"""The rule of whose hours an approver sees (entries.queries.entries_visible_query), which the
week views, approval lists and every report share."""

from __future__ import annotations

from tests.factories import new_department, new_employee, new_entry, new_project, new_user
from tipro.entries.queries import entries_visible_query, visible_user_ids
from tipro.extensions import db


def _visible(actor) -> set[int]:
    return {entry.user_id for entry in db.session.scalars(entries_visible_query(actor))}


def test_an_approver_not_linked_to_tripletex_sees_only_own_and_assigned_people(world):
    """Projects and departments without a manager are not «led by» someone with no employee:
    before, comparing with a NULL employee matched every one of them."""
    unmanaged_dept = new_department(world.company, "Lager")
    worker = new_user(
        world.company,
        "employee",
        name="Lars Lager",
        employee_id=new_employee(world.company, "Lars", department_id=unmanaged_dept.id).id,
    )
    unmanaged = new_project(world.company, "900", "Uten leder")
    new_entry(worker, world.day, project_id=unmanaged.id)
    new_entry(world.colleague, world.day, project_id=unmanaged.id)
    approver = new_user(world.company, "approver", name="Uten ansatt")
    new_entry(approver, world.day)
    assert _visible(approver) == {approver.id}
    assert visible_user_ids(approver) == {approver.id}
    # Made someone's approver in TiPro, they see that person's hours (and still no one else's).
    worker.approver_id = approver.id
    db.session.commit()
    assert _visible(approver) == {approver.id, worker.id}
    assert visible_user_ids(approver) == {approver.id, worker.id}

"""What an employee may pick on a day: open projects they may log on, allowed activities.

The same predicates serve the pickers (lists) and the service's validation (one id), so
what the form offers and what the server accepts can never disagree. Company scoping comes
from tipro.tenancy (the request's or a job's `company_scope`).

Rules (mirroring Tripletex' timesheet): a project is pickable on `day` when it is active,
not closed and `day` is within its start/end dates; a participants-only project also needs
the employee as participant (or project manager). Activities follow Tripletex' types (synced
into `Activity.is_general` / `is_project_activity`):

- GENERAL_ACTIVITY (general, not a project activity, e.g. «Intern tid»): only without a
  project;
- PROJECT_GENERAL_ACTIVITY (general and a project activity, e.g. «Reisetid»): on any project;
- PROJECT_SPECIFIC_ACTIVITY and TASK (project activities, not general): only on the projects
  they are linked to (link not closed, within its dates).

A link allows its activity on that project whatever the type, as Tripletex'
`activity/>forTimeSheet` does. (A project's `generalProjectActivitiesPerProjectOnly`, which
narrows the project-general ones to linked ones, is not synced; the pre-flight reads it fresh
from Tripletex before approval.)
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import Select, and_, exists, or_, select

from tipro.entries import master
from tipro.entries.master import ActivityDef, LinkDef, ProjectDef
from tipro.extensions import db
from tipro.models import Activity, Project, ProjectActivity, ProjectParticipant


def project_is_open_clause(day: date):
    """SQL twin of Project.is_open_on(day)."""
    return and_(
        Project.is_active.is_(True),
        Project.is_closed.is_(False),
        or_(Project.start_date.is_(None), Project.start_date <= day),
        or_(Project.end_date.is_(None), Project.end_date >= day),
    )


def project_may_log_clause(employee_id: int | None):
    """Participants-only projects need the employee as participant or project manager."""
    if employee_id is None:
        return Project.for_participants_only.is_(False)
    is_participant = exists().where(
        ProjectParticipant.project_id == Project.id,
        ProjectParticipant.employee_id == employee_id,
    )
    return or_(
        Project.for_participants_only.is_(False),
        Project.project_manager_id == employee_id,
        is_participant,
    )


def projects_query(employee_id: int | None, day: date) -> Select:
    """SELECT of the projects `employee_id` may log hours on on `day`."""
    return (
        select(Project)
        .where(project_is_open_clause(day), project_may_log_clause(employee_id))
        .order_by(Project.number, Project.name)
    )


def projects_for(employee_id: int | None, day: date) -> list[Project]:
    """Projects open on `day` that the employee may log hours on."""
    return list(db.session.scalars(projects_query(employee_id, day)))


def activity_allowed_clause(project_id: int | None, day: date):
    """SQL condition on Activity: allowed with this project (or none) on `day`."""
    if project_id is None:
        return and_(
            Activity.is_active.is_(True),
            Activity.is_general.is_(True),
            Activity.is_project_activity.is_(False),
        )
    linked = exists().where(
        ProjectActivity.project_id == project_id,
        ProjectActivity.activity_id == Activity.id,
        ProjectActivity.is_closed.is_(False),
        or_(ProjectActivity.start_date.is_(None), ProjectActivity.start_date <= day),
        or_(ProjectActivity.end_date.is_(None), ProjectActivity.end_date >= day),
    )
    project_general = and_(Activity.is_general.is_(True), Activity.is_project_activity.is_(True))
    return and_(Activity.is_active.is_(True), or_(project_general, linked))


def activities_query(project_id: int | None, day: date) -> Select:
    """SELECT of the activities allowed on the project (or without one) on `day`."""
    return (
        select(Activity)
        .where(activity_allowed_clause(project_id, day))
        .order_by(Activity.is_general, Activity.number, Activity.name)
    )


def activities_for(project_id: int | None, day: date) -> list[Activity]:
    """Activities allowed on the project (project-general ones and the project's own), or
    without a project (general ones), on `day`."""
    return list(db.session.scalars(activities_query(project_id, day)))


# ---------------------------------------------------------------- the lists, cached
# The same rules over the company's cached master data (tipro.entries.master): what the
# forms offer. The save still checks its one project and activity in SQL (entries.rules).


def _open_projects() -> tuple[ProjectDef, ...]:
    p = Project
    is_open = (p.is_active.is_(True), p.is_closed.is_(False))
    rows = db.session.execute(
        select(
            p.id,
            p.number,
            p.name,
            p.start_date,
            p.end_date,
            p.for_participants_only,
            p.project_manager_id,
        )
        .where(*is_open)
        .order_by(p.number, p.name)
    ).all()
    participants: dict[int, set[int]] = defaultdict(set)
    if any(row.for_participants_only for row in rows):
        for project_id, employee_id in db.session.execute(
            select(ProjectParticipant.project_id, ProjectParticipant.employee_id)
            .join(Project, Project.id == ProjectParticipant.project_id)
            .where(Project.for_participants_only.is_(True), *is_open)
        ):
            participants[project_id].add(employee_id)
    return tuple(ProjectDef(*row, frozenset(participants.get(row.id, ()))) for row in rows)


def open_projects() -> tuple[ProjectDef, ...]:
    """The company's active, not closed projects, in picker order (cached)."""
    return master.cached("projects", _open_projects)


def pickable_projects(employee_id: int | None, day: date) -> list[ProjectDef]:
    """What `projects_for` answers, from the cached list."""
    return [p for p in open_projects() if p.is_open_on(day) and p.may_log(employee_id)]


def _active_activities() -> tuple[ActivityDef, ...]:
    a = Activity
    query = (
        select(a.id, a.name, a.number, a.is_general, a.is_project_activity)
        .where(a.is_active.is_(True))
        .order_by(a.is_general, a.number, a.name)
    )
    return tuple(ActivityDef(*row) for row in db.session.execute(query))


def _project_links(project_id: int) -> tuple[LinkDef, ...]:
    pa = ProjectActivity
    query = select(pa.activity_id, pa.start_date, pa.end_date).where(
        pa.project_id == project_id, pa.is_closed.is_(False)
    )
    return tuple(LinkDef(*row) for row in db.session.execute(query))


def allowed_activities(project_id: int | None, day: date) -> list:
    """What `activities_for` answers, from the cached lists when the project is open.

    Links are cached per open project only (an id from the request names at most one of the
    company's projects); for any other project the answer comes from SQL as before.
    """
    if project_id is None:
        return [a for a in master.cached("activities", _active_activities) if a.without_project]
    open_ids = master.cached("project_ids", lambda: frozenset(p.id for p in open_projects()))
    if project_id not in open_ids:
        return activities_for(project_id, day)
    links = master.cached(f"links:{project_id}", lambda: _project_links(project_id))
    linked = {link.activity_id for link in links if link.is_open_on(day)}
    activities = master.cached("activities", _active_activities)
    return [a for a in activities if a.on_any_project or a.id in linked]


__all__ = [
    "activities_for",
    "allowed_activities",
    "open_projects",
    "pickable_projects",
    "activities_query",
    "activity_allowed_clause",
    "project_is_open_clause",
    "project_may_log_clause",
    "projects_for",
    "projects_query",
]

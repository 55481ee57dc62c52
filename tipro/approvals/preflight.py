"""Pre-flight: what would stop a person's hours for a period from reaching Tripletex.

`check(user, first, last)` reads every entry of the person dated first..last (whatever its
state) with its supplements and absence, and returns a list of `Problem`s, each blocking or a
warning, with a Norwegian message and a hint that says where to fix it (a TiPro page or a
Tripletex screen). The approval services store the result on the period (`as_dict`) and the
transfer runs it again before sending.

What is checked, against the synced data:

- the person is linked to a Tripletex employee with an employment covering every date that
  has hours, linked to a division (virksomhet);
- each project still exists, is open and has started on each date, and the person may log on
  it (tipro.entries.pickers decides, as for the pickers and the entry rules);
- each activity is allowed on its project (pickers again) and is of a kind Tripletex accepts
  there: a project activity needs a project, a general (non-project) activity takes none;
- each supplement type is mapped to an active salary type (in the timesheet payroll mode one
  marked «Vis i timeliste») and, when billable, to an active product; each absence type is
  mapped to an activity (timesheet mode) or a salary type (salary mode), and a salary type it
  is mapped to must be active;
- a non-zero hourly price resolves for every billable line (see `resolve_rate`).

With `fresh=True` (the default) Tripletex is read as well, so that a change made there after
the last sync is caught: the connection works and the key has the access the transfer needs;
the employee and all their employments are read again; the projects used are read again
(closed, dates, participants, activities); the timesheet month status of each calendar month
with hours (approved months are locked up to and including `approvedUntilDate`); and, when no
stored rate prices a billable line, the employee's own rates. Tripletex that cannot be reached
is itself a blocking problem ("tripletex_unreachable"), never an exception; the checks it
could not refresh fall back to the synced data.

`fresh=False` reads only the database (no Tripletex call, no commit): safe inside a caller's
transaction. `fresh=True` commits the session first, because no transaction may stay open
across a Tripletex call; call it before taking locks or writing. Statements: a fixed handful
(entries with their absence, supplements, the employee, rates), never one per entry.

Runs inside the caller's company scope (tipro.tenancy), like every service.
"""

from __future__ import annotations

import calendar
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import format_date, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, select
from sqlalchemy.orm import aliased

from tipro import clock, i18n
from tipro.entries import pickers
from tipro.extensions import db
from tipro.models import (
    AbsenceType,
    Activity,
    Company,
    Division,
    Employee,
    EntryAbsence,
    EntrySupplement,
    HourlyRate,
    Product,
    Project,
    SalaryType,
    SupplementType,
    TimeEntry,
    User,
)
from tipro.tripletex.client import TripletexClient
from tipro.tripletex.errors import (
    NeedsReconnect,
    PermissionDenied,
    RateLimited,
    ServerError,
    TripletexError,
)

# The payroll basis the transfer sends (issue «Overføring»): timesheet entries plus salary-type
# specifications (the default), or salary transactions with payslips.
PAYROLL_TIMESHEET = "timesheet"
PAYROLL_SALARY = "salary"
_PAYROLL_ALIASES = {
    "timesheet": PAYROLL_TIMESHEET,
    "timeliste": PAYROLL_TIMESHEET,
    "salary": PAYROLL_SALARY,
    "lonnsbilag": PAYROLL_SALARY,
    "lønnsbilag": PAYROLL_SALARY,
    "payslip": PAYROLL_SALARY,
}

# Client options for the fresh reads: an approver waits for the answer, so fewer retries.
FRESH_MAX_RETRIES = 2
# Ids per "List of IDs" filter (tipro.tripletex.api.MAX_IDS_PER_CALL).
MAX_IDS_PER_READ = 100


# ---------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """One thing in the way of the transfer: blocking (stops approval) or a warning."""

    code: str
    blocking: bool
    params: dict = field(default_factory=dict)  # JSON-able: str and int values only

    @property
    def message(self) -> str:
        """What is wrong, in the current language (translated when read)."""
        texts = TEXTS.get(self.code)
        return _render(texts[0], self.params) if texts else self.code

    @property
    def hint(self) -> str:
        """Where to fix it: «TiPro: …» or «Tripletex: …» (the page or screen)."""
        texts = TEXTS.get(self.code)
        return _render(texts[1], self.params) if texts else ""

    @property
    def fix_in(self) -> str:
        """ "tripletex" or "tipro": where the hint sends the reader first."""
        return "tipro" if self.code in FIX_IN_TIPRO else "tripletex"

    def as_dict(self) -> dict:
        """For storing on the period (JSON)."""
        return {"code": self.code, "blocking": self.blocking, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: dict) -> Problem:
        """The problem as_dict stored."""
        return cls(
            code=str(data.get("code") or ""),
            blocking=bool(data.get("blocking")),
            params=dict(data.get("params") or {}),
        )


# code -> (message, hint). Parameters: employee, person, project, activity, type, salary_type,
# product, areas (access keys), status and request_id (unreachable), and dates as ISO strings,
# formatted when read: date + days (the first date with hours, how many dates), start, end,
# until, and month (YYYY-MM).
TEXTS: dict[str, tuple[Any, Any]] = {
    "tripletex_not_connected": (
        _l("TiPro er ikke koblet til Tripletex, så timene kan ikke kontrolleres mot Tripletex."),
        _l("TiPro: Admin › Innstillinger — lim inn API-nøkkelen fra Tripletex."),
    ),
    "tripletex_reconnect": (
        _l("Tripletex godtar ikke lenger API-nøkkelen TiPro bruker."),
        _l(
            "Tripletex: Min profil › API-tilgang — lag en ny nøkkel, og lim den inn i "
            "TiPro: Admin › Innstillinger."
        ),
    ),
    "tripletex_unreachable": (
        _l("Fikk ikke kontakt med Tripletex, så timene er ikke kontrollert mot Tripletex nå."),
        _l(
            "Prøv igjen om litt. Varer det, se TiPro: Admin › Innstillinger og driftsmeldingene "
            "fra Tripletex."
        ),
    ),
    "tripletex_access": (
        _l("API-nøkkelen mangler tilgang i Tripletex til: %(areas)s."),
        _l(
            "Tripletex: Ansatte › (brukeren som laget nøkkelen) › Tilganger — gi tilgangen, lag "
            "en ny API-nøkkel og lim den inn i TiPro: Admin › Innstillinger."
        ),
    ),
    "employee_not_linked": (
        _l("%(person)s er ikke koblet til en ansatt i Tripletex."),
        _l(
            "TiPro: Admin › Brukere › %(person)s — velg den ansatte. Finnes ikke den ansatte, "
            "opprett vedkommende i Tripletex: Ansatte, og synkroniser."
        ),
    ),
    "employee_not_found": (
        _l("Den ansatte %(employee)s finnes ikke lenger i Tripletex."),
        _l(
            "Tripletex: Ansatte — opprett den ansatte igjen, synkroniser, og koble brukeren i "
            "TiPro: Admin › Brukere."
        ),
    ),
    "no_employment": (
        _l("%(employee)s har ikke et arbeidsforhold i Tripletex som gjelder %(when)s."),
        _l(
            "Tripletex: Lønn › Ansatte › %(employee)s › Arbeidsforhold — legg inn eller forleng "
            "arbeidsforholdet."
        ),
    ),
    "employment_no_division": (
        _l(
            "Arbeidsforholdet til %(employee)s er ikke knyttet til en virksomhet (gjelder "
            "%(when)s). Lønnskjøringen i Tripletex krever det."
        ),
        _l("Tripletex: Lønn › Ansatte › %(employee)s › Arbeidsforhold — velg virksomhet."),
    ),
    "month_locked": (
        _l(
            "%(month)s er allerede godkjent i Tripletex for %(employee)s, til og med %(until)s, "
            "så timene %(when)s kan ikke overføres."
        ),
        _l(
            "Tripletex: Timeliste › Godkjenning › %(month)s — opphev godkjenningen for "
            "%(employee)s."
        ),
    ),
    "project_unknown": (
        _l("Prosjektet %(project)s finnes ikke lenger i Tripletex (timer %(when)s)."),
        _l(
            "TiPro: Uke — flytt timene til et annet prosjekt (perioden må sendes tilbake "
            "først), eller opprett prosjektet igjen i Tripletex: Prosjekt."
        ),
    ),
    "project_closed": (
        _l("Prosjektet %(project)s er avsluttet i Tripletex, men har timer %(when)s."),
        _l(
            "Tripletex: Prosjekt › %(project)s › Rediger — gjenåpne prosjektet, eller flytt "
            "timene i TiPro: Uke."
        ),
    ),
    "project_not_started": (
        _l("Prosjektet %(project)s starter %(start)s, men har timer %(when)s."),
        _l(
            "Tripletex: Prosjekt › %(project)s › Rediger — endre startdatoen, eller flytt "
            "timene i TiPro: Uke."
        ),
    ),
    "project_ended": (
        _l("Prosjektet %(project)s sluttet %(end)s, men har timer %(when)s."),
        _l(
            "Tripletex: Prosjekt › %(project)s › Rediger — endre sluttdatoen, eller flytt "
            "timene i TiPro: Uke."
        ),
    ),
    "project_not_participant": (
        _l(
            "Bare deltakere kan føre timer på prosjektet %(project)s, og %(employee)s er ikke "
            "deltaker (timer %(when)s)."
        ),
        _l("Tripletex: Prosjekt › %(project)s › Deltakere — legg til %(employee)s."),
    ),
    "activity_missing": (
        _l("Timene %(when)s mangler aktivitet."),
        _l("TiPro: Uke — velg aktivitet for timene (perioden må sendes tilbake først)."),
    ),
    "activity_inactive": (
        _l("Aktiviteten %(activity)s er ikke lenger i bruk i Tripletex (timer %(when)s)."),
        _l(
            "Tripletex: Aktiviteter › %(activity)s — ta den i bruk igjen og synkroniser, eller "
            "velg en annen aktivitet i TiPro: Uke."
        ),
    ),
    "activity_not_allowed": (
        _l("Aktiviteten %(activity)s kan ikke brukes på prosjektet %(project)s (timer %(when)s)."),
        _l(
            "Tripletex: Prosjekt › %(project)s › Aktiviteter — legg til %(activity)s, eller "
            "velg en annen aktivitet i TiPro: Uke."
        ),
    ),
    "activity_needs_project": (
        _l("Aktiviteten %(activity)s krever prosjekt, men timene %(when)s har ikke prosjekt."),
        _l("TiPro: Uke — velg prosjekt for timene, eller bruk en generell aktivitet."),
    ),
    "supplement_no_salary_type": (
        _l("Tillegget %(type)s er ikke koblet til en lønnsart (brukt %(when)s)."),
        _l("TiPro: Admin › Tillegg og felt › %(type)s — velg lønnsart."),
    ),
    "supplement_salary_type_inactive": (
        _l(
            "Tillegget %(type)s er koblet til lønnsarten %(salary_type)s, som ikke lenger finnes "
            "i Tripletex."
        ),
        _l(
            "TiPro: Admin › Tillegg og felt › %(type)s — velg en lønnsart som finnes i "
            "Tripletex: Lønn › Lønnsarter."
        ),
    ),
    "supplement_salary_type_not_in_timesheet": (
        _l(
            "Lønnsarten %(salary_type)s (tillegget %(type)s) er ikke merket «Vis i timeliste» "
            "i Tripletex, så den kan ikke føres på timelisten."
        ),
        _l(
            "Tripletex: Lønn › Lønnsarter › %(salary_type)s — kryss av for «Vis i timeliste», "
            "og synkroniser i TiPro: Admin › Synkronisering."
        ),
    ),
    "supplement_no_product": (
        _l("Tillegget %(type)s faktureres, men er ikke koblet til et produkt (brukt %(when)s)."),
        _l("TiPro: Admin › Tillegg og felt › %(type)s — velg produkt."),
    ),
    "supplement_product_inactive": (
        _l("Produktet %(product)s (tillegget %(type)s) er ikke lenger aktivt i Tripletex."),
        _l(
            "Tripletex: Produkter › %(product)s — aktiver produktet og synkroniser, eller velg "
            "et annet produkt i TiPro: Admin › Tillegg og felt › %(type)s."
        ),
    ),
    "supplement_no_price": (
        _l(
            "Tillegget %(type)s %(when)s har ingen pris: produktet %(product)s koster 0 og "
            "registreringen har ikke beløp."
        ),
        _l(
            "Tripletex: Produkter › %(product)s — sett en pris, og synkroniser i TiPro: Admin › "
            "Synkronisering."
        ),
    ),
    "absence_no_activity": (
        _l("Fraværstypen %(type)s er ikke koblet til en aktivitet (brukt %(when)s)."),
        _l("TiPro: Admin › Tillegg og felt › Fravær › %(type)s — velg aktivitet."),
    ),
    "absence_no_salary_type": (
        _l("Fraværstypen %(type)s er ikke koblet til en lønnsart (brukt %(when)s)."),
        _l("TiPro: Admin › Tillegg og felt › Fravær › %(type)s — velg lønnsart."),
    ),
    "absence_salary_type_inactive": (
        _l(
            "Fraværstypen %(type)s er koblet til lønnsarten %(salary_type)s, som ikke lenger "
            "finnes i Tripletex."
        ),
        _l(
            "TiPro: Admin › Tillegg og felt › Fravær › %(type)s — velg en lønnsart som finnes i "
            "Tripletex: Lønn › Lønnsarter."
        ),
    ),
    "hours_salary_type_missing": (
        _l("TiPro vet ikke hvilken lønnsart vanlige timer skal føres på i lønnsbilaget."),
        _l(
            "TiPro: Admin › Overføringer › Lønnsart for timer — velg lønnsarten for vanlige "
            "timer (for eksempel «2001 Timelønn»). Finnes den ikke, opprett den i Tripletex: "
            "Lønn › Lønnsarter, og synkroniser."
        ),
    ),
    "hours_salary_type_inactive": (
        _l("Lønnsarten for timer, %(salary_type)s, er ikke lenger aktiv i Tripletex."),
        _l(
            "TiPro: Admin › Overføringer › Lønnsart for timer — velg en aktiv lønnsart, eller "
            "aktiver den i Tripletex: Lønn › Lønnsarter og synkroniser."
        ),
    ),
    "price_missing": (
        _l("Fakturerbare timer på %(project)s (%(activity)s) %(when)s får timepris 0 i Tripletex."),
        _l(
            "Tripletex: Prosjekt › %(project)s › Timepriser, eller Tripletex: Ansatte › "
            "%(employee)s › Timekost og timepris — sett en timepris, og synkroniser i TiPro: "
            "Admin › Synkronisering."
        ),
    ),
}

# Problems whose hint sends the reader to TiPro first.
FIX_IN_TIPRO = frozenset(
    {
        "tripletex_not_connected",
        "tripletex_unreachable",
        "employee_not_linked",
        "project_unknown",
        "activity_missing",
        "activity_needs_project",
        "supplement_no_salary_type",
        "supplement_salary_type_inactive",
        "supplement_no_product",
        "absence_no_activity",
        "absence_no_salary_type",
        "absence_salary_type_inactive",
        "hours_salary_type_missing",
        "hours_salary_type_inactive",
    }
)

# Access areas (keys of tipro.sync.connection.ACCESS_CHECKS, plus the timesheet read here).
AREA_LABELS = {
    "employees": _l("ansatte"),
    "projects": _l("prosjekter"),
    "salary": _l("lønn"),
    "orders": _l("ordre og fakturering"),
    "timesheet": _l("timeliste"),
}


class _Params(dict):
    """Formatting values; a parameter an older stored problem lacks shows as «?»."""

    def __missing__(self, key: str) -> str:
        return "?"


def _iso(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _render(text: Any, params: dict) -> str:
    values = _Params({k: v for k, v in params.items()})
    for key in ("start", "end", "until"):
        day = _iso(params.get(key)) if key in params else None
        if day is not None:
            values[key] = i18n.day(day)
    if "month" in params:
        first = _iso(f"{params['month']}-01")
        if first is not None:
            values["month"] = format_date(first, "LLLL yyyy")
    if "date" in params:
        day = _iso(params["date"])
        shown = i18n.day(day) if day else str(params["date"])
        more = int(params.get("days") or 1) - 1
        values["when"] = (
            ngettext(
                "%(date)s og %(num)d dag til", "%(date)s og %(num)d dager til", more, date=shown
            )
            if more > 0
            else shown
        )
    if "areas" in params:
        keys = [k for k in str(params["areas"]).split(",") if k]
        values["areas"] = ", ".join(str(AREA_LABELS.get(k, k)) for k in keys)
    return str(text) % values


# ---------------------------------------------------------------- what is read


@dataclass
class _ProjectRow:
    id: int
    tripletex_id: int
    label: str
    is_active: bool
    is_closed: bool
    start: date | None
    end: date | None
    customer_id: int | None
    is_internal: bool
    is_fixed_price: bool

    @property
    def billable(self) -> bool:
        return (
            self.customer_id is not None
            and not self.is_internal
            and not self.is_fixed_price
            and self.is_active
        )


@dataclass
class _ActivityRow:
    id: int
    tripletex_id: int
    label: str
    is_active: bool
    is_general: bool
    is_project_activity: bool
    is_chargeable: bool
    rate: Decimal | None


@dataclass
class _Entry:
    id: int
    day: date
    kind: str
    project: _ProjectRow | None
    activity: _ActivityRow | None
    has_project: bool  # the entry names a project (even one that is gone)
    has_activity: bool
    project_open: bool  # pickers.project_is_open_clause
    may_log: bool  # pickers.project_may_log_clause
    allowed_with_project: bool  # pickers.activity_allowed_clause(project)
    allowed_without_project: bool  # pickers.activity_allowed_clause(None)
    absence_type: str | None = None
    absence_activity: bool = True
    absence_salary: tuple[str, bool] | None = None  # (label, active)


@dataclass
class _Supplement:
    day: date
    type_id: int
    type_name: str
    billable: bool
    asks_for_product: bool
    quantity: Decimal
    amount: Decimal | None
    salary: tuple[str, bool, bool] | None  # (label, active, shown in timesheet)
    product: tuple[str, bool, Decimal | None] | None  # (label, active, price)


@dataclass
class _Rate:
    project_id: int
    activity_id: int | None
    employee_id: int | None
    start_date: date | None
    rate_model: str | None
    rate: Decimal


@dataclass
class _Loaded:
    person: str
    employee_local_id: int | None
    employee_tx_id: int | None
    employee_name: str
    employment: tuple[date | None, date | None, bool] | None  # synced: start, end, division
    entries: list[_Entry]
    supplements: list[_Supplement]
    rates: list[_Rate]
    company_id: int


@dataclass
class _FreshProject:
    found: bool
    is_closed: bool = False
    start: date | None = None
    end: date | None = None
    participants_only: bool = False
    members: set[int] = field(default_factory=set)  # Tripletex employee ids (manager included)
    links: dict[int, list[tuple[date | None, date | None, bool]]] = field(default_factory=dict)
    general_per_project_only: bool = False


@dataclass
class _Fresh:
    """What Tripletex said, where it answered."""

    employee_found: bool | None = None  # None: not read
    employments: list[tuple[date, date | None, bool]] | None = None
    projects: dict[int, _FreshProject] = field(default_factory=dict)  # by local project id
    locked: dict[str, date | None] = field(default_factory=dict)  # month -> approved until
    employee_rates: list[tuple[date, Decimal]] | None = None
    missing_access: set[str] = field(default_factory=set)
    failure: Problem | None = None


def _label(number: str | None, name: str) -> str:
    return f"{number} {name}" if number else name


def _load(user: User, first: date, last: date) -> _Loaded:
    """Everything the checks need, in a fixed number of statements."""
    employee_id = user.employee_id
    person = user.display_name
    absence_salary = aliased(SalaryType)
    in_range = and_(TimeEntry.user_id == user.id, TimeEntry.date >= first, TimeEntry.date <= last)

    def flag(condition):
        return case((condition, True), else_=False)

    rows = db.session.execute(
        select(
            TimeEntry.id,
            TimeEntry.date,
            TimeEntry.kind,
            TimeEntry.project_id,
            TimeEntry.activity_id,
            Project,
            Activity,
            flag(pickers.project_is_open_clause(TimeEntry.date)),
            flag(pickers.project_may_log_clause(employee_id)),
            flag(pickers.activity_allowed_clause(TimeEntry.project_id, TimeEntry.date)),
            flag(pickers.activity_allowed_clause(None, TimeEntry.date)),
            AbsenceType,
            absence_salary,
        )
        .outerjoin(Project, Project.id == TimeEntry.project_id)
        .outerjoin(Activity, Activity.id == TimeEntry.activity_id)
        .outerjoin(EntryAbsence, EntryAbsence.entry_id == TimeEntry.id)
        .outerjoin(AbsenceType, AbsenceType.id == EntryAbsence.absence_type_id)
        .outerjoin(absence_salary, absence_salary.id == AbsenceType.salary_type_id)
        .where(in_range)
        .order_by(TimeEntry.date, TimeEntry.id)
    ).all()
    projects: dict[int, _ProjectRow] = {}
    activities: dict[int, _ActivityRow] = {}
    entries = []
    for (
        entry_id,
        day,
        kind,
        project_id,
        activity_id,
        project,
        activity,
        is_open,
        may_log,
        allowed,
        allowed_general,
        absence,
        salary,
    ) in rows:
        if project is not None and project.id not in projects:
            projects[project.id] = _ProjectRow(
                id=project.id,
                tripletex_id=project.tripletex_id,
                label=project.display_name,
                is_active=project.is_active,
                is_closed=project.is_closed,
                start=project.start_date,
                end=project.end_date,
                customer_id=project.customer_id,
                is_internal=project.is_internal,
                is_fixed_price=project.is_fixed_price,
            )
        if activity is not None and activity.id not in activities:
            activities[activity.id] = _ActivityRow(
                id=activity.id,
                tripletex_id=activity.tripletex_id,
                label=_label(activity.number, activity.name),
                is_active=activity.is_active,
                is_general=activity.is_general,
                is_project_activity=activity.is_project_activity,
                is_chargeable=activity.is_chargeable,
                rate=activity.rate,
            )
        entry = _Entry(
            id=entry_id,
            day=day,
            kind=kind,
            project=projects.get(project_id) if project_id else None,
            activity=activities.get(activity_id) if activity_id else None,
            has_project=project_id is not None,
            has_activity=activity_id is not None,
            project_open=bool(is_open),
            may_log=bool(may_log),
            allowed_with_project=bool(allowed),
            allowed_without_project=bool(allowed_general),
        )
        if absence is not None:
            entry.absence_type = absence.name
            entry.absence_activity = absence.activity_id is not None
            if salary is not None:
                entry.absence_salary = (_label(salary.number, salary.name), salary.is_active)
        entries.append(entry)

    type_product, entry_product = aliased(Product), aliased(Product)
    supplements = []
    for supplement, day, stype, salary, typed, own in db.session.execute(
        select(
            EntrySupplement, TimeEntry.date, SupplementType, SalaryType, type_product, entry_product
        )
        .join(TimeEntry, TimeEntry.id == EntrySupplement.entry_id)
        .join(SupplementType, SupplementType.id == EntrySupplement.supplement_type_id)
        .outerjoin(SalaryType, SalaryType.id == SupplementType.salary_type_id)
        .outerjoin(type_product, type_product.id == SupplementType.product_id)
        .outerjoin(entry_product, entry_product.id == EntrySupplement.product_id)
        .where(in_range)
        .order_by(TimeEntry.date, EntrySupplement.id)
    ):
        product = own or typed  # materials: the product picked on the entry
        supplements.append(
            _Supplement(
                day=day,
                type_id=stype.id,
                type_name=stype.name,
                billable=stype.billable,
                asks_for_product=stype.asks_for_product,
                quantity=supplement.quantity,
                amount=supplement.amount,
                salary=(
                    (_label(salary.number, salary.name), salary.is_active, salary.show_in_timesheet)
                    if salary is not None
                    else None
                ),
                product=(
                    (
                        _label(product.number, product.name),
                        product.is_active,
                        product.price_excluding_vat,
                    )
                    if product is not None
                    else None
                ),
            )
        )

    employment = None
    employee_tx_id, employee_name = None, person
    if employee_id is not None:
        row = db.session.execute(
            select(Employee, Division.id)
            .outerjoin(Division, Division.id == Employee.division_id)
            .where(Employee.id == employee_id)
        ).first()
        if row is not None:
            employee, division_id = row
            employee_tx_id, employee_name = employee.tripletex_id, employee.name or person
            if employee.employment_start is not None:
                employment = (
                    employee.employment_start,
                    employee.employment_end,
                    division_id is not None,
                )
        else:
            employee_id = None

    billable_projects = {
        e.project.id
        for e in entries
        if e.project and e.project.billable and e.activity and e.activity.is_chargeable
    }
    rates = []
    if billable_projects:
        rates = [
            _Rate(r.project_id, r.activity_id, r.employee_id, r.start_date, r.rate_model, r.rate)
            for r in db.session.scalars(
                select(HourlyRate).where(HourlyRate.project_id.in_(sorted(billable_projects)))
            )
        ]
    return _Loaded(
        person=person,
        employee_local_id=employee_id,
        employee_tx_id=employee_tx_id,
        employee_name=employee_name,
        employment=employment,
        entries=entries,
        supplements=supplements,
        rates=rates,
        company_id=user.company_id,
    )


# ---------------------------------------------------------------- prices


def resolve_rate(
    rates: Iterable[Any],
    *,
    project_id: int,
    activity_id: int | None,
    employee_id: int | None,
    day: date,
    activity_rate: Decimal | None,
) -> Decimal | None:
    """The hourly price Tripletex gives a line, from what TiPro stores; None: it would take the
    employee's own rate (Tripletex: Ansatte › Timekost og timepris), which is not synced.

    As Tripletex resolves it: the project's rate model valid on `day` (the one with the latest
    start date on or before it): a fixed rate, or the best project-specific rate (employee and
    activity > employee > activity > everyone); else the activity's rate; else the employee's.
    `rates`: HourlyRate rows (anything with their project_id, activity_id, employee_id,
    start_date, rate_model and rate); ids are TiPro's.
    """
    valid = [
        r
        for r in rates
        if r.project_id == project_id and (r.start_date is None or r.start_date <= day)
    ]
    if valid:
        newest = max(r.start_date or date.min for r in valid)
        current = [r for r in valid if (r.start_date or date.min) == newest]
        fixed = [r for r in current if r.rate_model == "TYPE_FIXED_HOURLY_RATE"]
        if fixed:
            return Decimal(fixed[0].rate)
        best: tuple[int, Decimal] | None = None
        for r in current:
            if r.employee_id not in (None, employee_id) or r.activity_id not in (None, activity_id):
                continue
            score = (r.employee_id is not None) * 2 + (r.activity_id is not None)
            if best is None or score > best[0]:
                best = (score, Decimal(r.rate))
        if best is not None:
            return best[1]
    if activity_rate:
        return Decimal(activity_rate)
    return None


def _employee_rate(rows: list[tuple[date, Decimal]], day: date) -> Decimal:
    valid = [rate for start, rate in rows if start <= day]
    return valid[-1] if valid else Decimal("0")


# ---------------------------------------------------------------- Tripletex


# Clients that already passed the access check (a bulk approval reuses one client).
_ACCESS_CHECKED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _fresh_settings() -> dict:
    from tipro.sync.services import settings

    config = settings()
    options = dict(config.get("TRIPLETEX_CLIENT_OPTIONS") or {})
    options["max_retries"] = min(int(options.get("max_retries", 4)), FRESH_MAX_RETRIES)
    config["TRIPLETEX_CLIENT_OPTIONS"] = options
    return config


def _ends_session() -> None:
    db.session.commit()


def _read_fresh(
    people: list[_Loaded],
    client: TripletexClient | None,
    want_rates: set[int],
    raise_transient: bool = False,
) -> list[_Fresh]:
    """Ask Tripletex about everybody at once, one _Fresh per person (same order).

    Employees, projects and month statuses are read by id lists (≤100 ids a call), so the
    calls grow with the number of people only by one per 100 per kind. The employee's own
    rates (`want_rates`: indexes of people whose billable hours no stored rate prices) are
    the exception: Tripletex filters /employee/hourlyCostAndRate by ONE employee. Every
    failure becomes a problem on the results, never an exception — except, with
    `raise_transient`, a 429, 5xx or network failure (RateLimited, ServerError), which the
    caller retries later instead of failing everybody.
    """
    from tipro.sync.connection import build_client, check_access

    shared = _Fresh()  # failure and missing access: the same for everybody
    out = [_Fresh() for _ in people]
    own_client = client is None
    if client is None:
        company = db.session.get(Company, people[0].company_id)
        if company is None or not company.tripletex_employee_token_encrypted:
            db.session.commit()
            shared.failure = Problem("tripletex_not_connected", True, {})
            return _share(shared, out)
        try:
            client = build_client(db.session, company, _fresh_settings())
        except TripletexError:
            db.session.commit()
            shared.failure = Problem("tripletex_reconnect", True, {})
            return _share(shared, out)
    db.session.commit()  # no transaction stays open while Tripletex answers
    try:
        if client not in _ACCESS_CHECKED:
            _ACCESS_CHECKED[client] = check_access(client, clock.today())
        shared.missing_access.update(_ACCESS_CHECKED[client])
        _read_employees(client, people, out, shared)
        _read_projects(client, people, out, shared)
        _read_months(client, people, out, shared)
        for index in sorted(want_rates):
            if people[index].employee_tx_id is not None:
                _read_rates(client, people[index], out[index], shared)
    except NeedsReconnect:
        shared.failure = Problem("tripletex_reconnect", True, {})
    except TripletexError as error:
        if raise_transient and isinstance(error, (RateLimited, ServerError)):
            raise
        # What support needs to find it (never the HTTP library's text: it names hosts).
        params = {"status": error.status, "request_id": error.request_id}
        shared.failure = Problem(
            "tripletex_unreachable", True, {k: v for k, v in params.items() if v is not None}
        )
    finally:
        if own_client:
            client.close()
    return _share(shared, out)


def _share(shared: _Fresh, out: list[_Fresh]) -> list[_Fresh]:
    for fresh in out:
        fresh.failure = shared.failure
        fresh.missing_access = shared.missing_access
    return out


def _guarded(fresh: _Fresh, area: str, read) -> Any:
    """Run one read; a 403 notes the missing access instead of failing the whole check."""
    try:
        return read()
    except PermissionDenied:
        fresh.missing_access.add(area)
        return None


def _by_employee(people: list[_Loaded]) -> dict[int, list[int]]:
    """Tripletex employee id → indexes of the people linked to it."""
    out: dict[int, list[int]] = {}
    for index, person in enumerate(people):
        if person.employee_tx_id is not None:
            out.setdefault(person.employee_tx_id, []).append(index)
    return out


def _read_employees(
    client: TripletexClient, people: list[_Loaded], out: list[_Fresh], shared: _Fresh
) -> None:
    wanted = _by_employee(people)
    if not wanted:
        return
    result = _guarded(
        shared,
        "employees",
        lambda: client.list_employees(ids=sorted(wanted), include_contacts=True),
    )
    if result is None:
        return
    found = {e.get("id"): e for e in result}
    for employee_id, indexes in wanted.items():
        raw = found.get(employee_id)
        employments = None
        if raw is not None:
            employments = []
            for employment in raw.get("employments") or []:
                start = _iso(employment.get("startDate"))
                if start is None:
                    continue
                employments.append(
                    (
                        start,
                        _iso(employment.get("endDate")) if employment.get("endDate") else None,
                        bool((employment.get("division") or {}).get("id")),
                    )
                )
        for index in indexes:
            out[index].employee_found = raw is not None
            out[index].employments = list(employments) if employments is not None else None


def _read_projects(
    client: TripletexClient, people: list[_Loaded], out: list[_Fresh], shared: _Fresh
) -> None:
    by_tx = {
        e.project.tripletex_id: e.project.id
        for person in people
        for e in person.entries
        if e.project is not None and e.project.is_active
    }
    if not by_tx:
        return
    result = _guarded(shared, "projects", lambda: client.list_projects(ids=sorted(by_tx)))
    if result is None:
        return
    projects = {local_id: _FreshProject(found=False) for local_id in by_tx.values()}
    for raw in result:
        local_id = by_tx.get(raw.get("id"))
        if local_id is None:
            continue
        project = _FreshProject(
            found=True,
            is_closed=bool(raw.get("isClosed")),
            start=_iso(raw.get("startDate")) if raw.get("startDate") else None,
            end=_iso(raw.get("endDate")) if raw.get("endDate") else None,
            participants_only=bool(raw.get("forParticipantsOnly")),
            general_per_project_only=bool(raw.get("generalProjectActivitiesPerProjectOnly")),
        )
        manager = (raw.get("projectManager") or {}).get("id")
        if manager is not None:
            project.members.add(manager)
        for part in raw.get("participants") or []:
            if (part.get("employee") or {}).get("id") is not None:
                project.members.add(part["employee"]["id"])
        for link in raw.get("projectActivities") or []:
            activity_id = (link.get("activity") or {}).get("id")
            if activity_id is None:
                continue
            project.links.setdefault(activity_id, []).append(
                (
                    _iso(link.get("startDate")) if link.get("startDate") else None,
                    _iso(link.get("endDate")) if link.get("endDate") else None,
                    bool(link.get("isClosed")),
                )
            )
        projects[local_id] = project
    for person, fresh in zip(people, out, strict=True):
        fresh.projects = {
            e.project.id: projects[e.project.id]
            for e in person.entries
            if e.project is not None and e.project.id in projects
        }


def _read_months(
    client: TripletexClient, people: list[_Loaded], out: list[_Fresh], shared: _Fresh
) -> None:
    """The timesheet month status of everybody with hours in a month: per month, ≤100 ids."""
    by_month: dict[str, set[int]] = {}
    wanted = _by_employee(people)
    for employee_id, indexes in wanted.items():
        if any(out[i].employee_found is False for i in indexes):
            continue
        for index in indexes:
            for entry in people[index].entries:
                by_month.setdefault(f"{entry.day.year:04d}-{entry.day.month:02d}", set()).add(
                    employee_id
                )
    for month, employees in sorted(by_month.items()):
        ordered = sorted(employees)
        for start in range(0, len(ordered), MAX_IDS_PER_READ):
            chunk = ordered[start : start + MAX_IDS_PER_READ]
            result = _guarded(
                shared, "timesheet", lambda m=month, c=chunk: client.month_status(c, m)
            )
            if result is None:
                continue
            for status in result:
                employee_id = (status.get("employee") or {}).get("id")
                if employee_id is None and len(chunk) == 1:
                    employee_id = chunk[0]
                if employee_id not in employees or not status.get("approved"):
                    continue
                until = status.get("approvedUntilDate")
                for index in wanted[employee_id]:
                    out[index].locked[month] = _iso(until) if until else None


def _read_rates(client: TripletexClient, loaded: _Loaded, fresh: _Fresh, shared: _Fresh) -> None:
    result = _guarded(
        shared, "employees", lambda: client.list_hourly_cost_and_rates(loaded.employee_tx_id)
    )
    if result is None:
        return
    rows = []
    for row in result:
        start = _iso(row.get("date")) if row.get("date") else date.min
        if start is not None:
            rows.append((start, Decimal(str(row.get("rate") or 0))))
    fresh.employee_rates = sorted(rows)


# ---------------------------------------------------------------- the checks


class _Collector:
    """Problems keyed by code and subject; the dates they concern are counted, first kept."""

    def __init__(self) -> None:
        self._items: dict[tuple, dict[str, Any]] = {}

    def add(self, code: str, blocking: bool, day: date | None = None, **params: Any) -> None:
        key = (code, tuple(sorted(params.items())))
        item = self._items.get(key)
        if item is None:
            item = self._items[key] = {"blocking": blocking, "params": params, "days": set()}
        item["blocking"] = item["blocking"] or blocking
        if day is not None:
            item["days"].add(day)

    def problems(self) -> list[Problem]:
        out = []
        for (code, _key), item in self._items.items():
            params = dict(item["params"])
            if item["days"]:
                params["date"] = min(item["days"]).isoformat()
                params["days"] = len(item["days"])
            out.append(Problem(code, item["blocking"], params))
        # Blocking first; otherwise in the order the checks ran (stable sort).
        return sorted(out, key=lambda p: not p.blocking)


def _payroll_mode(company: Company | None, payroll_mode: str | None) -> str:
    mode = payroll_mode or getattr(company, "payroll_mode", None) or PAYROLL_TIMESHEET
    return _PAYROLL_ALIASES.get(str(mode).lower(), PAYROLL_TIMESHEET)


def check(
    user: User,
    first: date,
    last: date,
    *,
    fresh: bool = True,
    payroll_mode: str | None = None,
    client: TripletexClient | None = None,
) -> list[Problem]:
    """The problems in the way of `user`'s hours dated first..last reaching Tripletex.

    fresh: also read Tripletex (commits the session first; see the module docstring).
    payroll_mode: "timesheet" or "salary" (default: the company's setting, else timesheet).
    client: a Tripletex client to reuse (the caller closes it), e.g. across a bulk approval.
    """
    user_id = user.id
    return check_many([user], first, last, fresh=fresh, payroll_mode=payroll_mode, client=client)[
        user_id
    ]


def check_many(
    users: list[User],
    first: date,
    last: date,
    *,
    fresh: bool = True,
    payroll_mode: str | None = None,
    client: TripletexClient | None = None,
    raise_transient: bool = False,
) -> dict[int, list[Problem]]:
    """`check` for several people of one company at once: {user id: problems}.

    The fresh reads are shared: one read per kind per 100 people (employees, projects, month
    statuses), not one per person — what the transfer's pre-flight uses for a whole batch.
    raise_transient: a read that failed with 429, 5xx or a network error raises (RateLimited,
    ServerError) instead of blocking everybody with «tripletex_unreachable»: a job retries.
    """
    if not users:
        return {}
    user_ids = [u.id for u in users]
    people = [_load(u, first, last) for u in users]
    company = db.session.get(Company, people[0].company_id)
    mode = _payroll_mode(company, payroll_mode)
    billables = [_billable_lines(p) for p in people]
    unresolved = {i for i, lines in enumerate(billables) if any(r is None for _e, r in lines)}
    hours_problem = None
    if mode == PAYROLL_SALARY and any(e.kind == "work" for p in people for e in p.entries):
        hours_problem = hours_salary_type_problem(company)
    txs = (
        _read_fresh(people, client, unresolved, raise_transient)
        if fresh
        else [_Fresh() for _ in people]
    )
    return {
        user_id: _problems(loaded, tx, mode, billable, hours_problem)
        for user_id, loaded, tx, billable in zip(user_ids, people, txs, billables, strict=True)
    }


def _problems(
    loaded: _Loaded,
    tx: _Fresh,
    mode: str,
    billable: list[tuple[_Entry, Decimal | None]],
    hours_problem: Problem | None,
) -> list[Problem]:
    out = _Collector()
    if tx.failure is not None:
        out.add(tx.failure.code, tx.failure.blocking, **tx.failure.params)
    if tx.missing_access:
        out.add("tripletex_access", True, areas=",".join(sorted(tx.missing_access)))
    _check_employee(loaded, tx, mode, out)
    _check_months(loaded, tx, out)
    _check_entries(loaded, tx, mode, out)
    _check_supplements(loaded, mode, out)
    _check_prices(loaded, tx, billable, out)
    if hours_problem is not None and any(e.kind == "work" for e in loaded.entries):
        out.add(hours_problem.code, hours_problem.blocking, **hours_problem.params)
    return out.problems()


def hours_salary_type_problem(company: Company | None) -> Problem | None:
    """Lønnsbilag sends ordinary hours on the company's «Lønnsart for timer»: a problem when
    there is none (not chosen, no default by number) or it is no longer active."""
    from tipro.transfers.settings import hours_salary_type

    salary_type = hours_salary_type(company) if company is not None else None
    if salary_type is None:
        return Problem("hours_salary_type_missing", True, {})
    if not salary_type.is_active:
        label = _label(salary_type.number, salary_type.name)
        return Problem("hours_salary_type_inactive", True, {"salary_type": label})
    return None


def _check_employee(loaded: _Loaded, tx: _Fresh, mode: str, out: _Collector) -> None:
    """Linked, still there, and employed (with a division) on every date with hours."""
    if loaded.employee_local_id is None:
        out.add("employee_not_linked", True, person=loaded.person)
        return
    name = loaded.employee_name
    if tx.employee_found is False:
        out.add("employee_not_found", True, employee=name)
        return
    if tx.employments is not None:
        employments = tx.employments
    elif loaded.employment is not None:
        employments = [loaded.employment]
    else:
        employments = []
    division_blocks = mode == PAYROLL_SALARY
    for day in sorted({e.day for e in loaded.entries}):
        covering = [
            division
            for start, end, division in employments
            if start is not None and start <= day and (end is None or day <= end)
        ]
        if not covering:
            out.add("no_employment", True, day, employee=name)
        elif not any(covering):
            out.add("employment_no_division", division_blocks, day, employee=name)


def _check_months(loaded: _Loaded, tx: _Fresh, out: _Collector) -> None:
    """No hours in a month Tripletex has approved (locked up to and including its date)."""
    for entry in loaded.entries:
        month = f"{entry.day.year:04d}-{entry.day.month:02d}"
        if month not in tx.locked:
            continue
        until = tx.locked[month]
        if until is None or entry.day <= until:
            out.add(
                "month_locked",
                True,
                entry.day,
                month=month,
                until=(until or _month_end(entry.day)).isoformat(),
                employee=loaded.employee_name,
            )


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _project_verdict(
    entry: _Entry, tx: _Fresh, employee_tx_id: int | None
) -> tuple[str, dict] | None:
    """Why the entry's project refuses its hours (code, extra params), or None."""
    project = entry.project
    if project is None:
        return ("project_unknown", {})
    fresh = tx.projects.get(project.id)
    if fresh is not None:
        if not fresh.found:
            return ("project_unknown", {})
        # The model's own rule (Project.is_open_on, the Python twin of the pickers' clause)
        # applied to what Tripletex says now.
        current = Project(
            is_active=True, is_closed=fresh.is_closed, start_date=fresh.start, end_date=fresh.end
        )
        if not current.is_open_on(entry.day):
            return _closed_reason(fresh.is_closed, fresh.start, fresh.end, entry.day)
        if fresh.participants_only and employee_tx_id not in fresh.members:
            return ("project_not_participant", {})
        return None
    if not project.is_active:
        return ("project_unknown", {})
    if not entry.project_open:
        return _closed_reason(project.is_closed, project.start, project.end, entry.day)
    if not entry.may_log:
        return ("project_not_participant", {})
    return None


def _closed_reason(
    is_closed: bool, start: date | None, end: date | None, day: date
) -> tuple[str, dict]:
    if not is_closed and start is not None and day < start:
        return ("project_not_started", {"start": start.isoformat()})
    if not is_closed and end is not None and day > end:
        return ("project_ended", {"end": end.isoformat()})
    return ("project_closed", {})


def _activity_allowed(entry: _Entry, tx: _Fresh) -> bool:
    """Allowed on the entry's project that day (fresh project links when read)."""
    activity = entry.activity
    fresh = tx.projects.get(entry.project.id) if entry.project else None
    if fresh is not None and fresh.found:
        if not activity.is_active:
            return False
        for start, end, closed in fresh.links.get(activity.tripletex_id, []):
            if (
                not closed
                and (start is None or start <= entry.day)
                and (end is None or entry.day <= end)
            ):
                return True
        return (
            activity.is_general
            and activity.is_project_activity
            and not fresh.general_per_project_only
        )
    # The pickers' rule, narrowed as Tripletex narrows it: a general activity that is not a
    # project activity (e.g. «Intern tid») is for hours without a project.
    return entry.allowed_with_project and (activity.is_project_activity or not activity.is_general)


def _check_entries(loaded: _Loaded, tx: _Fresh, mode: str, out: _Collector) -> None:
    employee = loaded.employee_name
    for entry in loaded.entries:
        activity = entry.activity
        if entry.kind == "absence" and entry.absence_type is not None:
            name = entry.absence_type
            if not entry.absence_activity and mode == PAYROLL_TIMESHEET:
                out.add("absence_no_activity", True, entry.day, type=name)
            if entry.absence_salary is None and mode == PAYROLL_SALARY:
                out.add("absence_no_salary_type", True, entry.day, type=name)
            elif entry.absence_salary is not None and not entry.absence_salary[1]:
                out.add(
                    "absence_salary_type_inactive",
                    True,
                    type=name,
                    salary_type=entry.absence_salary[0],
                )
            if not entry.has_activity:
                continue
        if activity is None:
            out.add("activity_missing", True, entry.day)
            continue
        if not entry.has_project:
            if not activity.is_active:
                out.add("activity_inactive", True, entry.day, activity=activity.label)
            elif not entry.allowed_without_project or activity.is_project_activity:
                out.add("activity_needs_project", True, entry.day, activity=activity.label)
            continue
        verdict = _project_verdict(entry, tx, loaded.employee_tx_id)
        label = entry.project.label if entry.project else "?"
        if verdict is not None:
            code, extra = verdict
            params = {"project": label, **extra}
            if code == "project_not_participant":
                params["employee"] = employee
            out.add(code, True, entry.day, **params)
            continue  # whether the activity fits depends on a project that refuses anyway
        if not activity.is_active:
            out.add("activity_inactive", True, entry.day, activity=activity.label)
        elif not _activity_allowed(entry, tx):
            out.add("activity_not_allowed", True, entry.day, activity=activity.label, project=label)


def _check_supplements(loaded: _Loaded, mode: str, out: _Collector) -> None:
    for item in loaded.supplements:
        name = item.type_name
        if item.salary is None:
            out.add("supplement_no_salary_type", True, item.day, type=name)
        else:
            label, active, in_timesheet = item.salary
            if not active:
                out.add("supplement_salary_type_inactive", True, type=name, salary_type=label)
            elif mode == PAYROLL_TIMESHEET and not in_timesheet:
                out.add(
                    "supplement_salary_type_not_in_timesheet", True, type=name, salary_type=label
                )
        if not item.billable:
            continue
        if item.product is None:
            out.add("supplement_no_product", True, item.day, type=name)
            continue
        product, active, price = item.product
        if not active:
            out.add("supplement_product_inactive", True, type=name, product=product)
        elif not item.amount and not price:
            out.add("supplement_no_price", False, item.day, type=name, product=product)


def _billable_lines(loaded: _Loaded) -> list[tuple[_Entry, Decimal | None]]:
    """Billable work and its price from stored data (None: only the employee's rate can tell).

    Billable: work on an active project that has a customer, is not internal and is not fixed
    price (a fixed-price project is invoiced by its price, not by the hour), with a chargeable
    activity — what Tripletex itself marks chargeable, and what becomes order lines.
    """
    out = []
    for entry in loaded.entries:
        project, activity = entry.project, entry.activity
        if entry.kind != "work" or project is None or activity is None:
            continue
        if not project.billable or not activity.is_chargeable:
            continue
        rate = resolve_rate(
            loaded.rates,
            project_id=project.id,
            activity_id=activity.id,
            employee_id=loaded.employee_local_id,
            day=entry.day,
            activity_rate=activity.rate,
        )
        out.append((entry, rate))
    return out


def _check_prices(
    loaded: _Loaded,
    tx: _Fresh,
    billable: list[tuple[_Entry, Decimal | None]],
    out: _Collector,
) -> None:
    for entry, rate in billable:
        if rate is None:
            if tx.employee_rates is None:
                continue  # the employee's rate is not synced: only a fresh read can tell
            rate = _employee_rate(tx.employee_rates, entry.day)
        if rate <= 0:
            out.add(
                "price_missing",
                True,
                entry.day,
                project=entry.project.label,
                activity=entry.activity.label,
                employee=loaded.employee_name,
            )


__all__ = [
    "PAYROLL_SALARY",
    "PAYROLL_TIMESHEET",
    "Problem",
    "TEXTS",
    "check",
    "check_many",
    "hours_salary_type_problem",
    "resolve_rate",
]

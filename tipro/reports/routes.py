"""«Rapporter»: hours grouped and filtered, charts, drill-down to the entries, CSV/XLSX exports.

Open to every logged-in user; what each sees is the approval visibility rule (admins the
company, approvers their people and projects, employees their own hours), applied in every
statement by tipro.reports.queries. Filters are a GET form, so every view is a plain link.
"""

from __future__ import annotations

from flask import Response, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user

from tipro import tenancy
from tipro.models import User
from tipro.reports import bp, charts, exports, filters, queries


def _actor() -> User:
    return current_user._get_current_object()


def _page_context(f: filters.ReportFilter) -> dict:
    return {
        "f": f,
        "groups": filters.GROUPS,
        "presets": filters.PRESETS,
        "states": filters.STATE_LABELS,
        "period_groups": filters.PERIOD_GROUPS,
    }


@bp.get("/rapporter")
def index():
    actor = _actor()
    f = filters.parse(request.args)
    report = queries.report(actor, f)
    by_project = charts.stacked(
        "chart-projects", _("Timer per prosjekt"), queries.stacked(actor, f, "prosjekt")
    )
    choices = queries.choices(actor, f)
    by_person = None
    if len(choices.people) > 1:
        by_person = charts.stacked(
            "chart-people", _("Timer per ansatt"), queries.stacked(actor, f, "ansatt")
        )
    return render_template(
        "reports/index.html",
        report=report,
        chart_list=[c for c in (by_project, by_person) if c is not None],
        choices=choices,
        **_page_context(f),
    )


@bp.get("/rapporter/timer")
def entries():
    """The entries behind the report or one of its rows (`nokkel`), a page at a time."""
    actor = _actor()
    f = filters.parse(request.args)
    hours, count = queries.drill_total(actor, f)
    page = queries.entry_page(actor, f)
    return render_template(
        "reports/entries.html",
        page=page,
        total_hours=hours,
        total_count=count,
        row_label=queries.row_label(f, count),
        **_page_context(f),
    )


def _download(body, names: tuple[str, str], mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = exports.disposition(names)
    return response


@bp.get("/rapporter/eksport.csv", defaults={"fmt": "csv"})
@bp.get("/rapporter/eksport.xlsx", defaults={"fmt": "xlsx"})
def export(fmt: str):
    """The report table as CSV or XLSX, with its totals row."""
    actor = _actor()
    f = filters.parse(request.args)
    report = queries.report(actor, f)
    names = exports.filename(actor.company.name, f.period_key, fmt)
    header = exports.report_header(report)
    if fmt == "csv":
        body = "".join(exports.csv_rows(header, exports.report_rows(report)))
        return _download(body, names, "text/csv")
    data = exports.xlsx(
        _("Rapport"),
        header,
        exports.report_rows(report),
        exports.REPORT_WIDTHS,
        totals=len(exports.report_totals(report)),
    )
    return _download(data, names, exports.XLSX_MIMETYPE)


@bp.get("/rapporter/timer.csv", defaults={"fmt": "csv"})
@bp.get("/rapporter/timer.xlsx", defaults={"fmt": "xlsx"})
def entries_export(fmt: str):
    """Every entry behind the report (or one row), streamed as CSV or built as XLSX."""
    actor = _actor()
    f = filters.parse(request.args)
    queries.check_key(f)  # a bad row key is a 400 now, not an error in mid-stream
    names = exports.filename(actor.company.name, f.period_key, fmt, suffix=_("timer"))
    header = exports.lines_header()
    if fmt == "xlsx":
        _hours, count = queries.drill_total(actor, f)
        if count > exports.XLSX_MAX_LINES:
            # A workbook is built whole before it is sent (~0.3 ms a line): past this it could
            # outlast a request; the CSV streams any number of lines.
            raise filters.BadFilter(
                _(
                    "%(n)d føringer er for mange for Excel (høyst %(max)d). Last ned som CSV, "
                    "eller velg en kortere periode.",
                    n=count,
                    max=exports.XLSX_MAX_LINES,
                ),
                "fmt",
            )
        rows = exports.lines_with_total(queries.each_line(actor, f))
        data = exports.xlsx(_("Timer"), header, rows, exports.LINE_WIDTHS)
        return _download(data, names, exports.XLSX_MIMETYPE)
    company_id, actor_id = actor.company_id, actor.id

    def generate():
        # The view's scope and session end when it returns; the stream enters its own.
        with tenancy.company_scope(company_id):
            streaming_actor = tenancy.get(User, actor_id)
            lines = queries.each_line(streaming_actor, f)
            yield from exports.csv_rows(header, exports.lines_with_total(lines))

    return _download(stream_with_context(generate()), names, "text/csv")

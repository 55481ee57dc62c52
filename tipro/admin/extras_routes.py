"""Admin pages: supplement types, absence types and custom fields."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tipro.admin import bp
from tipro.admin import extras_services as services
from tipro.admin.extras_forms import (
    ABSENCE_CODE_LABELS,
    FIELD_TYPE_LABELS,
    PER_LABELS,
    UNIT_LABELS,
    AbsenceTypeForm,
    CustomFieldForm,
    SupplementTypeForm,
    id_choices,
)
from tipro.errors import UserError
from tipro.models import AbsenceType, CustomField, SupplementType
from tipro.security import role_required
from tipro.tenancy import get_or_404

LABELS = {
    "unit_labels": UNIT_LABELS,
    "per_labels": PER_LABELS,
    "absence_code_labels": ABSENCE_CODE_LABELS,
    "field_type_labels": FIELD_TYPE_LABELS,
}


def _values(form) -> dict:
    return {name: f.data for name, f in form._fields.items() if name != "csrf_token"}


def _save(form, save, row=None):
    """Validate and save; on a rule broken, the message goes next to its field."""
    if not form.validate_on_submit():
        return None
    try:
        return save(current_user, _values(form), row)
    except UserError as error:
        target = getattr(form, error.field or "", None) or next(iter(form))
        target.errors = [*target.errors, error.message]
        return None


def _numbered(row) -> str:
    """'2005 Overtid 50 %' — a synced row's number before its name, for the pickers."""
    return f"{row.number or ''} {row.name}".strip()


def _list_page(template: str, rows):
    """The page of one admin list: all rows, the form, and the row being edited (if any)."""

    def page(form, row=None, status=200):
        return render_template(template, rows=rows(), form=form, editing=row, **LABELS), status

    return page


def _create(form, save, page, list_endpoint: str, created_message):
    """POST of a new row: save it, or re-render the page with the messages (422)."""
    row = _save(form, save)
    if row is None:
        return page(form, status=422)
    flash(created_message(row))
    return redirect(url_for(list_endpoint))


def _edit(row, form, save, page, list_endpoint: str):
    """GET shows the row in the form; POST saves it or re-renders with the messages (422)."""
    if not form.is_submitted():
        return page(form, row)
    if _save(form, save, row) is None:
        return page(form, row, status=422)
    flash(_("Endringene er lagret."))
    return redirect(url_for(list_endpoint))


# Supplement types ---------------------------------------------------------------------------


def _supplement_form(row: SupplementType | None = None) -> SupplementTypeForm:
    form = SupplementTypeForm(obj=row)
    form.salary_type_id.choices = id_choices(services.salary_type_choices(), _numbered)
    form.product_id.choices = id_choices(services.product_choices(), _numbered)
    return form


_supplement_page = _list_page("admin/extras_supplement_types.html", services.supplement_types)


@bp.get("/tillegg")
@role_required("admin")
def supplement_types():
    return _supplement_page(_supplement_form())


@bp.post("/tillegg")
@role_required("admin")
def create_supplement_type():
    return _create(
        _supplement_form(),
        services.save_supplement_type,
        _supplement_page,
        "admin.supplement_types",
        lambda row: _("Tillegget «%(name)s» er opprettet.", name=row.name),
    )


@bp.route("/tillegg/<int:supplement_type_id>", methods=["GET", "POST"])
@role_required("admin")
def supplement_type_detail(supplement_type_id: int):
    row = get_or_404(SupplementType, supplement_type_id)
    return _edit(
        row,
        _supplement_form(row),
        services.save_supplement_type,
        _supplement_page,
        "admin.supplement_types",
    )


@bp.post("/tillegg/standardtyper")
@role_required("admin")
def create_default_types():
    supplements, absence = services.create_default_types(current_user)
    flash(
        _(
            "Opprettet %(s)d tilleggstyper og %(a)d fraværstyper.",
            s=supplements,
            a=absence,
        )
    )
    return redirect(url_for("admin.supplement_types"))


# Absence types ------------------------------------------------------------------------------


def _absence_form(row: AbsenceType | None = None) -> AbsenceTypeForm:
    form = AbsenceTypeForm(obj=row)
    form.activity_id.choices = id_choices(
        services.absence_activity_choices(),
        _numbered,
        empty=_("— Velg aktivitet —"),
    )
    form.salary_type_id.choices = id_choices(services.salary_type_choices(), _numbered)
    return form


_absence_page = _list_page("admin/extras_absence_types.html", services.absence_types)


@bp.get("/fravaerstyper")
@role_required("admin")
def absence_types():
    return _absence_page(_absence_form())


@bp.post("/fravaerstyper")
@role_required("admin")
def create_absence_type():
    return _create(
        _absence_form(),
        services.save_absence_type,
        _absence_page,
        "admin.absence_types",
        lambda row: _("Fraværstypen «%(name)s» er opprettet.", name=row.name),
    )


@bp.route("/fravaerstyper/<int:absence_type_id>", methods=["GET", "POST"])
@role_required("admin")
def absence_type_detail(absence_type_id: int):
    row = get_or_404(AbsenceType, absence_type_id)
    return _edit(
        row, _absence_form(row), services.save_absence_type, _absence_page, "admin.absence_types"
    )


# Custom fields ------------------------------------------------------------------------------


def _custom_field_form(row: CustomField | None = None) -> CustomFieldForm:
    form = CustomFieldForm(obj=row)
    if row is not None and not form.is_submitted():
        form.choices.data = "\n".join(row.choices or [])
    form.project_id.choices = id_choices(
        services.project_choices(),
        lambda p: p.display_name,
        empty=_("Alle føringer"),
    )
    return form


_custom_field_page = _list_page("admin/extras_custom_fields.html", services.custom_fields)


@bp.get("/egne-felt")
@role_required("admin")
def custom_fields():
    return _custom_field_page(_custom_field_form())


@bp.post("/egne-felt")
@role_required("admin")
def create_custom_field():
    return _create(
        _custom_field_form(),
        services.save_custom_field,
        _custom_field_page,
        "admin.custom_fields",
        lambda row: _("Feltet «%(label)s» er opprettet.", label=row.label),
    )


@bp.route("/egne-felt/<int:custom_field_id>", methods=["GET", "POST"])
@role_required("admin")
def custom_field_detail(custom_field_id: int):
    row = get_or_404(CustomField, custom_field_id)
    return _edit(
        row,
        _custom_field_form(row),
        services.save_custom_field,
        _custom_field_page,
        "admin.custom_fields",
    )

"""Forms of the «Overføringer» pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from tipro.auth.forms import ConfirmForm
from tipro.models.transfer import KIND_ORDERS, KIND_PAYROLL

__all__ = ["ConfirmForm", "HoursSalaryTypeForm", "StartForm"]


class StartForm(FlaskForm):
    """«Overfør»: what (payroll basis or orders) and which month; answered by a preview."""

    kind = RadioField(
        _l("Hva skal overføres?"),
        choices=[
            SelectChoice(KIND_PAYROLL, _l("Lønnsgrunnlag")),
            SelectChoice(KIND_ORDERS, _l("Ordre (fakturagrunnlag)")),
        ],
        default=KIND_PAYROLL,
        validate_choice=True,
    )
    # The month is read by services.parse_month (one rule, one message for CLI and page).
    month = StringField(
        _l("Måned"),
        render_kw={"type": "month", "placeholder": "ÅÅÅÅ-MM", "inputmode": "numeric"},
    )


class HoursSalaryTypeForm(FlaskForm):
    """«Lønnsart for timer»: the salary type lønnsbilag puts ordinary hours on."""

    hours_salary_type_id = SelectField(_l("Lønnsart for timer"), choices=[], validate_choice=True)

    @classmethod
    def for_company(cls, company, salary_types, default, formdata=None) -> HoursSalaryTypeForm:
        """The picker with the company's active salary types; "" = the default by number."""
        form = cls(
            formdata=formdata,
            hours_salary_type_id=str(company.hours_salary_type_id or ""),
        )
        standard = (
            _l("Standard: %(type)s", type=_type_label(default))
            if default is not None
            else _l("Ingen valgt")
        )
        form.hours_salary_type_id.choices = [SelectChoice("", standard)] + [
            SelectChoice(str(t.id), _type_label(t)) for t in salary_types
        ]
        return form


def _type_label(salary_type) -> str:
    return f"{salary_type.number} {salary_type.name}" if salary_type.number else salary_type.name

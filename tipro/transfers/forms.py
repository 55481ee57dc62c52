"""Forms of the «Overføringer» pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice

from tipro.auth.forms import ConfirmForm
from tipro.models.transfer import KIND_ORDERS, KIND_PAYROLL

__all__ = ["ConfirmForm", "StartForm"]


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

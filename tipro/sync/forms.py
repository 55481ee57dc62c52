"""Forms of the settings and sync pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice

from tipro.auth.forms import ConfirmForm

__all__ = ["ApprovalSettingsForm", "ConfirmForm", "SyncForm", "TokenForm", "TransferSettingsForm"]


class TokenForm(FlaskForm):
    # A password field: the token is never echoed back into the page.
    employee_token = PasswordField(
        _l("API-nøkkel (ansattnøkkel) fra Tripletex"),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class SyncForm(FlaskForm):
    full = BooleanField(_l("Full synkronisering (også slettede objekter)"))


# ISO weekday → name (the reminder day).
WEEKDAYS = {
    "1": _l("mandag"),
    "2": _l("tirsdag"),
    "3": _l("onsdag"),
    "4": _l("torsdag"),
    "5": _l("fredag"),
    "6": _l("lørdag"),
    "7": _l("søndag"),
}


class ApprovalSettingsForm(FlaskForm):
    """Approval period (week/month) and the weekly reminder e-mail's day and hour."""

    approval_period = RadioField(
        _l("Timer sendes inn per"),
        choices=[SelectChoice("week", _l("uke")), SelectChoice("month", _l("måned"))],
        validate_choice=True,
    )
    reminder_weekday = SelectField(
        _l("Ukentlig påminnelse"),
        choices=[SelectChoice("", _l("Av")), *(SelectChoice(k, v) for k, v in WEEKDAYS.items())],
        validate_choice=True,
    )
    reminder_hour = SelectField(
        _l("Klokkeslett"),
        choices=[SelectChoice(str(h), f"{h:02d}:00") for h in range(24)],
        validate_choice=True,
    )

    @classmethod
    def for_company(cls, company) -> ApprovalSettingsForm:
        return cls(
            approval_period=company.approval_period,
            reminder_weekday=str(company.reminder_weekday or ""),
            reminder_hour=str(company.reminder_hour),
        )


class TransferSettingsForm(FlaskForm):
    """How approved hours go to Tripletex: payroll mode, month approval, order grouping."""

    payroll_mode = RadioField(
        _l("Lønnsgrunnlag sendes som"),
        choices=[
            SelectChoice("timesheet", _l("Timeliste (anbefalt)")),
            SelectChoice("salary", _l("Lønnsbilag")),
        ],
        validate_choice=True,
    )
    transfer_approves_month = BooleanField(
        _l("Godkjenn måneden i Tripletex for dem som er overført")
    )
    order_grouping = RadioField(
        _l("Ordre lages per"),
        choices=[
            SelectChoice("project", _l("prosjekt")),
            SelectChoice("project_employee", _l("prosjekt og ansatt")),
        ],
        validate_choice=True,
    )

    @classmethod
    def for_company(cls, company) -> TransferSettingsForm:
        return cls(
            payroll_mode=company.payroll_mode,
            transfer_approves_month=company.transfer_approves_month,
            order_grouping=company.order_grouping,
        )

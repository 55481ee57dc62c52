"""Forms for supplement types, absence types and custom fields (choices filled per company)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

UNIT_LABELS = {
    "hours": _l("Timer"),
    "km": _l("Kilometer"),
    "pieces": _l("Stk."),
    "nok": _l("Kroner"),
}
PER_LABELS = {"entry": _l("Per føring"), "day": _l("Per dag")}
ABSENCE_CODE_LABELS = {
    "ferie": _l("Ferie"),
    "sykdom": _l("Sykdom (sykemelding)"),
    "egenmelding": _l("Egenmelding"),
    "permisjon": _l("Permisjon"),
    "avspasering": _l("Avspasering"),
    "annet": _l("Annet fravær"),
}
FIELD_TYPE_LABELS = {
    "text": _l("Tekst"),
    "number": _l("Tall"),
    "choice": _l("Valg fra liste"),
    "yesno": _l("Ja/nei"),
}


# Select fields leave the choice check to the services, which answer in Norwegian.


def optional_id(value):
    """'' → None, '12' → 12; anything else stays as given and fails the choice check."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in labels.items()]


def id_choices(rows, label, empty=_l("— Ingen —")) -> list[SelectChoice]:
    """Select choices from rows; the empty choice first."""
    return [SelectChoice("", empty)] + [SelectChoice(row.id, label(row)) for row in rows]


_position = IntegerField(
    _l("Rekkefølge"), default=0, validators=[Optional(), NumberRange(min=0, max=9999)]
)


class SupplementTypeForm(FlaskForm):
    name = StringField(_l("Navn"), validators=[InputRequired(_l("Navn mangler.")), Length(max=100)])
    unit = SelectField(_l("Enhet"), choices=_choices(UNIT_LABELS), validate_choice=False)
    per = SelectField(_l("Gjelder"), choices=_choices(PER_LABELS), validate_choice=False)
    salary_type_id = SelectField(
        _l("Lønnsart (lønn)"), coerce=optional_id, choices=[], validate_choice=False
    )
    product_id = SelectField(
        _l("Produkt (ordre)"), coerce=optional_id, choices=[], validate_choice=False
    )
    billable = BooleanField(_l("Faktureres kunden"))
    asks_for_product = BooleanField(_l("Ansatt velger produkt (materiell)"))
    position = _position
    is_active = BooleanField(_l("Aktiv"), default=True)


class AbsenceTypeForm(FlaskForm):
    name = StringField(_l("Navn"), validators=[InputRequired(_l("Navn mangler.")), Length(max=100)])
    code = SelectField(
        _l("Type fravær"), choices=_choices(ABSENCE_CODE_LABELS), validate_choice=False
    )
    activity_id = SelectField(
        _l("Aktivitet"), coerce=optional_id, choices=[], validate_choice=False
    )
    salary_type_id = SelectField(
        _l("Lønnsart"), coerce=optional_id, choices=[], validate_choice=False
    )
    position = _position
    is_active = BooleanField(_l("Aktiv"), default=True)


class CustomFieldForm(FlaskForm):
    label = StringField(
        _l("Ledetekst"), validators=[InputRequired(_l("Ledetekst mangler.")), Length(max=100)]
    )
    key = StringField(
        _l("Nøkkel (kolonnenavn i import)"),
        validators=[Optional(), Length(max=50)],
        description=_l("Lages fra ledeteksten hvis tom. Kan ikke endres senere."),
    )
    field_type = SelectField(
        _l("Felttype"), choices=_choices(FIELD_TYPE_LABELS), validate_choice=False
    )
    choices = TextAreaField(_l("Valg (ett per linje)"), validators=[Length(max=5000)])
    required = BooleanField(_l("Påkrevd"))
    project_id = SelectField(_l("Gjelder"), coerce=optional_id, choices=[], validate_choice=False)
    include_in_transfer = BooleanField(_l("Legg til i kommentaren til Tripletex"), default=True)
    position = _position
    is_active = BooleanField(_l("Aktiv"), default=True)

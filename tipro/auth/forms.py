from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-post"),
        validators=[DataRequired(_l("Skriv inn e-postadressen din.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Passord"), validators=[DataRequired(_l("Skriv inn passordet ditt.")), Length(max=200)]
    )
    remember = BooleanField(_l("Husk meg på denne enheten"))
    next = StringField()


class LanguageForm(FlaskForm):
    language = SelectField(
        _l("Språk"), choices=[SelectChoice("nb", "Norsk (bokmål)"), SelectChoice("en", "English")]
    )
    next = StringField()


class UserForm(FlaskForm):
    name = StringField(_l("Navn"), validators=[Length(max=200)])
    email = EmailField(
        _l("E-post"),
        validators=[
            DataRequired(_l("Skriv inn en e-postadresse.")),
            Length(max=254),
        ],
    )
    role = SelectField(
        _l("Rolle"),
        choices=[
            SelectChoice("employee", _l("Ansatt")),
            SelectChoice("approver", _l("Godkjenner")),
            SelectChoice("admin", _l("Admin")),
        ],
    )


class ConfirmForm(FlaskForm):
    """A bare POST with CSRF (disconnect, invite, reset a password)."""

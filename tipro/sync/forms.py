"""Forms of the Tripletex settings and sync pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField

from tipro.auth.forms import ConfirmForm

__all__ = ["ConfirmForm", "SyncForm", "TokenForm"]


class TokenForm(FlaskForm):
    # A password field: the token is never echoed back into the page.
    employee_token = PasswordField(
        _l("API-nøkkel (ansattnøkkel) fra Tripletex"),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class SyncForm(FlaskForm):
    full = BooleanField(_l("Full synkronisering (også slettede objekter)"))

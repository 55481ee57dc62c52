from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from tipro.auth import bp, services
from tipro.auth.forms import LanguageForm, LoginForm
from tipro.errors import UserError
from tipro.extensions import db
from tipro.security import public, safe_next_url


@bp.route("/logg-inn", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next_url(request.args.get("next")) or ""
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, request.remote_addr)
        except services.LoginThrottled as error:
            form.form_errors.append(error.message)
            status = 429
        except UserError as error:
            form.form_errors.append(error.message)
            status = 401
        else:
            session.clear()  # a fresh session on log-in (no fixation)
            login_user(user, remember=form.remember.data)
            return redirect(safe_next_url(form.next.data) or url_for("main.index"))
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logg-ut")
def logout():
    """Log out: this session and every other one of the user, remember-me cookies included.

    The session version is per user, so a copied cookie (this device's or another's) stops
    working too; that is what «Logg ut» must guarantee on a shared or lost device.
    """
    _end_all_sessions()
    flash(_("Du er logget ut."))
    return redirect(url_for("auth.login"))


@bp.post("/logg-ut-overalt")
def logout_everywhere():
    """«Logg ut overalt»: end the sessions on every device (a lost phone, a shared PC)."""
    _end_all_sessions()
    flash(_("Du er logget ut på alle enheter."))
    return redirect(url_for("auth.login"))


def _end_all_sessions() -> None:
    services.end_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()


@bp.post("/sprak")
@public
def set_language():
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    session["language"] = form.language.data
    if current_user.is_authenticated:
        services.set_language(current_user, form.language.data)
    return redirect(safe_next_url(form.next.data) or url_for("main.index"))

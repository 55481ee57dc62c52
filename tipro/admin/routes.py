from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tipro.admin import bp, services
from tipro.auth.forms import ConfirmForm, UserForm
from tipro.auth.services import create_user
from tipro.errors import UserError
from tipro.models import User
from tipro.security import parse_id, role_required
from tipro.tenancy import get_or_404


@bp.get("/")
@role_required("admin")
def index():
    return render_template("admin/index.html")


@bp.get("/brukere")
@role_required("admin")
def users():
    return render_template("admin/users.html", users=services.company_users(), form=UserForm())


@bp.post("/brukere")
@role_required("admin")
def create_user_view():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = create_user(
                current_user.company,
                form.email.data,
                form.role.data,
                name=form.name.data,
                actor=current_user,
            )
        except UserError as error:
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            flash(_("Brukeren %(email)s er opprettet.", email=user.email))
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/users.html", users=services.company_users(), form=form), 422


@bp.route("/brukere/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def user_detail(user_id: int):
    user = get_or_404(User, user_id)
    form = UserForm(obj=user)
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = UserForm()
        form.email.data = user.email  # e-mail is the log-in and is not changed here
        if form.validate_on_submit():
            raw_employee = request.form.get("employee_id", "")
            try:
                services.update_user(
                    user,
                    current_user,
                    name=form.name.data or "",
                    role=form.role.data,
                    is_enabled=request.form.get("is_enabled") == "y",
                    # Anything but a valid id is an unknown employee (-1), not an unlink.
                    employee_id=(parse_id(raw_employee) or -1) if raw_employee.strip() else None,
                )
            except UserError as error:
                errors[error.field or "role"] = error.message
            else:
                flash(_("Endringene er lagret."))
                return redirect(url_for("admin.user_detail", user_id=user.id))
        return _user_page(user, form, errors), 422
    return _user_page(user, form, errors)


@bp.post("/brukere/<int:user_id>/passord")
@role_required("admin")
def reset_password(user_id: int):
    user, refused = _confirmed_user(user_id)
    if refused:
        return refused
    # Shown in this answer only: a redirect would carry it in the (readable) session cookie.
    password = services.reset_password(user, current_user)
    return _user_page(user, UserForm(obj=user), {}, new_password=password)


@bp.post("/brukere/<int:user_id>/okter")
@role_required("admin")
def end_sessions(user_id: int):
    user, refused = _confirmed_user(user_id)
    if refused:
        return refused
    services.end_user_sessions(user, current_user)
    flash(_("%(name)s er logget ut på alle enheter.", name=user.display_name))
    # Ending one's own sessions logs oneself out too; the log-in page follows from there.
    return redirect(url_for("admin.user_detail", user_id=user.id))


def _confirmed_user(user_id: int):
    """The user of a bare confirm button on their page, and the 400 answer if the form is stale."""
    user = get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        return user, None
    return user, (_user_page(user, UserForm(obj=user), {}), 400)


def _user_page(user: User, form: UserForm, errors: dict[str, str], new_password: str = ""):
    return render_template(
        "admin/user_detail.html",
        user=user,
        form=form,
        errors=errors,
        employees=services.linkable_employees(),
        new_password=new_password,
        password_form=ConfirmForm(),
    )

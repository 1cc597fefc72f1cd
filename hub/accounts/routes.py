"""Staff sign-in and sign-out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from hub.accounts.models import User
from hub.extensions import db, limiter
from hub.interactions.events import record

bp = Blueprint("accounts", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


def _home_for(user: User) -> str:
    return url_for("supervisor.index") if user.has_role("supervisor") else url_for("console.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(
            select(User).where(func.lower(User.email) == form.email.data.strip().lower())
        )
        if user is not None and user.active and user.check_password(form.password.data):
            record(None, "signed_in", user)
            db.session.commit()
            login_user(user)  # after the commit: a refused sign-in leaves nobody signed in
            target = request.args.get("next", "")
            # Only local paths: never an open redirect.
            if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
                target = _home_for(user)
            return redirect(target)
        flash(_("Wrong e-mail or password."), "error")
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    record(None, "signed_out", current_user._get_current_object())
    db.session.commit()
    logout_user()
    return redirect(url_for("accounts.login"))

"""Supervisors and admins keep the canned answers: list, add, edit, deactivate."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField, TextAreaField

from hub.accounts.models import Department
from hub.canned import service
from hub.canned.models import CannedResponse
from hub.extensions import db
from hub.i18n import current_language
from hub.security import role_required

bp = Blueprint("canned", __name__, url_prefix="/supervisor/canned")

LANGUAGE_NAMES = {"pl": "Polski", "en": "English"}


class AnswerForm(FlaskForm):
    """The fields of an answer; the rules live in hub.canned.service (one place)."""

    department_id = SelectField(_l("Department"), validate_choice=False)
    language = SelectField(_l("Answer language"), validate_choice=False)
    shortcut = StringField(
        _l("Shortcut"),
        description=_l("Letters, digits, hyphens and underscores. In the console, type / and "
                       "the shortcut."),
    )
    title = StringField(_l("Title"))
    body = TextAreaField(
        _l("Text of the answer"),
        description=_l("You can use {resident_name}, {clerk_name}, {department} and "
                       "{office_hours}; they are filled in for each conversation."),
    )


def _departments() -> list[Department]:
    return list(db.session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.id)
    ))


def _languages() -> list[tuple[str, str]]:
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]]


def _answer_form(answer: CannedResponse | None = None) -> AnswerForm:
    form = AnswerForm(obj=answer)
    if answer is not None and request.method == "GET":
        form.department_id.data = str(answer.department_id or "")
    language = current_language()
    form.department_id.choices = [("", _("Every department"))] + [
        (str(d.id), d.name(language)) for d in _departments()
    ]
    form.language.choices = _languages()
    return form


def _save(form: AnswerForm, answer: CannedResponse | None) -> bool:
    """Create or update from the form; refusals are put next to their fields."""
    if not form.validate_on_submit():
        return False
    fields = {name: getattr(form, name).data
              for name in ("department_id", "language", "shortcut", "title", "body")}
    me = current_user._get_current_object()
    try:
        if answer is None:
            service.create(me, **fields)
        else:
            service.update(answer, me, **fields)
    except service.InvalidAnswer as refused:
        db.session.rollback()
        for name, problem in refused.problems.items():
            getattr(form, name).errors = [problem.message]
        return False
    return True


@bp.get("")
@role_required("supervisor")
def index():
    department = request.args.get("department", "")
    language = request.args.get("language", "")
    return render_template(
        "canned/index.html",
        answers=service.answers(department, language),
        departments=_departments(),
        languages=_languages(),
        chosen={"department": department, "language": language},
        language_names=LANGUAGE_NAMES,
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required("supervisor")
def new():
    form = _answer_form()
    if request.method == "GET":
        form.language.data = current_language()
    if _save(form, None):
        flash(_("The canned answer was saved."), "success")
        return redirect(url_for("canned.index"))
    return render_template("canned/form.html", form=form, answer=None), 400 if form.errors else 200


@bp.route("/<int:answer_id>", methods=["GET", "POST"])
@role_required("supervisor")
def edit(answer_id: int):
    answer = service.active_answer(answer_id) or abort(404)
    form = _answer_form(answer)
    if _save(form, answer):
        flash(_("The canned answer was saved."), "success")
        return redirect(url_for("canned.index"))
    return render_template("canned/form.html", form=form, answer=answer), \
        400 if form.errors else 200


@bp.post("/<int:answer_id>/deactivate")
@role_required("supervisor")
def deactivate(answer_id: int):
    """Clerks stop finding the answer; it stays in the record (CSRF checked app-wide)."""
    answer = service.active_answer(answer_id) or abort(404)
    service.deactivate(answer, current_user._get_current_object())
    flash(_("The canned answer was deactivated."), "success")
    return redirect(url_for("canned.index"))

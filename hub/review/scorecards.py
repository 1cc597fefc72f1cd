"""Admins define scorecards; publishing makes a version that is never edited.

Every change to a draft is one small form (no JavaScript needed): the scorecard's name,
a section's title or place, a criterion on its own page. The rules live in
hub.review.authoring; this module reads the forms and shows the pages.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hub.errors import InvalidInput
from hub.extensions import db
from hub.review import authoring, labels
from hub.review.defaults import ensure_default_scorecard
from hub.review.models import Criterion, Scorecard, ScorecardSection, ScorecardVersion
from hub.security import role_required

bp = Blueprint("scorecards", __name__, url_prefix="/admin/scorecards")


def _me():
    return current_user._get_current_object()


def _messages(refused: InvalidInput, names: dict[str, str] | None = None) -> dict[str, str]:
    """Each refusal by the form field it is about ("" when it is about no one field);
    `names` renames fields where a page has several forms with the same field."""
    problems = getattr(refused, "problems", None) or {"": refused}
    return {(names or {}).get(field, field): problem.message
            for field, problem in problems.items()}


def _version_url(version: ScorecardVersion, anchor: str = "") -> str:
    return url_for("scorecards.version", version_id=version.id) + (f"#{anchor}" if anchor else "")


def _index_page(errors: dict | None = None, entered: dict | None = None, status: int = 200):
    return render_template(
        "review/scorecards/index.html", cards=authoring.scorecards(),
        counts=authoring.review_counts(), errors=errors or {}, entered=entered or {},
    ), status


@bp.get("")
@role_required("admin")
def index():
    """Every scorecard with its versions, and a form to create one."""
    if ensure_default_scorecard() is not None:  # the city's scorecard, ready to copy
        db.session.commit()
    return _index_page()


@bp.post("")
@role_required("admin")
def create():
    try:
        version = authoring.create_scorecard(request.form.get("name"),
                                             request.form.get("description"), _me())
    except InvalidInput as refused:
        db.session.rollback()
        return _index_page(_messages(refused), request.form, 400)
    db.session.commit()
    flash(_("The scorecard was created. Add its sections and criteria, then publish it."),
          "success")
    return redirect(_version_url(version))


def _version_page(version: ScorecardVersion, errors: dict | None = None,
                  entered: dict | None = None, status: int = 200):
    return render_template(
        "review/scorecards/version.html", version=version, card=version.scorecard,
        draft=authoring.draft_of(version.scorecard), counts=authoring.review_counts(),
        errors=errors or {}, entered=entered or {},
    ), status


@bp.get("/versions/<int:version_id>")
@role_required("admin")
def version(version_id: int):
    """A draft's editor, or a published or retired version read-only."""
    return _version_page(db.session.get(ScorecardVersion, version_id) or abort(404))


def _change(version: ScorecardVersion, change, done: str, anchor: str = "",
            names: dict[str, str] | None = None):
    """Apply one change to a draft: saved and back to the editor, or the editor again with
    the refusal next to the field (`names`: the field's name in this form)."""
    try:
        change()
    except InvalidInput as refused:
        db.session.rollback()
        return _version_page(version, _messages(refused, names), request.form, 400)
    db.session.commit()
    flash(done, "success")
    return redirect(_version_url(version, anchor))


@bp.post("/<int:card_id>/versions")
@role_required("admin")
def new_version(card_id: int):
    card = db.session.get(Scorecard, card_id) or abort(404)
    version = authoring.new_version(card, _me())
    db.session.commit()
    flash(_("Version %(number)s is a draft: change it, then publish it.",
            number=version.number), "success")
    return redirect(_version_url(version))


@bp.post("/versions/<int:version_id>/card")
@role_required("admin")
def update_card(version_id: int):
    version = db.session.get(ScorecardVersion, version_id) or abort(404)
    return _change(version, lambda: authoring.update_card(
        version, request.form.get("name"), request.form.get("description")),
        _("The name was saved."))


@bp.post("/versions/<int:version_id>/sections")
@role_required("admin")
def add_section(version_id: int):
    version = db.session.get(ScorecardVersion, version_id) or abort(404)
    return _change(version,
                   lambda: authoring.add_section(version, request.form.get("new_section")),
                   _("The section was added."), "new_section", {"title": "new_section"})


@bp.post("/sections/<int:section_id>")
@role_required("admin")
def section(section_id: int):
    """Rename, move up or down, or remove a section of a draft."""
    item = db.session.get(ScorecardSection, section_id) or abort(404)
    version, action = item.version, request.form.get("action", "")
    field = f"section-{item.id}"
    changes = {
        "rename": (lambda: authoring.rename_section(item, request.form.get(field)),
                   _("The section was renamed.")),
        "up": (lambda: authoring.move_section(item, "up"), _("The section was moved up.")),
        "down": (lambda: authoring.move_section(item, "down"),
                 _("The section was moved down.")),
        "remove": (lambda: authoring.remove_section(item), _("The section was removed.")),
    }
    if action not in changes:
        abort(400)
    change, done = changes[action]
    return _change(version, change, done, "" if action == "remove" else f"heading-{item.id}",
                   {"title": field})


def _criterion_page(section_: ScorecardSection, criterion: Criterion | None):
    if section_.version.state != "draft":
        flash(InvalidInput("scorecard_not_draft").message, "error")
        return redirect(_version_url(section_.version))
    if request.method == "GET":
        if criterion is None:
            entered = {"scale_min": "0", "scale_max": "2", "weight": "1", "severity": "normal"}
        else:
            entered = {name: "" if getattr(criterion, name) is None
                       else str(getattr(criterion, name))
                       for name in authoring.CRITERION_FIELDS}
            entered.update(weight=labels.weight(criterion),
                           allows_na="1" if criterion.allows_na else "")
        errors: dict = {}
    else:
        entered = {name: request.form.get(name, "") for name in authoring.CRITERION_FIELDS}
        try:
            saved = authoring.save_criterion(section_, criterion, request.form)
        except InvalidInput as refused:
            db.session.rollback()
            errors = _messages(refused)
        else:
            db.session.commit()
            flash(_("The criterion “%(title)s” was saved.", title=saved.title), "success")
            return redirect(_version_url(section_.version, f"heading-{section_.id}"))
    return render_template("review/scorecards/criterion.html", section=section_,
                           criterion=criterion, entered=entered, errors=errors), \
        400 if errors else 200


@bp.route("/sections/<int:section_id>/criteria/new", methods=["GET", "POST"])
@role_required("admin")
def new_criterion(section_id: int):
    return _criterion_page(db.session.get(ScorecardSection, section_id) or abort(404), None)


@bp.route("/criteria/<int:criterion_id>", methods=["GET", "POST"])
@role_required("admin")
def criterion(criterion_id: int):
    item = db.session.get(Criterion, criterion_id) or abort(404)
    return _criterion_page(item.section, item)


@bp.post("/criteria/<int:criterion_id>/move")
@role_required("admin")
def move_criterion(criterion_id: int):
    item = db.session.get(Criterion, criterion_id) or abort(404)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    return _change(item.section.version, lambda: authoring.move_criterion(item, direction),
                   _("The criterion was moved."), f"heading-{item.section_id}")


@bp.post("/criteria/<int:criterion_id>/remove")
@role_required("admin")
def remove_criterion(criterion_id: int):
    item = db.session.get(Criterion, criterion_id) or abort(404)
    section_id = item.section_id
    return _change(item.section.version, lambda: authoring.remove_criterion(item),
                   _("The criterion was removed."), f"heading-{section_id}")


@bp.post("/versions/<int:version_id>/publish")
@role_required("admin")
def publish(version_id: int):
    version = db.session.get(ScorecardVersion, version_id) or abort(404)
    return _change(version, lambda: authoring.publish(version, _me()),
                   _("Version %(number)s is published; new reviews use it.",
                     number=version.number))


@bp.post("/versions/<int:version_id>/discard")
@role_required("admin")
def discard(version_id: int):
    version = db.session.get(ScorecardVersion, version_id) or abort(404)
    try:
        authoring.discard(version)
    except InvalidInput as refused:
        db.session.rollback()
        return _version_page(version, _messages(refused), request.form, 400)
    db.session.commit()
    flash(_("The draft was discarded."), "success")
    return redirect(url_for("scorecards.index"))

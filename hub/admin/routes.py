"""Admin settings: retention, quality index weights and pass mark, sampling."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from hub import settings
from hub.accounts.models import User
from hub.extensions import db
from hub.security import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")

# What the error summary calls each field (the labels on the page).
LABELS = {
    "retention_days": _l("Keep residents' personal data for (days)"),
    "quality_weights": _l("Weights of the service-quality index"),
    "quality_weights-csat": _l("Online ratings (CSAT), percent"),
    "quality_weights-office": _l("Office visit ratings, percent"),
    "quality_weights-mystery": _l("Mystery-shopper scores, percent"),
    "quality_pass_mark": _l("Pass mark, percent"),
    "review_sample_per_clerk": _l("Random reviews per clerk per week"),
    "complaint_tag": _l("Tag that marks a complaint"),
    "repeat_contact_days": _l("A repeat contact within (days)"),
}
# Admin pages other parts of the hub provide, listed on /admin when they exist.
SECTIONS = (
    ("admin.settings", _l("Settings"),
     _l("Retention of personal data, the service-quality index, review sampling.")),
    ("privacy.index", _l("Residents' data"),
     _l("Find, export or erase one resident's data on request.")),
    ("scorecards.index", _l("Scorecards"),
     _l("The criteria supervisors score interactions on, with their versions.")),
    ("booking_admin.index", _l("Booking catalogue"),
     _l("Services with the documents to bring, offices, desks, hours and closures.")),
    ("canned.index", _l("Canned answers"), _l("Ready answers clerks insert with “/”.")),
)


@bp.get("")
@role_required("admin")
def index():
    sections = [(endpoint, title, text) for endpoint, title, text in SECTIONS
                if endpoint in current_app.view_functions]
    return render_template("admin/index.html", sections=sections)


# Endpoint "admin.settings"; the function has another name so as not to hide the module.
@bp.route("/settings", methods=["GET", "POST"], endpoint="settings")
@role_required("admin")
def settings_page():
    errors: dict[str, str] = {}
    if request.method == "GET":
        values = settings.form_values()
    else:
        values = {name: request.form.get(name, "") for name in settings.FORM_FIELDS}
        try:
            checked = settings.parse(values)
        except settings.InvalidSettings as refused:
            errors = {name: problem.message for name, problem in refused.problems.items()}
        else:
            changed = settings.store(checked, current_user._get_current_object())
            db.session.commit()
            if changed:
                flash(_("The settings were saved: %(count)s changed.", count=len(changed)),
                      "success")
            else:
                flash(_("Nothing was changed."), "success")
            return redirect(url_for("admin.settings"))
    listed = {name: f"{LABELS[name]}: {message}" for name, message in errors.items()}
    changes = settings.last_changes()
    people = {row.updated_by_id for row in changes.values() if row.updated_by_id}
    names = {u.id: u.name for u in db.session.query(User).filter(User.id.in_(people))}
    return render_template(
        "admin/settings.html", values=values, errors=errors, listed=listed,
        changes=changes, names=names, ranges=settings.RANGES, tag_max=settings.TAG_MAX,
        defaults=settings.form_values(settings.DEFAULTS),
    ), 400 if errors else 200


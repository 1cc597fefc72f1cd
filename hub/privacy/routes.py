"""Admins export or erase one resident's data."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from hub.clock import to_local, utcnow
from hub.errors import InvalidInput
from hub.extensions import db
from hub.privacy import residents
from hub.privacy.anonymise import Counts
from hub.security import role_required

bp = Blueprint("privacy", __name__, url_prefix="/admin/privacy")

INTERACTION_PAGE = "supervisor.interaction"  # the transcript and timeline, where it exists
BY_LABELS = {
    "phone": _l("Phone number"),
    "email": _l("E-mail address"),
    "reference": _l("Booking reference"),
    "interaction": _l("Interaction number"),
}


def _page(resident: residents.Resident | None = None, errors: dict[str, str] | None = None,
          erased: Counts | None = None, status: int = 200):
    errors = errors or {}
    by = request.values.get("by", "phone")
    labels = {"q": BY_LABELS.get(by, BY_LABELS["phone"]), "by": _l("Search by"),
              "confirm": _l("Confirm the erasure"), "erase": _l("Erase the data")}
    listed = {field: f"{labels[field]}: {message}" for field, message in errors.items()}
    return render_template(
        "privacy/index.html", resident=resident, errors=errors, listed=listed, erased=erased,
        by=by if by in residents.SEARCH_BY else "phone", query=request.values.get("q", ""),
        by_labels=BY_LABELS, counts=resident.message_counts() if resident else {},
        now=utcnow(), interaction_page=INTERACTION_PAGE
        if INTERACTION_PAGE in current_app.view_functions else None,
    ), status


def _find() -> residents.Resident:
    return residents.find(request.values.get("by", ""), request.values.get("q", ""))


def _me():
    return current_user._get_current_object()


def _field(error: InvalidInput) -> str:
    return "by" if error.code == "privacy_search_by" else "q"


@bp.get("")
@role_required("admin")
def index():
    if not request.args.get("q", "").strip():
        return _page()
    try:
        resident = _find()
    except InvalidInput as refused:
        return _page(errors={_field(refused): refused.message}, status=400)
    residents.log_search(resident, _me())
    return _page(resident)


@bp.post("/export")
@role_required("admin")
def export():
    try:
        resident = _find()
    except InvalidInput as refused:
        return _page(errors={_field(refused): refused.message}, status=400)
    document = residents.export(resident, _me())
    stamp = to_local(utcnow()).strftime("%Y%m%d-%H%M")
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n",
        mimetype="application/json",
        headers={"Content-Disposition":
                 f'attachment; filename="okienko-resident-data-{stamp}.json"',
                 "Cache-Control": "no-store"},
    )


@bp.post("/erase")
@role_required("admin")
def erase():
    try:
        resident = _find()
    except InvalidInput as refused:
        return _page(errors={_field(refused): refused.message}, status=400)
    if request.form.get("confirm") != "yes":
        refused = InvalidInput("privacy_not_confirmed")
        return _page(resident, errors={"confirm": refused.message}, status=400)
    try:
        counts = residents.erase(resident, _me())
    except InvalidInput as refused:
        db.session.rollback()
        return _page(resident, errors={"erase": refused.message}, status=409)
    return _page(resident, erased=counts)  # the records as they are now, anonymised

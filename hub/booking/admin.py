"""Admins keep the booking catalogue: services with their documents, offices with desks,
weekly hours and closures. The rules live in hub.booking.catalogue; this module reads the
forms (rows of documents and desks, no JavaScript needed) and shows the pages."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from hub.booking import catalogue
from hub.booking.models import Office, Service
from hub.booking.slots import to_local
from hub.clock import utcnow
from hub.extensions import db
from hub.security import role_required

bp = Blueprint("booking_admin", __name__, url_prefix="/admin/booking")

EMPTY_ROWS = 3  # blank rows under the existing ones, to add documents or desks
_ROW = re.compile(r"(doc|desk)-(\d+)-(\w+)")
SERVICE_FIELDS = ("code", "name_pl", "name_en", "department", "duration_minutes", "fee_pl",
                  "fee_en", "min_notice_hours", "max_days_ahead")
OFFICE_FIELDS = ("code", "name_pl", "name_en", "address", "hours")
# What the error summary says each refusal is about (the fields' labels on the pages).
LABELS = {
    "code": _l("Code"), "name_pl": _l("Name (Polish)"), "name_en": _l("Name (English)"),
    "department": _l("Department"), "duration_minutes": _l("Visit length (minutes)"),
    "fee_pl": _l("Fee (Polish, optional)"), "fee_en": _l("Fee (English, optional)"),
    "min_notice_hours": _l("Minimum notice (hours)"), "max_days_ahead": _l("Maximum days ahead"),
    "offices": _l("Offices that handle it"), "address": _l("Address"),
    "hours": _l("Weekly opening hours"), "note_pl": _l("Note (Polish, optional)"),
    "note_en": _l("Note (English, optional)"), "position": _l("Order"),
    "name": _l("Desk name"), "staff_only_percent": _l("Kept for staff, in percent"),
    "closure-day": _l("Date"), "closure-reason": _l("Reason (optional)"),
}
ROW_LABELS = {"doc": _l("Document %(number)s"), "desk": _l("Desk %(number)s")}


def _rows(kind: str) -> list[dict]:
    """The submitted rows of one kind ("doc" or "desk"), in form order."""
    rows: dict[int, dict] = {}
    for key, value in request.form.items():
        match = _ROW.fullmatch(key)
        if match and match[1] == kind:
            rows.setdefault(int(match[2]), {})[match[3]] = value
    return [rows[i] for i in sorted(rows)]


def _submitted(fields: tuple[str, ...]) -> dict:
    values = {name: request.form.get(name, "") for name in fields}
    values["active"] = "active" in request.form
    return values


def _messages(refused: catalogue.InvalidCatalogue) -> dict[str, str]:
    return {field: problem.message for field, problem in refused.problems.items()}


def _summary(errors: dict[str, str]) -> dict[str, str]:
    """The errors as the summary at the top lists them: each with the field it is about."""
    listed = {}
    for field, message in errors.items():
        row = _ROW.fullmatch(field)
        label = str(LABELS.get(row[3] if row else field, ""))
        if row:
            label = f"{ROW_LABELS[row[1]] % {'number': int(row[2]) + 1}}, {label}"
        listed[field] = f"{label}: {message}" if label else message
    return listed


@bp.get("")
@role_required("admin")
def index():
    return render_template("booking/admin/index.html", services=catalogue.services(),
                           offices=catalogue.offices())


# -- services -------------------------------------------------------------------------------


def _service_values(service: Service | None) -> tuple[dict, list[dict]]:
    if service is None:
        values = {"duration_minutes": "15", "min_notice_hours": "2", "max_days_ahead": "30",
                  "active": True, "offices": set()}
        return values, []
    values = {name: "" if getattr(service, name) is None else str(getattr(service, name))
              for name in SERVICE_FIELDS if name != "department"}
    values.update(department=str(service.department_id), active=service.active,
                  offices={str(o.id) for o in service.offices})
    documents = [{"id": str(d.id), "name_pl": d.name_pl, "name_en": d.name_en,
                  "required": d.required, "note_pl": d.note_pl or "", "note_en": d.note_en or "",
                  "position": str(d.position + 1)} for d in service.documents]
    return values, documents


def _service_page(service: Service | None):
    if request.method == "GET":
        values, documents = _service_values(service)
        documents += [{} for _ in range(EMPTY_ROWS)]
        errors: dict[str, str] = {}
    else:
        values = _submitted(SERVICE_FIELDS)
        values["offices"] = set(request.form.getlist("offices"))
        documents = _rows("doc")
        try:
            saved = catalogue.save_service(service, values, documents)
        except catalogue.InvalidCatalogue as refused:
            db.session.rollback()
            errors = _messages(refused)
        else:
            flash(_("The service %(code)s was saved.", code=saved.code), "success")
            return redirect(url_for("booking_admin.edit_service", service_id=saved.id))
    return render_template(
        "booking/admin/service.html", service=service, values=values, documents=documents,
        errors=errors, listed=_summary(errors), departments=catalogue.departments(),
        offices=catalogue.offices(),
    ), 400 if errors else 200


@bp.route("/services/new", methods=["GET", "POST"])
@role_required("admin")
def new_service():
    return _service_page(None)


@bp.route("/services/<int:service_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_service(service_id: int):
    return _service_page(db.session.get(Service, service_id) or abort(404))


# -- offices --------------------------------------------------------------------------------


def _office_values(office: Office | None) -> tuple[dict, list[dict]]:
    if office is None:
        return {"active": True, "hours": "mo-fr 8:00-16:00"}, []
    values = {name: getattr(office, name) for name in OFFICE_FIELDS if name != "hours"}
    values.update(hours=catalogue.hours_text(office), active=office.active)
    desks = [{"id": str(d.id), "name": d.name, "staff_only_percent": str(d.staff_only_percent),
              "active": d.active} for d in office.desks]
    return values, desks


def _office_page(office: Office | None, *, closure: dict | None = None,
                 closure_errors: dict[str, str] | None = None):
    errors: dict[str, str] = {}
    if request.method == "POST" and closure is None:
        values = _submitted(OFFICE_FIELDS)
        desks = _rows("desk")
        try:
            saved = catalogue.save_office(office, values, desks)
        except catalogue.InvalidCatalogue as refused:
            db.session.rollback()
            errors = _messages(refused)
        else:
            flash(_("The office %(code)s was saved.", code=saved.code), "success")
            return redirect(url_for("booking_admin.edit_office", office_id=saved.id))
    else:
        values, desks = _office_values(office)
        desks += [{} for _ in range(EMPTY_ROWS)]
    closures = catalogue.upcoming_closures(office, to_local(utcnow()).date()) if office else []
    failed = errors or closure_errors
    return render_template(
        "booking/admin/office.html", office=office, values=values, desks=desks, errors=errors,
        closures=closures, closure=closure or {}, closure_errors=closure_errors or {},
        listed=_summary(failed or {}),
    ), 400 if failed else 200


@bp.route("/offices/new", methods=["GET", "POST"])
@role_required("admin")
def new_office():
    return _office_page(None)


@bp.route("/offices/<int:office_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_office(office_id: int):
    return _office_page(db.session.get(Office, office_id) or abort(404))


@bp.post("/offices/<int:office_id>/closures")
@role_required("admin")
def add_closure(office_id: int):
    office = db.session.get(Office, office_id) or abort(404)
    submitted = {"day": request.form.get("closure-day", ""),
                 "reason": request.form.get("closure-reason", "")}
    try:
        closure = catalogue.add_closure(office, submitted["day"], submitted["reason"])
    except catalogue.InvalidCatalogue as refused:
        db.session.rollback()
        return _office_page(office, closure=submitted,
                            closure_errors={f"closure-{k}": v
                                            for k, v in _messages(refused).items()})
    flash(_("The office is closed on %(day)s.", day=closure.day.isoformat()), "success")
    return redirect(url_for("booking_admin.edit_office", office_id=office.id) + "#closures")


@bp.post("/offices/<int:office_id>/closures/<int:closure_id>/remove")
@role_required("admin")
def remove_closure(office_id: int, closure_id: int):
    office = db.session.get(Office, office_id) or abort(404)
    if not catalogue.remove_closure(office, closure_id):
        abort(404)
    flash(_("The closure was removed."), "success")
    return redirect(url_for("booking_admin.edit_office", office_id=office.id) + "#closures")

"""Residents book an office visit (/visit), with no account.

A matter (grouped by department, searchable) → its documents, fee and visit length → an
office, a day and a time (the first free one preselected) → a name and a phone or e-mail →
the slot is held while the resident types the code we sent → confirmed. The confirmation
link (/visit/manage/<token>, signed) shows the visit, its calendar file and check-in QR
code, and lets the resident cancel or move it. Every step works without JavaScript.
"""

from __future__ import annotations

import math
import secrets
import unicodedata
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from hub.accounts.models import Department
from hub.booking import picker
from hub.booking.handouts import checkin_qr_svg, checkin_text, visit_ics
from hub.booking.models import Booking, Office, Service
from hub.booking.service import (
    cancel,
    confirm,
    contact,
    find_office,
    find_service,
    hold,
    issue_token,
    reschedule,
    resolve_token,
    when_text,
)
from hub.booking.slots import Slot, to_local
from hub.clock import utcnow
from hub.errors import InvalidInput
from hub.extensions import db, limiter
from hub.i18n import current_language
from hub.phones import normalize_phone

bp = Blueprint("booking", __name__, url_prefix="/visit")

# Where each refusal of the domain is shown; the rest go on the time.
FIELD_OF = {
    "unknown_office": "office", "name_required": "name", "name_too_long": "name",
    "contact_required": "phone", "bad_phone": "phone", "too_many_bookings": "phone",
    "bad_email": "email",
}
FIELD_ORDER = ("office", "slot", "name", "phone", "email")
ANCHORS = {"office": "office-0", "slot": "slot-0"}
NO_TIME_CHOSEN = _l("Please choose a time from the list.")
KEY_PREFIX = "web-"
VISIBLE_STATES = ("confirmed", "arrived")


@bp.context_processor
def _picker_helpers() -> dict:
    return {"slot_key": picker.slot_key, "day_label": picker.day_label,
            "time_label": picker.time_label, "local_day": picker.local_day}


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


def manage_link(booking: Booking) -> str:
    """The absolute link to the visit's page, for the confirmation message."""
    base = current_app.config["PUBLIC_URL"] or request.host_url
    return base.rstrip("/") + url_for("booking.manage", token=issue_token(booking),
                                      lang=booking.language)


# -- choosing a matter --------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case without diacritics, so "dowod" finds "Dowód" and "lodz" finds "Łódź"."""
    text = text.casefold().replace("ł", "l")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _matters(query: str) -> list[tuple[Department, list[Service]]]:
    """Active matters grouped by department; with a query, those whose matter or department
    name (in either language) contains every word of it."""
    language = current_language()
    services = db.session.scalars(
        select(Service).join(Department)
        .where(Service.active, Department.active).order_by(Department.id)
    ).all()
    words = _fold(query).split()
    groups: dict[int, tuple[Department, list[Service]]] = {}
    for service in services:
        text = _fold(" ".join((service.name_pl, service.name_en, service.department.name_pl,
                               service.department.name_en)))
        if all(word in text for word in words):
            groups.setdefault(service.department_id, (service.department, []))[1].append(service)
    for _department, matters in groups.values():
        matters.sort(key=lambda s: _fold(s.name(language)))
    return list(groups.values())


@bp.get("")
def index():
    query = request.args.get("q", "").strip()[:100]
    groups = _matters(query)
    return render_template("booking/index.html", query=query, groups=groups,
                           found=sum(len(matters) for _d, matters in groups))


# -- the matter, the picker and holding a slot ---------------------------------------------


def _service_or_404(code: str) -> Service:
    try:
        return find_service(code)
    except InvalidInput:
        abort(404)


def _offices(service: Service) -> list[Office]:
    return [o for o in service.offices if o.active]


def _office(service: Service, code: object) -> Office | None:
    try:
        return find_office(service, code) if code else None
    except InvalidInput:
        return None


def _matter_page(service: Service, office: Office | None, day: date | None, values: dict,
                 errors: dict[str, str], offered: list[Slot] | None = None):
    offices = _offices(service)
    office = office or (offices[0] if offices else None)
    chooser = picker.build(service, office, day) if office else None
    if offered:
        values = {**values, "slot": values.get("slot") or picker.slot_key(offered[0])}
    elif chooser and not values.get("slot") and chooser.chosen.slots:
        values = {**values, "slot": picker.slot_key(chooser.chosen.slots[0])}  # the first free
    values.setdefault("key", secrets.token_urlsafe(16))
    ordered = {field: errors[field] for field in FIELD_ORDER if field in errors}
    return render_template(
        "booking/matter.html", service=service, offices=offices, office=office,
        soonest={o.id: picker.soonest(service, o) for o in offices} if len(offices) > 1 else {},
        picker=chooser, offered=offered or [], values=values, errors=ordered,
        picker_endpoint="booking.matter",
        picker_args={"code": service.code, "office": office.code} if office else {},
        picker_hidden={"office": office.code} if office else {},
    ), 400 if errors else 200


@bp.get("/<code>")
def matter(code: str):
    service = _service_or_404(code)
    office = _office(service, request.args.get("office"))
    return _matter_page(service, office, picker.parse_day(request.args.get("day")), {}, {})


def _check(values: dict) -> dict[str, str]:
    """Every field's problem at once (the domain checks again when it holds)."""
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = InvalidInput("name_required").message
    if not values["phone"] and not values["email"]:
        errors["phone"] = InvalidInput("contact_required").message
    if values["phone"]:
        try:
            normalize_phone(values["phone"])
        except InvalidInput as refusal:
            errors["phone"] = refusal.message
    if values["email"]:
        try:
            contact("", values["email"])
        except InvalidInput as refusal:
            errors["email"] = refusal.message
    if picker.parse_key(values["slot"]) is None:
        errors["slot"] = str(NO_TIME_CHOSEN)
    return errors


@bp.post("/<code>")
@limiter.limit(_public_limit)
def hold_visit(code: str):
    """Hold the chosen time and send the code. The form's random key makes a second submit
    (a double click, a reload) return the hold the first one made."""
    service = _service_or_404(code)
    office = _office(service, request.form.get("office"))
    values = {k: request.form.get(k, "").strip() for k in ("name", "phone", "email", "slot")}
    values["key"] = request.form.get("key", "").strip()[:60]
    errors = _check(values)
    if office is None:
        errors["office"] = InvalidInput("unknown_office").message
    starts_at = picker.parse_key(values["slot"])
    offered = None
    if not errors:
        key = KEY_PREFIX + values["key"] if values["key"] else None
        try:
            booking = hold(service, office, starts_at, name=values["name"], phone=values["phone"],
                           email=values["email"], language=current_language(),
                           idempotency_key=key)
        except InvalidInput as refusal:
            booking = _made_meanwhile(key)  # a double submit raced the first one
            if booking is None:
                errors[FIELD_OF.get(refusal.code, "slot")] = refusal.message
                offered = refusal.params.get("slots") if refusal.code == "slot_taken" else None
    if errors:
        day = picker.local_day(offered[0]) if offered else (
            starts_at and to_local(starts_at).date())
        if offered:
            values["slot"] = ""
        return _matter_page(service, office, day, values, errors, offered)
    return redirect(url_for("booking.code", token=issue_token(booking)), 303)


def _made_meanwhile(key: str | None) -> Booking | None:
    """The booking another request made with this key while this one was refused."""
    if not key:
        return None
    db.session.rollback()
    return db.session.scalar(select(Booking).where(Booking.idempotency_key == key))


# -- the code -----------------------------------------------------------------------------


def _booking(token: str) -> Booking:
    try:
        return resolve_token(token)
    except InvalidInput:
        abort(404)


def _expired(booking: Booking) -> bool:
    return booking.state != "held" or booking.hold_expires_at <= utcnow()


@bp.route("/code/<token>", methods=["GET", "POST"])
@limiter.limit(_public_limit, methods=["POST"])
def code(token: str):
    """"Enter the code we sent", with the time left on the hold."""
    booking = _booking(token)
    if booking.state in VISIBLE_STATES:
        return redirect(url_for("booking.manage", token=token), 303)
    expired, error = _expired(booking), None
    if request.method == "POST" and not expired:
        typed = "".join(request.form.get("code", "").split())
        try:
            confirm(booking, typed, links=manage_link)
        except InvalidInput as refusal:
            error, expired = refusal.message, refusal.code == "hold_expired"
        else:
            return redirect(url_for("booking.manage", token=token), 303)
    seconds = 0 if expired else int((booking.hold_expires_at - utcnow()).total_seconds())
    return render_template(
        "booking/code.html", booking=booking, token=token, when=when_text(booking),
        expired=expired, error=error, seconds_left=max(0, seconds),
        minutes_left=max(1, math.ceil(seconds / 60)),
        hold_until=picker.time_label(booking.hold_expires_at) if booking.hold_expires_at else "",
    ), 400 if error else 200


@bp.post("/code/<token>/again")
@limiter.limit(_public_limit)
def again(token: str):
    """The hold ran out: hold the same time again with the same details (a new code)."""
    old = _booking(token)
    if old.state in VISIBLE_STATES or not _expired(old):
        return redirect(url_for("booking.code", token=token), 303)
    try:
        booking = hold(old.service, old.office, old.starts_at, name=old.name, phone=old.phone,
                       email=old.email, language=current_language(),
                       idempotency_key=f"{KEY_PREFIX}again-{old.id}")
    except InvalidInput as refusal:
        values = {"name": old.name, "phone": old.phone or "", "email": old.email or ""}
        offered = refusal.params.get("slots") if refusal.code == "slot_taken" else None
        return _matter_page(old.service, old.office, to_local(old.starts_at).date(),
                            values, {FIELD_OF.get(refusal.code, "slot"): refusal.message}, offered)
    return redirect(url_for("booking.code", token=issue_token(booking)), 303)


# -- the confirmed visit ------------------------------------------------------------------


@bp.get("/manage/<token>")
def manage(token: str):
    booking = _booking(token)
    if booking.state == "held":
        return redirect(url_for("booking.code", token=token))
    return render_template("booking/manage.html", booking=booking, token=token,
                           when=when_text(booking), checkin=checkin_text(booking),
                           active=booking.state == "confirmed",
                           visible=booking.state in VISIBLE_STATES)


def _visible(token: str) -> Booking:
    booking = _booking(token)
    if booking.state not in VISIBLE_STATES:
        abort(404)
    return booking


@bp.get("/manage/<token>/visit.ics")
def ics(token: str):
    booking = _visible(token)
    body = visit_ics(booking, current_language(), manage_link(booking))
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="okienko-{booking.reference}.ics"'})


@bp.get("/manage/<token>/qr.svg")
def qr(token: str):
    return Response(checkin_qr_svg(_visible(token)), mimetype="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=3600"})


@bp.route("/manage/<token>/cancel", methods=["GET", "POST"])
@limiter.limit(_public_limit, methods=["POST"])
def cancel_visit(token: str):
    """Ask first; a GET never changes anything (messengers fetch links to preview them)."""
    booking = _booking(token)
    if booking.state != "confirmed":
        return redirect(url_for("booking.manage", token=token), 303)
    if request.method == "POST":
        try:
            cancel(booking)
        except InvalidInput as refusal:
            flash(refusal.message, "error")
        return redirect(url_for("booking.manage", token=token), 303)
    return render_template("booking/cancel.html", booking=booking, token=token,
                           when=when_text(booking))


def _change_page(booking: Booking, token: str, day: date | None, values: dict,
                 errors: dict[str, str], offered: list[Slot] | None = None):
    chooser = picker.build(booking.service, booking.office, day, exclude=booking.starts_at)
    offered = [s for s in offered or [] if s.starts_at != booking.starts_at]
    if offered:
        values = {**values, "slot": picker.slot_key(offered[0])}
    elif not values.get("slot") and chooser.chosen.slots:
        values = {**values, "slot": picker.slot_key(chooser.chosen.slots[0])}
    return render_template("booking/change.html", booking=booking, token=token,
                           when=when_text(booking), service=booking.service,
                           office=booking.office, picker=chooser, offered=offered or [],
                           values=values, errors=errors, picker_endpoint="booking.change",
                           picker_args={"token": token}, picker_hidden={}), 400 if errors else 200


@bp.route("/manage/<token>/change", methods=["GET", "POST"])
@limiter.limit(_public_limit, methods=["POST"])
def change(token: str):
    """Move the visit to another free time at the same office (the same picker)."""
    booking = _booking(token)
    if booking.state != "confirmed":
        return redirect(url_for("booking.manage", token=token), 303)
    if request.method == "GET":
        return _change_page(booking, token, picker.parse_day(request.args.get("day")), {}, {})
    starts_at = picker.parse_key(request.form.get("slot"))
    if starts_at is None:
        return _change_page(booking, token, picker.parse_day(request.form.get("day")), {},
                            {"slot": str(NO_TIME_CHOSEN)})
    try:
        reschedule(booking, starts_at, links=manage_link)
    except InvalidInput as refusal:
        offered = refusal.params.get("slots") if refusal.code == "slot_taken" else None
        return _change_page(booking, token, to_local(starts_at).date(), {},
                            {"slot": refusal.message}, offered)
    flash(_("Your visit has been moved to %(when)s.", when=when_text(booking)), "success")
    return redirect(url_for("booking.manage", token=token), 303)

"""/api/v1/: the booking catalogue, free slots and a visit's hold → confirm → cancel.

A JSON API for another server (the city's portal), so there is no CSRF token: every call
that changes something must be sent as JSON (which a cross-site form cannot do) and is
rate-limited per IP like the public forms. A booking is identified by its link token, the
same one the resident's cancel link carries.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select

from hub.api import payloads
from hub.api.errors import ApiError, init_blueprint
from hub.api.openapi import document
from hub.booking import service as booking_service
from hub.booking.models import Booking, Office, OfficeClosure, Service
from hub.booking.routes import manage_link
from hub.booking.slots import bookable_window, cell, cells_for, free_slots, to_local, zone
from hub.clock import utcnow
from hub.errors import InvalidInput
from hub.extensions import csrf, db, limiter
from hub.hours.service import is_holiday
from hub.i18n import current_language

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
init_blueprint(bp)

MAX_DAYS = 31
DEFAULT_DAYS = 7
KEY_PREFIX = "api-"
KEY_MAX = 64


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


# -- reading the request ------------------------------------------------------------------


def _json_body() -> dict:
    """The JSON object sent; a state-changing call must say Content-Type: application/json."""
    if not request.is_json:
        raise ApiError("json_required")
    if not request.get_data():
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError("bad_json")
    return data


def _idempotency_key() -> str | None:
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > KEY_MAX or not (key.isascii() and key.isprintable()):
        raise ApiError("bad_idempotency_key", limit=KEY_MAX)
    return KEY_PREFIX + key


def _moment(value: object) -> datetime:
    """ISO 8601 with a zone (an offset or Z) → naive UTC, as the domain stores times."""
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ApiError("bad_starts_at")
    return parsed.astimezone(UTC).replace(tzinfo=None)


def _first_day() -> date | None:
    raw = request.args.get("from")
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError("bad_date") from None


def _days() -> int:
    raw = request.args.get("days", str(DEFAULT_DAYS))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        raise ApiError("bad_days", limit=MAX_DAYS)
    return int(raw)


def _language(value: object) -> str:
    return value if value in current_app.config["LANGUAGES"] else current_language()


# -- the catalogue ------------------------------------------------------------------------


@bp.get("/services")
def services():
    language = current_language()
    found = db.session.scalars(select(Service).where(Service.active).order_by(Service.id))
    return jsonify({"services": [payloads.service(s, language) for s in found]})


@bp.get("/offices")
def offices():
    language = current_language()
    found = db.session.scalars(select(Office).where(Office.active).order_by(Office.id))
    return jsonify({"offices": [payloads.office(o, language) for o in found]})


@bp.get("/services/<code>/offices/<office>/slots")
def slots(code: str, office: str):
    service = booking_service.find_service(code)
    place = booking_service.find_office(service, office)
    first_day, days = _first_day(), _days()
    booking_service.expire_holds()  # unconfirmed holds give their slots back first
    found = free_slots(service, place, first_day, days)
    return jsonify({"service": service.code, "office": place.code,
                    "time_zone": current_app.config["BABEL_DEFAULT_TIMEZONE"],
                    "slots": [payloads.slot(s) for s in found]})


def _on_grid(service: Service, office: Office, starts_at: datetime) -> bool:
    """Could a visit start at this time at all (open, on the cell grid, bookable window),
    whether it is free or not?"""
    earliest, latest = bookable_window(service, utcnow())
    local = to_local(starts_at)
    day = local.date()
    closed = db.session.scalar(select(OfficeClosure.id).where(
        OfficeClosure.office_id == office.id, OfficeClosure.day == day))
    if not earliest <= starts_at <= latest or closed or is_holiday(day):
        return False
    step = cell()
    ends = local + cells_for(service) * step
    for hours in office.hours:
        opens = datetime.combine(day, hours.opens, zone())
        closes = datetime.combine(day, hours.closes, zone())
        if (hours.weekday == day.weekday() and opens <= local and ends <= closes
                and (local - opens) % step == timedelta(0)):
            return True
    return False


# -- bookings -----------------------------------------------------------------------------


def _same_request(existing: Booking, data: dict) -> bool:
    try:
        starts_at = _moment(data.get("starts_at"))
    except ApiError:
        return False
    return (data.get("service"), data.get("office"), starts_at) == (
        existing.service.code, existing.office.code, existing.starts_at)


def _repeat(existing: Booking, data: dict):
    """The same Idempotency-Key again: the booking it made, unless the request differs."""
    if not _same_request(existing, data):
        raise ApiError("idempotency_key_reused")
    return jsonify(payloads.booking(existing)), 200


def _by_key(key: str | None) -> Booking | None:
    if key is None:
        return None
    return db.session.scalar(select(Booking).where(Booking.idempotency_key == key))


@bp.post("/bookings")
@limiter.limit(_public_limit)
def create_booking():
    data = _json_body()
    key = _idempotency_key()
    existing = _by_key(key)
    if existing is not None:
        return _repeat(existing, data)
    service = booking_service.find_service(data.get("service"))
    office = booking_service.find_office(service, data.get("office"))
    starts_at = _moment(data.get("starts_at"))
    try:
        made = booking_service.hold(
            service, office, starts_at, name=data.get("name"), phone=data.get("phone"),
            email=data.get("email"), language=_language(data.get("language")),
            idempotency_key=key)
    except InvalidInput as refusal:
        if refusal.code != "slot_taken":
            raise
        db.session.rollback()
        existing = _by_key(key)  # the same request, sent twice at once, won the slot
        if existing is not None:
            return _repeat(existing, data)
        if not _on_grid(service, office, starts_at):
            raise ApiError("not_a_slot", slots=refusal.params.get("slots", [])) from None
        raise
    body = payloads.booking(made)
    return jsonify(body), 201, {"Location": f"{bp.url_prefix}/bookings/{body['token']}"}


@bp.get("/bookings/<token>")
def get_booking(token: str):
    found = booking_service.resolve_token(token)
    if found.state == "held" and found.hold_expires_at <= utcnow():
        booking_service.expire_holds()
    return jsonify(payloads.booking(found))


@bp.post("/bookings/<token>/confirm")
@limiter.limit(_public_limit)
def confirm_booking(token: str):
    data = _json_body()
    found = booking_service.resolve_token(token)
    booking_service.confirm(found, data.get("code"), links=manage_link)
    return jsonify(payloads.booking(found))


@bp.post("/bookings/<token>/cancel")
@limiter.limit(_public_limit)
def cancel_booking(token: str):
    _json_body()
    found = booking_service.resolve_token(token)
    if found.state != "cancelled":  # cancelling again is answered as the first time
        booking_service.cancel(found)
    return jsonify(payloads.booking(found))


# -- the description ----------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())

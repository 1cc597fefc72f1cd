"""Errors of the public API, always JSON: {"error": {"code": ..., "message": ...}}.

Refusals from the domain (InvalidInput) get an HTTP status by their code; HTTP errors that
Flask raises under /api/ (404, 405, 429 …) are answered in the same shape, while the
HTML pages keep their own error pages.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from hub.booking.slots import Slot
from hub.errors import InvalidInput

PREFIX = "/api/"

# Refusals the API adds to the domain's (hub.errors.MESSAGES).
MESSAGES = {
    "json_required": _l("Send the request body as JSON (Content-Type: application/json)."),
    "bad_json": _l("The request body must be a JSON object."),
    "bad_starts_at": _l(
        "Give the start time in ISO 8601 with a time zone, e.g. 2027-03-29T09:00:00+02:00."
    ),
    "not_a_slot": _l("Visits cannot start at this time. Please choose one of the free times."),
    "bad_date": _l("Give the date as YYYY-MM-DD."),
    "bad_days": _l("The number of days must be from 1 to %(limit)s."),
    "bad_idempotency_key": _l(
        "The Idempotency-Key header must have 1 to %(limit)s visible characters."
    ),
    "idempotency_key_reused": _l(
        "This Idempotency-Key was already used for a different booking request."
    ),
    "bad_request": _l("The request could not be understood."),
    "not_found": _l("There is nothing at this address."),
    "method_not_allowed": _l("This method is not allowed at this address."),
    "server_error": _l("Something went wrong on our side. Please try again later."),
}

STATUS = {
    "unknown_service": 404, "unknown_office": 404, "bad_booking_link": 404,
    "slot_taken": 409, "too_many_bookings": 409, "hold_expired": 409,
    "booking_not_active": 409, "idempotency_key_reused": 422,
    "json_required": 415, "bad_json": 400, "bad_idempotency_key": 400,
    "rate_limited": 429,
}
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
              429: "rate_limited", 500: "server_error"}


class ApiError(Exception):
    """A refusal of the API itself (bad JSON, a bad header …); nothing was changed."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        text = str(MESSAGES[self.code])
        return text % self.params if self.params else text


def error_response(code: str, message: str, status: int, **extra: object):
    response = jsonify({"error": {"code": code, "message": message}, **extra})
    response.status_code = status
    return response


def _refused(refusal: InvalidInput | ApiError):
    extra = {}
    slots = refusal.params.get("slots")
    if slots is not None:
        from hub.api.payloads import slot

        extra["next_slots"] = [slot(s) for s in slots if isinstance(s, Slot)]
    return error_response(refusal.code, refusal.message, STATUS.get(refusal.code, 422), **extra)


def _http_error(error: HTTPException):
    """JSON for HTTP errors under /api/; any other page keeps Flask's answer."""
    if not request.path.startswith(PREFIX):
        return error
    status = error.code or 500
    code = HTTP_CODES.get(status, "bad_request" if status < 500 else "server_error")
    message = (InvalidInput("rate_limited").message if code == "rate_limited"
               else str(MESSAGES[code]))
    response = error_response(code, message, status)
    allowed = getattr(error, "valid_methods", None)
    if allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


def init_blueprint(bp: Blueprint) -> None:
    bp.register_error_handler(InvalidInput, _refused)
    bp.register_error_handler(ApiError, _refused)
    bp.app_errorhandler(HTTPException)(_http_error)

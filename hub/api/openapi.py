"""The OpenAPI 3.1 description of /api/v1/, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

ISO_UTC = {"type": "string", "format": "date-time", "examples": ["2027-03-29T07:00:00Z"]}
ISO_LOCAL = {"type": "string", "format": "date-time",
             "description": "The same moment in the office's zone (Europe/Warsaw), with its "
                            "offset.", "examples": ["2027-03-29T09:00:00+02:00"]}
NULLABLE_UTC = {**ISO_UTC, "type": ["string", "null"]}
NULLABLE_LOCAL = {**ISO_LOCAL, "type": ["string", "null"]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return {"$ref": f"#/components/responses/{description}"}


def _times(*names: str, nullable: bool = False) -> dict:
    out = {}
    for name in names:
        out[name] = NULLABLE_UTC if nullable else ISO_UTC
        out[f"{name}_local"] = NULLABLE_LOCAL if nullable else ISO_LOCAL
    return out


DOCUMENT = {"type": "object", "required": ["name", "required", "note"], "properties": {
    "name": {"type": "string"},
    "required": {"type": "boolean", "description": "False: bring it if you have it."},
    "note": {"type": ["string", "null"]},
}}

SERVICE = {"type": "object", "properties": {
    "code": {"type": "string", "examples": ["rejestracja-pojazdu"]},
    "name": {"type": "string"},
    "department": {"type": "object", "properties": {"code": {"type": "string"},
                                                    "name": {"type": "string"}}},
    "duration_minutes": {"type": "integer"},
    "fee": {"type": ["string", "null"]},
    "min_notice_hours": {"type": "integer"},
    "max_days_ahead": {"type": "integer"},
    "documents": {"type": "array", "items": _ref("Document"),
                  "description": "In the order the clerk asks for them."},
    "offices": {"type": "array", "items": {"type": "string"}, "description": "Office codes."},
}}

OFFICE = {"type": "object", "properties": {
    "code": {"type": "string", "examples": ["ratusz"]},
    "name": {"type": "string"},
    "address": {"type": "string"},
    "desks": {"type": "integer", "description": "Desks serving visitors."},
    "hours": {"type": "array", "items": {"type": "object", "properties": {
        "weekday": {"enum": ["monday", "tuesday", "wednesday", "thursday", "friday",
                             "saturday", "sunday"]},
        "opens": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
        "closes": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
    }}, "description": "Weekly opening ranges in the office's local time."},
    "time_zone": {"type": "string", "examples": ["Europe/Warsaw"]},
}}

SLOT = {"type": "object", "properties": {
    **_times("starts_at", "ends_at"),
    "places": {"type": "integer", "description": "Desks still free at this time."},
}}

BOOKING = {"type": "object", "properties": {
    "reference": {"type": "string", "examples": ["K7H3RM"]},
    "state": {"enum": ["held", "confirmed", "cancelled", "expired", "arrived", "done",
                       "no_show"]},
    "token": {"type": "string", "description": "Identifies the booking in the other calls "
                                               "(the resident's link carries the same)."},
    "service": {"type": "object", "properties": {"code": {"type": "string"},
                                                 "name": {"type": "string"},
                                                 "fee": {"type": ["string", "null"]}}},
    "office": {"type": "object", "properties": {"code": {"type": "string"},
                                                "name": {"type": "string"},
                                                "address": {"type": "string"}}},
    **_times("starts_at", "ends_at"),
    **_times("hold_expires_at", "confirmed_at", "cancelled_at", nullable=True),
    "name": {"type": "string"},
    "phone": {"type": ["string", "null"], "description": "E.164"},
    "email": {"type": ["string", "null"]},
    "language": {"enum": ["pl", "en"]},
    "documents": {"type": "array", "items": _ref("Document")},
    "manage_url": {"type": "string", "format": "uri",
                   "description": "The resident's page to cancel or change the visit."},
}}

NEW_BOOKING = {"type": "object", "required": ["service", "office", "starts_at", "name"],
               "description": "A phone or an e-mail address (or both) is needed; the code is "
                              "sent by SMS when there is a phone, else by e-mail.",
               "properties": {
                   "service": {"type": "string"},
                   "office": {"type": "string"},
                   "starts_at": {"type": "string", "format": "date-time",
                                 "description": "A slot's start, with Z or an offset."},
                   "name": {"type": "string", "maxLength": 120},
                   "phone": {"type": "string", "examples": ["601 234 567"]},
                   "email": {"type": "string", "format": "email"},
                   "language": {"enum": ["pl", "en"],
                                "description": "Of the messages sent to the resident."},
               }}

ERROR = {"type": "object", "required": ["error"], "properties": {
    "error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string", "examples": ["slot_taken"]},
        "message": {"type": "string", "description": "For the resident, in the request's "
                                                     "language (?lang=)."},
    }},
    "next_slots": {"type": "array", "items": _ref("Slot"),
                   "description": "With slot_taken and not_a_slot: the next free times."},
}}

ERROR_RESPONSES = {
    "BadRequest": "Malformed request (bad JSON, bad Idempotency-Key).",
    "NotFound": "Unknown service, office or booking link (unknown_service, unknown_office, "
                "bad_booking_link).",
    "Conflict": "slot_taken (with next_slots), too_many_bookings, hold_expired, "
                "booking_not_active.",
    "UnsupportedMediaType": "The body must be sent as application/json.",
    "Unprocessable": "Invalid input: name_required, contact_required, bad_phone, bad_email, "
                     "bad_starts_at, not_a_slot, bad_code, bad_date, bad_days, "
                     "idempotency_key_reused …",
    "TooManyRequests": "Rate limit per IP exceeded (rate_limited).",
}

LANG = {"name": "lang", "in": "query", "required": False,
        "description": "Language of names and error messages.",
        "schema": {"enum": ["pl", "en"], "default": "pl"}}
TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"},
         "description": "The booking's token from POST /bookings."}
EMPTY_BODY = {"required": False, "content": {"application/json": {"schema": {"type": "object"}}}}


def _operation(summary: str, ok: dict, errors: tuple[str, ...], **extra: Any) -> dict:
    responses = {**ok, **{str(_STATUS[e]): _error(e) for e in errors}}
    return {"summary": summary, "parameters": [LANG, *extra.pop("parameters", [])],
            "responses": responses, **extra}


_STATUS = {"BadRequest": 400, "NotFound": 404, "Conflict": 409, "UnsupportedMediaType": 415,
           "Unprocessable": 422, "TooManyRequests": 429}
WRITE = ("BadRequest", "NotFound", "Conflict", "UnsupportedMediaType", "Unprocessable",
         "TooManyRequests")


def _paths() -> dict:
    return {
        "/services": {"get": _operation(
            "Matters residents can book, with the documents to bring",
            {"200": _json({"type": "object", "properties": {
                "services": {"type": "array", "items": _ref("Service")}}}, "The services.")},
            (), operationId="listServices")},
        "/offices": {"get": _operation(
            "Offices with their address, desks and weekly hours",
            {"200": _json({"type": "object", "properties": {
                "offices": {"type": "array", "items": _ref("Office")}}}, "The offices.")},
            (), operationId="listOffices")},
        "/services/{code}/offices/{office}/slots": {"get": _operation(
            "Free times to start a visit, soonest first",
            {"200": _json({"type": "object", "properties": {
                "service": {"type": "string"}, "office": {"type": "string"},
                "time_zone": {"type": "string"},
                "slots": {"type": "array", "items": _ref("Slot")}}}, "The free slots.")},
            ("NotFound", "Unprocessable"), operationId="listSlots", parameters=[
                {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "office", "in": "path", "required": True,
                 "schema": {"type": "string"}},
                {"name": "from", "in": "query", "required": False,
                 "description": "First day (office's local date); default: the first "
                                "bookable day.", "schema": {"type": "string", "format": "date"}},
                {"name": "days", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 31, "default": 7}},
            ])},
        "/bookings": {"post": _operation(
            "Hold a slot; a code to confirm it is sent to the resident",
            {"201": _json(_ref("Booking"), "Held; confirm it before hold_expires_at."),
             "200": _json(_ref("Booking"), "The same Idempotency-Key again: the booking it "
                                           "made.")},
            WRITE, operationId="createBooking",
            parameters=[{"name": "Idempotency-Key", "in": "header", "required": False,
                         "description": "Repeat the request with the same key to get the "
                                        "same booking instead of a second one.",
                         "schema": {"type": "string", "minLength": 1, "maxLength": 64}}],
            requestBody={"required": True,
                         "content": {"application/json": {"schema": _ref("NewBooking")}}})},
        "/bookings/{token}": {"get": _operation(
            "A booking", {"200": _json(_ref("Booking"), "The booking.")}, ("NotFound",),
            operationId="getBooking", parameters=[TOKEN])},
        "/bookings/{token}/confirm": {"post": _operation(
            "Confirm a held booking with the code the resident received",
            {"200": _json(_ref("Booking"), "Confirmed; the confirmation is sent with the "
                                           "documents and a link to cancel or change.")},
            WRITE, operationId="confirmBooking", parameters=[TOKEN],
            requestBody={"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["code"],
                "properties": {"code": {"type": "string", "pattern": "^[0-9]{6}$"}}}}}})},
        "/bookings/{token}/cancel": {"post": _cancel()},
        "/openapi.json": {"get": {
            "summary": "This document", "operationId": "openapi",
            "responses": {"200": {"description": "OpenAPI 3.1",
                                  "content": {"application/json": {}}}}}},
    }


def _cancel() -> dict:
    # The body may be empty, but the JSON content type is required all the same: a browser
    # form cannot send it, so a cross-site form post cannot cancel someone's visit (CSRF).
    operation = _operation(
        "Cancel a booking (a repeat answers the same)",
        {"200": _json(_ref("Booking"), "Cancelled.")},
        WRITE, operationId="cancelBooking", parameters=[TOKEN], requestBody=EMPTY_BODY,
        description=(
            "Send `Content-Type: application/json`, with an empty body or `{}`. A request "
            "without it (e.g. an HTML form post) is refused with 415 `json_required` and "
            "cancels nothing: a browser form cannot set this content type, so another site "
            "cannot cancel a resident's visit behind their back."),
    )
    operation["responses"]["415"] = _json(
        _ref("Error"), "Not sent as application/json (json_required), even with no body: "
                       "nothing was cancelled.")
    return operation


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Okienko public API",
            "version": "1.0.0",
            "description": (
                "Book a visit at a city office: services with the documents to bring, "
                "offices, free slots, then hold → confirm (code by SMS or e-mail) → cancel. "
                "Times are ISO 8601: in UTC with Z, and in the office's zone "
                "(Europe/Warsaw) with its offset in the *_local fields. Calls that change "
                "something take a JSON body (Content-Type: application/json) and are "
                "rate-limited per IP. Errors are JSON: {\"error\": {\"code\", \"message\"}}."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": _paths(),
        "components": {
            "schemas": {"Document": DOCUMENT, "Service": SERVICE, "Office": OFFICE,
                        "Slot": SLOT, "Booking": BOOKING, "NewBooking": NEW_BOOKING,
                        "Error": ERROR},
            "responses": {name: _json(_ref("Error"), text)
                          for name, text in ERROR_RESPONSES.items()},
        },
    }

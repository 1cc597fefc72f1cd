"""What the hub answers while its database or Redis is briefly unavailable.

A request or a socket event that meets a locked or unreachable database, or an unreachable
Redis, is rolled back and refused with a clear message (HTTP 503, or the ack
{ok: false, code: "unavailable", error: ...}); nothing half-written stays behind, and the
same request works once the service is back.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError, OperationalError

from hub.extensions import db, socketio
from queueing.connection import OUTAGES as REDIS_OUTAGES

log = logging.getLogger(__name__)

MESSAGE = _l("The service is briefly unavailable. Please try again in a moment.")
RETRY_AFTER_SECONDS = 5


def is_outage(error: BaseException) -> bool:
    """Whether an error means the database or Redis is unavailable (not a bug)."""
    if isinstance(error, OperationalError):
        return True  # locked, refused, gone away: all transient for the caller
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, REDIS_OUTAGES)


def _roll_back(error: BaseException) -> None:
    log.warning("refused while unavailable: %s: %s", type(error).__name__, error)
    if isinstance(error, REDIS_OUTAGES):
        from hub.interactions import routing

        routing.redis_lost()  # what was committed meanwhile may be missing from the index
    try:
        db.session.rollback()
    except Exception:  # the connection may be gone too; the session is discarded anyway
        log.debug("rollback after an outage failed", exc_info=True)


def unavailable_ack() -> dict:
    """A socket event's ack when it could not be done."""
    return {"ok": False, "code": "unavailable", "error": str(MESSAGE)}


def _http_unavailable(error: Exception):
    if not is_outage(error):
        raise error
    _roll_back(error)
    wants_json = request.path.startswith("/api/") or (
        request.accept_mimetypes.best_match(["text/html", "application/json"])
        == "application/json")
    if wants_json:
        response = jsonify({"error": {"code": "unavailable", "message": str(MESSAGE)}})
    else:
        response = make_response(render_template("errors/unavailable.html", message=MESSAGE))
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _socket_unavailable(error: Exception):
    from hub.metrics import count_socket_error  # late: metrics reads the whole domain

    count_socket_error(error)
    if not is_outage(error):
        raise error
    _roll_back(error)
    if request.event["message"] == "connect":
        return False  # refused (never admitted unchecked); the client retries
    return unavailable_ack()


def init_app(app: Flask) -> None:
    for error in (DBAPIError, *REDIS_OUTAGES):
        app.register_error_handler(error, _http_unavailable)
    socketio.on_error_default(_socket_unavailable)

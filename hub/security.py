"""Security headers and role checks for staff pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Flask, abort, current_app, request
from flask_login import current_user, login_required
from werkzeug.routing import IntegerConverter

# Pages a city website may show in a frame: the chat widget and what it links to.
EMBEDDABLE = {"resident.chat", "resident.accessibility"}
# Pages that make video and voice calls (WebRTC) may ask for the camera and microphone.
CALLING = {"resident.chat", "console.index"}


def add_headers(response):
    frame = "'none'"
    if request.endpoint in EMBEDDABLE:
        frame = current_app.config["WIDGET_ALLOWED_ORIGINS"]
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' ws: wss:; frame-ancestors {frame}; form-action 'self'; "
        "base-uri 'self'; object-src 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    media = "(self)" if request.endpoint in CALLING else "()"
    response.headers.setdefault(
        "Permissions-Policy", f"camera={media}, microphone={media}, geolocation=()")
    if request.endpoint not in EMBEDDABLE:
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def role_required(*roles: str) -> Callable:
    """Login required, then one of the roles (a higher role includes the lower ones)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# Ids are INTEGER columns: 32-bit on PostgreSQL. A larger number would fail the query.
MAX_ID = 2**31 - 1


class DatabaseId(IntegerConverter):
    """<int:…> in URLs: a number too large for a database integer is not found (404), instead
    of failing the query with a server error."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseId  # before the blueprints add their rules
    app.after_request(add_headers)

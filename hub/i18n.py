"""Language and time zone: Polish first, English too; the resident's choice sticks."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, request
from flask_babel import format_datetime, get_locale

COOKIE = "lang"


def select_locale() -> str:
    """?lang= (also on a socket's handshake), then the cookie, then Polish."""
    languages = current_app.config["LANGUAGES"]
    for candidate in (request.args.get("lang"), request.cookies.get(COOKIE)):
        if candidate in languages:
            return candidate
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def remember_choice(response):
    """Keep an explicit ?lang= choice in a cookie for a year."""
    chosen = request.args.get("lang")
    if chosen in current_app.config["LANGUAGES"] and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def local_time(moment: datetime | None, fmt: str = "short") -> str:
    """A stored UTC time shown in the office's zone and the user's language."""
    return "" if moment is None else format_datetime(moment, fmt)


def current_language() -> str:
    return str(get_locale())


def init_app(app: Flask) -> None:
    app.after_request(remember_choice)
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals["current_language"] = current_language

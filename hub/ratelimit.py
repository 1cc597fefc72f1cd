"""Rate limits for Socket.IO events, on the same Redis storage as Flask-Limiter's."""

from __future__ import annotations

from flask import current_app
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from hub.errors import InvalidInput


def _limiter() -> MovingWindowRateLimiter:
    limiter = current_app.extensions.get("okienko.event_limiter")
    if limiter is None:
        storage = storage_from_string(current_app.config["RATELIMIT_STORAGE_URI"])
        limiter = current_app.extensions["okienko.event_limiter"] = MovingWindowRateLimiter(storage)
    return limiter


def check(scope: str, key: str, rule_setting: str) -> None:
    """InvalidInput('rate_limited') once `key` has used up the configured rule for `scope`."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    rule = parse(current_app.config[rule_setting])
    if not _limiter().hit(rule, "okienko-events", scope, key):
        raise InvalidInput("rate_limited")

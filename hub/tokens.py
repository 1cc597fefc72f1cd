"""Signed tokens that let a resident, and only them, back into their own conversation."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from hub.errors import InvalidInput
from hub.interactions import lookup
from hub.interactions.models import Interaction


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="resident-chat")


def issue(interaction: Interaction) -> str:
    return _serializer().dumps({"i": interaction.id, "k": interaction.resident_key})


def resolve(token: object) -> Interaction:
    """The interaction a token opens; InvalidInput('bad_token') if forged, expired or revoked."""
    if not isinstance(token, str) or not token:
        raise InvalidInput("bad_token")
    try:
        data = _serializer().loads(token, max_age=current_app.config["RESIDENT_TOKEN_MAX_AGE"])
    except BadSignature:
        raise InvalidInput("bad_token") from None
    interaction = lookup.interaction(data.get("i"))
    if interaction is None or interaction.resident_key != data.get("k"):
        raise InvalidInput("bad_token")
    return interaction

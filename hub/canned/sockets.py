"""The staff socket's `canned` event: the answers a clerk may insert while typing a reply."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user

from hub.canned import service
from hub.console.sockets import NAMESPACE, _int, staff_event
from hub.errors import InvalidInput
from hub.extensions import db, socketio
from hub.interactions.models import Interaction


@staff_event
def on_canned(data: dict) -> dict:
    """{interaction_id, query} → {answers: [{id, shortcut, title, body}]}, bodies rendered."""
    interaction = db.session.get(Interaction, _int(data.get("interaction_id")))
    if interaction is None:
        raise InvalidInput("offer_gone")
    clerk = current_user._get_current_object()
    return {"answers": service.search(clerk, interaction, data.get("query"))}


def init_app(app: Flask) -> None:
    socketio.on_event("canned", on_canned, namespace=NAMESPACE)

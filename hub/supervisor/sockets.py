"""The wallboard on the staff namespace (/staff): a snapshot on request, then pushed updates.

A supervisor's wallboard asks with the "wallboard" event and joins the room "wallboard";
from then on it receives a "wallboard" event with a fresh snapshot at most every
WALLBOARD_PUSH_SECONDS, after routing changes and from the periodic loop (so waits tick up).
Only wallboards join the room: consoles, supervisors' included, are not sent the stream.
"""

from __future__ import annotations

from flask import Flask
from flask_login import current_user
from flask_socketio import join_room

from hub import signals
from hub.console.sockets import NAMESPACE, staff_event
from hub.errors import InvalidInput
from hub.extensions import socketio
from hub.supervisor import wallboard

ROOM = "wallboard"
# Domain changes that can move a wallboard figure.
CHANGES = (signals.interaction_changed, signals.offer_made, signals.offer_withdrawn,
           signals.queue_positions, signals.presence_changed)


@staff_event
def on_wallboard(data: dict) -> dict:
    """The figures now; the asking supervisor's socket then receives each pushed update."""
    if not current_user.has_role("supervisor"):
        raise InvalidInput("supervisors_only")
    join_room(ROOM)
    return wallboard.snapshot()


def _on_change(sender: object, **details: object) -> None:
    """A figure may have moved: push if due (never raises into the change's sender)."""
    wallboard.push_if_due()


def _on_wallboard_updated(sender: object, snapshot: dict) -> None:
    socketio.emit("wallboard", snapshot, to=ROOM, namespace=NAMESPACE)


def init_app(app: Flask) -> None:
    socketio.on_event("wallboard", on_wallboard, namespace=NAMESPACE)
    for signal in CHANGES:
        signal.connect(_on_change, weak=False)
    signals.wallboard_updated.connect(_on_wallboard_updated, weak=False)

"""The staff Socket.IO namespace (/staff): offers, conversations and presence, live.

Staff are identified by their login session; each clerk's sockets share a room, so every
open console tab sees the same state. Refusals come back through the event's ack.
"""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic
from typing import Any

from flask import Flask, g, request, session
from flask_login import current_user
from flask_socketio import join_room
from sqlalchemy import inspect, select
from sqlalchemy.orm import make_transient_to_detached

from hub import payloads, signals
from hub.accounts.models import User
from hub.callbacks import service as callbacks
from hub.errors import InvalidInput
from hub.extensions import db, socketio
from hub.fanout import sending_socket
from hub.interactions import lookup, routing, service
from hub.interactions.access import check_handler
from hub.interactions.models import Interaction, Message
from hub.interactions.transfer import transfer, transfer_targets
from hub.moderation.service import end_as_abusive
from hub.queue import router
from hub.security import MAX_ID

NAMESPACE = "/staff"
# How stale a socket's idea of its clerk may get: a deactivated or demoted clerk loses the
# console at most this long after the change (see _signed_in_clerk).
CLERK_RECHECK_SECONDS = 30.0
_CLERK_KEY = "okienko.staff_clerk"  # in the socket's environ: (snapshot, loaded at)
# What the snapshot keeps: who the clerk is and whether they may use the console. The rest
# (presence, capacity, phone, departments) changes while they work and is read when used.
_SNAPSHOT_FIELDS = ("id", "email", "name", "display_name", "role", "active")


def clerk_room(clerk_id: int) -> str:
    return f"clerk:{clerk_id}"


def _me() -> User:
    return current_user._get_current_object()


def _interaction(data: dict, must_hold: bool = True) -> Interaction:
    interaction = lookup.interaction(_int(data.get("interaction_id")))
    if interaction is None:
        raise InvalidInput("offer_gone")
    if must_hold:
        check_handler(interaction, _me())
    return interaction


def _int(value: Any) -> int:
    """A positive database id from a client's value, else 0 (a huge number would not fit in
    the database's integer and fail the query)."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return 0
    return number if 0 < number <= MAX_ID else 0


def _snapshot(user: User) -> User:
    """A detached copy of the clerk's identity that any event's session can take in."""
    copy = User(**{field: getattr(user, field) for field in _SNAPSHOT_FIELDS})
    make_transient_to_detached(copy)  # the other columns are left expired: read on use
    return copy


def _signed_in_clerk() -> User | None:
    """The socket's clerk for this event, or None when they may not use the console.

    Flask-Login would read the user from the database on every event (a quarter of a
    message's reads, docs/performance.md "Chat"); the socket keeps a snapshot instead and
    re-reads it at most every CLERK_RECHECK_SECONDS, so deactivation or a lost role takes
    effect within that time. The snapshot is merged into the event's session without a
    query and becomes current_user."""
    environ = request.environ
    cached = environ.get(_CLERK_KEY)
    # The socket's own login session is checked every time (no read): once it no longer
    # names this clerk, the snapshot is dropped.
    if (cached is not None and monotonic() - cached[1] < CLERK_RECHECK_SECONDS
            and session.get("_user_id") == cached[0].get_id()):
        snapshot = cached[0]
        # One the session holds already (an outer app context, as in tests) is fresher.
        held = db.session.identity_map.get(inspect(snapshot).key)
        g._login_user = held if held is not None else db.session.merge(snapshot, load=False)
        return g._login_user
    environ.pop(_CLERK_KEY, None)
    user = current_user._get_current_object()
    if not (user.is_authenticated and user.has_role("clerk")):
        return None
    environ[_CLERK_KEY] = (_snapshot(user), monotonic())
    return user


def staff_event(handler: Callable[[dict], dict]) -> Callable[..., dict]:
    def wrapped(data: Any = None) -> dict:
        if _signed_in_clerk() is None:
            return {"ok": False, "error": "unauthorized"}
        try:
            return {"ok": True, **handler(data if isinstance(data, dict) else {})}
        except InvalidInput as refusal:
            return {"ok": False, "code": refusal.code, "error": refusal.message}

    wrapped.__name__ = handler.__name__
    return wrapped


def on_connect(auth: Any = None) -> bool:
    """Only signed-in staff connect; a clerk's console registers them with the router."""
    me = _signed_in_clerk()
    if me is None:
        return False
    join_room(clerk_room(me.id))
    if me.has_role("supervisor"):
        join_room("supervisors")
    # Only a working console makes its clerk present; a wallboard tab does not.
    if isinstance(auth, dict) and auth.get("console"):
        routing.clerk_seen(me)
    return True


def snapshot(me: User) -> dict:
    """The console's whole state: presence, open offers and the clerk's conversations."""
    offers = [db.session.get(Interaction, i) for i in router().clerk_offers(me.id)]
    mine = db.session.scalars(
        select(Interaction)
        .where(Interaction.clerk_id == me.id, Interaction.state == "assigned")
        .order_by(Interaction.assigned_at)
    ).all()
    return {
        "presence": me.presence,
        "capacity": me.capacity,
        "offers": [_offer_payload(i) for i in offers if i is not None and i.state == "offered"],
        "conversations": [payloads.interaction(i) for i in mine],
    }


@staff_event
def on_hello(data: dict) -> dict:
    routing.clerk_seen(_me())  # the console says hello on every (re)connect
    return snapshot(_me())


@staff_event
def on_heartbeat(data: dict) -> dict:
    router().clerk_seen(_me().id)
    return {}


@staff_event
def on_presence(data: dict) -> dict:
    routing.set_presence(_me(), str(data.get("status")))
    return snapshot(_me())


@staff_event
def on_accept(data: dict) -> dict:
    interaction = routing.accept(_int(data.get("interaction_id")), _me())
    return {"interaction": payloads.interaction(interaction)}


@staff_event
def on_decline(data: dict) -> dict:
    interaction_id = _int(data.get("interaction_id"))
    if router().offer_of(interaction_id) != _me().id:
        raise InvalidInput("offer_gone")
    routing.withdraw_offer(interaction_id, "declined")
    return {}


@staff_event
def on_claim(data: dict) -> dict:
    interaction = routing.claim(_int(data.get("interaction_id")), _me())
    return {"interaction": payloads.interaction(interaction)}


@staff_event
def on_waiting(data: dict) -> dict:
    """The waiting list of the clerk's departments, for picking (pull)."""
    me = _me()
    if not routing.pull_allowed(me):
        raise InvalidInput("pull_not_allowed")
    waiting = []
    for code in me.department_codes:
        for interaction_id in router().waiting(code)[:50]:
            interaction = db.session.get(Interaction, interaction_id)
            if interaction is not None and interaction.state == "queued":
                waiting.append(payloads.interaction(interaction))
    waiting.sort(key=lambda i: i["queued_at"] or "")
    return {"waiting": waiting}


@staff_event
def on_open(data: dict) -> dict:
    interaction = _interaction(data)
    messages = db.session.scalars(
        select(Message).where(Message.interaction_id == interaction.id).order_by(Message.id)
    )
    return {
        "interaction": payloads.interaction(interaction),
        "messages": [payloads.message(m, staff=True) for m in messages],
    }


@staff_event
def on_reply(data: dict) -> dict:
    interaction = _interaction(data)
    client_id = data.get("client_id") if isinstance(data.get("client_id"), str) else None
    message = service.send(interaction, _me(), data.get("body"), client_id)
    return {"message": payloads.message(message, staff=True)}


@staff_event
def on_resend(data: dict) -> dict:
    message = service.resend(_interaction(data), _me(), data.get("message_id"))
    return {"message": payloads.message(message, staff=True)}


@staff_event
def on_note(data: dict) -> dict:
    message = service.add_note(_interaction(data), _me(), data.get("body"))
    return {"message": payloads.message(message, staff=True)}


@staff_event
def on_transfer_targets(data: dict) -> dict:
    return transfer_targets(_me())


@staff_event
def on_transfer(data: dict) -> dict:
    interaction = transfer(_interaction(data), _me(), str(data.get("department") or ""),
                           data.get("clerk_id") or None, data.get("note"))
    return {"interaction": payloads.interaction(interaction)}


@staff_event
def on_abusive(data: dict) -> dict:
    block = end_as_abusive(_interaction(data), _me(), data.get("reason"))
    return {"blocked": block is not None}


@staff_event
def on_typing(data: dict) -> dict:
    interaction = _interaction(data)
    if interaction.state == "assigned" and interaction.clerk_id == _me().id:
        socketio.emit("typing", {"typing": bool(data.get("typing"))},
                      to=f"interaction:{interaction.id}", namespace="/chat")
    return {}


@staff_event
def on_call(data: dict) -> dict:
    """Call now: ring the clerk's phone (given, or the one on record) and then the resident."""
    interaction = _interaction(data)
    callbacks.place_call(interaction, _me(), data.get("phone"))
    return {"interaction": payloads.interaction(interaction)}


@staff_event
def on_close(data: dict) -> dict:
    interaction = service.close(_interaction(data), _me(), str(data.get("disposition")),
                                tags=data.get("tags"))
    return {"interaction": payloads.interaction(interaction)}


def _offer_payload(interaction: Interaction) -> dict:
    return {
        **payloads.interaction(interaction),
        "expires_in": router().offer_ttl_ms // 1000,
    }


def _on_offer_made(interaction: Interaction, clerk_id: int) -> None:
    socketio.emit("offer", _offer_payload(interaction), to=clerk_room(clerk_id),
                  namespace=NAMESPACE)


def _on_offer_withdrawn(interaction_id: int, clerk_id: int, reason: str) -> None:
    socketio.emit("offer_withdrawn", {"interaction_id": interaction_id, "reason": reason},
                  to=clerk_room(clerk_id), namespace=NAMESPACE)


def _on_message_added(interaction: Interaction, message: Message) -> None:
    # A clerk's own reply or note reaches their other tabs; the tab that sent it has it in
    # its ack already (one frame fewer).
    if interaction.clerk_id:
        socketio.emit("message", payloads.message(message, staff=True),
                      to=clerk_room(interaction.clerk_id), namespace=NAMESPACE,
                      skip_sid=sending_socket(NAMESPACE))


def _on_interaction_changed(interaction: Interaction) -> None:
    data = payloads.interaction(interaction)
    if interaction.clerk_id:
        socketio.emit("interaction", data, to=clerk_room(interaction.clerk_id),
                      namespace=NAMESPACE)
    socketio.emit("interaction", data, to="supervisors", namespace=NAMESPACE)


def _on_presence_changed(clerk: User) -> None:
    socketio.emit("presence", {"clerk_id": clerk.id, "presence": clerk.presence},
                  to=clerk_room(clerk.id), namespace=NAMESPACE)


def _on_supervisor_alert(interaction: Interaction, kind: str, **details: str) -> None:
    socketio.emit("alert", {"kind": kind, "interaction_id": interaction.id, **details},
                  to="supervisors", namespace=NAMESPACE)


def init_app(app: Flask) -> None:
    socketio.on_event("connect", on_connect, namespace=NAMESPACE)
    handlers = {
        "hello": on_hello, "heartbeat": on_heartbeat, "presence": on_presence,
        "accept": on_accept, "decline": on_decline, "claim": on_claim, "waiting": on_waiting,
        "open": on_open, "reply": on_reply, "note": on_note, "typing": on_typing,
        "close": on_close, "transfer_targets": on_transfer_targets, "transfer": on_transfer,
        "abusive": on_abusive, "call": on_call, "resend": on_resend,
    }
    for event, handler in handlers.items():
        socketio.on_event(event, handler, namespace=NAMESPACE)
    signals.offer_made.connect(_on_offer_made, weak=False)
    signals.offer_withdrawn.connect(_on_offer_withdrawn, weak=False)
    signals.message_added.connect(_on_message_added, weak=False)
    signals.interaction_changed.connect(_on_interaction_changed, weak=False)
    signals.presence_changed.connect(_on_presence_changed, weak=False)
    signals.supervisor_alert.connect(_on_supervisor_alert, weak=False)

"""Web chat: the residents' Socket.IO namespace (/chat) and delivery to their browsers.

A resident has no account: a signed token, kept by their browser, is sent with every event.
On (re)connect the browser says which message it saw last and gets everything after it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, current_app, request
from flask_socketio import join_room
from sqlalchemy import select

from hub import overload, payloads, ratelimit, signals, tokens
from hub.accounts.models import Department
from hub.errors import InvalidInput
from hub.extensions import db, socketio
from hub.fanout import sending_socket
from hub.hours import service as hours
from hub.i18n import current_language
from hub.interactions import calls, routing, service
from hub.interactions.delivery import register_sender
from hub.interactions.models import Interaction, Message
from hub.metrics import counters
from hub.review import mystery
from hub.security import MAX_ID

NAMESPACE = "/chat"


def room(interaction_id: int) -> str:
    return f"interaction:{interaction_id}"


def offers_callback(closed: bool, wait_seconds: int | None) -> bool:
    """Whether a waiting resident is offered a call back instead: the department is closed,
    no clerk is on duty (no estimate), or the wait is longer than CALLBACK_OFFER_WAIT_SECONDS."""
    return closed or wait_seconds is None or (
        wait_seconds > current_app.config["CALLBACK_OFFER_WAIT_SECONDS"])


def status(interaction: Interaction) -> dict:
    """Everything the widget shows about where the conversation stands."""
    position, wait = routing.position_of(interaction)
    waiting = interaction.state in ("queued", "offered")
    closed = waiting and not hours.is_open(interaction.department)
    return {
        "closed": closed,
        "callback_offered": waiting and offers_callback(closed, wait),
        "next_opening": hours.describe_next_opening(interaction.department,
                                                    interaction.language) if closed else None,
        "interaction_id": interaction.id,
        "state": interaction.state,
        "position": position,
        "wait_seconds": wait,
        "clerk": interaction.clerk.display_name if interaction.clerk else None,
        "department": interaction.department.name(interaction.language),
        "department_code": interaction.department.code,
        "resident_left": interaction.resident_left_at is not None,
        "rated": interaction.csat is not None,
    }


def acknowledged(handler: Callable[..., dict]) -> Callable[..., dict]:
    """Answer every event through its ack: {ok: true, ...} or {ok: false, error: text}."""

    @wraps(handler)
    def wrapped(data: Any = None) -> dict:
        try:
            return {"ok": True, **handler(data if isinstance(data, dict) else {})}
        except InvalidInput as refusal:
            return {"ok": False, "code": refusal.code, "error": refusal.message}

    return wrapped


def _opened(interaction: Interaction, after: int = 0) -> dict:
    join_room(room(interaction.id))
    return {
        "token": tokens.issue(interaction),
        "status": status(interaction),
        "messages": [payloads.message(m) for m in service.visible_messages(interaction, after)],
    }


def _text(value: object, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


@acknowledged
def on_start(data: dict) -> dict:
    ratelimit.check("chat-start", request.remote_addr or "-", "RATELIMIT_PUBLIC")
    if data.get("consent") is not True:
        raise InvalidInput("consent_required")
    if overload.too_busy_for_new_chats():
        counters.count_chat_refused("busy")
        raise InvalidInput("busy")
    # A supervisor's mystery-shopper link: checked first, flagged only in the record.
    shopper = mystery.chat_pending(data.get("mystery")) if data.get("mystery") else None
    interaction = service.open_interaction(
        channel="webchat",
        department_code=str(data.get("department") or ""),
        language=current_language(),
        resident_name=data.get("name") if isinstance(data.get("name"), str) else None,
        device=_text(data.get("device"), 64),
    )
    if shopper is not None:
        mystery.link(interaction, shopper)
    if data.get("video") is True:
        calls.request_video(interaction)
    return _opened(interaction)


@acknowledged
def on_resume(data: dict) -> dict:
    interaction = tokens.resolve(data.get("token"))
    after = data.get("after")  # the last message id seen; not a bool, fits the database
    after = after if type(after) is int and 0 <= after <= MAX_ID else 0
    return _opened(interaction, after)


@acknowledged
def on_message(data: dict) -> dict:
    interaction = tokens.resolve(data.get("token"))
    ratelimit.check_in_process("chat-message", f"{interaction.id}", "RATELIMIT_CHAT_MESSAGES")
    client_id = data.get("client_id") if isinstance(data.get("client_id"), str) else None
    message = service.receive(interaction, data.get("body"), (client_id or "")[:80] or None)
    return {"message": payloads.message(message)}


@acknowledged
def on_typing(data: dict) -> dict:
    interaction = tokens.resolve(data.get("token"))
    if interaction.state == "assigned" and interaction.clerk_id:
        socketio.emit(
            "typing",
            {"interaction_id": interaction.id, "typing": bool(data.get("typing"))},
            to=f"clerk:{interaction.clerk_id}",
            namespace="/staff",
        )
    return {}


@acknowledged
def on_leave(data: dict) -> dict:
    interaction = service.resident_leaves(tokens.resolve(data.get("token")))
    return {"status": status(interaction)}


@acknowledged
def on_rate(data: dict) -> dict:
    interaction = service.rate(tokens.resolve(data.get("token")), data.get("stars"),
                               data.get("comment"))
    return {"status": status(interaction)}


def deliver(interaction: Interaction, message: Message, skip_sid: str | None = None) -> None:
    """The web chat's sender: push a committed message to the resident's open pages."""
    socketio.emit("message", payloads.message(message), to=room(interaction.id),
                  namespace=NAMESPACE, skip_sid=skip_sid)


def _on_message_added(interaction: Interaction, message: Message) -> None:
    # The resident's own words reach their other open tabs; replies come through deliver().
    # The tab that sent them has the message in its ack already: one frame fewer.
    if message.kind == "in" and interaction.channel == "webchat":
        deliver(interaction, message, skip_sid=sending_socket(NAMESPACE))


def _on_interaction_changed(interaction: Interaction) -> None:
    if interaction.channel == "webchat":
        socketio.emit("status", status(interaction), to=room(interaction.id), namespace=NAMESPACE)


def _on_queue_positions(department: str, entries: list[tuple[int, int, int | None]]) -> None:
    if not entries:
        return
    found = db.session.scalar(select(Department).where(Department.code == department))
    closed = found is not None and not hours.is_open(found)
    for interaction_id, position, wait in entries:
        socketio.emit(
            "queue",
            {"interaction_id": interaction_id, "position": position, "wait_seconds": wait,
             "callback_offered": offers_callback(closed, wait)},
            to=room(interaction_id),
            namespace=NAMESPACE,
        )


def init_app(app: Flask) -> None:
    register_sender("webchat", deliver)
    for event, handler in {
        "start": on_start,
        "resume": on_resume,
        "message": on_message,
        "typing": on_typing,
        "leave": on_leave,
        "rate": on_rate,
    }.items():
        socketio.on_event(event, handler, namespace=NAMESPACE)
    signals.message_added.connect(_on_message_added, weak=False)
    signals.interaction_changed.connect(_on_interaction_changed, weak=False)
    signals.queue_positions.connect(_on_queue_positions, weak=False)

"""WebRTC signalling for calls in a web chat, over the existing Socket.IO connections.

The clerk's console (/staff) and the resident's chat (/chat) exchange the call's offer,
answer and ICE candidates through the hub, which relays them only between the resident of
the interaction and the clerk holding it, and only while the call is on. The media go
browser to browser (or through the city's TURN server); the hub never sees them.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from channels.webchat import NAMESPACE as CHAT
from channels.webchat import acknowledged, room
from hub import signals, tokens
from hub.console.sockets import NAMESPACE as STAFF
from hub.console.sockets import _interaction, _me, clerk_room, staff_event
from hub.errors import InvalidInput
from hub.extensions import socketio
from hub.interactions import calls
from hub.interactions.models import Interaction

SIGNALS = ("rtc_offer", "rtc_answer", "rtc_ice")
MAX_SIGNAL_CHARS = 20_000  # an SDP is a few kB; anything far larger is not a call


def _signal(data: dict) -> dict:
    """The part of a signalling message that is relayed: an SDP or an ICE candidate."""
    out: dict[str, Any] = {}
    if isinstance(data.get("sdp"), dict):
        sdp = data["sdp"]
        if sdp.get("type") in ("offer", "answer") and isinstance(sdp.get("sdp"), str):
            out["sdp"] = {"type": sdp["type"], "sdp": sdp["sdp"]}
    if isinstance(data.get("candidate"), dict):
        c = data["candidate"]
        out["candidate"] = {k: c.get(k) for k in ("candidate", "sdpMid", "sdpMLineIndex")
                            if isinstance(c.get(k), (str, int))}
    if not out or len(repr(out)) > MAX_SIGNAL_CHARS:
        raise InvalidInput("no_call")
    return out


def _to_resident(interaction_id: int, event: str, data: dict) -> None:
    socketio.emit(event, {"interaction_id": interaction_id, **data}, to=room(interaction_id),
                  namespace=CHAT)


def _to_clerk(clerk_id: int, event: str, data: dict) -> None:
    socketio.emit(event, data, to=clerk_room(clerk_id), namespace=STAFF)


def _ice_servers() -> list:
    return current_app.config["RTC_ICE_SERVERS"]


def _ended(interaction: Interaction, call: calls.Call | None, by: str, reason: str) -> None:
    if call is None:
        return
    data = {"interaction_id": interaction.id, "kind": call.kind, "ended_by": by,
            "reason": reason}
    _to_resident(interaction.id, "rtc_ended", data)
    _to_clerk(call.clerk_id, "rtc_ended", data)


# -- the clerk's side (/staff) ---------------------------------------------------------------

@staff_event
def on_staff_invite(data: dict) -> dict:
    interaction = _interaction(data)
    call = calls.invite(interaction, _me(), str(data.get("kind") or ""))
    _to_resident(interaction.id, "rtc_invite", {"kind": call.kind, "ice_servers": _ice_servers()})
    return {"call": call.payload(), "ice_servers": _ice_servers()}


@staff_event
def on_staff_hangup(data: dict) -> dict:
    interaction = _interaction(data)
    reason = "failed" if data.get("reason") == "failed" else "hung_up"
    _ended(interaction, calls.end(interaction, _me(), reason), "clerk", reason)
    return {}


def _staff_relay(event: str):
    @staff_event
    def relay(data: dict) -> dict:
        interaction = _interaction(data, must_hold=False)
        calls.in_call(interaction, clerk=_me())
        _to_resident(interaction.id, event, _signal(data))
        return {}

    relay.__name__ = f"on_staff_{event}"
    return relay


# -- the resident's side (/chat) -------------------------------------------------------------

@acknowledged
def on_chat_accept(data: dict) -> dict:
    interaction = tokens.resolve(data.get("token"))
    call = calls.accept(interaction)
    _to_clerk(call.clerk_id, "rtc_accepted", {**call.payload(), "ice_servers": _ice_servers()})
    _to_resident(interaction.id, "rtc_state", call.payload())
    return {"call": call.payload(), "ice_servers": _ice_servers()}


@acknowledged
def on_chat_decline(data: dict) -> dict:
    interaction = tokens.resolve(data.get("token"))
    reason = "failed" if data.get("reason") == "failed" else "declined"
    call = calls.decline(interaction, reason)
    _ended(interaction, call, "resident", reason)
    return {}


@acknowledged
def on_chat_hangup(data: dict) -> dict:
    interaction = tokens.resolve(data.get("token"))
    reason = "failed" if data.get("reason") == "failed" else "hung_up"
    _ended(interaction, calls.end(interaction, "resident", reason), "resident", reason)
    return {}


def _chat_relay(event: str):
    @acknowledged
    def relay(data: dict) -> dict:
        interaction = tokens.resolve(data.get("token"))
        call = calls.in_call(interaction)
        _to_clerk(call.clerk_id, event, {"interaction_id": interaction.id, **_signal(data)})
        return {}

    relay.__name__ = f"on_chat_{event}"
    return relay


def _on_interaction_changed(interaction: Interaction) -> None:
    # A chat that ends, is transferred or loses its resident takes its call with it.
    if interaction.channel != "webchat":
        return
    call = calls.current(interaction)
    if call is None:
        return
    if (interaction.state != "assigned" or interaction.clerk_id != call.clerk_id
            or interaction.resident_left_at is not None):
        _ended(interaction, calls.end(interaction, "system", "conversation_ended"), "system",
               "conversation_ended")


def init_app(app: Flask) -> None:
    for event, handler in {"rtc_invite": on_staff_invite, "rtc_hangup": on_staff_hangup,
                           **{e: _staff_relay(e) for e in SIGNALS}}.items():
        socketio.on_event(event, handler, namespace=STAFF)
    for event, handler in {"rtc_accept": on_chat_accept, "rtc_decline": on_chat_decline,
                           "rtc_hangup": on_chat_hangup,
                           **{e: _chat_relay(e) for e in SIGNALS}}.items():
        socketio.on_event(event, handler, namespace=CHAT)
    signals.interaction_changed.connect(_on_interaction_changed, weak=False)

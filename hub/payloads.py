"""How interactions and messages travel to browsers (JSON-ready dicts)."""

from __future__ import annotations

from hub.callbacks import service as callbacks
from hub.clock import iso
from hub.interactions.delivery import can_reply
from hub.interactions.models import Interaction, Message


def message(m: Message, staff: bool = False) -> dict:
    data = {
        "id": m.id,
        "interaction_id": m.interaction_id,
        "kind": m.kind,
        "body": m.body,
        "at": iso(m.created_at),
        "author": m.author.display_name if m.author else None,
        "client_id": m.client_id,
        "delivery": m.delivery,
    }
    if staff and m.author:
        data["author_full"] = m.author.name
    return data


def interaction(i: Interaction) -> dict:
    """What a console shows of an interaction (never the resident's secret key)."""
    last_in = next((m for m in reversed(i.messages) if m.kind == "in"), None)
    return {
        "id": i.id,
        "channel": i.channel,
        "department": i.department.code,
        "department_name": i.department.name(i.language),
        "state": i.state,
        "language": i.language,
        "resident_name": i.resident_name,
        "resident_handle": i.resident_handle,
        "clerk_id": i.clerk_id,
        "created_at": iso(i.created_at),
        "queued_at": iso(i.queued_at),
        "resident_left": i.resident_left_at is not None,
        "can_reply": can_reply(i.channel),
        "preview": (last_in.body[:140] if last_in else ""),
        "csat": i.csat,
        "video_requested": "video" in (i.tags or []),
        "callback": callbacks.payload(i) if i.channel == "callback" else None,
    }

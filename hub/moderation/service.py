"""Dealing with abusive contacts: end the conversation, block the resident for a while,
alert the supervisors; every step in the log."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from hub import signals
from hub.accounts.models import User
from hub.clock import utcnow
from hub.errors import InvalidInput
from hub.extensions import db
from hub.interactions.access import check_handler
from hub.interactions.models import Interaction, Message
from hub.interactions.notices import announce, system_message
from hub.moderation.models import Block
from hub.queue import router

REASON_MAX = 500


def fingerprint(value: str) -> str:
    """A keyed hash of a browser id or phone number: matchable, but not readable."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def active_block(device_hash: str | None) -> Block | None:
    if not device_hash:
        return None
    return db.session.scalar(
        select(Block).where(
            Block.value_hash == device_hash,
            Block.expires_at > utcnow(),
            Block.lifted_at.is_(None),
        )
    )


def refuse_if_blocked(device_hash: str | None) -> None:
    if active_block(device_hash) is not None:
        raise InvalidInput("blocked")


def end_as_abusive(interaction: Interaction, clerk: User, reason: object) -> Block | None:
    """Close the conversation as abusive, block the resident and alert the supervisors."""
    check_handler(interaction, clerk, assigned=True)
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > REASON_MAX:
        raise InvalidInput("reason_required", limit=REASON_MAX)

    now = utcnow()
    holder = interaction.clerk_id
    interaction.state = "closed"
    interaction.closed_at = now
    interaction.disposition = "abusive"
    interaction.tags = sorted(set(interaction.tags or []) | {"abusive"})
    block = None
    hours = current_app.config["ABUSE_BLOCK_HOURS"]
    if interaction.resident_device and hours > 0:
        block = Block(kind="phone" if interaction.channel in ("sms", "callback") else "device",
                      value_hash=interaction.resident_device, reason=text,
                      interaction_id=interaction.id, created_by_id=clerk.id,
                      expires_at=now + timedelta(hours=hours))
        db.session.add(block)
    with force_locale(interaction.language):
        line = _("The clerk has ended this conversation because of its content.")
    # The reason is the clerk's free text and may quote the resident: it is kept as an
    # internal note (erased with the rest after retention), never in the append-only log.
    note = Message(interaction=interaction, kind="note", author_id=clerk.id, body=text)
    db.session.add(note)
    db.session.flush()
    message = system_message(interaction, line, "ended_as_abusive", clerk, reason_note_id=note.id,
                             blocked_hours=hours if block else 0)
    db.session.commit()
    router().release(interaction.id, holder)
    announce(interaction, message)
    signals.supervisor_alert.send(interaction, kind="abusive", clerk=clerk.name, reason=text)
    from hub.interactions import routing

    routing.dispatch_for_clerk(holder)
    return block

"""System lines in a conversation ("Anna joined", "you are being transferred") and telling
everyone about a committed change. Routing and the services both use these."""

from __future__ import annotations

from hub import signals
from hub.accounts.models import User
from hub.extensions import db
from hub.interactions.delivery import deliver
from hub.interactions.events import record
from hub.interactions.models import Interaction, Message


def system_message(interaction: Interaction, text: str, event: str, actor: User | str,
                   **data: object) -> Message:
    """A line both sides see, with its timeline event (in the session, not yet committed)."""
    message = Message(interaction=interaction, kind="system", body=text)
    db.session.add(message)
    db.session.flush()
    record(interaction, event, actor, message_id=message.id, **data)
    return message


def announce(interaction: Interaction, message: Message | None = None) -> None:
    """After a commit: tell the resident and the consoles."""
    if message is not None:
        deliver(interaction, message)
        signals.message_added.send(interaction, message=message)
    signals.interaction_changed.send(interaction)

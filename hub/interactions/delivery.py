"""How a message reaches the resident: each channel registers a sender at start-up."""

from __future__ import annotations

from collections.abc import Callable

from hub.interactions.models import Interaction, Message

Sender = Callable[[Interaction, Message], None]
_senders: dict[str, Sender] = {}


def register_sender(channel: str, sender: Sender) -> None:
    _senders[channel] = sender


def can_reply(channel: str) -> bool:
    return channel in _senders


def deliver(interaction: Interaction, message: Message) -> None:
    """Hand a committed message to its channel; a channel without a sender keeps it stored."""
    sender = _senders.get(interaction.channel)
    if sender is not None:
        sender(interaction, message)

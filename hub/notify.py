"""Messages to people outside a conversation (booking codes, confirmations, reminders).

The domain says what to send and to whom; the channels register how: "sms" (Twilio or the
outbox) and "email" (SMTP or the outbox). Each sender queues a retried job.
"""

from __future__ import annotations

from collections.abc import Callable

Notifier = Callable[[str, str, str], None]  # (to, subject, body)
_notifiers: dict[str, Notifier] = {}


def register_notifier(kind: str, notifier: Notifier) -> None:
    _notifiers[kind] = notifier


def notify(kind: str, to: str, subject: str, body: str) -> bool:
    """Hand a message to the channel of this kind; False when none is registered."""
    notifier = _notifiers.get(kind)
    if notifier is None:
        return False
    notifier(to, subject, body)
    return True

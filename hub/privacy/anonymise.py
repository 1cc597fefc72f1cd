"""Removing residents' personal data from records while keeping what the statistics need.

One set of functions serves both the retention purge (everything past the retention period)
and erasure on request (one resident's records). Each works on a list of ids (a batch) in
the caller's transaction and is idempotent: running it again changes nothing.

What goes: names, phone numbers, e-mail addresses, the keyed hash of the browser or phone,
message texts (replaced by ERASED), rating comments, texts sent to the resident. What stays:
channel, department, clerk, states, times, disposition, tags, CSAT and visit ratings (stars),
message kinds, authors, times and delivery, call outcomes and durations, the booking's
service, office, desk and times, and the whole timeline (events hold no personal data).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import case, delete, select, update

from channels.models import OutboxEntry, TextSending
from hub.booking.models import Booking
from hub.callbacks.models import CallAttempt, CallbackRequest
from hub.extensions import db
from hub.interactions.models import Interaction, Message
from hub.moderation.models import Block
from hub.privacy.storage import zero_freed_space

# What an erased text reads (message bodies, names, the reason given for a block).
ERASED = "[usunięto]"
BATCH = 1000  # rows per transaction, so a large purge never holds the database for long
NO_SYNC = {"synchronize_session": False}


@dataclass
class Counts:
    """How many rows of each kind were anonymised."""

    interactions: int = 0
    messages: int = 0
    callbacks: int = 0
    call_attempts: int = 0
    bookings: int = 0
    outbox: int = 0
    blocks: int = 0
    texts: int = 0  # texts that were still to go out through Twilio, dropped

    def add(self, other: Counts) -> Counts:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))
        return self

    @property
    def records(self) -> int:
        """Records that belonged to a resident: interactions, bookings, texts sent to the
        outbox and texts that were still to go out."""
        return self.interactions + self.bookings + self.outbox + self.texts

    def as_dict(self) -> dict[str, int]:
        return {field.name: getattr(self, field.name) for field in fields(self)}


def batches(ids: Iterable[int], size: int = BATCH) -> Iterable[list[int]]:
    chunk: list[int] = []
    for item in ids:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _run(statement) -> int:
    return db.session.execute(statement, execution_options=NO_SYNC).rowcount or 0


def interactions(ids: Sequence[int], now: datetime) -> Counts:
    """Anonymise these interactions and what hangs from them: messages, the callback
    request and its call attempts, and the reason given for blocking the resident."""
    counts = Counts()
    if not ids:
        return counts
    zero_freed_space()
    counts.interactions = _run(
        update(Interaction)
        .where(Interaction.id.in_(ids), Interaction.anonymised_at.is_(None))
        .values(resident_name=None, resident_handle=None, resident_device=None,
                csat_comment=None, anonymised_at=now,
                # A new secret revokes the resident's links (transcript, cancel).
                resident_key=secrets.token_urlsafe(24))
    )
    # Through UPDATE statements, so the full-text index's triggers follow the new text.
    counts.messages = _run(
        update(Message).where(Message.interaction_id.in_(ids), Message.body != ERASED)
        .values(body=ERASED)
    )
    counts.callbacks = _run(
        update(CallbackRequest).where(CallbackRequest.interaction_id.in_(ids),
                                      CallbackRequest.phone != "")
        .values(phone="")
    )
    attempts = db.session.scalars(select(CallAttempt).where(
        CallAttempt.interaction_id.in_(ids),
        (CallAttempt.resident_phone != "") | (CallAttempt.clerk_phone != ""),
    )).all()
    for attempt in attempts:
        attempt.resident_phone = attempt.clerk_phone = ""
        # Twilio's messages may quote the number ("The 'To' number +48… is not valid"):
        # keep only the code before the colon.
        if attempt.error:
            attempt.error = attempt.error.partition(":")[0]
    counts.call_attempts = len(attempts)
    counts.blocks = _run(
        update(Block).where(Block.interaction_id.in_(ids), Block.reason != ERASED)
        .values(reason=ERASED)
    )
    return counts


def bookings(ids: Sequence[int], now: datetime) -> int:
    """Anonymise these bookings: the resident's name, phone, e-mail and rating comment go;
    service, office, desk, times, state and the rating's stars stay."""
    if not ids:
        return 0
    zero_freed_space()
    values = {"name": ERASED, "phone": None, "email": None, "contact_key": "",
              "confirm_code_hash": None, "idempotency_key": None, "anonymised_at": now,
              "token_key": secrets.token_urlsafe(24)}  # revokes the manage links
    if hasattr(Booking, "rating_comment"):  # office visit ratings, where they are kept
        values["rating_comment"] = None
    return _run(update(Booking).where(Booking.id.in_(ids), Booking.anonymised_at.is_(None))
                .values(**values))


def outbox(ids: Sequence[int]) -> int:
    """Blank the address and the text of messages and calls kept in the offline outbox."""
    if not ids:
        return 0
    zero_freed_space()
    return _run(
        update(OutboxEntry).where(OutboxEntry.id.in_(ids), OutboxEntry.to != "")
        .values(to="", subject=None, dialled=None,
                body=case((OutboxEntry.body.is_(None), None), else_=ERASED))
    )


def texts(ids: Sequence[int]) -> int:
    """Drop these texts that were still to go out through Twilio (their jobs lost or given
    up): each holds a number and, for a standalone text, its words."""
    if not ids:
        return 0
    zero_freed_space()
    return _run(delete(TextSending).where(TextSending.id.in_(ids)))

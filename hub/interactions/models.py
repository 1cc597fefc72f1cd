"""One contact with a resident, its messages, and its append-only timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.accounts.models import Department, User
from hub.clock import utcnow
from hub.extensions import db

CHANNELS = ("webchat", "sms", "callback", "booking", "form")
# queued → offered → assigned → closed; abandoned when the resident leaves while waiting.
# A callback waits "scheduled" (outside the queue) until its window or next attempt is due.
STATES = ("scheduled", "queued", "offered", "assigned", "closed", "abandoned")
OPEN_STATES = ("scheduled", "queued", "offered", "assigned")
MESSAGE_KINDS = ("in", "out", "note", "system")


class Interaction(db.Model):
    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_state_department", "state", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    department: Mapped[Department] = relationship()
    state: Mapped[str] = mapped_column(String(20), default="queued")
    language: Mapped[str] = mapped_column(String(5), default="pl")
    resident_name: Mapped[str | None] = mapped_column(String(120))
    # Phone, e-mail or nothing: how the resident can be reached outside the channel.
    resident_handle: Mapped[str | None] = mapped_column(String(200))
    # Secret part of the resident's signed token; rotating it revokes the token.
    resident_key: Mapped[str] = mapped_column(String(64))
    # Keyed hash of the browser's anonymous id (web chat) or the phone number, for blocks.
    resident_device: Mapped[str | None] = mapped_column(String(64), index=True)
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    clerk: Mapped[User | None] = relationship()
    # Place in the queue (ms since epoch at first queueing); kept when an offer lapses.
    queue_score: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # the log's dates
    queued_at: Mapped[datetime | None] = mapped_column(index=True)  # wallboard: today's contacts
    assigned_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    resident_left_at: Mapped[datetime | None]
    disposition: Mapped[str | None] = mapped_column(String(40))
    csat: Mapped[int | None]
    csat_comment: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    mystery_shopper: Mapped[bool] = mapped_column(default=False)
    # Set when the resident's personal data was removed (retention or a request to erase).
    anonymised_at: Mapped[datetime | None]

    messages: Mapped[list[Message]] = relationship(
        back_populates="interaction", order_by="Message.id"
    )

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class Message(db.Model):
    __tablename__ = "messages"
    # A resend with the same client id (or Twilio MessageSid) is the same message.
    __table_args__ = (UniqueConstraint("interaction_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id"), index=True)
    interaction: Mapped[Interaction] = relationship(back_populates="messages")
    kind: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author: Mapped[User | None] = relationship()
    body: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(String(80))
    delivery: Mapped[str] = mapped_column(String(20), default="stored")
    # The provider's id of an outgoing message (Twilio MessageSid), for status callbacks.
    external_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def visible_to_resident(self) -> bool:
        return self.kind != "note"


class InteractionEvent(db.Model):
    """One line of the timeline. Rows are only ever inserted (see hub.interactions.events)."""

    __tablename__ = "interaction_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    actor_type: Mapped[str] = mapped_column(String(20))  # resident, clerk, system
    actor_id: Mapped[int | None]
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The keyed hash chain (hub.interactions.chain): HMAC over the previous event's hash and
    # this row, set once by the sealing sweep a few seconds after the event is written.
    chain_hash: Mapped[str | None] = mapped_column(String(64))
    sealed_at: Mapped[datetime | None]

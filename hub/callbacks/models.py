"""A requested callback and each attempt to ring the resident."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.accounts.models import User
from hub.clock import utcnow
from hub.extensions import db
from hub.interactions.models import Interaction

# queued: job not yet run · ringing_clerk: Twilio rings the clerk's phone ·
# dialling: the clerk answered and the resident's phone rings · answered: they talk ·
# then one of: completed, not_reached, clerk_unreachable, failed.
ATTEMPT_ACTIVE = ("queued", "ringing_clerk", "dialling", "answered")


class CallbackRequest(db.Model):
    """The resident's wish: this number, in this window. One per callback interaction."""

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id"), unique=True)
    interaction: Mapped[Interaction] = relationship()
    phone: Mapped[str] = mapped_column(String(32), index=True)  # E.164
    requested_via: Mapped[str] = mapped_column(String(20))  # web, chat, sms, hotline
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    # When the callback next enters the queue: the window's start, then each retry's time.
    not_before: Mapped[datetime] = mapped_column(index=True)
    outcome: Mapped[str | None] = mapped_column(String(20))  # reached, unreachable, cancelled
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CallAttempt(db.Model):
    """One "Call now": the clerk's leg first, then the resident's, with how it ended."""

    __tablename__ = "call_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id"), index=True)
    interaction: Mapped[Interaction] = relationship()
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    clerk: Mapped[User | None] = relationship()
    clerk_phone: Mapped[str] = mapped_column(String(32))
    resident_phone: Mapped[str] = mapped_column(String(32))
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    # Twilio's word for the resident's leg: completed, busy, no-answer, failed, canceled.
    resident_status: Mapped[str | None] = mapped_column(String(20))
    talk_seconds: Mapped[int | None]  # the resident's leg, from answer to hang-up
    call_seconds: Mapped[int | None]  # the whole call, from the clerk's answer
    error: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

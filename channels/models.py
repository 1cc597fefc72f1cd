"""What the channels keep: the offline outbox and phone numbers that opted out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.clock import utcnow
from hub.extensions import db


class OutboxEntry(db.Model):
    """An SMS or call the hub would have sent, kept when Twilio is not configured."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # sms, call, email
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    to: Mapped[str] = mapped_column(String(200), index=True)
    from_: Mapped[str] = mapped_column("from_number", String(32))
    subject: Mapped[str | None] = mapped_column(String(200))  # e-mail
    body: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    status_callback: Mapped[str | None] = mapped_column(Text)
    # A call as the dev phone plays it: the number its TwiML dialled, and how it went
    # (ringing, answered, then completed or not answered).
    dialled: Mapped[str | None] = mapped_column(String(32), index=True)
    dial_action: Mapped[str | None] = mapped_column(Text)
    answer_callback: Mapped[str | None] = mapped_column(Text)  # the <Number statusCallback>
    call_state: Mapped[str | None] = mapped_column(String(20))
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OptOut(db.Model):
    """A number that sent STOP: nothing is sent to it until it sends START."""

    __tablename__ = "sms_opt_outs"

    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""What the channels keep: the offline outbox, numbers that opted out, texts on their way."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
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


class TextSending(db.Model):
    """A text on its way out through Twilio, part by part; the row goes once it is done.

    A reply points at its message; a standalone text (a booking code, a reminder) carries
    its own number and body. What Twilio accepted is committed after each part, so a job
    that resumes after its worker died sends only what is missing (see channels.sms_sending).
    """

    __tablename__ = "text_sendings"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), unique=True)
    to: Mapped[str] = mapped_column(String(32))
    body: Mapped[str | None] = mapped_column(Text)  # standalone texts; a reply's is its message's
    # Twilio's MessageSid of each part it accepted, in order.
    part_sids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The job sending it holds a lease, renewed before each part: no other job sends it
    # meanwhile; an expired lease means that job's worker died.
    owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(index=True)
    # Set while a part is with Twilio and unanswered: after a crash or a timeout Twilio may
    # or may not have taken it, so it is looked up before it is sent again.
    in_flight_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

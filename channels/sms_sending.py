"""Texts out through Twilio part by part, so that a worker killed mid-way sends each part once.

A job takes a lease on the text's TextSending row (renewed before each part) and commits
each part's MessageSid as Twilio accepts it; a job that resumes sends only the parts still
missing. The one part that was with Twilio, unanswered, when the worker died (or timed out)
is looked up at Twilio before it is sent again. A lease that expired means its job stopped:
the sweep submits the text again (resume_stalled).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from flask import current_app
from rq import get_current_job
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from channels import twilio_gateway
from channels.models import TextSending
from hub.clock import utcnow
from hub.extensions import db
from hub.interactions.models import Interaction, Message
from hub.jobs import queue


def _stuck() -> timedelta:
    return timedelta(seconds=current_app.config["SMS_STUCK_SECONDS"])


def job_owner() -> str:
    """Who holds a lease: the RQ job (its retries keep the id), or this process inline."""
    job = get_current_job()
    return job.id if job is not None else "inline"


def for_reply(message: Message) -> TextSending:
    """The reply's sending row, made on its first try (a reply keeps its text on the message)."""
    sending = db.session.scalar(select(TextSending).where(TextSending.message_id == message.id))
    if sending is None:
        sending = TextSending(message_id=message.id, to=message.interaction.resident_handle,
                              part_sids=[])
        db.session.add(sending)
        try:
            db.session.commit()
        except IntegrityError:  # another job made it first: use theirs
            db.session.rollback()
            sending = db.session.scalars(
                select(TextSending).where(TextSending.message_id == message.id)).one()
    return sending


def store_text(to: str, body: str) -> TextSending:
    """A standalone text, committed before its job is queued so a lost job loses nothing."""
    sending = TextSending(to=to, body=body, part_sids=[])
    db.session.add(sending)
    db.session.commit()
    return sending


def take(sending: TextSending, owner: str) -> bool:
    """Lease the text to `owner`; False while another job's lease runs (it is sending)."""
    now = utcnow()
    taken = db.session.execute(
        update(TextSending)
        .where(TextSending.id == sending.id,
               or_(TextSending.owner == owner, TextSending.lease_until.is_(None),
                   TextSending.lease_until < now))
        .values(owner=owner, lease_until=now + _stuck())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    db.session.refresh(sending)
    return taken == 1


def send_parts(sending: TextSending, parts: Sequence[str], callback: str | None,
               known: Sequence[str] = ()) -> list[str]:
    """Send the parts Twilio has not accepted yet; returns every part's MessageSid.

    `known`: SIDs of earlier texts to the same number, never taken for this one's.
    Raises TwilioRestException (or TwilioUnreachable) as the gateway does; what was
    accepted before stays committed.
    """
    for index in range(len(sending.part_sids), len(parts)):
        sid = None
        if sending.in_flight_since is not None:
            sid = twilio_gateway.find_sms(sending.to, parts[index], sending.in_flight_since,
                                          [*sending.part_sids, *known])
        if sid is None:
            sending.lease_until = utcnow() + _stuck()
            sending.in_flight_since = utcnow()
            db.session.commit()
            try:
                sid = twilio_gateway.send_sms(sending.to, parts[index], callback)
            except twilio_gateway.TwilioUnreachable:
                raise  # in flight: Twilio may have it, so the next try looks it up first
            except twilio_gateway.TwilioRestException:
                sending.in_flight_since = None  # Twilio answered: it did not take it
                db.session.commit()
                raise
        sending.part_sids = [*sending.part_sids, sid]
        sending.in_flight_since = None
        db.session.commit()
    return list(sending.part_sids)


def hold_for_retry(sending: TextSending) -> None:
    """Keep the lease through the job's retry wait, so the sweep does not send it meanwhile."""
    job = get_current_job()
    wait = max(job.retry_intervals or [0]) if job is not None else 0
    sending.lease_until = utcnow() + timedelta(seconds=wait) + _stuck()
    db.session.commit()


def done(sending: TextSending) -> None:
    """Sent (or for good not sent): the row goes, with the number and text it held."""
    db.session.delete(sending)
    db.session.commit()


def known_sids(phone: str) -> list[str]:
    """Recent replies' SIDs to this number: a look-up never mistakes one for a lost part."""
    return [sid for sid in db.session.scalars(
        select(Message.external_id).join(Interaction, Message.interaction_id == Interaction.id)
        .where(Interaction.resident_handle == phone, Message.kind == "out",
               Message.external_id.is_not(None))
        .order_by(Message.id.desc()).limit(50))]


def resume_stalled(send_reply: Callable[[int], None],
                   send_text: Callable[[int], None]) -> int:
    """Submit again every text whose job stopped mid-way (its lease ran out); returns how many.

    A job already queued for it is harmless: whichever takes the lease sends, the other
    finds it sent or leased and stops.
    """
    now = utcnow()
    stalled = db.session.execute(
        select(TextSending.id, TextSending.message_id)
        .outerjoin(Message, TextSending.message_id == Message.id)
        .where(TextSending.lease_until.is_not(None), TextSending.lease_until < now,
               or_(TextSending.message_id.is_(None), Message.delivery == "stored"))
    ).all()
    redis = queue().connection
    seconds = max(1, int(_stuck().total_seconds()))
    count = 0
    for sending_id, message_id in stalled:
        # Once per lease period, so a queue with no worker is not flooded with copies.
        key = current_app.config["REDIS_PREFIX"] + f"sms-resumed:{sending_id}"
        if redis.set(key, 1, nx=True, ex=seconds):
            if message_id is not None:
                send_reply(message_id)
            else:
                send_text(sending_id)
            count += 1
    return count


def unsent_texts() -> list[int]:
    """Standalone texts not yet sent (their jobs lived in a Redis that was lost)."""
    return list(db.session.scalars(
        select(TextSending.id).where(TextSending.message_id.is_(None))))


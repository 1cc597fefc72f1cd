"""Opening, conversing in and closing interactions: the calls every channel makes.

Each function commits its change and the timeline event together, then announces it.
"""

from __future__ import annotations

import secrets

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from hub import signals
from hub.accounts.models import Department, User
from hub.clock import epoch_ms, utcnow
from hub.errors import InvalidInput
from hub.extensions import db
from hub.interactions import routing
from hub.interactions import tags as tagging
from hub.interactions.access import check_handler
from hub.interactions.delivery import can_reply, deliver
from hub.interactions.dispositions import DISPOSITIONS
from hub.interactions.events import record, record_now
from hub.interactions.models import Interaction, Message
from hub.interactions.notices import announce, system_message
from hub.queue import router

NAME_MAX = 120


def clean_body(body: object) -> str:
    """The message text, or InvalidInput when it is empty or too long."""
    text = (body if isinstance(body, str) else "").strip()
    limit = current_app.config["MESSAGE_MAX_CHARS"]
    if not text:
        raise InvalidInput("empty_message")
    if len(text) > limit:
        raise InvalidInput("message_too_long", limit=limit)
    return text


def find_department(code: object, public_only: bool = True) -> Department:
    department = db.session.scalar(
        select(Department).where(Department.code == str(code), Department.active.is_(True))
    )
    if department is None or (public_only and not department.public):
        raise InvalidInput("unknown_department")
    return department


def open_interaction(
    channel: str,
    department_code: str,
    language: str = "pl",
    resident_name: str | None = None,
    resident_handle: str | None = None,
    first_message: str | None = None,
    public_only: bool = True,
    device: str | None = None,
    scheduled: bool = False,
) -> Interaction:
    """Create an interaction, queue it and route it; the resident's first words optional.

    `device` is the resident's browser id or phone number; blocked ones are refused.
    A `scheduled` one (a callback) waits outside the queue until it is released.
    """
    from hub.moderation.service import fingerprint, refuse_if_blocked

    device_hash = fingerprint(device) if device else None
    refuse_if_blocked(device_hash)
    department = find_department(department_code, public_only)
    name = (resident_name or "").strip() or None
    if name and len(name) > NAME_MAX:
        raise InvalidInput("name_too_long", limit=NAME_MAX)
    body = clean_body(first_message) if first_message is not None else None
    now = utcnow()
    interaction = Interaction(
        channel=channel,
        department=department,
        language=language if language in current_app.config["LANGUAGES"] else "pl",
        resident_name=name,
        resident_handle=resident_handle,
        resident_key=secrets.token_urlsafe(24),
        resident_device=device_hash,
        state="scheduled" if scheduled else "queued",
        created_at=now,
        queued_at=None if scheduled else now,
        queue_score=routing.due_score(channel, department, epoch_ms(now)),
    )
    db.session.add(interaction)
    db.session.flush()
    record(interaction, "created", "resident", channel=channel, department=department.code)
    if body is not None:
        db.session.add(Message(interaction=interaction, kind="in", body=body))
    if scheduled:
        return interaction  # the caller commits it with what it schedules
    record(interaction, "queued", "system", department=department.code)
    db.session.commit()
    routing.enqueue(interaction)
    return interaction


def receive(interaction: Interaction, body: object, client_id: str | None = None) -> Message:
    """Store a resident's message once per client id; a resend returns the stored one."""
    if not interaction.is_open:
        raise InvalidInput("closed")
    message, stored = _store(interaction, "in", clean_body(body), client_id, None,
                             "message_in", "resident")
    if stored:
        signals.message_added.send(interaction, message=message)
    return message


_MESSAGE_INSERT = insert(Message.__table__)


def _store(interaction: Interaction, kind: str, text: str, client_id: str | None,
           author: User | None, event: str, actor: User | str) -> tuple[Message, bool]:
    """Commit a message and its timeline event: (the message, True); or (the one stored
    already under `client_id`, False) when this is a resend.

    Two plain INSERTs rather than the ORM's unit of work, which cost a fifth of a chat
    message's CPU (docs/performance.md, "Chat"). The insert comes first and the unique
    (interaction, client id) decides a resend, so a new message costs no lookup."""
    row = {"interaction_id": interaction.id, "kind": kind, "body": text,
           "author_id": author.id if author is not None else None, "client_id": client_id,
           "delivery": "stored", "created_at": utcnow()}
    session = db.session()
    try:
        result = session.connection().execute(_MESSAGE_INSERT, row)
    except IntegrityError:
        session.rollback()
        existing = _by_client_id(interaction, client_id) if client_id else None
        if existing is None:
            raise
        return existing, False
    message = Message(id=result.inserted_primary_key[0], **row)
    record_now(interaction, event, actor, message_id=message.id)
    _commit_keeping_loaded()
    # The row is in the database: the session takes the object as loaded, so its author
    # and interaction come from what the session holds, without a query.
    make_transient_to_detached(message)
    session.add(message)
    if "messages" in interaction.__dict__:  # loaded already: keep it whole
        set_committed_value(interaction, "messages", [*interaction.messages, message])
    return message, True


def _commit_keeping_loaded() -> None:
    """Commit without expiring what the session holds: the message just written is then
    delivered and acknowledged from memory, not read back with its interaction and author
    (2–3 queries a message, docs/performance.md "Chat"). Only for a commit whose objects
    the caller has just loaded or written."""
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def _by_client_id(interaction: Interaction, client_id: str) -> Message | None:
    return db.session.scalar(
        select(Message).where(
            Message.interaction_id == interaction.id, Message.client_id == client_id
        )
    )


def _holder_check(interaction: Interaction, clerk: User) -> None:
    if interaction.state != "assigned" or interaction.clerk_id != clerk.id:
        raise InvalidInput("not_yours")


def send(interaction: Interaction, clerk: User, body: object, client_id: str | None = None) -> Message:
    """A clerk's reply: committed first, then handed to the resident's channel."""
    _holder_check(interaction, clerk)
    if not can_reply(interaction.channel):
        raise InvalidInput("no_channel_reply")
    text = clean_body(body)
    if interaction.first_response_at is None:
        interaction.first_response_at = utcnow()
    message, stored = _store(interaction, "out", text, client_id, clerk, "message_out", clerk)
    if stored:
        deliver(interaction, message)
        signals.message_added.send(interaction, message=message)
    return message


UNDELIVERED = ("failed", "undelivered")


def resend(interaction: Interaction, clerk: User, message_id: object) -> Message:
    """Send a reply again that the channel reported failed (e.g. an SMS Twilio refused)."""
    check_handler(interaction, clerk)
    message = db.session.get(Message, message_id) if isinstance(message_id, int) else None
    if message is None or message.interaction_id != interaction.id or message.kind != "out":
        raise InvalidInput("not_resendable")
    if message.delivery not in UNDELIVERED:
        raise InvalidInput("not_resendable")
    message.delivery = "stored"
    record(interaction, "resend", clerk, message_id=message.id)
    db.session.commit()
    deliver(interaction, message)
    signals.message_added.send(interaction, message=message)
    return message


def add_note(interaction: Interaction, clerk: User, body: object) -> Message:
    """An internal note: staff see it in the timeline, the resident never does."""
    check_handler(interaction, clerk)
    message = Message(interaction=interaction, kind="note", body=clean_body(body), author=clerk)
    db.session.add(message)
    db.session.flush()
    record(interaction, "note", clerk, message_id=message.id)
    db.session.commit()
    signals.message_added.send(interaction, message=message)
    return message


def close(interaction: Interaction, clerk: User, disposition: str,
          tags: object = None) -> Interaction:
    """The clerk ends the conversation with a disposition (and tags, e.g. "complaint");
    their capacity frees up."""
    check_handler(interaction, clerk)
    if disposition not in DISPOSITIONS:
        raise InvalidInput("bad_disposition")
    if interaction.state != "assigned":
        raise InvalidInput("closed")
    chosen = tagging.parse(tags)
    now = utcnow()
    interaction.state = "closed"
    interaction.closed_at = now
    interaction.disposition = disposition
    if chosen:
        tagging.set_tags(interaction, clerk, sorted(set(interaction.tags or []) | set(chosen)))
    with force_locale(interaction.language):
        text = _("The conversation has ended. Thank you for contacting the city office.")
    message = system_message(interaction, text, "closed", clerk, disposition=disposition)
    db.session.commit()
    holder = interaction.clerk_id
    if interaction.assigned_at is not None:
        handled = (now - interaction.assigned_at).total_seconds()
        router().record_handling(interaction.department.code, handled)
    router().release(interaction.id, holder)
    announce(interaction, message)
    routing.dispatch_for_clerk(holder)
    return interaction


def resident_leaves(interaction: Interaction) -> Interaction:
    """The resident ends the chat: while waiting it is abandoned, else the clerk is told."""
    if not interaction.is_open:
        return interaction
    interaction.resident_left_at = utcnow()
    message = None
    if interaction.state in ("queued", "offered"):
        result = db.session.execute(
            update(Interaction)
            .where(Interaction.id == interaction.id, Interaction.state.in_(("queued", "offered")))
            .values(state="abandoned", closed_at=utcnow(), resident_left_at=utcnow())
        )
        if result.rowcount:
            record(interaction, "abandoned", "resident")
            db.session.commit()
            db.session.refresh(interaction)
            clerk = router().remove(interaction.id, interaction.department.code)
            if clerk is not None:
                signals.offer_withdrawn.send(interaction.id, clerk_id=clerk, reason="abandoned")
            announce(interaction)
            return interaction
        db.session.refresh(interaction)
    with force_locale(interaction.language):
        text = _("The resident has left the conversation.")
    message = system_message(interaction, text, "resident_left", "resident")
    db.session.commit()
    announce(interaction, message)
    return interaction


def rate(interaction: Interaction, stars: object, comment: object = None) -> Interaction:
    """The resident's rating, once, after the conversation has ended for them."""
    if interaction.csat is not None:
        raise InvalidInput("already_rated")
    if interaction.is_open and interaction.resident_left_at is None:
        raise InvalidInput("not_rateable")
    try:
        value = int(stars)
    except (TypeError, ValueError):
        raise InvalidInput("bad_rating") from None
    if not 1 <= value <= 5:
        raise InvalidInput("bad_rating")
    text = (comment if isinstance(comment, str) else "").strip()[:2000] or None
    interaction.csat = value
    interaction.csat_comment = text
    record(interaction, "rated", "resident", stars=value, has_comment=bool(text))
    db.session.commit()
    signals.interaction_changed.send(interaction)
    return interaction


def visible_messages(interaction: Interaction, after_id: int = 0) -> list[Message]:
    """What the resident sees, after a given message id (replay on reconnect)."""
    return list(
        db.session.scalars(
            select(Message)
            .where(
                Message.interaction_id == interaction.id,
                Message.id > after_id,
                Message.kind != "note",
            )
            .order_by(Message.id)
        )
    )

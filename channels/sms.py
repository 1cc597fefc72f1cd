"""SMS through Twilio: the inbound and status webhooks, and sending as a retried job.

Configure in Twilio's console: "A message comes in" → POST {PUBLIC_URL}/channels/sms/inbound.
Every webhook must carry a valid X-Twilio-Signature; anything else gets 403 and changes
nothing. A text from a number with an open conversation joins it; otherwise it opens one.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, abort, current_app, request
from flask_babel import force_locale
from flask_babel import gettext as _
from rq import get_current_job
from sqlalchemy import select
from twilio.base.exceptions import TwilioRestException
from twilio.twiml.messaging_response import MessagingResponse

from channels import sms_sending as outgoing
from channels import twilio_gateway
from channels.models import OptOut, TextSending
from hub import signals
from hub.accounts.models import Department
from hub.callbacks import service as callbacks
from hub.callbacks.routes import cancel_link
from hub.errors import InvalidInput
from hub.extensions import csrf, db, limiter
from hub.housekeeping import register_step
from hub.interactions import routing, service
from hub.interactions.delivery import register_sender
from hub.interactions.events import record
from hub.interactions.models import Interaction, Message
from hub.jobs import in_app_context, submit
from hub.notify import register_notifier
from hub.review import mystery

bp = Blueprint("sms", __name__, url_prefix="/channels/sms")
log = logging.getLogger(__name__)

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "NIE", "KONIEC"}
START_WORDS = {"START", "UNSTOP", "TAK"}
# A text that is only one of these asks for a call back (compared folded: ODDZWOŃ → ODDZWON).
CALLBACK_WORDS = {"ODDZWON", "CALLBACK", "CALL ME"}
_FOLD = str.maketrans("ĄĆĘŁŃÓŚŹŻ", "ACELNOSZZ")
# Twilio joins longer texts itself up to 1,600 characters; beyond that we split.
PART_CHARS = 1600
# Channels whose replies go out as texts: SMS, and callbacks (confirmations, a clerk's note).
TEXTED_CHANNELS = ("sms", "callback")
# Twilio's delivery reports in their order: a later one never gives way to an earlier one
# (reports can come twice, or out of order).
STATUS_ORDER = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "undelivered": 3,
                "failed": 3, "read": 4}


def _twiml(text: str | None = None) -> Response:
    answer = MessagingResponse()
    if text:
        answer.message(text)
    return Response(str(answer), mimetype="application/xml")


@bp.post("/inbound")
@limiter.exempt
def inbound():
    twilio_gateway.require_signature()
    phone, body, sid = (request.form.get(k, "").strip() for k in ("From", "Body", "MessageSid"))
    if not phone or not sid:
        abort(400)
    if db.session.scalar(select(Message.id).where(Message.client_id == sid)) is not None:
        return _twiml()  # Twilio retried a webhook we already stored
    word = body.upper()
    if word in STOP_WORDS or word in START_WORDS:
        return _twiml(_opt(phone, stop=word in STOP_WORDS))
    if keyword(body) in CALLBACK_WORDS:
        return _twiml(_callback_by_text(phone, body, sid))
    interaction = _open_conversation(phone)
    try:
        if interaction is None:
            interaction = service.open_interaction(
                channel="sms", department_code=current_app.config["SMS_DEFAULT_DEPARTMENT"],
                resident_handle=phone, device=phone, public_only=False,
            )
            mystery.claim_sms(interaction)  # a supervisor's test text, flagged in the record
            service.receive(interaction, body, sid)
            position, _wait = routing.position_of(interaction)
            with force_locale(interaction.language):
                return _twiml(_("The city office has received your message. You are number "
                                "%(position)s in the queue; a clerk will reply here.",
                                position=position or 1) + "\n" + _menu(interaction.language))
        service.receive(interaction, body, sid)
        chosen = _menu_choice(interaction, body)
        if chosen is not None:
            routing.choose_department(interaction, chosen)
            position, _wait = routing.position_of(interaction)
            with force_locale(interaction.language):
                return _twiml(_("Topic: %(department)s. You are number %(position)s in the "
                                "queue.", department=chosen.name(interaction.language),
                                position=position or 1))
    except InvalidInput as refusal:
        with force_locale("pl"):
            return _twiml(refusal.message)
    return _twiml()


def keyword(body: str) -> str:
    """The text as a keyword: upper case, Polish letters folded, spaces and end marks tidied."""
    return " ".join(body.upper().translate(_FOLD).split()).strip(".!?, ")


def _callback_by_text(phone: str, body: str, sid: str) -> str | None:
    """ODDZWOŃ: a call back in the soonest window, for the topic of the text still open.

    The confirmation (with its cancel link) goes out as a text of its own, so the webhook's
    answer stays empty; a refusal is the answer.
    """
    conversation = _open_conversation(phone)
    waiting = conversation if conversation is not None and conversation.state in (
        "queued", "offered") else None
    try:
        callback = callbacks.request_callback(
            conversation.department.code if conversation is not None
            else current_app.config["SMS_DEFAULT_DEPARTMENT"],
            phone, language=conversation.language if conversation is not None else "pl",
            via="sms", replaces=waiting, cancel_link=cancel_link, public_only=False,
        )
    except InvalidInput as refusal:
        with force_locale("pl"):
            return refusal.message
    service.receive(callback, body, sid)  # the asking text, kept (and a retried webhook seen)
    return None


def _menu_departments() -> list[Department]:
    return list(db.session.scalars(
        select(Department).where(Department.active, Department.public).order_by(Department.id)
    ))


def _menu(language: str) -> str:
    """'To choose a topic, reply with its number: 1 Civil registry, 2 …'."""
    options = ", ".join(f"{n} {d.name(language)}"
                        for n, d in enumerate(_menu_departments(), 1))
    return (_("To choose a topic, reply with its number: %(options)s.", options=options) + " "
            + _("Or send CALLBACK and we will call you back."))


def _menu_choice(interaction: Interaction, body: str) -> Department | None:
    """A bare number while still waiting picks the topic from the menu."""
    if interaction.state != "queued" or not body.strip().isdigit():
        return None
    departments = _menu_departments()
    index = int(body.strip()) - 1
    return departments[index] if 0 <= index < len(departments) else None


def _open_conversation(phone: str) -> Interaction | None:
    return db.session.scalar(
        select(Interaction)
        .where(Interaction.channel == "sms", Interaction.resident_handle == phone,
               Interaction.state.in_(("queued", "offered", "assigned")))
        .order_by(Interaction.id.desc())
        .limit(1)
    )


def _opt(phone: str, stop: bool) -> str:
    existing = db.session.get(OptOut, phone)
    if stop and existing is None:
        db.session.add(OptOut(phone=phone))
    elif not stop and existing is not None:
        db.session.delete(existing)
    interaction = _open_conversation(phone)
    record(interaction, "sms_opt_out" if stop else "sms_opt_in", "resident")
    db.session.commit()
    with force_locale("pl"):
        if stop:
            return _("You will get no more messages from the city office. Send START to "
                     "receive them again.")
        return _("You will receive messages from the city office again.")


@bp.post("/status")
@limiter.exempt
def status():
    """Delivery reports: queued, sent, delivered, undelivered, failed."""
    twilio_gateway.require_signature()
    sid, state = request.form.get("MessageSid", ""), request.form.get("MessageStatus", "")
    message = db.session.scalar(select(Message).where(Message.external_id == sid))
    if message is not None and state in STATUS_ORDER and (
            STATUS_ORDER[state] > STATUS_ORDER.get(message.delivery, -1)):
        message.delivery = state
        record(message.interaction, "delivery_" + state, "system", message_id=message.id,
               error=request.form.get("ErrorCode"))
        db.session.commit()
        signals.message_added.send(message.interaction, message=message)
    return Response(status=204)


def split_text(text: str, limit: int = PART_CHARS) -> list[str]:
    """Parts of at most `limit` characters, cut at a line, sentence or word end if possible."""
    parts = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n"), window.rfind(". ") + 1, window.rfind(" "))
        cut = cut if cut > limit // 2 else limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return parts + [text] if text else parts


def deliver(interaction: Interaction, message: Message) -> None:
    """The SMS channel's sender: a job sends it, so a Twilio hiccup is retried.

    Only clerks' replies go out: a text costs money, and "Anna joined" is no news by SMS.
    """
    if message.kind == "out":
        submit(send_sms_job, message.id)


@in_app_context
def send_sms_job(message_id: int) -> None:
    """Send a stored reply, each part once; a Twilio error or silence is retried, and after
    the last try (or at once when Twilio refuses it for good) the reply is failed."""
    message = db.session.get(Message, message_id)
    if message is None or message.delivery != "stored":
        return  # sent (a copy of the job), or failed and waiting for the clerk to resend
    phone = message.interaction.resident_handle
    sending = outgoing.for_reply(message)
    if not outgoing.take(sending, outgoing.job_owner()):
        return  # another job is sending it now
    if db.session.get(OptOut, phone) is not None:
        outgoing.done(sending)
        _mark(message, "opted_out", "delivery_blocked_opt_out")
        return
    callback = twilio_gateway.public_url("/channels/sms/status")
    try:
        sids = outgoing.send_parts(sending, split_text(message.body), callback,
                                   known=outgoing.known_sids(phone))
    except TwilioRestException as error:
        if _will_retry(error):
            outgoing.hold_for_retry(sending)
            record(message.interaction, "delivery_retry", "system", message_id=message.id,
                   error=error.code, status=error.status)
            db.session.commit()
            raise
        outgoing.done(sending)
        _mark(message, "failed", "delivery_failed", error=error.code, status=error.status)
        return
    outgoing.done(sending)
    message.external_id = sids[-1]
    _mark(message, "sent", "sms_sent", parts=len(sids))


def _will_retry(error: TwilioRestException) -> bool:
    """Raise it for RQ to retry: the job has tries left and the error can pass."""
    job = get_current_job()
    return bool(job is not None and job.retries_left and not twilio_gateway.is_final(error))


def _mark(message: Message, delivery: str, event: str, **data: object) -> None:
    message.delivery = delivery
    record(message.interaction, event, "system", message_id=message.id, **data)
    db.session.commit()
    signals.message_added.send(message.interaction, message=message)


def queue_text(to: str, subject: str, body: str) -> None:
    """hub.notify's SMS sender: a text outside any conversation (e.g. a booking code)."""
    submit(send_stored_text_job, outgoing.store_text(to, body).id)


@in_app_context
def send_text_job(to: str, body: str) -> None:
    """A job queued before texts were stored first (kept so those still run)."""
    send_stored_text_job(outgoing.store_text(to, body).id)


@in_app_context
def send_stored_text_job(sending_id: int) -> None:
    """Send a stored standalone text, each part once; retried like a reply. One that fails
    for good is logged (without the number or the text) and dropped."""
    sending = db.session.get(TextSending, sending_id)
    if sending is None or not outgoing.take(sending, outgoing.job_owner()):
        return  # sent already, or another job is sending it now
    if db.session.get(OptOut, sending.to) is not None:
        outgoing.done(sending)  # the number sent STOP
        return
    callback = twilio_gateway.public_url("/channels/sms/status")
    try:
        outgoing.send_parts(sending, split_text(sending.body or ""), callback)
    except TwilioRestException as error:
        if _will_retry(error):
            outgoing.hold_for_retry(sending)
            raise
        log.warning("standalone text %s not sent: Twilio %s %s", sending.id, error.status,
                    error.code)
        record(None, "text_failed", "system", error=error.code, status=error.status)
        outgoing.done(sending)
        return
    outgoing.done(sending)


def resend_unsent(_sender: object = None) -> int:
    """Submit again every text still unsent: its job was in a Redis that was lost."""
    unsent = db.session.scalars(
        select(Message.id).join(Interaction, Message.interaction_id == Interaction.id)
        .where(Interaction.channel.in_(TEXTED_CHANNELS), Message.kind == "out",
               Message.delivery == "stored")
    ).all()
    for message_id in unsent:
        submit(send_sms_job, message_id)
    texts = outgoing.unsent_texts()
    for sending_id in texts:
        submit(send_stored_text_job, sending_id)
    return len(unsent) + len(texts)


def resume_stalled() -> int:
    """The sweep's step: texts whose worker died mid-way are submitted again."""
    return outgoing.resume_stalled(lambda i: submit(send_sms_job, i),
                                   lambda i: submit(send_stored_text_job, i))


def init_app(app: Flask) -> None:
    csrf.exempt(bp)  # Twilio signs its requests instead
    app.register_blueprint(bp)
    for channel in TEXTED_CHANNELS:
        register_sender(channel, deliver)
    register_notifier("sms", queue_text)
    signals.queues_rebuilt.connect(resend_unsent, weak=False)
    register_step("sms_resumed", resume_stalled)

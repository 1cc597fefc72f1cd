"""SMS through Twilio: the inbound and status webhooks, and sending as a retried job.

Configure in Twilio's console: "A message comes in" → POST {PUBLIC_URL}/channels/sms/inbound.
Every webhook must carry a valid X-Twilio-Signature; anything else gets 403 and changes
nothing. A text from a number with an open conversation joins it; otherwise it opens one.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, current_app, request
from flask_babel import force_locale
from flask_babel import gettext as _
from rq import get_current_job
from sqlalchemy import select
from twilio.base.exceptions import TwilioRestException
from twilio.twiml.messaging_response import MessagingResponse

from channels import twilio_gateway
from channels.models import OptOut
from hub import signals
from hub.accounts.models import Department
from hub.callbacks import service as callbacks
from hub.callbacks.routes import cancel_link
from hub.errors import InvalidInput
from hub.extensions import csrf, db, limiter
from hub.interactions import routing, service
from hub.interactions.delivery import register_sender
from hub.interactions.events import record
from hub.interactions.models import Interaction, Message
from hub.jobs import in_app_context, submit
from hub.notify import register_notifier
from hub.review import mystery

bp = Blueprint("sms", __name__, url_prefix="/channels/sms")

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "NIE", "KONIEC"}
START_WORDS = {"START", "UNSTOP", "TAK"}
# A text that is only one of these asks for a call back (compared folded: ODDZWOŃ → ODDZWON).
CALLBACK_WORDS = {"ODDZWON", "CALLBACK", "CALL ME"}
_FOLD = str.maketrans("ĄĆĘŁŃÓŚŹŻ", "ACELNOSZZ")
# Twilio joins longer texts itself up to 1,600 characters; beyond that we split.
PART_CHARS = 1600
# Channels whose replies go out as texts: SMS, and callbacks (confirmations, a clerk's note).
TEXTED_CHANNELS = ("sms", "callback")
STATUSES = {"queued", "sending", "sent", "delivered", "undelivered", "failed", "read"}


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
    if message is not None and state in STATUSES:
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
    """Send a stored reply; a Twilio error is retried, and after the last try it is failed."""
    message = db.session.get(Message, message_id)
    if message is None or message.delivery in ("sent", "delivered"):
        return
    phone = message.interaction.resident_handle
    if db.session.get(OptOut, phone) is not None:
        _mark(message, "opted_out", "delivery_blocked_opt_out")
        return
    callback = twilio_gateway.public_url("/channels/sms/status")
    try:
        sids = [twilio_gateway.send_sms(phone, part, callback) for part in split_text(message.body)]
    except TwilioRestException as error:
        job = get_current_job()
        if job is not None and job.retries_left:
            record(message.interaction, "delivery_retry", "system", message_id=message.id,
                   error=error.code, status=error.status)
            db.session.commit()
            raise
        _mark(message, "failed", "delivery_failed", error=error.code, status=error.status)
        return
    message.external_id = sids[-1]
    _mark(message, "sent", "sms_sent", parts=len(sids))


def _mark(message: Message, delivery: str, event: str, **data: object) -> None:
    message.delivery = delivery
    record(message.interaction, event, "system", message_id=message.id, **data)
    db.session.commit()
    signals.message_added.send(message.interaction, message=message)


def queue_text(to: str, subject: str, body: str) -> None:
    """hub.notify's SMS sender: a text outside any conversation (e.g. a booking code)."""
    submit(send_text_job, to, body)


@in_app_context
def send_text_job(to: str, body: str) -> None:
    """Send a standalone text; a Twilio error raises, so the job is retried."""
    if db.session.get(OptOut, to) is not None:
        return  # the number sent STOP
    callback = twilio_gateway.public_url("/channels/sms/status")
    for part in split_text(body):
        twilio_gateway.send_sms(to, part, callback)


def resend_unsent(_sender: object = None) -> int:
    """Submit again every reply still unsent: its job was in a Redis that was lost."""
    unsent = db.session.scalars(
        select(Message.id).join(Interaction, Message.interaction_id == Interaction.id)
        .where(Interaction.channel.in_(TEXTED_CHANNELS), Message.kind == "out",
               Message.delivery == "stored")
    ).all()
    for message_id in unsent:
        submit(send_sms_job, message_id)
    return len(unsent)


def init_app(app: Flask) -> None:
    csrf.exempt(bp)  # Twilio signs its requests instead
    app.register_blueprint(bp)
    for channel in TEXTED_CHANNELS:
        register_sender(channel, deliver)
    register_notifier("sms", queue_text)
    signals.queues_rebuilt.connect(resend_unsent, weak=False)

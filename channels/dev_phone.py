"""/dev/phone: play a resident's phone while Twilio is not configured.

Texts typed here enter the hub through the real inbound webhook, signed with the offline
token, exactly as Twilio would send them; replies are read from the outbox. The page
exists only without Twilio credentials (and can be switched off with DEV_PHONE=0).

It also plays Twilio for calls: a call the hub placed (in the outbox, to the clerk's
phone) is picked up at once, as if the clerk answered, by fetching its TwiML; the number
that TwiML <Dial>s then rings here, and answering, hanging up or not answering sends
Twilio's <Dial action> and status callbacks, signed. With DEV_CLOCK=1, the page can also
move the hub's clock forward, to see a retry that is due hours later.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit
from xml.etree import ElementTree

from flask import Blueprint, Flask, abort, current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from channels import twilio_gateway
from channels.models import OutboxEntry
from hub import clock
from hub.clock import iso, utcnow
from hub.errors import InvalidInput
from hub.extensions import db, limiter
from hub.interactions.models import Interaction, Message
from hub.phones import normalize_phone

bp = Blueprint("dev_phone", __name__, url_prefix="/dev/phone")
INBOUND = "/channels/sms/inbound"


@bp.before_request
def only_offline():
    if twilio_gateway.configured() or not current_app.config["DEV_PHONE"]:
        abort(404)


def _number(raw: str | None) -> str | None:
    """E.164 from what was typed (Polish numbers without +48 accepted), else None."""
    try:
        return normalize_phone(raw)
    except InvalidInput:
        return None


@bp.get("")
def page():
    return render_template("dev/phone.html", number=request.args.get("number", "+48 601 234 567"))


def _twilio_posts(path: str, form: dict[str, str]) -> tuple[int, str]:
    """POST to one of the hub's webhooks as Twilio would, signed; (status, body)."""
    if path.startswith(("http://", "https://")):  # an absolute URL made from PUBLIC_URL
        url, parts = path, urlsplit(path)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
    else:
        url = twilio_gateway.public_url(path) or request.host_url.rstrip("/") + path
    signature = RequestValidator(twilio_gateway.auth_token()).compute_signature(url, form)
    with current_app.test_client() as hub:  # the real route, signature check and TwiML
        answer = hub.post(path, data=form, base_url=request.host_url,
                          headers={"X-Twilio-Signature": signature})
    return answer.status_code, answer.get_data(as_text=True)


def _hub_number() -> str:
    return current_app.config["TWILIO_FROM_NUMBER"] or "outbox"


@bp.post("/send")
@limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC"])
def send():
    """Deliver a text to the hub's webhook as Twilio would, signed; returns the hub's TwiML."""
    number = _number(request.form.get("number"))
    body = (request.form.get("body") or "").strip()
    if number is None:
        return {"error": _("Please give a valid phone number.")}, 400
    if not body:
        return {"error": _("Please write a message before sending.")}, 400
    form = {"From": number, "To": _hub_number(), "Body": body,
            "MessageSid": "SM" + secrets.token_hex(16)}
    status, twiml = _twilio_posts(INBOUND, form)
    return {"status": status, "twiml": twiml}


def _pick_up_placed_calls() -> None:
    """Answer, as the clerk, every call the hub placed: fetch its TwiML and ring whoever
    it dials."""
    placed = db.session.scalars(
        select(OutboxEntry).where(OutboxEntry.kind == "call", OutboxEntry.call_state.is_(None))
    ).all()
    for call in placed:
        call.call_state = "picking_up"  # claimed before the fetch, so it happens once
        db.session.commit()
        _status, twiml = _twilio_posts(call.url, _call_form(call, "in-progress"))
        dial = _dial_of(twiml)
        if dial is None:  # nothing to connect: the call just ends
            call.call_state = "completed"
            db.session.commit()
            _report_end(call, "completed", 0)
            continue
        call.dialled, call.dial_action, call.answer_callback = dial
        call.call_state = "ringing"
        db.session.commit()


def _dial_of(twiml: str) -> tuple[str, str, str | None] | None:
    """(number, action URL, answered-callback URL) of the TwiML's <Dial><Number>, if any."""
    try:
        verb = ElementTree.fromstring(twiml).find("Dial")
    except ElementTree.ParseError:
        return None
    number = verb.find("Number") if verb is not None else None
    if number is None or not (number.text or "").strip():
        return None
    return number.text.strip(), verb.get("action", ""), number.get("statusCallback")


def _call_form(call: OutboxEntry, status: str, **extra: str) -> dict[str, str]:
    return {"CallSid": call.sid, "AccountSid": "AC" + "0" * 32, "From": call.from_,
            "To": call.to, "Direction": "outbound-api", "CallStatus": status, **extra}


def _report_end(call: OutboxEntry, status: str, seconds: int) -> None:
    if call.status_callback:
        _twilio_posts(call.status_callback,
                      _call_form(call, status, CallDuration=str(seconds)))


def _ringing_for(number: str) -> OutboxEntry | None:
    return db.session.scalar(
        select(OutboxEntry).where(OutboxEntry.dialled == number,
                                  OutboxEntry.call_state.in_(("ringing", "answered")))
        .order_by(OutboxEntry.id.desc()).limit(1)
    )


@bp.post("/call")
@limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC"])
def call_action():
    """The resident answers, hangs up on, or does not answer the call ringing here."""
    number = _number(request.form.get("number"))
    action = request.form.get("action")
    call = _ringing_for(number) if number else None
    if call is None:
        return {"error": _("No call is ringing on this phone.")}, 404
    if action == "answer" and call.call_state == "ringing":
        call.call_state, call.answered_at = "answered", utcnow()
        db.session.commit()
        if call.answer_callback:
            _twilio_posts(call.answer_callback, _call_form(call, "in-progress"))
    elif action in ("hang_up", "decline"):
        talked = call.call_state == "answered"
        seconds = max(1, round((utcnow() - call.answered_at).total_seconds())) if talked else 0
        call.call_state = "completed" if talked else "not_answered"
        db.session.commit()
        _twilio_posts(call.dial_action, _call_form(
            call, "in-progress", DialCallStatus="completed" if talked else "no-answer",
            DialCallDuration=str(seconds), DialCallSid="CA" + secrets.token_hex(16)))
        _report_end(call, "completed", seconds)
    else:
        return {"error": _("Unknown action.")}, 400
    return {"call": _call_item(call)}


def _call_item(call: OutboxEntry) -> dict:
    return {"sid": call.sid, "state": call.call_state, "at": iso(call.created_at)}


@bp.post("/clock")
def move_clock():
    """Move the hub's clock forward (DEV_CLOCK=1 only), e.g. to reach a retry's time."""
    if not current_app.config["DEV_CLOCK"]:
        abort(404)
    try:
        minutes = int(request.form.get("minutes", ""))
    except ValueError:
        minutes = 0
    if not 0 < minutes <= 7 * 24 * 60:
        return {"error": _("Give a number of minutes between 1 and 10080.")}, 400
    return {"now": iso(clock.advance(minutes * 60))}


@bp.get("/feed")
def feed():
    """The phone's screen: texts it sent and texts the hub sent it, oldest first."""
    number = _number(request.args.get("number"))
    if number is None:
        return {"error": _("Please give a valid phone number.")}, 400
    sent = db.session.execute(
        select(Message.body, Message.created_at)
        .join(Interaction, Message.interaction_id == Interaction.id)
        .where(Interaction.channel == "sms", Interaction.resident_handle == number,
               Message.kind == "in")
    ).all()
    got = db.session.execute(
        select(OutboxEntry.body, OutboxEntry.created_at)
        .where(OutboxEntry.to == number, OutboxEntry.kind == "sms")
    ).all()
    _pick_up_placed_calls()
    calls = db.session.scalars(
        select(OutboxEntry).where(OutboxEntry.dialled == number).order_by(OutboxEntry.id)
    ).all()
    items = [{"from": "me", "body": b, "at": iso(t)} for b, t in sent] + [
        {"from": "city", "body": b, "at": iso(t)} for b, t in got] + [
        {"from": "city", "body": _CALL_TEXT[c.call_state](), "at": iso(c.created_at)}
        for c in calls if c.call_state in _CALL_TEXT]
    ringing = _ringing_for(number)
    return {"number": number, "items": sorted(items, key=lambda i: i["at"]),
            "call": _call_item(ringing) if ringing else None, "clock": iso(utcnow()),
            "can_move_clock": current_app.config["DEV_CLOCK"]}


_CALL_TEXT = {
    "completed": lambda: _("(a call from the city office, answered)"),
    "not_answered": lambda: _("(a missed call from the city office)"),
}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

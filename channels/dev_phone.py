"""/dev/phone: play a resident's phone while Twilio is not configured.

Texts typed here enter the hub through the real inbound webhook, signed with the offline
token, exactly as Twilio would send them; replies are read from the outbox. The page
exists only without Twilio credentials (and can be switched off with DEV_PHONE=0).
"""

from __future__ import annotations

import secrets

import phonenumbers
from flask import Blueprint, Flask, abort, current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from channels import twilio_gateway
from channels.models import OutboxEntry
from hub.clock import iso
from hub.extensions import db, limiter
from hub.interactions.models import Interaction, Message

bp = Blueprint("dev_phone", __name__, url_prefix="/dev/phone")
INBOUND = "/channels/sms/inbound"


@bp.before_request
def only_offline():
    if twilio_gateway.configured() or not current_app.config["DEV_PHONE"]:
        abort(404)


def _number(raw: str | None) -> str | None:
    """E.164 from what was typed (Polish numbers without +48 accepted), else None."""
    try:
        parsed = phonenumbers.parse(raw or "", "PL")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@bp.get("")
def page():
    return render_template("dev/phone.html", number=request.args.get("number", "+48 601 234 567"))


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
    form = {"From": number, "To": current_app.config["TWILIO_FROM_NUMBER"] or "outbox",
            "Body": body, "MessageSid": "SM" + secrets.token_hex(16)}
    url = twilio_gateway.public_url(INBOUND) or request.host_url.rstrip("/") + INBOUND
    signature = RequestValidator(twilio_gateway.auth_token()).compute_signature(url, form)
    with current_app.test_client() as hub:  # the real route, signature check and TwiML
        answer = hub.post(INBOUND, data=form, base_url=request.host_url,
                          headers={"X-Twilio-Signature": signature})
    return {"status": answer.status_code, "twiml": answer.get_data(as_text=True)}


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
        select(OutboxEntry.body, OutboxEntry.created_at, OutboxEntry.kind)
        .where(OutboxEntry.to == number)
    ).all()
    items = [{"from": "me", "body": b, "at": iso(t)} for b, t in sent] + [
        {"from": "city", "body": b if kind == "sms" else _("(a call from the city office)"),
         "at": iso(t)} for b, t, kind in got]
    return {"number": number, "items": sorted(items, key=lambda i: i["at"])}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

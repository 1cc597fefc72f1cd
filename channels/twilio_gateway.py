"""The one place that talks to Twilio.

With TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER set it uses Twilio's REST
client; without them every SMS and call goes to the outbox table instead, and the hub
behaves the same otherwise. Tests hand the REST client an `http_client` that records.
"""

from __future__ import annotations

import secrets

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from channels.models import OutboxEntry
from hub.extensions import db

DEV_AUTH_TOKEN = "okienko-offline"  # signs the dev phone's webhooks when Twilio is off


def configured() -> bool:
    config = current_app.config
    return bool(config["TWILIO_ACCOUNT_SID"] and config["TWILIO_AUTH_TOKEN"]
                and config["TWILIO_FROM_NUMBER"])


def auth_token() -> str:
    """The token webhooks are signed with: Twilio's, or the offline one."""
    return current_app.config["TWILIO_AUTH_TOKEN"] or DEV_AUTH_TOKEN


def public_url(path: str) -> str | None:
    """An absolute URL Twilio can call back, from PUBLIC_URL; None when not set."""
    base = current_app.config["PUBLIC_URL"]
    return base.rstrip("/") + path if base else None


def require_signature() -> None:
    """403 unless the request carries Twilio's signature for this URL and these fields."""
    url = public_url(request.full_path.rstrip("?")) or request.url
    signature = request.headers.get("X-Twilio-Signature", "")
    if not RequestValidator(auth_token()).validate(url, request.form, signature):
        abort(403)


def send_sms(to: str, body: str, status_callback: str | None = None) -> str:
    """Send one SMS; returns its MessageSid. Twilio errors raise TwilioRestException."""
    if not configured():
        return _to_outbox("sms", to, body=body, status_callback=status_callback)
    message = _client().messages.create(
        to=to, from_=current_app.config["TWILIO_FROM_NUMBER"], body=body,
        status_callback=status_callback,
    )
    return message.sid


def place_call(to: str, url: str, status_callback: str | None = None,
               timeout: int = 30) -> str:
    """Ring `to`; when answered, Twilio fetches TwiML from `url`. Returns the CallSid."""
    if not configured():
        return _to_outbox("call", to, url=url, status_callback=status_callback)
    call = _client().calls.create(
        to=to, from_=current_app.config["TWILIO_FROM_NUMBER"], url=url,
        status_callback=status_callback, timeout=timeout,
    )
    return call.sid


def _client() -> Client:
    config = current_app.config
    return Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"],
                  http_client=current_app.extensions.get("okienko.twilio_http"))


def _to_outbox(kind: str, to: str, **fields: str | None) -> str:
    prefix = "SM" if kind == "sms" else "CA"
    entry = OutboxEntry(kind=kind, sid=prefix + secrets.token_hex(16), to=to,
                        from_=current_app.config["TWILIO_FROM_NUMBER"] or "outbox", **fields)
    db.session.add(entry)
    db.session.commit()
    return entry.sid

"""The one place that talks to Twilio.

With TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER set it uses Twilio's REST
client; without them every SMS and call goes to the outbox table instead, and the hub
behaves the same otherwise. Every request has a bounded wait (TWILIO_TIMEOUT_SECONDS): a
hung Twilio must not hang a worker. Tests hand the REST client an `http_client` that records,
or point it at a stand-in on loopback (TWILIO_API_BASE).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
from flask import abort, current_app, request
from sqlalchemy import select
from twilio.base.exceptions import TwilioRestException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from channels.models import OutboxEntry
from hub.extensions import db

DEV_AUTH_TOKEN = "okienko-offline"  # signs the dev phone's webhooks when Twilio is off
# 4xx statuses worth another try; any other 4xx is final (e.g. 21211, a number that is not).
RETRYABLE_4XX = {408, 429}
# How far Twilio's clock and ours may disagree when matching a message it may have taken.
LOOKUP_SLACK = timedelta(minutes=2)


class TwilioUnreachable(TwilioRestException):
    """Twilio did not answer (timeout, refused or broken connection).

    Unlike an error status, it leaves open whether Twilio took the request. A subclass, so
    code that handles Twilio's errors handles this one too.
    """


def is_final(error: TwilioRestException) -> bool:
    """True when trying again cannot help: Twilio refused the request itself (most 4xx)."""
    if isinstance(error, TwilioUnreachable):
        return False
    return 400 <= (error.status or 0) < 500 and error.status not in RETRYABLE_4XX


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
    """Send one SMS; returns its MessageSid.

    Raises TwilioRestException for an error Twilio answered, TwilioUnreachable when it did
    not answer in time (then it may have taken the message: see find_sms).
    """
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


def find_sms(to: str, body: str, since: datetime, besides: list[str]) -> str | None:
    """The MessageSid of an SMS with this body sent to `to` since then, if Twilio (or the
    outbox) has one that is not among `besides`; None when there is none to be found."""
    if not configured():
        entry = db.session.scalar(
            select(OutboxEntry.sid).where(
                OutboxEntry.kind == "sms", OutboxEntry.to == to, OutboxEntry.body == body,
                OutboxEntry.created_at >= since - LOOKUP_SLACK, OutboxEntry.sid.not_in(besides))
            .order_by(OutboxEntry.id).limit(1))
        return entry
    # Newest first; a resident gets few texts, so the last few dozen cover the gap.
    recent = _client().messages.list(
        to=to, from_=current_app.config["TWILIO_FROM_NUMBER"], limit=50)
    for message in reversed(recent):
        created = message.date_created.replace(tzinfo=None) if message.date_created else None
        if (message.body == body and message.sid not in besides
                and (created is None or created >= since - LOOKUP_SLACK)):
            return message.sid
    return None


class _BoundedHttpClient(TwilioHttpClient):
    """Twilio's HTTP client with a timeout, surfacing network failures as TwilioUnreachable.

    With `base` set, requests go there instead of https://*.twilio.com (a stand-in).
    """

    def __init__(self, timeout: float, base: str = "") -> None:
        super().__init__(timeout=timeout)
        self.base = base.rstrip("/")

    def request(self, method: str, url: str, *args: object, **kwargs: object) -> Response:
        if self.base:
            parts = urlsplit(url)
            url = self.base + parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            return super().request(method, url, *args, **kwargs)
        except requests.RequestException as error:
            raise TwilioUnreachable(0, url, f"Twilio did not answer: {error}",
                                    method=method) from error


def _http_client() -> HttpClient:
    extensions = current_app.extensions
    if extensions.get("okienko.twilio_http") is not None:
        return extensions["okienko.twilio_http"]  # a test's recorder
    if "okienko.twilio_http_bounded" not in extensions:
        extensions["okienko.twilio_http_bounded"] = _BoundedHttpClient(
            current_app.config["TWILIO_TIMEOUT_SECONDS"], current_app.config["TWILIO_API_BASE"])
    return extensions["okienko.twilio_http_bounded"]


def _client() -> Client:
    config = current_app.config
    return Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"],
                  http_client=_http_client())


def _to_outbox(kind: str, to: str, **fields: str | None) -> str:
    prefix = "SM" if kind == "sms" else "CA"
    entry = OutboxEntry(kind=kind, sid=prefix + secrets.token_hex(16), to=to,
                        from_=current_app.config["TWILIO_FROM_NUMBER"] or "outbox", **fields)
    db.session.add(entry)
    db.session.commit()
    return entry.sid

"""Residents' contacts built through the public surface (web chat, SMS webhooks, the
call-back form and Call now, the booking API and the office pages), and the hub's clock
moved past the retention period."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from channels.models import OutboxEntry
from hub import clock
from hub.booking.models import Booking
from hub.callbacks.models import CallAttempt
from hub.extensions import db
from hub.interactions.models import Interaction
from tests.callbacks.test_callback_form import soonest
from tests.channels.test_sms import sms_in
from tests.channels.test_voice import twilio_post
from tests.conftest import ANNA, emit, login

# A plain Wednesday with no holiday near: 10:58 in Warsaw.
WEDNESDAY = datetime(2027, 1, 13, 9, 58)
RETENTION_DAYS = 730  # the default


@pytest.fixture
def settings(settings):
    return {**settings, "JOBS_ASYNC": False, "JOB_RETRY_INTERVALS": (),
            "CALLBACK_HOURS": "mo-su 0:00-24:00",
            "RATELIMIT_KEY_PREFIX": settings["REDIS_PREFIX"]}


def travel_to(moment: datetime) -> None:
    """Set the hub's clock to a UTC moment (the app fixture resets it)."""
    clock.advance((moment - clock.utcnow()).total_seconds())


@pytest.fixture(autouse=True)
def wednesday(app):
    travel_to(WEDNESDAY)


@pytest.fixture
def anna(staff):
    """Anna, available, takes whatever she is offered in the tests."""
    sio = staff(ANNA)
    assert emit(sio, "/staff", "presence", {"status": "available"})["ok"]
    return sio


def _newest(app, channel: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Interaction.id).where(Interaction.channel == channel)
                                 .order_by(Interaction.id.desc()).limit(1))


def _take(anna, interaction_id: int) -> None:
    answer = emit(anna, "/staff", "accept", {"interaction_id": interaction_id})
    assert answer["ok"], answer


def _close(anna, interaction_id: int, disposition: str = "resolved") -> None:
    answer = emit(anna, "/staff", "close", {"interaction_id": interaction_id,
                                            "disposition": disposition})
    assert answer["ok"], answer


def chat(app, resident, anna, *, name: str, says: str, note: str, reply: str,
         stars: int = 4, comment: str | None = None) -> int:
    """A web chat: the resident writes, Anna notes and replies, closes; the resident rates."""
    sio = resident()
    started = emit(sio, "/chat", "start", {"department": "registry", "name": name,
                                           "consent": True})
    assert started["ok"], started
    token, interaction_id = started["token"], started["status"]["interaction_id"]
    _take(anna, interaction_id)
    assert emit(sio, "/chat", "message", {"token": token, "client_id": uuid.uuid4().hex,
                                          "body": says})["ok"]
    assert emit(anna, "/staff", "note", {"interaction_id": interaction_id, "body": note})["ok"]
    assert emit(anna, "/staff", "reply", {"interaction_id": interaction_id, "body": reply})["ok"]
    _close(anna, interaction_id)
    rated = emit(sio, "/chat", "rate", {"token": token, "stars": stars, "comment": comment})
    assert rated["ok"], rated
    return interaction_id


def sms(app, client, anna, *, phone: str, says: str, reply: str) -> int:
    """A text conversation: the text comes through the signed webhook; the reply goes to
    the outbox (Twilio is not configured in the tests)."""
    assert sms_in(client, says, "SM" + uuid.uuid4().hex, phone=phone).status_code == 200
    interaction_id = _newest(app, "sms")
    _take(anna, interaction_id)
    assert emit(anna, "/staff", "reply", {"interaction_id": interaction_id, "body": reply})["ok"]
    _close(anna, interaction_id)
    return interaction_id


def callback(app, client, anna, *, phone: str, name: str, talk_seconds: int = 95) -> int:
    """A call back asked for on /callback, rung with Call now (the dev phone plays
    Twilio), answered, and closed."""
    form = {"department": "general", "phone": phone, "name": name,
            "window": soonest(app)[0], "consent": "yes"}
    assert client.post("/callback", data=form).status_code == 302
    interaction_id = _newest(app, "callback")
    _take(anna, interaction_id)
    assert emit(anna, "/staff", "call", {"interaction_id": interaction_id})["ok"]
    with app.app_context():
        attempt = db.session.scalar(select(CallAttempt.id).where(
            CallAttempt.interaction_id == interaction_id))
    twilio_post(client, f"/channels/voice/bridge/{attempt}", {"CallStatus": "in-progress"})
    twilio_post(client, f"/channels/voice/resident/{attempt}", {"CallStatus": "in-progress"})
    twilio_post(client, f"/channels/voice/dialled/{attempt}",
                {"DialCallStatus": "completed", "DialCallDuration": str(talk_seconds)})
    twilio_post(client, f"/channels/voice/status/{attempt}",
                {"CallStatus": "completed", "CallDuration": str(talk_seconds + 15)})
    _close(anna, interaction_id)
    return interaction_id


def visit(app, client, *, name: str, phone: str | None, email: str | None,
          outcome: str = "done", days_ahead: int = 0,
          rating: tuple[int, str] | None = None) -> str:
    """A visit booked through the API and confirmed with the code sent; then at the office
    checked in and done (and rated from the link sent after it), or cancelled by the
    resident, or left to come ("confirmed"). Returns its reference."""
    with app.app_context():
        day = (clock.to_local(clock.utcnow()) + timedelta(days=days_ahead)).date().isoformat()
    listing = client.get("/api/v1/services/dowod-osobisty/offices/ratusz/slots"
                         f"?from={day}&days=3").json["slots"]
    body = {"service": "dowod-osobisty", "office": "ratusz",
            "starts_at": listing[0]["starts_at"], "name": name, "language": "pl",
            **({"phone": phone} if phone else {}), **({"email": email} if email else {})}
    held = client.post("/api/v1/bookings", json=body)
    assert held.status_code == 201, held.json
    code = re.search(r"\b(\d{6})\b", _last_sent(app, held.json)).group(1)
    token = held.json["token"]
    confirmed = client.post(f"/api/v1/bookings/{token}/confirm", json={"code": code})
    assert confirmed.json["state"] == "confirmed", confirmed.json
    if outcome == "cancelled":
        assert client.post(f"/api/v1/bookings/{token}/cancel", json={}).status_code == 200
    elif outcome == "done":
        office = login(app, ANNA)
        booking_id = _booking_id(app, held.json["reference"])
        for action in ("check-in", "done"):
            assert office.post(f"/office/visits/{booking_id}/{action}").status_code == 302
        if rating:
            link = re.search(r"https?://[^/\s]+(/visit/rate/\S+)", _last_sent(app, held.json))
            stars, comment = rating
            rated = client.post(link.group(1), data={"stars": str(stars), "comment": comment})
            assert rated.status_code == 302, rated.get_data(as_text=True)
    return held.json["reference"]


def _last_sent(app, booking: dict) -> str:
    with app.app_context():
        return db.session.scalar(select(OutboxEntry.body).where(
            OutboxEntry.to == (booking.get("phone") or booking["email"]))
            .order_by(OutboxEntry.id.desc()).limit(1))


def _booking_id(app, reference: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Booking.id).where(Booking.reference == reference))


def past_retention(days: int = RETENTION_DAYS) -> None:
    """Move the clock a day past the retention period after the Wednesday."""
    travel_to(WEDNESDAY + timedelta(days=days + 1))

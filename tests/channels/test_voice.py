"""Calls through the real twilio library: Call now, the resident's leg, and the hotline."""

from __future__ import annotations

import json
import logging
from datetime import datetime, time, timedelta
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

from channels.models import OutboxEntry
from channels.twilio_gateway import DEV_AUTH_TOKEN
from hub import clock
from hub.callbacks.models import CallAttempt, CallbackRequest
from hub.extensions import db
from hub.hours.service import is_open
from hub.interactions.models import Interaction, InteractionEvent
from hub.interactions.service import find_department
from tests.conftest import ANNA, emit

RESIDENT = "+48601234567"
WARSAW = ZoneInfo("Europe/Warsaw")
BASE = "http://localhost"
TWILIO_BASE = "https://hub.example.pl"


@pytest.fixture
def settings(settings):
    # Calls may be made at any hour, so the tests do not depend on when they run.
    return {**settings, "JOBS_ASYNC": False, "JOB_RETRY_INTERVALS": (),
            "CALLBACK_HOURS": "mo-su 0:00-24:00"}


@pytest.fixture(autouse=True)
def daytime(app):
    """Tomorrow at 10:00 in Warsaw, so "the soonest window" is open now at any hour."""
    now = datetime.now(WARSAW)
    ten = datetime.combine(now.date() + timedelta(days=1), time(10), WARSAW)
    clock.advance((ten - now).total_seconds())


class RecordingTwilio(HttpClient):
    """Twilio's HTTP layer, answered here: records each request."""

    def __init__(self):
        super().__init__(logger=logging.getLogger("twilio.recorded"), is_async=False)
        self.requests: list[dict] = []

    def request(self, method, uri, params=None, data=None, headers=None, auth=None,
                timeout=None, allow_redirects=False):
        self.requests.append({"method": method, "uri": uri, "data": dict(data or {})})
        prefix = "CA" if uri.endswith("Calls.json") else "SM"
        return Response(201, json.dumps({"sid": f"{prefix}{len(self.requests):032d}",
                                         "status": "queued"}))


def twilio_post(client, path, form, token=DEV_AUTH_TOKEN, base=BASE):
    signature = RequestValidator(token).compute_signature(base + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def hotline_callback(client, phone=RESIDENT):
    return twilio_post(client, "/channels/voice/menu?lang=pl", {"From": phone, "Digits": "1"})


def offered_callback(app, client, staff):
    """A hotline callback, accepted by Anna."""
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    assert hotline_callback(client).status_code == 200
    with app.app_context():
        interaction_id = db.session.query(Interaction.id).filter_by(channel="callback").scalar()
    assert emit(anna, "/staff", "accept", {"interaction_id": interaction_id})["ok"]
    return anna, interaction_id


def events(app, interaction_id):
    with app.app_context():
        return [e.kind for e in db.session.query(InteractionEvent)
                .filter_by(interaction_id=interaction_id).order_by(InteractionEvent.id)]


def test_hotline_webhooks_must_be_signed(app, client):
    assert client.post("/channels/voice/inbound", data={"From": RESIDENT}).status_code == 403
    assert twilio_post(client, "/channels/voice/menu?lang=pl", {"From": RESIDENT, "Digits": "1"},
                       token="wrong").status_code == 403
    with app.app_context():
        assert db.session.query(Interaction).count() == 0


def test_the_hotline_offers_a_callback_in_polish_and_english(app, client):
    answer = twilio_post(client, "/channels/voice/inbound?lang=pl", {"From": RESIDENT})
    twiml = ElementTree.fromstring(answer.get_data(as_text=True))
    gather = twiml.find("Gather")
    assert gather.get("action") == "/channels/voice/menu?lang=pl"
    said = " ".join(s.text for s in gather.findall("Say"))
    assert "Naciśnij 1" in said and "For English, press 9." in said
    assert gather.find("Say").get("language") == "pl-PL"

    english = twilio_post(client, "/channels/voice/menu?lang=pl", {"From": RESIDENT, "Digits": "9"})
    assert ElementTree.fromstring(english.get_data(as_text=True)).find("Redirect").text == (
        "/channels/voice/inbound?lang=en")
    answer = twilio_post(client, "/channels/voice/inbound?lang=en", {"From": RESIDENT})
    assert "Press 1" in answer.get_data(as_text=True)


def test_pressing_1_arranges_a_callback_confirmed_by_text(app, client):
    answer = hotline_callback(client)
    assert "Dziękujemy" in answer.get_data(as_text=True)
    with app.app_context():
        interaction = db.session.query(Interaction).one()
        assert (interaction.channel, interaction.resident_handle) == ("callback", RESIDENT)
        assert interaction.state in ("queued", "offered")  # calls may be made now
        assert db.session.query(CallbackRequest).one().requested_via == "hotline"
        confirmation = db.session.query(OutboxEntry).filter_by(kind="sms").one()
        assert confirmation.to == RESIDENT and "/callback/cancel/" in confirmation.body
    # Pressing 1 again does not arrange a second call.
    again = hotline_callback(client)
    assert "już umówione" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Interaction).count() == 1


def test_a_withheld_number_is_told_to_use_chat_or_text(app, client):
    answer = hotline_callback(client, phone="anonymous")
    assert "nie widzimy" in answer.get_data(as_text=True).lower()
    with app.app_context():
        assert db.session.query(Interaction).count() == 0


def test_call_now_rings_the_clerk_through_the_rest_api_and_bridges_to_the_resident(
        app, client, staff):
    anna, interaction_id = offered_callback(app, client, staff)
    app.config.update(TWILIO_ACCOUNT_SID="AC" + "1" * 32, TWILIO_AUTH_TOKEN="secret-token",
                      TWILIO_FROM_NUMBER="+48221234567", PUBLIC_URL=TWILIO_BASE)
    recorder = RecordingTwilio()
    app.extensions["okienko.twilio_http"] = recorder

    answer = emit(anna, "/staff", "call", {"interaction_id": interaction_id})
    assert answer["ok"], answer
    [placed] = [r for r in recorder.requests if r["uri"].endswith("/Calls.json")]
    with app.app_context():
        attempt = db.session.query(CallAttempt).one()
        assert (attempt.status, attempt.call_sid) == ("ringing_clerk", "CA" + "1".zfill(32))
    assert placed["data"] == {
        "To": "+48221000001", "From": "+48221234567",
        "Url": f"{TWILIO_BASE}/channels/voice/bridge/{attempt.id}",
        "StatusCallback": f"{TWILIO_BASE}/channels/voice/status/{attempt.id}", "Timeout": 30,
    }
    # A second Call now while this one rings is refused.
    assert emit(anna, "/staff", "call", {"interaction_id": interaction_id})["code"] == (
        "call_in_progress")

    # Anna answers: Twilio fetches the bridge, which dials the resident.
    bridge = twilio_post(client, f"/channels/voice/bridge/{attempt.id}",
                         {"CallSid": attempt.call_sid, "CallStatus": "in-progress"},
                         token="secret-token", base=TWILIO_BASE)
    dial = ElementTree.fromstring(bridge.get_data(as_text=True)).find("Dial")
    assert dial.find("Number").text == RESIDENT
    assert dial.get("action") == f"{TWILIO_BASE}/channels/voice/dialled/{attempt.id}"
    assert dial.get("callerId") == "+48221234567"
    number = dial.find("Number")
    assert number.get("statusCallbackEvent") == "answered"
    assert number.get("statusCallback") == f"{TWILIO_BASE}/channels/voice/resident/{attempt.id}"

    # The resident picks up: the console shows them talking.
    twilio_post(client, f"/channels/voice/resident/{attempt.id}", {"CallStatus": "in-progress"},
                token="secret-token", base=TWILIO_BASE)
    with app.app_context():
        assert db.session.get(CallAttempt, attempt.id).status == "answered"

    # They talk for 95 seconds; the call stays with Anna, who closes it with an outcome.
    twilio_post(client, f"/channels/voice/dialled/{attempt.id}",
                {"DialCallStatus": "completed", "DialCallDuration": "95"},
                token="secret-token", base=TWILIO_BASE)
    twilio_post(client, f"/channels/voice/status/{attempt.id}",
                {"CallStatus": "completed", "CallDuration": "110"},
                token="secret-token", base=TWILIO_BASE)
    with app.app_context():
        attempt = db.session.get(CallAttempt, attempt.id)
        assert (attempt.status, attempt.talk_seconds, attempt.call_seconds) == ("completed", 95, 110)
        assert db.session.get(Interaction, interaction_id).state == "assigned"
        assert db.session.query(CallbackRequest).one().outcome == "reached"
    # The line dropped; Anna calls again and nobody answers: she keeps the contact.
    assert emit(anna, "/staff", "call", {"interaction_id": interaction_id})["ok"]
    with app.app_context():
        second = db.session.query(CallAttempt).order_by(CallAttempt.id.desc()).first().id
    twilio_post(client, f"/channels/voice/dialled/{second}", {"DialCallStatus": "no-answer"},
                token="secret-token", base=TWILIO_BASE)
    with app.app_context():
        assert db.session.get(CallAttempt, second).status == "not_reached"
        assert db.session.get(Interaction, interaction_id).state == "assigned"
    assert emit(anna, "/staff", "close", {"interaction_id": interaction_id,
                                          "disposition": "resolved"})["ok"]
    timeline = [e for e in events(app, interaction_id) if e.startswith("call_")]
    assert timeline == ["call_placed", "call_ringing_clerk", "call_dialling_resident",
                        "call_resident_answered", "call_answered", "call_ended",
                        "call_placed", "call_ringing_clerk", "call_not_reached"]


def test_a_clerk_phone_that_does_not_answer_does_not_count_as_an_attempt(app, client, staff):
    anna, interaction_id = offered_callback(app, client, staff)
    assert emit(anna, "/staff", "call", {"interaction_id": interaction_id,
                                         "phone": "22 100 00 09"})["ok"]
    with app.app_context():
        attempt = db.session.query(CallAttempt).one()
        assert attempt.clerk_phone == "+48221000009"
    twilio_post(client, f"/channels/voice/status/{attempt.id}",
                {"CallStatus": "no-answer", "CallDuration": "0"})
    with app.app_context():
        assert db.session.get(CallAttempt, attempt.id).status == "clerk_unreachable"
        assert db.session.get(Interaction, interaction_id).state == "assigned"
    assert "call_clerk_unreachable" in events(app, interaction_id)
    # Anna can try again at once.
    assert emit(anna, "/staff", "call", {"interaction_id": interaction_id})["ok"]


def test_a_bad_clerk_phone_is_refused(app, client, staff):
    anna, interaction_id = offered_callback(app, client, staff)
    answer = emit(anna, "/staff", "call", {"interaction_id": interaction_id, "phone": "12"})
    assert answer["code"] == "bad_phone" and "numer" in answer["error"]
    with app.app_context():
        assert db.session.query(CallAttempt).count() == 0


def test_only_the_clerk_holding_the_callback_can_call(app, client, staff):
    _anna, interaction_id = offered_callback(app, client, staff)
    piotr = staff("piotr@okienko.local")
    assert emit(piotr, "/staff", "call", {"interaction_id": interaction_id})["code"] == "not_yours"


def test_with_a_short_wait_the_hotline_puts_callers_through_to_the_switchboard(app, client):
    app.config.update(HOTLINE_FORWARD_NUMBER="+48221111111")
    answer = ElementTree.fromstring(
        twilio_post(client, "/channels/voice/inbound", {"From": RESIDENT}).get_data(as_text=True))
    assert answer.find("Dial").text == "+48221111111"
    assert answer.find("Gather") is None


def test_when_closed_the_hotline_says_so_and_offers_a_callback(app, client, runner):
    app.config.update(HOTLINE_FORWARD_NUMBER="+48221111111")
    # General answers only in the first minute of Monday: closed whenever this runs
    # (but for that minute, which the clock is moved past).
    assert runner.invoke(args=["hours", "set", "general", "mo 0:00-0:01"]).exit_code == 0
    with app.app_context():
        if is_open(find_department("general")):
            clock.advance(120)
    answer = ElementTree.fromstring(
        twilio_post(client, "/channels/voice/inbound", {"From": RESIDENT}).get_data(as_text=True))
    said = " ".join(s.text for s in answer.find("Gather").findall("Say"))
    assert "nieczynny" in said and "Naciśnij 1" in said
    assert answer.find("Dial") is None

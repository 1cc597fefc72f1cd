"""SMS through the real twilio library: signed webhooks in, REST (or the outbox) out."""

from __future__ import annotations

import json
import logging

import pytest
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

from channels.models import OptOut, OutboxEntry
from channels.sms import split_text
from channels.twilio_gateway import DEV_AUTH_TOKEN
from hub.extensions import db
from hub.interactions.models import Interaction, InteractionEvent, Message
from tests.conftest import ANNA, emit

PHONE = "+48601234567"
BASE = "http://localhost"


class RecordingTwilio(HttpClient):
    """Twilio's HTTP layer, answered here: records each request, replies with `answers`."""

    def __init__(self, answers: list[tuple[int, dict]] | None = None):
        super().__init__(logger=logging.getLogger("twilio.recorded"), is_async=False)
        self.requests: list[dict] = []
        self.answers = answers or []

    def request(self, method, uri, params=None, data=None, headers=None, auth=None,
                timeout=None, allow_redirects=False):
        self.requests.append({"method": method, "uri": uri, "data": dict(data or {})})
        status, body = self.answers.pop(0) if self.answers else (
            201, {"sid": f"SM{len(self.requests):032d}", "status": "queued"})
        return Response(status, json.dumps(body))


@pytest.fixture
def settings(settings):
    return {**settings, "JOBS_ASYNC": False, "JOB_RETRY_INTERVALS": ()}


def sms_in(client, body, sid, phone=PHONE, token=DEV_AUTH_TOKEN, path="/channels/sms/inbound"):
    form = {"From": phone, "To": "+48221234567", "Body": body, "MessageSid": sid}
    signature = RequestValidator(token).compute_signature(BASE + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def test_unsigned_or_forged_webhooks_are_refused_and_change_nothing(app, client):
    form = {"From": PHONE, "Body": "hej", "MessageSid": "SM1"}
    assert client.post("/channels/sms/inbound", data=form).status_code == 403
    assert sms_in(client, "hej", "SM1", token="wrong").status_code == 403
    with app.app_context():
        assert db.session.query(Interaction).count() == 0


def test_a_text_opens_a_conversation_and_a_retried_webhook_is_stored_once(app, client):
    first = sms_in(client, "Dzień dobry, pytanie o podatek", "SM100")
    assert first.status_code == 200 and first.mimetype == "application/xml"
    assert "1. w kolejce" in first.get_data(as_text=True)
    assert sms_in(client, "Dzień dobry, pytanie o podatek", "SM100").status_code == 200
    sms_in(client, "I jeszcze jedno", "SM101")
    with app.app_context():
        interaction = db.session.query(Interaction).one()
        assert (interaction.channel, interaction.resident_handle) == ("sms", PHONE)
        assert [m.body for m in interaction.messages if m.kind == "in"] == [
            "Dzień dobry, pytanie o podatek", "I jeszcze jedno"]


def accepted(app, client, staff):
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    sms_in(client, "Pytanie", "SM200")
    with app.app_context():
        interaction_id = db.session.query(Interaction.id).scalar()
    assert emit(anna, "/staff", "accept", {"interaction_id": interaction_id})["ok"]
    return anna, interaction_id


def test_without_twilio_a_reply_goes_to_the_outbox(app, client, staff):
    anna, interaction_id = accepted(app, client, staff)
    answer = emit(anna, "/staff", "reply", {"interaction_id": interaction_id, "body": "Dzień dobry"})
    assert answer["ok"], answer
    with app.app_context():
        entry = db.session.query(OutboxEntry).one()
        assert (entry.kind, entry.to, entry.body) == ("sms", PHONE, "Dzień dobry")
        message = db.session.query(Message).filter_by(kind="out").one()
        assert (message.delivery, message.external_id) == ("sent", entry.sid)


def configure_twilio(app) -> RecordingTwilio:
    app.config.update(TWILIO_ACCOUNT_SID="AC" + "1" * 32, TWILIO_AUTH_TOKEN="secret-token",
                      TWILIO_FROM_NUMBER="+48221234567", PUBLIC_URL="https://hub.example.pl")
    recorder = RecordingTwilio()
    app.extensions["okienko.twilio_http"] = recorder
    return recorder


@pytest.fixture
def twilio(app):
    return configure_twilio(app)


def test_with_twilio_a_reply_is_sent_through_the_rest_api(app, client, staff, twilio):
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    form = {"From": PHONE, "Body": "Pytanie", "MessageSid": "SM300"}
    url = "https://hub.example.pl/channels/sms/inbound"
    signature = RequestValidator("secret-token").compute_signature(url, form)
    assert client.post("/channels/sms/inbound", data=form,
                       headers={"X-Twilio-Signature": signature}).status_code == 200
    with app.app_context():
        interaction_id = db.session.query(Interaction.id).scalar()
    emit(anna, "/staff", "accept", {"interaction_id": interaction_id})
    emit(anna, "/staff", "reply", {"interaction_id": interaction_id, "body": "Odpowiedź"})
    [sent] = twilio.requests
    assert sent["method"] == "POST" and sent["uri"].endswith(f"/Accounts/{'AC' + '1' * 32}/Messages.json")
    assert sent["data"] == {"To": PHONE, "From": "+48221234567", "Body": "Odpowiedź",
                            "StatusCallback": "https://hub.example.pl/channels/sms/status"}

    # Twilio reports delivery on the status callback.
    with app.app_context():
        sid = db.session.query(Message).filter_by(kind="out").one().external_id
    status = {"MessageSid": sid, "MessageStatus": "delivered"}
    signature = RequestValidator("secret-token").compute_signature(
        "https://hub.example.pl/channels/sms/status", status)
    assert client.post("/channels/sms/status", data=status,
                       headers={"X-Twilio-Signature": signature}).status_code == 204
    with app.app_context():
        assert db.session.query(Message).filter_by(kind="out").one().delivery == "delivered"


def test_a_twilio_error_after_the_last_try_marks_the_reply_failed(app, client, staff, twilio):
    twilio.answers = [(400, {"code": 21211, "message": "The 'To' number is not valid.",
                             "status": 400})]
    app.config.update(PUBLIC_URL="")
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    form = {"From": PHONE, "Body": "Pytanie", "MessageSid": "SM400"}
    signature = RequestValidator("secret-token").compute_signature(
        BASE + "/channels/sms/inbound", form)
    client.post("/channels/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})
    with app.app_context():
        interaction_id = db.session.query(Interaction.id).scalar()
    emit(anna, "/staff", "accept", {"interaction_id": interaction_id})
    assert emit(anna, "/staff", "reply", {"interaction_id": interaction_id, "body": "X"})["ok"]
    with app.app_context():
        assert db.session.query(Message).filter_by(kind="out").one().delivery == "failed"
        event = db.session.query(InteractionEvent).filter_by(kind="delivery_failed").one()
        assert event.data["error"] == 21211
        message_id = db.session.query(Message.id).filter_by(kind="out").scalar()

    # The clerk sends it again from the console; this time Twilio takes it.
    answer = emit(anna, "/staff", "resend", {"interaction_id": interaction_id,
                                             "message_id": message_id})
    assert answer["ok"] and answer["message"]["delivery"] == "sent"
    assert len(twilio.requests) == 2
    # A delivered message cannot be sent again.
    again = emit(anna, "/staff", "resend", {"interaction_id": interaction_id,
                                            "message_id": message_id})
    assert again["code"] == "not_resendable" and "Ponownie" in again["error"]


def test_stop_stops_replies_and_start_allows_them_again(app, client, staff):
    anna, interaction_id = accepted(app, client, staff)
    assert "START" in sms_in(client, "stop", "SM500").get_data(as_text=True)
    emit(anna, "/staff", "reply", {"interaction_id": interaction_id, "body": "Halo?"})
    with app.app_context():
        assert db.session.query(OutboxEntry).count() == 0
        assert db.session.query(Message).filter_by(kind="out").one().delivery == "opted_out"
    sms_in(client, "START", "SM501")
    with app.app_context():
        assert db.session.get(OptOut, PHONE) is None
    emit(anna, "/staff", "reply", {"interaction_id": interaction_id, "body": "Znowu"})
    with app.app_context():
        assert db.session.query(OutboxEntry).one().body == "Znowu"


def test_long_replies_are_split_at_word_ends():
    text = ("Słowo " * 400).strip()
    parts = split_text(text)
    assert len(parts) == 2 and all(len(p) <= 1600 for p in parts)
    assert " ".join(parts) == text
    assert all(not p.startswith(" ") and not p.endswith(" ") for p in parts)


def test_the_real_worker_retries_after_a_twilio_error(app, client, staff, redis_url):
    """With a real RQ SimpleWorker on Redis: an error, then success on the retry."""
    from channels.sms import send_sms_job
    from queueing.jobs import enqueue, make_queue, work

    anna, interaction_id = accepted(app, client, staff)
    twilio = configure_twilio(app)
    twilio.answers = [(500, {"code": 20500, "message": "Internal error", "status": 500})]
    app.config["JOBS_ASYNC"] = True
    with app.app_context():
        message = Message(interaction_id=interaction_id, kind="out", body="Ponowna próba")
        db.session.add(message)
        db.session.commit()
        queue = make_queue(redis_url, name=f"test-{interaction_id}-{message.id}")
        enqueue(queue, send_sms_job, message.id, retry_intervals=(0,))
        work([queue], burst=True)
        work([queue], burst=True)  # the retry, re-queued by the scheduler
        message = db.session.get(Message, message.id)
        db.session.refresh(message)
        assert message.delivery == "sent", message.delivery
    assert len(twilio.requests) == 2


def test_replies_whose_jobs_were_lost_with_redis_are_sent_after_the_rebuild(app, client, staff):
    """A reply committed but never sent (its job died with Redis) goes out after a rebuild."""
    from hub.interactions import routing
    from hub.queue import router

    anna, interaction_id = accepted(app, client, staff)
    with app.app_context():
        db.session.add(Message(interaction_id=interaction_id, kind="out", body="Zaległa"))
        db.session.commit()
        for key in router().redis.scan_iter(match=router().prefix + "*"):
            router().redis.delete(key)
        routing.sweep()
        entry = db.session.query(OutboxEntry).one()
        assert (entry.body, entry.to) == ("Zaległa", PHONE)
        assert db.session.query(Message).filter_by(body="Zaległa").one().delivery == "sent"


def test_a_number_reply_chooses_the_topic_and_keeps_the_place(app, client):
    """Does the first answer offer a menu, and does '2' move the text to that department?"""
    first = sms_in(client, "Chcę przerejestrować samochód", "SM600").get_data(as_text=True)
    assert "odpisz jego numerem" in first and "2 Rejestracja pojazdów" in first
    with app.app_context():
        before = db.session.query(Interaction).one().queued_at
    chosen = sms_in(client, "2", "SM601").get_data(as_text=True)
    assert "Temat: Rejestracja pojazdów i prawa jazdy" in chosen and "1. w kolejce" in chosen
    with app.app_context():
        from hub.queue import router

        interaction = db.session.query(Interaction).one()
        assert interaction.department.code == "vehicles" and interaction.queued_at == before
        assert router().waiting("vehicles") == [interaction.id]
        assert router().waiting("general") == []
        assert db.session.query(InteractionEvent).filter_by(kind="department_chosen").count() == 1
    # Once a topic is set and a number is just a number, nothing moves.
    assert "Temat" not in sms_in(client, "99", "SM602").get_data(as_text=True)

"""The offline test phone: texts go in through the real signed webhook, replies come back."""

import pytest

from hub.extensions import db
from hub.interactions.models import Interaction
from tests.conftest import ANNA, emit


@pytest.fixture
def settings(settings):
    return {**settings, "JOBS_ASYNC": False, "JOB_RETRY_INTERVALS": ()}


def test_a_text_from_the_test_phone_reaches_the_queue_and_the_reply_comes_back(app, client,
                                                                               staff):
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    answer = client.post("/dev/phone/send", data={"number": "601 234 567", "body": "Dzień dobry"})
    assert answer.status_code == 200 and answer.json["status"] == 200
    assert "w kolejce" in answer.json["twiml"]
    with app.app_context():
        interaction = db.session.query(Interaction).one()
        assert (interaction.channel, interaction.resident_handle) == ("sms", "+48601234567")
    emit(anna, "/staff", "accept", {"interaction_id": interaction.id})
    emit(anna, "/staff", "reply", {"interaction_id": interaction.id, "body": "Słucham?"})
    feed = client.get("/dev/phone/feed?number=%2B48601234567").json["items"]
    assert [(i["from"], i["body"]) for i in feed] == [("me", "Dzień dobry"), ("city", "Słucham?")]


def test_bad_input_is_refused_and_changes_nothing(app, client):
    refused = client.post("/dev/phone/send", data={"number": "12", "body": "x"})
    assert refused.status_code == 400 and "numer" in refused.json["error"]
    assert client.post("/dev/phone/send", data={"number": "601234567", "body": " "}).status_code == 400
    with app.app_context():
        assert db.session.query(Interaction).count() == 0


def test_the_test_phone_does_not_exist_when_twilio_is_configured(app, client):
    assert client.get("/dev/phone").status_code == 200
    app.config.update(TWILIO_ACCOUNT_SID="AC1", TWILIO_AUTH_TOKEN="t", TWILIO_FROM_NUMBER="+48221")
    assert client.get("/dev/phone").status_code == 404
    assert client.post("/dev/phone/send", data={"number": "601234567", "body": "x"}).status_code == 404


def test_the_test_phone_is_off_unless_asked_for(settings):
    """Is /dev/phone (which can read every text in the outbox) absent from a hub that did not
    ask for it, as under gunicorn in production?"""
    from hub import create_app

    hub = create_app({k: v for k, v in settings.items() if k != "DEV_PHONE"})
    client = hub.test_client()
    assert client.get("/dev/phone").status_code == 404
    assert client.get("/dev/phone/feed?number=601234567").status_code == 404

"""Asking for a call back by text: ODDZWOŃ / CALLBACK / CALL ME to the hub's SMS number."""

from __future__ import annotations

import html

import pytest
from flask_babel import gettext

from channels.models import OutboxEntry
from hub.callbacks.models import CallbackRequest
from hub.callbacks.windows import windows
from hub.errors import InvalidInput
from hub.extensions import db
from hub.interactions.models import Interaction
from hub.interactions.service import find_department
from tests.channels.test_sms import PHONE, sms_in


@pytest.fixture
def settings(settings):
    return {**settings, "JOBS_ASYNC": False, "JOB_RETRY_INTERVALS": ()}


def answer_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_oddzwon_arranges_a_call_back_confirmed_by_its_own_text(app, client):
    """Is ODDZWOŃ (any case, with or without the accent) a call back in the soonest window,
    with the TwiML answer left empty because the confirmation is a text of its own?"""
    answer = sms_in(client, "  oddzwoń! ", "SM700")
    assert answer.status_code == 200 and "<Message>" not in answer_text(answer)
    with app.app_context():
        callback = db.session.query(CallbackRequest).one()
        interaction = callback.interaction
        assert (interaction.channel, interaction.department.code) == ("callback", "general")
        assert (callback.phone, callback.requested_via) == (PHONE, "sms")
        assert callback.window_start == windows(find_department("general"))[0].start
        entry = db.session.query(OutboxEntry).one()
        assert entry.to == PHONE and "/callback/cancel/" in entry.body
        assert [m.body for m in interaction.messages if m.kind == "in"] == ["oddzwoń!"]
    # Twilio retrying the same webhook arranges nothing more and says nothing.
    assert "<Message>" not in answer_text(sms_in(client, "oddzwoń!", "SM700"))
    # A second request is refused, in the resident's language.
    again = answer_text(sms_in(client, "ODDZWON", "SM701"))
    with app.test_request_context("/?lang=pl"):
        assert InvalidInput("callback_exists").message in again
    with app.app_context():
        assert db.session.query(CallbackRequest).count() == 1


def test_call_me_turns_a_waiting_text_into_a_call_back_for_its_topic(app, client):
    """Does the menu mention the keyword, and does CALL ME end the waiting text, keeping
    the topic the resident chose for it?"""
    first = answer_text(sms_in(client, "Chcę przerejestrować samochód", "SM800"))
    with app.test_request_context("/?lang=pl"):
        assert gettext("Or send CALLBACK and we will call you back.") in first
    sms_in(client, "2", "SM801")  # vehicles
    assert "<Message>" not in answer_text(sms_in(client, "Call me", "SM802"))
    with app.app_context():
        text = db.session.query(Interaction).filter_by(channel="sms").one()
        callback = db.session.query(CallbackRequest).one()
        assert text.state == "abandoned"
        assert callback.interaction.department.code == "vehicles"
        assert callback.requested_via == "sms"

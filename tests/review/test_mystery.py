"""Mystery shoppers: a chat, a text or a callback that looks ordinary to the clerk, is
flagged only in the record, and is scored and reported on its own."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select, update

from hub import clock
from hub.callbacks.models import CallbackRequest
from hub.extensions import db
from hub.interactions.models import Interaction, InteractionEvent
from hub.review.models import MysteryShop, Review
from hub.review.service import current_version
from tests.channels.test_sms import sms_in
from tests.conftest import ANNA, EWA, drain, emit, login
from tests.review.listdata import department

SCENARIO = "Pytam o odpis aktu urodzenia dla córki; dobra odpowiedź: 22 zł, ePUAP lub USC."
SHOPPER_PHONE = "+48601234567"


@pytest.fixture
def settings(settings):
    return {**settings, "JOBS_ASYNC": False, "JOB_RETRY_INTERVALS": ()}


def start(http, channel: str, dept: str = "registry", **fields) -> object:
    with http.application.app_context():
        department_id = department(dept).id
    return http.post("/supervisor/mystery?lang=en", data={
        "department": department_id, "channel": channel, "scenario": SCENARIO, **fields})


def chat_tokens(http) -> list[str]:
    """The tokens in the chat links the mystery page offers, oldest first."""
    page = http.get("/supervisor/mystery?lang=en").data.decode()
    tokens = []
    for link in re.findall(r'value="(http[^"]+)"', page):
        query = parse_qs(urlparse(html.unescape(link)).query)
        assert query["department"] == ["registry"]
        tokens.append(query["mystery"][0])
    return tokens


def chat_token(http) -> str:
    return chat_tokens(http)[-1]


def flagged(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(
            select(Interaction.id).where(Interaction.mystery_shopper.is_(True))))


def test_a_chat_shopper_looks_ordinary_to_the_clerk(app, resident, staff):
    ewa = login(app, EWA)
    assert start(ewa, "webchat").status_code == 302
    token = chat_token(ewa)
    anna = staff(ANNA)
    assert emit(anna, "/staff", "presence", {"status": "available"})["ok"]
    sio = resident()
    started = emit(sio, "/chat", "start", {"department": "registry", "consent": True,
                                           "mystery": token})
    assert started["ok"], started
    interaction_id, chat = started["status"]["interaction_id"], started["token"]
    accepted = emit(anna, "/staff", "accept", {"interaction_id": interaction_id})
    emit(sio, "/chat", "message", {"token": chat, "client_id": "m1", "body": "Ile kosztuje odpis?"})
    replied = emit(anna, "/staff", "reply", {"interaction_id": interaction_id, "body": "22 zł."})
    emit(anna, "/staff", "close", {"interaction_id": interaction_id, "disposition": "resolved"})
    # Everything the console got: the acks (the sending tab's copy of a reply) and the events.
    seen = json.dumps([accepted, replied, drain(anna, "/staff")], ensure_ascii=False).lower()
    assert str(interaction_id) in seen and "22 zł." in seen
    assert "mystery" not in seen and SCENARIO.lower() not in seen and "ePUAP".lower() not in seen
    assert "mystery" not in login(app, ANNA).get("/console").data.decode().lower()

    assert flagged(app) == [interaction_id]
    with app.app_context():
        shop = db.session.scalar(select(MysteryShop))
        assert (shop.interaction_id, shop.scenario, shop.department.code) == (
            interaction_id, SCENARIO, "registry")
        kinds = [e.kind for e in db.session.scalars(select(InteractionEvent).where(
            InteractionEvent.interaction_id == interaction_id))]
        assert "mystery_shop_linked" in kinds

    again = emit(resident(), "/chat", "start", {"department": "registry", "consent": True,
                                                "mystery": token})
    assert not again["ok"] and again["code"] == "mystery_link"
    forged = emit(resident(), "/chat", "start", {"department": "registry", "consent": True,
                                                 "mystery": token[:-2] + "xx"})
    assert forged["code"] == "mystery_link"
    assert flagged(app) == [interaction_id]


def test_a_chat_link_expires_and_can_be_withdrawn(app, resident):
    ewa = login(app, EWA)
    start(ewa, "webchat")
    start(ewa, "webchat")
    withdrawn, kept = chat_tokens(ewa)
    page = ewa.get("/supervisor/mystery?lang=en").data.decode()
    first_event = re.search(r"/supervisor/mystery/pending/(\d+)/withdraw", page)[1]
    assert ewa.post(f"/supervisor/mystery/pending/{first_event}/withdraw").status_code == 302
    # The same pending contact (the page signs its link again at each visit, with the time).
    assert [t.split(".")[0] for t in chat_tokens(ewa)] == [kept.split(".")[0]]
    answer = emit(resident(), "/chat", "start", {"department": "registry", "consent": True,
                                                  "mystery": withdrawn})
    assert answer["code"] == "mystery_link"
    clock.advance(25 * 3600)
    late = emit(resident(), "/chat", "start", {"department": "registry", "consent": True,
                                               "mystery": kept})
    assert not late["ok"] and late["code"] == "mystery_link"
    assert flagged(app) == []


def test_the_next_new_text_from_the_shoppers_phone_is_flagged(app, client):
    ewa = login(app, EWA)
    assert start(ewa, "sms", phone="601 234 567").status_code == 302
    assert "Waiting for a text" in ewa.get("/supervisor/mystery?lang=en").data.decode()
    assert sms_in(client, "Dzień dobry", "SM1", phone="+48609999999").status_code == 200
    assert flagged(app) == []  # another number: an ordinary resident
    assert sms_in(client, "Dzień dobry, pytanie o odpis", "SM2", phone=SHOPPER_PHONE) \
        .status_code == 200
    assert sms_in(client, "To jeszcze ja", "SM3", phone=SHOPPER_PHONE).status_code == 200
    with app.app_context():
        shopper = db.session.scalar(select(Interaction).where(
            Interaction.resident_handle == SHOPPER_PHONE))
        assert flagged(app) == [shopper.id] and len(shopper.messages) == 2
        db.session.execute(update(Interaction).where(Interaction.id == shopper.id)
                           .values(state="closed"))
        db.session.commit()
    sms_in(client, "Nowa sprawa", "SM4", phone=SHOPPER_PHONE)  # a new conversation
    assert len(flagged(app)) == 1
    assert "Waiting for a text" not in ewa.get("/supervisor/mystery?lang=en").data.decode()


def test_a_callback_shopper_is_booked_at_once_and_flagged(app):
    ewa = login(app, EWA)
    refused = start(ewa, "callback", phone="12")
    assert refused.status_code == 400
    page = refused.data.decode()
    assert "There is a problem" in page and 'href="#phone"' in page
    assert start(ewa, "callback", phone="601 555 666").status_code == 302
    with app.app_context():
        callback = db.session.scalar(select(CallbackRequest))
        assert callback.requested_via == "web"  # as a resident's from the web would be
        assert flagged(app) == [callback.interaction_id]
        assert db.session.scalar(select(MysteryShop.interaction_id)) == callback.interaction_id


def test_an_ended_contact_is_scored_and_reported_by_department(app, resident, staff):
    ewa = login(app, EWA)
    start(ewa, "webchat")
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    started = emit(resident(), "/chat", "start", {"department": "registry", "consent": True,
                                                  "mystery": chat_token(ewa)})
    interaction_id = started["status"]["interaction_id"]
    page = ewa.get("/supervisor/mystery?lang=en").data.decode()
    assert "Score once it has ended" in page
    emit(anna, "/staff", "accept", {"interaction_id": interaction_id})
    emit(anna, "/staff", "reply", {"interaction_id": interaction_id, "body": "22 zł."})
    emit(anna, "/staff", "close", {"interaction_id": interaction_id, "disposition": "resolved"})
    page = ewa.get("/supervisor/mystery?lang=en").data.decode()
    assert 'name="kind" value="mystery"' in page and "Anna Kowalska" in page
    begun = ewa.post(f"/supervisor/interactions/{interaction_id}/review", data={"kind": "mystery"})
    review_id = int(re.search(r"/supervisor/reviews/(\d+)", begun.location)[1])
    with app.app_context():
        values = {f"value-{c.id}": str(c.scale_max) for c in current_version().criteria}
    assert ewa.post(f"/supervisor/reviews/{review_id}", data=values).status_code == 302
    page = ewa.get("/supervisor/mystery?lang=en").data.decode()
    scores = re.search(r'id="scores-caption".*?</table>', page, re.S).group(0)
    row = re.search(r"<tr><th scope=\"row\">(.*?)</th><td>(\d+)</td><td>(.*?)</td></tr>", scores)
    assert row.groups() == ("Civil registry (births, marriages, deaths)", "1", "100%")
    with app.app_context():
        assert db.session.get(Review, review_id).kind == "mystery"


def test_the_form_names_what_is_wrong(app):
    ewa = login(app, EWA)
    page = ewa.post("/supervisor/mystery?lang=en", data={"channel": "webchat", "scenario": "",
                                                         "department": "1"})
    assert page.status_code == 400 and "Please describe the scenario." in page.data.decode()
    page = start(ewa, "fax")
    assert page.status_code == 400 and "Please choose chat, SMS or callback." in \
        page.data.decode()
    with app.app_context():
        assert db.session.query(MysteryShop).count() == 0


def test_the_demo_has_scored_mystery_shoppers(app):
    """load_demo_mystery(): three scored chats in the demo history, shown by department."""
    from hub.demo_history import load_demo_history
    from hub.review.mystery import load_demo_mystery

    with app.app_context():
        load_demo_history()
        assert load_demo_mystery() == 3
        assert load_demo_mystery() == 0  # once
    page = login(app, EWA).get("/supervisor/mystery?lang=en").data.decode()
    scores = re.search(r'id="scores-caption".*?</table>', page, re.S).group(0)
    assert scores.count("<tr><th scope=\"row\">") == 3
    assert len(flagged(app)) == 3

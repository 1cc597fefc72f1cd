"""Clerks tag a conversation when closing it (e.g. a complaint), for the log and reviews."""

from hub.extensions import db
from hub.interactions.models import Interaction, InteractionEvent
from tests.conftest import ANNA, emit, received
from tests.interactions.test_chat_flow import start_chat


def accepted_chat(resident, staff):
    anna = staff(ANNA)
    assert emit(anna, "/staff", "presence", {"status": "available"})["ok"]
    start_chat(resident)
    interaction_id = received(anna, "/staff", "offer")[0]["id"]
    assert emit(anna, "/staff", "accept", {"interaction_id": interaction_id})["ok"]
    return anna, interaction_id


def test_closing_with_a_complaint_and_tags_keeps_them_and_logs_who(app, resident, staff):
    """Does a complaint ticked at closing end up as a normalised tag, logged with the clerk?"""
    anna, interaction_id = accepted_chat(resident, staff)
    closed = emit(anna, "/staff", "close", {"interaction_id": interaction_id,
                                            "disposition": "resolved",
                                            "tags": ["#Parking ", "complaint", "", "parking"]})
    assert closed["ok"], closed
    with app.app_context():
        assert db.session.get(Interaction, interaction_id).tags == ["complaint", "parking"]
        event = db.session.query(InteractionEvent).filter_by(
            interaction_id=interaction_id, kind="tags_changed").one()
        assert event.actor_type == "clerk" and event.data["added"] == ["complaint", "parking"]


def test_a_bad_tag_is_refused_and_the_conversation_stays_open(app, resident, staff):
    """Does a tag with odd characters get a clear message, leaving the conversation as it was?"""
    anna, interaction_id = accepted_chat(resident, staff)
    answer = emit(anna, "/staff", "close", {"interaction_id": interaction_id,
                                            "disposition": "resolved", "tags": ["a;b"]})
    assert not answer["ok"] and answer["error"]
    with app.app_context():
        interaction = db.session.get(Interaction, interaction_id)
        assert interaction.state == "assigned" and interaction.tags == []

"""Presence: lapsed offers set a clerk away; a silent console's chats go back to the queue."""

from hub.accounts.models import User
from hub.extensions import db
from hub.interactions import routing
from hub.interactions.models import Interaction, InteractionEvent
from hub.queue import router
from tests.conftest import ANNA, emit, received


def user(email):
    return db.session.query(User).filter_by(email=email).one()


def test_a_clerk_who_lets_two_offers_lapse_is_set_away(app, resident, staff):
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    app.extensions["okienko.router"].offer_ttl_ms = 0   # every offer lapses at once
    for _ in range(2):
        emit(resident(), "/chat", "start", {"department": "registry", "consent": True})
    with app.app_context():
        routing.sweep()
        assert user(ANNA).presence == "away"
        assert router().waiting("registry") != []
        kinds = [e.kind for e in db.session.query(InteractionEvent).filter_by(interaction_id=None)]
        assert "set_away" in kinds
    assert received(anna, "/staff", "presence")[-1]["presence"] == "away"
    # Away is the router's word, not a choice: the clerk comes back by choosing Available.
    assert emit(anna, "/staff", "presence", {"status": "away"})["code"] == "bad_presence"
    assert emit(anna, "/staff", "presence", {"status": "after_call_work"})["ok"]


def test_a_silent_clerks_conversations_return_to_the_queue(app, resident, staff):
    """Offline after the grace period, then the accepted chats go back, in their place."""
    app.config.update(PRESENCE_GRACE_SECONDS=0, REASSIGN_AFTER_SECONDS=0)
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    sio = resident()
    started = emit(sio, "/chat", "start", {"department": "registry", "consent": True})
    interaction_id = started["status"]["interaction_id"]
    emit(anna, "/staff", "accept", {"interaction_id": interaction_id})
    anna.disconnect("/staff")
    with app.app_context():
        router().redis.hset(router().prefix + f"clerk:{user(ANNA).id}", "seen", 0)
        counts = routing.sweep()  # with no delay configured, both steps happen in one pass
        assert (counts["offline"], counts["returned"]) == (1, 1)
        interaction = db.session.get(Interaction, interaction_id)
        assert (interaction.state, interaction.clerk_id) == ("queued", None)
        assert router().waiting("registry") == [interaction_id]
    lines = [m["body"] for m in received(sio, "/chat", "message") if m["kind"] == "system"]
    assert any("połączenie" in line for line in lines), lines


def test_pull_can_be_limited_to_roles(app, resident, staff):
    app.config["PULL_ROLES"] = ("supervisor", "admin")
    anna = staff(ANNA)
    started = emit(resident(), "/chat", "start", {"department": "registry", "consent": True})
    emit(anna, "/staff", "presence", {"status": "break"})
    answer = emit(anna, "/staff", "claim", {"interaction_id": started["status"]["interaction_id"]})
    assert answer["code"] == "pull_not_allowed"

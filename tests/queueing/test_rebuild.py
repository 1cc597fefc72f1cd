"""Losing Redis loses nothing: the queue is rebuilt from the database."""

from hub.extensions import db
from hub.interactions import routing
from hub.interactions.models import Interaction
from hub.queue import router
from tests.conftest import ANNA, emit, received


def wipe(app):
    with app.app_context():
        for key in router().redis.scan_iter(match=router().prefix + "*"):
            router().redis.delete(key)


def start(resident, department="registry"):
    answer = emit(resident(), "/chat", "start", {"department": department, "consent": True})
    assert answer["ok"], answer
    return answer["status"]["interaction_id"]


def test_sweep_after_a_wipe_restores_every_waiting_contact_in_order(app, resident):
    """Does the periodic sweep notice an empty Redis and rebuild the queues in order?"""
    ids = [start(resident) for _ in range(3)] + [start(resident, "taxes")]
    wipe(app)
    with app.app_context():
        assert router().waiting("registry") == []
        counts = routing.sweep()
        assert counts["rebuilt"] == 4
        assert router().waiting("registry") == ids[:3]
        assert router().waiting("taxes") == ids[3:]


def test_offered_and_assigned_survive_a_wipe(app, resident, staff):
    """An open offer goes back to the queue; an accepted chat stays the clerk's and counts."""
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    first, second = start(resident), start(resident)
    assert emit(anna, "/staff", "accept", {"interaction_id": first})["ok"]
    wipe(app)
    with app.app_context():
        routing.sweep()
        assert router().clerk_load(db.session.get(Interaction, first).clerk_id)[0] == 1
        assert db.session.get(Interaction, first).state == "assigned"
        # Anna is still available with spare capacity, so the waiting one is offered again.
        assert db.session.get(Interaction, second).state == "offered"
    assert second in [o["id"] for o in received(anna, "/staff", "offer")]


def test_cli_rebuild(app, resident, runner):
    ids = [start(resident) for _ in range(2)]
    wipe(app)
    result = runner.invoke(args=["queue", "rebuild"])
    assert "2" in result.output, result.output
    with app.app_context():
        assert router().waiting("registry") == ids


def test_a_lapsed_offer_is_requeued_and_logged(app, resident, staff, settings):
    """An offer nobody accepts in time goes back to the queue, with events in the log."""
    app.extensions["okienko.router"].offer_ttl_ms = 0
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    interaction_id = start(resident)
    with app.app_context():
        app.extensions["okienko.router"].offer_ttl_ms = 60_000
        counts = routing.sweep()
        assert counts["lapsed"] == 1
        from hub.interactions.models import InteractionEvent

        kinds = [e.kind for e in db.session.query(InteractionEvent).filter_by(
            interaction_id=interaction_id).order_by(InteractionEvent.id)]
        assert kinds[2:] == ["offered", "offer_lapsed", "requeued", "offered"]
    withdrawn = received(anna, "/staff", "offer_withdrawn")
    assert withdrawn and withdrawn[0]["reason"] == "lapsed"

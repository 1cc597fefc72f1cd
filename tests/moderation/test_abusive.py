"""An abusive contact: ended with a reason, the browser blocked for a while, supervisors told."""

from hub.extensions import db
from hub.interactions.models import Interaction, InteractionEvent, Message
from tests.conftest import ANNA, EWA, emit, received


def test_ending_as_abusive_blocks_the_browser_and_alerts_supervisors(app, resident, staff):
    anna, ewa = staff(ANNA), staff(EWA)
    emit(anna, "/staff", "presence", {"status": "available"})
    sio = resident()
    started = emit(sio, "/chat", "start", {"department": "registry", "consent": True,
                                           "device": "browser-1"})
    interaction_id = started["status"]["interaction_id"]
    emit(anna, "/staff", "accept", {"interaction_id": interaction_id})

    refused = emit(anna, "/staff", "abusive", {"interaction_id": interaction_id, "reason": " "})
    assert refused["code"] == "reason_required"
    answer = emit(anna, "/staff", "abusive", {"interaction_id": interaction_id,
                                              "reason": "Wulgaryzmy i groźby"})
    assert answer == {"ok": True, "blocked": True}
    assert received(sio, "/chat", "status")[-1]["state"] == "closed"
    alerts = received(ewa, "/staff", "alert")
    assert alerts and alerts[-1]["reason"] == "Wulgaryzmy i groźby"

    again = emit(resident(), "/chat", "start", {"department": "registry", "consent": True,
                                                "device": "browser-1"})
    assert again["code"] == "blocked" and "nie możesz" in again["error"].lower()
    other = emit(resident(), "/chat", "start", {"department": "registry", "consent": True,
                                                "device": "browser-2"})
    assert other["ok"]
    with app.app_context():
        interaction = db.session.get(Interaction, interaction_id)
        assert (interaction.disposition, interaction.tags) == ("abusive", ["abusive"])
        event = db.session.query(InteractionEvent).filter_by(
            interaction_id=interaction_id, kind="ended_as_abusive").one()
        assert event.data["blocked_hours"] == 24
        # The reason is an internal note (erased after retention), not part of the log.
        assert "reason" not in event.data
        note = db.session.get(Message, event.data["reason_note_id"])
        assert (note.kind, note.body) == ("note", "Wulgaryzmy i groźby")
        # The block list keeps a keyed hash, never the id itself.
        from hub.moderation.models import Block

        assert "browser-1" not in db.session.query(Block).one().value_hash

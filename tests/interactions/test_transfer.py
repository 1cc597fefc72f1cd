"""Transfers: to a department or a named colleague, the resident staying in the chat."""

from hub.extensions import db
from hub.interactions.models import Interaction, InteractionEvent, Message
from tests.conftest import ANNA, EWA, PIOTR, drain, emit, received


def accepted_chat(resident, staff, department="registry", clerk_email=ANNA):
    clerk = staff(clerk_email)
    emit(clerk, "/staff", "presence", {"status": "available"})
    sio = resident()
    started = emit(sio, "/chat", "start", {"department": department, "consent": True})
    interaction_id = started["status"]["interaction_id"]
    assert emit(clerk, "/staff", "accept", {"interaction_id": interaction_id})["ok"]
    return clerk, sio, started["token"], interaction_id


def test_transfer_to_a_department_keeps_the_place_and_tells_the_resident(app, resident, staff):
    """Is a transferred resident told, kept in the chat, and offered ahead of newer ones?"""
    anna, sio, token, interaction_id = accepted_chat(resident, staff)
    newer = emit(resident(), "/chat", "start", {"department": "vehicles", "consent": True})
    answer = emit(anna, "/staff", "transfer", {"interaction_id": interaction_id,
                                               "department": "vehicles", "note": "Sprawa CEPiK"})
    assert answer["ok"], answer
    events = drain(sio, "/chat")
    system_lines = [p["body"] for name, p in events if name == "message" and p["kind"] == "system"]
    assert any("przekazywana" in line for line in system_lines), system_lines
    assert [p["state"] for name, p in events if name == "status"][-1] == "queued"

    piotr = staff(PIOTR)
    emit(piotr, "/staff", "presence", {"status": "available"})
    offered = [o["id"] for o in received(piotr, "/staff", "offer")]
    assert offered[0] == interaction_id            # older than the newer vehicles chat
    assert newer["status"]["interaction_id"] in offered
    assert emit(piotr, "/staff", "accept", {"interaction_id": interaction_id})["ok"]
    assert emit(sio, "/chat", "message", {"token": token, "client_id": "t1", "body": "Nadal tu"})["ok"]
    with app.app_context():
        interaction = db.session.get(Interaction, interaction_id)
        assert (interaction.department.code, interaction.clerk.email) == ("vehicles", PIOTR)
        event = db.session.query(InteractionEvent).filter_by(
            interaction_id=interaction_id, kind="transferred").one()
        assert event.data["from_department"] == "registry" and event.data["has_note"]
        note = db.session.query(Message).filter_by(interaction_id=interaction_id, kind="note").one()
        assert note.body == "Sprawa CEPiK"


def test_transfer_to_a_named_colleague_is_offered_to_them(app, resident, staff):
    anna, _, _, interaction_id = accepted_chat(resident, staff)
    ewa = staff(EWA)
    emit(ewa, "/staff", "presence", {"status": "available"})
    with app.app_context():
        from hub.accounts.models import User

        ewa_id = db.session.query(User).filter_by(email=EWA).one().id
    answer = emit(anna, "/staff", "transfer", {"interaction_id": interaction_id,
                                               "department": "registry", "clerk_id": ewa_id})
    assert answer["ok"], answer
    assert interaction_id in [o["id"] for o in received(ewa, "/staff", "offer")]
    with app.app_context():
        rules = [e.data.get("rule") for e in db.session.query(InteractionEvent).filter_by(
            interaction_id=interaction_id, kind="offered")]
        assert rules[-1] == "named_transfer"


def test_transfer_refusals_change_nothing(app, resident, staff):
    anna, _, _, interaction_id = accepted_chat(resident, staff)
    piotr = staff(PIOTR)
    refused = emit(piotr, "/staff", "transfer", {"interaction_id": interaction_id,
                                                 "department": "vehicles"})
    assert refused["code"] == "not_yours"
    assert emit(anna, "/staff", "transfer", {"interaction_id": interaction_id,
                                             "department": "nope"})["code"] == "unknown_department"
    with app.app_context():
        from hub.accounts.models import User

        piotr_id = db.session.query(User).filter_by(email=PIOTR).one().id
    # Piotr does not handle the civil registry.
    assert emit(anna, "/staff", "transfer", {"interaction_id": interaction_id, "department":
                                             "registry", "clerk_id": piotr_id})["code"] == \
        "clerk_lacks_skill"
    with app.app_context():
        interaction = db.session.get(Interaction, interaction_id)
        assert (interaction.state, interaction.department.code) == ("assigned", "registry")

"""A resident and a clerk converse over Socket.IO through the queue."""

from limits import parse

from hub.extensions import db, socketio
from hub.interactions.models import Interaction, InteractionEvent, Message
from hub.ratelimit import LocalWindowCounter
from tests.conftest import ANNA, PIOTR, emit, make_app, received


def start_chat(resident, department="registry", lang="pl", name="Jan"):
    sio = resident(lang)
    answer = emit(sio, "/chat", "start", {"department": department, "name": name, "consent": True})
    assert answer["ok"], answer
    return sio, answer


def test_resident_waits_with_position_and_estimate(resident):
    """Does a resident see their place in the queue and an estimate before any clerk?"""
    _, first = start_chat(resident)
    _, second = start_chat(resident)
    assert first["status"]["state"] == "queued"
    assert first["status"]["position"] == 1
    assert second["status"]["position"] == 2
    # Nobody is available: no estimate is better than a made-up one.
    assert second["status"]["wait_seconds"] is None


def test_offer_accept_reply_note_close_rate(app, resident, staff):
    """Can a chat go from queue to a clerk and back, with notes the resident never sees?"""
    anna = staff(ANNA)
    assert emit(anna, "/staff", "presence", {"status": "available"})["ok"]
    sio, started = start_chat(resident)
    token = started["token"]
    offers = received(anna, "/staff", "offer")
    assert [o["id"] for o in offers] == [started["status"]["interaction_id"]]
    interaction_id = offers[0]["id"]

    accepted = emit(anna, "/staff", "accept", {"interaction_id": interaction_id})
    assert accepted["ok"], accepted
    statuses = received(sio, "/chat", "status")
    assert statuses[-1]["state"] == "assigned" and statuses[-1]["clerk"] == "Anna"

    sent = emit(sio, "/chat", "message", {"token": token, "client_id": "c1", "body": "Dzień dobry"})
    assert sent["ok"]
    assert [m["body"] for m in received(anna, "/staff", "message") if m["kind"] == "in"] == ["Dzień dobry"]

    assert emit(anna, "/staff", "note", {"interaction_id": interaction_id, "body": "Sprawdzić akt"})["ok"]
    reply = emit(anna, "/staff", "reply", {"interaction_id": interaction_id, "body": "W czym mogę pomóc?"})
    assert reply["ok"]
    resident_sees = [m["body"] for m in received(sio, "/chat", "message")]
    assert "W czym mogę pomóc?" in resident_sees
    assert "Sprawdzić akt" not in resident_sees

    assert not emit(anna, "/staff", "close", {"interaction_id": interaction_id, "disposition": "?"})["ok"]
    closed = emit(anna, "/staff", "close", {"interaction_id": interaction_id, "disposition": "resolved"})
    assert closed["ok"], closed
    assert received(sio, "/chat", "status")[-1]["state"] == "closed"

    assert emit(sio, "/chat", "rate", {"token": token, "stars": 5, "comment": "Dziękuję"})["ok"]
    again = emit(sio, "/chat", "rate", {"token": token, "stars": 1})
    assert not again["ok"] and "oceniona" in again["error"]

    with app.app_context():
        kinds = [e.kind for e in db.session.query(InteractionEvent)
                 .filter_by(interaction_id=interaction_id).order_by(InteractionEvent.id)]
        assert kinds == ["created", "queued", "offered", "accepted", "message_in", "note",
                         "message_out", "closed", "rated"]
        interaction = db.session.get(Interaction, interaction_id)
        assert (interaction.csat, interaction.disposition) == (5, "resolved")


def test_reload_resumes_history_and_resend_is_stored_once(app, resident, staff):
    """After a reload, does the resident get the whole conversation, and only once each?"""
    sio, started = start_chat(resident)
    token = started["token"]
    for _ in range(2):  # the same client id sent twice, as after a lost acknowledgement
        assert emit(sio, "/chat", "message", {"token": token, "client_id": "same", "body": "Raz"})["ok"]
    emit(sio, "/chat", "message", {"token": token, "client_id": "other", "body": "Dwa"})

    reloaded = resident()
    resumed = emit(reloaded, "/chat", "resume", {"token": token, "after": 0})
    assert [m["body"] for m in resumed["messages"]] == ["Raz", "Dwa"]
    first_id = resumed["messages"][0]["id"]
    tail = emit(reloaded, "/chat", "resume", {"token": token, "after": first_id})
    assert [m["body"] for m in tail["messages"]] == ["Dwa"]
    with app.app_context():
        assert db.session.query(Message).filter_by(body="Raz").count() == 1


def test_bad_input_is_refused_in_the_residents_language(app, resident):
    """Do empty, oversized, unknown and forged inputs get a clear message and change nothing?"""
    sio_pl, sio_en = resident("pl"), resident("en")
    refused = emit(sio_pl, "/chat", "start", {"department": "nope", "consent": True})
    assert not refused["ok"] and refused["error"] == "Wybierz temat z listy."
    refused = emit(sio_en, "/chat", "start", {"department": "registry"})
    assert refused["error"] == "Please accept the privacy notice to start the chat."
    forged = emit(sio_en, "/chat", "message", {"token": "forged.token", "body": "hi"})
    assert forged["code"] == "bad_token" and "not valid" in forged["error"]

    _, started = start_chat(resident, lang="en")
    token = started["token"]
    empty = emit(sio_en, "/chat", "message", {"token": token, "body": "   "})
    assert empty["code"] == "empty_message"
    too_long = emit(sio_en, "/chat", "message", {"token": token, "body": "x" * 2001})
    assert too_long["code"] == "message_too_long" and "2000" in too_long["error"]
    with app.app_context():
        assert db.session.query(Message).count() == 0
        assert db.session.query(Interaction).count() == 1


def test_html_is_stored_and_sent_as_text(resident, staff):
    """Is markup in a message kept verbatim as text (the pages render it with textContent)?"""
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    sio, started = start_chat(resident)
    emit(anna, "/staff", "accept", {"interaction_id": started["status"]["interaction_id"]})
    body = "<script>alert(1)</script><b>x</b>"
    emit(sio, "/chat", "message", {"token": started["token"], "client_id": "x", "body": body})
    assert received(anna, "/staff", "message")[-1]["body"] == body


def test_a_token_opens_only_its_own_conversation(resident):
    """Can a resident reach another resident's conversation by changing the id?"""
    _, mine = start_chat(resident)
    _, theirs = start_chat(resident)
    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer("wrong-key", salt="resident-chat").dumps(
        {"i": theirs["status"]["interaction_id"], "k": "guess"})
    sio = resident()
    assert emit(sio, "/chat", "resume", {"token": forged})["code"] == "bad_token"
    assert emit(sio, "/chat", "resume", {"token": mine["token"]})["status"]["interaction_id"] == \
        mine["status"]["interaction_id"]


def test_clerk_only_gets_own_departments_and_other_clerk_cannot_accept(resident, staff):
    """Is a vehicles chat offered to Piotr (vehicles) and never accepted by Anna?"""
    anna, piotr = staff(ANNA), staff(PIOTR)
    for clerk in (anna, piotr):
        emit(clerk, "/staff", "presence", {"status": "available"})
    _, started = start_chat(resident, department="vehicles")
    interaction_id = started["status"]["interaction_id"]
    assert received(anna, "/staff", "offer") == []
    assert [o["id"] for o in received(piotr, "/staff", "offer")] == [interaction_id]
    assert emit(anna, "/staff", "accept", {"interaction_id": interaction_id})["code"] == "offer_gone"
    assert emit(piotr, "/staff", "accept", {"interaction_id": interaction_id})["ok"]


def test_resident_leaving_the_queue_abandons_and_withdraws_the_offer(app, resident, staff):
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    sio, started = start_chat(resident)
    left = emit(sio, "/chat", "leave", {"token": started["token"]})
    assert left["status"]["state"] == "abandoned"
    assert received(anna, "/staff", "offer_withdrawn")[-1]["reason"] == "abandoned"
    assert emit(anna, "/staff", "accept",
                {"interaction_id": started["status"]["interaction_id"]})["code"] == "offer_gone"


def test_a_resident_sending_too_fast_is_told_to_wait_and_nothing_refused_is_stored(settings):
    """Past the chat's message limit, is the resident told to slow down in their language,
    and is the refused message left unstored?"""
    app = make_app(settings, RATELIMIT_ENABLED=True, RATELIMIT_CHAT_MESSAGES="3 per minute")
    sio = socketio.test_client(app, namespace="/chat", query_string="lang=en")
    token = emit(sio, "/chat", "start", {"department": "registry", "consent": True})["token"]
    answers = [emit(sio, "/chat", "message", {"token": token, "client_id": f"c{n}",
                                              "body": f"message {n}"}) for n in range(4)]
    assert [a["ok"] for a in answers] == [True, True, True, False]
    assert answers[-1]["code"] == "rate_limited"
    assert answers[-1]["error"] == "Too many requests. Please wait a moment and try again."
    resumed = emit(socketio.test_client(app, namespace="/chat"), "/chat", "resume",
                   {"token": token, "after": 0})
    assert [m["body"] for m in resumed["messages"]] == ["message 0", "message 1", "message 2"]


def test_the_chat_limit_slides_over_the_window_edge_and_frees_up_after_a_pause():
    """Is a burst just before a new window still counted just after it, and may a resident
    who paused write again, while another conversation is counted apart?"""
    limit = LocalWindowCounter(parse("3 per minute"))
    assert [limit.hit("7", now=59.0) for _ in range(3)] == [True, True, True]
    assert limit.hit("7", now=61.0) is False  # 3 × 58/60 of the last window + 1 > 3
    assert limit.hit("8", now=61.0) is True
    assert limit.hit("7", now=100.0) is True  # 3 × 20/60 + 1 ≤ 3
    assert [limit.hit("7", now=181.0) for _ in range(4)] == [True, True, True, False]

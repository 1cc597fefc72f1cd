"""Video and voice calls in a web chat: invitation, signalling between the two parties only,
and the call's trace in the timeline."""

from hub import clock
from hub.extensions import db
from hub.interactions.models import InteractionEvent
from tests.conftest import ANNA, EWA, PIOTR, drain, emit, received
from tests.interactions.test_transfer import accepted_chat

OFFER = {"sdp": {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}}
ANSWER = {"sdp": {"type": "answer", "sdp": "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n"}}
ICE = {"candidate": {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host",
                     "sdpMid": "0", "sdpMLineIndex": 0}}


def events(app, interaction_id, prefix="video_call"):
    with app.app_context():
        return [(e.kind, e.actor_type, e.data) for e in db.session.query(InteractionEvent)
                .filter(InteractionEvent.interaction_id == interaction_id,
                        InteractionEvent.kind.startswith(prefix))
                .order_by(InteractionEvent.id)]


def call_on(resident, staff, kind="video"):
    anna, sio, token, interaction_id = accepted_chat(resident, staff)
    assert emit(anna, "/staff", "rtc_invite", {"interaction_id": interaction_id, "kind": kind})["ok"]
    assert emit(sio, "/chat", "rtc_accept", {"token": token})["ok"]
    drain(anna, "/staff")
    drain(sio, "/chat")
    return anna, sio, token, interaction_id


def test_invite_accept_and_relay_between_the_two_parties(app, resident, staff):
    """Does the resident get the invitation, the clerk the acceptance, and do the offer,
    answer and ICE candidates pass between them?"""
    anna, sio, token, interaction_id = accepted_chat(resident, staff)
    drain(sio, "/chat")
    invited = emit(anna, "/staff", "rtc_invite", {"interaction_id": interaction_id,
                                                  "kind": "video"})
    assert invited["ok"] and invited["call"]["status"] == "invited", invited
    invitation, = received(sio, "/chat", "rtc_invite")
    assert invitation["kind"] == "video" and invitation["ice_servers"] == []

    assert emit(sio, "/chat", "rtc_accept", {"token": token})["ok"]
    accepted, = received(anna, "/staff", "rtc_accepted")
    assert (accepted["interaction_id"], accepted["status"]) == (interaction_id, "active")

    assert emit(anna, "/staff", "rtc_offer", {"interaction_id": interaction_id, **OFFER})["ok"]
    assert received(sio, "/chat", "rtc_offer")[0]["sdp"] == OFFER["sdp"]
    assert emit(sio, "/chat", "rtc_answer", {"token": token, **ANSWER})["ok"]
    assert emit(sio, "/chat", "rtc_ice", {"token": token, **ICE})["ok"]
    from_resident = drain(anna, "/staff")
    assert [n for n, _ in from_resident if n.startswith("rtc_")] == ["rtc_answer", "rtc_ice"]
    assert from_resident[-1][1]["candidate"] == ICE["candidate"]
    assert emit(anna, "/staff", "rtc_ice", {"interaction_id": interaction_id, **ICE})["ok"]
    assert received(sio, "/chat", "rtc_ice")[0]["candidate"] == ICE["candidate"]


def test_signalling_refused_before_the_invitation_is_accepted(app, resident, staff):
    anna, sio, token, interaction_id = accepted_chat(resident, staff)
    refused = emit(anna, "/staff", "rtc_offer", {"interaction_id": interaction_id, **OFFER})
    assert not refused["ok"] and refused["code"] == "no_call"
    assert emit(anna, "/staff", "rtc_invite", {"interaction_id": interaction_id,
                                               "kind": "voice"})["ok"]
    drain(sio, "/chat")
    for who, namespace, data in [(anna, "/staff", {"interaction_id": interaction_id}),
                                 (sio, "/chat", {"token": token})]:
        answer = emit(who, namespace, "rtc_ice", {**data, **ICE})
        assert not answer["ok"] and answer["code"] == "no_call"
    assert received(sio, "/chat", "rtc_ice") == []
    assert [n for n, _ in drain(anna, "/staff") if n.startswith("rtc_")] == []


def test_signalling_refused_for_anyone_not_a_party(app, resident, staff):
    """Can another resident, another clerk or a supervisor signal into someone's call?"""
    anna, sio, token, interaction_id = call_on(resident, staff)
    # Another resident, with a token of their own conversation (and a forged one).
    other = resident()
    other_token = emit(other, "/chat", "start", {"department": "vehicles",
                                                 "consent": True})["token"]
    for bad in (other_token, token + "x", None):
        answer = emit(other, "/chat", "rtc_offer", {"token": bad, **OFFER})
        assert not answer["ok"], answer
        assert not emit(other, "/chat", "rtc_hangup", {"token": bad})["ok"] or bad == other_token
    # Another clerk, and a supervisor who does not hold the conversation.
    for email in (PIOTR, EWA):
        intruder = staff(email)
        for event in ("rtc_offer", "rtc_ice"):
            answer = emit(intruder, "/staff", event, {"interaction_id": interaction_id, **OFFER,
                                                      **ICE})
            assert not answer["ok"], (email, event, answer)
        assert not emit(intruder, "/staff", "rtc_invite", {"interaction_id": interaction_id,
                                                           "kind": "video"})["ok"]
    assert [n for n, _ in drain(sio, "/chat") if n.startswith("rtc_")] == []
    assert [n for n, _ in drain(anna, "/staff") if n.startswith("rtc_")] == []
    # The call itself is untouched.
    assert emit(anna, "/staff", "rtc_offer", {"interaction_id": interaction_id, **OFFER})["ok"]
    assert received(sio, "/chat", "rtc_offer")


def test_timeline_has_the_call_with_duration_and_who_ended_it(app, resident, staff):
    anna, sio, token, interaction_id = call_on(resident, staff, kind="video")
    clock.advance(95)
    assert emit(sio, "/chat", "rtc_hangup", {"token": token})["ok"]
    ended, = received(anna, "/staff", "rtc_ended")
    assert ended["ended_by"] == "resident"
    kinds = events(app, interaction_id)
    assert [(k, actor) for k, actor, _ in kinds] == [
        ("video_call_invited", "clerk"), ("video_call_started", "resident"),
        ("video_call_ended", "resident")]
    data = kinds[-1][2]
    assert data["ended_by"] == "resident" and 95 <= data["duration_seconds"] <= 97
    assert data["media"] == "video"

    # A second call, a voice one, which the clerk ends.
    assert emit(anna, "/staff", "rtc_invite", {"interaction_id": interaction_id,
                                               "kind": "voice"})["ok"]
    assert emit(sio, "/chat", "rtc_accept", {"token": token})["ok"]
    assert emit(anna, "/staff", "rtc_hangup", {"interaction_id": interaction_id})["ok"]
    assert received(sio, "/chat", "rtc_ended")[-1]["ended_by"] == "clerk"
    last = events(app, interaction_id)[-1]
    assert last[0] == "video_call_ended" and last[2]["ended_by"] == "clerk"
    assert last[2]["media"] == "voice"


def test_declined_invitation_and_one_call_at_a_time(app, resident, staff):
    anna, sio, token, interaction_id = accepted_chat(resident, staff)
    invite = {"interaction_id": interaction_id, "kind": "video"}
    assert emit(anna, "/staff", "rtc_invite", invite)["ok"]
    again = emit(anna, "/staff", "rtc_invite", invite)
    assert again["code"] == "call_in_progress"
    assert emit(sio, "/chat", "rtc_decline", {"token": token})["ok"]
    assert received(anna, "/staff", "rtc_ended")[0]["reason"] == "declined"
    assert not emit(sio, "/chat", "rtc_accept", {"token": token})["ok"]
    assert [k for k, _, _ in events(app, interaction_id)] == [
        "video_call_invited", "video_call_declined"]


def test_closing_the_conversation_ends_the_call(app, resident, staff):
    anna, sio, token, interaction_id = call_on(resident, staff)
    assert emit(anna, "/staff", "close", {"interaction_id": interaction_id,
                                          "disposition": "resolved"})["ok"]
    assert received(sio, "/chat", "rtc_ended")[0]["reason"] == "conversation_ended"
    last = events(app, interaction_id)[-1]
    assert last[0] == "video_call_ended" and last[2]["ended_by"] == "system"
    assert not emit(anna, "/staff", "rtc_offer", {"interaction_id": interaction_id, **OFFER})["ok"]


def test_no_call_in_a_chat_not_held(app, resident, staff):
    anna, sio, token, interaction_id = accepted_chat(resident, staff)
    piotr = staff(PIOTR)
    answer = emit(piotr, "/staff", "rtc_invite", {"interaction_id": interaction_id,
                                                  "kind": "video"})
    assert not answer["ok"]
    assert emit(anna, "/staff", "rtc_invite", {"interaction_id": interaction_id,
                                               "kind": "hologram"})["code"] == "call_not_possible"
    assert received(sio, "/chat", "rtc_invite") == []


def test_a_resident_asks_for_a_video_call_where_the_department_allows_it(app, resident, staff):
    """Is a request for a video call flagged for the clerk only in departments that allow it?"""
    from hub.accounts.models import Department

    with app.app_context():
        db.session.query(Department).filter_by(code="registry").one().video_calls = True
        db.session.commit()
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    asked = emit(resident(), "/chat", "start", {"department": "registry", "consent": True,
                                                "video": True})
    interaction_id = asked["status"]["interaction_id"]
    accepted = emit(anna, "/staff", "accept", {"interaction_id": interaction_id})
    assert accepted["interaction"]["video_requested"] is True
    assert [k for k, _, _ in events(app, interaction_id)] == ["video_call_requested"]

    elsewhere = emit(resident(), "/chat", "start", {"department": "residence", "consent": True,
                                                    "video": True})
    other_id = elsewhere["status"]["interaction_id"]
    assert events(app, other_id) == []
    with app.app_context():
        from hub.interactions.models import Interaction

        assert "video" not in (db.session.get(Interaction, other_id).tags or [])


def test_only_the_calling_pages_may_ask_for_camera_and_microphone(client):
    assert "camera=(self), microphone=(self)" in client.get("/chat").headers["Permissions-Policy"]
    assert "camera=(), microphone=()" in client.get("/login").headers["Permissions-Policy"]


def test_a_command_lets_a_department_take_video_calls(app, runner):
    from hub.accounts.models import Department

    result = runner.invoke(args=["departments", "video-calls", "general", "on"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.query(Department).filter_by(code="general").one().video_calls
    assert runner.invoke(args=["departments", "video-calls", "nowhere", "on"]).exit_code != 0

"""The /staff socket keeps who its clerk is between events (docs/performance.md "Chat"):
what it keeps must not outlive a deactivation, nor hide what changes while they work."""

from __future__ import annotations

import time

from sqlalchemy import select

from hub.accounts.models import User
from hub.console import sockets
from hub.extensions import db
from tests.conftest import ANNA, emit, received


def _set(app, email: str, **values) -> None:
    """Change a member of staff in the record, as an administrator's page would."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        for name, value in values.items():
            setattr(user, name, value)
        db.session.commit()


def _assigned_chat(resident, anna) -> tuple[object, str, int]:
    assert emit(anna, "/staff", "presence", {"status": "available"})["ok"]
    chat = resident()
    started = emit(chat, "/chat", "start", {"department": "registry", "consent": True})
    interaction_id = started["status"]["interaction_id"]
    assert emit(anna, "/staff", "accept", {"interaction_id": interaction_id})["ok"]
    return chat, started["token"], interaction_id


def test_a_deactivated_clerk_loses_the_console_within_the_recheck_time(app, staff, monkeypatch):
    """Is a clerk whose account is switched off refused once the socket re-reads them?"""
    anna = staff(ANNA)
    assert emit(anna, "/staff", "heartbeat")["ok"]
    _set(app, ANNA, active=False)
    later = time.monotonic() + sockets.CLERK_RECHECK_SECONDS + 1
    monkeypatch.setattr(sockets, "monotonic", lambda: later)
    assert emit(anna, "/staff", "heartbeat") == {"ok": False, "error": "unauthorized"}
    assert emit(anna, "/staff", "hello") == {"ok": False, "error": "unauthorized"}


def test_presence_changed_elsewhere_shows_at_once(app, staff):
    """Presence is not part of what the socket keeps: a change made elsewhere (a supervisor,
    another process) is what the console's next hello shows."""
    anna = staff(ANNA)
    assert emit(anna, "/staff", "presence", {"status": "available"})["presence"] == "available"
    _set(app, ANNA, presence="break")
    assert emit(anna, "/staff", "hello")["presence"] == "break"


def test_a_message_reaches_the_senders_other_tabs_once_and_not_the_sender_twice(
        app, staff, resident):
    """Each side's other tabs get the message; the tab that sent it has it from its answer."""
    anna = staff(ANNA)
    chat, token, interaction_id = _assigned_chat(resident, anna)
    anna_other_tab = staff(ANNA)
    chat_other_tab = resident()
    assert emit(chat_other_tab, "/chat", "resume", {"token": token})["ok"]
    for sio, namespace in ((anna, "/staff"), (anna_other_tab, "/staff"), (chat, "/chat"),
                           (chat_other_tab, "/chat")):
        received(sio, namespace, "message")

    reply = emit(anna, "/staff", "reply", {"interaction_id": interaction_id, "body": "Dzień dobry"})
    assert reply["ok"] and reply["message"]["author_full"]
    assert received(anna, "/staff", "message") == []
    assert received(anna_other_tab, "/staff", "message") == [reply["message"]]
    assert [m["body"] for m in received(chat, "/chat", "message")] == ["Dzień dobry"]
    assert [m["body"] for m in received(chat_other_tab, "/chat", "message")] == ["Dzień dobry"]

    sent = emit(chat, "/chat", "message", {"token": token, "client_id": "c1", "body": "Witam"})
    assert sent["ok"]
    assert received(chat, "/chat", "message") == []
    assert received(chat_other_tab, "/chat", "message") == [sent["message"]]
    assert [m["body"] for m in received(anna, "/staff", "message")] == ["Witam"]
    assert [m["body"] for m in received(anna_other_tab, "/staff", "message")] == ["Witam"]

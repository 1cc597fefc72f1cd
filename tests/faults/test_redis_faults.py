"""Redis flushed or restarted while residents wait and chat: nothing is lost.

Two real hub processes share a Redis server this test owns and one SQLite file: residents
talk to one process, clerks to the other, so every live event crosses through Redis.
"""

from __future__ import annotations

import pytest

from tests.conftest import ANNA, PIOTR
from tests.faults.conftest import TIMEOUT, Clerk, Resident, converse, live_database


@pytest.fixture
def scene(live_hubs, redis_server, closing):
    """Anna chats with one resident (and is on a break, so she takes nobody else); three
    more residents wait in the queue, oldest first."""
    resident_hub, clerk_hub = live_hubs(2, REDIS_URL=redis_server.url, RATELIMIT_ENABLED="1",
                                        OFFER_TIMEOUT_SECONDS="60")
    anna = closing(Clerk(clerk_hub.url, ANNA))
    assert anna.call("presence", {"status": "available"})["ok"]
    chatting = closing(Resident(resident_hub.url))
    assert chatting.start(name="Chatting")["ok"]
    anna.wait_until(lambda: any(o["id"] == chatting.interaction_id for o in anna.offers),
                    what="Anna's offer")
    assert anna.call("accept", {"interaction_id": chatting.interaction_id})["ok"]
    assert anna.call("presence", {"status": "break"})["ok"]
    waiting = []
    for n in range(3):
        resident = closing(Resident(resident_hub.url))
        assert resident.start(name=f"Waiting {n}")["ok"]
        waiting.append(resident)
    converse(chatting, anna, "before")
    return resident_hub, clerk_hub, anna, chatting, waiting


def next_clerk_gets_the_oldest(clerk_hub, closing, waiting: list[Resident]) -> list[int]:
    """Piotr goes available: he is offered the waiting residents, oldest first, as many as
    he can take (3); returns the ids still waiting."""
    piotr = closing(Clerk(clerk_hub.url, PIOTR))
    assert piotr.call("presence", {"status": "available"})["ok"]
    taken = min(len(waiting), 3)
    piotr.wait_until(lambda: len(piotr.offers) >= taken, what="Piotr's offers")
    assert [o["id"] for o in piotr.offers] == [r.interaction_id for r in waiting[:taken]]
    return [r.interaction_id for r in waiting[taken:]]


def stored_once(hub, interaction_id: int, bodies: list[str]) -> None:
    with live_database(hub) as database:
        stored = [body for (body,) in database.execute(
            "SELECT body FROM messages WHERE interaction_id = ? AND kind IN ('in', 'out') "
            "ORDER BY id", (interaction_id,))]
    assert stored == bodies


def test_flushall_loses_no_waiting_resident_and_no_message(scene, redis_server, closing):
    """After FLUSHALL, are the waiting residents back in order and does the chat go on?"""
    resident_hub, clerk_hub, anna, chatting, waiting = scene
    redis_server.client().flushall()
    converse(chatting, anna, "right after the flush")
    next_clerk_gets_the_oldest(clerk_hub, closing, waiting)
    converse(chatting, anna, "after the rebuild")
    stored_once(resident_hub, chatting.interaction_id, [
        "resident before", "clerk before", "resident right after the flush",
        "clerk right after the flush", "resident after the rebuild", "clerk after the rebuild"])


def test_redis_restart_loses_no_waiting_resident_and_no_message(scene, redis_server, closing):
    """Redis crashes and comes back empty: is every message stored once and seen by both
    sides, and is every waiting resident (even one who came during the outage) offered?"""
    resident_hub, clerk_hub, anna, chatting, waiting = scene
    redis_server.stop()

    # While Redis is down the database still takes what residents and clerks write; an
    # answer is either acknowledged (and stored) or refused with a clear error.
    during = chatting.send("resident during the outage")
    assert during["ok"], during
    reply = anna.call("reply", {"interaction_id": chatting.interaction_id,
                                "body": "clerk during the outage"})
    assert reply["ok"], reply
    late = closing(Resident(resident_hub.url))
    started = late.start(name="Came during the outage")
    assert started["ok"] or (started["code"] == "unavailable" and started["error"]), started
    if started["ok"]:
        waiting.append(late)
    accepted = anna.call("presence", {"status": "available"})  # needs Redis
    assert not accepted["ok"] and accepted["code"] == "unavailable" and accepted["error"]
    ready = resident_hub_ready(resident_hub)
    assert ready.status_code == 503 and ready.json()["redis"].startswith("error")

    redis_server.start()
    # Both processes drop their sockets once their fan-out is back; the pages reconnect,
    # the chat resumes after its last message and the console reopens its conversation.
    chatting.wait_until(lambda: chatting.connects >= 2 and chatting.sees(
        "clerk during the outage"), what="the resident to catch up")
    anna.wait_until(lambda: anna.connects >= 2 and anna.sees("resident during the outage"),
                    what="the console to catch up")
    assert resident_hub_ready(resident_hub).status_code == 200
    converse(chatting, anna, "after the restart")
    still_waiting = next_clerk_gets_the_oldest(clerk_hub, closing, waiting)
    queue = f"{resident_hub.env['REDIS_PREFIX']}queue:general"
    assert [int(i) for i in redis_server.client().zrange(queue, 0, -1)] == still_waiting
    stored_once(resident_hub, chatting.interaction_id, [
        "resident before", "clerk before", "resident during the outage",
        "clerk during the outage", "resident after the restart", "clerk after the restart"])
    assert chatting.bodies().count("resident during the outage") == 1


def resident_hub_ready(hub):
    import requests

    return requests.get(hub.url + "/readyz", timeout=TIMEOUT)

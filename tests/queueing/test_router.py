"""The Redis router on its own: ordering, capacity and atomicity under contention."""

from __future__ import annotations

import threading
import uuid

import pytest

from queueing import Router
from queueing.connection import connect
from queueing.router import EXCLUSIVE, ClerkSeat


@pytest.fixture
def router(redis_url):
    return Router(connect(redis_url), f"r{uuid.uuid4().hex[:8]}:", offer_ttl_s=30)


def seat(router, clerk, capacity=3, depts=("registry",), status="available"):
    router.set_clerk(ClerkSeat(clerk, status, capacity, tuple(depts)))


def test_oldest_waiting_goes_first_to_the_clerk_idle_longest(router):
    """Is the oldest contact offered first, and to the clerk who waited longest?"""
    seat(router, 1)
    seat(router, 2)
    router.redis.hset(router.prefix + "clerk:2", "last", 1)  # idle since long ago
    seat(router, 2)  # re-register keeps 'last' and re-sorts
    router.enqueue(11, "registry", score=2000)
    router.enqueue(10, "registry", score=1000)
    offers = router.dispatch("registry", limit=1)
    assert [(o.interaction_id, o.clerk_id) for o in offers] == [(10, 2)]


def test_offers_never_exceed_capacity(router):
    seat(router, 1, capacity=2)
    for i in range(5):
        router.enqueue(100 + i, "registry", score=1000 + i)
    offers = router.dispatch("registry")
    assert len(offers) == 2
    assert router.waiting("registry") == [102, 103, 104]


def test_a_lapsed_offer_returns_to_the_front_of_the_queue(router):
    seat(router, 1, capacity=1)
    router.enqueue(1, "registry", score=1000)
    router.enqueue(2, "registry", score=2000)
    router.dispatch("registry")
    assert router.withdraw(1) == 1
    assert router.waiting("registry") == [1, 2]


def test_only_the_offered_clerk_accepts_even_when_many_try_at_once(router, redis_url):
    """Twenty concurrent accepts by five clerks: exactly one wins, the offered one."""
    for clerk in range(1, 6):
        seat(router, clerk)
    router.enqueue(42, "registry")
    [offer] = router.dispatch("registry", limit=1)
    results: list[tuple[int, bool]] = []
    barrier = threading.Barrier(20)

    def attempt(clerk: int) -> None:
        client = Router(connect(redis_url), router.prefix)  # a connection of its own
        barrier.wait()
        results.append((clerk, client.accept(42, clerk)))

    threads = [threading.Thread(target=attempt, args=(1 + i % 5,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    winners = [clerk for clerk, won in results if won]
    assert winners == [offer.clerk_id]
    assert router.clerk_load(offer.clerk_id) == (1, 0)


def test_many_clerks_pulling_the_same_contact_only_one_gets_it(router):
    for clerk in range(1, 11):
        seat(router, clerk)
    router.enqueue(7, "registry")
    barrier = threading.Barrier(10)
    wins = []

    def attempt(clerk: int) -> None:
        barrier.wait()
        if router.claim(7, clerk, "registry"):
            wins.append(clerk)

    threads = [threading.Thread(target=attempt, args=(c,)) for c in range(1, 11)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(wins) == 1
    assert router.waiting("registry") == []


def test_a_clerk_on_a_break_gets_nothing_and_hands_back_open_offers(router):
    seat(router, 1)
    router.enqueue(5, "registry")
    router.dispatch("registry")
    held = router.set_clerk(ClerkSeat(1, "break", 3, ("registry",)))
    assert held == [5]
    router.withdraw(5)
    assert router.dispatch("registry") == []
    assert router.waiting("registry") == [5]


def test_release_is_idempotent_and_frees_capacity(router):
    seat(router, 1, capacity=1)
    router.enqueue(1, "registry", score=1)
    router.enqueue(2, "registry", score=2)
    router.dispatch("registry")
    assert router.accept(1, 1)
    assert router.dispatch("registry") == []
    assert router.release(1, 1) and not router.release(1, 1)
    assert [o.interaction_id for o in router.dispatch("registry")] == [2]


def test_a_call_waits_for_a_clerk_with_nothing_else_and_then_takes_all_of_them(router):
    """Does an exclusive contact (a call) go only to an idle clerk and fill them up?"""
    seat(router, 1, capacity=3)
    seat(router, 2, capacity=3)
    router.enqueue(1, "registry", score=1)                      # a chat, to clerk 1
    [chat] = router.dispatch("registry", limit=1)
    router.enqueue(2, "registry", score=2, weight=EXCLUSIVE)    # a call
    router.enqueue(3, "registry", score=3)                      # another chat
    offers = {o.interaction_id: o.clerk_id for o in router.dispatch("registry")}
    busy_clerk = chat.clerk_id
    idle_clerk = 2 if busy_clerk == 1 else 1
    assert offers[2] == idle_clerk                              # the call went to the idle one
    assert offers[3] == busy_clerk                              # who is now full: the chat
    assert router.accept(2, idle_clerk)                         # went to the other clerk
    router.enqueue(4, "registry", score=4)                      # the call's clerk is full,
    assert [(o.interaction_id, o.clerk_id) for o in router.dispatch("registry")] == \
        [(4, busy_clerk)]                                       # the other has one place left


def test_the_earliest_due_contact_is_offered_first(router):
    """Scores are due times: a chat due sooner goes before an older form message."""
    seat(router, 1, capacity=1)
    router.enqueue(10, "registry", score=1_000 + 86_400_000)   # a form, queued first
    router.enqueue(11, "registry", score=5_000 + 120_000)      # a chat, queued later
    assert [o.interaction_id for o in router.dispatch("registry")] == [11]

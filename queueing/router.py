"""Routing on Redis: waiting sets per department, clerk capacity, atomic offers.

Every state change is one Lua script, so two processes (or two clicks) can never give one
interaction to two clerks nor push a clerk past their capacity.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import redis

_LUA = Path(__file__).with_name("lua")
_SCRIPTS = (
    "dispatch", "accept", "claim", "withdraw", "release", "set_clerk", "remove", "offer_to",
)
BUILT_MARKER = "built"
# Capacity units a contact takes: a chat 1; EXCLUSIVE takes a clerk's whole capacity (a call).
EXCLUSIVE = 1000


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Offer:
    interaction_id: int
    clerk_id: int
    department: str


@dataclass(frozen=True)
class ClerkSeat:
    """What the router must know of a clerk to rebuild after losing Redis."""

    clerk_id: int
    status: str
    capacity: int
    departments: tuple[str, ...]
    active: tuple[int, ...] = ()
    weights: tuple[int, ...] = ()  # capacity units of each active contact (default 1)


@dataclass(frozen=True)
class Waiting:
    interaction_id: int
    department: str
    score: int
    weight: int = 1


class Router:
    """The queue and routing engine for one hub, keyed under `prefix` in one Redis."""

    def __init__(self, client: redis.Redis, prefix: str = "okienko:", offer_ttl_s: float = 30):
        self.redis = client
        self.prefix = prefix
        self.offer_ttl_ms = int(offer_ttl_s * 1000)
        common = (_LUA / "common.lua").read_text()
        self._scripts = {
            name: client.register_script(common + "\n" + (_LUA / f"{name}.lua").read_text())
            for name in _SCRIPTS
        }

    def _run(self, name: str, *args: object):
        return self._scripts[name](args=[self.prefix, *args])

    def _key(self, *parts: object) -> str:
        return self.prefix + ":".join(str(p) for p in parts)

    # -- the waiting queue -------------------------------------------------------------

    def enqueue(
        self, interaction_id: int, department: str, score: int | None = None, weight: int = 1
    ) -> None:
        """Put an interaction in its department's queue; a lower score is offered first.

        `weight` is the capacity it takes from a clerk (EXCLUSIVE: all of it).
        """
        pipe = self.redis.pipeline()
        if weight != 1:
            pipe.hset(self._key("weight"), str(interaction_id), weight)
        pipe.zadd(self._key("queue", department), {str(interaction_id): score or now_ms()}, nx=True)
        pipe.sadd(self._key("dirty"), department)
        pipe.execute()

    def remove(self, interaction_id: int, department: str) -> int | None:
        """Take an interaction out of the queue; returns the clerk whose offer was withdrawn."""
        clerk = self._run("remove", interaction_id, department)
        return int(clerk) if clerk else None

    def position(self, interaction_id: int, department: str) -> int | None:
        """1-based place in the department's queue, or None when not waiting."""
        rank = self.redis.zrank(self._key("queue", department), str(interaction_id))
        return None if rank is None else rank + 1

    def waiting(self, department: str) -> list[int]:
        """Interaction ids waiting in a department, oldest first."""
        return [int(i) for i in self.redis.zrange(self._key("queue", department), 0, -1)]

    def waiting_count(self, department: str) -> int:
        return self.redis.zcard(self._key("queue", department))

    def oldest_score(self, department: str) -> int | None:
        head = self.redis.zrange(self._key("queue", department), 0, 0, withscores=True)
        return int(head[0][1]) if head else None

    # -- offers ----------------------------------------------------------------------------

    def dispatch(self, department: str, limit: int = 100) -> list[Offer]:
        """Offer the oldest waiting interactions to the free clerks idle longest."""
        flat = self._run("dispatch", department, now_ms(), self.offer_ttl_ms, limit)
        return [Offer(int(flat[i]), int(flat[i + 1]), department) for i in range(0, len(flat), 2)]

    def dispatch_for_clerk(self, clerk_id: int) -> list[Offer]:
        """Route the clerk's departments, the one whose oldest contact waited longest first."""
        departments = self.clerk_departments(clerk_id)
        pipe = self.redis.pipeline(transaction=False)
        for department in departments:
            pipe.zrange(self._key("queue", department), 0, 0, withscores=True)
        heads = [(head[0][1], d) for head, d in zip(pipe.execute(), departments, strict=True) if head]
        ordered = [d for _, d in sorted(heads)]
        offers: list[Offer] = []
        for department in ordered:
            offers += self.dispatch(department)
        return offers

    def offer_to(self, interaction_id: int, clerk_id: int, department: str, score: int) -> bool:
        """Offer straight to a named clerk if they can take it now; False otherwise."""
        return self._run("offer_to", interaction_id, clerk_id, department, now_ms(),
                         self.offer_ttl_ms, score) == 1

    def accept(self, interaction_id: int, clerk_id: int) -> bool:
        """True for exactly one caller: the clerk the open offer names."""
        return self._run("accept", interaction_id, clerk_id) == 1

    def claim(self, interaction_id: int, clerk_id: int, department: str) -> bool:
        """Pull a waiting interaction; True for exactly one clerk, within capacity."""
        return self._run("claim", interaction_id, clerk_id, department, now_ms()) == 1

    def withdraw(self, interaction_id: int, requeue: bool = True) -> int | None:
        """Cancel an open offer, back to the same place in the queue; returns its clerk."""
        clerk = self._run("withdraw", interaction_id, "1" if requeue else "0")
        return int(clerk) if clerk else None

    def expired_offers(self, at_ms: int | None = None) -> list[int]:
        due = self.redis.zrangebyscore(self._key("offers"), "-inf", at_ms or now_ms())
        return [int(i) for i in due]

    def offer_of(self, interaction_id: int) -> int | None:
        clerk = self.redis.hget(self._key("offer", interaction_id), "clerk")
        return int(clerk) if clerk else None

    # -- clerks ------------------------------------------------------------------------------

    def set_clerk(self, seat: ClerkSeat) -> list[int]:
        """Record presence, capacity and skills; returns offers the clerk still holds."""
        held = self._run(
            "set_clerk", seat.clerk_id, seat.status, seat.capacity, now_ms(), *seat.departments
        )
        return [int(i) for i in held]

    def release(self, interaction_id: int, clerk_id: int) -> bool:
        """Free the capacity a conversation held; idempotent."""
        return self._run("release", interaction_id, clerk_id) == 1

    def clerk_departments(self, clerk_id: int) -> list[str]:
        return sorted(self.redis.smembers(self._key("clerk", clerk_id, "depts")))

    def clerk_load(self, clerk_id: int) -> tuple[int, int]:
        """(accepted conversations, open offers) the clerk holds."""
        pipe = self.redis.pipeline()
        pipe.scard(self._key("clerk", clerk_id, "active"))
        pipe.scard(self._key("clerk", clerk_id, "offers"))
        active, offers = pipe.execute()
        return active, offers

    def busy_units(self, clerk_id: int) -> int:
        """Capacity units in use (offers included): a call fills the clerk, a chat takes 1."""
        return sum(int(u) for u in self.redis.hvals(self._key("clerk", clerk_id) + ":load"))

    def clerk_offers(self, clerk_id: int) -> list[int]:
        return [int(i) for i in self.redis.smembers(self._key("clerk", clerk_id, "offers"))]

    def count_lapse(self, clerk_id: int) -> int:
        """One more offer the clerk let lapse in a row; returns the run's length."""
        return self.redis.hincrby(self._key("clerk", clerk_id), "lapses", 1)

    def reset_lapses(self, clerk_id: int) -> None:
        self.redis.hdel(self._key("clerk", clerk_id), "lapses")

    def clerk_status(self, clerk_id: int) -> str:
        return self.redis.hget(self._key("clerk", clerk_id), "status") or "offline"

    def staffed_slots(self, department: str) -> int:
        """Sum of chat capacity of the clerks available for a department."""
        return sum(int(v) for v in self.redis.hvals(self._key("staffed", department)))

    # -- console presence (shared by all processes) ----------------------------------------

    def clerk_seen(self, clerk_id: int) -> None:
        """A console of the clerk's is open (called on connect and on each heartbeat)."""
        self.redis.hset(self._key("clerk", clerk_id), "seen", now_ms())
        self.redis.sadd(self._key("clerks"), clerk_id)

    def clerks_gone_since(self, before_ms: int) -> list[int]:
        """Clerks not offline whose console has not been seen since `before_ms`."""
        gone = []
        for c in self.redis.smembers(self._key("clerks")):
            status, seen = self.redis.hmget(self._key("clerk", c), "status", "seen")
            if status and status != "offline" and int(seen or 0) < before_ms:
                gone.append(int(c))
        return gone

    # -- statistics for wait estimates -----------------------------------------------------

    def record_handling(self, department: str, seconds: float, keep: int = 50) -> None:
        pipe = self.redis.pipeline()
        pipe.lpush(self._key("handling", department), round(seconds, 1))
        pipe.ltrim(self._key("handling", department), 0, keep - 1)
        pipe.execute()

    def mean_handling(self, department: str) -> float | None:
        values = [float(v) for v in self.redis.lrange(self._key("handling", department), 0, -1)]
        return sum(values) / len(values) if values else None

    def take_dirty(self) -> list[str]:
        """Departments whose queue changed since the last call (positions to push)."""
        pipe = self.redis.pipeline()
        pipe.smembers(self._key("dirty"))
        pipe.delete(self._key("dirty"))
        members, _ = pipe.execute()
        return sorted(members)

    # -- losing Redis ------------------------------------------------------------------------

    def is_built(self) -> bool:
        return bool(self.redis.exists(self._key(BUILT_MARKER)))

    def rebuild(self, waiting: Iterable[Waiting], clerks: Iterable[ClerkSeat]) -> int:
        """Drop this hub's routing keys and restore them from the record; returns waiting count."""
        keep = {self._key("handling")}
        for key in self.redis.scan_iter(match=self.prefix + "*", count=1000):
            if not key.startswith(tuple(keep)) and self._is_routing_key(key):
                self.redis.delete(key)
        count = 0
        for item in waiting:
            self.enqueue(item.interaction_id, item.department, item.score, item.weight)
            count += 1
        for seat in clerks:
            self.set_clerk(seat)
            weights = seat.weights or (1,) * len(seat.active)
            for interaction_id, weight in zip(seat.active, weights, strict=True):
                self.redis.sadd(self._key("clerk", seat.clerk_id, "active"), str(interaction_id))
                self.redis.hset(self._key("clerk", seat.clerk_id, "load"), str(interaction_id),
                                min(weight, seat.capacity))
            self.set_clerk(seat)
        self.redis.set(self._key(BUILT_MARKER), now_ms())
        return count

    def _is_routing_key(self, key: str) -> bool:
        kind = key[len(self.prefix):].split(":", 1)[0]
        return kind in {"queue", "free", "staffed", "offer", "offers", "clerk", "clerks", "dirty",
                        "weight", BUILT_MARKER}

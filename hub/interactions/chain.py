"""A keyed hash chain over the timeline, so tampering with logged events can be detected.

Each event, in id order, gets
    chain_hash = HMAC-SHA256(key, previous chain_hash + canonical(event))
where canonical(event) is its id, interaction, kind, actor, data (JSON, sorted keys) and
creation time. record() stays a plain insert: seal_pending(), run by the routing sweep every
second or so, seals the events that are at least LOG_CHAIN_SEAL_SECONDS old, oldest first,
stopping at the first younger one. The wait matters on PostgreSQL, where ids are handed out
when a row is inserted but become visible when its transaction commits, so a lower id can
appear after a higher one: an event whose transaction commits more than that long after it
was written stays unsealed below sealed ones, and verify() reports it (as it would an
insertion). Only one process seals at a time (a Redis lock), so writers never contend for
the head of the chain.

What it guarantees: someone who can write to the database but does not hold the key cannot
change, delete or insert a sealed event, nor reorder them, without verify() finding the
first event that no longer fits. It does not protect the last seconds before sealing, nor
the deletion of the newest events (the chain simply ends earlier: compare with a head hash
kept elsewhere, e.g. `flask log head` exported daily), and whoever holds the key (by default
derived from SECRET_KEY) can rewrite the whole chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, func, select, update

from hub.clock import utcnow
from hub.extensions import db
from hub.interactions.models import InteractionEvent

log = logging.getLogger(__name__)

GENESIS = ""  # the "previous hash" of the first event
BATCH = 5000
_T = InteractionEvent.__table__
_FIELDS = (_T.c.id, _T.c.interaction_id, _T.c.kind, _T.c.actor_type, _T.c.actor_id, _T.c.data,
           _T.c.created_at)


def key() -> bytes:
    """LOG_CHAIN_KEY, or a key derived from SECRET_KEY when it is not set."""
    configured = current_app.config.get("LOG_CHAIN_KEY")
    if configured:
        return configured.encode()
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"okienko event log chain", hashlib.sha256).digest()


def canonical(row: Any) -> bytes:
    """The bytes an event's hash covers: every field as written, in a fixed form."""
    created: datetime = row.created_at
    return json.dumps(
        [row.id, row.interaction_id, row.kind, row.actor_type, row.actor_id, row.data or {},
         created.isoformat(timespec="microseconds")],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str,
    ).encode()


def link(secret: bytes, previous: str, row: Any) -> str:
    """The chain hash of `row` following an event whose chain hash is `previous`."""
    return hmac.new(secret, previous.encode() + canonical(row), hashlib.sha256).hexdigest()


def head() -> tuple[int, str, datetime | None] | None:
    """(id, chain hash, sealed at) of the newest sealed event, or None before any."""
    row = db.session.execute(
        select(_T.c.id, _T.c.chain_hash, _T.c.sealed_at)
        .where(_T.c.chain_hash.is_not(None)).order_by(_T.c.id.desc()).limit(1)
    ).first()
    return None if row is None else (row.id, row.chain_hash, row.sealed_at)


def seal_pending(limit: int = BATCH) -> int:
    """Chain events not yet sealed; returns how many were sealed."""
    from hub.queue import router

    redis, prefix = router().redis, router().prefix
    lock = redis.lock(prefix + "chain-seal", timeout=120)
    if not lock.acquire(blocking=False):
        return 0  # another process is sealing
    try:
        count, last = _seal(limit, _cached_head(redis.get(prefix + "chain-head")))
        if last is not None:
            redis.set(prefix + "chain-head", f"{last[0]}:{last[1]}")
        return count
    finally:
        try:
            lock.release()
        except Exception:  # the lock expired meanwhile: the next sweep carries on
            log.warning("the chain seal lock expired while sealing")


def _cached_head(cached: str | bytes | None) -> tuple[int, str] | None:
    """The head remembered in Redis, if the database still agrees (saves a scan over the
    unsealed events when many wait, as after the upgrade that added the chain)."""
    if not cached:
        return None
    text = cached.decode() if isinstance(cached, bytes) else cached
    event_id, _, chain_hash = text.partition(":")
    stored = db.session.scalar(select(_T.c.chain_hash).where(_T.c.id == int(event_id)))
    return (int(event_id), chain_hash) if stored == chain_hash else None


def _seal(limit: int, known: tuple[int, str] | None) -> tuple[int, tuple[int, str] | None]:
    now = utcnow()
    cutoff = now - timedelta(seconds=current_app.config["LOG_CHAIN_SEAL_SECONDS"])
    last = known or head()
    after, previous = (last[0], last[1]) if last else (0, GENESIS)
    rows = db.session.execute(
        select(*_FIELDS, _T.c.chain_hash).where(_T.c.id > after).order_by(_T.c.id).limit(limit)
    ).all()
    if known is not None and rows and rows[0].chain_hash is not None:
        return _seal(limit, None)  # the remembered head is behind: read it from the table
    secret, sealed = key(), []
    for row in rows:
        if row.created_at > cutoff:
            break  # younger events, and any after them, wait for the next sweep
        previous = link(secret, previous, row)
        sealed.append({"event_id": row.id, "hash": previous, "at": now})
    if not sealed:
        db.session.rollback()
        return 0, None
    result = db.session.execute(
        update(_T).where(_T.c.id == bindparam("event_id"), _T.c.chain_hash.is_(None))
        .values(chain_hash=bindparam("hash"), sealed_at=bindparam("at")),
        sealed,
    )
    if result.rowcount not in (-1, len(sealed)):
        db.session.rollback()  # someone sealed meanwhile despite the lock: start again later
        log.warning("chain sealing raced; %d of %d rows updated", result.rowcount, len(sealed))
        return 0, None
    db.session.commit()
    return len(sealed), (sealed[-1]["event_id"], sealed[-1]["hash"])


def seal_all() -> int:
    """Seal everything old enough (after an upgrade, or from the command line)."""
    total = 0
    while (count := seal_pending()) > 0:
        total += count
    return total


@dataclass(frozen=True)
class Check:
    """The outcome of recomputing the chain."""

    broken_at: int | None  # the first event that does not fit, or None when intact
    checked: int  # sealed events recomputed
    head_id: int | None  # the newest sealed event
    head_hash: str | None
    sealed_at: datetime | None
    pending: int  # events after the head, not sealed yet

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def _in_order(batch: int = 10000) -> Iterator[Any]:
    after = 0
    while True:
        rows = db.session.execute(
            select(*_FIELDS, _T.c.chain_hash, _T.c.sealed_at)
            .where(_T.c.id > after).order_by(_T.c.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].id


def check() -> Check:
    """Recompute every sealed event's hash, in id order, from the first event on.

    An event breaks the chain when its hash does not match (it, or the one before it, was
    changed or deleted, or the order changed) or when it is unsealed while a later one is
    sealed (inserted afterwards, or committed later than the sealing wait).
    """
    secret, previous = key(), GENESIS
    checked, unsealed, last = 0, None, None
    for row in _in_order():
        if row.chain_hash is None:
            unsealed = unsealed or row.id
            continue
        if unsealed is not None:
            return _result(unsealed, checked, last)
        if not hmac.compare_digest(link(secret, previous, row), row.chain_hash):
            return _result(row.id, checked, last)
        previous, last, checked = row.chain_hash, row, checked + 1
    return _result(None, checked, last)


def _result(broken_at: int | None, checked: int, last: Any) -> Check:
    after = last.id if last is not None else 0
    pending = db.session.scalar(select(func.count()).select_from(_T).where(_T.c.id > after))
    return Check(broken_at, checked, last.id if last else None,
                 last.chain_hash if last else None, last.sealed_at if last else None, pending)


def verify() -> int | None:
    """The id of the first event that breaks the chain, or None when it is intact."""
    return check().broken_at

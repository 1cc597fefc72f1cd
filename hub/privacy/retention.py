"""Anonymise residents' personal data past the retention period, keeping the statistics.

The routing sweep calls purge_if_due() every second in every process; the purge itself runs
at most once an hour across all of them (a timestamp in Redis, claimed atomically), in
batches of BATCH rows per transaction; once a day it also compacts the full-text index so
erased words leave the database file (hub.privacy.storage). `flask privacy purge` runs both
at once.

What is past retention (settings "retention_days", counted back from now):
- an interaction that has ended (closed or abandoned) before the cut-off, by when it was
  closed (else when the resident left, else when it was created), unless a visit booked
  from it ends after the cut-off;
- a booking whose visit ended before the cut-off, whatever its state (a visit that long ago
  is over even if nobody marked it);
- a text, e-mail or call kept in the offline outbox before the cut-off;
- a text still waiting to go out through Twilio since before the cut-off (its job was lost
  or gave up long ago: it is dropped, not sent).
Numbers that opted out of texts stay: they are what stops the city texting them again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, func, select

from channels.models import OutboxEntry, TextSending
from hub import settings
from hub.booking.models import Booking
from hub.clock import epoch_ms, utcnow
from hub.extensions import db
from hub.interactions.events import record
from hub.interactions.models import Interaction
from hub.privacy import anonymise
from hub.privacy.anonymise import BATCH, Counts
from hub.privacy.storage import compact_fulltext
from hub.queue import router

PURGE_INTERVAL_SECONDS = 3600
# The full-text index is compacted (erased words dropped from its file pages) once a day:
# on 2,000,000 messages it takes about 3 s of short steps, too much to repeat every hour.
COMPACT_INTERVAL_SECONDS = 24 * 3600
ENDED_STATES = ("closed", "abandoned")

# Claim a periodic task if it last began at least ARGV[2] ms ago (or the clock went back).
_CLAIM = """
local last = redis.call('GET', KEYS[1])
if last then
  local since = tonumber(ARGV[1]) - tonumber(last)
  if since >= 0 and since < tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""


def cutoff(now: datetime | None = None) -> datetime:
    """Records that ended before this are past retention."""
    return (now or utcnow()) - timedelta(days=settings.get("retention_days"))


def _claim(task: str, interval_seconds: int) -> bool:
    """True for exactly one process once per interval (by the hub's clock)."""
    r = router()
    return bool(r.redis.eval(_CLAIM, 1, f"{r.prefix}privacy:last-{task}",
                             epoch_ms(utcnow()), interval_seconds * 1000))


def purge_if_due() -> int:
    """Run the retention purge when it is due; returns how many records were anonymised."""
    if not _claim("purge", PURGE_INTERVAL_SECONDS):
        return 0
    anonymised = purge().records
    if _claim("compaction", COMPACT_INTERVAL_SECONDS):
        compact_fulltext()
    return anonymised


def purge(now: datetime | None = None) -> Counts:
    """Anonymise everything past retention now, and log one summary event if anything was."""
    limit = cutoff(now)
    counts = anonymise_before(limit)
    if counts.records:
        record(None, "retention_purge", "system", cutoff=limit.isoformat(timespec="seconds"),
               **counts.as_dict())
        db.session.commit()
    return counts


def _ended(cut: datetime):
    """Interactions that ended before the cut-off and are not yet anonymised."""
    ended_at = func.coalesce(Interaction.closed_at, Interaction.resident_left_at,
                             Interaction.created_at)
    later_visit = exists().where(Booking.interaction_id == Interaction.id,
                                 Booking.ends_at >= cut)
    # created_at < cut follows from ended_at < cut; said outright, an index on created_at
    # can narrow the scan (where the planner takes it).
    return (Interaction.anonymised_at.is_(None), Interaction.created_at < cut,
            Interaction.state.in_(ENDED_STATES), ended_at < cut, ~later_visit)


def _due(cut: datetime) -> dict[str, object]:
    """The selections of what is past retention, each as a query of ids."""
    return {
        "interactions": select(Interaction.id).where(*_ended(cut)),
        "bookings": select(Booking.id).where(Booking.anonymised_at.is_(None),
                                             Booking.ends_at < cut),
        "outbox": select(OutboxEntry.id).where(OutboxEntry.created_at < cut,
                                               OutboxEntry.to != ""),
        "texts": select(TextSending.id).where(TextSending.created_at < cut),
    }


def count_before(cut: datetime) -> dict[str, int]:
    """What a purge with this cut-off would anonymise (for a dry run)."""
    return {kind: db.session.scalar(select(func.count()).select_from(query.subquery()))
            for kind, query in _due(cut).items()}


def anonymise_before(cut: datetime) -> Counts:
    """Anonymise everything that ended before `cut`, committing every BATCH rows."""
    now = utcnow()
    counts = Counts()
    steps = {
        "interactions": lambda ids: anonymise.interactions(ids, now),
        "bookings": lambda ids: Counts(bookings=anonymise.bookings(ids, now)),
        "outbox": lambda ids: Counts(outbox=anonymise.outbox(ids)),
        "texts": lambda ids: Counts(texts=anonymise.texts(ids)),
    }
    for kind, query in _due(cut).items():
        while True:
            # Anonymised rows drop out of the selection, so each round takes the next ones.
            ids = list(db.session.scalars(query.limit(BATCH)))
            done = steps[kind](ids) if ids else Counts()
            db.session.commit()
            counts.add(done)
            if len(ids) < BATCH or not getattr(done, kind):  # all done, or no headway
                break
    return counts

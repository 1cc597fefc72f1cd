"""The weekly random sample: a few real exchanges per clerk per week, drawn reproducibly.

For a week (Monday to Sunday in the office's zone) and each clerk who closed interactions
in it, the sample holds `review_sample_per_clerk` interactions, and at least one for every
channel the clerk handled, so it has max(N, channels) when there are enough. The draw is
seeded from the week, the clerk and a secret derived from SECRET_KEY: every process, on
every run, draws the same interactions, and nobody can predict them without the key. Only
this sample feeds a clerk's quality score (see docs/review.md).
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.exc import IntegrityError

from hub import settings
from hub.callbacks.models import CallAttempt
from hub.clock import office_zone, to_local, to_utc, utcnow
from hub.errors import MESSAGES, InvalidInput
from hub.extensions import db
from hub.interactions.models import Interaction, Message
from hub.review.models import ReviewListItem

# Contacts that are no conversation to score: ended as abusive (or spam), or a booking alone.
EXCLUDED_DISPOSITIONS = ("abusive", "spam")
UNREVIEWED_CHANNELS = ("booking",)
# draw_due() remembers, per process and in Redis, the weeks already drawn.
_drawn: set[str] = set()
DRAWN_KEY = "review:sample:drawn:"

MESSAGES.update({
    "sample_week_not_over": _l("The sample for a week can be drawn once the week is over."),
})


# -- weeks -----------------------------------------------------------------------------------


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_bounds(monday: date) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 in the office's zone, as naive UTC."""
    zone = office_zone()
    start = datetime.combine(monday, time(0), zone)
    end = datetime.combine(monday + timedelta(days=7), time(0), zone)
    return to_utc(start), to_utc(end)


def last_full_week(now: datetime | None = None) -> date:
    """The Monday of the latest week that is over (the week before the current one)."""
    today = to_local(now or utcnow()).date()
    return monday_of(today) - timedelta(days=7)


def recent_weeks(count: int = 12, now: datetime | None = None) -> list[date]:
    """The Mondays of the last `count` weeks that are over, newest first."""
    newest = last_full_week(now)
    return [newest - timedelta(days=7 * n) for n in range(count)]


# -- what counts as a real exchange ---------------------------------------------------------


def real_exchange():
    """SQL: the clerk really talked with the resident.

    A conversation: at least one message from the resident and one reply written by the
    interaction's clerk. A call back: a call by that clerk the resident answered.
    """
    wrote = exists().where(Message.interaction_id == Interaction.id, Message.kind == "in")
    replied = exists().where(Message.interaction_id == Interaction.id, Message.kind == "out",
                             Message.author_id == Interaction.clerk_id)
    talked = exists().where(CallAttempt.interaction_id == Interaction.id,
                            CallAttempt.clerk_id == Interaction.clerk_id,
                            CallAttempt.talk_seconds > 0)
    return or_(and_(wrote, replied), and_(Interaction.channel == "callback", talked))


def reviewable():
    """SQL: a closed contact of a clerk's, not a mystery shopper's, not abuse, not a booking."""
    return and_(
        Interaction.state == "closed",
        Interaction.clerk_id.is_not(None),
        Interaction.mystery_shopper.is_(False),
        Interaction.channel.not_in(UNREVIEWED_CHANNELS),
        or_(Interaction.disposition.is_(None),
            Interaction.disposition.not_in(EXCLUDED_DISPOSITIONS)),
    )


def is_reviewable(interaction: Interaction) -> bool:
    """reviewable() for a loaded interaction (a look-up by id need not ask SQL, where
    SQLite would rather walk the state index than take the ids)."""
    return (interaction.state == "closed" and interaction.clerk_id is not None
            and not interaction.mystery_shopper
            and interaction.channel not in UNREVIEWED_CHANNELS
            and interaction.disposition not in EXCLUDED_DISPOSITIONS)


def candidates(monday: date) -> dict[int, list[tuple[int, str]]]:
    """Clerk id → [(interaction id, channel)] of the week's real exchanges, by id."""
    start, end = week_bounds(monday)
    rows = db.session.execute(
        select(Interaction.clerk_id, Interaction.id, Interaction.channel)
        .where(reviewable(), real_exchange(),
               Interaction.closed_at >= start, Interaction.closed_at < end)
        .order_by(Interaction.id)
    )
    pool: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for clerk_id, interaction_id, channel in rows:
        pool[clerk_id].append((interaction_id, channel))
    return pool


# -- the draw --------------------------------------------------------------------------------


def _rng(monday: date, clerk_id: int) -> random.Random:
    """A generator seeded from the week, the clerk and a secret only the hub knows."""
    secret = hmac.new(current_app.config["SECRET_KEY"].encode(), b"review-sample",
                      hashlib.sha256).digest()
    seed = hmac.new(secret, f"{monday.isoformat()}:{clerk_id}".encode(), hashlib.sha256)
    return random.Random(int.from_bytes(seed.digest()[:16], "big"))


def choose(pool: list[tuple[int, str]], size: int, rng: random.Random) -> list[int]:
    """One per channel first (channels in name order), then the rest at random; size is
    max(size, channels), at most the pool. The same pool and generator give the same ids."""
    chosen: list[int] = []
    for channel in sorted({c for _, c in pool}):
        chosen.append(rng.choice([i for i, c in pool if c == channel]))
    rest = [i for i, _ in pool if i not in chosen]
    chosen += rng.sample(rest, min(len(rest), max(0, size - len(chosen))))
    return sorted(chosen)


def draw(monday: date, now: datetime | None = None) -> dict[int, list[ReviewListItem]]:
    """Draw the week's sample for every clerk not yet drawn; clerk id → the new items.

    Drawing again adds nothing (a clerk with items for the week is skipped, and the list
    holds an interaction once), so two processes may race: the loser's rows are dropped.
    """
    monday = monday_of(monday)
    if week_bounds(monday)[1] > (now or utcnow()):
        raise InvalidInput("sample_week_not_over")
    size = int(settings.get("review_sample_per_clerk"))
    done = set(db.session.scalars(
        select(ReviewListItem.clerk_id).where(ReviewListItem.kind == "random",
                                              ReviewListItem.week == monday)
    ))
    drawn: dict[int, list[ReviewListItem]] = {}
    for clerk_id, pool in sorted(candidates(monday).items()):
        if clerk_id in done:
            continue
        items = [ReviewListItem(interaction_id=i, kind="random", clerk_id=clerk_id, week=monday)
                 for i in choose(pool, size, _rng(monday, clerk_id))]
        savepoint = db.session.begin_nested()
        try:
            db.session.add_all(items)
            db.session.flush()
            savepoint.commit()
            drawn[clerk_id] = items
        except IntegrityError:
            savepoint.rollback()  # another process drew this clerk's week meanwhile
    db.session.commit()
    return drawn


def draw_due(now: datetime | None = None) -> int:
    """Draw last week's sample if nobody has yet; returns how many items were added.

    Cheap when done: a set in this process, then a Redis key shared by every process;
    the database is asked only the first time a process meets a new week.
    """
    from hub.queue import router

    monday = last_full_week(now)
    key = router().prefix + DRAWN_KEY + monday.isoformat()
    if key in _drawn:
        return 0
    if not router().redis.exists(key):
        added = sum(len(items) for items in draw(monday, now).values())
        router().redis.set(key, "1", ex=60 * 24 * 3600)
    else:
        added = 0
    _drawn.add(key)
    return added

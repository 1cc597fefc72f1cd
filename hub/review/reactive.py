"""The reactive review list: contacts that call for a look, whatever the sample drew.

An interaction is listed when it was rated 1–2 stars (low_rating), tagged as a complaint
(the `complaint_tag` setting), answered later than its target (past_sla: the wallboard's
definition, see docs/routing.md; a callback, due at its window, is late when no clerk took
it before its window ended), or when the same resident (same browser or phone, or the same
contact details) had contacted the office within `repeat_contact_days` days before it
(repeat_contact: the later contact is listed). Reactive reviews are reported apart from the
random sample, so they do not bias a clerk's quality score.

The list is kept up to date incrementally from the event log: every interaction with an
event since the last pass is looked at again, so a late rating or tag still lands.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from hub import settings
from hub.callbacks.models import CallbackRequest
from hub.clock import utcnow
from hub.extensions import db
from hub.interactions.models import Interaction, InteractionEvent
from hub.interactions.routing import answer_target
from hub.review.models import REACTIVE_REASONS, ReviewListItem
from hub.review.sampling import UNREVIEWED_CHANNELS, is_reviewable

CHUNK = 500
# reactive_due(): at most one pass per this many seconds (all processes together), each
# reading the log from a little before where the last pass stopped (late commits).
THROTTLE_SECONDS = 30
OVERLAP = timedelta(minutes=2)
WATERMARK_KEY = "review:reactive:since"
THROTTLE_KEY = "review:reactive:throttle"


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def touched_since(since: datetime) -> list[int]:
    """Ids of the interactions with an event since `since` (the events' time is indexed;
    no DISTINCT in SQL, which would make SQLite walk the interaction index instead)."""
    return sorted(set(db.session.scalars(
        select(InteractionEvent.interaction_id)
        .where(InteractionEvent.created_at >= since, InteractionEvent.interaction_id.is_not(None))
    )))


def past_sla(interaction: Interaction, window_end: datetime | None = None) -> bool:
    """Answered later than its target (the wallboard's "hit" failed); a callback: not taken
    by a clerk before its window ended."""
    if interaction.assigned_at is None or interaction.queued_at is None:
        return False
    if interaction.channel == "callback" and window_end is not None:
        return interaction.assigned_at > window_end
    waited = (interaction.assigned_at - interaction.queued_at).total_seconds()
    return waited > answer_target(interaction.channel, interaction.department)


def _repeats(interactions: list[Interaction], days: int) -> set[int]:
    """Ids of those with an earlier contact by the same resident within `days` days."""
    window = timedelta(days=days)
    devices = {i.resident_device for i in interactions if i.resident_device}
    handles = {i.resident_handle for i in interactions if i.resident_handle}
    if not devices and not handles:
        return set()
    low = min(i.created_at for i in interactions) - window
    earlier_rows = []
    base = (select(Interaction.id, Interaction.resident_device, Interaction.resident_handle,
                   Interaction.created_at)
            .where(Interaction.created_at >= low, Interaction.mystery_shopper.is_(False),
                   Interaction.channel.not_in(UNREVIEWED_CHANNELS)))
    for part in _chunks(sorted(devices)):
        earlier_rows += db.session.execute(base.where(Interaction.resident_device.in_(part)))
    for part in _chunks(sorted(handles)):
        # resident_handle has no index; a contact by handle has been queued, and the
        # queueing time is indexed, so this reads only the window's contacts.
        earlier_rows += db.session.execute(base.where(Interaction.resident_handle.in_(part),
                                                      Interaction.queued_at >= low))
    by_device: dict[str, list[tuple[int, datetime]]] = {}
    by_handle: dict[str, list[tuple[int, datetime]]] = {}
    for other_id, device, handle, created in set(earlier_rows):
        if device:
            by_device.setdefault(device, []).append((other_id, created))
        if handle:
            by_handle.setdefault(handle, []).append((other_id, created))
    repeated = set()
    for item in interactions:
        others = (by_device.get(item.resident_device, []) if item.resident_device else []) + (
            by_handle.get(item.resident_handle, []) if item.resident_handle else [])
        if any(other_id < item.id and item.created_at - window <= created <= item.created_at
               for other_id, created in others):
            repeated.add(item.id)
    return repeated


def reasons_for(interactions: list[Interaction]) -> dict[int, list[str]]:
    """Interaction id → why it belongs on the reactive list (only those with a reason)."""
    tag = str(settings.get("complaint_tag"))
    days = int(settings.get("repeat_contact_days"))
    windows = dict(db.session.execute(
        select(CallbackRequest.interaction_id, CallbackRequest.window_end)
        .where(CallbackRequest.interaction_id.in_(
            [i.id for i in interactions if i.channel == "callback"]))
    ).all()) if any(i.channel == "callback" for i in interactions) else {}
    repeated = _repeats(interactions, days)
    found: dict[int, list[str]] = {}
    for item in interactions:
        why = {
            "low_rating": item.csat is not None and item.csat <= 2,
            "complaint": tag in (item.tags or []),
            "past_sla": past_sla(item, windows.get(item.id)),
            "repeat_contact": item.id in repeated,
        }
        reasons = [r for r in REACTIVE_REASONS if why[r]]
        if reasons:
            found[item.id] = reasons
    return found


def list_reactive(interaction_ids: list[int]) -> int:
    """Put these interactions on the reactive list where a reason applies, adding reasons
    to rows already there (reasons are never taken away); returns rows added or changed."""
    changed = 0
    for part in _chunks(sorted(set(interaction_ids))):
        interactions = [i for i in db.session.scalars(
            select(Interaction).where(Interaction.id.in_(part))
            .options(selectinload(Interaction.department))
        ) if is_reviewable(i)]
        if not interactions:
            continue
        found = reasons_for(interactions)
        existing = {row.interaction_id: row for row in db.session.scalars(
            select(ReviewListItem).where(ReviewListItem.kind == "reactive",
                                         ReviewListItem.interaction_id.in_(list(found)))
        )}
        by_id = {i.id: i for i in interactions}
        new = []
        for interaction_id, reasons in found.items():
            row = existing.get(interaction_id)
            if row is None:
                new.append(ReviewListItem(interaction_id=interaction_id, kind="reactive",
                                          reasons=",".join(reasons),
                                          clerk_id=by_id[interaction_id].clerk_id))
                continue
            merged = [r for r in REACTIVE_REASONS if r in reasons or r in row.reasons.split(",")]
            if ",".join(merged) != row.reasons:
                row.reasons = ",".join(merged)
                changed += 1
        changed += _add(new)
        db.session.commit()
    return changed


def _add(rows: list[ReviewListItem]) -> int:
    """Insert new list rows at once; if another process listed some meanwhile, one by one,
    leaving theirs. Returns how many were added."""
    if not rows:
        return 0
    savepoint = db.session.begin_nested()
    try:
        db.session.add_all(rows)
        db.session.flush()
        savepoint.commit()
        return len(rows)
    except IntegrityError:
        savepoint.rollback()
    added = 0
    for row in rows:
        fresh = ReviewListItem(interaction_id=row.interaction_id, kind=row.kind,
                               reasons=row.reasons, clerk_id=row.clerk_id)
        savepoint = db.session.begin_nested()
        try:
            db.session.add(fresh)
            db.session.flush()
            savepoint.commit()
            added += 1
        except IntegrityError:
            savepoint.rollback()  # another process listed it meanwhile
    return added


def update_reactive(since: datetime) -> int:
    """Look again at every interaction with an event since `since`; returns rows added or
    changed. Incremental: its cost follows the events since then, not the log's size."""
    return list_reactive(touched_since(since))


def reactive_due(now: datetime | None = None, force: bool = False) -> int:
    """update_reactive() from where the last pass stopped, at most every THROTTLE_SECONDS
    across processes (a Redis key) unless forced; the first pass looks back
    `repeat_contact_days` days. Returns rows added or changed."""
    from hub.queue import router

    now = now or utcnow()
    redis, prefix = router().redis, router().prefix
    throttled = not redis.set(prefix + THROTTLE_KEY, "1", nx=True, px=THROTTLE_SECONDS * 1000)
    if throttled and not force:
        return 0
    stored = redis.get(prefix + WATERMARK_KEY)
    if stored:
        since = datetime.fromisoformat(stored.decode() if isinstance(stored, bytes) else stored)
    else:
        since = now - timedelta(days=int(settings.get("repeat_contact_days")))
    changed = update_reactive(since - OVERLAP)
    redis.set(prefix + WATERMARK_KEY, now.isoformat())
    return changed

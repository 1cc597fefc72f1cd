"""The domain side of routing: it keeps the record and the Redis queue in step.

Redis decides atomically who gets what (queueing.Router); this module writes each decision
to the database and the timeline, and announces it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from hub import signals
from hub.accounts.models import PRESENCE, Department, User
from hub.clock import epoch_ms, utcnow
from hub.errors import InvalidInput
from hub.extensions import db
from hub.interactions.events import record
from hub.interactions.models import Interaction, Message
from hub.interactions.notices import announce, system_message
from hub.queue import router
from queueing.connection import OUTAGES as REDIS_OUTAGES
from queueing.estimate import estimate_wait
from queueing.router import BUILT_MARKER, EXCLUSIVE, ClerkSeat, Offer, Waiting, now_ms

log = logging.getLogger(__name__)

# When this process first met an unreachable Redis (epoch ms): the next sweep that reaches it
# rebuilds the index unless someone rebuilt it since, as writes committed meanwhile (or a
# restart from an older snapshot) left it stale.
_lost_redis: list[int] = []
_lost_lock = threading.Lock()


def redis_lost() -> None:
    """Ask the sweep to rebuild Redis from the record once it answers again."""
    with _lost_lock:
        if not _lost_redis:
            _lost_redis.append(now_ms())


def seat(clerk: User, status: str | None = None) -> ClerkSeat:
    return ClerkSeat(clerk.id, status or clerk.presence, clerk.capacity, clerk.department_codes)


def weight(channel: str) -> int:
    """Chat-like contacts share a clerk; a call takes the whole clerk."""
    return EXCLUSIVE if channel in current_app.config["EXCLUSIVE_CHANNELS"] else 1


def due_score(channel: str, department: Department, queued_ms: int) -> int:
    """Place in the queue: when the contact falls due (queued + the channel's target).

    Within one channel and department this is plain oldest first; across channels a live
    chat due in two minutes goes before a form message due tomorrow.
    """
    return queued_ms + answer_target(channel, department) * 1000


def answer_target(channel: str, department: Department) -> int:
    """Seconds within which a contact should be answered: its channel's target if one is
    configured (CHANNEL_SLA_SECONDS), else its department's (Department.sla_seconds)."""
    return current_app.config["CHANNEL_SLA_SECONDS"].get(channel, department.sla_seconds)


def enqueue(interaction: Interaction) -> None:
    """Put a committed, queued interaction in Redis and route its department at once.

    With Redis unreachable it stays queued in the record; the rebuild queues it."""
    try:
        router().enqueue(interaction.id, interaction.department.code, interaction.queue_score,
                         weight(interaction.channel))
    except REDIS_OUTAGES as error:
        log.warning("interaction %s queued in the record only: %s", interaction.id, error)
        redis_lost()
        return
    dispatch(interaction.department.code)
    publish_positions(interaction.department.code)


def dispatch(department: str) -> list[Offer]:
    return record_offers(router().dispatch(department))


def dispatch_for_clerk(clerk_id: int) -> list[Offer]:
    return record_offers(router().dispatch_for_clerk(clerk_id))


def record_offers(offers: list[Offer], rule: str = "oldest_first_longest_idle") -> list[Offer]:
    """Tell each clerk of the offer Redis made, then write it to the record.

    Redis has already decided atomically, so the clerk hears first and the commit (an
    fsync) stays off the clerk's wait. Should the process die before the commit, the offer
    lapses and the interaction, still 'queued' in the record, returns to its place.
    """
    made = []
    for offer in offers:
        interaction = db.session.get(Interaction, offer.interaction_id)
        if interaction is None or interaction.state not in ("queued", "offered"):
            # Closed or abandoned meanwhile: the offer is void and nothing goes back.
            router().withdraw(offer.interaction_id, requeue=False)
            continue
        made.append((interaction, offer))
    for interaction, offer in made:
        signals.offer_made.send(interaction, clerk_id=offer.clerk_id)
    for interaction, offer in made:
        result = db.session.execute(
            update(Interaction)
            .where(Interaction.id == offer.interaction_id, Interaction.state == "queued")
            .values(state="offered")
        )
        if result.rowcount:
            record(interaction, "offered", "system", clerk_id=offer.clerk_id, rule=rule,
                   department=offer.department)
    db.session.commit()
    return [offer for _, offer in made]


def choose_department(interaction: Interaction, department: Department) -> Interaction:
    """Move a contact still waiting to the department the resident chose (SMS menu).

    It keeps its place: the due time counts from when it first queued.
    """
    if interaction.state != "queued" or interaction.department_id == department.id:
        return interaction
    previous = interaction.department.code
    router().remove(interaction.id, previous)
    interaction.department = department
    interaction.queue_score = due_score(interaction.channel, department,
                                        epoch_ms(interaction.queued_at))
    record(interaction, "department_chosen", "resident", previous=previous,
           department=department.code)
    db.session.commit()
    enqueue(interaction)
    publish_positions(previous)
    return interaction


def withdraw_offer(interaction_id: int, reason: str) -> int | None:
    """Put an offered interaction back in its place in the queue (lapsed, declined, away)."""
    clerk_id = router().withdraw(interaction_id)
    if clerk_id is None:
        return None
    result = db.session.execute(
        update(Interaction)
        .where(Interaction.id == interaction_id, Interaction.state == "offered")
        .values(state="queued")
    )
    interaction = db.session.get(Interaction, interaction_id)
    if result.rowcount and interaction is not None:
        record(interaction, "offer_" + reason, "system", clerk_id=clerk_id)
        record(interaction, "requeued", "system", reason=reason)
    db.session.commit()
    signals.offer_withdrawn.send(interaction_id, clerk_id=clerk_id, reason=reason)
    if reason == "lapsed":
        _count_lapse(clerk_id)
    return clerk_id


def _count_lapse(clerk_id: int) -> None:
    """A clerk who lets several offers in a row lapse is set away, so nobody waits on them."""
    if router().count_lapse(clerk_id) < current_app.config["MAX_LAPSED_OFFERS"]:
        return
    clerk = db.session.get(User, clerk_id)
    if clerk is not None and clerk.presence == "available":
        record(None, "set_away", "system", clerk_id=clerk_id, reason="offers_lapsed")
        set_presence(clerk, "away", by_system=True)


def accept(interaction_id: int, clerk: User) -> Interaction:
    """The offered clerk takes the conversation; anyone else is refused."""
    interaction = db.session.get(Interaction, interaction_id)
    if interaction is None:
        raise InvalidInput("offer_gone")
    place = _place(interaction)  # read now: the record may fail once Redis has moved
    if not router().accept(interaction_id, clerk.id):
        raise InvalidInput("offer_gone")
    router().reset_lapses(clerk.id)
    return _assign(interaction_id, clerk, "accepted", ("offered", "queued"),
                   undo=lambda: _give_back(place, clerk, offer=True))


def claim(interaction_id: int, clerk: User) -> Interaction:
    """Pull a waiting conversation from the list; exactly one clerk can win it."""
    if not pull_allowed(clerk):
        raise InvalidInput("pull_not_allowed")
    interaction = db.session.get(Interaction, interaction_id)
    if interaction is None or interaction.state != "queued":
        raise InvalidInput("offer_gone")
    if interaction.department.code not in clerk.department_codes:
        raise InvalidInput("not_yours")
    if not router().claim(interaction_id, clerk.id, interaction.department.code):
        if router().clerk_status(clerk.id) == "available" and interaction.state == "queued":
            if router().busy_units(clerk.id) >= clerk.capacity:
                raise InvalidInput("at_capacity")
        raise InvalidInput("offer_gone")
    place = _place(interaction)
    return _assign(interaction_id, clerk, "claimed", ("queued",),
                   undo=lambda: _give_back(place, clerk, offer=False))


def pull_allowed(clerk: User) -> bool:
    return current_app.config["ALLOW_PULL"] and clerk.role in current_app.config["PULL_ROLES"]


def _place(interaction: Interaction) -> Waiting:
    return Waiting(interaction.id, interaction.department.code, interaction.queue_score,
                   weight(interaction.channel))


def _give_back(place: Waiting, clerk: User, offer: bool) -> None:
    """Undo what Redis granted when the record then refused it (the database locked or
    down): back in its place in the queue and, after an accept, offered to the clerk again,
    so that trying again works and nobody is stranded between the two."""
    router().release(place.interaction_id, clerk.id)
    router().enqueue(place.interaction_id, place.department, place.score, place.weight)
    if offer:
        router().offer_to(place.interaction_id, clerk.id, place.department, place.score)


def _assign(interaction_id: int, clerk: User, how: str, from_states: tuple[str, ...],
            undo: Callable[[], None]) -> Interaction:
    try:
        interaction, message, waited = _record_assignment(interaction_id, clerk, how,
                                                          from_states)
    except InvalidInput:
        raise
    except Exception:
        db.session.rollback()
        undo()  # Redis granted it, the record refused (database locked or down)
        raise
    signals.interaction_assigned.send(interaction, waited_seconds=waited)
    announce(interaction, message)
    publish_positions(interaction.department.code)
    return interaction


def _record_assignment(interaction_id: int, clerk: User, how: str,
                       from_states: tuple[str, ...]) -> tuple[Interaction, Message, float]:
    now = utcnow()
    result = db.session.execute(
        update(Interaction)
        .where(Interaction.id == interaction_id, Interaction.state.in_(from_states))
        .values(state="assigned", clerk_id=clerk.id, assigned_at=now)
    )
    if not result.rowcount:
        db.session.rollback()
        router().release(interaction_id, clerk.id)
        raise InvalidInput("offer_gone")
    interaction = db.session.get(Interaction, interaction_id)
    db.session.refresh(interaction)
    waited = (now - (interaction.queued_at or interaction.created_at)).total_seconds()
    with force_locale(interaction.language):
        text = _("%(name)s from the city office has joined the conversation.",
                 name=clerk.display_name)
    message = system_message(interaction, text, how, clerk, waited_seconds=round(waited, 1))
    db.session.commit()
    return interaction, message, waited


CLERK_CHOSEN_PRESENCE = ("available", "break", "after_call_work", "offline")


def set_presence(clerk: User, status: str, by_system: bool = False) -> list[Offer]:
    """Available, break, after-call work or offline ("away" only by the router).

    Leaving 'available' hands back open offers to the queue at once.
    """
    if status not in (PRESENCE if by_system else CLERK_CHOSEN_PRESENCE):
        raise InvalidInput("bad_presence")
    before = seat(clerk)
    # Redis first: unreachable, nothing has changed; the record failing undoes the seat.
    held = router().set_clerk(seat(clerk, status))
    previous = clerk.presence
    clerk.presence = status
    if previous != status:
        record(None, "presence", clerk, status=status, previous=previous)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        router().set_clerk(before)
        raise
    router().clerk_seen(clerk.id)
    if status != "available":
        for interaction_id in held:
            withdraw_offer(interaction_id, "returned")
    signals.presence_changed.send(clerk)
    return dispatch_for_clerk(clerk.id) if status == "available" else []


def clerk_seen(clerk: User) -> None:
    """A console is open: register the clerk in Redis (again, after a rebuild) and route."""
    router().set_clerk(seat(clerk))
    router().clerk_seen(clerk.id)
    router().redis.hdel(router().prefix + f"clerk:{clerk.id}", "gone_at")
    if clerk.presence == "available":
        dispatch_for_clerk(clerk.id)


def position_of(interaction: Interaction) -> tuple[int | None, int | None]:
    """(place in queue, estimated seconds) for a waiting interaction."""
    if interaction.state not in ("queued", "offered"):
        return None, None
    department = interaction.department.code
    try:
        position = router().position(interaction.id, department) or 1
        return position, _estimator(department)(position)
    except REDIS_OUTAGES:
        redis_lost()
        return None, None  # unknown for now; pushed again once Redis is rebuilt


def _estimator(department: str) -> Callable[[int], int | None]:
    """Wait estimate by queue position, reading the department's figures from Redis once."""
    mean = router().mean_handling(department) or current_app.config["DEFAULT_HANDLING_SECONDS"]
    slots = router().staffed_slots(department)
    return lambda position: estimate_wait(position, slots, mean)


def publish_positions(department: str, force: bool = False) -> None:
    """Tell every resident waiting in a department their place and estimated wait.

    At most once a second per department (one push reaches every waiting resident);
    a change inside that second leaves the department dirty for the next sweep.
    """
    throttle = router().prefix + f"positions-pushed:{department}"
    if not force and not router().redis.set(throttle, 1, nx=True, px=1000):
        router().redis.sadd(router().prefix + "dirty", department)
        return
    waiting = router().waiting(department)
    estimate = _estimator(department)
    entries = [(iid, place, estimate(place)) for place, iid in enumerate(waiting, 1)]
    signals.queue_positions.send(department, entries=entries)


def sweep() -> dict[str, int]:
    """The periodic pass, so nothing waits because an event was missed.

    Rebuilds Redis if it was emptied, queues callbacks that fell due (and, beside routing,
    frees unconfirmed booking holds and sends visit reminders), takes back lapsed
    offers, sets clerks whose console went quiet offline, routes every department and
    pushes queue positions.
    """
    counts = {"rebuilt": 0, "lapsed": 0, "offline": 0, "offered": 0, "returned": 0}
    lost_since = _lost_redis[0] if _lost_redis else None
    if lost_since is not None or not router().is_built():
        counts["rebuilt"] = rebuild_queues(stale_before=lost_since)
        with _lost_lock:  # an outage noticed during the rebuild keeps its own request
            if _lost_redis and _lost_redis[0] == lost_since:
                _lost_redis.clear()
    from hub.booking.service import expire_holds, send_reminders
    from hub.callbacks.service import release_due

    counts["callbacks"] = release_due()
    counts["holds_expired"] = expire_holds()
    counts["reminders"] = send_reminders()
    from hub import housekeeping

    counts.update(housekeeping.run())
    for interaction_id in router().expired_offers():
        if withdraw_offer(interaction_id, "lapsed") is not None:
            counts["lapsed"] += 1
    grace_ms = current_app.config["PRESENCE_GRACE_SECONDS"] * 1000
    for clerk_id in router().clerks_gone_since(now_ms() - grace_ms):
        clerk = db.session.get(User, clerk_id)
        if clerk is not None and clerk.presence != "offline":
            record(None, "set_offline", "system", clerk_id=clerk_id, reason="console_silent")
            set_presence(clerk, "offline", by_system=True)
            router().redis.hset(router().prefix + f"clerk:{clerk_id}", "gone_at", now_ms())
            counts["offline"] += 1
    from hub.interactions.absence import return_conversations_of_absent_clerks

    counts["returned"] = return_conversations_of_absent_clerks()
    for department in db.session.scalars(select(Department.code).where(Department.active)):
        counts["offered"] += len(dispatch(department))
    for department in router().take_dirty():
        publish_positions(department, force=True)
    db.session.remove()
    return counts


def rebuild_queues(stale_before: int | None = None) -> int:
    """Restore Redis from the record after it was lost; returns how many are waiting.

    With `stale_before` (epoch ms) an index built before then is rebuilt too: Redis was
    unreachable since, so it may lack what was committed meanwhile."""
    with router().redis.lock(router().prefix + "rebuild-lock", timeout=60, blocking_timeout=60):
        built_at = router().redis.get(router().prefix + BUILT_MARKER)
        if built_at is not None and (stale_before is None or int(built_at) >= stale_before):
            return 0
        offered = db.session.scalars(select(Interaction).where(Interaction.state == "offered"))
        for interaction in offered:
            interaction.state = "queued"
            record(interaction, "requeued", "system", reason="queue_rebuilt")
        db.session.commit()
        waiting = [
            Waiting(i.id, i.department.code, i.queue_score, weight(i.channel))
            for i in db.session.scalars(
                select(Interaction).where(Interaction.state == "queued").order_by(Interaction.id)
            )
        ]
        seats = []
        for clerk in db.session.scalars(select(User).where(User.active.is_(True))):
            held = db.session.execute(
                select(Interaction.id, Interaction.channel).where(
                    Interaction.clerk_id == clerk.id, Interaction.state == "assigned"
                )
            ).all()
            seats.append(ClerkSeat(clerk.id, clerk.presence, clerk.capacity,
                                   clerk.department_codes, tuple(i for i, _ in held),
                                   tuple(weight(c) for _, c in held)))
        count = router().rebuild(waiting, seats)
        for s in seats:
            if s.status != "offline":
                router().clerk_seen(s.clerk_id)  # gives their consoles a grace period
        log.warning("rebuilt routing from the database: %d waiting", count)
        record(None, "queue_rebuilt", "system", waiting=count)
        db.session.commit()
    signals.queues_rebuilt.send(None)
    for department in {w.department for w in waiting}:
        dispatch(department)
    return count

"""The supervisors' wallboard: queues now, today's service level and staff, in one snapshot.

The figures are defined in docs/routing.md ("Wallboard figures"). Everything comes from the
record (the database), read through a session of its own, so a signal handler that asks for a
snapshot never touches its caller's transaction; only the clerks' current load comes from
Redis. A snapshot is a few aggregate queries, whatever the number of interactions.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import DateTime, Float, and_, case, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.functions import FunctionElement

from hub import signals
from hub.accounts.models import PRESENCE, Department, User
from hub.clock import iso, to_local, to_utc, utcnow
from hub.extensions import db
from hub.interactions.models import CHANNELS, Interaction
from hub.interactions.routing import answer_target
from hub.queue import router

log = logging.getLogger(__name__)
WAITING_STATES = ("queued", "offered")
THROTTLE_KEY = "wallboard:pushed"


def snapshot(now: datetime | None = None) -> dict:
    """The wallboard's figures at `now` (naive UTC, default: now), ready for JSON.

    Per active department, one row per channel that has contacts today or waiting now, and a
    total; the count of staff per presence; and each active member of staff with their load.
    """
    now = now or utcnow()
    since = start_of_local_day(now)
    with Session(db.engine) as session:
        departments = session.scalars(
            select(Department).where(Department.active).order_by(Department.id)
        ).all()
        waiting = _waiting_now(session)
        today = _today(session, since, now)
        staff = session.scalars(
            select(User).where(User.active).options(selectinload(User.departments))
            .order_by(User.name)
        ).all()
        clerks = [_clerk(user) for user in staff]
    presence = dict.fromkeys(PRESENCE, 0)
    for clerk in clerks:
        presence[clerk["presence"]] = presence.get(clerk["presence"], 0) + 1
    return {
        "at": iso(now),
        "since": iso(since),
        "departments": [_department(d, waiting, today, now) for d in departments],
        "presence": presence,
        "clerks": clerks,
    }


def push_if_due() -> bool:
    """Announce a fresh snapshot (signals.wallboard_updated) unless one went out less than
    WALLBOARD_PUSH_SECONDS ago from any process sharing this Redis; True if it did.

    Called from routing's signals and periodic loops, so it never raises: a failure is
    logged and the routing step that called it goes on.
    """
    if not signals.wallboard_updated.receivers:
        return False
    try:
        interval_ms = int(current_app.config["WALLBOARD_PUSH_SECONDS"] * 1000)
        if interval_ms > 0 and not router().redis.set(
            router().prefix + THROTTLE_KEY, "1", nx=True, px=interval_ms
        ):
            return False
        signals.wallboard_updated.send(current_app._get_current_object(), snapshot=snapshot())
    except Exception:
        log.exception("wallboard push failed")
        return False
    return True


def start_of_local_day(now: datetime) -> datetime:
    """Midnight of `now`'s day in the office's zone, as naive UTC like the stored times."""
    midnight = to_local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return to_utc(midnight)


# -- queries ---------------------------------------------------------------------------------


class seconds_between(FunctionElement):  # noqa: N801  (used like a SQL function)
    """SQL: seconds from the first datetime to the second (fractional)."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between)
def _seconds_between_default(element, compiler, **kw) -> str:  # PostgreSQL
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between, "mysql")
@compiles(seconds_between, "mariadb")
def _seconds_between_mysql(element, compiler, **kw) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(TIMESTAMPDIFF(MICROSECOND, {start}, {end}) / 1000000.0)"


def _waiting_now(session: Session) -> dict[tuple[int, str], tuple[int, datetime]]:
    """(department id, channel) → (contacts not yet answered, oldest first queueing)."""
    rows = session.execute(
        select(Interaction.department_id, Interaction.channel, func.count(),
               func.min(Interaction.queued_at))
        .where(Interaction.state.in_(WAITING_STATES))
        .group_by(Interaction.department_id, Interaction.channel)
    )
    return {(d, c): (count, oldest) for d, c, count, oldest in rows}


def _target_sql():
    """answer_target() for each row of a query joining Interaction and Department."""
    per_channel = current_app.config["CHANNEL_SLA_SECONDS"]
    if not per_channel:
        return Department.sla_seconds
    return case(per_channel, value=Interaction.channel, else_=Department.sla_seconds)


def _today(session: Session, since: datetime, now: datetime) -> dict[tuple[int, str], tuple]:
    """(department id, channel) → (queued today, answered, in target, counted for the SLA)."""
    target = _target_sql()
    answered = Interaction.assigned_at.is_not(None)
    in_target = and_(answered,
                     seconds_between(Interaction.queued_at, Interaction.assigned_at) <= target)
    waiting_too_long = and_(
        Interaction.state.in_(WAITING_STATES),
        seconds_between(Interaction.queued_at, literal(now, DateTime())) > target,
    )
    left_at = func.coalesce(Interaction.resident_left_at, Interaction.closed_at)
    abandoned_too_late = and_(Interaction.state == "abandoned",
                              seconds_between(Interaction.queued_at, left_at) > target)
    counted = or_(answered, waiting_too_long, abandoned_too_late)
    rows = session.execute(
        select(
            Interaction.department_id, Interaction.channel, func.count(),
            func.count(Interaction.assigned_at),
            func.coalesce(func.sum(case((in_target, 1), else_=0)), 0),
            func.coalesce(func.sum(case((counted, 1), else_=0)), 0),
        )
        .join(Department, Department.id == Interaction.department_id)
        .where(Interaction.queued_at >= since)
        .group_by(Interaction.department_id, Interaction.channel)
    )
    return {(d, c): tuple(int(v) for v in figures) for d, c, *figures in rows}


# -- shaping ---------------------------------------------------------------------------------


def _department(department: Department, waiting: dict, today: dict, now: datetime) -> dict:
    channels = [
        {**_row(c, waiting.get((department.id, c)), today.get((department.id, c)), now),
         "target_seconds": answer_target(c, department)}
        for c in CHANNELS
        if (department.id, c) in waiting or (department.id, c) in today
    ]
    total = {
        "waiting": sum(r["waiting"] for r in channels),
        "longest_wait": max((r["longest_wait"] for r in channels), default=0),
        **{k: sum(r[k] for r in channels) for k in ("offered", "answered", "in_target", "counted")},
    }
    total["sla_percent"] = _percent(total["in_target"], total["counted"])
    return {
        "code": department.code,
        "sla_seconds": department.sla_seconds,
        "channels": channels,
        "total": total,
    }


def _row(channel: str, waiting: tuple | None, today: tuple | None, now: datetime) -> dict:
    count, oldest = waiting or (0, None)
    offered, answered, in_target, counted = today or (0, 0, 0, 0)
    longest = max(0, int((now - oldest).total_seconds())) if oldest else 0
    return {
        "channel": channel, "waiting": count, "longest_wait": longest,
        "offered": offered, "answered": answered, "in_target": in_target, "counted": counted,
        "sla_percent": _percent(in_target, counted),
    }


def _percent(part: int, whole: int) -> int | None:
    """A whole percentage rounded half up, or None when nothing counts yet."""
    return (part * 200 + whole) // (2 * whole) if whole else None


def _clerk(user: User) -> dict:
    active, offers = router().clerk_load(user.id)
    return {
        "id": user.id, "name": user.name, "presence": user.presence,
        "active": active, "offers": offers, "capacity": user.capacity,
        "busy": min(router().busy_units(user.id), user.capacity),  # a call fills the clerk
        "departments": list(user.department_codes),
    }

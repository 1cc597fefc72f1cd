"""Free slots: an office's hours cut into cells, minus closures, holidays and claims.

Everything is computed in the office's zone (Europe/Warsaw) and returned as naive UTC, so
a visit at 9:00 stays at 9:00 on either side of a daylight-saving change.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import String, cast, func, or_, select

from hub.booking.models import Desk, Office, OfficeClosure, OfficeHours, Service, SlotClaim
from hub.clock import office_zone as zone
from hub.clock import to_local, to_utc, utcnow
from hub.extensions import db
from hub.hours.service import is_holiday


@dataclass(frozen=True)
class Slot:
    """A time a visit can start, with the desks free for the whole visit."""

    starts_at: datetime  # naive UTC
    ends_at: datetime
    desk_ids: tuple[int, ...]


def cell() -> timedelta:
    return timedelta(minutes=current_app.config["BOOKING_CELL_MINUTES"])


def cells_for(service: Service) -> int:
    return max(1, math.ceil(service.duration_minutes / current_app.config["BOOKING_CELL_MINUTES"]))


def _staff_every(desk: Desk) -> int:
    """Every n-th cell of the desk's day is kept for staff (0: none, 1: all)."""
    if desk.staff_only_percent <= 0:
        return 0
    if desk.staff_only_percent >= 100:
        return 1
    return max(1, round(100 / desk.staff_only_percent))


def _staff_only(desk: Desk, index: int) -> bool:
    """Every n-th cell of the desk's day is kept for staff, spread over the day."""
    every = _staff_every(desk)
    return every > 0 and index % every == every - 1


def _day_cells(office: Office, day: date, hours: dict[int, list[OfficeHours]]) -> list[list[datetime]]:
    """The day's opening ranges as lists of cell starts (naive UTC); a visit stays in one."""
    step = cell()
    ranges = []
    for opening in hours.get(day.weekday(), []):
        start = datetime.combine(day, opening.opens, zone())
        end = datetime.combine(day, opening.closes, zone())
        count = 0 if end - start < step else (end - start) // step
        first = to_utc(start)
        if to_utc(end) - first == end - start:  # no clock change inside: plain UTC steps
            ranges.append([first + k * step for k in range(count)])
            continue
        starts = []
        while start + step <= end:
            starts.append(to_utc(start))
            start += step
        ranges.append(starts)
    return ranges


def taken_cells(office: Office, start: datetime, end: datetime,
                now: datetime | None = None) -> set[tuple[int, datetime]]:
    """(desk, cell start) pairs claimed between two times, cancelled ones still held back
    included."""
    return {(desk_id, starts_at)
            for desk_id, starts in _taken_by_desk(office, start, end, now).items()
            for starts_at in starts}


def _taken_by_desk(office: Office, start: datetime, end: datetime,
                   now: datetime | None = None) -> dict[int, set[datetime]]:
    """The claimed cell starts of each of the office's desks between two times.

    The free-slot search reads thousands of claims per call, so they come back as one
    row per desk (the starts joined into one text, over the unique (desk, start) index)
    and are parsed by datetime.fromisoformat: a few rows instead of thousands keeps the
    call fast and leaves the garbage collector little to do. (SQLite stores the ISO text;
    PostgreSQL writes it so under its default ISO DateStyle, which psycopg needs anyway.)
    """
    now = now or utcnow()
    claims, desks = SlotClaim.__table__.c, Desk.__table__.c
    rows = db.session.execute(
        select(claims.desk_id, func.aggregate_strings(cast(claims.starts_at, String), ","))
        .join_from(SlotClaim.__table__, Desk.__table__, desks.id == claims.desk_id)
        .where(desks.office_id == office.id, claims.starts_at >= start, claims.starts_at < end,
               or_(claims.reusable_after.is_(None), claims.reusable_after > now))
        .group_by(claims.desk_id)
    ).all()
    parse = datetime.fromisoformat
    return {desk_id: set(map(parse, starts.split(","))) for desk_id, starts in rows}


def bookable_window(service: Service, now: datetime) -> tuple[datetime, datetime]:
    """Earliest and latest start a resident may book: minimum notice, maximum days ahead."""
    return (now + timedelta(hours=service.min_notice_hours),
            now + timedelta(days=service.max_days_ahead))


def free_slots(service: Service, office: Office, first_day: date | None = None,
               days: int | None = None, *, for_staff: bool = False,
               now: datetime | None = None) -> list[Slot]:
    """Every start time with at least one desk free for the whole visit, soonest first.

    Residents see only the bookable window and never the staff-only cells; staff see every
    cell from now on (walk-ins and phone bookings).
    """
    now = now or utcnow()
    earliest, latest = bookable_window(service, now)
    if for_staff:
        earliest, latest = now, max(latest, now + timedelta(days=1))
    first_day = first_day or to_local(earliest).date()
    last_day = to_local(latest).date()
    if days is not None:
        last_day = min(last_day, first_day + timedelta(days=days - 1))
    desks = [d for d in office.desks if d.active]
    if not desks or first_day > last_day:
        return []
    hours: dict[int, list[OfficeHours]] = defaultdict(list)
    for opening in office.hours:
        hours[opening.weekday].append(opening)
    closed = set(db.session.scalars(
        select(OfficeClosure.day).where(OfficeClosure.office_id == office.id,
                                        OfficeClosure.day.between(first_day, last_day))))
    span_start = to_utc(datetime.combine(first_day, datetime.min.time(), zone()))
    span_end = to_utc(datetime.combine(last_day + timedelta(days=1), datetime.min.time(), zone()))
    # Only claims from the first bookable cell on matter (no visit starts earlier).
    taken = _taken_by_desk(office, max(span_start, earliest), span_end, now)
    need = cells_for(service)
    step = cell()
    plan = [(d.id, taken.get(d.id, frozenset()), 0 if for_staff else _staff_every(d))
            for d in desks]
    slots = []
    day = first_day
    while day <= last_day:
        if day not in closed and not is_holiday(day):
            slots.extend(_free_on(_day_cells(office, day, hours), plan, need, need * step,
                                  earliest, latest))
        day += timedelta(days=1)
    return slots


def _free_on(ranges: list[list[datetime]], plan: list[tuple[int, set[datetime], int]],
             need: int, length: timedelta, earliest: datetime, latest: datetime) -> list[Slot]:
    """One day's slots. For each desk, the run of usable cells from each cell on (not
    claimed, not kept for staff when a resident asks) is counted backwards once; a visit of
    `need` cells fits where the run is at least that long."""
    found = []
    index = 0  # cell number in the desk's day (staff-only cells are spread over the day)
    for starts in ranges:
        count = len(starts)
        wanted = [i for i in range(count - need + 1) if earliest <= starts[i] <= latest]
        if wanted:
            fits = []
            for desk_id, claimed, every in plan:
                runs = [0] * (count + 1)
                for i in range(count - 1, -1, -1):
                    if starts[i] in claimed or (every and (index + i) % every == every - 1):
                        runs[i] = 0
                    else:
                        runs[i] = runs[i + 1] + 1
                fits.append((desk_id, runs))
            for i in wanted:
                free = tuple(desk_id for desk_id, runs in fits if runs[i] >= need)
                if free:
                    found.append(Slot(starts[i], starts[i] + length, free))
        index += count
    return found


def slot_at(service: Service, office: Office, starts_at: datetime, *, for_staff: bool = False,
            now: datetime | None = None) -> Slot | None:
    """The slot starting at this time if it is free now, else None."""
    day = to_local(starts_at).date()
    return next((s for s in free_slots(service, office, day, 1, for_staff=for_staff, now=now)
                 if s.starts_at == starts_at), None)

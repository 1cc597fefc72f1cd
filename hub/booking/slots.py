"""Free slots: an office's hours cut into cells, minus closures, holidays and claims.

Everything is computed in the office's zone (Europe/Warsaw) and returned as naive UTC, so
a visit at 9:00 stays at 9:00 on either side of a daylight-saving change.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import or_, select

from hub.booking.models import Desk, Office, OfficeClosure, OfficeHours, Service, SlotClaim
from hub.clock import utcnow
from hub.extensions import db
from hub.hours.service import is_holiday


@dataclass(frozen=True)
class Slot:
    """A time a visit can start, with the desks free for the whole visit."""

    starts_at: datetime  # naive UTC
    ends_at: datetime
    desk_ids: tuple[int, ...]


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def to_utc(local: datetime) -> datetime:
    return local.astimezone(UTC).replace(tzinfo=None)


def to_local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(zone())


def cell() -> timedelta:
    return timedelta(minutes=current_app.config["BOOKING_CELL_MINUTES"])


def cells_for(service: Service) -> int:
    return max(1, math.ceil(service.duration_minutes / current_app.config["BOOKING_CELL_MINUTES"]))


def _staff_only(desk: Desk, index: int) -> bool:
    """Every n-th cell of the desk's day is kept for staff, spread over the day."""
    if desk.staff_only_percent <= 0:
        return False
    if desk.staff_only_percent >= 100:
        return True
    every = max(1, round(100 / desk.staff_only_percent))
    return index % every == every - 1


def _day_cells(office: Office, day: date, hours: dict[int, list[OfficeHours]]) -> list[list[datetime]]:
    """The day's opening ranges as lists of cell starts (naive UTC); a visit stays in one."""
    step = cell()
    ranges = []
    for opening in hours.get(day.weekday(), []):
        start = datetime.combine(day, opening.opens, zone())
        end = datetime.combine(day, opening.closes, zone())
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
    now = now or utcnow()
    rows = db.session.execute(
        select(SlotClaim.desk_id, SlotClaim.starts_at)
        .join(Desk, Desk.id == SlotClaim.desk_id)
        .where(Desk.office_id == office.id, SlotClaim.starts_at >= start,
               SlotClaim.starts_at < end,
               or_(SlotClaim.reusable_after.is_(None), SlotClaim.reusable_after > now))
    )
    return {(desk_id, starts_at) for desk_id, starts_at in rows}


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
    taken = taken_cells(office, span_start, span_end, now)
    need = cells_for(service)
    step = cell()
    slots = []
    day = first_day
    while day <= last_day:
        if day not in closed and not is_holiday(day):
            slots.extend(_free_on(day, office, hours, desks, taken, need, step, earliest,
                                  latest, for_staff))
        day += timedelta(days=1)
    return slots


def _free_on(day, office, hours, desks, taken, need, step, earliest, latest, for_staff):
    found = []
    index = 0
    for starts in _day_cells(office, day, hours):
        for i in range(len(starts) - need + 1):
            begin = starts[i]
            if begin < earliest or begin > latest:
                continue
            window = starts[i:i + need]
            free = tuple(
                d.id for d in desks
                if all((d.id, c) not in taken for c in window)
                and (for_staff or not any(_staff_only(d, index + i + k) for k in range(need)))
            )
            if free:
                found.append(Slot(begin, begin + need * step, free))
        index += len(starts)
    return found


def slot_at(service: Service, office: Office, starts_at: datetime, *, for_staff: bool = False,
            now: datetime | None = None) -> Slot | None:
    """The slot starting at this time if it is free now, else None."""
    day = to_local(starts_at).date()
    return next((s for s in free_slots(service, office, day, 1, for_staff=for_staff, now=now)
                 if s.starts_at == starts_at), None)

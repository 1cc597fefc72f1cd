"""Booking figures for supervisors, per office over a range of days (office-local dates).

- made: bookings confirmed (by the resident or made by staff) that were created in the range;
- cancelled: bookings cancelled in the range;
- no-show rate: no-shows among the visits due in the range that were settled
  (no_show / (done + no_show + arrived)); None when there were none;
- utilisation: desk cells claimed by live bookings / bookable desk cells (opening hours ×
  active desks, public holidays and the office's closures left out); None with no capacity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from hub.booking.models import Booking, Desk, Office, OfficeClosure, SlotClaim
from hub.booking.slots import cell, to_utc, zone
from hub.extensions import db
from hub.hours.service import is_holiday

SETTLED = ("done", "no_show", "arrived")
# A claim counts as booked while its booking holds the desk (cancelled ones are held back
# with reusable_after set and do not count).
BOOKED = ("held", "confirmed", "arrived", "done", "no_show")


@dataclass(frozen=True)
class OfficeFigures:
    office: Office
    made: int
    made_by_staff: int
    cancelled: int
    settled: int
    no_shows: int
    booked_cells: int
    bookable_cells: int

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.settled if self.settled else None

    @property
    def utilisation(self) -> float | None:
        return self.booked_cells / self.bookable_cells if self.bookable_cells else None


def office_figures(first: date, last: date) -> list[OfficeFigures]:
    """The figures of every active office for the days first..last (both included)."""
    start = to_utc(datetime.combine(first, datetime.min.time(), zone()))
    end = to_utc(datetime.combine(last + timedelta(days=1), datetime.min.time(), zone()))
    offices = db.session.scalars(select(Office).where(Office.active).order_by(Office.id)).all()
    return [_figures(office, first, last, start, end) for office in offices]


def _count(*conditions) -> int:
    return db.session.scalar(select(func.count(Booking.id)).where(*conditions)) or 0


def _figures(office: Office, first: date, last: date, start: datetime, end: datetime) -> OfficeFigures:
    here = Booking.office_id == office.id
    made = (here, Booking.confirmed_at.is_not(None), Booking.created_at >= start,
            Booking.created_at < end)
    due = (here, Booking.starts_at >= start, Booking.starts_at < end)
    booked_cells = db.session.scalar(
        select(func.count(SlotClaim.id))
        .join(Booking, Booking.id == SlotClaim.booking_id)
        .join(Desk, Desk.id == SlotClaim.desk_id)
        .where(Desk.office_id == office.id, SlotClaim.reusable_after.is_(None),
               SlotClaim.starts_at >= start, SlotClaim.starts_at < end,
               Booking.state.in_(BOOKED))
    ) or 0
    return OfficeFigures(
        office=office,
        made=_count(*made),
        made_by_staff=_count(*made, Booking.staff_only),
        cancelled=_count(here, Booking.state == "cancelled", Booking.cancelled_at >= start,
                         Booking.cancelled_at < end),
        settled=_count(*due, Booking.state.in_(SETTLED)),
        no_shows=_count(*due, Booking.state == "no_show"),
        booked_cells=booked_cells,
        bookable_cells=bookable_cells(office, first, last),
    )


def bookable_cells(office: Office, first: date, last: date) -> int:
    """Desk cells the office offers over the days (the same grid hub.booking.slots cuts)."""
    desks = sum(1 for d in office.desks if d.active)
    closed = set(db.session.scalars(
        select(OfficeClosure.day).where(OfficeClosure.office_id == office.id,
                                        OfficeClosure.day.between(first, last))))
    step = cell()
    per_weekday = [0] * 7
    for opening in office.hours:
        opens = datetime.combine(first, opening.opens)
        closes = datetime.combine(first, opening.closes)
        per_weekday[opening.weekday] += max(0, (closes - opens) // step)
    total = 0
    day = first
    while day <= last:
        if day not in closed and not is_holiday(day):
            total += per_weekday[day.weekday()]
        day += timedelta(days=1)
    return total * desks

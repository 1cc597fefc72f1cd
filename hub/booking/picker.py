"""What the resident's slot picker shows: a week of days, each with its free times, and the
times of the chosen day.

Days are the office's local days (Europe/Warsaw); a slot's key is its naive UTC start, so
what the form sends back is exactly what the domain holds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import format_date

from hub.booking.models import Office, Service
from hub.booking.slots import Slot, bookable_window, free_slots, to_local
from hub.clock import utcnow

WEEK = 7
KEY_FORMAT = "%Y-%m-%dT%H:%M"


def slot_key(slot: Slot | datetime) -> str:
    """The value a time's radio button carries: its UTC start, to the minute."""
    moment = slot.starts_at if isinstance(slot, Slot) else slot
    return moment.strftime(KEY_FORMAT)


def parse_key(text: object) -> datetime | None:
    try:
        return datetime.strptime(text if isinstance(text, str) else "", KEY_FORMAT)
    except ValueError:
        return None


def parse_day(text: object) -> date | None:
    try:
        return date.fromisoformat(text) if isinstance(text, str) and text else None
    except ValueError:
        return None


def day_label(day: date, capital: bool = True) -> str:
    """'Wtorek 24 listopada' / 'Tuesday 24 November'; inside a sentence 'wtorek 24 listopada'."""
    text = format_date(day, "EEEE d MMMM")
    return text[:1].upper() + text[1:] if capital else text


def time_label(slot: Slot | datetime) -> str:
    local = to_local(slot.starts_at if isinstance(slot, Slot) else slot)
    return f"{local.hour}:{local.minute:02d}"


def local_day(slot: Slot) -> date:
    return to_local(slot.starts_at).date()


@dataclass
class Day:
    day: date
    slots: list[Slot] = field(default_factory=list)

    @property
    def label(self) -> str:
        return day_label(self.day)

    @property
    def in_sentence(self) -> str:
        return day_label(self.day, capital=False)

    @property
    def key(self) -> str:
        return self.day.isoformat()


@dataclass
class Picker:
    """One page of the picker: the week shown, the chosen day, and where the others are."""

    office: Office
    week: list[Day]
    chosen: Day
    earlier: date | None  # the day to open for the week before, if bookable
    later: date | None
    soonest: Slot | None  # the first free slot of the whole window

    @property
    def any_free(self) -> bool:
        return self.soonest is not None


def soonest(service: Service, office: Office) -> Slot | None:
    slots = free_slots(service, office)
    return slots[0] if slots else None


def build(service: Service, office: Office, wanted: date | None = None,
          now: datetime | None = None, exclude: datetime | None = None) -> Picker:
    """The week holding the wanted day (default: the day of the first free slot); `exclude`
    leaves out one start (a visit being moved is not offered its own time)."""
    now = now or utcnow()
    earliest, latest = bookable_window(service, now)
    first_day, last_day = to_local(earliest).date(), to_local(latest).date()
    by_day: dict[date, list[Slot]] = defaultdict(list)
    slots = [s for s in free_slots(service, office, now=now) if s.starts_at != exclude]
    for slot in slots:
        by_day[local_day(slot)].append(slot)
    if wanted is None or not first_day <= wanted <= last_day:
        wanted = local_day(slots[0]) if slots else first_day
    start = first_day + timedelta(days=WEEK * ((wanted - first_day).days // WEEK))
    week = [Day(d, by_day.get(d, [])) for d in _days(start, min(start + timedelta(days=WEEK - 1),
                                                                 last_day))]

    def opening(week_start: date) -> date | None:
        """The day a link to that week opens: its first day with free times, else its first."""
        if not first_day <= week_start <= last_day:
            return None
        days = _days(week_start, min(week_start + timedelta(days=WEEK - 1), last_day))
        return next((d for d in days if by_day.get(d)), week_start)

    return Picker(
        office=office, week=week, chosen=Day(wanted, by_day.get(wanted, [])),
        earlier=opening(start - timedelta(days=WEEK)), later=opening(start + timedelta(days=WEEK)),
        soonest=slots[0] if slots else None,
    )


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]

"""When a callback may ring: the department's opening hours, cut into wished windows.

A department without opening hours (answering chats around the clock) still does not
ring residents at night: its calls keep to CALLBACK_HOURS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import force_locale, format_date, format_time
from flask_babel import gettext as _
from sqlalchemy import select

from hub.accounts.models import Department
from hub.clock import office_zone, to_local, to_utc, utcnow
from hub.extensions import db
from hub.hours.models import DepartmentHours
from hub.hours.service import is_holiday
from hub.hours.spec import parse

Ranges = dict[int, list[tuple[time, time]]]


@dataclass(frozen=True)
class Window:
    """A span the resident may be rung in, as naive UTC like every stored time."""

    start: datetime
    end: datetime

    @property
    def key(self) -> str:
        """A stable value for a form's radio button."""
        return f"{self.start:%Y%m%d%H%M}-{self.end:%Y%m%d%H%M}"

    def label(self, language: str) -> str:
        """'Tuesday 24 November, 10:00–12:00' in the office's zone."""
        start, end = to_local(self.start), to_local(self.end)
        with force_locale(language):
            return _("%(day)s, %(start)s–%(end)s", day=format_date(start.date(), "EEEE d MMMM"),
                     start=format_time(start.time(), "H:mm"), end=format_time(end.time(), "H:mm"))


def moment_label(moment: datetime, language: str) -> str:
    """'Tuesday 24 November, 10:00' in the office's zone."""
    local = to_local(moment)
    with force_locale(language):
        return _("%(day)s, %(time)s", day=format_date(local.date(), "EEEE d MMMM"),
                 time=format_time(local.time(), "H:mm"))


def calling_ranges(department: Department) -> Ranges:
    rows = db.session.scalars(
        select(DepartmentHours).where(DepartmentHours.department_id == department.id)
    ).all()
    if not rows:
        return parse(current_app.config["CALLBACK_HOURS"])
    ranges: Ranges = {}
    for row in rows:
        ranges.setdefault(row.weekday, []).append((row.opens, row.closes))
    return {day: sorted(spans) for day, spans in ranges.items()}


def _spans(ranges: Ranges, day: date) -> list[tuple[datetime, datetime]]:
    """The day's calling spans as naive UTC (none on a public holiday)."""
    if is_holiday(day):
        return []
    zone = office_zone()
    return [(to_utc(datetime.combine(day, opens, zone)), to_utc(datetime.combine(day, closes, zone)))
            for opens, closes in ranges.get(day.weekday(), [])]


def next_calling_time(department: Department, after: datetime, days: int = 14) -> datetime | None:
    """`after` itself if calls may be made then, else the next start of calling hours."""
    ranges = calling_ranges(department)
    first_day = to_local(after).date()
    for offset in range(days):
        for start, end in _spans(ranges, first_day + timedelta(days=offset)):
            if after < end:
                return max(start, after)
    return None


def windows(department: Department, now: datetime | None = None, days: int | None = None) -> list[Window]:
    """Windows a resident may choose, soonest first: blocks of CALLBACK_WINDOW_HOURS within
    calling hours, the one under way included while at least 15 minutes of it are left."""
    now = now or utcnow()
    ranges = calling_ranges(department)
    block = timedelta(hours=current_app.config["CALLBACK_WINDOW_HOURS"])
    days = days or current_app.config["CALLBACK_BOOKABLE_DAYS"]
    found: list[Window] = []
    first_day = to_local(now).date()
    for offset in range(days):
        for start, end in _spans(ranges, first_day + timedelta(days=offset)):
            cursor = start
            while cursor < end:
                stop = min(cursor + block, end)
                # The block under way stays offered while there is time left to call.
                if stop - max(cursor, now) >= timedelta(minutes=15):
                    found.append(Window(cursor, stop))
                cursor = stop
    return found


def find_window(department: Department, key: object, now: datetime | None = None) -> Window | None:
    """The offered window with this key, or None (unknown, or it has passed meanwhile)."""
    return next((w for w in windows(department, now) if w.key == key), None)


def is_calling_time(department: Department, moment: datetime) -> bool:
    return next_calling_time(department, moment, days=1) == moment

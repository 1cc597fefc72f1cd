"""Is a department answering now, and when does it open next (public holidays included)?"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from flask_babel import force_locale, format_date, format_datetime, format_time
from flask_babel import gettext as _
from sqlalchemy import select

from hub.accounts.models import Department
from hub.clock import office_zone, to_local, to_utc, utcnow
from hub.extensions import db
from hub.hours.models import DepartmentHours

DAYS_AHEAD = 14


@lru_cache(maxsize=8)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("PL", years=year)


def is_holiday(day: date) -> bool:
    return day in _holidays(day.year)


def _ranges(department: Department) -> dict[int, list[DepartmentHours]]:
    rows = db.session.scalars(
        select(DepartmentHours)
        .where(DepartmentHours.department_id == department.id)
        .order_by(DepartmentHours.weekday, DepartmentHours.opens)
    )
    by_day: dict[int, list[DepartmentHours]] = {}
    for row in rows:
        by_day.setdefault(row.weekday, []).append(row)
    return by_day


def has_hours(department: Department) -> bool:
    """A department with no hours set answers around the clock."""
    return bool(_ranges(department))


def is_open(department: Department, at: datetime | None = None) -> bool:
    """True while the department answers; `at` is naive UTC (now by default)."""
    by_day = _ranges(department)
    if not by_day:
        return True
    local = _local(at)
    if is_holiday(local.date()):
        return False
    return any(r.opens <= local.time() < r.closes for r in by_day.get(local.weekday(), []))


def next_opening(department: Department, at: datetime | None = None) -> datetime | None:
    """The next time (aware, office zone) it opens, or None within two weeks / no hours."""
    by_day = _ranges(department)
    if not by_day:
        return None
    local = _local(at)
    for offset in range(DAYS_AHEAD):
        day = local.date() + timedelta(days=offset)
        if is_holiday(day):
            continue
        for r in by_day.get(day.weekday(), []):
            start = datetime.combine(day, r.opens, tzinfo=office_zone())
            if start > local:
                return start
    return None


def _local(at: datetime | None) -> datetime:
    return to_local(at or utcnow())


def describe_hours(department: Department, language: str) -> str:
    """The weekly hours as one line in the given language, e.g. 'pon.–pt. 8:00–16:00'."""
    by_day = _ranges(department)
    with force_locale(language):
        if not by_day:
            return _("around the clock")
        parts = []
        monday = date(2024, 1, 1)  # a Monday, for weekday names
        for weekday, ranges in sorted(by_day.items()):
            name = format_date(monday + timedelta(days=weekday), "EEE")
            spans = ", ".join(
                f"{format_time(r.opens, 'H:mm')}–{format_time(r.closes, 'H:mm')}" for r in ranges
            )
            parts.append(f"{name} {spans}")
        return "; ".join(parts)


def describe_next_opening(department: Department, language: str) -> str | None:
    opening = next_opening(department)
    if opening is None:
        return None
    with force_locale(language):
        return format_datetime(to_utc(opening), "EEEE d MMMM, H:mm")

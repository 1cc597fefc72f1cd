"""Time in one place: stored as naive UTC, shown in the office's zone.

The clock can be moved forward (tests, and the offline try-out with DEV_CLOCK), so that
scheduled work such as a callback's next attempt can be shown without waiting hours.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

_offset = timedelta(0)


def utcnow() -> datetime:
    """Naive UTC, as every DateTime column stores it (SQLite keeps no zone)."""
    return datetime.now(UTC).replace(tzinfo=None) + _offset


def advance(seconds: float) -> datetime:
    """Move this process's clock forward; returns the new time."""
    global _offset
    _offset += timedelta(seconds=seconds)
    return utcnow()


def reset() -> None:
    global _offset
    _offset = timedelta(0)


def office_zone() -> ZoneInfo:
    """The zone times are shown in (TIMEZONE, Europe/Warsaw by default)."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def to_local(moment: datetime) -> datetime:
    """A stored (naive UTC) time in the office's zone."""
    return moment.replace(tzinfo=UTC).astimezone(office_zone())


def to_utc(local: datetime) -> datetime:
    """An aware time as naive UTC, as stored."""
    return local.astimezone(UTC).replace(tzinfo=None)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, for browsers to show in the office's zone."""
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of a stored (naive UTC) time, whatever the server's zone."""
    return int(moment.replace(tzinfo=UTC).timestamp() * 1000)

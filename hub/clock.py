"""Time in one place: stored as naive UTC, shown in the office's zone."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC, as every DateTime column stores it (SQLite keeps no zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, for browsers to show in the office's zone."""
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of a stored (naive UTC) time, whatever the server's zone."""
    return int(moment.replace(tzinfo=UTC).timestamp() * 1000)

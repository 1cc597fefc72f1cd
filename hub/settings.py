"""Settings an admin changes at run time (retention, quality weights, sampling), logged.

Config (environment) holds what needs a restart; these live in the database so every
process sees a change at once, and each change is an event in the audit trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.clock import utcnow
from hub.extensions import db

DEFAULTS: dict[str, Any] = {
    # Residents' personal data in interactions, messages and bookings is anonymised after it.
    "retention_days": 730,
    # Service-quality index: weights of its parts (percent) and the pass mark (percent).
    "quality_weights": {"csat": 30, "office": 30, "mystery": 40},
    "quality_pass_mark": 80,
    # Random review sample: interactions drawn per clerk per week.
    "review_sample_per_clerk": 3,
    # Reactive review list: the tag that marks a complaint, and the repeat-contact window.
    "complaint_tag": "complaint",
    "repeat_contact_days": 7,
}


class Setting(db.Model):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


def get(key: str) -> Any:
    """The stored value, or the default when nobody has changed it."""
    row = db.session.get(Setting, key)
    return row.value if row is not None else DEFAULTS[key]


def set_value(key: str, value: Any, actor) -> bool:
    """Store a new value (validated by the caller) and log who changed what; False if same."""
    from hub.interactions.events import record

    if key not in DEFAULTS:
        raise KeyError(key)
    old = get(key)
    if old == value:
        return False
    row = db.session.get(Setting, key)
    if row is None:
        row = Setting(key=key)
        db.session.add(row)
    row.value = value
    row.updated_at = utcnow()
    row.updated_by_id = actor.id
    record(None, "setting_changed", actor, key=key, old=old, new=value)
    return True

"""Settings an admin changes at run time (retention, quality weights, sampling), logged.

Config (environment) holds what needs a restart; these live in the database so every
process sees a change at once, and each change is an event in the audit trail.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from hub.clock import utcnow
from hub.errors import MESSAGES, InvalidInput
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


def last_changes() -> dict[str, Setting]:
    """Each changed setting's row (who changed it last, and when); unchanged keys are absent."""
    return {row.key: row for row in db.session.scalars(select(Setting))}


# -- checking what an admin typed ----------------------------------------------------------

# Whole-number settings and their allowed ranges (inclusive).
RANGES: dict[str, tuple[int, int]] = {
    "retention_days": (30, 3650),
    "quality_pass_mark": (0, 100),
    "review_sample_per_clerk": (1, 20),
    "repeat_contact_days": (1, 60),
}
WEIGHT_PARTS = ("csat", "office", "mystery")
TAG_MAX = 40
_TAG = re.compile(rf"[\w-]{{1,{TAG_MAX}}}")  # \w: letters (Polish too), digits and "_"

MESSAGES.update({
    "setting_number": _l("Please give a whole number from %(low)s to %(high)s."),
    "setting_weights_sum": _l("The three weights must add up to 100; now they add up to "
                              "%(total)s."),
    "setting_tag": _l("The tag must have 1 to %(limit)s letters, digits, hyphens or "
                      "underscores."),
})


class InvalidSettings(InvalidInput):
    """Settings that cannot be stored; `problems` maps each bad form field to its refusal."""

    def __init__(self, problems: dict[str, InvalidInput]) -> None:
        first = next(iter(problems.values()))
        super().__init__(first.code, **first.params)
        self.problems = problems


# The form's fields in page order: one per setting, and one per part of the weights.
FORM_FIELDS = ("retention_days", *(f"quality_weights-{part}" for part in WEIGHT_PARTS),
               "quality_pass_mark", "review_sample_per_clerk", "complaint_tag",
               "repeat_contact_days")


def form_values(values: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Settings as the form's fields show them (`quality_weights-csat` etc.); the stored
    values when none are given."""
    values = values if values is not None else {key: get(key) for key in DEFAULTS}
    weights = values["quality_weights"]
    return {field: str(weights[field.partition("-")[2]] if field.startswith("quality_weights-")
                       else values[field]) for field in FORM_FIELDS}


def parse(submitted: Mapping[str, str]) -> dict[str, Any]:
    """Every setting from the form's fields, checked; InvalidSettings names each bad field
    (so nothing is stored unless everything is right)."""
    problems: dict[str, InvalidInput] = {}
    values: dict[str, Any] = {}

    def number(field: str, low: int, high: int) -> int | None:
        text = str(submitted.get(field, "")).strip()
        if not re.fullmatch(r"[0-9]{1,6}", text) or not low <= int(text) <= high:
            problems[field] = InvalidInput("setting_number", low=low, high=high)
            return None
        return int(text)

    for key, (low, high) in RANGES.items():
        values[key] = number(key, low, high)
    weights = {part: number(f"quality_weights-{part}", 0, 100) for part in WEIGHT_PARTS}
    if all(w is not None for w in weights.values()) and sum(weights.values()) != 100:
        problems["quality_weights"] = InvalidInput("setting_weights_sum",
                                                   total=sum(weights.values()))
    values["quality_weights"] = weights
    tag = str(submitted.get("complaint_tag", "")).strip().lstrip("#").lower()
    if not _TAG.fullmatch(tag):
        problems["complaint_tag"] = InvalidInput("setting_tag", limit=TAG_MAX)
    values["complaint_tag"] = tag
    if problems:
        order = [*FORM_FIELDS[:4], "quality_weights", *FORM_FIELDS[4:]]
        raise InvalidSettings({name: problems[name] for name in order if name in problems})
    return values


def store(values: Mapping[str, Any], actor) -> list[str]:
    """Store checked settings (from parse); each change is logged. Returns the changed keys."""
    return [key for key in DEFAULTS if key in values and set_value(key, values[key], actor)]

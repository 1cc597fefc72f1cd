"""The audit trail: what staff did outside conversations, and who looked at or exported what.

Which events count is decided here, in one place: every event not tied to an interaction
(sign-ins, status changes, settings, exports…), the access kinds listed below wherever they
are logged, and any kind ending in one of ACCESS_SUFFIXES, so that a new
"something_exported" shows up without changing this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.sql import ColumnElement

from hub.accounts.models import User
from hub.clock import office_zone, to_utc
from hub.errors import MESSAGES, InvalidInput
from hub.extensions import db
from hub.interactions.models import InteractionEvent

ACCESS_KINDS = (
    "transcript_viewed", "log_exported", "log_verified", "report_exported", "setting_changed",
    "resident_data_searched", "resident_data_exported", "resident_data_erased",
    "retention_purge", "scorecard_published",
)
ACCESS_SUFFIXES = ("_exported", "_viewed", "_changed", "_erased", "_published")
# Offered in the kind filter (any other kind can be typed).
KNOWN_KINDS = (*ACCESS_KINDS, "signed_in", "signed_out", "presence", "set_away", "set_offline",
               "canned_created", "canned_updated", "canned_deactivated", "hours_changed",
               "scorecard_created", "calibration_created", "calibration_closed",
               "queue_rebuilt")
PAGE_SIZE = 50
SYSTEM = "system"

MESSAGES.update({
    "audit_unknown_person": _l("Please choose a person from the list."),
    "audit_bad_kind": _l("An event kind has lowercase letters and underscores, e.g. "
                         "transcript_viewed."),
})


def is_access(kind: str) -> bool:
    return kind in ACCESS_KINDS or kind.endswith(ACCESS_SUFFIXES)


def in_trail() -> ColumnElement[bool]:
    """SQL: the events the audit trail shows."""
    kind = InteractionEvent.kind
    return or_(InteractionEvent.interaction_id.is_(None), kind.in_(ACCESS_KINDS),
               *(kind.endswith(suffix, autoescape=True) for suffix in ACCESS_SUFFIXES))


@dataclass(frozen=True)
class AuditFilters:
    who: int | str | None = None  # a staff member's id, or "system"
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def parse_filters(args: Mapping[str, str]) -> tuple[AuditFilters, dict[str, InvalidInput]]:
    """Filters from a query string; a bad value is left out and reported under its name."""
    from hub.interactions.search import is_id
    from hub.interactions.search import parse_filters as log_filters

    errors: dict[str, InvalidInput] = {}
    values: dict[str, object] = {}
    who = (args.get("who") or "").strip()
    if who == SYSTEM:
        values["who"] = SYSTEM
    elif who:
        person = db.session.get(User, int(who)) if is_id(who) else None
        if person is None:
            errors["who"] = InvalidInput("audit_unknown_person")
        else:
            values["who"] = person.id
    kind = (args.get("kind") or "").strip()
    if kind:
        if kind.replace("_", "").isalpha() and kind.isascii() and len(kind) <= 40:
            values["kind"] = kind.lower()
        else:
            errors["kind"] = InvalidInput("audit_bad_kind")
    dated, date_errors = log_filters({"from": args.get("from", ""), "to": args.get("to", "")})
    errors.update(date_errors)
    return AuditFilters(date_from=dated.date_from, date_to=dated.date_to, **values), errors


def page_of(filters: AuditFilters, page: int = 1,
            per_page: int = PAGE_SIZE) -> tuple[list[InteractionEvent], bool]:
    """One page of the trail, newest first; (events, whether there are older ones)."""
    where = [in_trail()]
    if filters.who == SYSTEM:
        where.append(InteractionEvent.actor_type == SYSTEM)
    elif filters.who is not None:
        where += [InteractionEvent.actor_type == "clerk", InteractionEvent.actor_id == filters.who]
    if filters.kind:
        where.append(InteractionEvent.kind == filters.kind)
    if filters.date_from:
        where.append(InteractionEvent.created_at >= _midnight(filters.date_from))
    if filters.date_to:
        where.append(InteractionEvent.created_at < _midnight(filters.date_to + timedelta(days=1)))
    events = list(db.session.scalars(
        select(InteractionEvent).where(*where).order_by(InteractionEvent.id.desc())
        .offset((max(page, 1) - 1) * per_page).limit(per_page + 1)))
    return events[:per_page], len(events) > per_page


def _midnight(day: date) -> datetime:
    return to_utc(datetime.combine(day, time(0), tzinfo=office_zone()))

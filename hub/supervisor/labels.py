"""Words for the log's codes: channels, states, ratings, the mystery-shopper filter."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CHANNEL_LABELS = {
    "webchat": _l("Web chat"), "sms": _l("SMS"), "callback": _l("Callback"),
    "booking": _l("Booking"), "form": _l("Form"),
}
STATE_LABELS = {
    "scheduled": _l("scheduled"), "queued": _l("queued"), "offered": _l("offered"),
    "assigned": _l("in progress"), "closed": _l("closed"), "abandoned": _l("abandoned"),
}
CSAT_CHOICES = {
    "low": _l("1 or 2 stars"), "1": _l("1 star"), "2": _l("2 stars"), "3": _l("3 stars"),
    "4": _l("4 stars"), "5": _l("5 stars"),
}
MYSTERY_CHOICES = {
    "any": _l("Any contact"), "yes": _l("Only mystery shoppers"),
    "no": _l("Without mystery shoppers"),
}


def label(labels: dict, code: str | None) -> str:
    """The label of a code, or the code itself when it has none (e.g. a newer one)."""
    return "" if code is None else str(labels.get(code, code))

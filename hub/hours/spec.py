"""Weekly hours written as text, e.g. "mo-fr 8:00-16:00; th 8:00-17:00; sa 9:00-12:00".

Each part is days (a day, or a span like mo-fr) and one or more time ranges separated by
commas; a later part replaces the ranges of the days it names.
"""

from __future__ import annotations

import re
from datetime import time

DAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class SpecError(ValueError):
    """Why the text cannot be read: the message in English, plus a `code` and `params` a
    caller can turn into a message in the user's language."""

    def __init__(self, message: str, code: str, **params: str) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


def parse(spec: str) -> dict[int, list[tuple[time, time]]]:
    """Weekday (0 = Monday) → ranges; SpecError with a readable reason."""
    week: dict[int, list[tuple[time, time]]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        days_text, _, ranges_text = part.partition(" ")
        days = _days(days_text.lower())
        ranges = [_range(r.strip()) for r in ranges_text.split(",") if r.strip()]
        if not ranges:
            raise SpecError(f"no time range in {part!r}", "no_range", text=part)
        for day in days:
            week[day] = sorted(ranges)
    return week


def _days(text: str) -> list[int]:
    first, _, last = text.partition("-")
    if first not in DAYS or (last and last not in DAYS):
        raise SpecError(f"unknown day {text!r}: use {', '.join(DAYS)} or a span like mo-fr",
                        "unknown_day", text=text)
    start, end = DAYS.index(first), DAYS.index(last or first)
    if end < start:
        raise SpecError(f"day span {text!r} runs backwards", "backwards_days", text=text)
    return list(range(start, end + 1))


def _range(text: str) -> tuple[time, time]:
    match = _RANGE.match(text)
    if not match:
        raise SpecError(f"time range {text!r} must look like 8:00-16:00", "bad_range", text=text)
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise SpecError(f"no such time in {text!r}", "no_such_time", text=text)
    opens = time(h1, m1)
    closes = time(23, 59, 59) if h2 == 24 else time(h2, m2)
    if closes <= opens:
        raise SpecError(f"{text!r} closes before it opens", "closes_first", text=text)
    return opens, closes


def render(week: dict[int, list[tuple[time, time]]]) -> str:
    parts = []
    for day in sorted(week):
        spans = ",".join(f"{o:%H:%M}-{'24:00' if c == time(23, 59, 59) else f'{c:%H:%M}'}"
                         for o, c in week[day])
        parts.append(f"{DAYS[day]} {spans}")
    return "; ".join(parts) or "around the clock (no hours set)"

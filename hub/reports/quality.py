"""The service-quality index per department: three parts, published weights, a pass mark.

Each part is a share from 0 to 1 over the period (office-local days):

- **online** (weight key "csat"): the mean of (CSAT − 1) / 4 over the rated web chat, SMS and
  callback contacts queued in the period (mystery-shopper contacts left out);
- **office**: the mean of (rating − 1) / 4 over the office visits due in the period that the
  resident rated from the link sent after the visit (hub.booking.rating), counted for the
  department of the visit's matter;
- **mystery**: the mean score of the mystery-shopper reviews submitted in the period, of
  that department's contacts.

The index is the weighted mean of the parts that have data: the weights
(settings "quality_weights", default 30/30/40) of the missing parts are left out and the
rest renormalised, so a department with only online ratings and mystery reviews gets
(30·online + 40·mystery) / 70. It passes at the pass mark ("quality_pass_mark", default 80 %)
or above. The page shows every part with its count and weight, never only the total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from hub import settings
from hub.accounts.models import Department
from hub.booking.models import Booking, Service
from hub.extensions import db
from hub.interactions.models import Interaction
from hub.reports.figures import ONLINE_CHANNELS, bounds
from hub.review.models import Review

PARTS = ("csat", "office", "mystery")  # the keys of the "quality_weights" setting


@dataclass(frozen=True)
class Part:
    key: str
    weight: float  # as set (percent), before renormalising
    count: int  # ratings or reviews
    total: float  # sum of the 0..1 values

    @property
    def value(self) -> float | None:
        return self.total / self.count if self.count else None

    @property
    def has_data(self) -> bool:
        return self.count > 0


@dataclass(frozen=True)
class Index:
    department: Department | None  # None: all departments together
    parts: tuple[Part, ...]
    pass_mark: float  # percent

    @property
    def used(self) -> tuple[Part, ...]:
        """The parts that count: with data and a weight above 0."""
        return tuple(p for p in self.parts if p.has_data and p.weight > 0)

    @property
    def missing(self) -> tuple[Part, ...]:
        return tuple(p for p in self.parts if not p.has_data)

    @property
    def used_weight(self) -> float:
        return sum(p.weight for p in self.used)

    def effective_weight(self, part: Part) -> float | None:
        """The part's share of the index after renormalising (0..1), None if it is left out."""
        return part.weight / self.used_weight if part in self.used and self.used_weight else None

    @property
    def value(self) -> float | None:
        """0..1, or None when no weighted part has data."""
        if not self.used_weight:
            return None
        return sum(p.weight * p.value for p in self.used) / self.used_weight

    @property
    def passed(self) -> bool | None:
        if self.value is None:
            return None
        return round(self.value * 100, 9) >= self.pass_mark


@dataclass(frozen=True)
class QualityReport:
    first: date
    last: date
    weights: dict[str, float]
    pass_mark: float
    departments: list[Index]
    overall: Index


def weights() -> dict[str, float]:
    """The published weights (percent) of the three parts; a missing or bad one counts 0."""
    stored = settings.get("quality_weights") or {}
    found = {}
    for key in PARTS:
        try:
            found[key] = max(0.0, float(stored.get(key, 0)))
        except (TypeError, ValueError):
            found[key] = 0.0
    return found


def pass_mark() -> float:
    try:
        return float(settings.get("quality_pass_mark"))
    except (TypeError, ValueError):
        return float(settings.DEFAULTS["quality_pass_mark"])


def quality_report(first: date, last: date) -> QualityReport:
    """The index of every active department (and of them all together) for first..last."""
    start, end = bounds(first, last)
    online = dict(_online(start, end))
    office = dict(_office(start, end))
    mystery = dict(_mystery(start, end))
    weight, mark = weights(), pass_mark()

    def index(department: Department | None, ids: list[int]) -> Index:
        parts = []
        for key, found in (("csat", online), ("office", office), ("mystery", mystery)):
            count = sum(found[i][0] for i in ids if i in found)
            total = sum(found[i][1] for i in ids if i in found)
            parts.append(Part(key, weight[key], count, total))
        return Index(department, tuple(parts), mark)

    departments = list(db.session.scalars(
        select(Department).where(Department.active).order_by(Department.id)))
    every = sorted({*online, *office, *mystery})
    return QualityReport(
        first=first, last=last, weights=weight, pass_mark=mark,
        departments=[index(d, [d.id]) for d in departments],
        overall=index(None, every),
    )


def _online(start, end):
    """department id → (ratings, sum of (csat − 1) / 4)."""
    rows = db.session.execute(
        select(Interaction.department_id, func.count(Interaction.csat), func.sum(Interaction.csat))
        .where(Interaction.queued_at >= start, Interaction.queued_at < end,
               Interaction.mystery_shopper.is_(False), Interaction.channel.in_(ONLINE_CHANNELS),
               Interaction.csat.between(1, 5))
        .group_by(Interaction.department_id)
    )
    return ((d, (int(n), (float(stars) - n) / 4)) for d, n, stars in rows)


def _office(start, end):
    """department id → (rated visits, sum of (rating − 1) / 4)."""
    rows = db.session.execute(
        select(Service.department_id, func.count(Booking.rating), func.sum(Booking.rating))
        .join(Service, Service.id == Booking.service_id)
        .where(Booking.starts_at >= start, Booking.starts_at < end,
               Booking.rating.between(1, 5))
        .group_by(Service.department_id)
    )
    return ((d, (int(n), (float(stars) - n) / 4)) for d, n, stars in rows)


def _mystery(start, end):
    """department id → (mystery-shopper reviews, sum of their scores)."""
    rows = db.session.execute(
        select(Interaction.department_id, func.count(), func.sum(Review.score))
        .join(Interaction, Interaction.id == Review.interaction_id)
        .where(Review.kind == "mystery", Review.state != "draft", Review.score.is_not(None),
               Review.submitted_at >= start, Review.submitted_at < end)
        .group_by(Interaction.department_id)
    )
    return ((d, (int(n), float(total))) for d, n, total in rows)

"""KPI figures for supervisors over a period of office-local days, all aggregated in SQL.

Definitions (the reports page says the same; docs/quality.md has them too):

- **Contacts**: interactions *queued* in the period (web chat, SMS, callbacks, forms; the
  same "queued_at" the wallboard counts by; a self-service booking never queues and is
  counted with the visits). Mystery-shopper contacts are test contacts: they are left out
  of every figure here except the mystery-shopper scores.
- **Answered**: `assigned_at` set. **Abandoned**: state "abandoned" (the resident left while
  waiting); the abandonment rate is abandoned ÷ contacts.
- **Answered in target** (the SLA share): the wallboard's definition (docs/routing.md), over
  the period's contacts, each against its own target (its channel's, else its department's
  `sla_seconds`); a contact still waiting now counts once it is past its target.
- **Times**, each over the contacts for which both ends are known: first response =
  first reply − queued; wait = answered (assigned) − queued; handling = closed − assigned.
  Shown as counts per bucket, the median (p50), the 90th percentile (p90, nearest rank:
  the value at rank ⌈p·n⌉ in ascending order) and the mean.
- **CSAT**: the residents' 1–5 ratings of the period's online contacts (web chat, SMS,
  callback): mean, distribution and response rate (rated ÷ answered contacts in the channels
  that ask for a rating, today the web chat).
- **No-shows**: hub.booking.figures' definition, visits due in the period and settled
  (done, no-show or arrived): no-shows ÷ settled; per the service's department.
- **QA score**: mean score of the *random* reviews submitted in the period (not drafts, not
  all-N/A), per clerk and overall (the mean over the reviews, not of the clerks' means), and
  the clerks by band of their mean. Reactive and mystery-shopper reviews are reported apart;
  calibration reviews count nowhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import DateTime, and_, case, func, literal, or_, select, union_all

from hub.accounts.models import Department, User
from hub.booking.figures import SETTLED
from hub.booking.models import Booking, Service
from hub.clock import office_zone, to_utc, utcnow
from hub.extensions import db
from hub.interactions.models import CHANNELS, Interaction
from hub.review.models import Review
from hub.supervisor.wallboard import WAITING_STATES, _target_sql, seconds_between

# Time buckets (seconds, lower bound included, upper excluded; None: open-ended).
BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 60), (60, 120), (120, 300), (300, 600), (600, 1800), (1800, None),
)
# Bands of a clerk's QA mean (percent, lower bound included).
QA_BANDS: tuple[tuple[int | None, int | None], ...] = (
    (None, 60), (60, 70), (70, 80), (80, 90), (90, None),
)
ONLINE_CHANNELS = ("webchat", "sms", "callback")
RATING_ASKED_CHANNELS = ("webchat",)  # the chat's end screen asks; SMS and calls do not yet
METRICS = ("first_response", "wait", "handling")
PERCENTILES = (50, 90)
OTHER_REVIEW_KINDS = ("reactive", "mystery")


# -- the period ---------------------------------------------------------------------------


def bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The stored (naive UTC) times from local midnight of `first` to that after `last`."""
    zone = office_zone()
    start = to_utc(datetime.combine(first, datetime.min.time(), zone))
    end = to_utc(datetime.combine(last + timedelta(days=1), datetime.min.time(), zone))
    return start, end


def share(part: int | float, whole: int | float) -> float | None:
    return part / whole if whole else None


# -- the shapes ---------------------------------------------------------------------------


@dataclass
class Volume:
    """Contacts of one channel or department."""

    key: str
    contacts: int = 0
    answered: int = 0
    abandoned: int = 0
    in_target: int = 0
    counted: int = 0  # for the SLA share

    @property
    def abandonment_rate(self) -> float | None:
        return share(self.abandoned, self.contacts)

    @property
    def sla_share(self) -> float | None:
        return share(self.in_target, self.counted)

    def add(self, other: Volume) -> None:
        for name in ("contacts", "answered", "abandoned", "in_target", "counted"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Durations:
    """One time measure: its histogram, percentiles and mean (seconds)."""

    metric: str
    count: int = 0
    mean: float | None = None
    buckets: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    percentiles: dict[int, float] = field(default_factory=dict)

    @property
    def p50(self) -> float | None:
        return self.percentiles.get(50)

    @property
    def p90(self) -> float | None:
        return self.percentiles.get(90)


@dataclass
class Csat:
    ratings: int = 0
    total: int = 0  # sum of the stars
    distribution: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(1, 6), 0))
    asked: int = 0  # answered contacts in the channels that ask for a rating
    asked_rated: int = 0

    @property
    def mean(self) -> float | None:
        return share(self.total, self.ratings)

    @property
    def response_rate(self) -> float | None:
        return share(self.asked_rated, self.asked)


@dataclass
class Visits:
    """Settled visits of one department (or all) and their ratings."""

    key: str
    settled: int = 0
    no_shows: int = 0
    ratings: int = 0
    rating_total: int = 0

    @property
    def no_show_rate(self) -> float | None:
        return share(self.no_shows, self.settled)

    @property
    def rating_mean(self) -> float | None:
        return share(self.rating_total, self.ratings)

    def add(self, other: Visits) -> None:
        for name in ("settled", "no_shows", "ratings", "rating_total"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class ClerkQuality:
    clerk: User | None  # None: reviews whose clerk is unknown
    reviews: int
    mean: float  # 0..1

    @property
    def band(self) -> int:
        return band_of(self.mean)


@dataclass
class ReviewFigures:
    reviews: int = 0
    total: float = 0.0

    @property
    def mean(self) -> float | None:
        return share(self.total, self.reviews)


@dataclass
class Quality:
    clerks: list[ClerkQuality]
    overall: ReviewFigures
    other: dict[str, ReviewFigures]  # reactive, mystery

    @property
    def bands(self) -> list[int]:
        """How many clerks (with a known clerk) fall in each of QA_BANDS."""
        counts = [0] * len(QA_BANDS)
        for row in self.clerks:
            if row.clerk is not None:
                counts[row.band] += 1
        return counts


@dataclass
class Report:
    first: date
    last: date
    department: Department | None
    departments: list[Department]
    by_channel: list[Volume]
    by_department: list[Volume]
    total: Volume
    durations: list[Durations]
    csat: Csat
    visits: list[Visits]
    visits_total: Visits
    quality: Quality


def band_of(mean: float) -> int:
    """The index in QA_BANDS of a 0..1 mean, judged on the percentage as shown (1 decimal)."""
    percent = round(mean * 100, 1)
    for index, (low, high) in enumerate(QA_BANDS):
        if (low is None or percent >= low) and (high is None or percent < high):
            return index
    return len(QA_BANDS) - 1


# -- the report ---------------------------------------------------------------------------


def report(first: date, last: date, department: Department | None = None,
           now: datetime | None = None) -> Report:
    """Every KPI for the days first..last (office-local, both included).

    The contacts are read twice, whatever their number: one GROUP BY gives the volumes, the
    SLA counts, CSAT and the time histograms; one ranked query gives the percentiles.
    """
    start, end = bounds(first, last)
    now = now or utcnow()
    departments = list(db.session.scalars(select(Department).order_by(Department.id)))
    conditions = _conditions(start, end, department)
    by_channel: dict[str, Volume] = {}
    by_department: dict[int, Volume] = {}
    total = Volume("")
    durations = {metric: Durations(metric) for metric in METRICS}
    sums = dict.fromkeys(METRICS, 0.0)
    csat = Csat()
    for row in _aggregates(_cohort(conditions, now)):
        channel, department_id, stars = row["channel"], row["department_id"], row["csat"]
        volume = Volume(channel, *(row[k] for k in ("contacts", "answered", "abandoned",
                                                    "in_target", "counted")))
        by_channel.setdefault(channel, Volume(channel)).add(volume)
        code = next((d.code for d in departments if d.id == department_id), str(department_id))
        by_department.setdefault(department_id, Volume(code)).add(volume)
        total.add(volume)
        for metric in METRICS:
            durations[metric].count += row[f"{metric}_count"]
            sums[metric] += row[f"{metric}_sum"]
            for index in range(len(BUCKETS)):
                durations[metric].buckets[index] += row[f"{metric}_{index}"]
        if channel in ONLINE_CHANNELS and stars in csat.distribution:
            csat.distribution[stars] += volume.contacts
            csat.ratings += volume.contacts
            csat.total += stars * volume.contacts
        if channel in RATING_ASKED_CHANNELS:
            csat.asked += volume.answered
            csat.asked_rated += volume.answered if stars is not None else 0
    for metric, measure in durations.items():
        if measure.count:
            measure.mean = round(sums[metric] / measure.count, 3)
    for metric, p, value in _percentiles(conditions):
        durations[metric].percentiles[p] = round(float(value), 3)
    visits = _visits(start, end, department, departments)
    visits_total = Visits("")
    for row in visits:
        visits_total.add(row)
    return Report(
        first=first, last=last, department=department, departments=departments,
        by_channel=sorted(by_channel.values(), key=lambda v: _channel_order(v.key)),
        by_department=[by_department[d.id] for d in departments if d.id in by_department],
        total=total,
        durations=[durations[metric] for metric in METRICS],
        csat=csat,
        visits=visits, visits_total=visits_total,
        quality=quality_scores(start, end, department),
    )


def _channel_order(channel: str) -> int:
    return CHANNELS.index(channel) if channel in CHANNELS else len(CHANNELS)


def _seconds(start, end):
    """Seconds between two stored times, to the millisecond (SQLite's julianday arithmetic
    makes exactly 5 minutes 299.99998 s, which would land in the wrong bucket); NULL when
    either is."""
    return func.round(seconds_between(start, end) * 1000) / 1000


def _conditions(start: datetime, end: datetime, department: Department | None) -> list:
    """The period's contacts: queued in it (queued_at is indexed), not mystery shoppers."""
    conditions = [Interaction.queued_at >= start, Interaction.queued_at < end,
                  Interaction.mystery_shopper.is_(False)]
    if department is not None:
        conditions.append(Interaction.department_id == department.id)
    return conditions


def _times() -> list:
    """The three time measures of a contact, in seconds; NULL when not known."""
    queued, assigned = Interaction.queued_at, Interaction.assigned_at
    closed = and_(Interaction.state == "closed", assigned.is_not(None))
    return [
        _seconds(queued, Interaction.first_response_at).label("first_response"),
        _seconds(queued, assigned).label("wait"),
        case((closed, _seconds(assigned, Interaction.closed_at))).label("handling"),
    ]


def _cohort(conditions: list, now: datetime):
    """The period's contacts, one row each, with what the figures need: the three times and
    the SLA flags (the wallboard's terms, docs/routing.md). Materialised, so each row's
    times are worked out once however many sums use them."""
    target = _target_sql()
    queued, assigned = Interaction.queued_at, Interaction.assigned_at
    answered = assigned.is_not(None)
    waiting_too_long = and_(Interaction.state.in_(WAITING_STATES),
                            _seconds(queued, literal(now, DateTime())) > target)
    left_at = func.coalesce(Interaction.resident_left_at, Interaction.closed_at)
    abandoned = Interaction.state == "abandoned"
    abandoned_too_late = and_(abandoned, _seconds(queued, left_at) > target)
    return (
        select(
            Interaction.department_id.label("department_id"),
            Interaction.channel.label("channel"),
            Interaction.csat.label("csat"),
            case((answered, 1), else_=0).label("answered"),
            case((abandoned, 1), else_=0).label("abandoned"),
            case((and_(answered, _seconds(queued, assigned) <= target), 1), else_=0)
            .label("in_target"),
            case((or_(answered, waiting_too_long, abandoned_too_late), 1), else_=0)
            .label("counted"),
            *_times(),
        )
        .join(Department, Department.id == Interaction.department_id)
        .where(*conditions)
        .cte("contacts").prefix_with("MATERIALIZED")
    )


def _aggregates(contacts) -> Iterator[dict]:
    """Per (department, channel, CSAT): contacts, answered, abandoned, the SLA counts, and
    per time measure its count, sum and bucket counts (numbers, never NULL)."""
    columns = [
        func.count().label("contacts"),
        func.sum(contacts.c.answered).label("answered"),
        func.sum(contacts.c.abandoned).label("abandoned"),
        func.sum(contacts.c.in_target).label("in_target"),
        func.sum(contacts.c.counted).label("counted"),
    ]
    for metric in METRICS:
        seconds = contacts.c[metric]
        columns += [func.count(seconds).label(f"{metric}_count"),
                    func.sum(seconds).label(f"{metric}_sum")]
        columns += [func.sum(case((_in_bucket(seconds, low, high), 1), else_=0))
                    .label(f"{metric}_{index}") for index, (low, high) in enumerate(BUCKETS)]
    group = (contacts.c.department_id, contacts.c.channel, contacts.c.csat)
    keys = ("department_id", "channel", "csat")
    for row in db.session.execute(select(*group, *columns).group_by(*group)).mappings():
        yield {k: v if k in keys else float(v or 0) if k.endswith("_sum") else int(v or 0)
               for k, v in row.items()}


def _percentiles(conditions: list) -> Iterator[tuple[str, int, float]]:
    """(metric, p, seconds) for each time measure and each of PERCENTILES: the value at rank
    ⌈p·n/100⌉ of its n known times in ascending order (nearest rank)."""
    times = select(*_times()).where(*conditions).cte("times").prefix_with("MATERIALIZED")
    ranked = union_all(*(
        select(literal(metric).label("metric"), times.c[metric].label("seconds"),
               func.row_number().over(order_by=times.c[metric]).label("rank"),
               func.count().over().label("n"))
        .where(times.c[metric].is_not(None))
        for metric in METRICS
    )).subquery()
    wanted = [ranked.c.rank == (ranked.c.n * p + 99) // 100 for p in PERCENTILES]
    rows = db.session.execute(
        select(ranked.c.metric, ranked.c.seconds, ranked.c.rank, ranked.c.n).where(or_(*wanted)))
    for metric, value, rank, n in rows:
        for p in PERCENTILES:
            if rank == (n * p + 99) // 100:
                yield metric, p, value


def _in_bucket(seconds, low: int, high: int | None):
    if high is None:
        return seconds >= low
    if low == 0:
        return seconds < high  # a negative time (clock skew) counts as the shortest
    return and_(seconds >= low, seconds < high)


def _visits(start: datetime, end: datetime, department: Department | None,
            departments: list[Department]) -> list[Visits]:
    """Settled visits due in the period per the service's department: no-shows, ratings."""
    conditions = [Booking.starts_at >= start, Booking.starts_at < end, Booking.state.in_(SETTLED)]
    if department is not None:
        conditions.append(Service.department_id == department.id)
    rows = db.session.execute(
        select(Service.department_id, func.count(),
               func.coalesce(func.sum(case((Booking.state == "no_show", 1), else_=0)), 0),
               func.count(Booking.rating), func.coalesce(func.sum(Booking.rating), 0))
        .join(Service, Service.id == Booking.service_id)
        .where(*conditions)
        .group_by(Service.department_id)
    )
    found = {department_id: figures for department_id, *figures in rows}
    return [Visits(d.code, *(int(v) for v in found[d.id])) for d in departments if d.id in found]


def quality_scores(start: datetime, end: datetime,
                   department: Department | None = None) -> Quality:
    """QA from random reviews submitted in [start, end); reactive and mystery apart."""
    conditions = [Review.state != "draft", Review.score.is_not(None),
                  Review.submitted_at >= start, Review.submitted_at < end]
    if department is not None:
        conditions.append(Interaction.department_id == department.id)
    rows = db.session.execute(
        select(Review.clerk_id, func.count(), func.sum(Review.score))
        .join(Interaction, Interaction.id == Review.interaction_id)
        .where(*conditions, Review.kind == "random")
        .group_by(Review.clerk_id)
    ).all()
    staff = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_([r[0] for r in rows if r[0] is not None])))}
    clerks = [ClerkQuality(staff.get(clerk_id), int(count), float(total) / int(count))
              for clerk_id, count, total in rows]
    clerks.sort(key=lambda c: (c.clerk is None, c.clerk.name if c.clerk else ""))
    overall = ReviewFigures(sum(c.reviews for c in clerks),
                            sum(float(total) for _, _, total in rows))
    other = {kind: ReviewFigures() for kind in OTHER_REVIEW_KINDS}
    for kind, count, total in db.session.execute(
        select(Review.kind, func.count(), func.sum(Review.score))
        .join(Interaction, Interaction.id == Review.interaction_id)
        .where(*conditions, Review.kind.in_(OTHER_REVIEW_KINDS))
        .group_by(Review.kind)
    ):
        other[kind] = ReviewFigures(int(count), float(total))
    return Quality(clerks=clerks, overall=overall, other=other)

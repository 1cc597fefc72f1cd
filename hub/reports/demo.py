"""Demo data for the reports beside hub.demo_history's past contacts: four weeks of settled
office visits (most done, some no-shows, many rated from the link) and submitted reviews of
the past contacts (a random sample per clerk per week, reactive reviews of low ratings, and a
few mystery-shopper contacts). Deterministic (seeded); each part is skipped when its data is
already there.

Not part of hub.demo.load_demo (the tests start from an empty record): app.py can call
`load_demo_reports()` after load_demo_history().
"""

from __future__ import annotations

import itertools
import random
import secrets
from datetime import datetime, time, timedelta

from sqlalchemy import select

from hub.accounts.models import User
from hub.booking.models import Booking, Office, Service, SlotClaim
from hub.booking.slots import cell, cells_for
from hub.clock import office_zone, to_local, to_utc, utcnow
from hub.extensions import db
from hub.interactions.models import Interaction
from hub.review import service as reviews
from hub.review.models import MysteryShop, Review, ReviewListItem

DAYS = 28
# department code → how residents rate its office visits (mean of 1..5)
VISIT_MOOD = {"registry": 4.5, "vehicles": 3.5, "taxes": 4.0, "residence": 4.3, "general": 4.6}
# how often a clerk's answers get full marks in a review (by e-mail; others 0.8)
SKILL = {"anna@okienko.local": 0.9, "piotr@okienko.local": 0.62}
_references = itertools.count(1)


def load_demo_reports(seed: int = 6) -> tuple[int, int]:
    """Past visits and reviews for the demo; returns (visits, reviews) added."""
    rng = random.Random(seed)
    now = utcnow()
    visits = reviews_made = 0
    if db.session.scalar(select(Booking.id).where(Booking.starts_at < now).limit(1)) is None:
        first_day = to_local(now).date() - timedelta(days=DAYS)
        visits = _visits(rng, first_day, DAYS, now)
    reviews_made = _reviews(rng, now)
    db.session.commit()
    return visits, reviews_made


def _visits(rng: random.Random, first_day, days: int, now: datetime) -> int:
    """Settled visits at the offices' desks on working days, one after another per desk."""
    services = list(db.session.scalars(select(Service).where(Service.active)))
    zone = office_zone()
    made = 0
    for office in db.session.scalars(select(Office).where(Office.active)):
        offered = [s for s in services if office in s.offices]
        for offset in range(days):
            day = first_day + timedelta(days=offset)
            if day.weekday() >= 5 or not offered:
                continue
            for desk in office.desks:
                moment = datetime.combine(day, time(9), zone)
                for _ in range(rng.randint(1, 4)):
                    service = rng.choice(offered)
                    starts = to_utc(moment)
                    ends = starts + cells_for(service) * cell()
                    moment += (cells_for(service) + rng.randint(0, 2)) * cell()
                    if ends < now:
                        _visit(rng, office, desk, service, starts, ends)
                        made += 1
    return made


def _visit(rng: random.Random, office: Office, desk, service: Service, starts: datetime,
           ends: datetime) -> None:
    booked = starts - timedelta(days=rng.randint(1, 10))
    log = Interaction(channel="booking", department=service.department, state="closed",
                      language="pl", resident_key=secrets.token_urlsafe(24), created_at=booked,
                      closed_at=booked, queue_score=0)
    db.session.add(log)
    db.session.flush()
    no_show = rng.random() < 0.12
    booking = Booking(
        reference=f"DEMO{next(_references):05d}", service=service, office=office, desk=desk,
        starts_at=starts, ends_at=ends, state="no_show" if no_show else "done",
        name="Mieszkaniec (demo)", email="mieszkaniec@example.invalid",
        contact_key="mieszkaniec@example.invalid", language="pl",
        token_key=secrets.token_urlsafe(24), created_at=booked, confirmed_at=booked,
        interaction_id=log.id, arrived_at=None if no_show else starts - timedelta(minutes=5),
        finished_at=ends,
    )
    if not no_show:
        booking.rating_requested_at = ends
        if rng.random() < 0.55:
            mood = VISIT_MOOD.get(service.department.code, 4.0)
            booking.rating = max(1, min(5, round(rng.gauss(mood, 0.8))))
            booking.rated_at = ends + timedelta(hours=rng.randint(1, 48))
    db.session.add(booking)
    db.session.flush()
    db.session.add_all(SlotClaim(desk_id=desk.id, starts_at=starts + i * cell(),
                                 booking_id=booking.id) for i in range(cells_for(service)))


def _reviews(rng: random.Random, now: datetime) -> int:
    """Random samples (3 per clerk per week) and reactive reviews of 1–2 star contacts, by a
    supervisor; a few scored mystery-shopper contacts unless there are some already
    (hub.review.mystery.load_demo_mystery makes its own). Each kind only when it has none."""
    supervisor = db.session.scalar(select(User).where(User.role == "supervisor").limit(1))
    if supervisor is None:
        return 0
    version = reviews.current_version()
    answered = list(db.session.scalars(
        select(Interaction).where(Interaction.state == "closed", Interaction.clerk_id.is_not(None),
                                  Interaction.closed_at < now, Interaction.channel != "booking")
        .order_by(Interaction.id)))

    def none_of(kind: str) -> bool:
        return db.session.scalar(select(Review.id).where(Review.kind == kind).limit(1)) is None

    made = 0
    if db.session.scalar(select(MysteryShop.id).limit(1)) is None:
        for item in rng.sample(answered, min(8, len(answered))):
            item.mystery_shopper, item.csat, item.tags = True, None, []
            db.session.add(MysteryShop(interaction=item, department_id=item.department_id,
                                       supervisor_id=supervisor.id, created_at=item.created_at,
                                       scenario="Pytanie o dokumenty do sprawy (demo)."))
            made += _review(rng, item, supervisor, "mystery", version)
    answered = [i for i in answered if not i.mystery_shopper]
    if none_of("random"):
        samples: dict[tuple[int, int], list[Interaction]] = {}
        for item in answered:
            samples.setdefault((item.clerk_id, item.queued_at.isocalendar()[1]), []).append(item)
        for sample in samples.values():
            for item in rng.sample(sample, min(3, len(sample))):
                made += _review(rng, item, supervisor, "random", version)
    if none_of("reactive"):
        for item in [i for i in answered if i.csat is not None and i.csat <= 2][:6]:
            made += _review(rng, item, supervisor, "reactive", version, penalty=0.2)
    return made


def _review(rng: random.Random, item: Interaction, reviewer: User, kind: str, version,
            penalty: float = 0.0) -> int:
    skill = SKILL.get(item.clerk.email, 0.8) - penalty
    values = {}
    for criterion in version.criteria:
        if criterion.severity == "fatal":
            full = rng.random() < 0.97
        else:
            full = rng.random() < skill
        values[criterion.id] = (criterion.scale_max if full
                                else rng.randint(criterion.scale_min, criterion.scale_max - 1))
    review = reviews.start_review(item, reviewer, kind, version=version)
    reviews.submit_review(review, reviewer, values)
    review.submitted_at = min(item.closed_at + timedelta(days=rng.randint(1, 4)), utcnow())
    if review.submitted_at < utcnow() - timedelta(days=7):  # older ones were answered
        reviews.respond(review, item.clerk, "acknowledge")
        review.clerk_responded_at = review.submitted_at + timedelta(hours=rng.randint(2, 48))
    listed = db.session.scalar(select(ReviewListItem).where(  # on a review list already
        ReviewListItem.interaction_id == item.id, ReviewListItem.kind == kind,
        ReviewListItem.review_id.is_(None)))
    if listed is not None:
        listed.review_id = review.id
    return 1

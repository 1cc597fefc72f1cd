"""The reports' fixtures: a fixed clock, contacts with set times, reviews scored on a 0–20
scorecard (so each score is exact), and office visits settled (and rated) through the
booking domain."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from hub import clock
from hub.accounts.models import Department, User
from hub.booking import service as booking_service
from hub.booking.models import Booking
from hub.booking.rating import rate_visit
from hub.extensions import db
from hub.interactions.models import Interaction
from hub.interactions.service import open_interaction
from hub.review import service as reviews
from hub.review.models import (
    Calibration,
    Criterion,
    Scorecard,
    ScorecardSection,
    ScorecardVersion,
)
from tests.conftest import ANNA, EWA

WARSAW = ZoneInfo("Europe/Warsaw")
NOW = datetime(2027, 1, 13, 9, 58)  # a plain Wednesday, 10:58 in Warsaw
FIRST, LAST = date(2027, 1, 4), date(2027, 1, 13)  # Monday to today
MONDAY_NOON = datetime(2027, 1, 4, 11, 0)  # 12:00 in Warsaw, inside the period
VISIT_DAY = date(2027, 1, 14)  # Thursday


@pytest.fixture
def settings(settings):
    return {**settings, "JOBS_ASYNC": False, "JOB_RETRY_INTERVALS": (),
            "PUBLIC_URL": "https://okienko.example"}


@pytest.fixture(autouse=True)
def mid_january(app):
    travel_to(NOW)


def travel_to(moment: datetime) -> None:
    """Set the hub's clock to a UTC moment (the app fixture resets it)."""
    clock.advance((moment - clock.utcnow()).total_seconds())


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


def user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def department(code: str) -> Department:
    return db.session.scalar(select(Department).where(Department.code == code))


def contact(code: str, channel: str = "webchat", *, queued: datetime = MONDAY_NOON,
            waited: float | None = None, replied: float | None = None,
            handled: float | None = None, left: float | None = None, csat: int | None = None,
            clerk: str | User = ANNA, mystery: bool = False) -> int:
    """A contact opened through the domain, then given its times in SQL (as the wallboard
    tests do): answered `waited` s after queueing, first reply `replied` s after queueing,
    closed `handled` s after being answered, or abandoned `left` s after queueing."""
    item = open_interaction(channel, code, public_only=False)
    values: dict = {"created_at": queued, "queued_at": queued, "mystery_shopper": mystery,
                    "csat": csat}
    if waited is not None:
        assigned = queued + seconds(waited)
        who = clerk if isinstance(clerk, User) else user(clerk)
        values.update(state="assigned", assigned_at=assigned, clerk_id=who.id)
        if handled is not None:
            values.update(state="closed", closed_at=assigned + seconds(handled),
                          disposition="resolved")
    if replied is not None:
        values["first_response_at"] = queued + seconds(replied)
    if left is not None:
        gone = queued + seconds(left)
        values.update(state="abandoned", resident_left_at=gone, closed_at=gone)
    db.session.execute(update(Interaction).where(Interaction.id == item.id).values(**values))
    db.session.commit()
    return item.id


def new_clerk(name: str, departments: tuple[str, ...] = ("registry",)) -> User:
    email = name.lower().replace(" ", ".") + "@okienko.local"
    clerk = User(email=email, name=name, display_name=name.split()[0], role="clerk",
                 presence="offline", departments=[department(c) for c in departments])
    clerk.set_password("not-used-here")
    db.session.add(clerk)
    db.session.commit()
    return clerk


def twentieths_scorecard() -> ScorecardVersion:
    """A published scorecard with one criterion from 0 to 20: a value v scores v / 20."""
    card = Scorecard(name="Test: twentieths")
    version = ScorecardVersion(scorecard=card, number=1, state="published",
                               published_at=clock.utcnow())
    version.sections = [ScorecardSection(title="All", criteria=[
        Criterion(title="Overall", scale_min=0, scale_max=20, weight=1.0)])]
    db.session.add(card)
    db.session.commit()
    return version


def review(interaction_id: int, twentieths: int | None, version: ScorecardVersion,
           kind: str = "random", reviewer: str = EWA, calibration: bool = False) -> int:
    """A review scored v/20 (None: left a draft), submitted through the domain."""
    supervisor = user(reviewer)
    calibration_id = None
    if calibration:
        session = Calibration(title="Test", version=version, lead_id=supervisor.id)
        db.session.add(session)
        db.session.flush()
        calibration_id = session.id
    item = db.session.get(Interaction, interaction_id)
    started = reviews.start_review(item, supervisor, kind, version=version,
                                   calibration_id=calibration_id)
    if twentieths is not None:
        criterion = version.criteria[0]
        reviews.submit_review(started, supervisor, {criterion.id: twentieths})
    db.session.commit()
    return started.id


def settle_visits(plan: list[tuple[str, time, str]], day: date = VISIT_DAY,
                  phone: str | None = "601 234 567", email: str | None = None,
                  language: str = "pl") -> list[int]:
    """Book visits at the town hall for `day` as Anna (confirmed at once), move the clock to
    8:00 that day, then settle each: "done" (checked in, then done), "no_show", or
    "confirmed" (left to come). Returns the bookings' ids in the plan's order."""
    anna = user(ANNA)
    booked = []
    for code, at, _outcome in plan:
        service = booking_service.find_service(code)
        office = booking_service.find_office(service, "ratusz")
        starts = datetime.combine(day, at, WARSAW).astimezone(UTC).replace(tzinfo=None)
        booking = booking_service.hold(service, office, starts, name="Jan Kowalski", phone=phone,
                                       email=email, clerk=anna)
        booking.language = language
        db.session.commit()
        booked.append(booking)
    travel_to(datetime.combine(day, time(8), WARSAW).astimezone(UTC).replace(tzinfo=None))
    for booking, (_code, _at, outcome) in zip(booked, plan, strict=True):
        if outcome == "done":
            booking_service.check_in(booking, anna)
        if outcome in ("done", "no_show"):
            booking_service.finish(booking, anna, outcome)
    return [b.id for b in booked]


def rate(booking_id: int, stars: int, comment: str = "") -> None:
    rate_visit(db.session.get(Booking, booking_id), stars, comment)

"""The day before a visit, from BOOKING_REMINDER_TIME, the resident is reminded once, with
the documents to bring again; the reminder is in the visit's timeline."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from hub.booking.models import Booking
from hub.extensions import db
from hub.interactions.models import InteractionEvent
from tests.booking.test_api import book, code_sent, post, sent, travel_to

WEDNESDAY_9_WARSAW = "2027-01-20T08:00:00Z"


@pytest.fixture
def settings(settings):
    return {**settings, "JOBS_ASYNC": False, "JOB_RETRY_INTERVALS": (),
            "BOOKING_REMINDER_TIME": "17:00"}


@pytest.fixture(autouse=True)
def a_week_before(app):
    travel_to(datetime(2027, 1, 13, 9, 58))  # a Wednesday, 10:58 in Warsaw


def sweep(runner) -> None:
    assert runner.invoke(args=["queue", "sweep"]).exit_code == 0


def test_the_reminder_comes_the_day_before_from_17_00_and_only_once(app, client, runner):
    held = book(client, WEDNESDAY_9_WARSAW, service="rejestracja-pojazdu")
    assert held.status_code == 201, held.json
    token = held.json["token"]
    assert post(client, f"/bookings/{token}/confirm", {"code": code_sent(app)}).status_code == 200
    before = len(sent(app))

    travel_to(datetime(2027, 1, 19, 15, 59))  # Tuesday 16:59 in Warsaw: not yet
    sweep(runner)
    assert len(sent(app)) == before

    travel_to(datetime(2027, 1, 19, 16, 1))  # 17:01
    sweep(runner)
    sweep(runner)
    texts = sent(app)
    assert len(texts) == before + 1
    reminder = texts[-1]
    assert reminder.startswith("Przypomnienie: jutro masz wizytę, środa 20 stycznia 2027, 9:00")
    assert "Zabierz: Dowód osobisty; Dowód własności pojazdu" in reminder
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        kinds = list(db.session.scalars(select(InteractionEvent.kind).where(
            InteractionEvent.interaction_id == booking.interaction_id)))
    assert kinds.count("booking_reminder") == 1


def test_a_cancelled_visit_gets_no_reminder(app, client, runner):
    held = book(client, WEDNESDAY_9_WARSAW)
    token = held.json["token"]
    post(client, f"/bookings/{token}/confirm", {"code": code_sent(app)})
    assert post(client, f"/bookings/{token}/cancel").status_code == 200
    before = len(sent(app))
    travel_to(datetime(2027, 1, 19, 16, 30))
    sweep(runner)
    assert len(sent(app)) == before

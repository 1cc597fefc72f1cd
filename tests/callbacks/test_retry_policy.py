"""Virtual hold and the retry policy, with the hub's clock moved to known office hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from channels.models import OutboxEntry
from hub import clock
from hub.callbacks.models import CallAttempt, CallbackRequest
from hub.extensions import db
from hub.interactions.models import Interaction, InteractionEvent
from tests.channels.test_voice import hotline_callback, twilio_post
from tests.conftest import ANNA, emit

WARSAW = ZoneInfo("Europe/Warsaw")
MINUTE = timedelta(minutes=1)  # past a time that was computed a moment after the hour


@pytest.fixture
def settings(settings):
    return {**settings, "JOBS_ASYNC": False, "JOB_RETRY_INTERVALS": (),
            "CALLBACK_HOURS": "mo-su 8:00-18:00", "CALLBACK_ATTEMPTS_PER_DAY": 2,
            "CALLBACK_RETRY_GAP_MINUTES": 120, "CALLBACK_RETRY_DAYS": 2}


def working_day() -> datetime:
    """A coming day that is, like the day after it, no Polish public holiday (local date)."""
    day = datetime.now(WARSAW).date() + timedelta(days=1)
    while day in holidays.country_holidays("PL", years=day.year) or (
            day + timedelta(days=1)) in holidays.country_holidays("PL", years=day.year + 1):
        day += timedelta(days=1)
    return day


def move_clock_to(local: datetime) -> None:
    """Move the hub's clock forward to a local wall-clock time."""
    clock.advance((local.astimezone(UTC).replace(tzinfo=None) - clock.utcnow()).total_seconds())


def at(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour), WARSAW)


def utc(local: datetime) -> datetime:
    return local.astimezone(UTC).replace(tzinfo=None)


def sweep(runner) -> None:
    assert runner.invoke(args=["queue", "sweep"]).exit_code == 0


def state(app, interaction_id: int) -> tuple[str, datetime]:
    with app.app_context():
        interaction = db.session.get(Interaction, interaction_id)
        callback = db.session.query(CallbackRequest).filter_by(interaction_id=interaction_id).one()
        # To the minute: real time moves on a little between steps.
        return interaction.state, callback.not_before.replace(second=0, microsecond=0)


def ring_unanswered(app, client, anna, interaction_id: int) -> None:
    """Anna takes the offered callback, calls, and the resident does not answer."""
    answer = emit(anna, "/staff", "accept", {"interaction_id": interaction_id})
    assert answer["ok"], (answer, state(app, interaction_id), events(app, interaction_id))
    assert emit(anna, "/staff", "call", {"interaction_id": interaction_id})["ok"]
    with app.app_context():
        attempt_id = db.session.query(CallAttempt.id).order_by(CallAttempt.id.desc()).first()[0]
    twilio_post(client, f"/channels/voice/bridge/{attempt_id}", {"CallStatus": "in-progress"})
    twilio_post(client, f"/channels/voice/dialled/{attempt_id}",
                {"DialCallStatus": "no-answer", "DialCallDuration": "0"})
    twilio_post(client, f"/channels/voice/status/{attempt_id}",
                {"CallStatus": "completed", "CallDuration": "31"})


def test_a_callback_asked_for_before_hours_waits_outside_the_queue_until_they_open(
        app, client, runner, staff):
    day = working_day()
    move_clock_to(at(day, 7))
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    hotline_callback(client)
    with app.app_context():
        interaction_id = db.session.query(Interaction.id).scalar()
    assert state(app, interaction_id) == ("scheduled", utc(at(day, 8)))
    sweep(runner)
    assert state(app, interaction_id)[0] == "scheduled"  # nobody is offered it at 7:00

    move_clock_to(at(day, 8))
    sweep(runner)
    assert state(app, interaction_id)[0] == "offered"


def test_not_reached_twice_a_day_on_two_days_then_a_text(app, client, runner, staff):
    day = working_day()
    move_clock_to(at(day, 9))
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    hotline_callback(client)
    with app.app_context():
        interaction_id = db.session.query(Interaction.id).scalar()

    ring_unanswered(app, client, anna, interaction_id)  # day 1, 9:00
    assert state(app, interaction_id) == ("scheduled", utc(at(day, 11)))  # the gap: 2 hours
    sweep(runner)
    assert state(app, interaction_id)[0] == "scheduled"

    move_clock_to(at(day, 11) + MINUTE)
    sweep(runner)
    ring_unanswered(app, client, anna, interaction_id)  # day 1, 11:01: the day's second
    next_day = day + timedelta(days=1)
    assert state(app, interaction_id) == ("scheduled", utc(at(next_day, 8)))

    move_clock_to(at(next_day, 8) + MINUTE)
    sweep(runner)
    ring_unanswered(app, client, anna, interaction_id)  # day 2, 8:01
    assert state(app, interaction_id) == ("scheduled", utc(at(next_day, 10) + MINUTE))

    move_clock_to(at(next_day, 10) + 2 * MINUTE)
    sweep(runner)
    ring_unanswered(app, client, anna, interaction_id)  # day 2, 10:00: the last
    with app.app_context():
        interaction = db.session.get(Interaction, interaction_id)
        assert (interaction.state, interaction.disposition) == ("closed", "no_response")
        assert db.session.query(CallbackRequest).one().outcome == "unreachable"
        texts = [e.body for e in db.session.query(OutboxEntry).filter_by(kind="sms")
                 .order_by(OutboxEntry.id)]
        assert "Urząd miasta oddzwoni" in texts[0]
        assert "próbował oddzwonić do Ciebie (prób: 4)" in texts[-1] and len(texts) == 2
        kinds = [e.kind for e in db.session.query(InteractionEvent)
                 .filter_by(interaction_id=interaction_id).order_by(InteractionEvent.id)]
    assert kinds.count("call_not_reached") == 4
    assert kinds.count("callback_rescheduled") == 3
    assert kinds.index("callback_given_up") < kinds.index("callback_final_text")
    # Anna is free again for the next contact.
    assert emit(anna, "/staff", "hello")["conversations"] == []


def events(app, interaction_id):
    with app.app_context():
        return [e.kind for e in db.session.query(InteractionEvent)
                .filter_by(interaction_id=interaction_id).order_by(InteractionEvent.id)]

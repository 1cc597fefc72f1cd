"""The wallboard's fixtures: pushes unthrottled, and a day at the registry in one line."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from hub.accounts.models import Department
from hub.clock import utcnow
from hub.extensions import db
from hub.interactions.models import Interaction
from hub.supervisor.wallboard import start_of_local_day
from tests.conftest import ANNA, emit

SLA = 60  # seconds: the registry's target in these tests


@pytest.fixture
def settings(settings):
    """Every change pushes the wallboard at once, so tests can assert on received events."""
    return {**settings, "WALLBOARD_PUSH_SECONDS": 0}


def start(resident, department: str = "registry") -> tuple[object, dict]:
    """A resident starts a chat; returns their socket and the start answer."""
    sio = resident()
    answer = emit(sio, "/chat", "start", {"department": department, "consent": True})
    assert answer["ok"], answer
    return sio, answer


def set_times(interaction_id: int, **times: datetime) -> None:
    db.session.execute(update(Interaction).where(Interaction.id == interaction_id).values(**times))
    db.session.commit()


@pytest.fixture
def registry_day(app, resident, staff):
    """registry_day(ref) → ids: a day at the registry (target 60 s), timed relative to `ref`.

    in_target   answered 20 s after queueing
    late        answered 90 s after queueing
    yesterday   answered in target, but queued before local midnight (not today's)
    waiting     queued 300 s before ref, still waiting (past the target: a miss)
    fresh       queued 30 s before ref, still waiting (within the target: not counted)
    left_early  abandoned 30 s after queueing (not counted)
    left_late   abandoned 200 s after queueing (a miss)
    Anna holds three conversations and is on a break; Piotr, Ewa and Adam are offline.
    """

    def arrange(ref: datetime) -> dict[str, int]:
        ids: dict[str, int] = {}
        anna = staff(ANNA)
        emit(anna, "/staff", "presence", {"status": "available"})
        for name in ("in_target", "late", "yesterday"):
            _, answer = start(resident)
            ids[name] = answer["status"]["interaction_id"]
            assert emit(anna, "/staff", "accept", {"interaction_id": ids[name]})["ok"]
        emit(anna, "/staff", "presence", {"status": "break"})
        for name in ("waiting", "fresh"):
            ids[name] = start(resident)[1]["status"]["interaction_id"]
        for name in ("left_early", "left_late"):
            sio, answer = start(resident)
            ids[name] = answer["status"]["interaction_id"]
            assert emit(sio, "/chat", "leave", {"token": answer["token"]})["ok"]

        with app.app_context():
            db.session.execute(
                update(Department).where(Department.code == "registry").values(sla_seconds=SLA)
            )
            midnight = start_of_local_day(ref)
            before = ref - timedelta(seconds=400)
            set_times(ids["in_target"], queued_at=before, assigned_at=before + timedelta(seconds=20))
            set_times(ids["late"], queued_at=before, assigned_at=before + timedelta(seconds=90))
            set_times(ids["yesterday"], queued_at=midnight - timedelta(minutes=10),
                      assigned_at=midnight - timedelta(minutes=9))
            set_times(ids["waiting"], queued_at=ref - timedelta(seconds=300))
            set_times(ids["fresh"], queued_at=ref - timedelta(seconds=30))
            set_times(ids["left_early"], queued_at=before,
                      resident_left_at=before + timedelta(seconds=30),
                      closed_at=before + timedelta(seconds=30))
            set_times(ids["left_late"], queued_at=before,
                      resident_left_at=before + timedelta(seconds=200),
                      closed_at=before + timedelta(seconds=200))
            states = dict(db.session.execute(
                select(Interaction.id, Interaction.state).where(Interaction.id.in_(ids.values()))
            ).all())
        assert [states[ids[n]] for n in ids] == [
            "assigned", "assigned", "assigned", "queued", "queued", "abandoned", "abandoned"
        ]
        return ids

    return arrange


def clear_of_midnight(app) -> datetime:
    """Now, for tests that render with the real clock: the day's figures need 10 minutes."""
    now = utcnow()
    with app.app_context():
        since = start_of_local_day(now)
    if now - since < timedelta(minutes=10):
        pytest.skip("the office's day began less than 10 minutes ago")
    return now

"""No double booking: many residents at once for the last place of a slot, on SQLite and on
a real PostgreSQL. In-process, each request runs in its own thread with its own app
context, session and database connection; over HTTP, the requests go to several live hub
processes sharing the database, through POST /api/v1/bookings."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, timedelta

import pytest
import requests
from sqlalchemy import func, select

from hub.booking import service as booking
from hub.booking.models import Booking, SlotClaim
from hub.booking.slots import cells_for, free_slots
from hub.errors import InvalidInput
from hub.extensions import db

RACERS = 20
pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def settings(settings):
    """A connection per racer (a real hub has one pool per worker process)."""
    return {**settings, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True,
                                                      "pool_size": RACERS + 2}}


def last_place(service_code: str, office_code: str):
    """A slot with every desk but one booked (through hold); returns (start, claimed).

    Not the first free slot: the minimum notice closes it at its quarter hour, which may
    pass while live hubs start (the race over HTTP was once refused as "not a slot")."""
    service = booking.find_service(service_code)
    office = booking.find_office(service, office_code)
    slots = free_slots(service, office)
    later = slots[0].starts_at + timedelta(hours=2)
    slot = next(s for s in slots if len(s.desk_ids) >= 2 and s.starts_at >= later)
    for n in range(len(slot.desk_ids) - 1):
        booking.hold(service, office, slot.starts_at, name=f"Early {n}",
                     email=f"early{n}@example.pl")
    left = [s for s in free_slots(service, office) if s.starts_at == slot.starts_at]
    assert len(left) == 1 and len(left[0].desk_ids) == 1
    return slot.starts_at, len(slot.desk_ids) - 1


def race(app, service_code: str, office_code: str, starts_at) -> list:
    """RACERS holds of the same start released together; each outcome in a list."""
    barrier = threading.Barrier(RACERS, timeout=60)
    outcomes: list = [None] * RACERS

    def attempt(n: int) -> None:
        with app.app_context():
            try:
                service = booking.find_service(service_code)
                office = booking.find_office(service, office_code)
                barrier.wait()
                made = booking.hold(service, office, starts_at, name=f"Racer {n}",
                                    phone=f"+486012340{n:02d}", idempotency_key=f"race-{n}")
                outcomes[n] = ("won", made.id)
            except InvalidInput as refused:
                outcomes[n] = (refused.code, refused.params.get("slots"))
            except Exception as error:  # noqa: BLE001 - any other outcome fails the test
                outcomes[n] = ("error", repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.mark.parametrize("service_code", ["dowod-osobisty", "rejestracja-pojazdu"])
def test_exactly_one_wins_the_last_place(app, service_code):
    with app.app_context():
        starts_at, early = last_place(service_code, "ratusz")

    outcomes = race(app, service_code, "ratusz", starts_at)

    assert [o for o in outcomes if o[0] == "error"] == []
    winners = [o for o in outcomes if o[0] == "won"]
    assert len(winners) == 1, outcomes
    refused = [o for o in outcomes if o[0] != "won"]
    assert len(refused) == RACERS - 1
    for code, offered in refused:
        # "Just taken, here are the next free slots": some, all later, none the taken one.
        assert code == "slot_taken"
        assert offered and all(s.starts_at != starts_at for s in offered)
    with app.app_context():
        service = booking.find_service(service_code)
        at_start = db.session.scalars(select(Booking).where(Booking.starts_at == starts_at)).all()
        assert len(at_start) == early + 1
        assert len({b.desk_id for b in at_start}) == early + 1
        winner = db.session.get(Booking, winners[0][1])
        assert winner.state == "held" and winner.name.startswith("Racer")
        # Exactly one claim per cell: each booking claims its cells, no cell twice.
        claims = db.session.execute(
            select(SlotClaim.booking_id, func.count()).where(
                SlotClaim.booking_id.in_([b.id for b in at_start])).group_by(SlotClaim.booking_id)
        ).all()
        assert sorted(n for _, n in claims) == [cells_for(service)] * (early + 1)
        doubled = db.session.execute(
            select(SlotClaim.desk_id, SlotClaim.starts_at).group_by(
                SlotClaim.desk_id, SlotClaim.starts_at).having(func.count() > 1)).all()
        assert doubled == []
        assert db.session.scalar(select(func.count(Booking.id))) == early + 1
        assert all(s.starts_at != starts_at
                   for s in free_slots(service, booking.find_office(service, "ratusz")))


def test_exactly_one_wins_over_http_across_hub_processes(app, database_url, live_hubs):
    with app.app_context():
        starts_at, early = last_place("rejestracja-pojazdu", "ratusz")
        db.session.remove()
    hubs = live_hubs(3, DATABASE_URL=database_url)
    barrier = threading.Barrier(RACERS, timeout=60)
    moment = starts_at.replace(tzinfo=UTC).isoformat()

    def attempt(n: int) -> tuple[int, dict]:
        body = {"service": "rejestracja-pojazdu", "office": "ratusz", "starts_at": moment,
                "name": f"Racer {n}", "phone": f"+486012340{n:02d}", "language": "en"}
        barrier.wait()
        response = requests.post(hubs[n % len(hubs)].url + "/api/v1/bookings?lang=en", json=body,
                                 headers={"Idempotency-Key": f"race-{n}"}, timeout=60)
        return response.status_code, response.json()

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(attempt, range(RACERS)))

    assert sorted(code for code, _ in answers) == [201] + [409] * (RACERS - 1), answers
    for code, body in answers:
        if code == 409:
            assert body["error"]["code"] == "slot_taken"
            assert body["error"]["message"] == "This time has just been taken. Please choose another."
            assert body["next_slots"] and all(s["starts_at"] != moment for s in body["next_slots"])
    with app.app_context():
        at_start = db.session.scalars(select(Booking).where(Booking.starts_at == starts_at)).all()
        assert len(at_start) == len({b.desk_id for b in at_start}) == early + 1
        doubled = db.session.execute(
            select(SlotClaim.desk_id, SlotClaim.starts_at).group_by(
                SlotClaim.desk_id, SlotClaim.starts_at).having(func.count() > 1)).all()
        assert doubled == []

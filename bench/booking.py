"""Booking benchmark: the free-slot search over 30 days with 100,000 bookings on the books.

The demo catalogue is grown into a city's: --offices offices (the two demo ones included)
with --desks desks each (a share of them partly kept for staff), opening hours with and
without a lunch break, and --services matters (the five demo ones included), each offered
at several offices. --bookings bookings with their slot claims are bulk-inserted over the
next 30 days (mostly held or confirmed; some cancelled, their claims released). Then
free_slots(service, office), the search behind the resident's calendar and the API, is
timed for every (service, office) pair over its whole bookable window (30 days), --rounds
times; one call is one sample.

Run: .venv/bin/python bench/booking.py [--bookings 100000] [--rounds 3]
     .venv/bin/python bench/booking.py --postgresql   (a throwaway local PostgreSQL cluster)
     .venv/bin/python bench/booking.py --database-url postgresql+psycopg://…/empty_db
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import time
from collections import defaultdict
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import (  # noqa: E402
    add_database_arguments,
    cpus,
    describe_database,
    environment,
    make_app,
    percentile,
)


def grow_catalogue(offices: int, desks: int, services: int, rng: random.Random) -> None:
    """The demo catalogue plus generated offices and matters, up to the sizes asked."""
    from sqlalchemy import select

    from hub.accounts.models import Department
    from hub.booking.models import Desk, Office, OfficeHours, Service
    from hub.extensions import db

    existing = list(db.session.scalars(select(Office).order_by(Office.id)))
    weekdays = range(5)
    for n in range(len(existing), offices):
        office = Office(code=f"filia-{n}", name_pl=f"Filia {n}", name_en=f"Branch {n}",
                        address=f"ul. Przykładowa {n}, 00-{n:03d} Miasto")
        if n % 3 == 0:  # a lunch break, and long Thursdays
            hours = ([(d, clock_time(8), clock_time(12)) for d in weekdays]
                     + [(d, clock_time(12, 30), clock_time(16)) for d in weekdays]
                     + [(3, clock_time(16), clock_time(18))])
        else:
            hours = [(d, clock_time(8), clock_time(16)) for d in weekdays]
        office.hours = [OfficeHours(weekday=d, opens=o, closes=c) for d, o, c in hours]
        office.desks = [Desk(name=f"Stanowisko {k + 1}", staff_only_percent=(20 if k % 4 == 3 else 0))
                        for k in range(desks)]
        db.session.add(office)
        existing.append(office)
    departments = list(db.session.scalars(select(Department).order_by(Department.id)))
    count = db.session.scalar(select(db.func.count(Service.id)))
    for n in range(count, services):
        at = rng.sample(existing, k=min(len(existing), rng.randint(3, 8)))
        db.session.add(Service(
            code=f"sprawa-{n}", name_pl=f"Sprawa {n}", name_en=f"Matter {n}",
            department=departments[n % len(departments)],
            duration_minutes=rng.choice([15, 15, 15, 30, 30, 45]), offices=at))
    db.session.commit()


def fill(bookings: int, rng: random.Random) -> tuple[int, int]:
    """Bulk-insert bookings and their claims over the next 30 days; (bookings, claims)."""
    from sqlalchemy import func, insert, select

    from hub.booking.models import Booking, Office, Service, SlotClaim
    from hub.booking.slots import _day_cells, cells_for, to_local
    from hub.clock import utcnow
    from hub.extensions import db
    from hub.hours.service import is_holiday

    now = utcnow()
    today = to_local(now).date()
    days = [today + timedelta(days=n) for n in range(1, 31)]
    offices = list(db.session.scalars(select(Office).order_by(Office.id)))
    services = list(db.session.scalars(select(Service)))
    offered = defaultdict(list)
    for service in services:
        for office in service.offices:
            offered[office.id].append((service.id, cells_for(service)))
    # Every run of cells of every desk of every open day, in random order.
    runs = []
    for office in offices:
        if not offered[office.id]:
            continue
        hours = defaultdict(list)
        for opening in office.hours:
            hours[opening.weekday].append(opening)
        for day in days:
            if is_holiday(day):
                continue
            for starts in _day_cells(office, day, hours):
                for desk in office.desks:
                    runs.append((office.id, desk.id, starts))
    rng.shuffle(runs)  # spread evenly: filling stops at the number asked for
    capacity = sum(len(starts) for _, _, starts in runs)
    # A start probability that reaches the number asked for a little before the last run.
    mean_cells = statistics.mean(n for pairs in offered.values() for _, n in pairs)
    share = min(0.95, 1.3 * bookings * mean_cells / capacity)
    booking_id = (db.session.scalar(select(func.max(Booking.id))) or 0) + 1
    rows, claims = [], []
    for office_id, desk_id, starts in runs:
        i = 0
        while i < len(starts) and len(rows) < bookings:
            service_id, need = rng.choice(offered[office_id])
            if i + need <= len(starts) and rng.random() < share / mean_cells * need:
                state = rng.choices(["confirmed", "held", "cancelled", "done"], [80, 8, 10, 2])[0]
                begin = starts[i]
                end = begin + timedelta(minutes=15 * need)
                phone = f"+48{600000000 + booking_id}"
                rows.append(dict(
                    id=booking_id, reference=f"B{booking_id:010d}", service_id=service_id,
                    office_id=office_id, desk_id=desk_id, starts_at=begin, ends_at=end,
                    state=state, name=f"Mieszkaniec {booking_id}", phone=phone,
                    contact_key=phone, language="pl", token_key=secrets.token_hex(8),
                    hold_expires_at=now + timedelta(minutes=15) if state == "held" else None,
                    confirm_attempts=0, staff_only=False, created_at=now,
                ))
                released = now - timedelta(minutes=1) if state == "cancelled" else None
                claims.extend(dict(desk_id=desk_id, starts_at=starts[i + k],
                                   booking_id=booking_id, reusable_after=released)
                              for k in range(need))
                booking_id += 1
                i += need
            else:
                i += 1
        if len(rows) >= bookings:
            break
    for chunk in range(0, len(rows), 5000):
        db.session.execute(insert(Booking), rows[chunk:chunk + 5000])
    for chunk in range(0, len(claims), 10000):
        db.session.execute(insert(SlotClaim), claims[chunk:chunk + 10000])
    db.session.commit()
    db.session.execute(db.text("ANALYZE"))  # fresh planner statistics, as a live database has
    db.session.commit()
    return len(rows), len(claims)


def measure(rounds: int) -> tuple[list[float], int, int]:
    """free_slots for every (service, office) pair, `rounds` times; samples in ms."""
    from sqlalchemy import select

    from hub.booking.models import Service
    from hub.booking.slots import free_slots
    from hub.extensions import db

    pairs = [(s, o) for s in db.session.scalars(select(Service).order_by(Service.id))
             for o in s.offices]
    samples, found = [], 0
    for _ in range(rounds):
        for service, office in pairs:
            started = time.perf_counter()
            slots = free_slots(service, office)
            samples.append((time.perf_counter() - started) * 1000)
            found += len(slots)
            db.session.rollback()  # a request's session ends: nothing cached across calls
    return samples, len(pairs), found // rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--offices", type=int, default=24)
    parser.add_argument("--desks", type=int, default=14, help="desks per generated office")
    parser.add_argument("--services", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    add_database_arguments(parser)
    args = parser.parse_args()

    with environment(args, "booking.db") as env:
        from flask_migrate import upgrade
        from sqlalchemy import func, select

        from hub.booking.models import Desk, Office, Service
        from hub.demo import load_demo
        from hub.extensions import db

        app = make_app(env.database_url, env.redis_url)
        rng = random.Random(1)
        with app.app_context():
            upgrade()
            load_demo()
            grow_catalogue(args.offices, args.desks, args.services, rng)
            started = time.perf_counter()
            made, claimed = fill(args.bookings, rng)
            setup = time.perf_counter() - started
            offices = db.session.scalar(select(func.count(Office.id)))
            desks = db.session.scalar(select(func.count(Desk.id)))
            services = db.session.scalar(select(func.count(Service.id)))
            print(f"{describe_database()}; "
                  f"{offices} offices, {desks} desks, {services} services; {made} bookings "
                  f"({claimed} slot claims) over the next 30 days, inserted in {setup:.1f} s; "
                  f"{cpus()}")
            samples, pairs, found = measure(args.rounds)
        print(f"{'pairs':>5} {'calls':>6} {'slots/call':>10} {'p50 ms':>8} {'p95 ms':>8} "
              f"{'p99 ms':>8} {'max ms':>8} {'mean ms':>8}")
        print(f"{pairs:>5} {len(samples):>6} {found / pairs:>10.0f} "
              f"{percentile(samples, 0.50):>8.2f} {percentile(samples, 0.95):>8.2f} "
              f"{percentile(samples, 0.99):>8.2f} {max(samples):>8.2f} "
              f"{statistics.mean(samples):>8.2f}", flush=True)

if __name__ == "__main__":
    main()

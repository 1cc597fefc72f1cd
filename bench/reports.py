"""Reports benchmark: the supervisors' KPI report and quality index over a year of contacts.

A throwaway database, migrated by Alembic as the tests do, gets the demo departments and
staff and then --n interactions (300,000 by default) queued at random moments over the past
365 days and bulk-inserted in time order, as the hub writes them: web chat, SMS, callbacks
and forms; about 7 % abandoned while waiting, the rest answered after an exponential wait
(mean 80 s), first replied to 5–60 s later and closed after an exponential handling time
(mean 300 s), by a random clerk; web chats often rated 1–5. No bookings or reviews are added,
so the visits, QA and mystery-shopper parts read empty tables: what is timed is the work on
the interactions.

Then, for periods of the last 1, 30 and 365 whole office-local days (ending yesterday),
hub.reports.figures.report(first, last), behind /supervisor/reports, and
hub.reports.quality.quality_report(first, last), the service-quality index, are each timed
--runs times (5 by default); one call is one sample, the session is rolled back between
calls, as a request's is. The table gives each period's contacts and the median and minimum
of each function's samples.

Run: .venv/bin/python bench/reports.py [--n 300000] [--runs 5]
     .venv/bin/python bench/reports.py --postgresql   (a throwaway local PostgreSQL cluster)
     .venv/bin/python bench/reports.py --database-url postgresql+psycopg://…/db
         (filled when empty, reused when it already has interactions)
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import (  # noqa: E402
    add_database_arguments,
    cpus,
    database_size_mib,
    describe_database,
    environment,
    make_app,
)

PERIODS = (1, 30, 365)  # days, each ending yesterday
CHANNELS = ("webchat", "webchat", "sms", "callback", "form")
CSAT = (None, None, 3, 4, 5, 5, 1)  # a web chat's rating, None: not rated
BATCH = 20_000


def fill(count: int, rng: random.Random) -> int:
    """Bulk-insert `count` closed or abandoned interactions over the past year, oldest first."""
    from sqlalchemy import insert, select

    from hub.accounts.models import Department, User
    from hub.clock import utcnow
    from hub.extensions import db
    from hub.interactions.models import Interaction

    departments = list(db.session.scalars(select(Department.id)))
    clerks = list(db.session.scalars(select(User.id)))
    now = utcnow()
    moments = sorted(now - timedelta(seconds=rng.uniform(0, 365 * 86400)) for _ in range(count))
    rows = []
    for n, queued in enumerate(moments):
        channel = rng.choice(CHANNELS)
        row = dict(channel=channel, department_id=rng.choice(departments), state="closed",
                   language="pl", resident_key=f"k{n}", queue_score=0, created_at=queued,
                   queued_at=queued, tags=[], mystery_shopper=False)
        if rng.random() < 0.07:  # the resident left while waiting
            row.update(state="abandoned",
                       resident_left_at=queued + timedelta(seconds=rng.uniform(10, 600)),
                       closed_at=queued + timedelta(seconds=300))
        else:
            assigned = queued + timedelta(seconds=rng.expovariate(1 / 80))
            row.update(assigned_at=assigned,
                       first_response_at=assigned + timedelta(seconds=rng.uniform(5, 60)),
                       closed_at=assigned + timedelta(seconds=rng.expovariate(1 / 300)),
                       clerk_id=rng.choice(clerks),
                       csat=rng.choice(CSAT) if channel == "webchat" else None)
        rows.append(row)
        if len(rows) == BATCH:
            db.session.execute(insert(Interaction), rows)
            rows = []
    if rows:
        db.session.execute(insert(Interaction), rows)
    db.session.commit()
    db.session.execute(db.text("ANALYZE"))  # fresh planner statistics, as a live database has
    db.session.commit()
    return count


def timed(call, runs: int) -> tuple[list[float], object]:
    """`runs` samples (ms) of call(), and its last result."""
    from hub.extensions import db

    samples, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        samples.append((time.perf_counter() - started) * 1000)
        db.session.rollback()  # a request's session ends: nothing cached across calls
    return samples, result


def measure(runs: int) -> list[tuple[int, int, list[float], list[float]]]:
    """(days, contacts, report samples, quality samples) per period."""
    from hub.clock import to_local, utcnow
    from hub.reports.figures import report
    from hub.reports.quality import quality_report

    last = to_local(utcnow()).date() - timedelta(days=1)
    timed(lambda: (report(last, last), quality_report(last, last)), 1)  # warm up, untimed
    results = []
    for days in PERIODS:
        first = last - timedelta(days=days - 1)
        report_samples, figures = timed(lambda f=first: report(f, last), runs)
        quality_samples, _ = timed(lambda f=first: quality_report(f, last), runs)
        results.append((days, figures.total.contacts, report_samples, quality_samples))
    return results


def print_table(results: list[tuple[int, int, list[float], list[float]]], runs: int) -> None:
    print(f"{'days':>4} {'contacts':>9} {'report p50 ms':>14} {'min ms':>8} "
          f"{'quality p50 ms':>15} {'min ms':>8}   ({runs} runs each)")
    for days, contacts, report_samples, quality_samples in results:
        print(f"{days:>4} {contacts:>9} {statistics.median(report_samples):>14.1f} "
              f"{min(report_samples):>8.1f} {statistics.median(quality_samples):>15.1f} "
              f"{min(quality_samples):>8.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300_000,
                        help="interactions over the past year")
    parser.add_argument("--runs", type=int, default=5, help="calls timed per function and period")
    add_database_arguments(parser)
    args = parser.parse_args()

    # Nothing timed here touches Redis, so none is started.
    with environment(args, "reports.db", redis=False) as env:
        from flask_migrate import upgrade

        from hub.demo import load_demo
        from hub.extensions import db

        app = make_app(env.database_url)
        rng = random.Random(1)
        with app.app_context():
            upgrade()
            load_demo()
            existing = db.session.scalar(db.text("SELECT count(*) FROM interactions"))
            started = time.perf_counter()
            made = 0 if existing else fill(args.n, rng)
            setup = time.perf_counter() - started
            filled = (f"{made} interactions over the past year inserted in {setup:.1f} s"
                      if made else f"{existing} interactions already there, reused")
            print(f"{describe_database()}; {filled}; database {database_size_mib():.0f} MiB; "
                  f"{cpus()}", flush=True)
            results = measure(args.runs)
        print_table(results, args.runs)

if __name__ == "__main__":
    main()

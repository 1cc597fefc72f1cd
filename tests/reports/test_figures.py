"""The KPI figures (hub.reports.figures) on known data: volumes, the SLA share, abandonment,
times with their percentiles and buckets, CSAT, no-shows and the QA score from random
reviews only, with the clerks' distribution over the QA bands."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import update

from hub.accounts.models import Department
from hub.extensions import db
from hub.reports.figures import band_of, report
from tests.conftest import PIOTR
from tests.reports.conftest import (
    FIRST,
    LAST,
    MONDAY_NOON,
    VISIT_DAY,
    contact,
    department,
    new_clerk,
    rate,
    review,
    settle_visits,
    twentieths_scorecard,
)


def by_key(rows) -> dict:
    return {row.key: row for row in rows}


BOTH_DATABASES = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@BOTH_DATABASES
def test_volumes_service_level_abandonment_times_and_csat(app):
    """Are the period's contacts counted per channel and department, with the wallboard's SLA
    share, the abandonment rate, exact p50/p90/mean and buckets, and CSAT; are contacts
    outside the period, mystery-shopper contacts and self-service bookings left out?"""
    with app.app_context():
        db.session.execute(update(Department).where(Department.code == "registry")
                           .values(sla_seconds=60))
        db.session.commit()
        contact("registry", waited=30, replied=45, handled=300, csat=5)     # in target
        contact("registry", waited=90, replied=100, handled=600, csat=3)    # late
        contact("registry", left=200)                                       # left late: a miss
        contact("registry", left=30)                                        # left early: not counted
        contact("taxes", "sms", waited=100, replied=110, handled=1200, csat=1, clerk=PIOTR)
        # Not in the figures: the day before the period, a mystery shopper, a booking's log.
        contact("registry", queued=MONDAY_NOON - timedelta(days=1), waited=10, handled=10, csat=1)
        contact("registry", waited=500, replied=500, handled=5000, csat=1, mystery=True)
        settle_visits([("odpis-aktu", time(9), "confirmed")])

        figures = report(FIRST, LAST)

    channels = by_key(figures.by_channel)
    assert list(channels) == ["webchat", "sms"]
    assert (channels["webchat"].contacts, channels["webchat"].answered,
            channels["webchat"].abandoned) == (4, 2, 2)
    assert (channels["sms"].contacts, channels["sms"].answered, channels["sms"].abandoned) == (1, 1, 0)

    departments = by_key(figures.by_department)
    assert list(departments) == ["registry", "taxes"]
    registry, taxes = departments["registry"], departments["taxes"]
    assert (registry.in_target, registry.counted, registry.sla_share) == (1, 3, pytest.approx(1 / 3))
    assert (registry.abandoned, registry.contacts, registry.abandonment_rate) == (2, 4, 0.5)
    assert (taxes.in_target, taxes.counted) == (1, 1)      # an SMS has 30 minutes
    total = figures.total
    assert (total.contacts, total.answered, total.abandoned, total.in_target, total.counted) == (
        5, 3, 2, 2, 4)

    times = {m.metric: m for m in figures.durations}
    wait = times["wait"]                                   # 30, 90, 100 s
    assert (wait.count, wait.p50, wait.p90, wait.mean) == (3, 90, 100, 73.333)  # to the ms
    assert wait.buckets == [1, 2, 0, 0, 0, 0]
    first = times["first_response"]                        # 45, 100, 110 s
    assert (first.count, first.p50, first.p90) == (3, 100, 110)
    handling = times["handling"]                           # 300, 600, 1200 s
    assert (handling.count, handling.p50, handling.p90, handling.mean) == (3, 600, 1200, 700)
    assert handling.buckets == [0, 0, 0, 1, 2, 0]          # 5 min falls in 5–10, 20 in 10–30

    csat = figures.csat                                    # 5 and 3 by chat, 1 by SMS
    assert (csat.ratings, csat.mean) == (3, 3.0)
    assert csat.distribution == {1: 1, 2: 0, 3: 1, 4: 0, 5: 1}
    assert (csat.asked, csat.asked_rated, csat.response_rate) == (2, 2, 1.0)  # answered chats

    with app.app_context():
        only_taxes = report(FIRST, LAST, department("taxes"))
    assert [v.key for v in only_taxes.by_department] == ["taxes"]
    assert (only_taxes.total.contacts, only_taxes.csat.ratings) == (1, 1)


@BOTH_DATABASES
def test_percentiles_are_the_nearest_rank_and_long_waits_fall_in_the_last_bucket(app):
    """p50 and p90 are the values at ranks ⌈n/2⌉ and ⌈0.9·n⌉ of the sorted times."""
    with app.app_context():
        for wait in (10, 20, 30, 40, 50, 60, 70, 80, 90, 100):
            contact("general", waited=wait)
        contact("general", "form", waited=2 * 3600)        # a form answered two hours later
        figures = report(FIRST, LAST)
    wait = next(m for m in figures.durations if m.metric == "wait")
    assert (wait.count, wait.p50, wait.p90) == (11, 60, 100)  # ranks 6 and 10 of 11
    assert wait.buckets == [5, 5, 0, 0, 0, 1]
    handling = next(m for m in figures.durations if m.metric == "handling")
    assert (handling.count, handling.p50, handling.mean) == (0, None, None)  # none closed


def test_no_shows_and_visit_ratings_by_the_matters_department(app):
    """Settled visits due in the period: no-shows among them, and the residents' ratings."""
    with app.app_context():
        ids = settle_visits([
            ("odpis-aktu", time(9), "done"), ("odpis-aktu", time(9, 15), "done"),
            ("odpis-aktu", time(9, 30), "no_show"), ("dowod-osobisty", time(9, 45), "done"),
            ("dowod-osobisty", time(10), "confirmed"),     # still to come: not settled
        ])
        rate(ids[0], 4, "Miła obsługa")
        rate(ids[1], 2)
        figures = report(FIRST, VISIT_DAY)
        registry_only = report(FIRST, VISIT_DAY, department("registry"))
        before = report(FIRST, VISIT_DAY - timedelta(days=1))
    visits = by_key(figures.visits)
    assert (visits["registry"].settled, visits["registry"].no_shows) == (3, 1)
    assert visits["registry"].no_show_rate == pytest.approx(1 / 3)
    assert (visits["registry"].ratings, visits["registry"].rating_mean) == (2, 3.0)
    assert (visits["residence"].settled, visits["residence"].no_shows) == (1, 0)
    assert (figures.visits_total.settled, figures.visits_total.no_shows) == (4, 1)
    assert [v.key for v in registry_only.visits] == ["registry"]
    assert before.visits == [] and before.visits_total.no_show_rate is None


@BOTH_DATABASES
def test_qa_score_counts_only_submitted_random_reviews_and_bands_the_clerks(app):
    """Only submitted random reviews make the QA score (per clerk and overall); reactive
    and mystery-shopper reviews are reported apart, calibration reviews and drafts nowhere;
    the clerks' means fall in the bands <60, 60–70, 70–80, 80–90, ≥90 (lower bound in)."""
    with app.app_context():
        version = twentieths_scorecard()
        clerks = [new_clerk(f"Clerk {n}") for n in range(1, 6)]

        def scored(clerk, *values, kind="random", **options):
            for value in values:
                review(contact("registry", waited=10, handled=60, clerk=clerk), value, version,
                       kind=kind, **options)

        scored(clerks[0], 11, 12)            # 55 %, 60 % → 57.5 %: under 60
        scored(clerks[1], 12)                # exactly 60 %: 60–70
        scored(clerks[2], 14, 18)            # 70 %, 90 % → 80 %: 80–90
        scored(clerks[3], 18)                # 90 %: 90 or more
        scored(clerks[4], 19, 17)            # 95 %, 85 % → 89.999…: shown 90.0 %, so 90 or more
        scored(clerks[0], 20, kind="reactive")
        scored(clerks[0], 20, kind="calibration", calibration=True)
        scored(clerks[0], None)              # a draft
        review(contact("registry", waited=10, handled=60, clerk=clerks[0], mystery=True), 20,
               version, kind="mystery")
        review(contact("taxes", waited=10, handled=60, clerk=clerks[1], mystery=True), 4,
               version, kind="mystery")
        figures = report(FIRST, LAST)
        registry = report(FIRST, LAST, department("registry"))

    quality = figures.quality
    means = {row.clerk.name: (row.reviews, row.mean) for row in quality.clerks}
    assert means == {
        "Clerk 1": (2, pytest.approx(0.575)), "Clerk 2": (1, pytest.approx(0.6)),
        "Clerk 3": (2, pytest.approx(0.8)), "Clerk 4": (1, pytest.approx(0.9)),
        "Clerk 5": (2, pytest.approx(0.9)),
    }
    assert quality.bands == [1, 1, 0, 1, 2]
    assert (quality.overall.reviews, quality.overall.mean) == (8, pytest.approx(6.05 / 8))
    assert (quality.other["reactive"].reviews, quality.other["reactive"].mean) == (1, 1.0)
    assert (quality.other["mystery"].reviews, quality.other["mystery"].mean) == (
        2, pytest.approx(0.6))
    assert registry.quality.other["mystery"].reviews == 1  # the taxes one is left out


@pytest.mark.parametrize(("mean", "band"), [
    (0.0, 0), (0.5949, 0), (0.5996, 1), (0.6, 1), (0.6949, 1), (0.6999, 2), (0.7, 2),
    (0.8, 3), (0.8999999999999999, 4), (0.9, 4), (1.0, 4),
])
def test_qa_bands_by_the_shown_percentage(mean, band):
    """A clerk is banded by the percentage the page shows (one decimal): 69.99 % is 70.0 %."""
    assert band_of(mean) == band

"""Visit figures per office, checked against a small data set with known answers."""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hub.booking.figures import office_figures
from hub.booking.models import Booking, Desk, Office, OfficeClosure, Service, SlotClaim
from hub.extensions import db
from tests.conftest import ANNA, EWA, login

WARSAW = ZoneInfo("Europe/Warsaw")
# Monday 28 April – Friday 2 May 2025: 1 May is a public holiday, 2 May the town hall closes.
FIRST, LAST = date(2025, 4, 28), date(2025, 5, 2)


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=WARSAW)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def booking(office: str, service: str, starts: datetime, state: str, created: date, *,
            desk: int = 0, cancelled: date | None = None, staff: bool = False) -> Booking:
    """A booking as the domain leaves it in `state`, with its claimed cells."""
    the_office = db.session.scalar(select(Office).where(Office.code == office))
    the_service = db.session.scalar(select(Service).where(Service.code == service))
    cells = max(1, the_service.duration_minutes // 15)
    item = Booking(
        reference=secrets.token_hex(3).upper(), service=the_service, office=the_office,
        desk=the_office.desks[desk], starts_at=starts,
        ends_at=starts + timedelta(minutes=15 * cells), state=state, name="Jan Kowalski",
        phone="+48601234567", contact_key="+48601234567", token_key="k", staff_only=staff,
        created_at=utc(created, 9),
        confirmed_at=None if state in ("held", "expired") else utc(created, 9),
        cancelled_at=utc(cancelled, 9) if cancelled else None,
    )
    db.session.add(item)
    db.session.flush()
    if state != "expired":
        held_back = utc(cancelled, 10) if cancelled else None
        db.session.add_all(SlotClaim(desk_id=item.desk_id, starts_at=starts + timedelta(minutes=15 * i),
                                     booking_id=item.id, reusable_after=held_back)
                           for i in range(cells))
    return item


@pytest.fixture
def known_month(app):
    with app.app_context():
        ratusz = db.session.scalar(select(Office).where(Office.code == "ratusz"))
        db.session.add(OfficeClosure(office_id=ratusz.id, day=date(2025, 5, 2), reason="Szkolenie"))
        mon, tue, wed = date(2025, 4, 28), date(2025, 4, 29), date(2025, 4, 30)
        booking("ratusz", "dowod-osobisty", utc(mon, 9), "done", date(2025, 4, 20))
        booking("ratusz", "rejestracja-pojazdu", utc(tue, 10), "done", tue - timedelta(days=1),
                staff=True)                                                    # 2 cells
        booking("ratusz", "dowod-osobisty", utc(tue, 10, 30), "no_show", tue, desk=1)
        booking("ratusz", "dowod-osobisty", utc(wed, 9), "arrived", wed)
        booking("ratusz", "dowod-osobisty", utc(wed, 11), "cancelled", date(2025, 4, 21),
                cancelled=tue)
        booking("ratusz", "dowod-osobisty", utc(wed, 12, 30), "confirmed", date(2025, 5, 5))
        booking("ratusz", "dowod-osobisty", utc(wed, 13), "expired", tue)    # never confirmed
        booking("polnoc", "dowod-osobisty", utc(mon, 9), "no_show", mon)
        db.session.commit()
    return app


def test_figures_per_office_on_a_known_week(known_month):
    """Are bookings, cancellations, the no-show rate and utilisation counted as defined?"""
    with known_month.app_context():
        figures = {f.office.code: f for f in office_figures(FIRST, LAST)}
        ratusz, polnoc = figures["ratusz"], figures["polnoc"]
        # Made in the range and confirmed: the three created 28–30 April (one by staff).
        assert (ratusz.made, ratusz.made_by_staff, ratusz.cancelled) == (3, 1, 1)
        # Settled visits of the week: done ×2, no-show, arrived.
        assert (ratusz.settled, ratusz.no_shows, ratusz.no_show_rate) == (4, 1, 0.25)
        # 30 cells a day × 3 desks × 3 days (1 May is a holiday, 2 May closed); 6 cells booked
        # (the 30-minute visit takes two; the cancelled one is held back, not booked).
        assert (ratusz.booked_cells, ratusz.bookable_cells) == (6, 270)
        assert ratusz.utilisation == pytest.approx(6 / 270)
        # North branch: 9–15 is 24 cells × 2 desks × 4 days.
        assert (polnoc.made, polnoc.settled, polnoc.no_show_rate) == (1, 1, 1.0)
        assert (polnoc.booked_cells, polnoc.bookable_cells) == (1, 192)
        # An inactive desk offers nothing.
        db.session.scalar(select(Desk).where(Desk.office_id == polnoc.office.id)).active = False
        assert office_figures(FIRST, LAST)[1].bookable_cells == 96


def test_a_range_without_visits_has_no_rates(app):
    with app.app_context():
        quiet = office_figures(date(2025, 4, 28), date(2025, 4, 28))[0]
        assert (quiet.made, quiet.no_show_rate, quiet.utilisation) == (0, None, 0.0)
        holiday = office_figures(date(2025, 5, 1), date(2025, 5, 1))[0]
        assert (holiday.bookable_cells, holiday.utilisation) == (0, None)


def test_supervisors_read_the_figures_page(known_month):
    """Does /supervisor/bookings show the figures for the chosen period, to supervisors only?"""
    ewa = login(known_month, EWA)
    page = ewa.get("/supervisor/bookings?from=2025-04-28&to=2025-05-02&lang=en")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "25.0%" in text and "2.2%" in text and "6 of 270 desk slots" in text
    assert "100.0%" in text                              # the north branch's one no-show
    default = ewa.get("/supervisor/bookings").get_data(as_text=True)
    assert re.search(r'name="from" type="date" value="\d{4}-\d\d-01"', default)  # this month
    backwards = ewa.get("/supervisor/bookings?from=2025-05-02&to=2025-04-28&lang=en")
    assert "before its start" in backwards.get_data(as_text=True)
    assert login(known_month, ANNA).get("/supervisor/bookings").status_code == 403

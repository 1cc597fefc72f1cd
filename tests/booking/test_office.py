"""The office side over HTTP and the staff socket: a day's visits, check-in by reference or
QR scan, done / no-show / cancel, walk-ins into staff capacity, booking from a conversation."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hub import clock
from hub.accounts.models import User
from hub.booking import service as booking_service
from hub.booking.models import Booking, Desk, Office, Service
from hub.booking.slots import free_slots, to_local
from hub.errors import InvalidInput
from hub.extensions import db
from hub.hours.service import is_holiday
from hub.interactions.models import InteractionEvent
from tests.conftest import ANNA, EWA, PIOTR, emit, login, received

WARSAW = ZoneInfo("Europe/Warsaw")
SLOT = "%Y-%m-%dT%H:%M"


@pytest.fixture
def settings(settings):
    return {**settings, "JOBS_ASYNC": False, "JOB_RETRY_INTERVALS": ()}


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def clerk(app, email: str = ANNA):
    """A signed-in HTTP client that reads the pages in English."""
    http = login(app, email)
    http.set_cookie("lang", "en")
    return http


def to_working_morning() -> datetime:
    """Move the clock to 7:30 (Warsaw) of the next working day; returns that moment."""
    day = to_local_now().date() + timedelta(days=1)
    while day.weekday() >= 5 or is_holiday(day):
        day += timedelta(days=1)
    target = datetime.combine(day, time(7, 30), WARSAW)
    clock.advance((target.astimezone(UTC).replace(tzinfo=None) - clock.utcnow()).total_seconds())
    return target


def to_local_now() -> datetime:
    return clock.utcnow().replace(tzinfo=UTC).astimezone(WARSAW)


def visit(app, at: datetime, name: str = "Jan Kowalski", service: str = "dowod-osobisty"):
    """A visit booked by Anna at a local time (Warsaw), confirmed at once."""
    with app.app_context():
        the_service = booking_service.find_service(service)
        office = booking_service.find_office(the_service, "ratusz")
        anna = db.session.scalar(select(User).where(User.email == ANNA))
        starts = at.astimezone(UTC).replace(tzinfo=None)
        booking = booking_service.hold(the_service, office, starts, name=name,
                                       phone="601 234 567", clerk=anna)
        return SimpleNamespace(id=booking.id, reference=booking.reference,
                               interaction_id=booking.interaction_id)


def state_of(app, booking_id: int) -> str:
    with app.app_context():
        return db.session.get(Booking, booking_id).state


def kinds(app, interaction_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(
            select(InteractionEvent.kind).where(InteractionEvent.interaction_id == interaction_id)
            .order_by(InteractionEvent.id)))


def test_staff_pages_need_a_clerk_login(app, client):
    """Can anyone but signed-in staff reach the office pages or the figures?"""
    for path in ("/office", "/supervisor/bookings"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    for path in ("/office/check-in", "/office/walk-in", "/office/visits/1/done"):
        response = client.post(path, data={"reference": "ABC"})
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert clerk(app).get("/office").status_code == 200


def test_check_in_by_reference_or_scan_then_done_and_no_show(app):
    """Does the one box take a typed reference and a scanned "OKIENKO:ref", refuse another
    day's visit, and do done / no-show / cancel change the visit with clear messages?"""
    morning = to_working_morning()
    typed = visit(app, morning.replace(hour=9, minute=0), "Jan Kowalski")
    scanned = visit(app, morning.replace(hour=9, minute=15), "Maria Nowak")
    absent = visit(app, morning.replace(hour=9, minute=30), "Adam Wiśniewski")
    later = visit(app, morning.replace(hour=10, minute=0) + timedelta(days=1), "Ewa Zielińska")
    http = clerk(app)

    page = text_of(http.get("/office"))
    assert "Jan Kowalski" in page and "Maria Nowak" in page and "Ewa Zielińska" not in page
    assert page.index("Stanowisko 1") < page.index("9:00–9:15") < page.index("9:15–9:30")

    answer = text_of(http.post("/office/check-in", data={"reference": f"  {typed.reference.lower()} "},
                               follow_redirects=True))
    assert f"Jan Kowalski has arrived: visit {typed.reference} at 9:00" in answer
    answer = text_of(http.post("/office/check-in", data={"reference": f"okienko:{scanned.reference}\n"},
                               follow_redirects=True))
    assert f"Maria Nowak has arrived: visit {scanned.reference}" in answer
    assert (state_of(app, typed.id), state_of(app, scanned.id)) == ("arrived", "arrived")

    refused = text_of(http.post("/office/check-in", data={"reference": f"OKIENKO:{later.reference}"},
                                follow_redirects=True))
    assert "This visit is not today." in refused and state_of(app, later.id) == "confirmed"
    assert f"Visit {later.reference} (Ewa Zielińska): " in refused      # when it is
    unknown = text_of(http.post("/office/check-in", data={"reference": "OKIENKO:ZZZZZZ"},
                                follow_redirects=True))
    assert "No visit has this reference" in unknown

    # Done only after an arrival; a no-show once the time has come.
    refused = text_of(http.post(f"/office/visits/{absent.id}/done", follow_redirects=True))
    assert "already taken place or was cancelled" in refused and state_of(app, absent.id) == "confirmed"
    done = text_of(http.post(f"/office/visits/{typed.id}/done", follow_redirects=True))
    assert f"Visit {typed.reference} (Jan Kowalski) is done." in done
    clock.advance(2 * 3600)  # 9:30: Adam has not come
    page = text_of(http.get("/office"))
    row = page[page.index("Adam Wiśniewski"):]
    assert "No-show" in row[:row.index("</li>")]
    gone = text_of(http.post(f"/office/visits/{absent.id}/no-show", follow_redirects=True))
    assert f"Visit {absent.reference} (Adam Wiśniewski) is marked as a no-show." in gone
    cancelled = text_of(http.post(f"/office/visits/{later.id}/cancel", follow_redirects=True))
    assert "is cancelled" in cancelled
    assert [state_of(app, b.id) for b in (typed, scanned, absent, later)] == [
        "done", "arrived", "no_show", "cancelled"]

    # Each step is in the visit's own timeline, by Anna; the resident got the confirmation.
    assert kinds(app, typed.interaction_id) == [
        "booking_made", "booking_message", "booking_checked_in", "booking_done", "booking_message"]
    assert "booking_no_show" in kinds(app, absent.interaction_id)
    with app.app_context():
        cancelled_event = db.session.scalars(select(InteractionEvent).where(
            InteractionEvent.interaction_id == later.interaction_id,
            InteractionEvent.kind == "booking_cancelled")).one()
        assert cancelled_event.actor_type == "clerk"


def test_a_scan_from_another_office_is_refused(app):
    morning = to_working_morning()
    booking = visit(app, morning.replace(hour=9, minute=0))
    http = clerk(app)
    http.get("/office?office=polnoc")                     # the choice is remembered
    page = text_of(http.get("/office"))
    assert "North Branch" in page
    refused = text_of(http.post("/office/check-in", data={"reference": booking.reference},
                                follow_redirects=True))
    assert "booked at another office: Town Hall" in refused
    assert state_of(app, booking.id) == "confirmed"


def test_walk_in_takes_a_cell_kept_for_staff(app):
    """Can a clerk book a walk-in into Stanowisko 3's staff-only share, which residents
    (and the API) are never offered?"""
    with app.app_context():
        office = db.session.scalar(select(Office).where(Office.code == "ratusz"))
        for desk in db.session.scalars(select(Desk).where(Desk.office_id == office.id)):
            desk.active = desk.name == "Stanowisko 3"   # only the desk with a staff share
        db.session.commit()
        service = db.session.scalar(select(Service).where(Service.code == "dowod-osobisty"))
        residents = {s.starts_at for s in free_slots(service, office)}
        earliest = min(residents)
        kept = [s.starts_at for s in free_slots(service, office, for_staff=True)
                if s.starts_at not in residents and s.starts_at > earliest]
    http = clerk(app)
    page = text_of(http.get("/office?service=dowod-osobisty"))
    offered = re.findall(r'<option value="(\d{4}-\d\d-\d\dT\d\d:\d\d)"', page)
    staff_only = next(t for t in kept if t.strftime(SLOT) in offered)
    assert f'<option value="{offered[0]}" selected>' in page     # the first free time is chosen

    refused = http.post("/office/walk-in", data={"service": "dowod-osobisty",
                                                 "slot": staff_only.strftime(SLOT), "name": "",
                                                 "phone": "601 234 567"})
    assert refused.status_code == 400 and "Please give your name." in text_of(refused)
    booked = http.post("/office/walk-in", data={
        "service": "dowod-osobisty", "slot": staff_only.strftime(SLOT), "name": "Jan Kowalski",
        "phone": "601 234 567"}, follow_redirects=True)
    assert "Visit booked: " in text_of(booked)
    with app.app_context():
        booking = db.session.scalar(select(Booking).where(Booking.starts_at == staff_only))
        assert (booking.state, booking.staff_only, booking.desk.name) == (
            "confirmed", True, "Stanowisko 3")
        assert booking.booked_by.email == ANNA
        assert to_local(booking.starts_at).strftime("%-H:%M") in text_of(booked)  # its day
        # The same kind of cell is never a resident's to take.
        other = next((t for t in kept if t != staff_only), None)
        if other is not None:
            with pytest.raises(InvalidInput):
                booking_service.hold(service, booking.office, other, name="Bot",
                                     phone="601 234 568")


def start_chat(resident, name="Jan Kowalski"):
    sio = resident()
    answer = emit(sio, "/chat", "start", {"department": "registry", "name": name, "consent": True})
    assert answer["ok"], answer
    return sio, answer["status"]["interaction_id"]


def test_book_a_visit_from_the_conversation(app, resident, staff):
    """Can the clerk in a chat book a visit whose events land in that conversation, with a
    reply to send ready, while a colleague who does not hold it cannot?"""
    anna = staff(ANNA)
    assert emit(anna, "/staff", "presence", {"status": "available"})["ok"]
    sio, interaction_id = start_chat(resident)
    assert [o["id"] for o in received(anna, "/staff", "offer")] == [interaction_id]
    assert emit(anna, "/staff", "accept", {"interaction_id": interaction_id})["ok"]

    options = emit(anna, "/staff", "booking_options", {"interaction_id": interaction_id})
    assert options["ok"], options
    assert options["service"] == "odpis-aktu"       # the matter of the chat's department
    assert (options["office"], options["prefill"]["name"]) == ("ratusz", "Jan Kowalski")
    first = options["days"][0]["slots"][0]["starts_at"]
    other = emit(anna, "/staff", "booking_options", {"interaction_id": interaction_id,
                                                       "service": "rejestracja-pojazdu",
                                                       "office": "polnoc"})
    assert (other["service"], other["office"]) == ("rejestracja-pojazdu", "polnoc")

    piotr = staff(PIOTR)
    for event in ("booking_options", "book_visit"):
        refused = emit(piotr, "/staff", event, {"interaction_id": interaction_id})
        assert refused["code"] == "not_yours"
    missing = emit(anna, "/staff", "book_visit", {
        "interaction_id": interaction_id, "service": "odpis-aktu", "office": "ratusz",
        "starts_at": first, "name": "Jan Kowalski"})
    assert missing["code"] == "contact_required"

    booked = emit(anna, "/staff", "book_visit", {
        "interaction_id": interaction_id, "service": "odpis-aktu", "office": "ratusz",
        "starts_at": first, "name": "Jan Kowalski", "phone": "601 234 567", "email": ""})
    assert booked["ok"], booked
    reference = booked["booking"]["reference"]
    assert reference in booked["reply"] and "Odpis aktu stanu cywilnego" in booked["reply"]
    # Nothing was sent to the resident: the clerk sends the reply when ready.
    assert not [m for m in received(sio, "/chat", "message") if reference in m["body"]]

    with app.app_context():
        booking = db.session.scalar(select(Booking).where(Booking.reference == reference))
        assert (booking.interaction_id, booking.state, booking.staff_only) == (
            interaction_id, "confirmed", True)
        assert booking.starts_at.strftime(SLOT) == first
        made = db.session.scalar(select(InteractionEvent).where(
            InteractionEvent.interaction_id == interaction_id,
            InteractionEvent.kind == "booking_made"))
        assert made.actor_type == "clerk" and made.data["reference"] == reference

    # A supervisor may book for it too.
    assert emit(staff(EWA), "/staff", "booking_options", {"interaction_id": interaction_id})["ok"]

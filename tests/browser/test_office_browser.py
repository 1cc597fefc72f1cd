"""The office check-in page in a real browser: a scanner types "OKIENKO:<reference>" and
Enter, the visit turns into an arrival, then done; axe finds nothing on the page."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, time
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select

from hub import create_app
from hub.booking.models import Booking, Office, Service
from hub.clock import utcnow
from hub.extensions import db
from hub.interactions.models import Interaction
from tests.browser.conftest import check_axe, conversation, sign_in

AXE_CONTEXT = {"bypass_csp": True}
WARSAW = ZoneInfo("Europe/Warsaw")


def todays_visit(hub, name: str = "Jan Kowalski") -> tuple[int, str]:
    """A confirmed visit at noon today in the live hub's record (any day of the week)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": hub.env["DATABASE_URL"],
                      "REDIS_URL": hub.env["REDIS_URL"], "REDIS_PREFIX": hub.env["REDIS_PREFIX"],
                      "SOCKETIO_MESSAGE_QUEUE": False})
    with app.app_context():
        office = db.session.scalar(select(Office).where(Office.code == "ratusz"))
        service = db.session.scalar(select(Service).where(Service.code == "dowod-osobisty"))
        noon = datetime.combine(datetime.now(WARSAW).date(), time(12), WARSAW)
        starts = noon.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
        now = utcnow()
        log = Interaction(channel="booking", department=service.department, state="closed",
                          language="pl", resident_name=name, resident_key=secrets.token_urlsafe(8),
                          created_at=now, closed_at=now, queue_score=0)
        db.session.add(log)
        db.session.flush()
        reference = "K7MX3A"
        booking = Booking(reference=reference, service=service, office=office,
                          desk=office.desks[0], starts_at=starts, ends_at=starts.replace(minute=15),
                          state="confirmed", name=name, phone="+48601234567",
                          contact_key="+48601234567", token_key="k", confirmed_at=now,
                          interaction_id=log.id)
        db.session.add(booking)
        db.session.commit()
        booking_id = booking.id
        db.engine.dispose()
    return booking_id, reference


def test_scanner_checks_a_visit_in_and_the_clerk_marks_it_done(hub, contexts):
    """Does a scanned code (typed by the scanner, then Enter) make the arrival, keep the box
    ready for the next scan, and is the page free of axe findings?"""
    booking_id, reference = todays_visit(hub)
    page = contexts.new_page(hub.url, **AXE_CONTEXT)
    sign_in(page)
    page.locator(".staff-nav").get_by_role("link", name=re.compile("^(Visits|Wizyty)$")).click()
    page.wait_for_url("**/office")
    visit = page.locator(f"#visit-{booking_id}")
    expect(visit).to_contain_text("Jan Kowalski")
    expect(page.locator("#reference")).to_be_focused()
    check_axe(page, "/office")

    page.locator("#reference").press_sequentially(f"OKIENKO:{reference.lower()}")
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_contain_text(reference)
    expect(visit).to_have_class(re.compile(r"\bvisit-arrived\b"))
    expect(page.locator("#reference")).to_be_focused()     # ready for the next resident
    check_axe(page, "/office after a check-in")

    visit.locator("button.button-primary").click()          # Done
    expect(visit).to_have_class(re.compile(r"\bvisit-done\b"))
    expect(visit.locator("button")).to_have_count(0)


def test_walk_in_refusal_is_shown_and_axe_clean(hub, contexts):
    contexts.allow("status of 400")                          # the refused form answers 400
    page = contexts.new_page(hub.url, **AXE_CONTEXT)
    sign_in(page)
    page.goto("/office")
    expect(page.locator("#walk-in-slot option[selected]")).to_have_count(1)
    page.locator(".walk-in-submit").click()
    summary = page.locator(".walk-in .error-summary")
    expect(summary).to_be_visible()
    expect(page.locator("#walk-in-name")).to_have_attribute("aria-invalid", "true")
    check_axe(page, "/office with a walk-in refusal")


def test_clerk_books_a_visit_from_the_chat(hub, contexts):
    """Does "Book a visit" in the console come prefilled, book the first free time, and put
    a reply ready (not sent) in the box, with nothing for axe to find?"""
    clerk, resident = conversation(hub, contexts, **AXE_CONTEXT)
    clerk.locator("#visit-box summary").click()
    expect(clerk.locator("#visit-time option")).not_to_have_count(0)
    expect(clerk.locator("#visit-name")).to_have_value("Jan Kowalski")
    expect(clerk.locator("#visit-service")).to_have_value("odpis-aktu")
    check_axe(clerk, "console with Book a visit open")
    clerk.locator("#visit-book").click()
    expect(clerk.locator("#console-alert")).not_to_be_empty()   # a phone or e-mail is needed
    clerk.fill("#visit-email", "jan@example.pl")
    clerk.locator("#visit-book").click()
    expect(clerk.locator("#visit-result")).to_contain_text(re.compile(r"[A-Z0-9]{6}"))
    expect(clerk.locator("#reply")).to_be_focused()
    expect(clerk.locator("#reply")).to_have_value(re.compile(r"Odpis aktu stanu cywilnego"))
    expect(resident.locator("#transcript .msg-out")).to_have_count(0)  # sent only by the clerk
    clerk.locator("#reply-send").click()
    expect(resident.locator("#transcript .msg-out")).to_have_count(1)

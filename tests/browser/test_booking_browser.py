"""Booking a visit in a real browser with the keyboard only: find the matter, choose an office,
a day and a time, give a name and a phone, type the code the hub texted, download the
calendar file, move the visit and cancel it. axe-core checks every page on the way.

axe needs bypass_csp=True (its script is injected inline); the keyboard-only run without
axe (test_booking_pages_reflow_…) uses the hub's real Content-Security-Policy.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC

from icalendar import Calendar
from playwright.sync_api import expect

from tests.browser.conftest import check_axe
from tests.browser.test_accessibility import assert_reflows, assert_targets
from tests.browser.test_canned_browser import AXE_CONTEXT

NUMBER = "601234567"


def tab_to(page, selector: str, *, backwards: bool = False, limit: int = 80) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches the selector."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
    raise AssertionError(f"{selector} was not reached with {key} on {page.url}")


def focused(page, attribute: str = "id") -> str | None:
    return page.evaluate("a => document.activeElement && document.activeElement.getAttribute(a)",
                         attribute)


def texted_code(hub) -> str:
    """The code in the latest text to the resident's phone, from the hub's outbox."""
    with sqlite3.connect(hub.env["DATABASE_URL"].removeprefix("sqlite:///")) as db:
        body, = db.execute("SELECT body FROM outbox WHERE kind = 'sms' AND \"to\" = ? "
                           "ORDER BY id DESC LIMIT 1", ("+48" + NUMBER,)).fetchone()
    return re.search(r"\b(\d{6})\b", body).group(1)


def visit_row(hub) -> tuple[str, str, str, str]:
    with sqlite3.connect(hub.env["DATABASE_URL"].removeprefix("sqlite:///")) as db:
        return db.execute("SELECT reference, state, starts_at, ends_at FROM bookings "
                          "ORDER BY id DESC LIMIT 1").fetchone()


def test_a_visit_is_booked_moved_and_cancelled_with_the_keyboard_only(hub, contexts):
    page = contexts.new_page(hub.url, accept_downloads=True, **AXE_CONTEXT)
    contexts.allow("status of 400")  # the form sent back with its errors, on purpose

    # 1. The matter: search, then follow the link.
    page.goto("/visit")
    check_axe(page, "/visit")
    tab_to(page, "#q")
    page.keyboard.type("dowod")
    page.keyboard.press("Enter")
    expect(page.locator("main [role=status]")).to_contain_text("dowod")
    check_axe(page, "/visit?q=dowod")
    tab_to(page, "a[href='/visit/dowod-osobisty']")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Wniosek o dowód osobisty")
    expect(page.locator(".documents li")).to_have_count(2)
    check_axe(page, "/visit/dowod-osobisty")

    # 2. The office (arrow keys in the radio group), then a day, then a time.
    tab_to(page, "input[name=office]")
    assert focused(page, "value") == "ratusz"
    page.keyboard.press("ArrowDown")
    assert focused(page, "value") == "polnoc"
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"office=polnoc"))
    expect(page.locator(".day-button[aria-current]")).to_have_count(1)
    tab_to(page, ".day-button:not([aria-current])")
    chosen_day = focused(page, "value")
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(rf"day={chosen_day}"))
    expect(page.locator(f".day-button[value='{chosen_day}']")).to_have_attribute(
        "aria-current", "true")
    first_time = page.locator("input[name=slot]").first
    expect(first_time).to_be_checked()  # the first free time is preselected
    check_axe(page, "/visit/dowod-osobisty with a day chosen")

    tab_to(page, "input[name=slot]")
    page.keyboard.press("ArrowRight")
    second_time = page.locator("input[name=slot]").nth(1)
    expect(second_time).to_be_checked()
    slot = second_time.get_attribute("value")

    # 3. A forgotten name: the error summary takes focus and links to the field.
    tab_to(page, "#phone")
    page.keyboard.type("601 234 567")
    tab_to(page, ".booking-submit")
    page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.locator("a[href='#name']")).to_have_count(1)
    check_axe(page, "/visit/dowod-osobisty with errors")
    tab_to(page, ".error-summary a")
    page.keyboard.press("Enter")
    expect(page.locator("#name")).to_be_focused()
    page.keyboard.type("Jan Kowalski")
    expect(page.locator(f"input[name=slot][value='{slot}']")).to_be_checked()  # kept
    tab_to(page, ".booking-submit")
    page.keyboard.press("Enter")

    # 4. The code the hub texted.
    page.wait_for_url(re.compile(r"/visit/code/"))
    expect(page.locator("#hold-timer")).to_contain_text("min")
    check_axe(page, "the code page")
    tab_to(page, "#code")
    page.keyboard.type(texted_code(hub))
    page.keyboard.press("Enter")

    # 5. The confirmed visit: reference, QR code, the calendar file.
    page.wait_for_url(re.compile(r"/visit/manage/[^/]+$"))
    reference, state, starts_at, ends_at = visit_row(hub)
    assert state == "confirmed"
    assert starts_at.replace(" ", "T")[:16] == slot
    expect(page.locator(".reference")).to_have_text(reference)
    expect(page.locator("img.qr")).to_have_js_property("complete", True)
    assert page.locator("img.qr").evaluate("img => img.naturalWidth") > 0
    check_axe(page, "the confirmed visit")
    tab_to(page, "#ics-link")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    calendar = Calendar.from_ical(open(download.value.path(), "rb").read())
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart").astimezone(UTC).strftime("%Y-%m-%dT%H:%M") == slot
    assert str(event["uid"]) == f"{reference}@okienko"
    assert "Aktualne zdjęcie 35 × 45 mm" in str(event["description"])
    assert "Filia Północ" in str(event["location"])

    # 6. Move it: the same picker, another day.
    tab_to(page, "a[href$='/change']")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(re.compile("."))
    check_axe(page, "the change page")
    tab_to(page, ".day-button:not([aria-current])")
    page.keyboard.press("Enter")
    expect(page.locator("input[name=slot]:checked")).to_have_count(1)
    new_slot = page.locator("input[name=slot]:checked").get_attribute("value")
    tab_to(page, ".booking-submit")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/visit/manage/[^/]+$"))
    expect(page.locator(".flash")).to_be_visible()
    assert visit_row(hub)[2].replace(" ", "T")[:16] == new_slot != slot

    # 7. Cancel it, after a confirm step; back (Shift+Tab) to the danger link first.
    tab_to(page, "a.button-danger")
    tab_to(page, "a.button-secondary[href$='/change']", backwards=True)
    tab_to(page, "a.button-danger")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cancel$"))
    check_axe(page, "the cancel page")
    tab_to(page, "button.button-danger")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/visit/manage/[^/]+$"))
    expect(page.locator("main .alert")).to_be_visible()
    assert visit_row(hub)[1] == "cancelled"
    check_axe(page, "a cancelled visit")


def test_booking_pages_reflow_at_320_px_with_large_targets_under_the_real_csp(hub, contexts):
    page = contexts.new_page(hub.url, viewport={"width": 320, "height": 640})
    for path in ("/visit", "/visit/rejestracja-pojazdu", "/visit/rejestracja-pojazdu?lang=en"):
        page.goto(path)
        assert_reflows(page, path)
        assert_targets(page, path)
    page.locator("#name").fill("Jan Kowalski")
    page.locator("#phone").fill("601 234 567")
    page.locator(".booking-submit").press("Enter")
    page.wait_for_url(re.compile(r"/visit/code/"))
    assert_reflows(page, "the code page")
    assert_targets(page, "the code page")
    expect(page.locator("#hold-minutes")).to_contain_text("min")  # the script ran under the CSP

"""A call back from the form to the final SMS, in real browsers.

The resident asks on /callback and plays their phone on /dev/phone; Anna calls from the
console; the resident does not answer, twice; a supervisor reads both attempts. The hub
runs with DEV_CLOCK=1, so the test phone moves its clock to the next day's retry, and with
calling hours around the clock, one try a day for two days, so the story is the same at
any time of day. Texting the hub and a clerk's reply on the phone are in
test_dev_phone_browser.py.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import accept_offer, check_axe, go_available, sign_in
from tests.conftest import EWA, PASSWORD

RESIDENT = "601 234 567"
POLICY = {
    "DEV_CLOCK": "1",
    "CALLBACK_HOURS": "mo-su 0:00-24:00",
    "CALLBACK_WINDOW_HOURS": "24",  # the window under way is the soonest, whatever the hour
    "CALLBACK_ATTEMPTS_PER_DAY": "1",
    "CALLBACK_RETRY_DAYS": "2",
}


@pytest.fixture
def callback_hub(live_hubs):
    started, = live_hubs(1, **POLICY)
    return started


def open_phone(contexts, url: str):
    phone = contexts.new_page(url, bypass_csp=True)
    phone.goto("/dev/phone?lang=en&number=601234567")
    expect(phone.locator("#hub-clock")).to_be_visible()  # DEV_CLOCK is on
    if datetime.now(ZoneInfo("Europe/Warsaw")).strftime("%H:%M") >= "23:40":
        # Less than a quarter of an hour left of today's window: start in tomorrow's.
        move_clock(phone, 30)
    return phone


def move_clock(phone, minutes: int) -> None:
    phone.fill("#clock-minutes", str(minutes))
    phone.locator("#clock-form button[type=submit]").click()
    expect(phone.locator("#clock-status")).not_to_be_empty()


def ask_for_callback(contexts, url: str) -> None:
    """The resident asks on /callback for the soonest window (preselected)."""
    page = contexts.new_page(url)
    page.goto("/callback?lang=en&department=registry")
    page.fill("#phone", RESIDENT)
    page.check("#consent")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/callback/arranged")
    page.context.close()


def call_and_let_it_ring(clerk, phone, attempt: int) -> int:
    """Anna accepts the offered callback, calls, and the resident does not answer; returns
    the callback's interaction id."""
    accept_offer(clerk)
    interaction_id = clerk.evaluate("() => window.okienkoConsole.openId()")
    panel = clerk.locator("#call-panel")
    expect(panel).to_be_visible()
    expect(clerk.locator("#load")).to_contain_text("On a call back")  # the call fills Anna
    expect(clerk.locator("#call-resident-phone")).to_have_text("+48601234567")
    expect(clerk.locator("#clerk-phone")).to_have_value("+48221000001")
    expect(clerk.locator("#call-attempts li")).to_have_count(attempt - 1)
    if attempt == 1:
        clerk.locator("#call-now").click()
    else:  # by keyboard; the button keeps the focus while it is disabled
        clerk.locator("#call-now").focus()
        clerk.keyboard.press("Enter")
    expect(clerk.locator("#call-attempts li")).to_have_count(attempt)
    expect(clerk.locator("#call-now")).to_be_disabled()  # while the attempt is under way
    expect(clerk.locator("#call-now")).to_be_focused()

    # The test phone picks up for Anna's desk phone; then the resident's phone rings.
    expect(phone.locator("#incoming-call")).to_be_visible()
    expect(phone.locator("#call-alert")).to_have_text("The city office is calling")
    expect(clerk.locator("#call-attempts li").last).to_contain_text("ringing the resident")
    expect(clerk.locator("#call-status")).to_contain_text("ringing the resident")
    if attempt == 1:
        check_axe(clerk, "console with a callback ringing", include="#workspace")
        check_axe(phone, "test phone with a call ringing")
    phone.locator("#call-decline").click()
    expect(phone.locator("#incoming-call")).to_be_hidden()
    return interaction_id


def test_a_callback_not_answered_twice_is_retried_next_day_then_given_up(
        callback_hub, contexts):
    url = callback_hub.url
    phone = open_phone(contexts, url)
    clerk = contexts.new_page(url, bypass_csp=True)
    clerk.goto("/login?lang=en")
    sign_in(clerk)
    go_available(clerk)

    ask_for_callback(contexts, url)
    expect(phone.locator("#phone-feed")).to_contain_text("/callback/cancel/")  # confirmation

    interaction_id = call_and_let_it_ring(clerk, phone, attempt=1)
    # Not reached: the callback leaves Anna, and she is told when it comes back.
    expect(clerk.locator("#workspace-meta")).to_contain_text(
        "Not reached; the next attempt is scheduled")
    expect(clerk.locator("#conversations li")).to_have_count(0)
    expect(phone.locator("#phone-feed")).to_contain_text("(a missed call from the city office)")
    expect(clerk.locator("#offers li")).to_have_count(0)  # not before its time

    move_clock(phone, 24 * 60)  # the next day: the retry falls due and is offered again
    assert call_and_let_it_ring(clerk, phone, attempt=2) == interaction_id
    expect(clerk.locator("#workspace-meta")).to_contain_text("no more attempts")
    expect(phone.locator("#phone-feed")).to_contain_text(
        "The city office tried to call you back 2 times")
    expect(phone.locator("#phone-feed .msg", has_text="missed call")).to_have_count(2)
    check_axe(phone, "test phone after two missed calls")

    supervisor = contexts.new_page(url)
    supervisor.goto(f"/login?lang=en&next=/supervisor/interactions/{interaction_id}")
    supervisor.fill("#email", EWA)
    supervisor.fill("#password", PASSWORD)
    supervisor.locator("main form button[type=submit]").click()
    supervisor.wait_for_url(re.compile(rf".*/supervisor/interactions/{interaction_id}$"))
    attempts = supervisor.locator("section[aria-labelledby=calls-heading] tbody tr")
    expect(attempts).to_have_count(2)
    expect(attempts.nth(0)).to_contain_text("not_reached (no-answer)")
    expect(attempts.nth(1)).to_contain_text("not_reached (no-answer)")
    timeline = supervisor.locator(".timeline")
    expect(timeline.locator("li", has_text="call_placed")).to_have_count(2)
    expect(timeline).to_contain_text("callback_rescheduled")
    expect(timeline).to_contain_text("callback_given_up")
    expect(timeline).to_contain_text("callback_final_text")

"""The test phone in a browser: texts to and from a clerk in the console; axe-clean."""

import re
import sqlite3

import requests
from playwright.sync_api import expect
from twilio.request_validator import RequestValidator

from channels.twilio_gateway import DEV_AUTH_TOKEN
from tests.browser.conftest import accept_offer, check_axe, go_available, sign_in
from tests.browser.test_canned_browser import AXE_CONTEXT


def test_the_test_phone_sends_and_shows_the_text(hub, contexts):
    page = contexts.new_page(hub.url, **AXE_CONTEXT)
    page.goto("/dev/phone")
    page.fill("#number", "601 234 567")
    page.fill("#body", "Czy urząd jest czynny w sobotę?")
    page.locator("#phone-form button[type=submit]").click()
    expect(page.locator("#phone-feed")).to_contain_text("Czy urząd jest czynny w sobotę?")
    expect(page.locator("#phone-alert")).to_be_empty()
    check_axe(page, "/dev/phone with a message")


def test_a_text_is_answered_in_the_console_and_an_undelivered_reply_can_be_sent_again(
        hub, contexts):
    phone = contexts.new_page(hub.url, **AXE_CONTEXT)
    clerk = contexts.new_page(hub.url, **AXE_CONTEXT)
    sign_in(clerk)
    go_available(clerk)
    phone.goto("/dev/phone?lang=en")
    phone.fill("#number", "601 234 567")
    phone.fill("#body", "Is the office open on Saturday?")
    phone.locator("#phone-form button[type=submit]").click()

    accept_offer(clerk)
    expect(clerk.locator("#staff-transcript")).to_contain_text("Is the office open on Saturday?")
    clerk.fill("#reply", "No, from Monday to Friday.")
    clerk.locator("#reply-form button[type=submit]").click()
    expect(phone.locator("#phone-feed")).to_contain_text("No, from Monday to Friday.")

    # The network reports the text undelivered, as Twilio would on the status callback.
    with sqlite3.connect(hub.env["DATABASE_URL"].removeprefix("sqlite:///")) as db:
        sid, = db.execute("SELECT sid FROM outbox WHERE kind = 'sms'").fetchone()
    report = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    url = hub.url + "/channels/sms/status"
    signature = RequestValidator(DEV_AUTH_TOKEN).compute_signature(url, report)
    assert requests.post(url, data=report, headers={"X-Twilio-Signature": signature},
                         timeout=10).status_code == 204
    reply = clerk.locator("#staff-transcript .msg", has_text="No, from Monday to Friday.")
    expect(reply).to_have_class(re.compile("undelivered"))
    reply.get_by_role("button", name="Wyślij ponownie").click()
    expect(reply).not_to_have_class(re.compile("undelivered"))
    expect(reply.get_by_role("button")).to_have_count(0)
    expect(phone.locator("#phone-feed .msg", has_text="No, from Monday to Friday.")).to_have_count(2)

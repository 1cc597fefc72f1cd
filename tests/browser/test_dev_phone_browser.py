"""The test phone in a browser: a text sent from the page shows on its screen; axe-clean."""

from playwright.sync_api import expect

from tests.browser.conftest import check_axe
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

"""The booking catalogue pages for admins in a real browser: axe on the lists and forms, with
and without errors, and reflow at 320 px."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import check_axe
from tests.conftest import ADMIN, PASSWORD

AXE_CONTEXT = {"bypass_csp": True}


def sign_in_admin(page) -> None:
    page.goto("/login")
    page.fill("#email", ADMIN)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/(console|supervisor).*"))


def test_axe_catalogue_pages(hub, contexts):
    contexts.allow("status of 400")  # the forms refused on purpose answer 400
    page = contexts.new_page(hub.url, **AXE_CONTEXT)
    sign_in_admin(page)
    page.goto("/supervisor")
    page.get_by_role("link", name=re.compile("Booking catalogue|Katalog")).click()
    expect(page.locator("main h1")).to_be_visible()
    check_axe(page, "/admin/booking")

    page.locator("main table a").first.click()
    expect(page.locator("#name_pl")).to_be_visible()
    check_axe(page, "service edit")
    page.fill("#duration_minutes", "0")
    page.fill("#doc-0-name_en", "")
    page.get_by_role("button", name=re.compile("^(Save|Zapisz)$")).click()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator("#duration_minutes")).to_have_attribute("aria-invalid", "true")
    check_axe(page, "service edit with errors")

    page.goto("/admin/booking/offices/new")
    check_axe(page, "new office")
    page.goto("/admin/booking")
    page.locator("main table").nth(1).locator("a").first.click()
    expect(page.locator("#hours")).to_have_value(re.compile(r"^mo-we 08:00-12:00,12:30-16:00; th "))
    page.fill("#hours", "mo-fr 8:00-12:00; xx 9:00-10:00")
    page.get_by_role("button", name=re.compile("^(Save|Zapisz)$")).click()
    expect(page.locator("#hours-error")).to_be_visible()
    check_axe(page, "office edit with errors")
    page.fill("#closure-day", "2027-05-04")
    page.fill("#closure-reason", "Szkolenie")
    page.get_by_role("button", name=re.compile("Close the office|Zamknij")).click()
    expect(page.locator("#closures table")).to_contain_text("2027-05-04")
    check_axe(page, "office edit with a closure")

    page.set_viewport_size({"width": 320, "height": 800})
    for path in ("/admin/booking", "/admin/booking/services/1", "/admin/booking/offices/1"):
        page.goto(path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 320, f"{path} is {width}px wide at 320px"

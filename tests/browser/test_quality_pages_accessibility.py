"""axe-core (WCAG 2.0/2.1 A and AA) on every page added for quality review, in a real browser
on one live hub: the supervisor's log, audit trail, reviews, review lists, calibrations,
mystery shopping, reports and quality pages (as Ewa), the admin's settings, scorecards and
residents' data (as the admin), and the clerk's own reviews (as Anna) — at desktop and phone
sizes, in Polish and in English.

The module signs each person in once and hands every test a fresh browser context holding
that session, so each page is checked on its own without logging in again. A web chat with
messages and a note is closed first, so the log, its search and the transcript have data
beside the demo history the hub loads at start.
"""

from __future__ import annotations

import sqlite3

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Contexts, check_axe, conversation, sign_in
from tests.browser.test_admin_browser import sign_in_admin
from tests.browser.test_chat_browser import clerk_says, resident_says
from tests.browser.test_reports_browser import sign_in_as_supervisor

AXE_CONTEXT = {"bypass_csp": True}  # axe is injected as an inline script
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# English at phone size adds nothing the other three do not check (same markup, same
# layout), and the suite has a time budget.
VARIANTS = {  # name: (size, language)
    "desktop-pl": ("desktop", "pl"),
    "phone-pl": ("phone", "pl"),
    "desktop-en": ("desktop", "en"),
}
WORD = "zaświadczenie"  # in the closed chat below, and in the demo history

# name: (who, path, what shows the page is ready). {chat} is the closed chat's number,
# {phone} a resident's phone number with contacts in the demo history.
PAGES = {
    "supervisor": ("ewa", "/supervisor", "main h1"),
    "log": ("ewa", "/supervisor/interactions", "table.log-table tbody tr"),
    "log-search": ("ewa", f"/supervisor/interactions?q={WORD}", "table.log-table td.snippet"),
    "log-bad-filter": ("ewa", "/supervisor/interactions?channel=fax&from=2027-13-45",
                       ".error-summary"),
    "interaction": ("ewa", "/supervisor/interactions/{chat}", "main h1"),
    "audit": ("ewa", "/supervisor/audit", "main h1"),
    "reviews": ("ewa", "/supervisor/reviews", "main h1"),
    "review-lists": ("ewa", "/supervisor/review-lists", "main h1"),
    "calibrations": ("ewa", "/supervisor/calibrations", "main h1"),
    "mystery": ("ewa", "/supervisor/mystery", "main h1"),
    "reports": ("ewa", "/supervisor/reports", "#table-channels tbody tr"),
    "quality": ("ewa", "/supervisor/quality", "#table-summary"),
    "admin": ("admin", "/admin", "main h1"),
    "admin-settings": ("admin", "/admin/settings", "main form"),
    "scorecards": ("admin", "/admin/scorecards", "table.versions"),
    "privacy": ("admin", "/admin/privacy", "#q"),
    "privacy-search": ("admin", "/admin/privacy?by=phone&q={phone}", "#held-heading"),
    "my-reviews": ("anna", "/console/reviews", "article.my-review"),
}


def busiest_phone(database_url: str) -> str:
    """The resident's phone number held in the most records of the hub's demo history."""
    path = database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        row = connection.execute(
            "SELECT phone FROM (SELECT phone FROM bookings UNION ALL SELECT resident_handle"
            " FROM interactions) WHERE phone LIKE '+48%' GROUP BY phone"
            " ORDER BY count(*) DESC, phone LIMIT 1").fetchone()
    assert row, "the demo history holds no resident's phone number"
    return row[0]


@pytest.fixture(scope="module")
def seeded(shared_hub, browser):
    """A closed web chat on the module's hub, and Ewa's, the admin's and Anna's sessions
    (signed in in Polish) as Playwright storage states."""
    opened = Contexts(browser)
    try:
        clerk, resident = conversation(shared_hub, opened)
        chat = clerk.evaluate("() => window.okienkoConsole.openId()")
        resident_says(resident, f"Dzień dobry, potrzebuję {WORD} o zameldowaniu.")
        clerk_says(clerk, "Dzień dobry, wyda je Wydział Spraw Obywatelskich od ręki.")
        clerk_says(clerk, "Sprawdzić, czy jest zameldowany.", note=True)
        clerk.select_option("#disposition", "information_given")
        clerk.locator("#close-form button[type=submit]").click()
        expect(clerk.locator("#no-conversations")).to_be_visible()

        ewa = opened.new_page(shared_hub.url)
        sign_in_as_supervisor(ewa)
        admin = opened.new_page(shared_hub.url)
        sign_in_admin(admin)
        anna = opened.new_page(shared_hub.url)
        sign_in(anna)
        sessions = {name: page.context.storage_state()
                    for name, page in (("ewa", ewa), ("admin", admin), ("anna", anna))}
        assert opened.unexpected_errors() == []
    finally:
        opened.close()
    return {"chat": chat, "phone": busiest_phone(shared_hub.env["DATABASE_URL"]),
            "sessions": sessions}


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", list(PAGES))
def test_axe_quality_pages(shared_hub, seeded, contexts, name, variant):
    who, path, ready = PAGES[name]
    size, language = VARIANTS[variant]
    path = path.format(chat=seeded["chat"], phone=seeded["phone"].replace("+", "%2B"))
    if language != "pl":
        path += ("&" if "?" in path else "?") + f"lang={language}"
    page = contexts.new_page(shared_hub.url, viewport=SIZES[size],
                             storage_state=seeded["sessions"][who], **AXE_CONTEXT)
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: {response and response.status}"
    assert "/login" not in page.url, f"{path} asked {who} to sign in again"
    expect(page.locator(ready).first).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", language)
    if name in ("log-search", "interaction"):                 # the closed chat is there
        expect(page.locator("main")).to_contain_text("o zameldowaniu")
    if name == "privacy-search":                                # what is held, in tables
        expect(page.locator(".holdings table").first).to_be_visible()
    check_axe(page, f"{path} ({variant})")

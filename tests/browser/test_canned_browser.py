"""Canned answers in a real browser: "/" and a keyword in the console's reply box."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import check_axe, conversation
from tests.conftest import EWA

AXE_CONTEXT = {"bypass_csp": True}


def test_clerk_inserts_a_canned_answer_with_the_keyboard(hub, contexts):
    """Under the real CSP: "/godz", arrows and Enter insert the answer; the resident gets it."""
    clerk, resident = conversation(hub, contexts)
    reply = clerk.locator("#reply")
    listbox = clerk.get_by_role("listbox")
    expect(clerk.locator("#canned-hint")).to_be_visible()

    reply.press_sequentially("/godz")
    expect(listbox).to_be_visible()
    option = listbox.get_by_role("option", name="/godziny ·")
    expect(option).to_have_count(1)
    expect(clerk.locator("#canned-status")).not_to_be_empty()
    reply.press("ArrowDown")   # one suggestion: the highlight stays on it
    expect(option).to_have_attribute("aria-selected", "true")
    expect(reply).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    reply.press("Enter")

    expect(listbox).to_be_hidden()
    expect(reply).to_be_focused()
    expect(reply).to_have_value(re.compile(r"^Urząd Stanu Cywilnego — godziny pracy: [^{}]+\.$"))
    sent = reply.input_value()
    reply.press("Control+Enter")
    expect(resident.locator("#transcript .msg-out", has_text=sent)).to_have_count(1)

    # Escape closes the list and keeps what was typed; a click inserts too.
    reply.press_sequentially("/")
    expect(listbox.get_by_role("option")).not_to_have_count(0)
    reply.press("Escape")
    expect(listbox).to_be_hidden()
    expect(reply).to_have_value("/")
    reply.press_sequentially("pow")
    listbox.get_by_role("option", name="/powitanie ·").click()
    expect(reply).to_have_value("Dzień dobry, Jan Kowalski! Z tej strony Anna. W czym mogę pomóc?")


def test_axe_canned_pages_and_suggestions(hub, contexts):
    contexts.allow("status of 400")           # the form refused on purpose answers 400
    ewa = contexts.new_page(hub.url, **AXE_CONTEXT)
    ewa.goto("/login")
    ewa.fill("#email", EWA)
    ewa.fill("#password", "okienko-demo")
    ewa.locator("main form button[type=submit]").click()
    ewa.wait_for_url("**/supervisor**")
    ewa.get_by_role("link", name=re.compile("Canned answers|Gotowe odpowiedzi")).click()
    expect(ewa.locator("main table a", has_text="/godziny")).to_be_visible()
    check_axe(ewa, "/supervisor/canned")
    ewa.goto("/supervisor/canned/new")
    ewa.fill("#shortcut", "zły skrót!")
    ewa.locator("main form.canned-form button[type=submit]").click()
    expect(ewa.locator("#shortcut")).to_have_attribute("aria-invalid", "true")
    check_axe(ewa, "/supervisor/canned/new with errors")

    clerk, _ = conversation(hub, contexts, **AXE_CONTEXT)
    clerk.locator("#reply").press_sequentially("/")
    expect(clerk.get_by_role("listbox").get_by_role("option")).not_to_have_count(0)
    check_axe(clerk, "/console with canned suggestions open")
    expect(clerk.get_by_role("listbox")).to_be_visible()   # axe did not close it

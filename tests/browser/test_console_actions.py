"""Transfer and ending an abusive conversation from the clerk's console, in a real browser."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import check_axe, conversation
from tests.browser.test_canned_browser import AXE_CONTEXT


def test_clerk_transfers_and_the_resident_stays_in_the_chat(hub, contexts):
    clerk, resident = conversation(hub, contexts)
    clerk.locator("#transfer-box summary").click()
    expect(clerk.locator("#transfer-department option[value=vehicles]")).to_have_count(1)
    clerk.select_option("#transfer-department", "vehicles")
    clerk.fill("#transfer-note", "Sprawa dotyczy rejestracji auta")
    clerk.locator("#transfer-form button[type=submit]").click()
    expect(clerk.locator("#conversations .item")).to_have_count(0)
    expect(clerk.locator("#console-status")).to_have_text("Rozmowa została przekazana.")
    expect(resident.locator("#transcript")).to_contain_text("przekazywana do: Rejestracja")
    expect(resident.locator("#message")).to_be_visible()   # still in the same conversation


def test_clerk_ends_an_abusive_chat_and_the_browser_is_blocked(hub, contexts):
    clerk, resident = conversation(hub, contexts)
    clerk.locator("#abuse-box summary").click()
    clerk.locator("#abuse-form button[type=submit]").click()
    expect(clerk.locator("#console-alert")).to_have_text("Podaj powód.")
    clerk.fill("#abuse-reason", "Groźby wobec urzędnika")
    clerk.locator("#abuse-form button[type=submit]").click()
    expect(clerk.locator("#conversations .item")).to_have_count(0)
    expect(resident.locator("#ended")).to_be_visible()
    resident.locator("#new-chat").click()
    resident.select_option("#department", "registry")
    resident.check("#consent")
    resident.locator("#start-form button[type=submit]").click()
    expect(resident.locator("#chat-alert")).to_contain_text("Nie możesz teraz rozpocząć")
    expect(resident.locator("#start")).to_be_visible()


def test_console_actions_are_accessible(hub, contexts):
    clerk, _ = conversation(hub, contexts, **AXE_CONTEXT)
    clerk.locator("#transfer-box summary").click()
    clerk.locator("#abuse-box summary").click()
    expect(clerk.locator("#transfer-department option")).not_to_have_count(0)
    check_axe(clerk, "console with transfer and abuse forms open")

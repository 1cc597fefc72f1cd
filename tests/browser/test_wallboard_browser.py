"""The supervisor's wallboard in a real browser: live without reloading, and WCAG-clean."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import check_axe, start_chat
from tests.conftest import EWA, PASSWORD

REGISTRY_WAITING = '#department-registry tr[data-channel="webchat"] [data-field="waiting"]'


def open_wallboard(contexts, url: str, **options):
    """Ewa signs in through /login and lands on the wallboard."""
    page = contexts.new_page(url, **options)
    page.goto("/login?next=/supervisor/live")
    page.fill("#email", EWA)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/supervisor/live")
    expect(page.locator("#department-registry")).to_be_visible()
    return page


def test_wallboard_counts_a_new_chat_without_reload_and_passes_axe(hub, contexts):
    board = open_wallboard(contexts, hub.url)               # under the hub's real CSP
    expect(board.locator("#department-registry tbody tr")).to_have_count(0)
    expect(board.locator("#wallboard")).to_have_attribute("data-live", "1")   # subscribed
    board.evaluate("() => { window.notReloaded = true; }")

    resident = contexts.new_page(hub.url)
    resident.goto("/chat")
    start_chat(resident, "registry")                        # no clerk is available: it waits

    expect(board.locator(REGISTRY_WAITING)).to_have_text("1")
    expect(board.locator('#department-registry tfoot [data-field="waiting"]')).to_have_text("1")
    expect(board.locator('#department-registry tfoot [data-field="offered"]')).to_have_text("1")
    assert board.evaluate("() => window.notReloaded === true")
    expect(board.locator("#wallboard-connection")).to_be_empty()

    audited = open_wallboard(contexts, hub.url, bypass_csp=True)   # axe is injected inline
    expect(audited.locator(REGISTRY_WAITING)).to_have_text("1")
    check_axe(audited, "/supervisor/live")

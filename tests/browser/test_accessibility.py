"""WCAG 2.1 AA in a real browser: axe-core on every page and state, plus what axe cannot see —
keyboard-only use, focus when the widget opens and closes, live regions, reflow at 320 px and
target sizes.

axe needs bypass_csp=True (its script is injected inline); the other checks run under the
hub's real Content-Security-Policy.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import accept_offer, check_axe, go_available, sign_in, start_chat

AXE_CONTEXT = {"bypass_csp": True}

SMALL_TARGETS_JS = """
(min) => Array.from(document.querySelectorAll(
    'button, [role=button], input[type=submit], input[type=button], input[type=checkbox],'
    + ' input[type=radio], select'))
  .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
  .map(el => ({el, r: el.getBoundingClientRect()}))
  .filter(({r}) => r.width < min || r.height < min)
  .map(({el, r}) => `${el.tagName.toLowerCase()}#${el.id || ''}.${el.className || ''} `
                    + `"${(el.textContent || el.value || '').trim().slice(0, 40)}" `
                    + `${Math.round(r.width)}x${Math.round(r.height)}`)
"""


def assert_targets(page, where: str, minimum: int = 24) -> None:
    """WCAG 2.5.8: every visible button and form control is at least 24×24 CSS px."""
    small = page.evaluate(SMALL_TARGETS_JS, minimum)
    assert small == [], f"targets smaller than {minimum}x{minimum} px on {where}: {small}"


def assert_reflows(page, where: str) -> None:
    """WCAG 1.4.10: at 320 CSS px wide nothing needs horizontal scrolling."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 320, f"{where} is {width}px wide at a 320px viewport (horizontal scrolling)"


def assert_labels_beside_controls(page, form: str) -> None:
    """Each radio's label stays on the radio's line when the options wrap (narrow screens)."""
    apart = page.evaluate("""(form) => Array.from(document.querySelectorAll(form + ' input[type=radio]'))
        .filter(input => input.getClientRects().length)
        .map(input => [input, document.querySelector(`label[for="${input.id}"]`)])
        .filter(([input, label]) => {
            const a = input.getBoundingClientRect(), b = label.getBoundingClientRect();
            return b.top > a.bottom || a.top > b.bottom || b.left < a.right - 1;
        }).map(([input]) => input.id)""", form)
    assert apart == [], f"labels separated from their radio buttons in {form}: {apart}"


def focused_id(page_or_frame) -> str:
    return page_or_frame.evaluate("() => document.activeElement && document.activeElement.id")


def tab_to(page, element_id: str, key: str = "Tab", limit: int = 40) -> None:
    """Press Tab (or Shift+Tab) until the element with this id has focus."""
    for _ in range(limit):
        if focused_id(page) == element_id:
            return
        page.keyboard.press(key)
    assert focused_id(page) == element_id, f"{key} never reached #{element_id}"


# -- axe on every page, in Polish -----------------------------------------------------------

STATIC_PAGES = {
    "home": ("/", "main h1"),
    "chat-start": ("/chat", "#start-form"),
    "chat-embed": ("/chat?embed=1", "#close-widget"),
    "chat-english": ("/chat?lang=en", "#start-form"),
    "accessibility": ("/accessibility", "main form"),
    "login": ("/login", "main form"),
    "callback-topic": ("/callback", "main form"),
    "callback-form": ("/callback?department=general", "#phone"),
    "callback-bad-link": ("/callback/cancel/not-a-token", "main h1"),
}


@pytest.mark.parametrize("name", list(STATIC_PAGES))
def test_axe_pages(shared_hub, contexts, name):
    path, ready = STATIC_PAGES[name]
    contexts.allow("status of 404")  # the cancel page of a bad link answers 404
    page = contexts.new_page(shared_hub.url, **AXE_CONTEXT)
    page.goto(path)
    expect(page.locator(ready)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en" if "lang=en" in path else "pl")
    check_axe(page, name)


@pytest.mark.parametrize("name", [name for name in STATIC_PAGES if name.startswith("callback")])
def test_axe_callback_pages_in_english(shared_hub, contexts, name):
    contexts.allow("status of 404")
    path, ready = STATIC_PAGES[name]
    page = contexts.new_page(shared_hub.url, **AXE_CONTEXT)
    page.goto(path + ("&" if "?" in path else "?") + "lang=en")
    expect(page.locator(ready)).to_be_visible()
    check_axe(page, name + " in English")


def test_language_choice_sticks_and_reaches_the_widget(shared_hub, contexts):
    """WCAG 3.1.1: the page's lang follows the resident's choice, which a cookie keeps."""
    page = contexts.new_page(shared_hub.url)
    page.goto("/chat?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/city")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator(".okienko-launcher").click()
    expect(page.locator("#okienko-panel iframe")).to_have_attribute("title", "Chat with the city office")
    frame = page.frame_locator("#okienko-panel iframe")
    expect(frame.locator("html")).to_have_attribute("lang", "en")
    expect(frame.locator("#close-widget")).to_have_text("Close chat")


def test_axe_accessibility_form_errors(shared_hub, contexts):
    contexts.allow("status of 400")           # a form that fails validation answers 400
    page = contexts.new_page(shared_hub.url, **AXE_CONTEXT)
    page.goto("/accessibility")
    page.locator("main form button[type=submit]").click()
    error = page.locator("#message-error")
    expect(error).to_be_visible()
    expect(page.locator("#message")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#message")).to_have_attribute("aria-describedby", "message-error")
    check_axe(page, "accessibility form with errors")


def test_axe_callback_request_confirmation_and_cancel(hub, contexts):
    """/callback with errors (summary focused, fields marked), then the confirmation, the
    cancel page from it, and the page after cancelling; each by keyboard-sized targets."""
    contexts.allow("status of 400")
    page = contexts.new_page(hub.url, **AXE_CONTEXT)
    page.goto("/callback")
    page.select_option("#department", "general")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#phone")).to_be_visible()
    page.fill("#phone", "12")
    page.locator("main form button[type=submit]").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#phone")).to_have_attribute("aria-describedby", "phone-hint phone-error")
    expect(page.locator("#consent")).to_have_attribute("aria-invalid", "true")
    check_axe(page, "/callback with errors")
    assert_targets(page, "/callback with errors")
    assert_labels_beside_controls(page, "main form")
    summary.locator("a[href='#phone']").click()
    expect(page.locator("#phone")).to_be_focused()

    page.fill("#phone", "601 234 567")
    page.locator("#window-1").check()
    page.check("#consent")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/callback/arranged")
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("main")).to_contain_text("601 234 567")
    check_axe(page, "/callback/arranged")

    page.locator("main a[href*='/callback/cancel/']").click()
    expect(page.locator("main form button[type=submit]")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("601 234 567")
    check_axe(page, "the cancel page")
    assert_targets(page, "the cancel page")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main [role=status]")).to_be_visible()
    expect(page.locator("main form")).to_have_count(0)
    check_axe(page, "the cancel page after cancelling")
    page.set_viewport_size({"width": 320, "height": 640})
    assert_reflows(page, "the cancel page")


def test_a_waiting_chat_offers_a_call_back_that_replaces_it(shared_hub, contexts):
    """No clerk on duty: the chat offers a call back; taking it ends the chat."""
    page = contexts.new_page(shared_hub.url, **AXE_CONTEXT)
    page.goto("/chat")
    start_chat(page, "residence")
    link = page.locator("#callback-offer a")
    expect(link).to_be_visible()
    expect(page.locator("#callback-offer")).to_have_attribute("aria-live", "polite")
    href = link.get_attribute("href")
    assert "department=residence" in href and "chat=" in href and "lang=pl" in href
    check_axe(page, "/chat while queued with the call-back offer")
    link.click()
    expect(page.locator("#phone")).to_be_visible()
    expect(page.locator("main .notice")).to_be_visible()  # the chat ends, the place is kept
    page.fill("#phone", "601 234 568")
    page.check("#consent")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/callback/arranged")
    page.goto("/chat")
    expect(page.locator("#ended")).to_be_visible()


def test_axe_city_with_widget_open(shared_hub, contexts):
    page = contexts.new_page(shared_hub.url, **AXE_CONTEXT)
    page.goto("/city")
    page.locator(".okienko-launcher").click()
    expect(page.locator("#okienko-panel")).to_be_visible()
    frame_locator = page.frame_locator("#okienko-panel iframe")
    expect(frame_locator.locator("#department")).to_be_visible()
    check_axe(page, "/city with the widget open")
    frame = page.frame(url=lambda url: "embed=1" in url)
    assert frame is not None
    check_axe(frame, "the widget's frame on /city")


def test_axe_conversation_states_and_console(hub, contexts):
    """axe on the console (empty, then with an open conversation) and on /chat while queued,
    while talking to a clerk and after the end."""
    clerk = contexts.new_page(hub.url, **AXE_CONTEXT)
    sign_in(clerk)
    check_axe(clerk, "/console after login")
    go_available(clerk)

    resident = contexts.new_page(hub.url, **AXE_CONTEXT)
    resident.goto("/chat")
    start_chat(resident, "registry")
    check_axe(resident, "/chat while queued")

    accept_offer(clerk)
    expect(resident.locator("#queue-status")).to_contain_text("Anna")
    resident.fill("#message", "Dzień dobry, mam pytanie o akt małżeństwa.")
    resident.press("#message", "Enter")
    expect(clerk.locator("#staff-transcript .msg", has_text="akt małżeństwa")).to_be_visible()
    clerk.fill("#reply", "Dzień dobry, w czym mogę pomóc?")
    clerk.click("#reply-send")
    expect(resident.locator("#transcript .msg-out", has_text="w czym mogę pomóc")).to_be_visible()
    clerk.check("#mode-note")
    clerk.fill("#reply", "Notatka wewnętrzna")
    clerk.click("#reply-send")
    expect(clerk.locator("#staff-transcript .msg-note")).to_be_visible()
    check_axe(resident, "/chat in a conversation")
    check_axe(clerk, "/console with an open conversation")
    assert_targets(resident, "/chat in a conversation")
    assert_targets(clerk, "/console with an open conversation")

    resident.set_viewport_size({"width": 320, "height": 640})
    assert_reflows(resident, "/chat in a conversation")
    clerk.set_viewport_size({"width": 320, "height": 640})
    assert_reflows(clerk, "/console with an open conversation")

    clerk.select_option("#disposition", "resolved")
    clerk.locator("#close-form button[type=submit]").click()
    expect(resident.locator("#ended")).to_be_visible()
    check_axe(resident, "/chat after the end (rating)")
    assert_targets(resident, "/chat after the end")
    assert_reflows(resident, "/chat after the end")
    assert_labels_beside_controls(resident, "#rating-form")
    assert_labels_beside_controls(clerk, "#reply-form")


# -- what axe cannot see ----------------------------------------------------------------------

def test_keyboard_only_resident(hub, contexts):
    """Topic, consent, start, write, send and rate with the keyboard alone."""
    clerk = contexts.new_page(hub.url)
    sign_in(clerk)
    go_available(clerk)

    page = contexts.new_page(hub.url)
    page.goto("/chat")
    expect(page.locator("#start-form")).to_be_visible()
    keys = page.keyboard

    tab_to(page, "department")
    keys.press("ArrowDown")                        # the first topic after "Choose a topic"
    expect(page.locator("#department")).not_to_have_value("")
    while page.locator("#department").input_value() != "registry":
        before = page.locator("#department").input_value()
        keys.press("ArrowDown")
        assert page.locator("#department").input_value() != before, "registry not in the list"
    keys.press("Tab")
    assert focused_id(page) == "resident-name"
    keys.type("Maria Nowak")
    keys.press("Tab")
    assert focused_id(page) == "consent"
    keys.press("Space")
    expect(page.locator("#consent")).to_be_checked()
    keys.press("Tab")
    assert page.evaluate("() => document.activeElement.type") == "submit"
    keys.press("Enter")

    expect(page.locator("#conversation")).to_be_visible()
    expect(page.locator("#message")).to_be_focused()   # focus follows the new section
    accept_offer(clerk)                                  # the clerk may use the mouse
    expect(page.locator("#queue-status")).to_contain_text("Anna")

    keys.type("Piszę tylko klawiaturą.")
    keys.press("Enter")
    expect(page.locator("#transcript .msg-in", has_text="tylko klawiaturą")).to_be_visible()
    expect(clerk.locator("#staff-transcript .msg", has_text="tylko klawiaturą")).to_be_visible()
    expect(page.locator("#message")).to_be_focused()

    # Shift+Enter adds a line instead of sending.
    keys.type("pierwsza linia")
    keys.press("Shift+Enter")
    keys.type("druga linia")
    expect(page.locator("#message")).to_have_value("pierwsza linia\ndruga linia")
    keys.press("Enter")
    expect(page.locator("#transcript .msg-in", has_text="druga linia")).to_be_visible()

    # The resident ends the conversation from the keyboard (the confirm dialog is the browser's).
    page.on("dialog", lambda dialog: dialog.accept())
    tab_to(page, "leave")
    keys.press("Enter")
    expect(page.locator("#ended")).to_be_visible()
    expect(page.locator("#ended-heading")).to_be_focused()

    keys.press("Tab")
    assert focused_id(page) == "stars-1"
    for _ in range(3):
        keys.press("ArrowRight")
    expect(page.locator("#stars-4")).to_be_checked()
    keys.press("Tab")
    assert focused_id(page) == "rating-comment"
    keys.type("Wszystko działa z klawiatury.")
    keys.press("Tab")
    assert page.evaluate("() => document.activeElement.type") == "submit"
    keys.press("Enter")
    expect(page.locator("#rating-done")).to_be_visible()
    expect(page.locator("#rating-done")).to_be_focused()

    # Shift+Tab goes back out of the section without a trap.
    tab_to(page, "download")
    keys.press("Shift+Tab")
    assert focused_id(page) != "download"


def test_widget_focus_moves_into_frame_and_back(shared_hub, contexts):
    page = contexts.new_page(shared_hub.url)
    page.goto("/city")
    launcher = page.locator(".okienko-launcher")
    expect(launcher).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "false")

    # The launcher comes after the page's own content: Tab from the top reaches it.
    for _ in range(40):
        if page.evaluate("() => document.activeElement.classList.contains('okienko-launcher')"):
            break
        page.keyboard.press("Tab")
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#okienko-panel")).to_be_visible()
    frame = page.frame_locator("#okienko-panel iframe")
    expect(frame.locator("#department")).to_be_focused()
    assert page.evaluate("() => document.activeElement.tagName") == "IFRAME"
    expect(page.locator("#okienko-panel iframe")).to_have_attribute("title", "Czat z urzędem miasta")

    page.keyboard.press("Escape")
    expect(page.locator("#okienko-panel")).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")

    # Reopening from the keyboard focuses the frame again; its Close button closes it too.
    page.keyboard.press("Enter")
    expect(frame.locator("#department")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(frame.locator("#close-widget")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#okienko-panel")).to_be_hidden()
    expect(launcher).to_be_focused()


def test_live_regions_and_alerts(shared_hub, contexts):
    """WCAG 4.1.3: the transcript is a log, the queue a status, refusals an alert."""
    page = contexts.new_page(shared_hub.url)
    page.goto("/chat")
    expect(page.locator("#transcript")).to_have_attribute("role", "log")
    expect(page.locator("#queue-status")).to_have_attribute("role", "status")
    expect(page.locator("#chat-alert")).to_have_attribute("role", "alert")

    page.select_option("#department", "registry")
    page.locator("#start-form button[type=submit]").click()     # no consent ticked
    alert = page.get_by_role("alert")
    expect(alert).to_have_id("chat-alert")
    expect(alert).not_to_be_empty()
    expect(page.locator("#consent")).to_be_focused()

    page.select_option("#department", "")
    page.check("#consent")
    page.locator("#start-form button[type=submit]").click()     # no topic chosen
    expect(alert).not_to_be_empty()
    expect(page.locator("#department")).to_be_focused()

    page.select_option("#department", "residence")  # no opening hours: a position at any hour
    page.locator("#start-form button[type=submit]").click()
    expect(page.locator("#chat-alert")).to_be_empty()
    # A place in the queue, whatever it is: the shared hub may hold another test's resident
    # there (a call back taken from a chat keeps the chat's place).
    expect(page.locator("#queue-status")).to_have_text(re.compile(r"Jesteś \d+\. w kolejce"))
    expect(page.get_by_role("log")).to_have_id("transcript")

    page.click("#message-form button[type=submit]")               # nothing written
    expect(alert).not_to_be_empty()
    expect(page.locator("#message")).to_be_focused()


REFLOW_PAGES = ["/", "/chat", "/chat?embed=1", "/city", "/accessibility", "/callback",
                "/callback?department=general", "/login", "/console"]


def test_reflow_at_320px_and_target_sizes(shared_hub, contexts):
    page = contexts.new_page(shared_hub.url, viewport={"width": 320, "height": 640})
    for path in REFLOW_PAGES:
        if path == "/console":
            sign_in(page)
        else:
            page.goto(path)
            expect(page.locator("main h1")).to_be_visible()
        assert_reflows(page, path)
        assert_targets(page, path)
    page.goto("/city")
    page.locator(".okienko-launcher").click()
    expect(page.frame_locator("#okienko-panel iframe").locator("#department")).to_be_visible()
    assert_reflows(page, "/city with the widget open")
    frame = page.frame(url=lambda url: "embed=1" in url)
    assert_reflows(frame, "the widget's frame")
    assert_targets(frame, "the widget's frame")

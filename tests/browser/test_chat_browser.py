"""A whole conversation in two real browsers: a resident on /chat and Anna on /console."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import accept_offer, go_available, sign_in, start_chat


def resident_says(page, text: str) -> None:
    page.fill("#message", text)
    page.press("#message", "Enter")
    mine = page.locator("#transcript .msg-in", has_text=text)
    expect(mine).to_have_count(1)
    expect(mine).not_to_have_class(re.compile(r"\bpending\b"))  # the server acknowledged it


def clerk_says(clerk, text: str, note: bool = False) -> None:
    clerk.check("#mode-note" if note else "#mode-reply")
    clerk.fill("#reply", text)
    clerk.press("#reply", "Control+Enter")
    expect(clerk.locator("#staff-transcript .msg", has_text=text)).to_have_count(1)
    expect(clerk.locator("#reply")).to_have_value("")


def test_conversation_reload_note_close_rate_download(hub, contexts, tmp_path):
    clerk = contexts.new_page(hub.url)
    sign_in(clerk)
    go_available(clerk)

    resident = contexts.new_page(hub.url)
    resident.goto("/chat")
    expect(resident.locator("#start")).to_be_visible()
    expect(resident.locator("#conversation")).to_be_hidden()
    start_chat(resident, "registry", "Jan Kowalski")
    expect(resident.locator("#message")).to_be_focused()

    # The offer reaches Anna; she accepts and the resident is told who is answering.
    accept_offer(clerk)
    expect(resident.locator("#transcript .msg-system", has_text="Anna")).to_be_visible()
    expect(resident.locator("#queue-status")).to_contain_text("Anna")

    resident_says(resident, "Dzień dobry, potrzebuję odpisu aktu urodzenia.")
    expect(clerk.locator("#staff-transcript .msg", has_text="odpisu aktu urodzenia")).to_be_visible()
    clerk_says(clerk, "Dzień dobry, proszę podać rok urodzenia.")
    expect(resident.locator("#transcript .msg-out", has_text="rok urodzenia")).to_be_visible()
    resident_says(resident, "Rok 1985.")
    expect(clerk.locator("#staff-transcript .msg", has_text="Rok 1985.")).to_be_visible()
    expect(resident.locator("#message-hint")).not_to_be_empty()   # the keyboard hint stays

    # Typing right after sending is announced again (the message cleared the indicator).
    expect(clerk.locator("#staff-typing")).to_be_empty()
    resident.fill("#message", "Jeszcze jedno")
    expect(clerk.locator("#staff-typing")).not_to_be_empty()
    resident.fill("#message", "")

    # Reload mid-conversation: the whole history comes back, once.
    before = resident.locator("#transcript .msg").all_inner_texts()
    resident.reload()
    expect(resident.locator("#conversation")).to_be_visible()
    expect(resident.locator("#transcript .msg-in", has_text="Rok 1985.")).to_have_count(1)
    for text in ("odpisu aktu urodzenia", "rok urodzenia", "Rok 1985."):
        expect(resident.locator("#transcript .msg", has_text=text)).to_have_count(1)
    expect(resident.locator("#transcript .msg")).to_have_count(len(before))
    expect(resident.locator("#queue-status")).to_contain_text("Anna")

    # After the reload the live connection still delivers replies; and what Anna starts
    # typing while that reply is on its way stays in her box.
    clerk.fill("#reply", "Odpis będzie gotowy jutro.")
    clerk.evaluate("""() => {   // send, and type on before the hub can possibly have answered
        document.getElementById('reply-send').click();
        document.getElementById('reply').value = 'Szkic';
    }""")
    expect(resident.locator("#transcript .msg-out", has_text="gotowy jutro")).to_have_count(1)
    expect(clerk.locator("#staff-transcript .msg", has_text="gotowy jutro")).to_have_count(1)
    expect(clerk.locator("#reply")).to_have_value("Szkic")
    clerk.fill("#reply", "")

    # An internal note stays in the console.
    clerk_says(clerk, "NOTATKA: sprawdzić w rejestrze", note=True)
    expect(clerk.locator("#staff-transcript .msg-note", has_text="NOTATKA")).to_be_visible()
    resident_says(resident, "Dziękuję.")
    expect(clerk.locator("#staff-transcript .msg", has_text="Dziękuję.")).to_be_visible()
    expect(resident.locator("#transcript")).not_to_contain_text("NOTATKA")

    # Anna closes the conversation with a disposition.
    clerk.select_option("#disposition", "information_given")
    clerk.locator("#close-form button[type=submit]").click()
    expect(clerk.locator("#workspace-body")).to_be_hidden()
    expect(clerk.locator("#no-conversations")).to_be_visible()

    expect(resident.locator("#ended")).to_be_visible()
    expect(resident.locator("#conversation")).to_be_hidden()
    expect(resident.locator("#ended-heading")).to_be_focused()
    resident.check("#stars-4")
    resident.fill("#rating-comment", "Szybko i konkretnie.")
    resident.locator("#rating-form button[type=submit]").click()
    expect(resident.locator("#rating-done")).to_be_visible()
    expect(resident.locator("#rating-form")).to_be_hidden()

    with resident.expect_download() as info:
        resident.click("#download")
    download = info.value
    assert download.suggested_filename.endswith(".txt")
    saved = tmp_path / "transcript.txt"
    download.save_as(saved)
    text = Path(saved).read_text(encoding="utf-8")
    for expected in ("odpisu aktu urodzenia", "rok urodzenia", "Rok 1985.",
                     "gotowy jutro", "Dziękuję."):
        assert expected in text, text
    assert "NOTATKA" not in text, text

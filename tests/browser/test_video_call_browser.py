"""A video call between a clerk's console and a resident's chat, in two real Chromium
contexts with fake camera and microphone."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    accept_offer,
    check_axe,
    go_available,
    sign_in,
    start_chat,
)
from tests.conftest import EWA, PASSWORD, open_contexts

FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]

PLAYING = """() => new Promise(resolve => {
  const video = document.getElementById('rtc-remote');
  const start = video.currentTime;
  if (!(video.videoWidth > 0)) { resolve(false); return; }
  video.requestVideoFrameCallback(() => setTimeout(
    () => resolve(video.videoWidth > 0 && video.currentTime > start), 300));
})"""


@pytest.fixture(scope="module")
def media_browser(playwright_instance):
    """Chromium whose camera and microphone are fakes that need no permission prompt."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium was not found at {CHROMIUM}.", pytrace=False)
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS + FAKE_MEDIA, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def media_contexts(media_browser):
    yield from open_contexts(media_browser)


def playing(page) -> None:
    page.wait_for_function(
        "() => { const v = document.getElementById('rtc-remote');"
        " return v.videoWidth > 0 && v.currentTime > 0.2; }")
    assert page.evaluate(PLAYING), "the remote video has no new frames"


def test_clerk_invites_resident_accepts_both_see_video_and_the_timeline_shows_it(
        hub, media_contexts):
    """Does a video call connect both ways, end for both, and appear in the timeline?"""
    options = {"bypass_csp": True, "permissions": ["camera", "microphone"]}
    clerk = media_contexts.new_page(hub.url, **options)
    sign_in(clerk)
    go_available(clerk)
    resident = media_contexts.new_page(hub.url, **options)
    resident.goto("/chat?lang=en")
    start_chat(resident, "registry", "Jan Kowalski")
    accept_offer(clerk)

    # The clerk invites: the resident's invitation is announced and takes the focus.
    expect(clerk.locator("#rtc-start")).to_be_visible()
    clerk.click("#rtc-video")
    expect(resident.locator("#rtc-invite")).to_be_visible()
    expect(resident.locator("#rtc-invite-heading")).to_be_focused()
    expect(resident.locator("#rtc-invite-heading")).to_have_text(
        "The clerk invites you to a video call.")
    expect(resident.locator("#rtc-announce")).to_have_text(
        "The clerk invites you to a video call.")
    resident.get_by_role("button", name="Accept the call").click()

    for page in (clerk, resident):
        expect(page.locator("#rtc-call")).to_be_visible()
        playing(page)
    expect(resident.locator("#rtc-status")).to_have_text("The call is connected.")
    check_axe(resident, "the resident's call view")
    check_axe(clerk, "the clerk's call view", include="#workspace")

    # The chat stays usable beside the call; mute and camera are toggles.
    resident.fill("#message", "Widzę panią")
    resident.keyboard.press("Enter")
    expect(clerk.locator("#staff-transcript")).to_contain_text("Widzę panią")
    mute = resident.get_by_role("button", name="Mute my microphone")
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    camera = clerk.locator("#rtc-camera")
    camera.click()
    expect(camera).to_have_attribute("aria-pressed", "true")

    # The resident hangs up: both sides leave the call, the chat goes on.
    resident.get_by_role("button", name="Hang up").click()
    for page in (clerk, resident):
        expect(page.locator("#rtc-call")).to_be_hidden()
    expect(clerk.locator("#rtc-start")).to_be_visible()
    expect(resident.locator("#message")).to_be_enabled()

    # The supervisor's timeline has the call, its duration and who ended it.
    interaction = clerk.evaluate("() => window.okienkoConsole.openId()")
    supervisor = media_contexts.new_page(hub.url, **options)
    supervisor.goto(f"/login?next=/supervisor/interactions/{interaction}")
    supervisor.fill("#email", EWA)
    supervisor.fill("#password", PASSWORD)
    supervisor.locator("main form button[type=submit]").click()
    supervisor.wait_for_url(f"**/supervisor/interactions/{interaction}")
    supervisor.goto(f"/supervisor/interactions/{interaction}?lang=en")
    timeline = supervisor.locator("ol.timeline")
    expect(timeline).to_contain_text("Clerk invited to a call")
    expect(timeline).to_contain_text("Call in the browser started")
    expect(timeline).to_contain_text("Call in the browser ended")
    ended = timeline.locator("li", has_text="Call in the browser ended")
    expect(ended).to_contain_text("resident")


def test_a_browser_without_a_camera_falls_back_to_chat(hub, media_contexts):
    """When the resident's camera cannot be used, are both told, and does the chat go on?"""
    options = {"bypass_csp": True}
    clerk = media_contexts.new_page(hub.url, **options)
    sign_in(clerk)
    go_available(clerk)
    resident = media_contexts.new_page(hub.url, **options)
    resident.add_init_script(
        "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('no', "
        "'NotAllowedError'));")
    resident.goto("/chat?lang=en")
    start_chat(resident, "registry", "Jan Kowalski")
    accept_offer(clerk)
    clerk.click("#rtc-voice")
    resident.get_by_role("button", name="Accept the call").click()
    expect(resident.locator("#rtc-alert")).to_contain_text("continue in the chat")
    # The clerk's console is in Polish (the default).
    expect(clerk.locator("#rtc-alert")).to_contain_text("Kontynuuj rozmowę na czacie")
    expect(clerk.locator("#rtc-call")).to_be_hidden()
    expect(clerk.locator("#rtc-start")).to_be_visible()

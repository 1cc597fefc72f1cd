"""Real-browser fixtures: Debian's Chromium driven by Playwright, axe-core for WCAG checks.

Chromium comes from the system (`apt-get install chromium`, done by the Makefile); this suite
never downloads a browser. If Chromium is missing, every browser test fails and says why.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import ANNA, PASSWORD, LiveHub

CHROMIUM = os.environ.get("OKIENKO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
AXE = Path(__file__).resolve().parent / "assets" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def playwright_instance():
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium was not found at {CHROMIUM}. Install Debian's build with "
            "`apt-get install -y chromium` (the Makefile does this); never run "
            "`playwright install`. Set OKIENKO_CHROMIUM to use another binary.",
            pytrace=False,
        )
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def hub(live_hubs):
    """One live hub process for this test."""
    started, = live_hubs(1)
    return started


@pytest.fixture(scope="module")
def shared_hub(tmp_path_factory, redis_url):
    """One live hub for a module's read-only page checks: live_hubs' settings, but with the
    demo's four weeks of history, so pages have data to show."""
    instance = tmp_path_factory.mktemp("shared-hub")
    env = {
        **os.environ,
        "OKIENKO_INSTANCE": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'live.db'}",
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": f"shared{uuid.uuid4().hex[:8]}:",
        "SECRET_KEY": "live-secret",
        "RATELIMIT_ENABLED": "0",
    }
    started = LiveHub(env, instance)
    yield started
    started.stop()


class Contexts:
    """Opens browser contexts with bounded timeouts and records page errors."""

    def __init__(self, browser):
        self.browser = browser
        self.opened = []
        self.errors: list[str] = []
        self.allowed: list[str] = []

    def allow(self, text: str) -> None:
        """Expect browser console errors containing this text (e.g. a deliberate 400)."""
        self.allowed.append(text)

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(text in e for text in self.allowed)]

    def new_page(self, base_url: str, **options):
        options.setdefault("locale", "pl-PL")
        options.setdefault("timezone_id", "Europe/Warsaw")
        context = self.browser.new_context(base_url=base_url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        self.opened.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: message.type == "error" and self.errors.append(
            f"{page.url}: console: {message.text} ({message.location.get('url')})"))
        return page

    def close(self):
        for context in self.opened:
            context.close()


@pytest.fixture
def contexts(browser):
    """contexts.new_page(hub.url, **context_options) → a page in a fresh context."""
    opened = Contexts(browser)
    yield opened
    opened.close()
    errors = opened.unexpected_errors()
    assert errors == [], "JavaScript, CSP or loading errors in the page:\n" + "\n".join(errors)


def sign_in(page, email: str = ANNA, password: str = PASSWORD) -> None:
    """Sign in through the /login form and wait for the console to be connected."""

    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/console**")
    # The presence snapshot arrives over the socket; once #load has text the console is live.
    expect(page.locator("#load")).not_to_be_empty()


def go_available(page) -> None:

    page.check("#presence-available")
    expect(page.locator("#presence-available")).to_be_checked()
    expect(page.locator("#no-offers")).to_be_visible()


def start_chat(page, department: str = "registry", name: str = "Jan Kowalski") -> None:
    """Fill in and submit /chat's start form (the page must already be open)."""

    page.select_option("#department", department)
    if name:
        page.fill("#resident-name", name)
    page.check("#consent")
    page.locator("#start-form button[type=submit]").click()
    expect(page.locator("#conversation")).to_be_visible()
    expect(page.locator("#queue-status")).not_to_be_empty()


def accept_offer(clerk) -> None:

    offer = clerk.locator("#offers li").first
    expect(offer).to_be_visible()
    offer.locator("button.button-primary").click()
    expect(clerk.locator("#workspace-body")).to_be_visible()


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v.get('impact')}] {v['id']}: {v['help']} ({v.get('helpUrl', '')})")
        for node in v.get("nodes", [])[:8]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target}\n        {node.get('html', '')[:200]}\n        {summary}")
    return "\n".join(lines)


def check_axe(page, context: str = "", include: str | None = None) -> None:
    """Run axe-core (WCAG 2.0/2.1 A and AA) on the page and fail with readable findings.

    The page's context must have bypass_csp=True: the hub's CSP (script-src 'self') rightly
    blocks the inline script add_script_tag() injects.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "([include, tags]) => axe.run(include ? document.querySelector(include) : document,"
        " {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        [include, AXE_TAGS],
    )
    violations = result["violations"]
    assert violations == [], (
        f"axe found {len(violations)} WCAG violation(s) on {context or page.url}:\n"
        + format_violations(violations)
    )


def conversation(hub, contexts, **options):
    """Anna (console) and Jan Kowalski (/chat) in an accepted registry conversation."""
    clerk = contexts.new_page(hub.url, **options)
    sign_in(clerk)
    go_available(clerk)
    resident = contexts.new_page(hub.url, **options)
    resident.goto("/chat")
    start_chat(resident, "registry", "Jan Kowalski")
    accept_offer(clerk)
    return clerk, resident

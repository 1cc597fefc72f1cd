"""Real-browser fixtures: Debian's Chromium driven by Playwright, axe-core for WCAG checks.

Chromium comes from the system (`apt-get install chromium`, done by the Makefile); this suite
never downloads a browser. If Chromium is missing, every browser test fails and says why.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

# The browser itself (playwright_instance, browser, contexts) is in tests/conftest.py: one
# Playwright per session, shared with the fault tests that watch a page.
from tests.conftest import (  # noqa: F401  (re-exported for the browser tests)
    ANNA,
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD,
    TIMEOUT_MS,
    Contexts,
    LiveHub,
)

AXE = Path(__file__).resolve().parent / "assets" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


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

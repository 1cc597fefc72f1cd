"""Screenshots of the resident and staff pages, for a human to look at (not a test).

    .venv/bin/python -m tests.browser.screenshots [--out DIR]

Starts its own hub (`python app.py` on a free port, with a private instance directory and
its embedded Redis), drives a realistic conversation between a resident and Anna in Debian's
Chromium, and saves desktop (1280×800) and phone (390×844) PNGs to screenshots/ (gitignored).
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("OKIENKO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
PASSWORD = "okienko-demo"
TIMEOUT_MS = 15_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_hub(**extra: str):
    """`python app.py` on a free port with a throwaway instance directory."""
    instance = Path(tempfile.mkdtemp(prefix="okienko-shots-"))
    port = free_port()
    env = {**os.environ, "OKIENKO_INSTANCE": str(instance),
           "EMBEDDED_REDIS_PORT": str(free_port()), "RATELIMIT_ENABLED": "0", **extra}
    for name in ("REDIS_URL", "DATABASE_URL", "SECRET_KEY"):
        env.pop(name, None)
    log_path = instance / "hub.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the hub did not start:\n" + log_path.read_text())
                try:
                    if requests.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except requests.ConnectionError:
                    time.sleep(0.1)  # the port is not open yet: nothing to wait on but time
            yield url
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def new_page(browser, url: str, viewport: dict):
    context = browser.new_context(base_url=url, viewport=viewport, locale="pl-PL",
                                  timezone_id="Europe/Warsaw", accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def shoot(page, out: Path, name: str, size: str, full_page: bool = True) -> None:
    path = out / f"{name}-{size}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def session(browser, url: str, size: str, viewport: dict, out: Path) -> None:
    # Pages without a conversation.
    page = new_page(browser, url, viewport)
    for name, path, ready in [("accessibility", "/accessibility", "main form"),
                              ("login", "/login", "main form"),
                              ("chat-start", "/chat", "#start-form")]:
        page.goto(path)
        expect(page.locator(ready)).to_be_visible()
        shoot(page, out, name, size)

    page.goto("/city")
    page.locator(".okienko-launcher").click()
    expect(page.frame_locator("#okienko-panel iframe").locator("#department")).to_be_focused()
    shoot(page, out, "city-widget-open", size, full_page=False)  # the panel is fixed
    page.context.close()

    # A conversation between a resident and Anna.
    clerk = staff_page(browser, url, viewport, "anna@okienko.local", "/console")
    expect(clerk.locator("#load")).not_to_be_empty()
    clerk.check("#presence-available")
    expect(clerk.locator("#presence-available")).to_be_checked()

    resident = new_page(browser, url, viewport)
    resident.goto("/chat")
    resident.select_option("#department", "registry")
    resident.fill("#resident-name", "Jan Kowalski")
    resident.check("#consent")
    resident.locator("#start-form button[type=submit]").click()
    expect(resident.locator("#queue-status")).not_to_be_empty()

    clerk.locator("#offers li button.button-primary").first.click()
    expect(clerk.locator("#workspace-body")).to_be_visible()
    expect(resident.locator("#queue-status")).to_contain_text("Anna")

    def resident_says(text):
        resident.fill("#message", text)
        resident.press("#message", "Enter")
        expect(clerk.locator("#staff-transcript .msg", has_text=text)).to_be_visible()

    def clerk_says(text, note=False):
        clerk.check("#mode-note" if note else "#mode-reply")
        clerk.fill("#reply", text)
        clerk.click("#reply-send")
        expect(clerk.locator("#reply")).to_have_value("")
        if not note:
            expect(resident.locator("#transcript .msg-out", has_text=text)).to_be_visible()

    resident_says("Dzień dobry, chciałbym zamówić odpis skrócony aktu urodzenia córki.")
    clerk_says("Dzień dobry, Panie Janie. Odpis można zamówić przez ePUAP albo w urzędzie. "
               "Czy córka urodziła się w naszym mieście?")
    resident_says("Tak, w 2015 roku, w szpitalu miejskim.")
    clerk_says("Sprawdzić, czy akt jest w rejestrze centralnym.", note=True)
    clerk_says("Dziękuję. Odpis przygotujemy w ciągu 3 dni roboczych; opłata skarbowa wynosi 22 zł.")
    resident.fill("#message", "Czy mogę odebrać go w sobotę?")
    resident.locator("#message").focus()
    expect(clerk.locator("#staff-typing")).not_to_be_empty()
    shoot(resident, out, "chat-conversation", size)
    shoot(clerk, out, "console-conversation", size)
    resident.press("#message", "Enter")
    expect(clerk.locator("#staff-transcript .msg", has_text="w sobotę")).to_be_visible()
    clerk_says("Urząd w soboty jest nieczynny, zapraszamy od poniedziałku do piątku, 8:00–16:00.")

    clerk.select_option("#disposition", "information_given")
    clerk.locator("#close-form button[type=submit]").click()
    expect(resident.locator("#ended")).to_be_visible()
    resident.check("#stars-4")
    resident.fill("#rating-comment", "Szybka i konkretna odpowiedź.")
    shoot(resident, out, "chat-ended-rating", size)
    resident.locator("#rating-form button[type=submit]").click()
    expect(resident.locator("#rating-done")).to_be_visible()
    shoot(resident, out, "chat-ended-rated", size)
    clerk.context.close()
    resident.context.close()


def callbacks(browser, url: str, size: str, viewport: dict, out: Path) -> None:
    """A waiting chat offered a call back, then /callback: topic, form, errors, confirmation,
    the cancel page and after cancelling. Vehicles and taxes: Anna is never offered these."""
    last = "7" if size == "desktop" else "8"
    page = new_page(browser, url, viewport)
    page.goto("/chat")
    page.select_option("#department", "vehicles")
    page.check("#consent")
    page.locator("#start-form button[type=submit]").click()
    expect(page.locator("#callback-offer a")).to_be_visible()
    shoot(page, out, "chat-callback-offer", size)
    page.locator("#callback-offer a").click()
    expect(page.locator("#phone")).to_be_visible()
    shoot(page, out, "callback-from-chat", size)
    page.fill("#phone", f"601 234 57{last}")
    page.check("#consent")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/callback/arranged")

    page.goto("/callback")
    expect(page.locator("#department")).to_be_visible()
    shoot(page, out, "callback-topic", size)
    page.select_option("#department", "taxes")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#phone")).to_be_visible()
    shoot(page, out, "callback-form", size)
    page.fill("#phone", "60123")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    shoot(page, out, "callback-errors", size)
    page.fill("#phone", f"601 234 56{last}")
    page.fill("#name", "Maria Nowak")
    page.locator("#window-2").check()
    page.check("#consent")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/callback/arranged")
    shoot(page, out, "callback-arranged", size)
    page.locator("main a[href*='/callback/cancel/']").click()
    expect(page.locator("main form button[type=submit]")).to_be_visible()
    shoot(page, out, "callback-cancel", size)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main [role=status]")).to_be_visible()
    shoot(page, out, "callback-cancelled", size)
    page.context.close()


def booking(browser, url: str, size: str, viewport: dict, out: Path) -> None:
    """Booking a visit: matters, a search, the matter and picker, errors, the code (read on
    the test phone), the confirmed visit, moving it and cancelling it."""
    number = "601 234 581" if size == "desktop" else "601 234 582"
    page = new_page(browser, url, viewport)
    page.goto("/visit")
    shoot(page, out, "booking-matters", size)
    page.fill("#q", "dowod")
    page.press("#q", "Enter")
    expect(page.locator("main [role=status]")).to_be_visible()
    shoot(page, out, "booking-search", size)
    page.goto("/visit/rejestracja-pojazdu")
    expect(page.locator("input[name=slot]:checked")).to_have_count(1)
    shoot(page, out, "booking-matter", size)
    page.locator("#phone").fill("60123")
    page.locator(".booking-submit").click()
    expect(page.locator(".error-summary")).to_be_visible()
    shoot(page, out, "booking-errors", size)
    page.locator("#name").fill("Maria Nowak")
    page.locator("#phone").fill(number)
    page.locator(".booking-submit").click()
    page.wait_for_url("**/visit/code/**")
    shoot(page, out, "booking-code", size)

    phone = new_page(browser, url, viewport)
    phone.goto("/dev/phone?number=" + number.replace(" ", ""))
    message = phone.locator("#phone-feed .msg").last
    expect(message).to_contain_text(re.compile(r"\d{6}"))
    code = re.search(r"\b(\d{6})\b", message.inner_text()).group(1)
    phone.context.close()
    page.fill("#code", "000000" if code != "000000" else "111111")
    page.locator(".code-form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    shoot(page, out, "booking-code-wrong", size)
    page.fill("#code", code)
    page.locator(".code-form button[type=submit]").click()
    page.wait_for_url("**/visit/manage/**")
    expect(page.locator(".reference")).to_be_visible()
    shoot(page, out, "booking-confirmed", size)
    page.locator("a[href$='/change']").click()
    expect(page.locator("input[name=slot]:checked")).to_have_count(1)
    shoot(page, out, "booking-change", size)
    page.locator(".booking-submit").click()
    expect(page.locator(".flash")).to_be_visible()
    shoot(page, out, "booking-moved", size)
    page.locator("a.button-danger").click()
    expect(page.locator("button.button-danger")).to_be_visible()
    shoot(page, out, "booking-cancel", size)
    page.locator("button.button-danger").click()
    expect(page.locator("main .alert")).to_be_visible()
    shoot(page, out, "booking-cancelled", size)
    page.context.close()


def staff_page(browser, url: str, viewport: dict, email: str, landing: str,
               next_page: str | None = None):
    """A page signed in through the login form, once it has landed on `landing`."""
    page = new_page(browser, url, viewport)
    page.goto("/login" + (f"?next={next_page}" if next_page else ""))
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{landing}**")
    return page


def office(browser, url: str, size: str, viewport: dict, out: Path) -> None:
    """The office: walk-in bookings, the day's visits per desk, a check-in by QR scan; a
    visit booked from a chat in the console; the supervisors' visit figures."""
    clerk = staff_page(browser, url, viewport, "anna@okienko.local", "/console")
    clerk.goto("/office")
    for name, number in [("Jan Kowalski", "601 234 511"), ("Maria Nowak", "601 234 512"),
                         ("Adam Wiśniewski", "")]:
        clerk.fill("#walk-in-name", name)
        clerk.fill("#walk-in-phone", number)
        clerk.fill("#walk-in-email", "" if number else "adam@example.pl")
        clerk.locator(".walk-in-submit").click()
        expect(clerk.locator(".flash")).to_be_visible()
    shoot(clerk, out, "office-day", size)
    reference = clerk.locator(".visit-ref").first.inner_text()
    clerk.locator("#reference").press_sequentially("OKIENKO:" + reference)
    clerk.keyboard.press("Enter")
    expect(clerk.locator(".flash")).to_be_visible()  # arrived, or "not today" out of hours
    shoot(clerk, out, "office-check-in", size)

    clerk.goto("/console")
    expect(clerk.locator("#load")).not_to_be_empty()
    clerk.check("#presence-available")
    expect(clerk.locator("#presence-available")).to_be_checked()
    resident = new_page(browser, url, viewport)
    resident.goto("/chat")
    resident.select_option("#department", "registry")
    resident.fill("#resident-name", "Ewa Zielińska")
    resident.check("#consent")
    resident.locator("#start-form button[type=submit]").click()
    clerk.locator("#offers li button.button-primary").first.click()
    expect(clerk.locator("#workspace-body")).to_be_visible()
    clerk.locator("#visit-box summary").click()
    expect(clerk.locator("#visit-time option")).not_to_have_count(0)
    clerk.fill("#visit-phone", "601 234 513")
    clerk.locator("#visit-book").click()
    expect(clerk.locator("#visit-result")).not_to_be_empty()
    expect(clerk.locator("#reply")).not_to_have_value("")
    shoot(clerk, out, "console-book-visit", size)
    clerk.select_option("#disposition", "information_given")
    clerk.locator("#close-form button[type=submit]").click()
    expect(clerk.locator("#workspace-body")).to_be_hidden()
    resident.context.close()
    clerk.context.close()

    supervisor = staff_page(browser, url, viewport, "ewa@okienko.local", "/supervisor")
    supervisor.goto("/supervisor/bookings")
    shoot(supervisor, out, "supervisor-visit-figures", size)
    supervisor.context.close()


# Calls at any hour, and the test phone's clock button, for the "Call now" pictures.
CALLS_HUB = {"CALLBACK_HOURS": "mo-su 0:00-24:00", "CALLBACK_WINDOW_HOURS": "24", "DEV_CLOCK": "1"}


def calls(browser, url: str, size: str, viewport: dict, out: Path) -> None:
    """Anna's "Call now" for a callback, the resident's test phone ringing, then missed."""
    number = "601 234 591" if size == "desktop" else "601 234 592"
    clerk = staff_page(browser, url, viewport, "anna@okienko.local", "/console")
    expect(clerk.locator("#load")).not_to_be_empty()
    clerk.check("#presence-available")
    expect(clerk.locator("#presence-available")).to_be_checked()

    phone = new_page(browser, url, viewport)
    phone.goto("/dev/phone?number=" + number.replace(" ", ""))
    expect(phone.locator("#hub-clock")).to_be_visible()
    resident = new_page(browser, url, viewport)
    resident.goto("/callback?department=registry")
    resident.fill("#phone", number)
    resident.fill("#name", "Maria Nowak")
    resident.check("#consent")
    resident.locator("main form button[type=submit]").click()
    resident.wait_for_url("**/callback/arranged")
    resident.context.close()

    expect(clerk.locator("#offers li")).to_have_count(1)
    shoot(clerk, out, "console-callback-offer", size)
    clerk.locator("#offers li button.button-primary").click()
    expect(clerk.locator("#call-panel")).to_be_visible()
    shoot(clerk, out, "console-callback", size)
    clerk.locator("#call-now").click()
    expect(phone.locator("#incoming-call")).to_be_visible()
    expect(clerk.locator("#call-attempts li[data-status=dialling]")).to_have_count(1)
    shoot(clerk, out, "console-callback-calling", size)
    shoot(phone, out, "dev-phone-ringing", size)
    phone.locator("#call-decline").click()
    expect(clerk.locator("#workspace-meta")).not_to_be_empty()
    shoot(clerk, out, "console-callback-not-reached", size)
    expect(phone.locator("#phone-feed .msg", has_text="(")).to_have_count(1)
    shoot(phone, out, "dev-phone-missed-call", size)

    # The next try (the clock moved on a day): answered this time, then closed.
    phone.fill("#clock-minutes", "1440")
    phone.locator("#clock-form button[type=submit]").click()
    expect(clerk.locator("#offers li")).to_have_count(1)
    clerk.locator("#offers li button.button-primary").click()
    clerk.locator("#call-now").click()
    expect(phone.locator("#call-answer")).to_be_visible()
    phone.locator("#call-answer").click()
    expect(phone.locator("#call-hang-up")).to_be_visible()
    expect(clerk.locator("#call-attempts li[data-status=answered]")).to_have_count(1)
    shoot(clerk, out, "console-callback-in-call", size)
    shoot(phone, out, "dev-phone-in-call", size)
    phone.locator("#call-hang-up").click()
    expect(clerk.locator("#call-attempts li[data-status=completed]")).to_have_count(1)
    clerk.select_option("#disposition", "resolved")
    clerk.locator("#close-form button[type=submit]").click()
    expect(clerk.locator("#workspace-body")).to_be_hidden()
    for page in (clerk, phone):
        page.context.close()


def wallboard(browser, url: str, size: str, viewport: dict, out: Path) -> None:
    """The supervisor's wallboard, with residents waiting in two departments and a form."""
    residents = []
    for department in ("registry", "taxes", "registry"):
        resident = new_page(browser, url, viewport)
        resident.goto("/chat")
        resident.select_option("#department", department)
        resident.check("#consent")
        resident.locator("#start-form button[type=submit]").click()
        expect(resident.locator("#queue-status")).not_to_be_empty()
        residents.append(resident)
    feedback = residents[0]                 # a form message too: its own 24 h target
    feedback.goto("/accessibility")
    feedback.fill("#message", "Przycisk wysyłania jest za mały na telefonie.")
    feedback.locator("main form button[type=submit]").click()
    expect(feedback.locator(".flash")).to_be_visible()
    board = staff_page(browser, url, viewport, "ewa@okienko.local", "/supervisor/live",
                       next_page="/supervisor/live")
    expect(board.locator("#wallboard")).to_have_attribute("data-live", "1")
    shoot(board, out, "supervisor-wallboard", size)
    for page in (board, *residents):
        page.context.close()


def quality(browser, url: str, size: str, viewport: dict, out: Path) -> None:
    """Quality review on the demo's four weeks of history: the log searched by a word, a
    contact, the scorecard form, lists, reports and the index; admin settings; the clerk's
    reviews."""
    ewa = staff_page(browser, url, viewport, "ewa@okienko.local", "/supervisor")
    ewa.goto("/supervisor/interactions?q=zaświadczenie")
    shoot(ewa, out, "quality-log-search", size)
    ewa.locator("table tbody tr th a").first.click()
    shoot(ewa, out, "quality-interaction", size)
    for path, name in (("/supervisor/reports", "quality-reports"),
                       ("/supervisor/quality", "quality-index"),
                       ("/supervisor/review-lists", "quality-review-lists"),
                       ("/supervisor/reviews", "quality-reviews"),
                       ("/supervisor/mystery", "quality-mystery"),
                       ("/supervisor/audit", "quality-audit")):
        ewa.goto(path)
        shoot(ewa, out, name, size)
    ewa.goto("/supervisor/review-lists")
    ewa.locator("main form button[type=submit]").filter(has_text="Oceń").first.click()
    ewa.wait_for_url("**/supervisor/reviews/*")
    shoot(ewa, out, "quality-review-form", size)
    ewa.context.close()
    admin = staff_page(browser, url, viewport, "admin@okienko.local", "/supervisor")
    for path, name in (("/admin/settings", "quality-admin-settings"),
                       ("/admin/scorecards", "quality-admin-scorecards"),
                       ("/admin/privacy", "quality-admin-privacy")):
        admin.goto(path)
        shoot(admin, out, name, size)
    admin.context.close()
    anna = staff_page(browser, url, viewport, "anna@okienko.local", "/console")
    shoot(anna, out, "quality-console", size, full_page=False)
    anna.goto("/console/reviews")
    shoot(anna, out, "quality-my-reviews", size)
    anna.context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--only", help="one group of pictures, e.g. booking")
    args = parser.parse_args()
    if not os.access(CHROMIUM, os.X_OK):
        raise SystemExit(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    args.out.mkdir(parents=True, exist_ok=True)
    # callbacks first (no clerk on duty yet); wallboard last (its residents stay queued).
    groups = [g for g in (callbacks, booking, session, office, wallboard, quality)
              if args.only in (None, g.__name__)]
    if groups:
        with running_hub() as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for group in groups:
                    for size, viewport in VIEWPORTS.items():
                        group(browser, url, size, viewport, args.out)
            finally:
                browser.close()
    if args.only in (None, "calls"):
        with running_hub(**CALLS_HUB) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for size, viewport in VIEWPORTS.items():
                    calls(browser, url, size, viewport, args.out)
            finally:
                browser.close()

if __name__ == "__main__":
    main()

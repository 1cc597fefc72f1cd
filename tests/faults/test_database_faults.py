"""The database is briefly locked or down: every request is refused with a clear message in
the user's language (HTTP 503, or the ack code "unavailable"), never a 500 or a hang, nothing
is half-written, and the same request works once the database answers again.

SQLite is locked by another connection holding a write transaction longer than the hub's busy
timeout (300 ms in process, 1 s for a live hub); PostgreSQL is stopped and started again.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
import requests
from flask_babel import force_locale
from playwright.sync_api import expect
from sqlalchemy import func, select

from channels.models import OutboxEntry
from hub import clock, create_app
from hub.booking.models import Booking, SlotClaim
from hub.extensions import db
from hub.interactions.models import Interaction, InteractionEvent, Message
from hub.outages import MESSAGE
from hub.queue import router
from tests.browser.conftest import start_chat as start_chat_in_page
from tests.conftest import ANNA, PASSWORD, _prepare, emit, received
from tests.faults.conftest import TIMEOUT, Clerk, Resident, RestartablePostgres

BUSY_MS = 300
# A live hub's own threads write too (the sweep, sign-ins): on a loaded machine one of them
# can hold the lock past 300 ms, so the live hubs wait a little longer before refusing.
LIVE_BUSY_MS = 1000
# Another connection's lock is SQLite's fault, even when TEST_DATABASE=postgresql.
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
# A refusal comes after the busy timeout (and perhaps a retry or two of it), never a hang.
REFUSED_WITHIN = 5.0


@pytest.fixture
def settings(settings):
    return {**settings, "SQLITE_BUSY_TIMEOUT_MS": BUSY_MS, "JOBS_ASYNC": False,
            "JOB_RETRY_INTERVALS": ()}


@pytest.fixture
def mid_january(app):
    """A plain Wednesday morning, so the booking office is open and has free times."""
    clock.advance((datetime(2027, 1, 13, 9, 58) - clock.utcnow()).total_seconds())


@contextmanager
def locked(database_url: str) -> Iterator[None]:
    """Another connection holds the SQLite write lock (as a long migration or a backup tool
    would) until the block ends."""
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0,
                             isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def expected(app, lang: str) -> str:
    with app.test_request_context(), force_locale(lang):
        return str(MESSAGE)


def counts(app) -> dict[str, int]:
    """How many rows each table a refused request could have touched holds."""
    with app.app_context():
        found = {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                 for model in (Interaction, Message, InteractionEvent, Booking, SlotClaim,
                               OutboxEntry)}
        db.session.remove()
        return found


def queue_of(app, department: str) -> list[int]:
    with app.app_context():
        return router().waiting(department)


def offer_state(app, interaction_id: int) -> tuple[int | None, list[int], int]:
    """(the clerk the open offer names, that clerk's offers, their accepted conversations)."""
    with app.app_context():
        clerk = router().offer_of(interaction_id)
        return clerk, router().clerk_offers(clerk), router().clerk_load(clerk)[0]


@contextmanager
def timed(limit: float = REFUSED_WITHIN) -> Iterator[None]:
    began = time.monotonic()
    yield
    assert time.monotonic() - began < limit, "answered too late"


def start_chat(resident, lang: str = "pl") -> tuple[object, dict]:
    sio = resident(lang)
    answer = emit(sio, "/chat", "start", {"department": "registry", "name": "Jan",
                                          "consent": True})
    assert answer["ok"], answer
    return sio, answer


def refused(answer: dict, app, lang: str) -> None:
    assert answer == {"ok": False, "code": "unavailable", "error": expected(app, lang)}


# -- SQLite locked, in process -------------------------------------------------------------


@ON_SQLITE
def test_a_resident_is_told_to_retry_and_nothing_is_stored_until_the_lock_goes(
        app, resident, database_url):
    """Is a resident's chat start or message refused clearly while the database is locked,
    with no row, event or queue place left behind, and does the resend then work once?"""
    sio, started = start_chat(resident, "en")
    token = started["token"]
    waiting = queue_of(app, "registry")
    before = counts(app)
    other = resident("pl")

    with locked(database_url):
        with timed():
            refused(emit(sio, "/chat", "message",
                         {"token": token, "client_id": "c1", "body": "Hello"}), app, "en")
        with timed():
            refused(emit(other, "/chat", "start",
                         {"department": "registry", "name": "Ewa", "consent": True}), app, "pl")

    assert counts(app) == before
    assert queue_of(app, "registry") == waiting
    assert received(sio, "/chat", "message") == []  # nothing delivered for the refusal
    again = emit(sio, "/chat", "message", {"token": token, "client_id": "c1", "body": "Hello"})
    assert again["ok"], again
    assert emit(sio, "/chat", "message",
                {"token": token, "client_id": "c1", "body": "Hello"})["ok"]  # a lost ack
    after = counts(app)
    assert (after["Message"], after["InteractionEvent"]) == (
        before["Message"] + 1, before["InteractionEvent"] + 1)
    assert emit(other, "/chat", "start",
                {"department": "registry", "name": "Ewa", "consent": True})["ok"]


@ON_SQLITE
def test_a_clerk_accept_and_reply_are_refused_and_the_offer_stays_theirs(
        app, resident, staff, database_url):
    """Does a refused accept leave the offer with the clerk (in Redis and in the record), and
    a refused reply leave no message, so both simply work when tried again?"""
    anna = staff(ANNA)
    assert emit(anna, "/staff", "presence", {"status": "available"})["ok"]
    sio, started = start_chat(resident)
    interaction_id = started["status"]["interaction_id"]
    assert [o["id"] for o in received(anna, "/staff", "offer")] == [interaction_id]
    offered = offer_state(app, interaction_id)
    assert offered[1:] == ([interaction_id], 0)
    before = counts(app)

    with locked(database_url), timed():
        refused(emit(anna, "/staff", "accept", {"interaction_id": interaction_id}), app, "pl")

    assert counts(app) == before
    assert offer_state(app, interaction_id) == offered  # still offered, not held as accepted
    with app.app_context():
        assert db.session.get(Interaction, interaction_id).state == "offered"
    accepted = emit(anna, "/staff", "accept", {"interaction_id": interaction_id})
    assert accepted["ok"], accepted
    received(sio, "/chat", "message")
    before = counts(app)

    with locked(database_url), timed():
        refused(emit(anna, "/staff", "reply",
                     {"interaction_id": interaction_id, "body": "Dzień dobry"}), app, "pl")

    assert counts(app) == before
    assert received(sio, "/chat", "message") == []
    assert emit(anna, "/staff", "reply",
                {"interaction_id": interaction_id, "body": "Dzień dobry"})["ok"]
    assert [m["body"] for m in received(sio, "/chat", "message")] == ["Dzień dobry"]


@ON_SQLITE
@pytest.mark.parametrize("lang", ["pl", "en"])
def test_a_booking_through_the_api_is_refused_with_503_and_no_slot_is_taken(
        app, client, database_url, lang, mid_january):
    """Does the portal get 503 + Retry-After and the message in its language, with no
    booking, slot claim or code message written, and does the same request then succeed?"""
    listing = client.get("/api/v1/services/dowod-osobisty/offices/ratusz/slots").json["slots"]
    body = {"service": "dowod-osobisty", "office": "ratusz",
            "starts_at": listing[0]["starts_at"], "name": "Jan Kowalski",
            "phone": "601 234 567", "language": lang}
    headers = {"Idempotency-Key": "portal-1"}
    url = f"/api/v1/bookings?lang={lang}"  # the API's language, as everywhere: ?lang=
    before = counts(app)

    with locked(database_url), timed():
        response = client.post(url, json=body, headers=headers)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json == {"error": {"code": "unavailable", "message": expected(app, lang)}}
    assert counts(app) == before
    made = client.post(url, json=body, headers=headers)
    assert made.status_code == 201, made.json
    assert made.json["state"] == "held"
    after = counts(app)
    assert (after["Booking"], after["OutboxEntry"]) == (before["Booking"] + 1,
                                                         before["OutboxEntry"] + 1)


@ON_SQLITE
def test_the_booking_form_shows_a_polite_page_and_holds_nothing(
        app, client, database_url, mid_january):
    """Does the resident's booking form answer with the 'briefly unavailable' page in Polish,
    and hold the time once they send it again?"""
    from tests.booking.test_pages import free_time

    form = {**free_time(client), "name": "Jan Kowalski", "phone": "601 234 567"}
    before = counts(app)

    with locked(database_url), timed():
        response = client.post("/visit/dowod-osobisty", data=form)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    page = response.get_data(as_text=True)
    assert expected(app, "pl") in page and 'role="alert"' in page
    assert counts(app) == before
    held = client.post("/visit/dowod-osobisty", data=form)
    assert held.status_code == 303 and "/visit/code/" in held.location


@ON_SQLITE
def test_staff_sign_in_is_refused_and_leaves_nobody_signed_in(app, client, database_url):
    """Is a sign-in during the lock refused in English, without a session or an audit
    entry, and does the same sign-in work after?"""
    credentials = {"email": ANNA, "password": PASSWORD}
    before = counts(app)

    with locked(database_url), timed():
        response = client.post("/login?lang=en", data=credentials)

    assert response.status_code == 503
    assert expected(app, "en") in response.get_data(as_text=True)
    assert counts(app) == before
    assert client.get("/console").status_code == 302  # still signed out
    assert client.post("/login", data=credentials).status_code == 302
    assert client.get("/console").status_code == 200


@ON_SQLITE
def test_readiness_while_locked_and_reads_still_answer(client, database_url):
    """What do the probes say while another connection holds the write lock? SQLite in WAL
    mode still answers reads, so the hub stays ready and pages that only read still work."""
    with locked(database_url), timed():
        ready = client.get("/readyz")
        services = client.get("/api/v1/services")

    assert ready.status_code == 200 and ready.json["database"] == "ok"
    assert services.status_code == 200


# -- SQLite locked, a real process -----------------------------------------------------------


def test_a_live_hub_refuses_within_bounds_and_stays_responsive(live_hubs, closing):
    """In a real hub process, does a locked write come back as 'unavailable' within a bound
    while other requests are still answered, and does the resent message arrive once?"""
    (hub,) = live_hubs(1, SQLITE_BUSY_TIMEOUT_MS=str(LIVE_BUSY_MS))
    anna = closing(Clerk(hub.url, ANNA))
    assert anna.call("presence", {"status": "available"})["ok"]
    jan = closing(Resident(hub.url))
    assert jan.start(name="Jan")["ok"]
    anna.wait_until(lambda: any(o["id"] == jan.interaction_id for o in anna.offers),
                    what="Anna's offer")
    assert anna.call("accept", {"interaction_id": jan.interaction_id})["ok"]
    client_id = "typed-once"

    with locked(hub.env["DATABASE_URL"]):
        with timed():
            answer = jan.call("message", {"token": jan.token, "body": "Still there?",
                                          "client_id": client_id})
        with timed(2):
            assert requests.get(hub.url + "/healthz", timeout=TIMEOUT).status_code == 200

    assert answer == {"ok": False, "code": "unavailable",
                      "error": "The service is briefly unavailable. Please try again in a moment."}
    assert not anna.sees("Still there?")
    again = jan.call("message", {"token": jan.token, "body": "Still there?",
                                 "client_id": client_id})
    assert again["ok"], again
    anna.wait_until(lambda: anna.sees("Still there?"), what="the resent message")
    assert [m["body"] for m in anna.messages.values()].count("Still there?") == 1


def test_the_chat_page_keeps_a_refused_message_and_sends_it_once_the_lock_goes(
        live_hubs, contexts, closing):
    """Does the resident's page keep what they typed when the hub answers 'unavailable',
    say it is not sent yet, and send it by itself (once) when the database is back?"""
    (hub,) = live_hubs(1, SQLITE_BUSY_TIMEOUT_MS=str(LIVE_BUSY_MS))
    anna = closing(Clerk(hub.url, ANNA))
    assert anna.call("presence", {"status": "available"})["ok"]
    page = contexts.new_page(hub.url)
    page.goto("/chat")
    start_chat_in_page(page)
    anna.wait_until(lambda: anna.offers, what="Anna's offer")
    assert anna.call("accept", {"interaction_id": anna.offers[0]["id"]})["ok"]
    will_retry = json.loads(page.locator("#chat-i18n").text_content())["will_retry"]
    text = "Czy ktoś tam jest?"
    mine = page.locator("#transcript .msg-in", has_text=text)

    with locked(hub.env["DATABASE_URL"]):
        page.fill("#message", text)
        page.press("#message", "Enter")
        expect(mine.locator(".meta")).to_have_text(will_retry)
        assert not anna.sees(text)

    expect(mine).not_to_have_class(re.compile(r"\bpending\b"))  # the first retry: 2 s
    expect(mine).to_have_count(1)
    anna.wait_until(lambda: anna.sees(text), what="the retried message")
    assert [m["body"] for m in anna.messages.values()].count(text) == 1
    expect(page.locator("#chat-alert")).to_be_empty()


# -- PostgreSQL stopped and started again ---------------------------------------------------


@pytest.fixture
def stopping_postgres(redis_url):
    cluster = RestartablePostgres()
    try:
        url = f"{cluster.url}/{cluster.new_database()}"
        _prepare(url, redis_url, demo=True)
        cluster.url_for_test = url
        yield cluster
    finally:
        cluster.stop()


def test_postgres_down_is_503_and_the_same_request_works_after_a_restart(
        stopping_postgres, settings):
    """With PostgreSQL stopped, are requests and the readiness probe 503 with the message,
    and after it starts again does the same request work (stale connections replaced)?"""
    app = create_app({**settings, "SQLALCHEMY_DATABASE_URI": stopping_postgres.url_for_test})
    client = app.test_client()
    assert client.get("/api/v1/services?lang=en").status_code == 200  # a pooled connection

    stopping_postgres.stop_server()
    with timed():
        down = client.get("/api/v1/services?lang=en")
        page = client.get("/visit/dowod-osobisty?lang=pl")
        ready = client.get("/readyz")

    assert down.status_code == 503 and down.headers["Retry-After"] == "5"
    assert down.json == {"error": {"code": "unavailable", "message": expected(app, "en")}}
    assert page.status_code == 503 and expected(app, "pl") in page.get_data(as_text=True)
    assert ready.status_code == 503 and ready.json["database"].startswith("error")

    stopping_postgres.start_server()
    assert client.get("/readyz").status_code == 200
    back = client.get("/api/v1/services?lang=en")
    assert back.status_code == 200 and back.json["services"]

    # A restart between two requests: the pooled connection it cut is replaced unseen.
    stopping_postgres.stop_server()
    stopping_postgres.start_server()
    assert client.get("/api/v1/services?lang=en").status_code == 200
    with app.app_context():
        db.engine.dispose()

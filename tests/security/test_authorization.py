"""Authorization, by construction: every route in app.url_map is either public (listed below,
each with its reason) or a staff route with a minimum role, and a new route fails
test_every_route_is_classified until it is put in one of the two lists. Staff routes are
refused without login and with a role below their minimum; every /staff Socket.IO event is
refused without a signed-in staff session; a resident's token opens only its own
conversation, and a booking link only its own booking."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from werkzeug.routing import IntegerConverter

from hub.extensions import socketio
from tests.booking.test_api import travel_to
from tests.conftest import ADMIN, ANNA, EWA, emit, login

# Public endpoints, each with the reason no login is needed.
PUBLIC = {
    "static": "CSS, JS and images",
    "accounts.login": "the login form itself",
    "health.healthz": "liveness probe for the load balancer, says nothing but ok",
    "health.readyz": "readiness probe (DB and Redis reachable), no data",
    "metrics.scrape": "for the monitoring system: METRICS_TOKEN, else loopback only; "
                      "aggregate figures, no personal data (tests/test_metrics.py)",
    # Resident pages: residents have no account.
    "resident.home": "resident start page", "resident.city": "resident city page",
    "resident.chat": "the chat widget; the conversation is opened by a signed token",
    "resident.accessibility": "accessibility statement and feedback form",
    "resident.transcript": "needs the resident's signed token (X-Resident-Token)",
    # Visit booking: the catalogue is public, a booking is opened by its signed link token.
    "booking.index": "catalogue of matters", "booking.matter": "a matter's free times",
    "booking.hold_visit": "holds a slot, confirmed by a code sent to the resident",
    "booking.code": "signed booking token", "booking.again": "signed booking token",
    "booking.manage": "signed booking token", "booking.change": "signed booking token",
    "booking.cancel_visit": "signed booking token", "booking.ics": "signed booking token",
    "booking.qr": "signed booking token", "visit_rating.rate": "signed rating token",
    # Call back requests from residents.
    "callbacks.ask": "resident form", "callbacks.submit": "resident form (rate-limited)",
    "callbacks.arranged": "confirmation page", "callbacks.cancel_page": "signed token",
    # Public JSON API for the city's portal (rate-limited, tokens for bookings).
    "api.services": "catalogue", "api.offices": "offices and hours",
    "api.slots": "free slots", "api.create_booking": "hold, confirmed by code",
    "api.get_booking": "signed booking token", "api.confirm_booking": "signed booking token",
    "api.cancel_booking": "signed booking token", "api.openapi": "the API's description",
    # Twilio webhooks: authenticated by the X-Twilio-Signature check, not by a session.
    "sms.inbound": "Twilio signature", "sms.status": "Twilio signature",
    "voice.inbound": "Twilio signature", "voice.menu": "Twilio signature",
    "voice.status": "Twilio signature", "voice.dialled": "Twilio signature",
    "voice.bridge": "Twilio signature", "voice.resident_answered": "Twilio signature",
    # The simulated phone exists only without Twilio credentials (development, DEV_PHONE=0
    # switches it off); it stands in for a resident's handset.
    "dev_phone.page": "dev only", "dev_phone.feed": "dev only", "dev_phone.send": "dev only",
    "dev_phone.call_action": "dev only", "dev_phone.move_clock": "dev only",
}
# Signed in, any role: signing out.
ANY_STAFF = {"accounts.logout"}
SUPERVISOR_PREFIXES = ("log.", "supervisor.", "reports.", "canned.", "review_lists.")
ADMIN_PREFIXES = ("admin.", "booking_admin.", "privacy.", "scorecards.")
CLERK = {"console.index", "office.index", "office.check_in", "office.walk_in",
         "office.visit_action", "review.my_reviews", "review.respond"}
SUPERVISOR = {"review.index", "review.edit", "review.resolve", "review.start"}


def minimum_role(endpoint: str) -> str | None:
    if endpoint in CLERK:
        return "clerk"
    if endpoint in SUPERVISOR or endpoint.startswith(SUPERVISOR_PREFIXES):
        return "supervisor"
    if endpoint.startswith(ADMIN_PREFIXES):
        return "admin"
    return None


BELOW = {"clerk": [], "supervisor": [ANNA], "admin": [ANNA, EWA]}
AT = {"clerk": ANNA, "supervisor": EWA, "admin": ADMIN}


def staff_requests(app):
    """(endpoint, method, url, minimum role) for every staff route, ids filled with 1."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        values = {name: 1 if isinstance(rule._converters[name], IntegerConverter) else "x"
                  for name in rule.arguments}
        url = rule.build(values)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url, minimum_role(rule.endpoint)


def test_every_route_is_classified(app):
    unclassified = [rule.endpoint for rule in app.url_map.iter_rules()
                    if rule.endpoint not in PUBLIC and rule.endpoint not in ANY_STAFF
                    and minimum_role(rule.endpoint) is None]
    assert not unclassified, f"classify these as public or give them a role: {unclassified}"


def _refused_anonymous(response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_staff_routes_refuse_anonymous(app):
    http = app.test_client()
    let_through = []
    assert len(list(staff_requests(app))) > 60
    for endpoint, method, url, _ in staff_requests(app):
        response = http.open(url, method=method, data={})
        if not _refused_anonymous(response):
            let_through.append((endpoint, method, url, response.status_code))
    assert not let_through


def test_staff_routes_refuse_a_role_too_low(app):
    clients = {email: login(app, email) for email in (ANNA, EWA)}
    let_through = []
    for endpoint, method, url, role in staff_requests(app):
        for email in BELOW.get(role, []):
            response = clients[email].open(url, method=method, data={})
            if response.status_code != 403:
                let_through.append((endpoint, method, url, email, response.status_code))
    assert not let_through


def test_the_minimum_role_is_enough_to_open_staff_pages(app):
    """The table above is not stricter than the app: each page opens with its minimum role
    (so a route wrongly guarded by a higher role, or listed too low here, shows up)."""
    clients = {email: login(app, email) for email in (ANNA, EWA, ADMIN)}
    refused, checked = [], 0
    for endpoint, method, url, role in staff_requests(app):
        if method != "GET" or role is None:
            continue
        checked += 1
        response = clients[AT[role]].get(url)
        if response.status_code in (401, 403) or "/login" in response.headers.get("Location", ""):
            refused.append((endpoint, url, response.status_code))
    assert checked > 25 and not refused


# -- Socket.IO -------------------------------------------------------------------------------


def staff_events() -> list[str]:
    events = socketio.server.handlers["/staff"]
    return sorted(e for e in events if e not in ("connect", "disconnect"))


def test_staff_socket_refuses_anonymous_connection(app):
    assert not socketio.test_client(app, namespace="/staff").is_connected("/staff")


def test_staff_socket_refuses_a_resident_chat_session(app, resident):
    """A resident's browser (chat socket open, no login) cannot join /staff either."""
    chat = resident()
    assert emit(chat, "/chat", "start", {"department": "registry", "consent": True}) is not None
    sio = socketio.test_client(app, namespace="/staff", flask_test_client=app.test_client())
    assert not sio.is_connected("/staff")


def test_every_staff_event_is_refused_once_the_session_is_signed_out(app, staff):
    """Defence in depth: each /staff event checks the session itself, so a socket whose
    login has gone (signed out in another tab, account removed) can do nothing."""
    sio = staff(ANNA)
    events = staff_events()
    assert {"accept", "reply", "note", "close", "wallboard", "canned", "book_visit",
            "rtc_invite"} <= set(events)
    environ = socketio.server.environ[sio.eio_sid]
    environ["saved_session"].pop("_user_id", None)
    answers = {event: emit(sio, "/staff", event, {"interaction_id": 1, "body": "x"})
               for event in events}
    allowed = {e: a for e, a in answers.items()
               if not (isinstance(a, dict) and a.get("ok") is False
                       and a.get("error") == "unauthorized")}
    assert not allowed


def test_supervisor_events_refuse_a_clerk(app, staff):
    answer = emit(staff(ANNA), "/staff", "wallboard")
    assert answer["ok"] is False and answer["code"] == "supervisors_only"
    assert emit(staff(EWA), "/staff", "wallboard")["ok"] is True


# -- residents' tokens -------------------------------------------------------------------------


def _start(resident, name: str):
    sio = resident()
    answer = emit(sio, "/chat", "start", {"department": "registry", "consent": True, "name": name})
    assert answer["ok"], answer
    return sio, answer["token"], answer["status"]["interaction_id"]


@pytest.fixture
def two_residents(resident):
    return _start(resident, "Alicja"), _start(resident, "Bartek")


def _forged(token: str, other_id: int) -> list[str]:
    """Tokens an attacker can make from their own: another id in the payload, tampered."""
    signature = token.rpartition(".")[2]
    return [_tampered(token), f"{other_id}.{signature}", re.sub(r"\d", "1", token), "", "null"]


def _tampered(token: str) -> str:
    """The signature's first character changed (the last one may only carry padding bits)."""
    head, _, signature = token.rpartition(".")
    return f"{head}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


def chat_events() -> list[str]:
    """Every /chat event but start (which opens a new conversation) acts through a token."""
    events = socketio.server.handlers["/chat"]
    return sorted(e for e in events if e not in ("connect", "disconnect", "start"))


def test_a_resident_cannot_use_a_forged_token(app, two_residents):
    (alicja, token_a, id_a), (bartek, token_b, id_b) = two_residents
    assert {"resume", "message", "typing", "leave", "rate", "rtc_accept"} <= set(chat_events())
    for bad in _forged(token_b, id_a):
        for event in chat_events():
            answer = emit(bartek, "/chat", event,
                          {"token": bad, "interaction_id": id_a, "body": "hi", "stars": 5})
            assert answer["ok"] is False and answer["code"] == "bad_token", (event, bad)


def test_an_interaction_id_beside_a_token_changes_nothing(app, two_residents):
    """The interaction comes from the signed token only: naming another id does not reach it."""
    (alicja, token_a, id_a), (bartek, token_b, id_b) = two_residents
    resumed = emit(bartek, "/chat", "resume", {"token": token_b, "interaction_id": id_a})
    assert resumed["ok"] and resumed["status"]["interaction_id"] == id_b
    sent = emit(bartek, "/chat", "message",
                {"token": token_b, "interaction_id": id_a, "body": "Bartek pisze"})
    assert sent["ok"]
    again = emit(alicja, "/chat", "resume", {"token": token_a})
    assert all("Bartek pisze" not in (m.get("body") or "") for m in again["messages"])
    received = [e for e in alicja.get_received("/chat") if e["name"] == "message"]
    assert all("Bartek" not in str(e["args"]) for e in received)


def test_transcript_needs_the_residents_own_token(app, two_residents):
    (alicja, token_a, id_a), (bartek, token_b, id_b) = two_residents
    http = app.test_client()
    assert http.get("/chat/transcript").status_code == 403
    for bad in _forged(token_b, id_a):
        assert http.get("/chat/transcript", headers={"X-Resident-Token": bad}
                        ).status_code == 403
    own = http.get("/chat/transcript", headers={"X-Resident-Token": token_a})
    assert own.status_code == 200 and f"okienko-{id_a}" in own.headers["Content-Disposition"]


def _book(client, starts_at: str, name: str) -> dict:
    response = client.post("/api/v1/bookings", json={
        "service": "dowod-osobisty", "office": "ratusz", "starts_at": starts_at, "name": name,
        "phone": "601 234 567" if name == "Alicja" else "602 345 678"})
    assert response.status_code == 201, response.json
    return response.json


def test_a_booking_link_opens_only_its_own_booking(app, client):
    travel_to(datetime(2027, 1, 13, 9, 58))  # a plain Wednesday; the app fixture resets it
    slots = client.get("/api/v1/services/dowod-osobisty/offices/ratusz/slots").json["slots"]
    alicja = _book(client, slots[0]["starts_at"], "Alicja")
    bartek = _book(client, slots[1]["starts_at"], "Bartek")
    forged = [alicja["reference"], _tampered(bartek["token"]), re.sub(r"\d", "1", bartek["token"]),
              f"{alicja['reference']}.{bartek['token'].rpartition('.')[2]}"]
    for bad in forged:
        assert client.get(f"/api/v1/bookings/{bad}").status_code == 404
        assert client.post(f"/api/v1/bookings/{bad}/cancel", json={}).status_code == 404
        assert client.post(f"/api/v1/bookings/{bad}/confirm", json={"code": "123456"}
                           ).status_code == 404
        for page in ("manage", "manage/{}/cancel", "manage/{}/visit.ics", "code"):
            url = f"/visit/{page.format(bad)}" if "{}" in page else f"/visit/{page}/{bad}"
            assert client.get(url).status_code == 404, url
        assert client.get(f"/visit/rate/{bad}").status_code == 404
    assert client.get(f"/api/v1/bookings/{alicja['reference']}").status_code == 404
    own = client.get(f"/api/v1/bookings/{bartek['token']}")
    assert own.status_code == 200 and own.json["name"] == "Bartek"
    assert client.get(f"/api/v1/bookings/{alicja['token']}").json["state"] == "held"


def test_twilio_webhooks_refuse_unsigned_and_badly_signed_requests(app):
    """The webhooks listed as public are guarded by Twilio's signature instead of a login."""
    http = app.test_client()
    hooks = [rule for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith(("sms.", "voice."))]
    assert len(hooks) >= 8
    form = {"From": "+48601234567", "To": "+48221234567", "Body": "STOP", "CallSid": "CA1",
            "MessageSid": "SM1", "CallStatus": "completed", "Digits": "1"}
    for rule in hooks:
        url = rule.build({name: 1 for name in rule.arguments})[1]
        for headers in ({}, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}):
            response = http.post(url, data=form, headers=headers)
            assert response.status_code == 403, (url, headers, response.status_code)

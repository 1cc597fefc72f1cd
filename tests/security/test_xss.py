"""Hostile text is shown as text: script and attribute-breaking payloads in residents' names
and messages, clerks' notes, canned answers, booking names and the catalogue's service texts
come out escaped on every page that shows them, and the browser code never turns received
data into HTML. Also: CSRF on staff forms, login throttling, production session cookies."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import select

from hub.booking.models import Office
from hub.canned.models import CannedResponse
from hub.extensions import db
from hub.interactions.models import Interaction
from tests.booking.test_admin import department_id, service_form
from tests.booking.test_office import to_working_morning, visit
from tests.conftest import ADMIN, ANNA, EWA, PASSWORD, emit, login, make_app, received

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
PAYLOADS = (SCRIPT, ATTRIBUTE)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(settings):
    return {**settings, "JOBS_ASYNC": False, "JOB_RETRY_INTERVALS": ()}


def assert_text(page: str, payload: str, *, shown: bool = True) -> None:
    """The payload never reaches the page as markup; when shown, it is there escaped."""
    assert payload not in page
    assert "<script>alert" not in page and "<img src=x" not in page
    if shown:
        assert str(escape(payload)) in page, f"{payload!r} not shown on the page"


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# -- conversations: resident's name and message, clerk's note ----------------------------------


@pytest.mark.parametrize("payload", PAYLOADS, ids=["script", "attribute"])
def test_resident_name_message_and_clerk_note_are_text(app, resident, staff, payload):
    anna = staff(ANNA)
    assert emit(anna, "/staff", "presence", {"status": "available"})["ok"]
    chat = resident()
    started = emit(chat, "/chat", "start", {"department": "registry", "consent": True,
                                            "name": f"Jan {payload}"})
    assert started["ok"], started
    assert emit(chat, "/chat", "message", {"token": started["token"],
                                           "body": f"Pytanie {payload} paszport"})["ok"]
    interaction_id = received(anna, "/staff", "offer")[0]["id"]
    assert emit(anna, "/staff", "accept", {"interaction_id": interaction_id})["ok"]
    assert emit(anna, "/staff", "note", {"interaction_id": interaction_id,
                                         "body": f"Notatka {payload}"})["ok"]
    assert emit(anna, "/staff", "reply", {"interaction_id": interaction_id,
                                          "body": f"Odpowiedź {payload}"})["ok"]
    assert emit(anna, "/staff", "close", {"interaction_id": interaction_id,
                                          "disposition": "resolved"})["ok"]
    with app.app_context():
        assert db.session.get(Interaction, interaction_id).resident_name == f"Jan {payload}"

    ewa = login(app, EWA)
    page = html(ewa.get(f"/supervisor/interactions/{interaction_id}"))
    for text in (f"Jan {payload}", f"Pytanie {payload} paszport", f"Notatka {payload}",
                 f"Odpowiedź {payload}"):
        assert_text(page, text)
    # The log's search snippet marks the hit and escapes the rest.
    found = html(ewa.get("/supervisor/interactions", query_string={"q": "paszport"}))
    assert_text(found, payload)
    assert "<mark>paszport</mark>" in found
    assert_text(html(ewa.get("/supervisor/interactions")), payload, shown=False)
    assert_text(html(ewa.get("/supervisor")), payload, shown=False)
    assert_text(html(login(app, ANNA).get("/console")), payload, shown=False)


def test_browser_code_never_parses_received_text_as_html():
    """The console, chat and wallboard pages get names and messages over Socket.IO: our
    scripts must insert them with textContent, never as HTML."""
    sinks = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|"
                       r"createContextualFragment|DOMParser|\beval\(|new Function")
    found = [f"{path.name}:{n}" for path in sorted((ROOT / "static" / "js").glob("*.js"))
             for n, line in enumerate(path.read_text().splitlines(), 1) if sinks.search(line)]
    assert not found


# -- canned answers ---------------------------------------------------------------------------


def test_canned_answer_is_text(app, staff, resident):
    ewa = login(app, EWA)
    created = ewa.post("/supervisor/canned/new", data={
        "department_id": "", "language": "pl", "shortcut": "xss",
        "title": f"Tytuł {SCRIPT}", "body": f"Treść {ATTRIBUTE}"})
    assert created.status_code == 302, created.get_data(as_text=True)
    page = html(ewa.get("/supervisor/canned"))
    assert_text(page, f"Tytuł {SCRIPT}")
    newest = max(map(int, re.findall(r'href="/supervisor/canned/(\d+)"', page)))
    assert_text(html(ewa.get(f"/supervisor/canned/{newest}")), f"Treść {ATTRIBUTE}")


# -- bookings ---------------------------------------------------------------------------------


def test_booking_name_is_text_on_the_residents_and_the_offices_pages(app, client):
    morning = to_working_morning()
    booked = visit(app, morning + timedelta(hours=2), name=f"Jan {ATTRIBUTE}")
    anna = login(app, ANNA)
    office = html(anna.get("/office"))
    assert booked.reference in office
    assert_text(office, f"Jan {ATTRIBUTE}")
    assert_text(html(login(app, EWA).get("/supervisor/bookings")), ATTRIBUTE, shown=False)

    slots = client.get("/api/v1/services/dowod-osobisty/offices/ratusz/slots").json["slots"]
    held = client.post("/api/v1/bookings", json={
        "service": "dowod-osobisty", "office": "ratusz", "starts_at": slots[-1]["starts_at"],
        "name": f"Ola {SCRIPT}", "phone": "601 234 568"})
    assert held.status_code == 201 and held.json["name"] == f"Ola {SCRIPT}"
    assert held.is_json  # JSON, never HTML: the portal must insert it as text
    for path in (f"/visit/code/{held.json['token']}", f"/visit/manage/{held.json['token']}"):
        response = client.get(path, follow_redirects=True)
        assert_text(html(response), f"Ola {SCRIPT}", shown=False)


# -- the catalogue ----------------------------------------------------------------------------


def test_service_texts_from_the_admin_catalogue_are_text(app, client):
    with app.app_context():
        ratusz = db.session.scalar(select(Office.id).where(Office.code == "ratusz"))
    admin = login(app, ADMIN)
    form = service_form([ratusz], department=department_id(app), code="xss-test",
                        name_pl=f"Sprawa {SCRIPT}", name_en=f"Matter {SCRIPT}",
                        fee_pl=f"Opłata {ATTRIBUTE}", fee_en=f"Fee {ATTRIBUTE}",
                        **{"doc-0-name_pl": f"Dokument {ATTRIBUTE}",
                           "doc-1-note_pl": f"Uwaga {SCRIPT}"})
    created = admin.post("/admin/booking/services/new", data=form)
    assert created.status_code == 302, created.get_data(as_text=True)

    assert_text(html(admin.get("/admin/booking")), f"Sprawa {SCRIPT}")
    assert_text(html(admin.get(created.headers["Location"])), f"Dokument {ATTRIBUTE}")
    assert_text(html(client.get("/visit")), f"Sprawa {SCRIPT}")
    matter = html(client.get("/visit/xss-test"))
    for text in (f"Sprawa {SCRIPT}", f"Dokument {ATTRIBUTE}", f"Uwaga {SCRIPT}"):
        assert_text(matter, text)
    api = client.get("/api/v1/services").json["services"]
    assert any(s["name"] == f"Sprawa {SCRIPT}" for s in api)


# -- CSRF, throttling, cookies ----------------------------------------------------------------


def test_staff_form_posts_without_a_csrf_token_are_refused(settings):
    app = make_app(settings, WTF_CSRF_ENABLED=True)
    http = app.test_client()
    page = http.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                      r'name="csrf_token" value="([^"]+)"', page)
    assert token, "the login form carries a CSRF token"
    signed_in = http.post("/login", data={"email": EWA, "password": PASSWORD,
                                          "csrf_token": token.group(1) or token.group(2)})
    assert signed_in.status_code == 302
    # Signed in, but a form posted from elsewhere carries no token: refused, nothing made.
    for path, data in (("/supervisor/canned/new", {"language": "pl", "shortcut": "csrf",
                                                   "title": "CSRF", "body": "CSRF"}),
                       ("/logout", {}), ("/supervisor/review-lists/draw", {})):
        assert http.post(path, data=data).status_code == 400, path
    with app.app_context():
        assert db.session.scalar(select(CannedResponse).where(CannedResponse.shortcut == "csrf")) \
            is None


def test_login_is_throttled(settings):
    app = make_app(settings, RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute",
                   RATELIMIT_KEY_PREFIX=settings["REDIS_PREFIX"])
    # Its own address: Flask-Limiter keeps the first app's key prefix for every later app
    # of the process, so another test's login attempts from 127.0.0.1 would count here.
    http = app.test_client()
    http.environ_base["REMOTE_ADDR"] = "192.0.2.42"
    codes = [http.post("/login", data={"email": ANNA, "password": "x"}).status_code
             for _ in range(5)]
    assert codes[:3] == [400, 400, 400] and codes[3:] == [429, 429]
    # Even the right password waits out the limit: guessing cannot be hidden among successes.
    assert http.post("/login", data={"email": ANNA, "password": PASSWORD}).status_code == 429


def test_session_cookie_is_secure_httponly_samesite_in_production(settings, monkeypatch):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    app = make_app({k: v for k, v in settings.items() if not k.startswith("SESSION_")})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().post("https://localhost/login",
                                      data={"email": ANNA, "password": PASSWORD})
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert "secure" in flags and "httponly" in flags
    assert flags["samesite"].lower() in ("samesite=lax", "samesite=strict")


def test_sockets_are_refused_to_pages_of_other_sites(client):
    """Cross-site WebSocket hijacking: a page elsewhere cannot open the hub's sockets."""
    handshake = "/socket.io/?EIO=4&transport=polling"
    evil = client.get(handshake, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 400 and b"Not an accepted origin" in evil.data
    own = client.get(handshake, headers={"Origin": "http://localhost"})
    assert own.status_code == 200 and own.data.startswith(b"0{")

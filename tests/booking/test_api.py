"""The public JSON API (/api/v1/) as the city's portal uses it: catalogue, free slots, hold →
code → confirm, cancel; idempotency, anti-hoarding, hold-back, errors, and daylight saving."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from flask_babel import force_locale
from openapi_spec_validator import validate
from sqlalchemy import func, select

from channels.models import OutboxEntry
from hub import clock
from hub.booking.models import Booking
from hub.errors import InvalidInput
from hub.extensions import db

API = "/api/v1"
PHONE = "+48601234567"


@pytest.fixture
def overrides():
    """Extra settings; a test changes them with @pytest.mark.parametrize("overrides", …)."""
    return {}


@pytest.fixture
def settings(settings, overrides):
    return {**settings, "JOBS_ASYNC": False, "JOB_RETRY_INTERVALS": (),
            "RATELIMIT_KEY_PREFIX": settings["REDIS_PREFIX"], **overrides}


def travel_to(moment: datetime) -> None:
    """Set the hub's clock to a UTC moment (the app fixture resets it)."""
    clock.advance((moment - clock.utcnow()).total_seconds())


@pytest.fixture(autouse=True)
def mid_january(app):
    """A plain Wednesday with no holiday near: 2027-01-13 9:58 UTC (10:58 in Warsaw)."""
    travel_to(datetime(2027, 1, 13, 9, 58))


# -- helpers ------------------------------------------------------------------------------


def post(client, path, body=None, *, key=None, lang=None):
    headers = {"Idempotency-Key": key} if key else {}
    query = f"?lang={lang}" if lang else ""
    return client.post(API + path + query, json=body if body is not None else {},
                       headers=headers)


def slots(client, service="dowod-osobisty", office="ratusz", **query):
    text = "&".join(f"{k}={v}" for k, v in query.items())
    response = client.get(f"{API}/services/{service}/offices/{office}/slots?{text}")
    assert response.status_code == 200, response.json
    return response.json["slots"]


def starts(listing) -> list[str]:
    return [s["starts_at"] for s in listing]


def book(client, starts_at, *, key=None, lang=None, **fields):
    body = {"service": "dowod-osobisty", "office": "ratusz", "starts_at": starts_at,
            "name": "Jan Kowalski", "phone": "601 234 567", "language": "pl", **fields}
    return post(client, "/bookings", {k: v for k, v in body.items() if v is not None},
                key=key, lang=lang)


def sent(app, to=PHONE) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(
            select(OutboxEntry.body).where(OutboxEntry.to == to).order_by(OutboxEntry.id)))


def code_sent(app, to=PHONE) -> str:
    return re.search(r"\b(\d{6})\b", sent(app, to)[-1]).group(1)


def one_place(client, service="dowod-osobisty", office="polnoc"):
    """A free time with a single desk left, so holding it takes it off the list."""
    return next(s["starts_at"] for s in slots(client, service, office, days=3)
                if s["places"] == 1)


def message(app, code, lang, **params):
    with app.test_request_context(), force_locale(lang):
        return InvalidInput(code, **params).message


# -- the catalogue ------------------------------------------------------------------------


def test_services_list_their_documents_in_order_in_the_chosen_language(client):
    polish = {s["code"]: s for s in client.get(f"{API}/services").json["services"]}
    english = {s["code"]: s for s in client.get(f"{API}/services?lang=en").json["services"]}

    car = english["rejestracja-pojazdu"]
    assert car["name"] == "Vehicle registration"
    assert car["department"]["code"] == "vehicles"
    assert (car["duration_minutes"], car["offices"]) == (30, ["ratusz", "polnoc"])
    assert car["fee"].startswith("PLN 180.50")
    assert [d["name"] for d in car["documents"]][:3] == [
        "ID card", "Proof of ownership (purchase contract, invoice)",
        "The current registration certificate"]
    assert car["documents"][4] == {"name": "Vehicle card", "required": False,
                                   "note": "If one was issued."}
    assert polish["rejestracja-pojazdu"]["name"] == "Rejestracja pojazdu"
    assert polish["rejestracja-pojazdu"]["documents"][0]["name"] == "Dowód osobisty"


def test_offices_have_their_address_desks_and_weekly_hours(client):
    offices = {o["code"]: o for o in client.get(f"{API}/offices?lang=en").json["offices"]}
    town_hall = offices["ratusz"]
    assert town_hall["name"] == "Town Hall – Residents' Service Office"
    assert town_hall["address"] == "ul. Rynek 1, 00-001 Miasto"
    assert town_hall["desks"] == 3
    assert {"weekday": "thursday", "opens": "16:00", "closes": "18:00"} in town_hall["hours"]
    assert not any(h["weekday"] in ("saturday", "sunday") for h in town_hall["hours"])
    assert town_hall["time_zone"] == "Europe/Warsaw"


def test_slots_are_free_start_times_in_utc_and_in_warsaw_time(client):
    listing = slots(client, **{"from": "2027-01-14", "days": 1})
    # Thursday: 8:00–12:00, 12:30–16:00 and 16:00–18:00 in 15-minute steps (winter, +01:00).
    assert listing[0] == {"starts_at": "2027-01-14T07:00:00Z",
                          "starts_at_local": "2027-01-14T08:00:00+01:00",
                          "ends_at": "2027-01-14T07:15:00Z",
                          "ends_at_local": "2027-01-14T08:15:00+01:00", "places": 3}
    assert listing[-1]["starts_at_local"] == "2027-01-14T17:45:00+01:00"
    assert "2027-01-14T12:15:00+01:00" not in [s["starts_at_local"] for s in listing]
    # Today only from the minimum notice (2 hours from 11:00), and at most 31 days at once.
    today = slots(client, **{"from": "2027-01-13", "days": 1})
    assert today[0]["starts_at_local"] == "2027-01-13T13:00:00+01:00"
    week = slots(client)
    assert week[0] == today[0] and week[-1]["starts_at"] < "2027-01-20"
    path = f"{API}/services/dowod-osobisty/offices/ratusz/slots"
    too_long = client.get(f"{path}?days=32&lang=en")
    assert too_long.status_code == 422
    assert too_long.json["error"] == {"code": "bad_days",
                                      "message": "The number of days must be from 1 to 31."}
    bad = client.get(f"{path}?from=jutro")
    assert bad.status_code == 422 and bad.json["error"]["code"] == "bad_date"
    unknown = client.get(f"{API}/services/dowod-osobisty/offices/nowhere/slots")
    assert unknown.status_code == 404 and unknown.json["error"]["code"] == "unknown_office"


# -- hold → code → confirm ----------------------------------------------------------------


def test_a_held_visit_is_confirmed_by_code_and_the_confirmation_lists_documents(app, client):
    starts_at = slots(client)[0]["starts_at"]

    held = book(client, starts_at, key="portal-1")

    assert held.status_code == 201, held.json
    booking = held.json
    assert booking["state"] == "held" and booking["starts_at"] == starts_at
    assert booking["hold_expires_at"].startswith("2027-01-13T10:03:")
    assert held.headers["Location"] == f"{API}/bookings/{booking['token']}"
    assert [d["name"] for d in booking["documents"]] == [
        "Aktualne zdjęcie 35 × 45 mm", "Dotychczasowy dowód osobisty"]
    code = code_sent(app)

    confirmed = post(client, f"/bookings/{booking['token']}/confirm", {"code": code})

    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["state"] == "confirmed" and confirmed.json["hold_expires_at"] is None
    confirmation = sent(app)[-1]
    assert booking["reference"] in confirmation
    assert "Aktualne zdjęcie 35 × 45 mm" in confirmation
    assert f"http://localhost/visit/manage/{booking['token']}" in confirmation
    shown = client.get(f"{API}/bookings/{booking['token']}").json
    assert (shown["reference"], shown["state"]) == (booking["reference"], "confirmed")
    assert shown["documents"][0]["required"] is True


def test_the_code_can_go_by_e_mail(app, client):
    held = book(client, slots(client)[0]["starts_at"], phone=None, email="Jan@Example.pl")
    assert held.status_code == 201 and held.json["email"] == "Jan@example.pl"
    code = code_sent(app, to="Jan@example.pl")
    assert post(client, f"/bookings/{held.json['token']}/confirm", {"code": code}).json[
        "state"] == "confirmed"


def test_a_wrong_code_is_refused_and_the_visit_stays_held(app, client):
    token = book(client, slots(client)[0]["starts_at"]).json["token"]

    wrong = post(client, f"/bookings/{token}/confirm", {"code": "000000"}, lang="en")

    assert wrong.status_code == 422
    assert wrong.json["error"] == {"code": "bad_code", "message": message(app, "bad_code", "en")}
    assert client.get(f"{API}/bookings/{token}").json["state"] == "held"


def test_an_unconfirmed_hold_expires_and_the_slot_is_offered_again(app, client):
    starts_at = one_place(client)
    token = book(client, starts_at, office="polnoc").json["token"]
    assert starts_at not in starts(slots(client, office="polnoc", days=3))

    clock.advance(app.config["BOOKING_HOLD_MINUTES"] * 60 + 1)

    assert starts_at in starts(slots(client, office="polnoc", days=3))
    assert client.get(f"{API}/bookings/{token}").json["state"] == "expired"
    late = post(client, f"/bookings/{token}/confirm", {"code": code_sent(app)})
    assert (late.status_code, late.json["error"]["code"]) == (409, "hold_expired")


# -- safe to repeat, and not hoarded ------------------------------------------------------


def test_the_same_idempotency_key_returns_the_same_booking(app, client):
    starts_at = slots(client)[0]["starts_at"]
    first = book(client, starts_at, key="abc-123")

    again = book(client, starts_at, key="abc-123")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["reference"] == first.json["reference"]
    assert again.json["token"] == first.json["token"]
    assert len(sent(app)) == 1  # one code, not two
    with app.app_context():
        assert db.session.scalar(select(func.count(Booking.id))) == 1
    other = book(client, slots(client)[5]["starts_at"], key="abc-123", lang="en")
    assert (other.status_code, other.json["error"]["code"]) == (422, "idempotency_key_reused")
    bad = book(client, starts_at, key="x" * 65)
    assert (bad.status_code, bad.json["error"]["code"]) == (400, "bad_idempotency_key")


def test_a_taken_slot_is_refused_with_the_next_free_ones(client):
    starts_at = one_place(client)
    assert book(client, starts_at, office="polnoc").status_code == 201

    taken = book(client, starts_at, office="polnoc", phone="602 345 678")

    assert taken.status_code == 409
    assert taken.json["error"]["code"] == "slot_taken"
    offered = starts(taken.json["next_slots"])
    assert len(offered) == 3 and starts_at not in offered
    assert taken.json["next_slots"][0]["starts_at_local"].endswith("+01:00")


@pytest.mark.parametrize("overrides", [{"BOOKING_MAX_ACTIVE_PER_CONTACT": 2}])
def test_one_contact_holds_at_most_the_limit_of_visits_for_a_matter(app, client):
    times = starts(slots(client))
    assert book(client, times[0]).status_code == 201
    assert book(client, times[1], phone="+48 601 234 567").status_code == 201

    third = book(client, times[2], lang="en")

    assert third.status_code == 409
    assert third.json["error"] == {"code": "too_many_bookings",
                                   "message": message(app, "too_many_bookings", "en", limit=2)}
    assert book(client, times[2], phone="602 345 678").status_code == 201
    vehicle = book(client, slots(client, "rejestracja-pojazdu")[0]["starts_at"],
                   service="rejestracja-pojazdu")
    assert vehicle.status_code == 201  # another matter is not counted


# -- cancelling ---------------------------------------------------------------------------


def test_a_cancelled_slot_is_held_back_before_it_is_offered_again(app, client):
    starts_at = one_place(client)
    token = book(client, starts_at, office="polnoc").json["token"]
    post(client, f"/bookings/{token}/confirm", {"code": code_sent(app)})

    cancelled = post(client, f"/bookings/{token}/cancel")

    assert cancelled.status_code == 200 and cancelled.json["state"] == "cancelled"
    assert cancelled.json["reference"] in sent(app)[-1]  # the resident is told
    assert starts_at not in starts(slots(client, office="polnoc", days=3))
    holdback = app.config["BOOKING_CANCEL_HOLDBACK_MINUTES"] * 60
    clock.advance(holdback - 60)
    assert starts_at not in starts(slots(client, office="polnoc", days=3))
    clock.advance(61)
    assert starts_at in starts(slots(client, office="polnoc", days=3))
    again = post(client, f"/bookings/{token}/cancel")
    assert again.status_code == 200 and again.json["state"] == "cancelled"


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["pl", "en"])
@pytest.mark.parametrize(("fields", "status", "code"), [
    ({"phone": "123"}, 422, "bad_phone"),
    ({"phone": None, "email": "jan@"}, 422, "bad_email"),
    ({"phone": None}, 422, "contact_required"),
    ({"name": " "}, 422, "name_required"),
    ({"service": "paszport"}, 404, "unknown_service"),
    ({"office": "ratusz-2"}, 404, "unknown_office"),
    ({"starts_at": "2027-01-14T09:07:00+01:00"}, 422, "not_a_slot"),
    ({"starts_at": "2027-01-16T09:00:00+01:00"}, 422, "not_a_slot"),  # a Saturday
    ({"starts_at": "2027-01-14T09:00:00"}, 422, "bad_starts_at"),  # no zone
    ({"starts_at": "jutro"}, 422, "bad_starts_at"),
])
def test_invalid_bookings_are_refused_with_a_message_in_the_language(app, client, fields, status,
                                                                     code, lang):
    body = {"starts_at": "2027-01-14T09:00:00+01:00", **fields}

    refused = book(client, lang=lang, **body)

    assert refused.status_code == status
    assert refused.json["error"]["code"] == code
    expected = refused.json["error"]["message"]
    assert expected and "%(" not in expected
    if code in ("bad_phone", "contact_required", "bad_email", "name_required",
                "unknown_service", "unknown_office"):
        assert expected == message(app, code, lang)
    if code == "bad_phone":
        assert expected == {"pl": "Podaj prawidłowy numer telefonu, np. 601 234 567.",
                            "en": "Please give a valid phone number, e.g. 601 234 567."}[lang]
    if code == "not_a_slot":
        assert refused.json["next_slots"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_http_errors_under_the_api_are_json_and_pages_keep_theirs(client):
    missing = client.get(f"{API}/nothing-here?lang=en")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    wrong_method = client.get(f"{API}/bookings")
    assert wrong_method.status_code == 405 and wrong_method.json["error"]["code"] == \
        "method_not_allowed"
    assert "POST" in wrong_method.headers["Allow"]
    form = client.post(f"{API}/bookings", data={"service": "dowod-osobisty"})
    assert form.status_code == 415 and form.json["error"]["code"] == "json_required"
    broken = client.post(f"{API}/bookings", data="{", content_type="application/json")
    assert broken.status_code == 400 and broken.json["error"]["code"] == "bad_json"
    link = client.get(f"{API}/bookings/not-a-token")
    assert link.status_code == 404 and link.json["error"]["code"] == "bad_booking_link"
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"


@pytest.mark.parametrize("overrides", [{"RATELIMIT_ENABLED": True,
                                        "RATELIMIT_PUBLIC": "2 per minute"}])
def test_writes_are_rate_limited_per_ip_with_a_json_answer(app, client):
    token = book(client, slots(client)[0]["starts_at"]).json["token"]
    for _ in range(2):
        assert post(client, f"/bookings/{token}/confirm", {"code": "000000"}).status_code == 422

    limited = post(client, f"/bookings/{token}/confirm", {"code": "000000"}, lang="en")

    assert limited.status_code == 429
    assert limited.json["error"] == {"code": "rate_limited",
                                     "message": message(app, "rate_limited", "en")}
    assert client.get(f"{API}/services").status_code == 200  # reading is not limited


# -- the description ----------------------------------------------------------------------


def test_the_openapi_document_is_valid_and_describes_every_route(app, client):
    spec = client.get(f"{API}/openapi.json").json
    validate(spec)
    described = {(path, method.upper()) for path, item in spec["paths"].items()
                 for method in item}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(API):])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in described, (path, method)


# -- daylight saving ----------------------------------------------------------------------


def _by_day(listing) -> dict[str, list[str]]:
    days: dict[str, list[str]] = {}
    for s in listing:
        day, local = s["starts_at_local"][:10], s["starts_at_local"][11:]
        days.setdefault(day, []).append(local)
    return days


def test_spring_forward_keeps_visits_at_local_time(app, client):
    """Summer time starts on Sunday 28 March 2027: 9:00 in Warsaw is 07:00 UTC from then.
    That Sunday is Easter, and the Monday after a holiday, so the first day after is Tuesday."""
    travel_to(datetime(2027, 3, 25, 10, 0))
    days = _by_day(slots(client, **{"from": "2027-03-26", "days": 5}))

    assert sorted(days) == ["2027-03-26", "2027-03-30"]  # weekend and Easter Monday closed
    assert slots(client, **{"from": "2027-03-28", "days": 2}) == []
    friday, tuesday = days["2027-03-26"], days["2027-03-30"]
    assert [t[:5] for t in friday] == [t[:5] for t in tuesday]  # the same local grid
    assert friday[0] == "08:00:00+01:00" and tuesday[0] == "08:00:00+02:00"
    winter = book(client, "2027-03-26T09:00:00+01:00", phone="602 345 678")
    assert winter.json["starts_at"] == "2027-03-26T08:00:00Z"

    held = book(client, "2027-03-30T09:00:00+02:00")

    assert held.status_code == 201, held.json
    assert held.json["starts_at"] == "2027-03-30T07:00:00Z"
    assert held.json["starts_at_local"] == "2027-03-30T09:00:00+02:00"
    post(client, f"/bookings/{held.json['token']}/confirm", {"code": code_sent(app)})
    assert "9:00" in sent(app)[-1]
    for closed in ("2027-03-28T09:00:00+02:00", "2027-03-29T09:00:00+02:00"):
        refused = book(client, closed, phone="603 456 789")
        assert (refused.status_code, refused.json["error"]["code"]) == (422, "not_a_slot")


def test_fall_back_keeps_visits_at_local_time(app, client):
    """Winter time starts on Sunday 31 October 2027: 9:00 in Warsaw is 08:00 UTC from then.
    The Monday after is All Saints' Day (a holiday), so the first day after is Tuesday."""
    travel_to(datetime(2027, 10, 28, 10, 0))
    days = _by_day(slots(client, **{"from": "2027-10-29", "days": 5}))

    assert sorted(days) == ["2027-10-29", "2027-11-02"]
    assert slots(client, **{"from": "2027-10-31", "days": 2}) == []
    friday, tuesday = days["2027-10-29"], days["2027-11-02"]
    assert [t[:5] for t in friday] == [t[:5] for t in tuesday]
    assert friday[0] == "08:00:00+02:00" and tuesday[0] == "08:00:00+01:00"
    summer = book(client, "2027-10-29T09:00:00+02:00", phone="602 345 678")
    assert summer.json["starts_at"] == "2027-10-29T07:00:00Z"

    held = book(client, "2027-11-02T08:00:00Z")

    assert held.status_code == 201, held.json
    assert held.json["starts_at"] == "2027-11-02T08:00:00Z"
    assert held.json["starts_at_local"] == "2027-11-02T09:00:00+01:00"
    monday = book(client, "2027-11-01T09:00:00+01:00", phone="603 456 789")
    assert (monday.status_code, monday.json["error"]["code"]) == (422, "not_a_slot")

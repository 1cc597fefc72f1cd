"""One resident's data on request (/admin/privacy): find it by phone, e-mail, booking
reference or interaction number, export it as a file, erase it (theirs only), all logged
without the number or address itself."""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import select

from channels.sms_sending import store_text
from hub.booking.models import Booking
from hub.callbacks.models import CallbackRequest
from hub.extensions import db
from hub.interactions.models import Interaction, InteractionEvent
from hub.privacy.anonymise import ERASED
from tests.channels.test_sms import sms_in
from tests.conftest import ADMIN, ANNA, EWA, login
from tests.privacy.conftest import callback, chat, sms, visit
from tests.privacy.test_retention import dump, found, text_of

PHONE = "+48601234567"
OTHER = "+48609876543"
EMAIL = "marek.wolny@example.pl"
MAREK = ("Marek Wolny", "Wolny", "Kasztanowej", "Proszę przynieść akt notarialny",
         "+48601234567", "601234567", EMAIL)
IRENA = ("Irena Sosnowska", "Sosnowska", "Klonowej", "+48609876543")


@pytest.fixture
def admin(app):
    return login(app, ADMIN)


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def two_residents(app, client, resident, anna) -> dict:
    """Marek texts, asks for a call back and books a visit with his phone and e-mail;
    Irena texts from another number and chats."""
    ids = {
        "sms": sms(app, client, anna, phone=PHONE, says="Mieszkanie na Kasztanowej 2",
                   reply="Proszę przynieść akt notarialny."),
        "callback": callback(app, client, anna, phone="601 234 567", name="Marek Wolny"),
        "reference": visit(app, client, name="Marek Wolny", phone="601234567", email=EMAIL,
                           outcome="cancelled"),
        "other_sms": sms(app, client, anna, phone=OTHER, says="Dom na Klonowej",
                         reply="Dobrze."),
        "other_chat": chat(app, resident, anna, name="Irena Sosnowska", says="Klonowej 9",
                           note="-", reply="Dobrze."),
    }
    return ids


def events(app, kind: str) -> list[InteractionEvent]:
    with app.app_context():
        return list(db.session.scalars(select(InteractionEvent).where(
            InteractionEvent.kind == kind).order_by(InteractionEvent.id)))


def test_a_search_by_phone_shows_what_is_held_and_is_logged_without_the_number(
        app, client, resident, anna, admin):
    ids = two_residents(app, client, resident, anna)

    answer = admin.get("/admin/privacy?lang=en&by=phone&q=601+234+567")

    text = page(answer)
    assert answer.status_code == 200
    held = re.search(r'<section aria-labelledby="held-heading".*?</section>', text, re.S).group(0)
    numbers = re.findall(r'<th scope="row">(?:<a [^>]*>)?(\w+)', held)
    with app.app_context():
        booking_log = db.session.scalar(select(Booking.interaction_id).where(
            Booking.reference == ids["reference"]))
    assert set(numbers) >= {str(ids["sms"]), str(ids["callback"]), str(booking_log),
                            ids["reference"]}
    assert str(ids["other_sms"]) not in numbers and str(ids["other_chat"]) not in numbers
    assert "Found under: +48601234567" in held
    [searched] = events(app, "resident_data_searched")
    assert searched.data["by"] == "phone" and searched.data["bookings"] == 1
    assert searched.data["interactions"] == 3
    assert "601" not in json.dumps(searched.data)


def test_the_export_holds_the_residents_messages_visits_and_call_backs(
        app, client, resident, anna, admin):
    ids = two_residents(app, client, resident, anna)

    answer = admin.post("/admin/privacy/export", data={"by": "email", "q": "Marek.Wolny@Example.pl"})

    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert re.fullmatch(r'attachment; filename="okienko-resident-data-\d{8}-\d{4}\.json"',
                        answer.headers["Content-Disposition"])
    data = json.loads(answer.get_data(as_text=True))
    # By e-mail, the visit booked with it (and its own log); the number given there is not
    # followed, but the page offers it as a search of its own.
    [booking] = data["bookings"]
    assert (booking["reference"], booking["state"], booking["email"], booking["phone"]) == (
        ids["reference"], "cancelled", EMAIL, PHONE)
    assert [i["channel"] for i in data["interactions"]] == ["booking"]
    shown = page(admin.get(f"/admin/privacy?lang=en&by=email&q={EMAIL}"))
    assert 'href="/admin/privacy?by=phone&q=%2B48601234567">+48601234567</a>' in shown

    answer = admin.post("/admin/privacy/export", data={"by": "phone", "q": "601 234 567"})
    data = json.loads(answer.get_data(as_text=True))
    by_number = {i["number"]: i for i in data["interactions"]}
    assert {ids["sms"], ids["callback"]} <= set(by_number)
    assert ids["other_sms"] not in by_number and ids["other_chat"] not in by_number
    texts = [(m["from"], m["text"]) for m in by_number[ids["sms"]]["messages"]]
    assert ("resident", "Mieszkanie na Kasztanowej 2") in texts
    assert ("Anna", "Proszę przynieść akt notarialny.") in texts
    [call] = data["callbacks"]
    assert call["phone"] == PHONE and call["attempts"][0]["talk_seconds"] == 95
    assert any("Twój kod" in (m["text"] or "") or m["to"] == PHONE
               for m in data["messages_sent"])
    assert all(secret not in answer.get_data(as_text=True) for secret in IRENA)
    exported = events(app, "resident_data_exported")[-1]
    assert exported.actor_type == "clerk" and exported.data["bookings"] == 1
    assert exported.data["interactions"] == len(data["interactions"])
    assert "marek" not in json.dumps(exported.data).lower()


def test_erasure_needs_the_box_ticked_and_removes_only_that_residents_data(
        app, client, resident, anna, admin):
    ids = two_residents(app, client, resident, anna)
    with app.app_context():  # a visit code to Marek whose job was lost: still to go out
        store_text(PHONE, "Kod wizyty: KASZTAN7")
    rows = dump(app)
    form = {"by": "phone", "q": PHONE}

    unconfirmed = admin.post("/admin/privacy/erase?lang=en", data=form)
    assert unconfirmed.status_code == 400
    assert '<a href="#confirm">' in page(unconfirmed)
    assert dump(app) == rows

    erased = admin.post("/admin/privacy/erase?lang=en", data={**form, "confirm": "yes"})

    text = page(erased)
    assert erased.status_code == 200
    assert "Erased. Interactions: 3 (messages: " in text and "visits: 1;" in text
    left = text_of(dump(app), leave_out=("sms_opt_outs",))
    assert [s for s in (*MAREK, "KASZTAN7") if s in left] == []
    assert all(secret in left for secret in IRENA)
    with app.app_context():
        marek = [db.session.get(Interaction, ids[k]) for k in ("sms", "callback")]
        assert all(i.anonymised_at and i.resident_handle is None for i in marek)
        assert {m.body for i in marek for m in i.messages} == {ERASED}
        assert db.session.scalar(select(CallbackRequest.phone).where(
            CallbackRequest.interaction_id == ids["callback"])) == ""
        visit_row = db.session.scalar(select(Booking).where(Booking.reference == ids["reference"]))
        assert (visit_row.name, visit_row.phone, visit_row.email, visit_row.state) == (
            ERASED, None, None, "cancelled")
        irena = db.session.get(Interaction, ids["other_sms"])
        assert irena.resident_handle == OTHER and irena.anonymised_at is None
    assert found(app, "Kasztanowej") == [] and found(app, "Klonowej")
    [logged] = events(app, "resident_data_erased")
    assert (logged.data["interactions"], logged.data["bookings"], logged.data["texts"]) == (
        3, 1, 1)
    assert "601" not in json.dumps(logged.data)
    # Searched again: nothing is held under the number; the reference shows the erased visit.
    again = page(admin.get(f"/admin/privacy?lang=en&by=phone&q={PHONE}"))
    assert "Nothing is held under this." in again
    by_reference = page(admin.get(f"/admin/privacy?lang=en&by=reference&q={ids['reference']}"))
    assert "erased" in by_reference and "Marek" not in by_reference


def test_erasure_is_refused_while_a_contact_is_open(app, client, resident, anna, admin):
    sms(app, client, anna, phone=PHONE, says="Pierwsza sprawa", reply="Dobrze.")
    sms_in(client, "Druga sprawa na Kasztanowej", "SMopen", phone=PHONE)  # waiting for a clerk
    with app.app_context():
        waiting = db.session.scalar(select(Interaction.id).where(
            Interaction.state.in_(("queued", "offered"))))
    rows = dump(app)

    refused = admin.post("/admin/privacy/erase?lang=en",
                         data={"by": "phone", "q": PHONE, "confirm": "yes"})

    assert refused.status_code == 409
    assert f"Interaction {waiting} is still open." in page(refused)
    assert '<a href="#erase-heading">' in page(refused)
    assert dump(app) == rows
    assert events(app, "resident_data_erased") == []


def test_a_visit_still_to_come_holds_the_erasure_back(app, client, admin):
    reference = visit(app, client, name="Marek Wolny", phone=None, email=EMAIL,
                      outcome="confirmed", days_ahead=2)
    refused = admin.post("/admin/privacy/erase?lang=en",
                         data={"by": "reference", "q": reference.lower(), "confirm": "yes"})
    assert refused.status_code == 409
    assert f"Visit {reference} is still to come." in page(refused)


def test_a_web_chat_is_found_by_its_number(app, resident, anna, admin):
    number = chat(app, resident, anna, name="Irena Sosnowska", says="Klonowej 9", note="-",
                  reply="Dobrze.", comment="Szybko")
    text = page(admin.get(f"/admin/privacy?lang=en&by=interaction&q={number}"))
    assert re.search(rf'<th scope="row">(<a [^>]*>)?{number}\b', text)
    exported = admin.post("/admin/privacy/export", data={"by": "interaction", "q": str(number)})
    [conversation] = json.loads(exported.get_data(as_text=True))["interactions"]
    assert (conversation["name"], conversation["rating"], conversation["rating_comment"]) == (
        "Irena Sosnowska", 4, "Szybko")
    assert [m["text"] for m in conversation["messages"] if m["kind"] == "in"] == ["Klonowej 9"]
    assert admin.post("/admin/privacy/erase", data={"by": "interaction", "q": str(number),
                                                    "confirm": "yes"}).status_code == 200
    assert found(app, "Klonowej") == []


@pytest.mark.parametrize("by, query, field, message", [
    ("phone", "12", "q", "Please give a valid phone number"),
    ("email", "nie-adres", "q", "Please give a valid e-mail address"),
    ("reference", "ZZZZZZZZ", "q", "No visit has this reference"),
    ("interaction", "abc", "q", "Please give the interaction number as digits"),
    ("interaction", "999999", "q", "No interaction has this number."),
    ("name", "Jan", "by", "Please choose what you are searching by."),
])
def test_a_bad_search_says_what_is_wrong(app, admin, by, query, field, message):
    answer = admin.get(f"/admin/privacy?lang=en&by={by}&q={query}")
    text = page(answer)
    assert answer.status_code == 400
    assert re.search(rf'<a href="#{field}[^"]*">[^<]*{re.escape(message)}', text)
    assert events(app, "resident_data_searched") == []


def test_only_admins_see_or_change_residents_data(app, client):
    for email in (ANNA, EWA):
        staff = login(app, email)
        assert staff.get("/admin/privacy?by=phone&q=601234567").status_code == 403
        assert staff.post("/admin/privacy/export", data={"by": "phone", "q": PHONE}
                          ).status_code == 403
        assert staff.post("/admin/privacy/erase", data={"by": "phone", "q": PHONE,
                                                        "confirm": "yes"}).status_code == 403
    anonymous = client.get("/admin/privacy")
    assert anonymous.status_code == 302 and "/login" in anonymous.location

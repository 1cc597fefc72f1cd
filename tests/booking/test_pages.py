"""The resident's booking pages over HTTP: a matter, a time, the code, the confirmed visit."""

from __future__ import annotations

import html
import re
from datetime import UTC

import pytest
from flask_babel import force_locale
from icalendar import Calendar
from sqlalchemy import select

from channels.models import OutboxEntry
from hub import clock
from hub.booking.models import Booking
from hub.errors import InvalidInput
from hub.extensions import db

PHONE, E164 = "601 234 567", "+48601234567"


@pytest.fixture
def settings(settings):
    return {**settings, "JOBS_ASYNC": False, "JOB_RETRY_INTERVALS": ()}


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def form_of(page: str) -> dict[str, str]:
    """The hold form's hidden fields and the preselected time."""
    values = dict(re.findall(r'<input type="hidden" name="(office|key|day)" value="([^"]*)"', page))
    checked = re.search(r'name="slot" value="([^"]+)" checked', page)
    values["slot"] = checked.group(1) if checked else ""
    return values


def days_of(page: str) -> list[str]:
    return re.findall(r'name="day" value="(\d{4}-\d\d-\d\d)"', page)


def free_time(client, service: str = "dowod-osobisty", nth_day: int = 1, query: str = "") -> dict:
    """The hold form for the first time of the nth day with free times (0: the soonest)."""
    page = text_of(client.get(f"/visit/{service}{query}"))
    day = days_of(page)[nth_day] if nth_day else None
    if day is None:
        return form_of(page)
    sep = "&" if query else "?"
    return form_of(text_of(client.get(f"/visit/{service}{query}{sep}day={day}")))


def hold(client, form: dict, service: str = "dowod-osobisty", **fields):
    data = {**form, "name": "Jan Kowalski", "phone": PHONE, **fields}
    return client.post(f"/visit/{service}", data=data)


def last_code(app, to: str = E164) -> str:
    with app.app_context():
        body = db.session.scalars(select(OutboxEntry.body).where(OutboxEntry.to == to)
                                  .order_by(OutboxEntry.id.desc())).first()
    return re.search(r"\b(\d{6})\b", body).group(1)


def booked(app) -> list[Booking]:
    with app.app_context():
        rows = db.session.scalars(select(Booking).order_by(Booking.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def book(client, app, service: str = "dowod-osobisty", nth_day: int = 1) -> str:
    """A confirmed visit; returns its page's path (/visit/manage/<token>)."""
    held = hold(client, free_time(client, service, nth_day), service)
    assert held.status_code == 303, text_of(held)
    confirmed = client.post(held.location, data={"code": last_code(app)})
    assert confirmed.status_code == 303
    assert "/visit/manage/" in confirmed.location
    return confirmed.location


def test_matters_are_grouped_by_department_and_found_by_a_search_without_diacritics(client):
    page = text_of(client.get("/visit"))
    assert 'lang="pl"' in page
    for matter in ("Rejestracja pojazdu", "Wniosek o dowód osobisty", "Odpis aktu stanu cywilnego"):
        assert matter in page
    assert page.count("<h2 id=\"department-") >= 4

    found = text_of(client.get("/visit?q=dowod"))
    assert "Wniosek o dowód osobisty" in found
    assert "Rejestracja pojazdu" not in found
    assert "Vehicle registration" in text_of(client.get("/visit?q=vehicle&lang=en"))
    nothing = client.get("/visit?q=zzzz")
    assert nothing.status_code == 200
    assert "/visit/" not in re.sub(r'action="/visit"|href="/visit"', "", text_of(nothing))


def test_the_matter_shows_documents_fee_and_length_before_the_time(client):
    page = text_of(client.get("/visit/rejestracja-pojazdu?lang=en"))
    documents = ["ID card", "Proof of ownership", "The current registration certificate",
                 "Number plates", "Vehicle card", "Proof of payment"]
    positions = [page.index(d) for d in documents]
    assert positions == sorted(positions)  # in the clerk's order
    assert "If the vehicle was registered before." in page  # a note
    assert page.count("if you have it") == 2  # the two optional ones
    assert "PLN 180.50" in page
    assert "about 30 minutes" in page
    assert page.index("Documents to bring") < page.index('name="slot"')
    # Two offices to choose from, with the address; the first free time is preselected.
    assert 'name="office" value="ratusz"' in page and "ul. Długa 10" in page
    assert form_of(page)["slot"]
    assert "no free times" in page or len(days_of(page)) == 7


def test_unknown_matters_and_bad_links_are_not_found(client):
    assert client.get("/visit/no-such-matter").status_code == 404
    assert client.get("/visit/manage/forged-token").status_code == 404
    assert client.get("/visit/code/forged-token").status_code == 404


def test_days_can_be_chosen_without_javascript(client):
    first = text_of(client.get("/visit/dowod-osobisty"))
    second_day = days_of(first)[1]
    page = text_of(client.get(f"/visit/dowod-osobisty?office=polnoc&day={second_day}"))
    assert re.search(rf'value="{second_day}" class="day-button"\s+aria-current="true"', page)
    assert form_of(page)["office"] == "polnoc"
    assert form_of(page)["slot"]


def test_a_hold_is_confirmed_with_the_code_sent_by_sms(client, app):
    form = free_time(client)
    held = hold(client, form)
    assert held.status_code == 303
    code_page = text_of(client.get(held.location))
    assert "567" in code_page and "min" in code_page
    (booking,) = booked(app)
    assert booking.state == "held" and booking.phone == E164

    confirmed = client.post(held.location, data={"code": " ".join(last_code(app))})  # spaces ok
    assert confirmed.status_code == 303
    page = text_of(client.get(confirmed.location))
    (booking,) = booked(app)
    assert booking.state == "confirmed"
    assert booking.reference in page
    assert "ul. Rynek 1" in page or "ul. Długa 10" in page
    assert "Dotychczasowy dowód osobisty" in page
    assert "visit.ics" in page and "qr.svg" in page
    with app.app_context():
        sms = db.session.scalars(select(OutboxEntry.body).order_by(OutboxEntry.id.desc())).first()
    assert booking.reference in sms and "http://localhost/visit/manage/" in sms
    # The code page of a confirmed visit leads to the visit.
    assert client.get(held.location).status_code == 303


def test_an_e_mail_address_gets_the_code_by_e_mail(client, app):
    held = hold(client, free_time(client), phone="", email="jan@example.pl")
    assert held.status_code == 303
    assert "jan@example.pl" in text_of(client.get(held.location))
    with app.app_context():
        entry = db.session.scalars(select(OutboxEntry).where(OutboxEntry.kind == "email")).one()
    assert entry.to == "jan@example.pl"


def test_a_wrong_code_is_refused_with_a_message_and_the_hold_stays(client, app):
    held = hold(client, free_time(client))
    wrong = "000000" if last_code(app) != "000000" else "111111"
    refused = client.post(held.location, data={"code": wrong})
    assert refused.status_code == 400
    page = text_of(refused)
    with app.test_request_context("/?lang=pl"), force_locale("pl"):
        assert InvalidInput("bad_code").message in page
    assert 'aria-invalid="true"' in page and "error-summary" in page
    assert booked(app)[0].state == "held"


def test_a_double_submit_with_the_same_key_makes_one_hold(client, app):
    form = free_time(client)
    first, second = hold(client, form), hold(client, form)
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    assert len(booked(app)) == 1
    # A fresh page has a fresh key: a second booking is a new hold.
    assert free_time(client)["key"] != form["key"]


def test_the_calendar_file_has_the_visit_in_utc_and_the_documents(client, app):
    manage = book(client, app, "rejestracja-pojazdu")
    response = client.get(manage.removeprefix("http://localhost").split("?")[0] + "/visit.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    (booking,) = booked(app)
    calendar = Calendar.from_ical(response.data)
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == booking.starts_at.replace(tzinfo=UTC)
    assert event.decoded("dtend") == booking.ends_at.replace(tzinfo=UTC)
    assert (booking.ends_at - booking.starts_at).total_seconds() == 30 * 60
    assert str(event["uid"]) == f"{booking.reference}@okienko"
    assert "Rejestracja pojazdu" in str(event["summary"])
    assert "Miasto" in str(event["location"])
    description = str(event["description"])
    for document in ("Dowód osobisty", "Tablice rejestracyjne", "Karta pojazdu"):
        assert document in description
    assert booking.reference in description


def test_the_check_in_qr_code_is_an_svg(client, app):
    manage = book(client, app).split("?")[0]
    response = client.get(manage.removeprefix("http://localhost") + "/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data and b"<path" in response.data


def test_a_visit_is_cancelled_after_a_confirm_step(client, app):
    manage = book(client, app).removeprefix("http://localhost").split("?")[0]
    ask = client.get(manage + "/cancel")
    assert ask.status_code == 200 and booked(app)[0].state == "confirmed"  # a GET changes nothing
    done = client.post(manage + "/cancel")
    assert done.status_code == 303
    assert booked(app)[0].state == "cancelled"
    page = text_of(client.get(manage))
    assert 'href="/visit/manage/' not in page  # no more change or cancel links
    assert client.get(manage + "/visit.ics").status_code == 404


def test_a_visit_is_moved_to_another_free_time(client, app):
    manage = book(client, app).removeprefix("http://localhost").split("?")[0]
    before = booked(app)[0]
    current = before.starts_at.strftime("%Y-%m-%dT%H:%M")
    own_day = text_of(client.get(f"{manage}/change?day={before.starts_at.date().isoformat()}"))
    assert f'value="{current}"' not in own_day  # its own time is not offered
    picker_page = text_of(client.get(manage + "/change"))
    days = days_of(picker_page)
    page = text_of(client.get(f"{manage}/change?day={days[2]}"))
    new_slot = form_of(page)["slot"]
    assert new_slot
    moved = client.post(manage + "/change", data={"slot": new_slot})
    assert moved.status_code == 303
    after = booked(app)[0]
    assert after.state == "confirmed" and after.starts_at != before.starts_at
    assert after.starts_at.strftime("%Y-%m-%dT%H:%M") == new_slot
    assert after.reference == before.reference


def test_a_slot_just_taken_offers_the_next_free_times(client, app):
    form = free_time(client, "odpis-aktu")  # one office, three desks (one partly for staff)
    refused = None
    for n in range(4):
        response = hold(client, {**form, "key": f"k{n}"}, "odpis-aktu", phone=f"60123456{n}")
        if response.status_code == 400:
            refused = response
            break
    assert refused is not None, "every desk took the same time"
    page = text_of(refused)
    with app.test_request_context(), force_locale("pl"):
        assert InvalidInput("slot_taken").message in page
    assert "error-summary" in page
    offered = re.findall(r'id="slot-\d" name="slot" value="([^"]+)"', page)
    assert offered and form["slot"] not in offered
    assert 'value="Jan Kowalski"' in page  # what was typed stays


def test_bad_input_is_explained_in_polish_on_every_field_at_once(client, app):
    form = free_time(client)
    refused = hold(client, form, name="", phone="60123", email="not-an-address")
    assert refused.status_code == 400
    page = text_of(refused)
    assert 'lang="pl"' in page
    assert "Podaj prawidłowy numer telefonu, np. 601 234 567." in page
    with app.test_request_context(), force_locale("pl"):
        for code in ("name_required", "bad_email"):
            assert InvalidInput(code).message in page
    assert page.count('aria-invalid="true"') == 3
    assert '<a href="#name">' in page and '<a href="#phone">' in page
    nothing = hold(client, {**form, "key": "other"}, phone="", email="")
    with app.test_request_context(), force_locale("pl"):
        assert InvalidInput("contact_required").message in text_of(nothing)
    assert booked(app) == []


def test_an_expired_hold_frees_the_slot_and_can_be_held_again(client, app):
    held = hold(client, free_time(client, nth_day=2))
    clock.advance((app.config["BOOKING_HOLD_MINUTES"] + 1) * 60)
    page = text_of(client.get(held.location))
    assert 'action="/visit/code/' in page and 'name="code"' not in page  # no code form now
    late = text_of(client.post(held.location, data={"code": last_code(app)}))
    assert 'name="code"' not in late and booked(app)[0].state != "confirmed"
    again = client.post(held.location + "/again")
    assert again.status_code == 303 and again.location != held.location
    first, second = booked(app)
    assert first.state == "expired"  # its slot was freed for the new hold
    assert second.state == "held" and second.starts_at == first.starts_at
    assert client.post(again.location, data={"code": last_code(app)}).status_code == 303
    assert booked(app)[1].state == "confirmed"

"""Office visit ratings: when a clerk marks a visit done, the resident gets one message with a
signed link (SMS, else e-mail, in the booking's language); the page takes 1–5 and a comment
once; bad values change nothing; a bad or expired link gets a clear page."""

from __future__ import annotations

import html
import re
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from channels.models import OutboxEntry
from hub import clock
from hub.booking.models import Booking
from hub.booking.rating import issue_token
from hub.extensions import db
from hub.interactions.models import InteractionEvent
from tests.conftest import login
from tests.reports.conftest import NOW, settle_visits, travel_to

PHONE = "+48601234567"
EMAIL = "jan@example.com"
LINK = re.compile(r"https://okienko\.example/visit/rate/([\w.-]+)\?lang=(pl|en)")


@pytest.fixture
def settings(settings):
    return {**settings, "JOBS_ASYNC": False, "JOB_RETRY_INTERVALS": (),
            "PUBLIC_URL": "https://okienko.example"}


@pytest.fixture(autouse=True)
def mid_january(app):
    travel_to(NOW)


def outbox(app, to: str) -> list[OutboxEntry]:
    with app.app_context():
        entries = db.session.scalars(
            select(OutboxEntry).where(OutboxEntry.to == to).order_by(OutboxEntry.id)).all()
        db.session.expunge_all()
        return list(entries)


def booked(app, *plan, **contact) -> list[int]:
    """Visits on Thursday, booked and left to come; the clock is then 8:00 that day."""
    with app.app_context():
        return settle_visits([(code, at, "confirmed") for code, at in plan], **contact)


def event_data(app, booking_id: int, kind: str) -> list[dict]:
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        return [e.data for e in db.session.scalars(select(InteractionEvent).where(
            InteractionEvent.interaction_id == booking.interaction_id,
            InteractionEvent.kind == kind))]


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def done_by_the_clerk(app, booking_id: int):
    """Anna checks the visit in and marks it done on the office page."""
    http = login(app, "anna@okienko.local")
    with app.app_context():
        reference = db.session.get(Booking, booking_id).reference
    http.post("/office/check-in", data={"reference": reference})
    return http.post(f"/office/visits/{booking_id}/done")


def rating_link(app, to: str = PHONE) -> tuple[str, str]:
    """The path of the last rating link sent, and its language."""
    token, lang = LINK.search(outbox(app, to)[-1].body).groups()
    return f"/visit/rate/{token}", lang


def test_the_link_goes_once_when_the_visit_is_done_in_the_bookings_language(app):
    done, absent = booked(app, ("odpis-aktu", time(9)), ("odpis-aktu", time(9, 15)))
    before = len(outbox(app, PHONE))
    assert done_by_the_clerk(app, done).status_code == 302
    texts = outbox(app, PHONE)[before:]
    assert len(texts) == 1
    with app.app_context():
        booking = db.session.get(Booking, done)
        reference, requested = booking.reference, booking.rating_requested_at
    assert texts[0].kind == "sms"
    assert "Odpis aktu stanu cywilnego" in texts[0].body and reference in texts[0].body
    assert rating_link(app)[1] == "pl"                    # the page opens in Polish
    assert requested is not None
    assert event_data(app, done, "booking_message")[-1]["via"] == "sms"

    # Done again is refused and sends nothing; a no-show gets no link.
    http = login(app, "anna@okienko.local")
    http.post(f"/office/visits/{done}/done")
    clock.advance(3600)
    http.post(f"/office/visits/{absent}/no-show")
    assert len(outbox(app, PHONE)) == before + 1


def test_an_english_booking_by_e_mail_gets_the_link_in_english(app):
    visit, = booked(app, ("odpis-aktu", time(9)), phone=None, email=EMAIL, language="en")
    done_by_the_clerk(app, visit)
    mail = outbox(app, EMAIL)[-1]
    assert (mail.kind, mail.subject) == ("email", "How was your visit?")
    assert "How was it? Please rate it from 1 to 5" in mail.body
    assert rating_link(app, EMAIL)[1] == "en"


def test_a_resident_rates_the_visit_once_and_the_timeline_keeps_only_the_stars(app, client):
    visit, = booked(app, ("odpis-aktu", time(9)))
    done_by_the_clerk(app, visit)
    path, _ = rating_link(app)

    form = client.get(path + "?lang=en")
    assert form.status_code == 200
    page = text_of(form)
    assert "<legend>Your rating, from 1 (very poor) to 5 (very good)</legend>" in page
    for n in range(1, 6):
        assert f'<input type="radio" id="stars-{n}" name="stars" value="{n}"' in page
        assert f'<label for="stars-{n}">' in page
    assert 'maxlength="1000"' in page and "Copy of a civil-status record" in page

    sent = client.post(path, data={"stars": "4", "comment": "  Bardzo sprawnie, dziękuję.  "})
    assert sent.status_code == 302 and sent.headers["Location"].endswith("?done=1")
    thanks = text_of(client.get(sent.headers["Location"]))
    assert "Thank you for your rating" in thanks and ": 4 out of 5." in thanks
    assert "already been rated" not in thanks
    with app.app_context():
        booking = db.session.get(Booking, visit)
        assert (booking.rating, booking.rating_comment) == (4, "Bardzo sprawnie, dziękuję.")
        assert booking.rated_at is not None
    rated = event_data(app, visit, "visit_rated")
    assert rated == [{"booking_id": visit, "stars": 4, "has_comment": True}]

    again = client.post(path, data={"stars": "1"})
    assert again.status_code == 200 and "already been rated" in text_of(again)
    assert "already been rated" in text_of(client.get(path))
    with app.app_context():
        assert db.session.get(Booking, visit).rating == 4
    assert len(event_data(app, visit, "visit_rated")) == 1


@pytest.mark.parametrize(("data", "field", "message"), [
    ({}, "stars", "Please choose how the visit was, from 1 to 5."),
    ({"stars": "0"}, "stars", "Please choose how the visit was, from 1 to 5."),
    ({"stars": "6"}, "stars", "Please choose how the visit was, from 1 to 5."),
    ({"stars": "4.5"}, "stars", "Please choose how the visit was, from 1 to 5."),
    ({"stars": "pięć"}, "stars", "Please choose how the visit was, from 1 to 5."),
    ({"stars": "5", "comment": "x" * 1001}, "comment",
     "The comment is too long: at most 1000 characters."),
])
def test_a_bad_rating_is_refused_and_nothing_is_stored(app, client, data, field, message):
    visit, = booked(app, ("odpis-aktu", time(9)))
    done_by_the_clerk(app, visit)
    path, _ = rating_link(app)
    client.set_cookie("lang", "en")
    refused = client.post(path, data={"comment": "", **data})
    assert refused.status_code == 400
    page = text_of(refused)
    assert "<title>Error: How was your visit? · Okienko</title>" in page
    assert 'class="error-summary"' in page and message in page
    assert f'<p class="error" id="{field}-error">{message}</p>' in page
    if field == "comment":   # what was typed is kept
        assert "x" * 1001 in page and re.search(r'value="5"\s+checked', page)
    with app.app_context():
        booking = db.session.get(Booking, visit)
        assert (booking.rating, booking.rating_comment, booking.rated_at) == (None, None, None)
    assert event_data(app, visit, "visit_rated") == []


def test_bad_revoked_and_expired_links_get_a_clear_page(app, client):
    done, absent = booked(app, ("odpis-aktu", time(9)), ("odpis-aktu", time(9, 15)))
    done_by_the_clerk(app, done)
    path, _ = rating_link(app)
    client.set_cookie("lang", "en")

    forged = client.get("/visit/rate/not-a-token")
    assert forged.status_code == 404
    assert "This rating link is not valid" in text_of(forged)

    with app.app_context():                                # a visit that did not take place
        other = issue_token(db.session.get(Booking, absent))
    assert client.get(f"/visit/rate/{other}").status_code == 404

    clock.advance(timedelta(days=14, hours=-1).total_seconds())
    assert client.get(path).status_code == 200             # still within 14 days
    clock.advance(2 * 3600)
    expired = client.post(path, data={"stars": "5"})
    assert expired.status_code == 410
    assert "This rating link has expired" in text_of(expired)
    assert "rated for 14 days after it took place" in text_of(expired)
    with app.app_context():
        booking = db.session.get(Booking, done)
        assert booking.rating is None
        booking.token_key = "rotated"                      # e.g. the resident's data erased
        db.session.commit()
    assert client.get(path).status_code == 404

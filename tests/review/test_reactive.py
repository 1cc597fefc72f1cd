"""The reactive list: low ratings, complaints, late answers and repeat contacts, kept up to
date from the event log, and reviewed apart from the random sample."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from hub import settings
from hub.accounts.models import Department
from hub.clock import utcnow
from hub.extensions import db
from hub.interactions.models import Interaction
from hub.interactions.tags import set_tags
from hub.review import reactive
from hub.review.models import Review, ReviewListItem
from tests.conftest import ANNA, EWA, emit, login
from tests.review.listdata import past, user


def listed(app) -> dict[int, str]:
    """Interaction id → reasons, of the reactive list."""
    with app.app_context():
        return dict(db.session.execute(
            select(ReviewListItem.interaction_id, ReviewListItem.reasons)
            .where(ReviewListItem.kind == "reactive")
        ).all())


def test_a_late_answered_chat_rated_one_star_is_listed_with_both_reasons(app, resident, staff):
    """Through the chat itself: answered after the target, rated 1 star, then the sweep."""
    with app.app_context():
        db.session.execute(update(Department).where(Department.code == "registry")
                           .values(sla_seconds=60))
        db.session.commit()
    anna = staff(ANNA)
    sio = resident()
    started = emit(sio, "/chat", "start", {"department": "registry", "consent": True})
    token, interaction_id = started["token"], started["status"]["interaction_id"]
    with app.app_context():  # the resident waited 90 s before Anna came
        db.session.execute(update(Interaction).where(Interaction.id == interaction_id)
                           .values(queued_at=utcnow() - timedelta(seconds=90)))
        db.session.commit()
    assert emit(anna, "/staff", "presence", {"status": "available"})["ok"]
    assert emit(anna, "/staff", "accept", {"interaction_id": interaction_id})["ok"]
    emit(sio, "/chat", "message", {"token": token, "client_id": "a", "body": "Pytanie"})
    emit(anna, "/staff", "reply", {"interaction_id": interaction_id, "body": "Odpowiedź"})
    assert emit(anna, "/staff", "close", {"interaction_id": interaction_id,
                                          "disposition": "resolved"})["ok"]
    assert emit(sio, "/chat", "rate", {"token": token, "stars": 1})["ok"]
    with app.app_context():
        assert reactive.reactive_due() == 1
        assert reactive.reactive_due() == 0  # throttled: at most every half minute
    assert listed(app) == {interaction_id: "low_rating,past_sla"}


def test_each_reason_and_what_is_not_a_reason(app):
    with app.app_context():
        now = utcnow() - timedelta(hours=3)
        ids = {
            "rated_2": past(ANNA, now, csat=2),
            "rated_3": past(ANNA, now, csat=3),
            "complaint": past(ANNA, now, tags=["complaint", "parking"]),
            "other_tag": past(ANNA, now, tags=["parking"]),
            "late": past(ANNA, now, waited=121),  # registry's target: 120 s
            "in_time": past(ANNA, now, waited=120),
            "sms_in_time": past(ANNA, now, channel="sms", waited=29 * 60,
                                device="+48601000009", handle="+48601000009"),
            "mystery": past(ANNA, now, csat=1, mystery=True),
            "open": past(ANNA, now, csat=1, state="assigned"),
            "call_late": past(ANNA, now, channel="callback", wrote=False, waited=3 * 3600,
                              handle="+48601000011", device="+48601000011"),
            "call_in_window": past(ANNA, now, channel="callback", wrote=False, waited=600,
                                   handle="+48601000012", device="+48601000012"),
        }
    login(app, EWA).post("/supervisor/review-lists/reactive")
    assert listed(app) == {ids["rated_2"]: "low_rating", ids["complaint"]: "complaint",
                           ids["late"]: "past_sla", ids["call_late"]: "past_sla"}


def test_the_complaint_tag_is_a_setting(app, runner):
    with app.app_context():
        chosen = past(ANNA, utcnow() - timedelta(hours=1), tags=["skarga"])
        settings.set_value("complaint_tag", "skarga", user(EWA))
        db.session.commit()
    assert runner.invoke(args=["review", "reactive"]).exit_code == 0
    assert listed(app) == {chosen: "complaint"}


def test_a_resident_back_within_seven_days_makes_the_later_contact_listed(app):
    with app.app_context():
        now = utcnow() - timedelta(hours=1)
        first = past(ANNA, now - timedelta(days=6), device="browser-1")
        again = past(ANNA, now, device="browser-1")
        old = past(ANNA, now - timedelta(days=20), device="browser-2")
        late_return = past(ANNA, now, device="browser-2")
        by_text = past(ANNA, now - timedelta(days=2), channel="sms", device="+48601000003",
                       handle="+48601000003")
        by_form = past(ANNA, now, channel="form", handle="+48601000003")  # same number
        other = past(ANNA, now, device="browser-3")
        booking = past(None, now - timedelta(days=1), channel="booking", device="browser-4",
                       wrote=False)
        after_booking = past(ANNA, now, device="browser-4")
        reactive.update_reactive(now - timedelta(days=30))
    found = listed(app)
    assert found[again] == "repeat_contact" and found[by_form] == "repeat_contact"
    for not_listed in (first, old, late_return, by_text, other, booking, after_booking):
        assert not_listed not in found


def test_updates_are_incremental_and_add_reasons_to_the_same_row(app):
    """Only interactions with new events are read again; a later tag adds its reason."""
    with app.app_context():
        before = utcnow() - timedelta(hours=5)
        quiet = past(ANNA, before, csat=1)  # its events are all older than the pass
        rated = past(ANNA, utcnow() - timedelta(minutes=20), csat=2)
        assert reactive.update_reactive(utcnow() - timedelta(hours=1)) == 1
        assert quiet not in listed(app)
        set_tags(db.session.get(Interaction, rated), user(EWA), ["complaint"])
        db.session.commit()
        assert reactive.update_reactive(utcnow() - timedelta(minutes=1)) == 1
        assert reactive.update_reactive(utcnow() - timedelta(minutes=1)) == 0
    assert listed(app) == {rated: "low_rating,complaint"}


def test_the_page_shows_reasons_and_a_reactive_review_is_kind_reactive(app):
    with app.app_context():
        chosen = past(ANNA, utcnow() - timedelta(hours=2), csat=1, tags=["complaint"])
        reactive.update_reactive(utcnow() - timedelta(days=1))
        item_id = db.session.scalar(select(ReviewListItem.id))
    http = login(app, EWA)
    page = http.get("/supervisor/review-lists?lang=en").data.decode()
    assert "Rated 1–2 stars" in page and "Complaint" in page
    assert f'name="list_item" value="{item_id}"' in page and 'value="reactive"' in page
    http.post(f"/supervisor/interactions/{chosen}/review",
              data={"kind": "reactive", "list_item": item_id})
    with app.app_context():
        assert db.session.scalar(select(Review.kind)) == "reactive"
    page = http.get("/supervisor/review-lists?lang=en").data.decode()
    assert "Nothing waits for a review." in page
    assert "Rated 1–2 stars" in http.get("/supervisor/review-lists?reactive=all&lang=en").data \
        .decode()

"""The weekly random sample: seeded, per clerk, one per channel, only real exchanges, once."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, select

from hub.clock import utcnow
from hub.extensions import db
from hub.interactions.models import Interaction
from hub.review import sampling
from hub.review.models import Review, ReviewListItem
from tests.conftest import ANNA, EWA, PIOTR, login
from tests.review.listdata import in_week, past

WEEK = date(2025, 3, 3)  # a Monday long over: the same seed on every run of the suite
NEXT_WEEK = WEEK + timedelta(days=7)


def sample(app, week: date = WEEK) -> dict[str, list[int]]:
    """Clerk e-mail → the sampled interaction ids of the week."""
    with app.app_context():
        rows = db.session.execute(
            select(ReviewListItem.interaction_id, Interaction.clerk_id)
            .join(Interaction, Interaction.id == ReviewListItem.interaction_id)
            .where(ReviewListItem.kind == "random", ReviewListItem.week == week)
        ).all()
        from hub.accounts.models import User

        emails = {u.id: u.email for u in db.session.scalars(select(User))}
        found: dict[str, list[int]] = {}
        for interaction_id, clerk_id in rows:
            found.setdefault(emails[clerk_id], []).append(interaction_id)
        return {k: sorted(v) for k, v in found.items()}


def busy_week(app, monday: date = WEEK) -> dict[str, list[int]]:
    """Anna: 12 chats and 2 texts; Piotr: 8 chats. Returns the ids per clerk."""
    with app.app_context():
        ids = {ANNA: [], PIOTR: []}
        for n in range(12):
            ids[ANNA].append(past(ANNA, in_week(monday, n % 7, 8 + n % 5)))
        for n in range(2):
            ids[ANNA].append(past(ANNA, in_week(monday, n, 15), channel="sms",
                                  device=f"+4860100000{n}", handle=f"+4860100000{n}"))
        for n in range(8):
            ids[PIOTR].append(past(PIOTR, in_week(monday, n % 7, 9), dept="taxes"))
        return ids


def test_the_draw_is_seeded_so_every_run_draws_the_same(app, runner):
    """Does drawing again (CLI, then the page's button) give exactly the same sample?"""
    busy_week(app)
    result = runner.invoke(args=["review", "sample", "--week", "2025-03-05"])  # a Wednesday
    assert result.exit_code == 0, result.output
    assert "Week of 2025-03-03: 6 drawn for 2 clerks." in result.output
    first = sample(app)
    with app.app_context():
        db.session.execute(delete(ReviewListItem))
        db.session.commit()
    page = login(app, EWA).post("/supervisor/review-lists/draw", data={"week": "2025-03-03"})
    assert page.status_code == 302
    assert sample(app) == first
    assert {len(v) for v in first.values()} == {3}


def test_a_different_week_or_key_draws_differently(app):
    """Is the draw tied to the week and the secret, not only to the pool?"""
    busy_week(app)
    busy_week(app, NEXT_WEEK)  # the same shape of week: compare places in each pool
    with app.app_context():
        places = {}
        for week in (WEEK, NEXT_WEEK):
            sampling.draw(week)
            pools = sampling.candidates(week)
            drawn = set(db.session.scalars(select(ReviewListItem.interaction_id)
                                           .where(ReviewListItem.week == week)))
            places[week] = sorted((n, clerk) for clerk, pool in pools.items()
                                  for n, (i, _) in enumerate(pool) if i in drawn)
        assert places[WEEK] != places[NEXT_WEEK]
        clerk, pool = next(iter(sampling.candidates(WEEK).items()))
        drawn = sampling.choose(pool, 3, sampling._rng(WEEK, clerk))
        assert sampling.choose(pool, 3, sampling._rng(WEEK, clerk)) == drawn
        app.config["SECRET_KEY"] = "another-secret"
        assert sampling.choose(pool, 3, sampling._rng(WEEK, clerk)) != drawn


def test_every_channel_the_clerk_handled_is_in_the_sample(app, runner):
    """With 3 per clerk and 4 channels handled, does the sample hold one of each (4)?"""
    with app.app_context():
        for n in range(10):
            past(ANNA, in_week(WEEK, n % 7), channel="webchat")
        past(ANNA, in_week(WEEK, 2), channel="sms", device="+48601000001", handle="+48601000001")
        past(ANNA, in_week(WEEK, 3), channel="form", handle="jan@example.org")
        call = past(ANNA, in_week(WEEK, 4), channel="callback", handle="+48601000002",
                    wrote=False, replied=False, talked=95)
        past(ANNA, in_week(WEEK, 5), channel="callback", handle="+48601000003",
             wrote=False, replied=False, talked=0)  # nobody answered: no exchange
        for n in range(3):
            past(PIOTR, in_week(WEEK, n), dept="taxes")
    assert runner.invoke(args=["review", "sample", "--week", "2025-03-03"]).exit_code == 0
    with app.app_context():
        channels = sorted(db.session.get(Interaction, i).channel for i in sample(app)[ANNA])
    assert channels == ["callback", "form", "sms", "webchat"]
    assert call in sample(app)[ANNA]
    assert len(sample(app)[PIOTR]) == 3


def test_only_real_exchanges_are_drawn(app):
    """Are open, one-sided, mystery, abusive, booking and other weeks' contacts left out?"""
    with app.app_context():
        real = past(ANNA, in_week(WEEK, 1))
        left_out = [
            past(ANNA, in_week(WEEK, 1), state="assigned"),  # still open
            past(ANNA, in_week(WEEK, 1), replied=False),  # the clerk never wrote
            past(ANNA, in_week(WEEK, 1), wrote=False),  # the resident never wrote
            past(ANNA, in_week(WEEK, 1), replier=PIOTR),  # only a colleague replied
            past(ANNA, in_week(WEEK, 1), mystery=True),
            past(ANNA, in_week(WEEK, 1), disposition="abusive"),
            past(ANNA, in_week(WEEK, 1), channel="booking"),
            past(ANNA, in_week(WEEK, 8)),  # the next week
            past(ANNA, in_week(WEEK, -1, 20)),  # Sunday before, Warsaw time
        ]
        assert [i for i, _ in sampling.candidates(WEEK)[
            db.session.get(Interaction, real).clerk_id]] == [real]
        sampling.draw(WEEK)
    assert sample(app) == {ANNA: [real]}
    assert not set(left_out) & set(sample(app)[ANNA])


def test_drawing_again_adds_nothing_and_an_unfinished_week_is_refused(app, runner):
    busy_week(app)
    assert "6 drawn" in runner.invoke(args=["review", "sample", "--week", "2025-03-03"]).output
    again = runner.invoke(args=["review", "sample", "--week", "2025-03-09"])  # its Sunday
    assert "0 drawn for 0 clerks" in again.output
    with app.app_context():
        assert db.session.query(ReviewListItem).count() == 6
    this_week = utcnow().date().isoformat()
    refused = runner.invoke(args=["review", "sample", "--week", this_week])
    assert refused.exit_code == 2 and "once the week is over" in refused.output
    http = login(app, EWA)
    http.post("/supervisor/review-lists/draw?lang=en", data={"week": this_week})
    assert b"once the week is over" in http.get("/supervisor/review-lists?lang=en").data


def test_last_week_is_drawn_when_due_and_cheaply_after(app):
    """Does draw_due() draw last week once, then answer without drawing?"""
    with app.app_context():
        monday = sampling.last_full_week()
        past(ANNA, in_week(monday, 2))
        past(PIOTR, in_week(monday, 3), dept="taxes")
        assert sampling.draw_due() == 2
        past(ANNA, in_week(monday, 4))  # arrives late: the sample stays as drawn
        assert sampling.draw_due() == 0
        assert db.session.query(ReviewListItem).count() == 2


def test_the_page_lists_the_sample_by_clerk_and_reviews_feed_the_random_kind(app):
    busy_week(app)
    with app.app_context():
        sampling.draw(WEEK)
        item = db.session.scalars(select(ReviewListItem).order_by(ReviewListItem.id)).first()
        item_id, interaction_id = item.id, item.interaction_id
    http = login(app, EWA)
    page = http.get("/supervisor/review-lists?week=2025-03-03&lang=en").data.decode()
    assert "Anna Kowalska" in page and "Piotr Nowak" in page
    assert page.count('name="kind" value="random"') == 6
    assert f'href="/supervisor/interactions/{interaction_id}"' in page
    started = http.post(f"/supervisor/interactions/{interaction_id}/review",
                        data={"kind": "random", "list_item": item_id})
    assert started.status_code == 302 and "/supervisor/reviews/" in started.location
    with app.app_context():
        review = db.session.scalar(select(Review))
        assert (review.kind, db.session.get(ReviewListItem, item_id).review_id) == (
            "random", review.id)
    page = http.get("/supervisor/review-lists?week=2025-03-03&lang=en").data.decode()
    assert "Open the review" in page and "Draft" in page


def test_clerks_cannot_see_the_review_lists(app):
    anna = login(app, ANNA)
    for path in ("/supervisor/review-lists", "/supervisor/calibrations", "/supervisor/mystery"):
        assert anna.get(path).status_code == 403
    assert anna.post("/supervisor/review-lists/draw", data={"week": "2025-03-03"}).status_code \
        == 403
    assert anna.post("/supervisor/review-lists/reactive").status_code == 403

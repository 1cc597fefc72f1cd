"""A clerk disputes a review with a comment; a supervisor accepts, partly accepts or rejects."""

from __future__ import annotations

import re

from hub.extensions import db
from hub.review.models import Review
from tests.conftest import ADMIN, ANNA, EWA, login
from tests.review import reviewing
from tests.review.reviewing import (
    begin,
    criteria,
    events,
    full_marks,
    review_row,
    submitted_review,
)

closed_chat = reviewing.closed_chat  # the fixture


def dispute(app, review_id: int, comment: str = "Przedstawiłam się na początku."):
    response = login(app, ANNA).post(f"/console/reviews/{review_id}?lang=en",
                                     data={"action": "dispute", "comment": comment})
    return response


def corrected(app, review_id: int, overrides: dict[str, str]) -> dict[str, str]:
    """The resolve form: the review's current answers with some changed."""
    with app.app_context():
        review = db.session.get(Review, review_id)
        titles = {c.id: c.title for c in review.version.criteria}
        data = {f"value-{a.criterion_id}": overrides.get(titles[a.criterion_id],
                                                         "na" if a.value is None else str(a.value))
                for a in review.answers}
    return data


def test_a_dispute_needs_a_comment(app, closed_chat):
    interaction_id, review_id = submitted_review(app, closed_chat)
    refused = dispute(app, review_id, "   ")
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "There is a problem" in page
    assert f'<a href="#dispute-{review_id}">Please say what you disagree with' in page
    assert f'id="dispute-{review_id}" name="comment" rows="3" maxlength="4000" ' \
           f'aria-invalid="true"' in page
    review = review_row(app, review_id)
    assert (review.state, review.clerk_comment, review.clerk_responded_at) == \
        ("submitted", None, None)
    assert [k for k, _, _ in events(app, interaction_id)] == ["review_started", "reviewed"]


def test_a_rejected_dispute_keeps_the_score_and_the_clerk_sees_why(app, closed_chat):
    interaction_id, review_id = submitted_review(app, closed_chat)
    # Rejecting ignores any corrected scores sent with it.
    crits_form = full_marks(criteria(app, review_id), {"Powitanie": "0"})
    assert dispute(app, review_id).status_code == 302
    assert review_row(app, review_id).state == "disputed"
    assert events(app, interaction_id)[-1][:2] == ("review_disputed", ANNA)

    ewa = login(app, EWA)
    listing = ewa.get("/supervisor/reviews?lang=en").get_data(as_text=True)
    disputes = listing[listing.index('id="disputes-heading"'):listing.index('id="all-heading"')]
    assert f"Answer review #{review_id}" in disputes
    assert "Przedstawiłam się na początku." in disputes
    page = ewa.get(f"/supervisor/reviews/{review_id}?lang=en").get_data(as_text=True)
    assert "Answer the dispute" in page and "Przedstawiłam się na początku." in page

    no_comment = ewa.post(f"/supervisor/reviews/{review_id}/resolve?lang=en",
                          data={"resolution": "rejected", "resolution_comment": ""})
    assert no_comment.status_code == 400
    assert '<a href="#resolution_comment">Please explain your decision to the clerk.</a>' in \
        no_comment.get_data(as_text=True)
    no_choice = ewa.post(f"/supervisor/reviews/{review_id}/resolve?lang=en",
                         data={"resolution_comment": "Nie."})
    assert no_choice.status_code == 400
    assert "Nie." in no_choice.get_data(as_text=True)  # what was typed stays
    assert review_row(app, review_id).state == "disputed"

    done = ewa.post(f"/supervisor/reviews/{review_id}/resolve",
                    data={**crits_form, "resolution": "rejected",
                          "resolution_comment": "W nagraniu brak przedstawienia się."})
    assert done.status_code == 302
    review = review_row(app, review_id)
    assert (review.state, review.resolution, review.score) == ("resolved", "rejected", 1.0)
    kind, who, data = events(app, interaction_id)[-1]
    assert (kind, who) == ("review_resolved", EWA)
    assert data == {"review_id": review_id, "resolution": "rejected", "old_score": 1.0,
                    "score": 1.0, "old_fatal": False, "fatal": False}

    clerk = login(app, ANNA)
    page = clerk.get("/console/reviews?lang=en").get_data(as_text=True)
    assert "Answer to the dispute: Rejected" in page
    assert "W nagraniu brak przedstawienia się." in page
    assert "The score was corrected" not in page
    again = clerk.post(f"/console/reviews/{review_id}?lang=en",
                       data={"action": "dispute", "comment": "Jeszcze raz."})
    assert again.status_code == 400
    assert review_row(app, review_id).state == "resolved"


def test_an_accepted_dispute_rescores_and_keeps_the_old_score(app, closed_chat):
    """Ewa gave greeting 0 of 2 (weight 1 of 14), all else full: 13 / 14 = 92.9 %. Anna
    disputes; Adam, another supervisor, accepts and corrects greeting to 2: 100 %. The event
    keeps 92.9 %."""
    interaction_id = closed_chat()
    ewa = login(app, EWA)
    review_id = begin(ewa, interaction_id)
    crits = criteria(app, review_id)
    assert ewa.post(f"/supervisor/reviews/{review_id}",
                    data=full_marks(crits, {"Powitanie": "0"})).status_code == 302
    assert review_row(app, review_id).score == 13 / 14
    dispute(app, review_id)

    admin = login(app, ADMIN)
    bad = admin.post(f"/supervisor/reviews/{review_id}/resolve?lang=en",
                     data={**corrected(app, review_id, {"Powitanie": "9"}),
                           "resolution": "accepted", "resolution_comment": "Racja."})
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert re.search(r'<details class="corrections" open>', page)
    assert "Powitanie: Please choose a value from the criterion" in page
    assert review_row(app, review_id).state == "disputed"

    done = admin.post(f"/supervisor/reviews/{review_id}/resolve",
                      data={**corrected(app, review_id, {"Powitanie": "2"}),
                            "resolution": "accepted", "resolution_comment": "Racja."})
    assert done.status_code == 302
    review = review_row(app, review_id)
    assert (review.state, review.resolution, review.score) == ("resolved", "accepted", 1.0)
    kind, who, data = events(app, interaction_id)[-1]
    assert (kind, who, data["old_score"], data["score"]) == \
        ("review_resolved", ADMIN, 13 / 14, 1.0)
    page = login(app, ANNA).get("/console/reviews?lang=en").get_data(as_text=True)
    assert "Answer to the dispute: Accepted" in page
    assert "The score was corrected from 92.9% to 100%." in page


def test_only_a_disputed_review_is_resolved(app, closed_chat):
    _, review_id = submitted_review(app, closed_chat)
    refused = login(app, EWA).post(f"/supervisor/reviews/{review_id}/resolve?lang=en",
                                   data={"resolution": "accepted", "resolution_comment": "?"})
    assert refused.status_code == 400
    assert "Only a disputed review can be resolved." in refused.get_data(as_text=True)
    assert review_row(app, review_id).state == "submitted"


def test_nobody_answers_a_dispute_about_their_own_work(app, closed_chat):
    """Adam reviews Ewa's chat; Ewa disputes it and cannot answer her own dispute."""
    _, review_id = submitted_review(app, closed_chat, clerk=EWA, reviewer=ADMIN)
    ewa = login(app, EWA)
    assert ewa.post(f"/console/reviews/{review_id}",
                    data={"action": "dispute", "comment": "Nie zgadzam się."}).status_code == 302
    refused = ewa.post(f"/supervisor/reviews/{review_id}/resolve?lang=en",
                       data={"resolution": "accepted", "resolution_comment": "Sama sobie."})
    assert refused.status_code == 400
    assert "This dispute is about your own work" in refused.get_data(as_text=True)
    assert review_row(app, review_id).state == "disputed"
    assert login(app, ADMIN).post(f"/supervisor/reviews/{review_id}/resolve", data={
        "resolution": "rejected", "resolution_comment": "Zostaje."}).status_code == 302
    assert review_row(app, review_id).resolution == "rejected"

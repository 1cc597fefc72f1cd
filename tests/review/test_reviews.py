"""Supervisors review finished conversations; clerks read their own reviews and answer."""

from __future__ import annotations

import re

from sqlalchemy import select

from hub.accounts.models import User
from hub.extensions import db
from hub.interactions.models import Interaction
from hub.review import service
from hub.review.models import Calibration, Review
from tests.conftest import ADMIN, ANNA, EWA, PIOTR, emit, login
from tests.review import reviewing
from tests.review.reviewing import (
    CLERK_SAYS,
    NOTE,
    RESIDENT_SAYS,
    answer_count,
    begin,
    criteria,
    events,
    full_marks,
    review_row,
    submitted_review,
)

closed_chat = reviewing.closed_chat  # the fixture


def test_a_supervisor_reviews_a_conversation_beside_its_transcript(app, closed_chat):
    """Can Ewa begin a review from the conversation's page, score it and see the result?"""
    interaction_id = closed_chat()
    ewa = login(app, EWA)
    page = ewa.get(f"/supervisor/interactions/{interaction_id}?lang=en").get_data(as_text=True)
    assert "No reviews yet." in page
    assert f'action="/supervisor/interactions/{interaction_id}/review"' in page
    assert "Review this conversation" in page

    review_id = begin(ewa, interaction_id)
    assert begin(ewa, interaction_id) == review_id  # beginning again opens the same draft
    form = ewa.get(f"/supervisor/reviews/{review_id}?lang=en").get_data(as_text=True)
    for text in (RESIDENT_SAYS, CLERK_SAYS, NOTE, "Internal note · Anna Kowalska"):
        assert text in form
    crits = criteria(app, review_id)
    assert len(re.findall(r'<fieldset class="criterion"', form)) == len(crits)
    greeting = next(c for c in crits if c.title == "Powitanie")
    assert re.search(r'<legend>Powitanie</legend>', form)
    assert f'<label for="value-{greeting.id}-0">0 – not met</label>' in form
    assert f'<label for="value-{greeting.id}-1">1 – partly met</label>' in form
    assert f'<label for="value-{greeting.id}-2">2 – met</label>' in form
    assert f'id="value-{greeting.id}-na"' not in form  # N/A is not offered for greeting
    procedure = next(c for c in crits if c.title == "Procedura")
    assert f'id="value-{procedure.id}-na"' in form
    assert "Critical: also counted in the critical score." in form
    assert "Fatal: a score below 1 makes the whole review score 0%." in form

    data = {**full_marks(crits, {"Powitanie": "1", "Procedura": "na"}),
            f"comment-{greeting.id}": "Bez przedstawienia się.", "comment": "Dobra rozmowa."}
    submitted = ewa.post(f"/supervisor/reviews/{review_id}", data=data)
    assert submitted.status_code == 302
    shown = ewa.get(f"/supervisor/reviews/{review_id}?lang=en").get_data(as_text=True)
    # Weights answered: 1 + 2 + 3 + 2 + 1 + 1 + 1 + 1 = 12; greeting 1/2 loses 0.5 → 95.8 %.
    assert '<strong class="score">95.8%</strong>' in shown
    assert "Bez przedstawienia się." in shown and "Dobra rozmowa." in shown
    assert "Waiting for Anna Kowalska to acknowledge or dispute the review." in shown
    assert f'name="value-{greeting.id}"' not in shown  # a submitted review is not a form

    page = ewa.get(f"/supervisor/interactions/{interaction_id}?lang=en").get_data(as_text=True)
    assert re.search(r"Random sample</td>\s*<td>Ewa Wiśniewska</td>\s*<td>95.8%</td>\s*"
                     r"<td>Waiting for the clerk(&#39;|')s answer</td>", page)
    assert [(k, who) for k, who, _ in events(app, interaction_id)] == [
        ("review_started", EWA), ("reviewed", EWA)]
    assert events(app, interaction_id)[1][2]["score"] == 23 / 24


def test_a_form_with_problems_keeps_nothing_and_shows_what_was_entered(app, closed_chat):
    interaction_id = closed_chat()
    ewa = login(app, EWA)
    review_id = begin(ewa, interaction_id)
    crits = {c.title: c for c in criteria(app, review_id)}
    data = full_marks(list(crits.values()), {"Powitanie": "7", "Kompetencja": "na",
                                             "Zakończenie": "dobrze"})
    del data[f"value-{crits['Uprzejmość'].id}"]
    data[f"comment-{crits['Procedura'].id}"] = "Zostaje po błędzie."
    data["comment"] = "Ogólnie dobrze."
    refused = ewa.post(f"/supervisor/reviews/{review_id}?lang=en", data=data)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    start = page.index('class="error-summary"')
    summary = page[start:page.index("</ul>", start)]
    assert re.findall(r'<a href="#value-(\d+)-0">([^:]+): ([^<]+)</a>', summary) == [
        (str(crits["Powitanie"].id), "Powitanie",
         "Please choose a value from the criterion&#39;s scale."),
        (str(crits["Uprzejmość"].id), "Uprzejmość", "Please choose a score for this criterion."),
        (str(crits["Kompetencja"].id), "Kompetencja",
         "This criterion cannot be marked not applicable."),
        (str(crits["Zakończenie"].id), "Zakończenie",
         "Please choose a value from the criterion&#39;s scale."),
    ]
    assert f'id="error-{crits["Uprzejmość"].id}"' in page
    assert re.search(rf'id="value-{crits["Procedura"].id}-2" value="2" checked', page)
    assert "Zostaje po błędzie." in page and "Ogólnie dobrze." in page
    review = review_row(app, review_id)
    assert (review.state, review.score, review.comment) == ("draft", None, "")
    assert answer_count(app, review_id) == 0
    assert [k for k, _, _ in events(app, interaction_id)] == ["review_started"]


def test_nobody_reviews_their_own_conversation(app, closed_chat):
    """Ewa answered this chat herself: no button, a clear reason, and a refused POST."""
    interaction_id = closed_chat(EWA)
    ewa = login(app, EWA)
    page = ewa.get(f"/supervisor/interactions/{interaction_id}?lang=en").get_data(as_text=True)
    assert "You handled this conversation yourself" in page
    assert "Review this conversation" not in page
    refused = ewa.post(f"/supervisor/interactions/{interaction_id}/review?lang=en",
                       data={"kind": "random"}, follow_redirects=True)
    assert "You handled this conversation yourself" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Review)) is None


def test_a_conversation_still_going_on_cannot_be_reviewed(app, resident, staff):
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    started = emit(resident(), "/chat", "start", {"department": "registry", "consent": True})
    interaction_id = started["status"]["interaction_id"]
    assert emit(anna, "/staff", "accept", {"interaction_id": interaction_id})["ok"]
    ewa = login(app, EWA)
    refused = ewa.post(f"/supervisor/interactions/{interaction_id}/review?lang=en",
                       follow_redirects=True).get_data(as_text=True)
    assert "This conversation is still going on" in refused
    with app.app_context():
        assert db.session.scalar(select(Review)) is None


def test_only_the_reviewer_scores_a_draft(app, closed_chat):
    ewa = login(app, EWA)
    review_id = begin(ewa, closed_chat())
    admin = login(app, ADMIN)
    page = admin.get(f"/supervisor/reviews/{review_id}?lang=en").get_data(as_text=True)
    assert "This review is a draft by Ewa Wiśniewska; only they can score it." in page
    refused = admin.post(f"/supervisor/reviews/{review_id}?lang=en",
                         data=full_marks(criteria(app, review_id)))
    assert refused.status_code == 403
    assert "Only the supervisor who began this review can change it." in \
        refused.get_data(as_text=True)
    assert review_row(app, review_id).state == "draft"
    assert answer_count(app, review_id) == 0


def test_clerks_cannot_open_supervisor_review_pages(app, closed_chat):
    interaction_id, review_id = submitted_review(app, closed_chat)
    anna = login(app, ANNA)
    assert anna.get("/supervisor/reviews").status_code == 403
    assert anna.get(f"/supervisor/reviews/{review_id}").status_code == 403
    assert anna.post(f"/supervisor/interactions/{interaction_id}/review").status_code == 403
    assert anna.post(f"/supervisor/reviews/{review_id}/resolve",
                     data={"resolution": "accepted", "resolution_comment": "x"}
                     ).status_code == 403
    assert login(app, EWA).get("/console/reviews").status_code == 200  # supervisors are clerks


def test_a_clerk_sees_only_their_own_submitted_reviews(app, closed_chat):
    """Anna sees her random and mystery reviews; not Piotr's, not drafts."""
    _, annas = submitted_review(app, closed_chat)
    _, mystery = submitted_review(app, closed_chat, kind="mystery")
    _, piotrs = submitted_review(app, closed_chat, clerk=PIOTR)
    draft = begin(login(app, EWA), closed_chat())
    anna = login(app, ANNA)
    page = anna.get("/console/reviews?lang=en").get_data(as_text=True)
    shown = {int(i) for i in re.findall(r'<article class="my-review[^"]*" id="review-(\d+)"', page)}
    assert shown == {annas, mystery}
    assert "Mystery shopper" in page and "2 reviews wait for your answer." in page
    assert piotrs not in shown and draft not in shown
    assert anna.post(f"/console/reviews/{piotrs}", data={"action": "acknowledge"}
                     ).status_code == 404
    assert anna.post(f"/console/reviews/{draft}", data={"action": "acknowledge"}
                     ).status_code == 404


def test_the_console_links_to_my_reviews_with_the_number_waiting(app, closed_chat):
    anna = login(app, ANNA)
    page = anna.get("/console?lang=en").get_data(as_text=True)
    assert 'href="/console/reviews">My reviews</a>' in page
    _, review_id = submitted_review(app, closed_chat)
    page = anna.get("/console?lang=en").get_data(as_text=True)
    link = re.search(r'<a href="/console/reviews">(.*?)</a>', page)
    # Screen readers hear "My reviews (1 new)": the brackets are visually hidden.
    assert " ".join(re.sub(r"<[^>]+>", " ", link[1]).split()) == "My reviews ( 1 new )"

    done = anna.post(f"/console/reviews/{review_id}", data={"action": "acknowledge"})
    assert done.status_code == 302
    assert 'href="/console/reviews">My reviews</a>' in anna.get("/console").get_data(as_text=True)


def test_a_clerk_acknowledges_once(app, closed_chat):
    interaction_id, review_id = submitted_review(app, closed_chat)
    anna = login(app, ANNA)
    assert anna.post(f"/console/reviews/{review_id}", data={"action": "acknowledge"}
                     ).status_code == 302
    page = anna.get("/console/reviews?lang=en").get_data(as_text=True)
    assert "Acknowledged on" in page and 'name="action" value="dispute"' not in page
    again = anna.post(f"/console/reviews/{review_id}?lang=en",
                      data={"action": "dispute", "comment": "Jednak nie."})
    assert again.status_code == 400
    assert "You have already answered this review." in again.get_data(as_text=True)
    assert review_row(app, review_id).state == "acknowledged"
    assert [(k, who) for k, who, _ in events(app, interaction_id)][-1] == \
        ("review_acknowledged", ANNA)
    ewa_view = login(app, EWA).get(f"/supervisor/reviews/{review_id}?lang=en")
    assert "Acknowledged on" in ewa_view.get_data(as_text=True)


def test_a_fatal_failure_scores_0_and_says_why(app, closed_chat):
    """Full marks except data protection (fatal, 0 of 1, fails below 1) → 0 %."""
    interaction_id = closed_chat()
    ewa = login(app, EWA)
    review_id = begin(ewa, interaction_id)
    crits = criteria(app, review_id)
    ewa.post(f"/supervisor/reviews/{review_id}",
             data=full_marks(crits, {"Ochrona danych osobowych": "0"}))
    page = ewa.get(f"/supervisor/reviews/{review_id}?lang=en").get_data(as_text=True)
    assert '<strong class="score">0%</strong>' in page
    assert "The review scores 0% because a fatal criterion failed:" in page
    assert ("“Ochrona danych osobowych” scored 0; anything below 1 fails the whole review."
            in page)
    assert "100%" in page  # the critical criteria, scored apart, were all met
    clerk_page = login(app, ANNA).get("/console/reviews?lang=en").get_data(as_text=True)
    assert "The review scores 0% because a fatal criterion failed:" in clerk_page
    assert events(app, interaction_id)[-1][2]["fatal"] is True


def test_calibration_reviews_are_blind(app, closed_chat):
    """A calibration review is listed only for its author: not in the clerk's reviews, not
    on another supervisor's interaction page or review list, and its page is refused."""
    interaction_id = closed_chat()
    with app.app_context():
        ewa, admin = (db.session.scalar(select(User).where(User.email == e)) for e in (EWA, ADMIN))
        interaction = db.session.get(Interaction, interaction_id)
        calibration = Calibration(title="Kalibracja", version=service.current_version(),
                                  lead_id=admin.id, interactions=[interaction],
                                  participants=[ewa, admin])
        db.session.add(calibration)
        db.session.flush()
        review = service.start_review(interaction, ewa, "calibration",
                                      calibration_id=calibration.id)
        values = {c.id: c.scale_max for c in review.version.criteria}
        service.submit_review(review, ewa, values)
        db.session.commit()
        review_id = review.id

    ewa_http, admin_http = login(app, EWA), login(app, ADMIN)
    own = ewa_http.get(f"/supervisor/interactions/{interaction_id}?lang=en").get_data(as_text=True)
    assert f"/supervisor/reviews/{review_id}" in own and "Calibration" in own
    other = admin_http.get(f"/supervisor/interactions/{interaction_id}?lang=en").get_data(
        as_text=True)
    assert f"/supervisor/reviews/{review_id}" not in other and "No reviews yet." in other
    assert admin_http.get(f"/supervisor/reviews/{review_id}").status_code == 403
    assert f"/supervisor/reviews/{review_id}\"" not in admin_http.get(
        "/supervisor/reviews").get_data(as_text=True)
    clerk = login(app, ANNA).get("/console/reviews?lang=en").get_data(as_text=True)
    assert "You have no reviews yet." in clerk
    assert login(app, ANNA).post(f"/console/reviews/{review_id}",
                                 data={"action": "acknowledge"}).status_code == 404


def test_the_review_list_filters_by_clerk_kind_and_state(app, closed_chat):
    _, annas = submitted_review(app, closed_chat)
    _, piotrs = submitted_review(app, closed_chat, clerk=PIOTR, kind="reactive")
    ewa = login(app, EWA)
    draft = begin(ewa, closed_chat())

    def listed(query: str = "") -> set[int]:
        page = ewa.get(f"/supervisor/reviews?lang=en{query}").get_data(as_text=True)
        section = page[page.index('id="all-heading"'):]
        return {int(i) for i in re.findall(r'href="/supervisor/reviews/(\d+)"', section)}

    assert listed() == {annas, piotrs, draft}
    with app.app_context():
        piotr = db.session.scalar(select(User).where(User.email == PIOTR))
    assert listed(f"&clerk={piotr.id}") == {piotrs}
    assert listed("&kind=reactive") == {piotrs}
    assert listed("&state=draft") == {draft}
    page = ewa.get("/supervisor/reviews?lang=en").get_data(as_text=True)
    drafts = page[page.index('id="drafts-heading"'):page.index('id="disputes-heading"')]
    assert f"Continue review #{draft}" in drafts

"""Admins write scorecards: drafts are edited, published versions never; reviews keep theirs."""

from __future__ import annotations

import re

from sqlalchemy import select

from hub.extensions import db
from hub.interactions.models import InteractionEvent
from hub.review.models import Review, Scorecard, ScorecardVersion
from tests.conftest import ADMIN, ANNA, EWA, login
from tests.review import reviewing
from tests.review.reviewing import (
    begin,
    criteria,
    submitted_review,
)

closed_chat = reviewing.closed_chat  # the fixture

CRITERION = {"title": "Uśmiech w głosie", "guidance": "Ton życzliwy.", "scale_min": "1",
             "scale_max": "5", "weight": "1,5", "severity": "normal", "fail_below": ""}


def version_id(response) -> int:
    assert response.status_code == 302, response.data
    return int(re.search(r"/admin/scorecards/versions/(\d+)", response.headers["Location"])[1])


def new_card(admin, name: str = "Karta testowa") -> int:
    """A new scorecard's draft version 1, with one section; returns (version id)."""
    vid = version_id(admin.post("/admin/scorecards", data={"name": name, "description": ""}))
    assert admin.post(f"/admin/scorecards/versions/{vid}/sections",
                      data={"new_section": "Rozmowa"}).status_code == 302
    return vid


def sections(app, vid: int) -> list[tuple[str, list[str]]]:
    with app.app_context():
        version = db.session.get(ScorecardVersion, vid)
        return [(s.title, [c.title for c in s.criteria]) for s in version.sections]


def section_ids(app, vid: int) -> list[int]:
    with app.app_context():
        return [s.id for s in db.session.get(ScorecardVersion, vid).sections]


def test_only_admins_edit_scorecards(app):
    """Do supervisors and clerks get 403 on the editor, and admins the default scorecard?"""
    for email in (ANNA, EWA):
        assert login(app, email).get("/admin/scorecards").status_code == 403
    page = login(app, ADMIN).get("/admin/scorecards?lang=en").get_data(as_text=True)
    assert "Karta oceny rozmowy z mieszkańcem" in page
    assert "Published" in page and "New version" in page


def test_a_criterion_with_bad_values_is_refused_field_by_field_and_nothing_is_kept(app):
    admin = login(app, ADMIN)
    vid = new_card(admin)
    sid = section_ids(app, vid)[0]
    bad = {"title": " ", "scale_min": "2", "scale_max": "2", "weight": "0",
           "severity": "fatal", "fail_below": "5"}
    page = admin.post(f"/admin/scorecards/sections/{sid}/criteria/new?lang=en", data=bad)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "error-summary" in html
    assert "Title: Please give the criterion a title" in html
    assert "Highest score: The lowest score must be below the highest." in html
    assert "Weight: Please give a weight above 0" in html
    assert sections(app, vid) == [("Rozmowa", [])]

    fatal = {**bad, "title": "RODO", "scale_min": "0", "scale_max": "1", "weight": "1"}
    html = admin.post(f"/admin/scorecards/sections/{sid}/criteria/new?lang=en",
                      data=fatal).get_data(as_text=True)
    assert "a whole number from 1 to 1" in html  # fail_below must lie within the scale
    fatal["fail_below"] = "1"
    assert admin.post(f"/admin/scorecards/sections/{sid}/criteria/new",
                      data=fatal).status_code == 302
    assert sections(app, vid) == [("Rozmowa", ["RODO"])]


def test_sections_and_criteria_are_added_renamed_reordered_and_removed(app):
    admin = login(app, ADMIN)
    vid = new_card(admin)
    admin.post(f"/admin/scorecards/versions/{vid}/sections", data={"new_section": "Koniec"})
    first, second = section_ids(app, vid)
    for title in ("A", "B", "C"):
        assert admin.post(f"/admin/scorecards/sections/{first}/criteria/new",
                          data={**CRITERION, "title": title}).status_code == 302
    assert admin.post(f"/admin/scorecards/sections/{second}",
                      data={"action": "up"}).status_code == 302
    admin.post(f"/admin/scorecards/sections/{first}",
               data={"action": "rename", f"section-{first}": "Merytoryka"})
    with app.app_context():
        ids = {c.title: c.id for c in db.session.get(ScorecardVersion, vid).criteria}
    admin.post(f"/admin/scorecards/criteria/{ids['C']}/move", data={"direction": "up"})
    admin.post(f"/admin/scorecards/criteria/{ids['A']}/remove")
    assert sections(app, vid) == [("Koniec", []), ("Merytoryka", ["C", "B"])]

    refused = admin.post(f"/admin/scorecards/sections/{first}?lang=en",
                         data={"action": "rename", f"section-{first}": ""})
    assert refused.status_code == 400
    assert "Please give the section a title" in refused.get_data(as_text=True)
    # An empty section cannot be published; removed, the version publishes.
    page = admin.post(f"/admin/scorecards/versions/{vid}/publish?lang=en")
    assert page.status_code == 400
    assert "The section “Koniec” has no criteria" in page.get_data(as_text=True)
    admin.post(f"/admin/scorecards/sections/{second}", data={"action": "remove"})
    assert admin.post(f"/admin/scorecards/versions/{vid}/publish").status_code == 302
    assert sections(app, vid) == [("Merytoryka", ["C", "B"])]


def test_an_empty_draft_cannot_be_published(app):
    admin = login(app, ADMIN)
    vid = version_id(admin.post("/admin/scorecards", data={"name": "Pusta"}))
    page = admin.post(f"/admin/scorecards/versions/{vid}/publish?lang=en")
    assert page.status_code == 400
    assert "Add at least one criterion before publishing." in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ScorecardVersion, vid).state == "draft"


def test_a_published_version_is_never_edited(app):
    """Do changes to a published version's sections and criteria get refused?"""
    admin = login(app, ADMIN)
    admin.get("/admin/scorecards")  # publishes the default scorecard
    with app.app_context():
        published = db.session.scalar(select(ScorecardVersion))
        vid, sid, cid = published.id, published.sections[0].id, published.criteria[0].id
    before = sections(app, vid)
    refused = admin.post(f"/admin/scorecards/sections/{sid}?lang=en",
                         data={"action": "rename", f"section-{sid}": "Zmienione"})
    assert refused.status_code == 400
    assert "A published version is never changed" in refused.get_data(as_text=True)
    assert admin.post(f"/admin/scorecards/criteria/{cid}",
                      data={**CRITERION, "title": "Zmienione"}).status_code == 302
    admin.post(f"/admin/scorecards/criteria/{cid}/remove")
    admin.post(f"/admin/scorecards/versions/{vid}/sections", data={"new_section": "Nowa"})
    assert sections(app, vid) == before
    page = admin.get(f"/admin/scorecards/versions/{vid}?lang=en").get_data(as_text=True)
    assert "New version" in page and "Rename" not in page


def test_publishing_v2_retires_v1_and_old_reviews_keep_v1(app, closed_chat):
    """Publish v2 (greeting removed, a new criterion): the old review still shows v1's
    criteria and its score; a new review is scored on v2; publishing is logged."""
    _, old_review = submitted_review(app, closed_chat)
    admin = login(app, ADMIN)
    with app.app_context():
        card = db.session.scalar(select(Scorecard))
        card_id, v1 = card.id, card.published.id
    v2 = version_id(admin.post(f"/admin/scorecards/{card_id}/versions"))
    assert v2 != v1
    with app.app_context():
        version = db.session.get(ScorecardVersion, v2)
        assert version.number == 2 and version.state == "draft"
        greeting = next(c.id for c in version.criteria if c.title == "Powitanie")
        first_section = version.sections[0].id
    admin.post(f"/admin/scorecards/criteria/{greeting}/remove")
    admin.post(f"/admin/scorecards/sections/{first_section}/criteria/new", data=CRITERION)
    assert admin.post(f"/admin/scorecards/versions/{v2}/publish").status_code == 302

    with app.app_context():
        assert db.session.get(ScorecardVersion, v1).state == "retired"
        assert db.session.get(ScorecardVersion, v2).state == "published"
        assert db.session.get(Review, old_review).version_id == v1
        published = db.session.scalars(select(InteractionEvent).where(
            InteractionEvent.kind == "scorecard_published")).all()
        assert [(e.data, e.interaction_id) for e in published] == [
            ({"scorecard_id": card_id, "version": 2}, None)]

    ewa = login(app, EWA)
    old_page = ewa.get(f"/supervisor/reviews/{old_review}?lang=en").get_data(as_text=True)
    assert "Powitanie" in old_page and "Uśmiech w głosie" not in old_page
    assert "version 1" in old_page and '<strong class="score">100%</strong>' in old_page
    new_review = begin(ewa, closed_chat())
    titles = [c.title for c in criteria(app, new_review)]
    assert "Uśmiech w głosie" in titles and "Powitanie" not in titles
    listing = admin.get("/admin/scorecards?lang=en").get_data(as_text=True)
    assert re.search(r"Version 1</a></th>\s*<td>Retired</td>\s*<td>[^<]+</td>\s*<td>1</td>",
                     listing)
    assert re.search(r"Version 2</a></th>\s*<td>Published</td>\s*<td>[^<]+</td>\s*<td>1</td>",
                     listing)

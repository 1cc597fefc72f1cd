"""Supervisors and admins keep the canned answers at /supervisor/canned."""

from __future__ import annotations

from sqlalchemy import func, select

from hub.accounts.models import Department
from hub.canned.models import CannedResponse
from hub.extensions import db
from hub.interactions.models import InteractionEvent
from tests.conftest import ADMIN, ANNA, EWA, login

VALID = {"department_id": "", "language": "pl", "shortcut": "paszport", "title": "Paszport",
         "body": "Wniosek o paszport składa się osobiście."}


def state(app) -> tuple:
    """Everything a refused change must leave alone: the answers and the canned_* events."""
    with app.app_context():
        answers = db.session.execute(
            select(CannedResponse.id, CannedResponse.shortcut, CannedResponse.title,
                   CannedResponse.body, CannedResponse.department_id,
                   CannedResponse.language, CannedResponse.active).order_by(CannedResponse.id)
        ).all()
        events = db.session.scalar(select(func.count()).select_from(InteractionEvent)
                                   .where(InteractionEvent.kind.like("canned_%")))
        return answers, events


def canned_events(app) -> list[tuple[str, int, dict]]:
    with app.app_context():
        return [(e.kind, e.actor_id, e.data) for e in db.session.scalars(
            select(InteractionEvent).where(InteractionEvent.kind.like("canned_%"))
            .order_by(InteractionEvent.id))]


def answer_id(app, shortcut: str, language: str = "pl") -> int:
    with app.app_context():
        return db.session.scalar(select(CannedResponse.id).where(
            CannedResponse.shortcut == shortcut, CannedResponse.language == language))


def test_only_supervisors_and_admins_manage_answers(app, client):
    """Is an anonymous visitor sent to sign in, a clerk refused, a supervisor or admin let in?"""
    godziny = answer_id(app, "godziny")
    before = state(app)
    for response in (client.get("/supervisor/canned"), client.post("/supervisor/canned/new",
                                                                    data=VALID)):
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    anna = login(app, ANNA)
    assert anna.get("/supervisor/canned").status_code == 403
    assert anna.post("/supervisor/canned/new", data=VALID).status_code == 403
    assert anna.post(f"/supervisor/canned/{godziny}", data=VALID).status_code == 403
    assert anna.post(f"/supervisor/canned/{godziny}/deactivate").status_code == 403
    assert "/supervisor/canned" not in anna.get("/console").get_data(as_text=True)
    assert state(app) == before

    for email in (EWA, ADMIN):
        page = login(app, email).get("/supervisor/canned").get_data(as_text=True)
        assert "/godziny" in page and 'href="/supervisor/canned"' in page


def test_list_filters_by_department_and_language(app):
    ewa = login(app, EWA)
    with app.app_context():
        registry = db.session.scalar(select(Department.id).where(Department.code == "registry"))

    english = ewa.get("/supervisor/canned?language=en").get_data(as_text=True)
    assert "/hours" in english and "/godziny" not in english
    own = ewa.get(f"/supervisor/canned?department={registry}").get_data(as_text=True)
    assert "/odpis" in own and "/copy" in own
    assert "/rejestracja" not in own and "/godziny" not in own
    shared = ewa.get("/supervisor/canned?department=every&language=pl").get_data(as_text=True)
    assert "/godziny" in shared and "/odpis" not in shared and "/hours" not in shared


def test_create_edit_and_deactivate_are_logged(app):
    """Does each change land, with a canned_* event naming the answer and who changed it?"""
    ewa = login(app, EWA)
    created = ewa.post("/supervisor/canned/new", data=VALID)
    assert created.status_code == 302
    new_id = answer_id(app, "paszport")
    assert "/paszport" in ewa.get("/supervisor/canned").get_data(as_text=True)

    form = ewa.get(f"/supervisor/canned/{new_id}").get_data(as_text=True)
    assert 'value="paszport"' in form and "Wniosek o paszport" in form
    edited = ewa.post(f"/supervisor/canned/{new_id}",
                      data={**VALID, "language": "en", "shortcut": "passport",
                            "body": "Apply for a passport in person."})
    assert edited.status_code == 302
    with app.app_context():
        answer = db.session.get(CannedResponse, new_id)
        assert (answer.shortcut, answer.language, answer.body, answer.department_id) == (
            "passport", "en", "Apply for a passport in person.", None)
        ewa_id = answer.updated_by_id

    assert ewa.post(f"/supervisor/canned/{new_id}/deactivate").status_code == 302
    with app.app_context():
        assert db.session.get(CannedResponse, new_id).active is False
    assert "/passport" not in ewa.get("/supervisor/canned").get_data(as_text=True)
    assert ewa.get(f"/supervisor/canned/{new_id}").status_code == 404
    assert canned_events(app) == [
        ("canned_created", ewa_id, {"canned_id": new_id}),
        ("canned_updated", ewa_id, {"canned_id": new_id}),
        ("canned_deactivated", ewa_id, {"canned_id": new_id}),
    ]


def test_bad_input_is_refused_next_to_the_field_and_changes_nothing(app):
    """Are a bad shortcut, a taken one or an empty body refused with a message, unsaved?"""
    ewa = login(app, EWA)
    godziny = answer_id(app, "godziny")
    before = state(app)

    bad = ewa.post("/supervisor/canned/new?lang=en", data={**VALID, "shortcut": "godz iny!"})
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "The shortcut must have 1 to 40 letters, digits, hyphens or underscores." in page
    assert 'aria-describedby="shortcut-hint shortcut-error"' in page
    assert 'aria-invalid="true"' in page and page.count('aria-invalid="true"') == 1
    assert 'value="godz iny!"' in page  # what was typed is kept for correcting

    empty = ewa.post("/supervisor/canned/new?lang=en", data={**VALID, "body": "   "})
    assert empty.status_code == 400
    assert "Please write the text of the answer." in empty.get_data(as_text=True)

    taken = ewa.post("/supervisor/canned/new?lang=en", data={**VALID, "shortcut": "Godziny"})
    assert "already uses this shortcut" in taken.get_data(as_text=True)

    edit = ewa.post(f"/supervisor/canned/{godziny}?lang=en",
                    data={**VALID, "shortcut": "x" * 41, "body": "", "language": "de",
                          "department_id": "999999"})
    assert edit.status_code == 400
    page = edit.get_data(as_text=True)
    for message in ("The shortcut must have 1 to 40", "Please write the text of the answer.",
                    "Please choose a language from the list.",
                    "Please choose a department from the list."):
        assert message in page

    assert ewa.post("/supervisor/canned/999999/deactivate").status_code == 404
    assert state(app) == before

    # The same shortcut is free in another department's scope.
    with app.app_context():
        registry = db.session.scalar(select(Department.id).where(Department.code == "registry"))
    scoped = ewa.post("/supervisor/canned/new", data={**VALID, "shortcut": "godziny",
                                                       "department_id": str(registry)})
    assert scoped.status_code == 302
    assert ewa.post(f"/supervisor/canned/{godziny}/deactivate").status_code == 302
    again = ewa.post(f"/supervisor/canned/{godziny}/deactivate")
    assert again.status_code == 404  # already withdrawn: nothing more to do
    assert [kind for kind, *_ in canned_events(app)] == ["canned_created", "canned_deactivated"]

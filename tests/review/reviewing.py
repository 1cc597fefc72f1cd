"""Helpers for the review tests: a finished conversation in one line, a review begun over
HTTP, and the form data that scores it. Fixtures here are imported by the test modules."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from hub.accounts.models import User
from hub.extensions import db
from hub.interactions.models import InteractionEvent
from hub.review.models import Review
from tests.conftest import ANNA, EWA, PIOTR, emit, login

RESIDENT_SAYS = "Dzień dobry, potrzebuję zaświadczenia o zameldowaniu."
CLERK_SAYS = "Dzień dobry, zaświadczenie wyda Urząd; proszę zabrać dowód osobisty."
NOTE = "Sprawdzić opłatę skarbową."


@pytest.fixture
def closed_chat(resident, staff):
    """closed_chat(clerk=ANNA, department=None) → the id of a finished conversation (in
    registry, or vehicles for Piotr):
    the resident asked, the clerk replied and noted, then closed it as resolved."""
    clerks = {}

    def make(clerk: str = ANNA, department: str | None = None) -> int:
        department = department or ("vehicles" if clerk == PIOTR else "registry")
        if clerk not in clerks:
            clerks[clerk] = staff(clerk)
            assert emit(clerks[clerk], "/staff", "presence", {"status": "available"})["ok"]
        sio = clerks[clerk]
        chat = resident()
        started = emit(chat, "/chat", "start",
                       {"department": department, "name": "Jan Kowalski", "consent": True})
        assert started["ok"], started
        interaction_id = started["status"]["interaction_id"]
        assert emit(sio, "/staff", "accept", {"interaction_id": interaction_id})["ok"]
        assert emit(chat, "/chat", "message", {"token": started["token"], "client_id": "c1",
                                               "body": RESIDENT_SAYS})["ok"]
        assert emit(sio, "/staff", "reply",
                    {"interaction_id": interaction_id, "body": CLERK_SAYS})["ok"]
        assert emit(sio, "/staff", "note", {"interaction_id": interaction_id, "body": NOTE})["ok"]
        closed = emit(sio, "/staff", "close",
                      {"interaction_id": interaction_id, "disposition": "resolved"})
        assert closed["ok"], closed
        return interaction_id

    return make


@dataclass
class Crit:
    """A criterion as the tests need it."""

    id: int
    title: str
    low: int
    high: int
    allows_na: bool
    severity: str
    fail_below: int | None


def criteria(app, review_id: int) -> list[Crit]:
    """The criteria of the review's scorecard version, in form order."""
    with app.app_context():
        review = db.session.get(Review, review_id)
        return [Crit(c.id, c.title, c.scale_min, c.scale_max, c.allows_na, c.severity,
                     c.fail_below) for c in review.version.criteria]


def begin(http, interaction_id: int, kind: str = "random") -> int:
    """POST review.start as the signed-in supervisor; returns the review's id."""
    response = http.post(f"/supervisor/interactions/{interaction_id}/review", data={"kind": kind})
    assert response.status_code == 302, response.data
    match = re.search(r"/supervisor/reviews/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match[1])


def full_marks(crits: list[Crit], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Form data giving every criterion its top value; `overrides` maps titles to values."""
    data = {f"value-{c.id}": str(c.high) for c in crits}
    by_title = {c.title: c for c in crits}
    for title, value in (overrides or {}).items():
        data[f"value-{by_title[title].id}"] = value
    return data


def submitted_review(app, closed_chat, form: dict | None = None, clerk: str = ANNA,
                     reviewer: str = EWA, kind: str = "random") -> tuple[int, int]:
    """(interaction id, review id): a conversation reviewed and submitted with full marks
    (or with `form`)."""
    interaction_id = closed_chat(clerk)
    http = login(app, reviewer)
    review_id = begin(http, interaction_id, kind)
    data = form if form is not None else full_marks(criteria(app, review_id))
    response = http.post(f"/supervisor/reviews/{review_id}", data=data)
    assert response.status_code == 302, response.data
    return interaction_id, review_id


def events(app, interaction_id: int) -> list[tuple[str, str | None, dict]]:
    """(kind, actor's e-mail, data) of the interaction's review events, in order."""
    with app.app_context():
        emails = dict(db.session.execute(select(User.id, User.email)).all())
        rows = db.session.scalars(select(InteractionEvent).where(
            InteractionEvent.interaction_id == interaction_id,
            InteractionEvent.kind.like("review%")).order_by(InteractionEvent.id))
        return [(e.kind, emails.get(e.actor_id), e.data) for e in rows]


def review_row(app, review_id: int) -> Review:
    with app.app_context():
        review = db.session.get(Review, review_id)
        db.session.expunge(review)
        return review


def answer_count(app, review_id: int) -> int:
    with app.app_context():
        return len(db.session.get(Review, review_id).answers)

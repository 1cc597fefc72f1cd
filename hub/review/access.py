"""Who sees which review, and the lists of reviews the pages show.

Calibration reviews are blind: only their author sees them until the calibration's rules
(hub.review.calibration) open the results; they never reach the clerk. Clerks see only their
own submitted reviews.
"""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from hub.accounts.models import User
from hub.extensions import db
from hub.interactions.models import Interaction, InteractionEvent
from hub.review.models import Review

CLERK_KINDS = ("random", "reactive", "mystery")
PAGE_SIZE = 25


def can_view(review: Review, user: User) -> bool:
    """May this person open the review's page?"""
    if review.reviewer_id == user.id:
        return True
    if not user.has_role("supervisor"):
        return False
    if review.kind != "calibration":
        return True
    from hub.review.calibration import review_visible  # its own rules for blind scoring

    return review_visible(review, user)


def _not_others_calibration(viewer: User):
    return or_(Review.kind != "calibration", Review.reviewer_id == viewer.id)


def of_interaction(interaction: Interaction, viewer: User) -> list[Review]:
    """The interaction's reviews, oldest first; others' calibration reviews left out."""
    return list(db.session.scalars(
        select(Review).where(Review.interaction_id == interaction.id,
                             _not_others_calibration(viewer))
        .options(selectinload(Review.reviewer)).order_by(Review.id)
    ))


def _clerk_query(clerk: User) -> Select:
    return select(Review).where(Review.clerk_id == clerk.id, Review.kind.in_(CLERK_KINDS),
                                Review.state != "draft")


def of_clerk(clerk: User) -> list[Review]:
    """The clerk's own submitted reviews (never drafts, never calibration), newest first."""
    return list(db.session.scalars(
        _clerk_query(clerk).options(selectinload(Review.answers), selectinload(Review.reviewer))
        .order_by(Review.submitted_at.desc(), Review.id.desc())
    ))


def awaiting_response(clerk: User) -> int:
    """How many of the clerk's reviews wait for them to acknowledge or dispute."""
    return db.session.scalar(
        select(func.count()).select_from(
            _clerk_query(clerk).where(Review.state == "submitted").subquery())
    ) or 0


def drafts_of(reviewer: User) -> list[Review]:
    return list(db.session.scalars(
        select(Review).where(Review.reviewer_id == reviewer.id, Review.state == "draft")
        .order_by(Review.id.desc())
    ))


def disputed(viewer: User) -> list[Review]:
    """Disputes waiting for an answer: the viewer's own reviews first, then the others'."""
    reviews = db.session.scalars(
        select(Review).where(Review.state == "disputed").order_by(Review.clerk_responded_at)
    )
    return sorted(reviews, key=lambda r: r.reviewer_id != viewer.id)


def recent(viewer: User, clerk_id: int | None = None, kind: str = "", state: str = "",
           page: int = 1) -> tuple[list[Review], bool]:
    """One page of reviews, newest first, filtered; and whether there is a next page."""
    query = select(Review).where(_not_others_calibration(viewer))
    if clerk_id:
        query = query.where(Review.clerk_id == clerk_id)
    if kind:
        query = query.where(Review.kind == kind)
    if state:
        query = query.where(Review.state == state)
    rows = list(db.session.scalars(
        query.options(selectinload(Review.reviewer), selectinload(Review.clerk))
        .order_by(Review.id.desc()).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    ))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def clerks_reviewed() -> list[User]:
    """Everyone who has a review of their work (for the clerk filter)."""
    return list(db.session.scalars(
        select(User).where(User.id.in_(select(Review.clerk_id))).order_by(User.name)
    ))


def resolution_event(review: Review) -> InteractionEvent | None:
    """The timeline's record of the answer to this review's dispute (scores before, after)."""
    events = db.session.scalars(
        select(InteractionEvent).where(InteractionEvent.interaction_id == review.interaction_id,
                                       InteractionEvent.kind == "review_resolved")
        .order_by(InteractionEvent.id.desc())
    )
    return next((e for e in events if e.data.get("review_id") == review.id), None)

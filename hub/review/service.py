"""Reviews: begun on an interaction, scored on a published scorecard version, then answered.

Every step is an event in the interaction's timeline, so the log shows who reviewed what.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from hub.accounts.models import User
from hub.clock import utcnow
from hub.errors import MESSAGES, InvalidInput
from hub.extensions import db
from hub.interactions.events import record
from hub.interactions.models import Interaction
from hub.review import scoring
from hub.review.defaults import ensure_default_scorecard
from hub.review.models import REVIEW_KINDS, Review, ReviewAnswer, Scorecard, ScorecardVersion

MESSAGES.update({
    "review_kind": _l("Unknown kind of review."),
    "review_no_scorecard": _l("There is no published scorecard to review with."),
    "review_not_draft": _l("This review has already been submitted."),
    "review_not_yours": _l("Only the supervisor who began this review can change it."),
})


def current_version(scorecard_id: int | None = None) -> ScorecardVersion:
    """The published version of a scorecard (the first scorecard's when none is named)."""
    ensure_default_scorecard()
    query = select(Scorecard).order_by(Scorecard.id)
    if scorecard_id is not None:
        query = query.where(Scorecard.id == scorecard_id)
    for card in db.session.scalars(query):
        if card.published is not None:
            return card.published
    raise InvalidInput("review_no_scorecard")


def start_review(interaction: Interaction, reviewer: User, kind: str = "random",
                 version: ScorecardVersion | None = None,
                 calibration_id: int | None = None) -> Review:
    """A draft review of the interaction's clerk, by this reviewer (one draft each)."""
    if kind not in REVIEW_KINDS:
        raise InvalidInput("review_kind")
    same_calibration = (Review.calibration_id.is_(None) if calibration_id is None
                        else Review.calibration_id == calibration_id)
    existing = db.session.scalar(select(Review).where(
        Review.interaction_id == interaction.id, Review.reviewer_id == reviewer.id,
        Review.kind == kind, same_calibration,
    ))
    if existing is not None:
        return existing
    review = Review(interaction=interaction, reviewer_id=reviewer.id,
                    clerk_id=interaction.clerk_id, kind=kind,
                    version=version or current_version(), calibration_id=calibration_id)
    db.session.add(review)
    db.session.flush()
    record(interaction, "review_started", reviewer, review_id=review.id, kind=kind)
    return review


def submit_review(review: Review, reviewer: User, values: Mapping[int, int | None],
                  comments: Mapping[int, str] | None = None, comment: str = "") -> Review:
    """Score the answers (criterion id → value, None = N/A) and submit; nothing half-kept."""
    if review.state != "draft":
        raise InvalidInput("review_not_draft")
    if review.reviewer_id != reviewer.id:
        raise InvalidInput("review_not_yours")
    criteria = review.version.criteria
    outcome = scoring.score(criteria, values)
    comments = comments or {}
    review.answers = [
        ReviewAnswer(criterion_id=c.id, value=values[c.id], comment=comments.get(c.id, ""))
        for c in criteria
    ]
    review.score, review.critical_score = outcome.score, outcome.critical_score
    review.fatal_failed = outcome.fatal_failed
    review.comment = comment
    review.state = "submitted"
    review.submitted_at = utcnow()
    record(review.interaction, "reviewed", reviewer, review_id=review.id, kind=review.kind,
           score=outcome.score, fatal=outcome.fatal_failed)
    return review

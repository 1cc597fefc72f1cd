"""Reviews: begun on an interaction, scored on a published scorecard version, then answered.

A review goes draft → submitted → acknowledged, or disputed → resolved. Every step is an
event in the interaction's timeline, so the log shows who reviewed what and who answered.
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
from hub.interactions.models import Interaction, Message
from hub.review import scoring
from hub.review.defaults import ensure_default_scorecard
from hub.review.models import (
    RESOLUTIONS,
    REVIEW_KINDS,
    Criterion,
    Review,
    ReviewAnswer,
    Scorecard,
    ScorecardVersion,
)

COMMENT_LIMIT = 4000

MESSAGES.update({
    "review_kind": _l("Unknown kind of review."),
    "review_no_scorecard": _l("There is no published scorecard to review with."),
    "review_not_draft": _l("This review has already been submitted."),
    "review_not_yours": _l("Only the supervisor who began this review can change it."),
    "review_own_work": _l("You handled this conversation yourself, so another supervisor "
                          "must review it."),
    "review_still_open": _l("This conversation is still going on; score it once it has ended."),
    "review_no_clerk": _l("No clerk handled this conversation, so there is no work to score."),
    "review_comment_too_long": _l("The comment is too long: at most %(limit)s characters."),
    "review_not_clerks": _l("This review is not about your work."),
    "review_already_answered": _l("You have already answered this review."),
    "review_response": _l("Please choose to acknowledge the review or to dispute it."),
    "review_dispute_comment": _l("Please say what you disagree with, so the reviewer can "
                                 "look at it again."),
    "review_not_disputed": _l("Only a disputed review can be resolved."),
    "review_resolution": _l("Please choose whether you accept, partly accept or reject the "
                            "dispute."),
    "review_resolution_comment": _l("Please explain your decision to the clerk."),
    "review_resolve_own": _l("This dispute is about your own work: another supervisor must "
                             "answer it."),
})


# -- scorecard versions ------------------------------------------------------------------------


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


def published_versions() -> list[ScorecardVersion]:
    """Every scorecard's published version, in the scorecards' order (for a choice)."""
    return list(db.session.scalars(
        select(ScorecardVersion).join(Scorecard)
        .where(ScorecardVersion.state == "published").order_by(Scorecard.id)
    ))


# -- reviewing ---------------------------------------------------------------------------------


def handled_by(interaction: Interaction, user: User) -> bool:
    """Did this person handle the conversation (hold it, or write to the resident in it)?"""
    if interaction.clerk_id == user.id:
        return True
    return db.session.scalar(select(Message.id).where(
        Message.interaction_id == interaction.id, Message.author_id == user.id,
        Message.kind == "out",
    ).limit(1)) is not None


def start_review(interaction: Interaction, reviewer: User, kind: str = "random",
                 version: ScorecardVersion | None = None,
                 calibration_id: int | None = None) -> Review:
    """A draft review of the interaction's clerk, by this reviewer (one draft each).

    Refused (InvalidInput) for an unknown kind, and when the reviewer handled the
    conversation: nobody scores their own work. Starting again returns the same review.
    """
    if kind not in REVIEW_KINDS:
        raise InvalidInput("review_kind")
    if handled_by(interaction, reviewer):
        raise InvalidInput("review_own_work")
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
    record(interaction, "review_started", reviewer, review_id=review.id, review_kind=kind)
    return review


def _check_comments(comments: Mapping[int, str], comment: str) -> None:
    if any(len(text) > COMMENT_LIMIT for text in [comment, *comments.values()]):
        raise InvalidInput("review_comment_too_long", limit=COMMENT_LIMIT)


def _store_answers(review: Review, criteria: list[Criterion],
                   values: Mapping[int, int | None], comments: Mapping[int, str]) -> None:
    """Write the answers in place (a re-scored review keeps its answer rows)."""
    kept = {a.criterion_id: a for a in review.answers}
    for criterion in criteria:
        answer = kept.get(criterion.id)
        if answer is None:
            answer = ReviewAnswer(criterion_id=criterion.id)
            review.answers.append(answer)
        answer.value = values[criterion.id]
        answer.comment = (comments.get(criterion.id) or "").strip()


def _apply_score(review: Review, values: Mapping[int, int | None],
                 comments: Mapping[int, str]) -> scoring.Outcome:
    criteria = review.version.criteria
    outcome = scoring.score(criteria, values)  # raises before anything is changed
    _store_answers(review, criteria, values, comments)
    review.score, review.critical_score = outcome.score, outcome.critical_score
    review.fatal_failed = outcome.fatal_failed
    return outcome


def submit_review(review: Review, reviewer: User, values: Mapping[int, int | None],
                  comments: Mapping[int, str] | None = None, comment: str = "") -> Review:
    """Score the answers (criterion id → value, None = N/A) and submit; nothing half-kept.

    Refusals (InvalidInput; scoring.InvalidAnswers names each criterion at fault) change
    nothing: the review stays a draft without answers.
    """
    if review.state != "draft":
        raise InvalidInput("review_not_draft")
    if review.reviewer_id != reviewer.id:
        raise InvalidInput("review_not_yours")
    if review.interaction.is_open:
        raise InvalidInput("review_still_open")
    if review.kind != "calibration":  # calibration reviews score nobody's work
        if review.clerk_id is None:  # begun before anyone took the conversation (mystery)
            review.clerk_id = review.interaction.clerk_id
        if review.clerk_id is None:
            raise InvalidInput("review_no_clerk")
    comments = comments or {}
    _check_comments(comments, comment)
    outcome = _apply_score(review, values, comments)
    review.comment = comment.strip()
    review.state = "submitted"
    review.submitted_at = utcnow()
    record(review.interaction, "reviewed", reviewer, review_id=review.id,
           review_kind=review.kind, score=outcome.score, fatal=outcome.fatal_failed)
    return review


# -- the clerk's answer, and the dispute's resolution ----------------------------------------


def respond(review: Review, clerk: User, action: str, comment: str = "") -> Review:
    """The clerk acknowledges the review, or disputes it with a comment; once only."""
    if review.clerk_id != clerk.id or review.kind == "calibration":
        raise InvalidInput("review_not_clerks")
    if review.state != "submitted":
        raise InvalidInput("review_already_answered")
    if action not in ("acknowledge", "dispute"):
        raise InvalidInput("review_response")
    comment = (comment or "").strip()
    if action == "dispute" and not comment:
        raise InvalidInput("review_dispute_comment")
    _check_comments({}, comment)
    review.state = "acknowledged" if action == "acknowledge" else "disputed"
    review.clerk_comment = comment or None
    review.clerk_responded_at = utcnow()
    record(review.interaction, f"review_{review.state}", clerk, review_id=review.id)
    return review


def resolve(review: Review, supervisor: User, resolution: str, comment: str,
            values: Mapping[int, int | None] | None = None,
            comments: Mapping[int, str] | None = None) -> Review:
    """Answer a dispute (any supervisor but the clerk): accepted or partly accepted
    (re-scored from `values` when given), or rejected (the score stands). The event keeps
    the score before and after."""
    if review.state != "disputed":
        raise InvalidInput("review_not_disputed")
    if review.clerk_id == supervisor.id:
        raise InvalidInput("review_resolve_own")
    if resolution not in RESOLUTIONS:
        raise InvalidInput("review_resolution")
    comment = (comment or "").strip()
    if not comment:
        raise InvalidInput("review_resolution_comment")
    comments = comments or {}
    _check_comments(comments, comment)
    before = (review.score, review.fatal_failed)
    if resolution != "rejected" and values is not None:
        _apply_score(review, values, comments)
    review.state = "resolved"
    review.resolution = resolution
    review.resolution_comment = comment
    review.resolved_at = utcnow()
    record(review.interaction, "review_resolved", supervisor, review_id=review.id,
           resolution=resolution, old_score=before[0], score=review.score,
           old_fatal=before[1], fatal=review.fatal_failed)
    return review

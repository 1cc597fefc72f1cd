"""Scorecards (versioned), reviews with their answers, review lists and calibration.

A published scorecard version is never edited: changing it makes a new version, and old
reviews keep pointing at the version they were scored on.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.accounts.models import Department, User
from hub.clock import utcnow
from hub.extensions import db
from hub.interactions.models import Interaction

VERSION_STATES = ("draft", "published", "retired")
SEVERITIES = ("normal", "critical", "fatal")
# random: the weekly sample, the only kind that feeds a clerk's quality score.
# reactive: low rating, complaint, past SLA or repeat contact; reported apart.
# calibration: several supervisors score blind; counts towards nobody.
# mystery: a mystery-shopper contact; reported on its own.
REVIEW_KINDS = ("random", "reactive", "calibration", "mystery")
# draft → submitted → acknowledged | disputed → resolved (accepted, partly_accepted, rejected)
REVIEW_STATES = ("draft", "submitted", "acknowledged", "disputed", "resolved")
RESOLUTIONS = ("accepted", "partly_accepted", "rejected")
REACTIVE_REASONS = ("low_rating", "complaint", "past_sla", "repeat_contact")


class Scorecard(db.Model):
    __tablename__ = "scorecards"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    versions: Mapped[list[ScorecardVersion]] = relationship(
        back_populates="scorecard", order_by="ScorecardVersion.number"
    )

    @property
    def published(self) -> ScorecardVersion | None:
        return next((v for v in reversed(self.versions) if v.state == "published"), None)


class ScorecardVersion(db.Model):
    __tablename__ = "scorecard_versions"
    __table_args__ = (UniqueConstraint("scorecard_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id"), index=True)
    scorecard: Mapped[Scorecard] = relationship(back_populates="versions")
    number: Mapped[int] = mapped_column(default=1)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None]
    sections: Mapped[list[ScorecardSection]] = relationship(
        back_populates="version", order_by="ScorecardSection.position",
        cascade="all, delete-orphan",
    )

    @property
    def criteria(self) -> list[Criterion]:
        return [c for s in self.sections for c in s.criteria]


class ScorecardSection(db.Model):
    __tablename__ = "scorecard_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("scorecard_versions.id"), index=True)
    version: Mapped[ScorecardVersion] = relationship(back_populates="sections")
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="section", order_by="Criterion.position", cascade="all, delete-orphan"
    )


class Criterion(db.Model):
    __tablename__ = "scorecard_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("scorecard_sections.id"), index=True)
    section: Mapped[ScorecardSection] = relationship(back_populates="criteria")
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    guidance: Mapped[str] = mapped_column(Text, default="")
    scale_min: Mapped[int] = mapped_column(default=0)
    scale_max: Mapped[int] = mapped_column(default=2)
    weight: Mapped[float] = mapped_column(default=1.0)
    allows_na: Mapped[bool] = mapped_column(default=False)
    severity: Mapped[str] = mapped_column(String(10), default="normal")
    # Fatal criteria: a value below this fails the whole review (score 0).
    fail_below: Mapped[int | None]


class Review(db.Model):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id"), index=True)
    interaction: Mapped[Interaction] = relationship()
    version_id: Mapped[int] = mapped_column(ForeignKey("scorecard_versions.id"))
    version: Mapped[ScorecardVersion] = relationship()
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    # The clerk whose work is scored (the interaction's clerk when the review began).
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    clerk: Mapped[User | None] = relationship(foreign_keys=[clerk_id])
    kind: Mapped[str] = mapped_column(String(20), default="random")
    state: Mapped[str] = mapped_column(String(20), default="draft")
    calibration_id: Mapped[int | None] = mapped_column(ForeignKey("calibrations.id"), index=True)
    # 0..1; None until submitted (or when every criterion was N/A).
    score: Mapped[float | None]
    critical_score: Mapped[float | None]
    fatal_failed: Mapped[bool] = mapped_column(default=False)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    # The clerk's answer: acknowledged, or disputed with a required comment.
    clerk_comment: Mapped[str | None] = mapped_column(Text)
    clerk_responded_at: Mapped[datetime | None]
    # The reviewer's answer to a dispute.
    resolution: Mapped[str | None] = mapped_column(String(20))
    resolution_comment: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    answers: Mapped[list[ReviewAnswer]] = relationship(
        back_populates="review", cascade="all, delete-orphan"
    )


class ReviewAnswer(db.Model):
    __tablename__ = "review_answers"
    __table_args__ = (UniqueConstraint("review_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    review: Mapped[Review] = relationship(back_populates="answers")
    criterion_id: Mapped[int] = mapped_column(ForeignKey("scorecard_criteria.id"))
    criterion: Mapped[Criterion] = relationship()
    value: Mapped[int | None]  # None: not applicable
    comment: Mapped[str] = mapped_column(Text, default="")


class ReviewListItem(db.Model):
    """One interaction on a review list: the weekly random sample or the reactive list."""

    __tablename__ = "review_list_items"
    __table_args__ = (UniqueConstraint("interaction_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id"), index=True)
    interaction: Mapped[Interaction] = relationship()
    kind: Mapped[str] = mapped_column(String(20))  # random | reactive
    # Reactive: why (REACTIVE_REASONS, comma-separated when several apply).
    reasons: Mapped[str] = mapped_column(String(120), default="")
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    week: Mapped[date | None] = mapped_column(index=True)  # Monday of the sampled week
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"))
    review: Mapped[Review | None] = relationship()


calibration_interactions = Table(
    "calibration_interactions",
    db.Model.metadata,
    Column("calibration_id", ForeignKey("calibrations.id", ondelete="CASCADE"), primary_key=True),
    Column("interaction_id", ForeignKey("interactions.id"), primary_key=True),
)
calibration_participants = Table(
    "calibration_participants",
    db.Model.metadata,
    Column("calibration_id", ForeignKey("calibrations.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
)


class Calibration(db.Model):
    """Several supervisors score the same interactions blind; the lead's score is the key."""

    __tablename__ = "calibrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    version_id: Mapped[int] = mapped_column(ForeignKey("scorecard_versions.id"))
    version: Mapped[ScorecardVersion] = relationship()
    lead_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    lead: Mapped[User] = relationship(foreign_keys=[lead_id])
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    interactions: Mapped[list[Interaction]] = relationship(secondary=calibration_interactions)
    participants: Mapped[list[User]] = relationship(secondary=calibration_participants)


class MysteryShop(db.Model):
    """A supervisor's test contact: ordinary to the clerk, flagged only in the log."""

    __tablename__ = "mystery_shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id"), unique=True)
    interaction: Mapped[Interaction] = relationship()
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    department: Mapped[Department] = relationship()
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    supervisor: Mapped[User] = relationship()
    scenario: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

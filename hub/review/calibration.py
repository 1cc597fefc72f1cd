"""Calibration: several supervisors score the same interactions blind, then compare.

A session has a title, the scorecard version everyone scores on, the interactions and the
participants (supervisors and admins), one of them the lead, whose scores are the key.
Each participant scores each interaction through the ordinary review form, as a review of
kind "calibration" tied to the session. Until the session is closed nobody sees another
participant's scores (the lead sees the results once they have scored everything
themselves); the session page shows only who has scored what. Calibration reviews belong
to no clerk (clerk_id is left empty), so they count towards nobody's quality score.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from hub.accounts.models import User
from hub.clock import utcnow
from hub.errors import MESSAGES, InvalidInput
from hub.extensions import db
from hub.interactions.events import record
from hub.interactions.models import Interaction
from hub.review.models import Calibration, Criterion, Review, ScorecardVersion
from hub.review.service import current_version, handled_by, start_review

TITLE_MAX = 200
MAX_INTERACTIONS = 20
CALIBRATING_ROLES = ("supervisor", "admin")

MESSAGES.update({
    "calibration_title": _l("Please give the session a title."),
    "calibration_title_too_long": _l("The title is too long: at most %(limit)s characters."),
    "calibration_no_interactions": _l("Please choose at least one interaction to score."),
    "calibration_too_many": _l("At most %(limit)s interactions in one session."),
    "calibration_bad_number": _l("“%(value)s” is not an interaction number."),
    "calibration_unknown_interaction": _l("There is no interaction number %(number)s."),
    "calibration_interaction_open": _l(
        "Interaction %(number)s is still open; only closed ones can be scored."),
    "calibration_participants": _l("Please choose at least two participants."),
    "calibration_lead": _l("Please choose the lead from the participants."),
    "calibration_handled": _l("%(name)s handled interaction %(number)s and cannot score it; "
                              "choose other interactions or participants."),
    "calibration_closed": _l("This calibration session is closed."),
    "calibration_not_participant": _l("Only the session's participants can score in it."),
    "calibration_not_lead": _l("Only the session's lead can close it."),
})


class InvalidCalibration(InvalidInput):
    """A session that cannot be created; `problems` maps each form field to its refusal."""

    def __init__(self, problems: dict[str, InvalidInput]) -> None:
        first = next(iter(problems.values()))
        super().__init__(first.code, **first.params)
        self.problems = problems


def eligible_staff() -> list[User]:
    """Who may take part: active supervisors and admins."""
    return list(db.session.scalars(
        select(User).where(User.active.is_(True), User.role.in_(CALIBRATING_ROLES))
        .order_by(User.name)
    ))


def parse_numbers(text: str) -> list[int]:
    """Interaction numbers typed by hand: '12, 15 #20' → [12, 15, 20]."""
    numbers = []
    for token in re.split(r"[,;\s]+", text or ""):
        token = token.strip().lstrip("#")
        if not token:
            continue
        if not token.isdigit():
            raise InvalidInput("calibration_bad_number", value=token[:20])
        numbers.append(int(token))
    return numbers


def _check_interactions(ids: list[int]) -> list[Interaction]:
    if not ids:
        raise InvalidInput("calibration_no_interactions")
    if len(ids) > MAX_INTERACTIONS:
        raise InvalidInput("calibration_too_many", limit=MAX_INTERACTIONS)
    found = {i.id: i for i in db.session.scalars(select(Interaction).where(Interaction.id.in_(ids)))}
    for number in ids:
        if number not in found:
            raise InvalidInput("calibration_unknown_interaction", number=number)
        if found[number].state != "closed":
            raise InvalidInput("calibration_interaction_open", number=number)
    return [found[number] for number in ids]


def create(actor: User, title: object, interaction_ids: list[int], participant_ids: list[int],
           lead_id: int | None, numbers: str = "",
           version: ScorecardVersion | None = None) -> Calibration:
    """A new open session on the current published scorecard (unless one is given), on the
    chosen interactions and those typed in `numbers`; InvalidCalibration names every field
    at fault and nothing is stored."""
    problems: dict[str, InvalidInput] = {}
    text = title.strip() if isinstance(title, str) else ""
    if not text:
        problems["title"] = InvalidInput("calibration_title")
    elif len(text) > TITLE_MAX:
        problems["title"] = InvalidInput("calibration_title_too_long", limit=TITLE_MAX)
    try:
        chosen = list(interaction_ids) + parse_numbers(numbers)
        interactions = _check_interactions(list(dict.fromkeys(chosen)))
    except InvalidInput as refusal:
        problems["interactions"] = refusal
    staff = {u.id: u for u in eligible_staff()}
    participants = [staff[i] for i in dict.fromkeys(participant_ids) if i in staff]
    if len(participants) < 2 or len(participants) != len(set(participant_ids)):
        problems["participants"] = InvalidInput("calibration_participants")
    if lead_id not in {p.id for p in participants}:
        problems["lead"] = InvalidInput("calibration_lead")
    if "interactions" not in problems and "participants" not in problems:
        own = next(((p, i) for i in interactions for p in participants if handled_by(i, p)),
                   None)
        if own is not None:
            problems["participants"] = InvalidInput("calibration_handled", name=own[0].name,
                                                    number=own[1].id)
    if problems:
        raise InvalidCalibration(problems)
    session = Calibration(title=text, version=version or current_version(), lead_id=lead_id,
                          interactions=interactions, participants=participants)
    db.session.add(session)
    db.session.flush()
    record(None, "calibration_created", actor, calibration_id=session.id, title=text,
           interactions=[i.id for i in interactions],
           participants=[p.id for p in participants], lead=lead_id)
    db.session.commit()
    return session


def reviews_of(calibration: Calibration) -> list[Review]:
    return list(db.session.scalars(
        select(Review).where(Review.calibration_id == calibration.id).order_by(Review.id)
    ))


def is_participant(calibration: Calibration, user: User) -> bool:
    return any(p.id == user.id for p in calibration.participants)


def begin(calibration: Calibration, interaction: Interaction, user: User) -> Review:
    """The participant's calibration review of one of the session's interactions (their
    draft if they began one). It scores the clerk for nobody: clerk_id stays empty."""
    if calibration.closed_at is not None:
        raise InvalidInput("calibration_closed")
    if not is_participant(calibration, user):
        raise InvalidInput("calibration_not_participant")
    if interaction not in calibration.interactions:
        raise InvalidInput("calibration_unknown_interaction", number=interaction.id)
    review = start_review(interaction, user, "calibration", version=calibration.version,
                          calibration_id=calibration.id)
    review.clerk_id = None
    db.session.commit()
    return review


def progress(calibration: Calibration) -> dict[tuple[int, int], str]:
    """(participant id, interaction id) → "draft" or "submitted" (absent: not begun)."""
    return {(r.reviewer_id, r.interaction_id): "submitted" if r.submitted_at else "draft"
            for r in reviews_of(calibration)}


def can_see_results(calibration: Calibration, user: User) -> bool:
    """Everyone once the session is closed; before that only the lead, once they have
    submitted their own score of every interaction."""
    if calibration.closed_at is not None:
        return True
    if user.id != calibration.lead_id:
        return False
    done = progress(calibration)
    return all(done.get((user.id, i.id)) == "submitted" for i in calibration.interactions)


def review_visible(review: Review, user: User) -> bool:
    """Whether `user` may see this review's answers and score (for the review pages):
    a calibration review only by its own reviewer until the results are open to them."""
    if review.kind != "calibration" or review.reviewer_id == user.id:
        return True
    calibration = db.session.get(Calibration, review.calibration_id)
    return calibration is not None and can_see_results(calibration, user)


def close(calibration: Calibration, actor: User) -> Calibration:
    """The lead (or an admin) ends the session: nobody scores in it any more, and everyone
    sees the results."""
    if calibration.closed_at is not None:
        raise InvalidInput("calibration_closed")
    if actor.id != calibration.lead_id and not actor.has_role("admin"):
        raise InvalidInput("calibration_not_lead")
    calibration.closed_at = utcnow()
    done = progress(calibration)
    record(None, "calibration_closed", actor, calibration_id=calibration.id,
           submitted=sum(1 for state in done.values() if state == "submitted"),
           expected=len(calibration.participants) * len(calibration.interactions))
    db.session.commit()
    return calibration


# -- results ---------------------------------------------------------------------------------


@dataclass
class Spread:
    """Values of several people for one thing, beside the lead's."""

    values: dict[int, float | None]  # participant id → value (None: not applicable)
    lead: float | None

    @property
    def scored(self) -> list[float]:
        return [v for v in self.values.values() if v is not None]

    @property
    def low(self) -> float | None:
        return min(self.scored) if self.scored else None

    @property
    def high(self) -> float | None:
        return max(self.scored) if self.scored else None

    @property
    def deviation(self) -> float | None:
        """Population standard deviation (0 with one value)."""
        return statistics.pstdev(self.scored) if self.scored else None

    def difference(self, participant_id: int) -> float | None:
        value = self.values.get(participant_id)
        return None if value is None or self.lead is None else value - self.lead


@dataclass
class InteractionResult:
    interaction: Interaction
    criteria: list[tuple[Criterion, Spread]]
    overall: Spread  # review scores, 0..1


@dataclass
class Results:
    participants: list[User]  # the lead first
    lead_id: int
    interactions: list[InteractionResult]
    # participant id → mean |overall score − lead's| over the interactions both scored.
    mean_gap: dict[int, float | None] = field(default_factory=dict)
    # Mean over interactions of the overall scores' standard deviation.
    mean_deviation: float | None = None
    # participant id → how many of their scores are submitted.
    submitted: dict[int, int] = field(default_factory=dict)


def results(calibration: Calibration) -> Results:
    """Per interaction and criterion the spread of submitted scores and each participant's
    difference from the lead; overall scores the same way; then a summary per person."""
    submitted = [r for r in reviews_of(calibration) if r.submitted_at is not None]
    by_key = {(r.reviewer_id, r.interaction_id): r for r in submitted}
    people = sorted(calibration.participants,
                    key=lambda p: (p.id != calibration.lead_id, p.name))
    rows = []
    for interaction in calibration.interactions:
        mine = {p.id: by_key.get((p.id, interaction.id)) for p in people}
        answers = {pid: {a.criterion_id: a.value for a in r.answers}
                   for pid, r in mine.items() if r is not None}
        criteria = []
        for criterion in calibration.version.criteria:
            values = {pid: given.get(criterion.id) for pid, given in answers.items()}
            criteria.append((criterion, Spread(values, values.get(calibration.lead_id))))
        scores = {pid: r.score for pid, r in mine.items() if r is not None}
        rows.append(InteractionResult(interaction, criteria,
                                      Spread(scores, scores.get(calibration.lead_id))))
    gaps = {}
    for person in people:
        diffs = [abs(d) for row in rows
                 if (d := row.overall.difference(person.id)) is not None]
        gaps[person.id] = statistics.fmean(diffs) if diffs else None
    deviations = [row.overall.deviation for row in rows if len(row.overall.scored) > 1]
    return Results(
        participants=people, lead_id=calibration.lead_id, interactions=rows, mean_gap=gaps,
        mean_deviation=statistics.fmean(deviations) if deviations else None,
        submitted={p.id: sum(1 for r in submitted if r.reviewer_id == p.id) for p in people},
    )


def sessions() -> list[Calibration]:
    return list(db.session.scalars(select(Calibration).order_by(Calibration.id.desc())))

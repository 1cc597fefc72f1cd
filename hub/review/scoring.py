"""How a review is scored. Pure arithmetic over criteria and answers, so it is easy to test.

A criterion's share = (value − min) / (max − min); N/A answers are dropped from both the
weighted sum and the weights. The review score is the weighted mean of the shares; critical
criteria are also scored apart; any fatal criterion below its threshold makes the score 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from hub.errors import MESSAGES, InvalidInput
from hub.review.models import Criterion

MESSAGES.update({
    "review_unanswered": _l("Please choose a score for this criterion."),
    "review_out_of_scale": _l("Please choose a value from the criterion's scale."),
    "review_na_not_allowed": _l("This criterion cannot be marked not applicable."),
})


@dataclass(frozen=True)
class Outcome:
    score: float | None  # 0..1, None when every criterion was N/A
    critical_score: float | None  # over critical criteria only, None when there are none
    fatal_failed: bool


def share(criterion: Criterion, value: int) -> float:
    """Where a value sits on the criterion's scale, from 0 to 1."""
    span = criterion.scale_max - criterion.scale_min
    return (value - criterion.scale_min) / span if span else 1.0


def fails(criterion: Criterion, value: int | None) -> bool:
    """A fatal criterion fails below its threshold (by default: anything short of full marks)."""
    if criterion.severity != "fatal" or value is None:
        return False
    threshold = criterion.fail_below if criterion.fail_below is not None else criterion.scale_max
    return value < threshold


class InvalidAnswers(InvalidInput):
    """Answers that cannot be scored; `problems` maps each criterion id to its refusal."""

    def __init__(self, problems: dict[int, InvalidInput]) -> None:
        first = next(iter(problems.values()))
        super().__init__(first.code, **first.params)
        self.problems = problems


def problems(criteria: Iterable[Criterion],
             values: Mapping[int, int | None]) -> dict[int, InvalidInput]:
    """What is wrong with each criterion's answer (criterion id → refusal); empty when fine."""
    found: dict[int, InvalidInput] = {}
    for criterion in criteria:
        if criterion.id not in values:
            found[criterion.id] = InvalidInput("review_unanswered")
            continue
        value = values[criterion.id]
        if value is None:
            if not criterion.allows_na:
                found[criterion.id] = InvalidInput("review_na_not_allowed")
        elif not criterion.scale_min <= value <= criterion.scale_max:
            found[criterion.id] = InvalidInput("review_out_of_scale")
    return found


def validate(criteria: Iterable[Criterion], values: Mapping[int, int | None]) -> None:
    """Every criterion answered, on its scale, N/A only where allowed; else InvalidAnswers
    (an InvalidInput) naming every criterion at fault."""
    found = problems(criteria, values)
    if found:
        raise InvalidAnswers(found)


def _weighted_mean(pairs: list[tuple[Criterion, int]]) -> float | None:
    weights = sum(c.weight for c, _ in pairs)
    if not pairs or weights <= 0:
        return None
    return sum(c.weight * share(c, v) for c, v in pairs) / weights


def score(criteria: Iterable[Criterion], values: Mapping[int, int | None]) -> Outcome:
    """Score answers (criterion id → value, None for N/A) against the criteria."""
    criteria = list(criteria)
    validate(criteria, values)
    answered = [(c, values[c.id]) for c in criteria if values[c.id] is not None]
    fatal = any(fails(c, v) for c, v in answered)
    critical = _weighted_mean([(c, v) for c, v in answered if c.severity == "critical"])
    total = _weighted_mean(answered)
    return Outcome(score=0.0 if fatal else total, critical_score=critical, fatal_failed=fatal)

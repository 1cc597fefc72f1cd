"""Admins write scorecards: a draft version is edited (sections, criteria, their order), then
published. A published or retired version is never changed: a new version starts as a copy
of the published one, and publishing it retires the old, which its reviews keep.

Refusals are InvalidInput; a form's refusals come together as InvalidScorecard, whose
`problems` map each field's form name to its refusal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from hub.accounts.models import User
from hub.clock import utcnow
from hub.errors import MESSAGES, InvalidInput
from hub.extensions import db
from hub.interactions.events import record
from hub.review.models import (
    SEVERITIES,
    Criterion,
    Review,
    Scorecard,
    ScorecardSection,
    ScorecardVersion,
)

NAME_MAX, TITLE_MAX, TEXT_MAX = 120, 200, 2000
SCALE_LOW, SCALE_HIGH, SCALE_VALUES = 0, 100, 11
WEIGHT_MAX = 100

MESSAGES.update({
    "scorecard_not_draft": _l("A published version is never changed: make a new version to "
                              "change it."),
    "scorecard_name": _l("Please give the scorecard a name (at most %(limit)s characters)."),
    "scorecard_text_too_long": _l("This is too long: at most %(limit)s characters."),
    "scorecard_section_title": _l("Please give the section a title (at most %(limit)s "
                                  "characters)."),
    "scorecard_criterion_title": _l("Please give the criterion a title (at most %(limit)s "
                                    "characters)."),
    "scorecard_scale_number": _l("Please give a whole number from %(low)s to %(high)s."),
    "scorecard_scale_order": _l("The lowest score must be below the highest."),
    "scorecard_scale_span": _l("A scale can have at most %(count)s values."),
    "scorecard_weight": _l("Please give a weight above 0 and at most %(limit)s, e.g. 1 or 2.5."),
    "scorecard_severity": _l("Please choose normal, critical or fatal."),
    "scorecard_fail_below": _l("For a fatal criterion, give the score below which the review "
                               "fails: a whole number from %(low)s to %(high)s."),
    "scorecard_no_criteria": _l("Add at least one criterion before publishing."),
    "scorecard_empty_section": _l("The section “%(title)s” has no criteria: add one or remove "
                                  "the section."),
})


class InvalidScorecard(InvalidInput):
    """A change that cannot be saved; `problems` maps each field to its refusal."""

    def __init__(self, problems: dict[str, InvalidInput]) -> None:
        first = next(iter(problems.values()))
        super().__init__(first.code, **first.params)
        self.problems = problems


def _refuse(field: str, code: str, **params: object) -> InvalidScorecard:
    return InvalidScorecard({field: InvalidInput(code, **params)})


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _draft(version: ScorecardVersion) -> ScorecardVersion:
    if version.state != "draft":
        raise InvalidInput("scorecard_not_draft")
    return version


# -- reading -----------------------------------------------------------------------------------


def scorecards() -> list[Scorecard]:
    return list(db.session.scalars(select(Scorecard).order_by(Scorecard.id)))


def review_counts() -> dict[int, int]:
    """How many reviews were scored on each version (version id → count)."""
    return dict(db.session.execute(
        select(Review.version_id, func.count()).group_by(Review.version_id)
    ).all())


def draft_of(card: Scorecard) -> ScorecardVersion | None:
    return next((v for v in card.versions if v.state == "draft"), None)


# -- scorecards and versions --------------------------------------------------------------------


def _card_fields(name: object, description: object) -> tuple[str, str]:
    name, description = _text(name), _text(description)
    problems = {}
    if not name or len(name) > NAME_MAX:
        problems["name"] = InvalidInput("scorecard_name", limit=NAME_MAX)
    if len(description) > TEXT_MAX:
        problems["description"] = InvalidInput("scorecard_text_too_long", limit=TEXT_MAX)
    if problems:
        raise InvalidScorecard(problems)
    return name, description


def create_scorecard(name: object, description: object, actor: User) -> ScorecardVersion:
    """A new scorecard with an empty draft, version 1."""
    name, description = _card_fields(name, description)
    card = Scorecard(name=name, description=description)
    version = ScorecardVersion(scorecard=card, number=1, state="draft", created_by_id=actor.id)
    db.session.add_all([card, version])
    db.session.flush()
    record(None, "scorecard_created", actor, scorecard_id=card.id)
    return version


def update_card(version: ScorecardVersion, name: object, description: object) -> None:
    """Rename the scorecard (from its draft: a published version is never edited)."""
    _draft(version)
    version.scorecard.name, version.scorecard.description = _card_fields(name, description)


def new_version(card: Scorecard, actor: User) -> ScorecardVersion:
    """The scorecard's draft; when it has none, a new one copied from the published version
    (or the latest), numbered after the last."""
    existing = draft_of(card)
    if existing is not None:
        return existing
    source = card.published or (card.versions[-1] if card.versions else None)
    number = max((v.number for v in card.versions), default=0) + 1
    sections = list(source.sections) if source else []
    version = ScorecardVersion(scorecard=card, state="draft", created_by_id=actor.id,
                               number=number)
    db.session.add(version)
    with db.session.no_autoflush:
        for section in sections:
            copy = ScorecardSection(position=section.position, title=section.title)
            copy.criteria = [Criterion(
                position=c.position, title=c.title, guidance=c.guidance,
                scale_min=c.scale_min, scale_max=c.scale_max, weight=c.weight,
                allows_na=c.allows_na, severity=c.severity, fail_below=c.fail_below)
                for c in section.criteria]
            version.sections.append(copy)
    db.session.flush()
    return version


def discard(version: ScorecardVersion) -> None:
    """Delete a draft (no review uses a draft)."""
    db.session.delete(_draft(version))


def publish(version: ScorecardVersion, actor: User) -> None:
    """Publish the draft; the version published before is retired (its reviews keep it)."""
    _draft(version)
    if not version.criteria:
        raise InvalidInput("scorecard_no_criteria")
    for section in version.sections:
        if not section.criteria:
            raise InvalidInput("scorecard_empty_section", title=section.title)
    for other in version.scorecard.versions:
        if other.state == "published":
            other.state = "retired"
    version.state = "published"
    version.published_at = utcnow()
    record(None, "scorecard_published", actor, scorecard_id=version.scorecard_id,
           version=version.number)


# -- sections ----------------------------------------------------------------------------------


def _section_title(title: object) -> str:
    title = _text(title)
    if not title or len(title) > TITLE_MAX:
        raise _refuse("title", "scorecard_section_title", limit=TITLE_MAX)
    return title


def add_section(version: ScorecardVersion, title: object) -> ScorecardSection:
    _draft(version)
    section = ScorecardSection(title=_section_title(title),
                               position=max((s.position for s in version.sections), default=-1) + 1)
    version.sections.append(section)
    db.session.flush()
    return section


def rename_section(section: ScorecardSection, title: object) -> None:
    _draft(section.version)
    section.title = _section_title(title)


def _move(items: list, item, direction: str) -> None:
    """Move one item up or down in its list, then number the list again from 0."""
    order = sorted(items, key=lambda x: (x.position, x.id or 0))
    at = order.index(item)
    to = at - 1 if direction == "up" else at + 1
    if 0 <= to < len(order):
        order[at], order[to] = order[to], order[at]
    for position, each in enumerate(order):
        each.position = position


def move_section(section: ScorecardSection, direction: str) -> None:
    _move(_draft(section.version).sections, section, direction)


def remove_section(section: ScorecardSection) -> None:
    version = _draft(section.version)
    version.sections.remove(section)
    for position, each in enumerate(sorted(version.sections, key=lambda s: s.position)):
        each.position = position


# -- criteria ----------------------------------------------------------------------------------

CRITERION_FIELDS = ("title", "guidance", "scale_min", "scale_max", "weight", "allows_na",
                    "severity", "fail_below")
_WHOLE = re.compile(r"[+-]?\d{1,4}")


def _whole(value: object) -> int | None:
    text = _text(value)
    return int(text) if _WHOLE.fullmatch(text) else None


def _weight(value: object) -> float | None:
    try:
        weight = float(_text(value).replace(",", "."))
    except ValueError:
        return None
    return weight if 0 < weight <= WEIGHT_MAX else None


def _criterion_values(fields: Mapping[str, object]) -> dict:
    """The criterion's values from a form, checked; InvalidScorecard names each bad field."""
    problems: dict[str, InvalidInput] = {}
    title, guidance = _text(fields.get("title")), _text(fields.get("guidance"))
    if not title or len(title) > TITLE_MAX:
        problems["title"] = InvalidInput("scorecard_criterion_title", limit=TITLE_MAX)
    if len(guidance) > TEXT_MAX:
        problems["guidance"] = InvalidInput("scorecard_text_too_long", limit=TEXT_MAX)
    low, high = _whole(fields.get("scale_min")), _whole(fields.get("scale_max"))
    for name, value in (("scale_min", low), ("scale_max", high)):
        if value is None or not SCALE_LOW <= value <= SCALE_HIGH:
            problems[name] = InvalidInput("scorecard_scale_number", low=SCALE_LOW,
                                          high=SCALE_HIGH)
    if "scale_min" not in problems and "scale_max" not in problems:
        if low >= high:
            problems["scale_max"] = InvalidInput("scorecard_scale_order")
        elif high - low + 1 > SCALE_VALUES:
            problems["scale_max"] = InvalidInput("scorecard_scale_span", count=SCALE_VALUES)
    weight = _weight(fields.get("weight"))
    if weight is None:
        problems["weight"] = InvalidInput("scorecard_weight", limit=WEIGHT_MAX)
    severity = _text(fields.get("severity"))
    if severity not in SEVERITIES:
        problems["severity"] = InvalidInput("scorecard_severity")
    fail_below = None
    if severity == "fatal" and "scale_max" not in problems and "scale_min" not in problems:
        fail_below = _whole(fields.get("fail_below"))
        if fail_below is None or not low < fail_below <= high:
            problems["fail_below"] = InvalidInput("scorecard_fail_below", low=low + 1,
                                                  high=high)
    if problems:
        raise InvalidScorecard(problems)
    return {"title": title, "guidance": guidance, "scale_min": low, "scale_max": high,
            "weight": weight, "allows_na": bool(fields.get("allows_na")),
            "severity": severity, "fail_below": fail_below}


def save_criterion(section: ScorecardSection, criterion: Criterion | None,
                   fields: Mapping[str, object]) -> Criterion:
    """Add a criterion at the end of the section, or change one; only in a draft."""
    _draft(section.version)
    values = _criterion_values(fields)
    if criterion is None:
        criterion = Criterion(
            position=max((c.position for c in section.criteria), default=-1) + 1)
        section.criteria.append(criterion)
    for name, value in values.items():
        setattr(criterion, name, value)
    db.session.flush()
    return criterion


def move_criterion(criterion: Criterion, direction: str) -> None:
    _draft(criterion.section.version)
    _move(criterion.section.criteria, criterion, direction)


def remove_criterion(criterion: Criterion) -> None:
    section = criterion.section
    _draft(section.version)
    section.criteria.remove(criterion)
    for position, each in enumerate(sorted(section.criteria, key=lambda c: c.position)):
        each.position = position

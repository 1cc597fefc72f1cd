"""How reviews are named on pages: kinds, states, resolutions, severities, scale values and
scores. One place, so the supervisor's, the clerk's and the admin's pages say the same."""

from __future__ import annotations

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from hub.review import access, scoring
from hub.review.models import Criterion, Review
from hub.supervisor.labels import CHANNEL_LABELS

KINDS = {
    "random": _l("Random sample"),
    "reactive": _l("Reactive"),
    "calibration": _l("Calibration"),
    "mystery": _l("Mystery shopper"),
}
STATES = {
    "draft": _l("Draft"),
    "submitted": _l("Waiting for the clerk's answer"),
    "acknowledged": _l("Acknowledged"),
    "disputed": _l("Disputed"),
    "resolved": _l("Dispute answered"),
}
RESOLUTIONS = {
    "accepted": _l("Accepted"),
    "partly_accepted": _l("Partly accepted"),
    "rejected": _l("Rejected"),
}
SEVERITIES = {
    "normal": _l("Normal"),
    "critical": _l("Critical"),
    "fatal": _l("Fatal"),
}
VERSION_STATES = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "retired": _l("Retired"),
}


def channel(code: str) -> str:
    """A channel's name for people ("Web chat")."""
    return str(CHANNEL_LABELS.get(code, code))


def scale_choices(criterion: Criterion) -> list[tuple[int, str]]:
    """Each value of the criterion's scale with its label: words on the short 0–1 and 0–2
    scales ("0 – not met"), otherwise the number, with the ends marked."""
    low, high = criterion.scale_min, criterion.scale_max
    if (low, high) == (0, 1):
        return [(0, _("0 – not met")), (1, _("1 – met"))]
    if (low, high) == (0, 2):
        return [(0, _("0 – not met")), (1, _("1 – partly met")), (2, _("2 – met"))]
    choices = [(value, str(value)) for value in range(low, high + 1)]
    choices[0] = (low, _("%(value)s – lowest", value=low))
    choices[-1] = (high, _("%(value)s – highest", value=high))
    return choices


def value_label(criterion: Criterion, value: int | None) -> str:
    """An answer as the form offered it ("2 – met", "Not applicable")."""
    if value is None:
        return _("Not applicable")
    return dict(scale_choices(criterion)).get(value, str(value))


def percent(share: float | None) -> str:
    """A score (0..1) for people: "83.3 %" in the page's language; "—" when there is none."""
    return "—" if share is None else format_percent(share, "#,##0.#%")


def weight(criterion: Criterion) -> str:
    """The criterion's weight in the page's language ("2", "1,5")."""
    return format_decimal(criterion.weight, "#,##0.##")


def severity_note(criterion: Criterion) -> str:
    """What the severity means for this criterion, for the form and the editor."""
    if criterion.severity == "critical":
        return _("Critical: also counted in the critical score.")
    if criterion.severity == "fatal":
        threshold = criterion.fail_below if criterion.fail_below is not None \
            else criterion.scale_max
        return _("Fatal: a score below %(threshold)s makes the whole review score 0%%.",
                 threshold=threshold)
    return ""


def score_change(review: Review) -> tuple[str, str] | None:
    """(before, after) when answering a dispute changed the score; None when it did not."""
    event = access.resolution_event(review) if review.state == "resolved" else None
    if event is None or event.data.get("old_score") == event.data.get("score"):
        return None
    return percent(event.data.get("old_score")), percent(event.data.get("score"))


def failed(review: Review) -> list[tuple[Criterion, int]]:
    """The fatal criteria that failed in this review, with their values."""
    values = {a.criterion_id: a.value for a in review.answers}
    return [(c, values[c.id]) for c in review.version.criteria
            if c.id in values and scoring.fails(c, values[c.id])]
